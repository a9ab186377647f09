"""KSeF tokens over real HTTP: create after a XAdES login, authenticate with them, list, revoke."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from fakturnik.simulator.mint import mint_session
from fakturnik.simulator.server import SimulatorServer
from tests.simulator import xades_helpers as xh

NIP = "5265877635"
TOKEN_RE = re.compile(r"^\d{8}-EC-[0-9A-F]{10}-[0-9A-F]{10}-[0-9A-F]{2}\|nip-5265877635\|[0-9a-f]{64}$")


@pytest.fixture
def client(simulator: SimulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=simulator.base_url, timeout=10) as c:
        yield c


def _owner_access(client: httpx.Client) -> str:
    out = xh.xades_login(client, xh.person(NIP, "ec"), NIP)
    token: str = out["tokens"]["accessToken"]["token"]
    return token


def _create(
    client: httpx.Client, access: str, perms: list[str], description: str = "Token testowy"
) -> dict[str, Any]:
    r = client.post(
        "/tokens", json={"permissions": perms, "description": description}, headers=xh.bearer(access)
    )
    assert r.status_code == 202, r.text
    body: dict[str, Any] = r.json()
    return body


def _code(r: httpx.Response) -> int:
    assert r.status_code == 400, r.text
    return int(r.json()["exception"]["exceptionDetailList"][0]["exceptionCode"])


def test_create_token_then_authenticate_with_it(client: httpx.Client, simulator: SimulatorServer) -> None:
    access = _owner_access(client)
    created = _create(client, access, ["InvoiceRead", "InvoiceWrite"])
    assert TOKEN_RE.match(created["token"]) and created["token"].startswith(created["referenceNumber"])
    assert created["token"] not in str(simulator.sim.state.all("ksef_token"))  # only its hash is kept

    info = client.get(f"/tokens/{created['referenceNumber']}", headers=xh.bearer(access)).json()
    assert info["status"] == "Active" and info["authorIdentifier"] == {"type": "Nip", "value": NIP}
    assert info["requestedPermissions"] == ["InvoiceRead", "InvoiceWrite"]

    out = xh.token_login(client, created["token"], NIP)
    assert out["status"]["status"]["code"] == 200
    assert out["status"]["authenticationMethodInfo"] == {
        "category": "Token",
        "code": "token.ksef",
        "displayName": "Token KSeF",
    }
    token_access = out["tokens"]["accessToken"]["token"]
    claims = simulator.sim.tokens.decode(token_access)
    assert sorted(claims["permissions"]) == ["InvoiceRead", "InvoiceWrite"]
    assert claims["authentication-method"] == "Token"
    # a token session sees only its own token
    listed = client.get("/tokens", headers=xh.bearer(token_access)).json()["tokens"]
    assert [t["referenceNumber"] for t in listed] == [created["referenceNumber"]]
    assert listed[0]["lastUseDate"]
    refreshed = client.post("/auth/token/refresh", headers=xh.bearer(out["tokens"]["refreshToken"]["token"]))
    assert refreshed.status_code == 200


def test_revoked_token_fails_with_450(client: httpx.Client) -> None:
    access = _owner_access(client)
    created = _create(client, access, ["InvoiceRead"])
    live = xh.token_login(client, created["token"], NIP)
    assert (
        client.delete(f"/tokens/{created['referenceNumber']}", headers=xh.bearer(access)).status_code == 204
    )
    assert (
        client.get(f"/tokens/{created['referenceNumber']}", headers=xh.bearer(access)).json()["status"]
        == "Revoked"
    )
    out = xh.token_login(client, created["token"], NIP)
    assert out["status"]["status"]["code"] == 450
    assert out["status"]["status"]["details"] == ["Token unieważniony"]
    dead = client.post("/auth/token/refresh", headers=xh.bearer(live["tokens"]["refreshToken"]["token"]))
    assert _code(dead) == 21301


def test_wrong_timestamp_unknown_token_wrong_context(client: httpx.Client) -> None:
    access = _owner_access(client)
    token = _create(client, access, ["InvoiceRead"])["token"]

    ch = xh.challenge(client)
    enc, _key_id = xh.encrypt_ksef_token(client, token, ch["timestampMs"] - 1)
    body = {
        "challenge": ch["challenge"],
        "contextIdentifier": {"type": "Nip", "value": NIP},
        "encryptedToken": enc,
    }
    init = client.post("/auth/ksef-token", json=body).json()
    status = xh.wait_status(client, init["referenceNumber"], init["authenticationToken"]["token"])
    assert status["status"]["code"] == 450 and status["status"]["details"] == ["Nieprawidłowy czas tokena"]

    forged = token[:-4] + "0000"
    assert xh.token_login(client, forged, NIP)["status"]["status"]["details"] == ["Nieprawidłowy token"]
    other = xh.token_login(client, token, "7762811692")
    assert other["status"]["status"]["code"] == 450


def test_unknown_public_key_id_is_21470(client: httpx.Client) -> None:
    ch = xh.challenge(client)
    certs = client.get("/security/public-key-certificates").json()
    symmetric = next(c for c in certs if c["usage"] == ["SymmetricKeyEncryption"])
    body = {
        "challenge": ch["challenge"],
        "contextIdentifier": {"type": "Nip", "value": NIP},
        "encryptedToken": "AAAA",
        "publicKeyId": symmetric["publicKeyId"],
    }
    assert _code(client.post("/auth/ksef-token", json=body)) == 21470
    body["publicKeyId"] = "A" * 43 + "="
    assert _code(client.post("/auth/ksef-token", json=body)) == 21470


def test_token_permissions_and_context_rules(client: httpx.Client, simulator: SimulatorServer) -> None:
    limited = mint_session(
        simulator.sim,
        context_type="Nip",
        context_value=NIP,
        subject_type="Pesel",
        subject_value="90010112345",
        permissions=["InvoiceRead"],
    )["accessToken"]
    r = client.post(
        "/tokens",
        json={"permissions": ["InvoiceWrite"], "description": "Za dużo"},
        headers=xh.bearer(limited),
    )
    assert _code(r) == 26001
    eu = mint_session(
        simulator.sim,
        context_type="NipVatUe",
        context_value=f"{NIP}-DE123456789",
        subject_type="Fingerprint",
        subject_value="A" * 64,
        permissions=["InvoiceRead"],
    )["accessToken"]
    r = client.post(
        "/tokens", json={"permissions": ["InvoiceRead"], "description": "Kontekst UE"}, headers=xh.bearer(eu)
    )
    assert _code(r) == 26002
    bad = client.post(
        "/tokens", json={"permissions": ["Nope"], "description": "x"}, headers=xh.bearer(limited)
    )
    assert _code(bad) == 21405


def test_list_filters_and_continuation(client: httpx.Client) -> None:
    access = _owner_access(client)
    refs = [
        _create(client, access, ["InvoiceRead"], f"Token numer {i}")["referenceNumber"] for i in range(12)
    ]
    _create(client, access, ["InvoiceRead"], "Specjalny opis")
    page1 = client.get("/tokens", params={"pageSize": 10}, headers=xh.bearer(access)).json()
    assert len(page1["tokens"]) == 10 and page1["continuationToken"]
    page2 = client.get(
        "/tokens",
        params={"pageSize": 10},
        headers={**xh.bearer(access), "x-continuation-token": page1["continuationToken"]},
    ).json()
    assert len(page2["tokens"]) == 3 and not page2.get("continuationToken")
    found = client.get("/tokens", params={"description": "specjalny"}, headers=xh.bearer(access)).json()[
        "tokens"
    ]
    assert [t["description"] for t in found] == ["Specjalny opis"]
    client.delete(f"/tokens/{refs[0]}", headers=xh.bearer(access))
    revoked = client.get("/tokens", params=[("status", "Revoked")], headers=xh.bearer(access)).json()[
        "tokens"
    ]
    assert [t["referenceNumber"] for t in revoked] == [refs[0]]
    by_author = client.get(
        "/tokens",
        params={"authorIdentifier": NIP[:5], "authorIdentifierType": "Nip", "pageSize": 100},
        headers=xh.bearer(access),
    ).json()["tokens"]
    assert len(by_author) == 13


def test_token_session_cannot_get_enrollment_data(client: httpx.Client) -> None:
    access = _owner_access(client)
    token = _create(client, access, ["CredentialsManage"])["token"]
    token_access = xh.token_login(client, token, NIP)["tokens"]["accessToken"]["token"]
    assert _code(client.get("/certificates/enrollments/data", headers=xh.bearer(token_access))) == 25001
