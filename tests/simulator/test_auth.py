"""Authentication over real HTTP: challenge, XAdES (RSA and EC), redeem, refresh, sessions, revoke."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from lxml import etree

from fakturnik.base.ksef_numbers import is_valid_reference_number
from fakturnik.simulator.server import SimulatorServer
from tests.simulator import xades_helpers as xh

NIP = "5265877635"
OTHER_NIP = "7762811692"


@pytest.fixture
def client(simulator: SimulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=simulator.base_url, timeout=10) as c:
        yield c


def _post_xml(client: httpx.Client, xml: bytes, **params: str) -> httpx.Response:
    return client.post(
        "/auth/xades-signature", content=xml, headers={"Content-Type": "application/xml"}, params=params
    )


def _code(r: httpx.Response) -> int:
    assert r.status_code == 400, r.text
    return int(r.json()["exception"]["exceptionDetailList"][0]["exceptionCode"])


def test_challenge_has_reference_format_and_timestamps(client: httpx.Client) -> None:
    body = xh.challenge(client)
    assert is_valid_reference_number(body["challenge"]) and body["challenge"][9:11] == "CR"
    assert body["clientIp"] == "127.0.0.1"
    assert isinstance(body["timestampMs"], int) and body["timestamp"].endswith("Z")


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_xades_person_login_redeem_refresh_revoke(client: httpx.Client, kind: str) -> None:
    ident = xh.person(NIP, kind)
    out = xh.xades_login(client, ident, NIP)
    assert out["status"]["status"] == {"code": 200, "description": "Uwierzytelnianie zakończone sukcesem"}
    info = out["status"]["authenticationMethodInfo"]
    assert info["category"] == "XadesSignature" and info["code"] == "xades.qualified-signature"
    tokens = out["tokens"]
    access, refresh = tokens["accessToken"]["token"], tokens["refreshToken"]["token"]

    sessions = client.get("/auth/sessions", headers=xh.bearer(access))
    assert sessions.status_code == 200, sessions.text
    items = sessions.json()["items"]
    assert [i["referenceNumber"] for i in items if i["isCurrent"]] == [out["referenceNumber"]]

    refreshed = client.post("/auth/token/refresh", headers=xh.bearer(refresh))
    assert refreshed.status_code == 200, refreshed.text
    new_access = refreshed.json()["accessToken"]["token"]
    assert client.get("/auth/sessions", headers=xh.bearer(new_access)).status_code == 200

    assert client.delete("/auth/sessions/current", headers=xh.bearer(new_access)).status_code == 204
    dead = client.post("/auth/token/refresh", headers=xh.bearer(refresh))
    assert dead.status_code == 401
    status = client.get(
        f"/auth/{out['referenceNumber']}", headers=xh.bearer(out["init"]["authenticationToken"]["token"])
    )
    assert status.json()["status"]["code"] == 425
    # an issued access token lives until it expires
    assert client.get("/auth/sessions", headers=xh.bearer(new_access)).status_code == 200


def test_seal_certificate_ec(client: httpx.Client) -> None:
    out = xh.xades_login(client, xh.seal(NIP, "ec"), NIP)
    assert out["status"]["status"]["code"] == 200
    assert out["status"]["authenticationMethod"] == "QualifiedSeal"


def test_redeem_only_once(client: httpx.Client) -> None:
    out = xh.xades_login(client, xh.person(NIP), NIP)
    op = out["init"]["authenticationToken"]["token"]
    again = client.post("/auth/token/redeem", headers=xh.bearer(op))
    assert _code(again) == 21301


def test_revoke_other_session_by_reference(client: httpx.Client) -> None:
    first = xh.xades_login(client, xh.person(NIP), NIP)
    second = xh.xades_login(client, xh.person(NIP), NIP)
    access = second["tokens"]["accessToken"]["token"]
    r = client.delete(f"/auth/sessions/{first['referenceNumber']}", headers=xh.bearer(access))
    assert r.status_code == 204
    assert (
        client.post(
            "/auth/token/refresh", headers=xh.bearer(first["tokens"]["refreshToken"]["token"])
        ).status_code
        == 401
    )
    assert (
        client.post(
            "/auth/token/refresh", headers=xh.bearer(second["tokens"]["refreshToken"]["token"])
        ).status_code
        == 200
    )


def test_sessions_paging_with_continuation_token(client: httpx.Client, simulator: SimulatorServer) -> None:
    from fakturnik.simulator.mint import mint_session

    for _ in range(11):
        mint_session(
            simulator.sim, context_type="Nip", context_value=NIP, subject_type="Nip", subject_value=NIP
        )
    access = xh.xades_login(client, xh.person(NIP), NIP)["tokens"]["accessToken"]["token"]
    page1 = client.get("/auth/sessions", headers=xh.bearer(access)).json()
    assert len(page1["items"]) == 10 and page1["continuationToken"]
    page2 = client.get(
        "/auth/sessions", headers={**xh.bearer(access), "x-continuation-token": page1["continuationToken"]}
    ).json()
    assert len(page2["items"]) == 2 and not page2.get("continuationToken")
    bad = client.get("/auth/sessions", headers={**xh.bearer(access), "x-continuation-token": "%%%"})
    assert _code(bad) == 21418


def test_unknown_used_and_expired_challenge(client: httpx.Client, simulator: SimulatorServer) -> None:
    ident = xh.person(NIP)
    unknown = xh.sign(xh.auth_token_request("20250625-CR-20F5EE4000-DA48AE4124-46", NIP), ident)
    assert _code(_post_xml(client, unknown)) == 21111

    ch = xh.challenge(client)["challenge"]
    signed = xh.sign(xh.auth_token_request(ch, NIP), ident)
    assert _post_xml(client, signed).status_code == 202
    assert _code(_post_xml(client, signed)) == 21111  # one use

    ch2 = xh.challenge(client)["challenge"]
    doc = simulator.sim.state.get("challenge", ch2)
    assert doc is not None
    doc["timestamp"] = (simulator.sim.now() - timedelta(minutes=11)).isoformat()
    simulator.sim.state.put("challenge", ch2, doc)
    assert _code(_post_xml(client, xh.sign(xh.auth_token_request(ch2, NIP), ident))) == 21111


def test_tampered_signature_is_9105(client: httpx.Client) -> None:
    ch = xh.challenge(client)["challenge"]
    signed = xh.sign(xh.auth_token_request(ch, NIP), xh.person(NIP, "ec"))
    tampered = signed.replace(f"<Nip>{NIP}</Nip>".encode(), f"<Nip>{OTHER_NIP}</Nip>".encode())
    assert tampered != signed
    r = _post_xml(client, tampered)
    assert _code(r) == 9105


def test_no_signature_and_two_signatures(client: httpx.Client) -> None:
    ch = xh.challenge(client)["challenge"]
    plain = xh.auth_token_request(ch, NIP)
    assert _code(_post_xml(client, plain)) == 9102
    signed = etree.fromstring(xh.sign(plain, xh.person(NIP)))
    sig = signed.find("{http://www.w3.org/2000/09/xmldsig#}Signature")
    assert sig is not None
    signed.append(etree.fromstring(etree.tostring(sig)))
    assert _code(_post_xml(client, etree.tostring(signed, xml_declaration=True, encoding="utf-8"))) == 9103


def test_detached_reference_rejected(client: httpx.Client) -> None:
    ch = xh.challenge(client)["challenge"]
    signed = xh.sign(xh.auth_token_request(ch, NIP), xh.person(NIP))
    detached = signed.replace(b'URI=""', b'URI="https://example.invalid/request.xml"')
    assert _code(_post_xml(client, detached)) == 9105


def test_schema_violation_is_21401(client: httpx.Client) -> None:
    signed = xh.sign(xh.auth_token_request("not-a-challenge", NIP), xh.person(NIP))
    assert _code(_post_xml(client, signed)) == 21401


def test_unreadable_and_wrong_encoding(client: httpx.Client) -> None:
    assert _code(_post_xml(client, b"<AuthTokenRequest")) == 21001
    assert _code(_post_xml(client, b'<?xml version="1.0" encoding="ISO-8859-2"?><a/>')) == 21217


def test_problem_details_format(client: httpx.Client) -> None:
    r = client.post(
        "/auth/xades-signature",
        content=b"<x/>",
        headers={"Content-Type": "application/xml", "X-Error-Format": "problem-details"},
    )
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["code"] == 9102


def test_enveloping_signature_and_auth_2_0_namespace(client: httpx.Client) -> None:
    ident = xh.person(NIP)
    ch = xh.challenge(client)["challenge"]
    r = _post_xml(client, xh.sign(xh.auth_token_request(ch, NIP), ident, method="enveloping"))
    assert r.status_code == 202, r.text
    ch = xh.challenge(client)["challenge"]
    xml = xh.auth_token_request(ch, NIP, namespace="http://ksef.mf.gov.pl/auth/token/2.0")
    assert _post_xml(client, xh.sign(xml, ident)).status_code == 202


def test_wrong_context_without_rights_is_415(client: httpx.Client) -> None:
    out = xh.xades_login(client, xh.person(NIP), OTHER_NIP)
    assert out["status"]["status"]["code"] == 415
    assert out["status"]["status"]["details"] == ["Brak przypisanych uprawnień"]
    red = client.post("/auth/token/redeem", headers=xh.bearer(out["init"]["authenticationToken"]["token"]))
    assert _code(red) == 21301


def test_certificate_without_identifiers(client: httpx.Client) -> None:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bez identyfikatora")])
    ident = xh.self_signed(name, xh.new_key("ec"))
    ch = xh.challenge(client)["challenge"]
    assert _code(_post_xml(client, xh.sign(xh.auth_token_request(ch, NIP), ident))) == 21406
    out = xh.xades_login(client, ident, NIP, subject_type="certificateFingerprint")
    assert out["status"]["status"]["code"] == 415  # no permission granted to this fingerprint


def test_nip_vat_ue_context_needs_fingerprint(client: httpx.Client) -> None:
    ch = xh.challenge(client)["challenge"]
    xml = xh.auth_token_request(ch, f"{NIP}-DE123456789", context_type="NipVatUe")
    assert _code(_post_xml(client, xh.sign(xml, xh.person(NIP)))) == 21117


def test_expired_certificate_is_21115(client: httpx.Client) -> None:
    from datetime import UTC, datetime

    old = xh.self_signed(
        xh.person_name(nip=NIP), xh.new_key("ec"), days=1, not_before=datetime.now(UTC) - timedelta(days=5)
    )
    ch = xh.challenge(client)["challenge"]
    assert _code(_post_xml(client, xh.sign(xh.auth_token_request(ch, NIP), old))) == 21115


def test_verify_certificate_chain_refuses_self_signed(client: httpx.Client) -> None:
    ch = xh.challenge(client)["challenge"]
    r = _post_xml(
        client, xh.sign(xh.auth_token_request(ch, NIP), xh.person(NIP)), verifyCertificateChain="true"
    )
    assert r.status_code == 202
    init = r.json()
    status = xh.wait_status(client, init["referenceNumber"], init["authenticationToken"]["token"])
    assert status["status"]["code"] == 460
    assert status["status"]["details"] == ["Niezaufany łańcuch certyfikatów"]


def test_prod_profile_refuses_self_signed(simulator_factory: object) -> None:
    from fakturnik.simulator.config import SimulatorConfig

    server = simulator_factory(SimulatorConfig(profile="prod", rate_limits_enabled=False))  # type: ignore[operator]
    with httpx.Client(base_url=server.base_url, timeout=10) as c:
        out = xh.xades_login(c, xh.person(NIP), NIP)
    assert out["status"]["status"]["code"] == 460


def test_status_needs_the_operation_token(client: httpx.Client) -> None:
    out = xh.xades_login(client, xh.person(NIP), NIP)
    ref = out["referenceNumber"]
    access = out["tokens"]["accessToken"]["token"]
    assert client.get(f"/auth/{ref}", headers=xh.bearer(access)).status_code == 401
    other = xh.xades_login(client, xh.person(NIP), NIP)
    op = other["init"]["authenticationToken"]["token"]
    assert client.get(f"/auth/{ref}", headers=xh.bearer(op)).status_code == 401


def test_allowed_ips_enforced_on_later_calls(client: httpx.Client) -> None:
    out = xh.xades_login(client, xh.person(NIP), NIP, allowed_ips={"ip4Addresses": ["10.1.2.3"]})
    assert out["status"]["status"]["code"] == 200
    r = client.get("/auth/sessions", headers=xh.bearer(out["tokens"]["accessToken"]["token"]))
    assert r.status_code == 403 and r.json()["reasonCode"] == "ip-not-allowed"
    ok = xh.xades_login(client, xh.person(NIP), NIP, allowed_ips={"ip4Masks": ["127.0.0.0/8"]})
    assert (
        client.get("/auth/sessions", headers=xh.bearer(ok["tokens"]["accessToken"]["token"])).status_code
        == 200
    )


@pytest.mark.skipif(shutil.which("xmlsec1") is None, reason="xmlsec1 missing: apt-get install -y xmlsec1")
def test_accepted_signature_verifies_with_xmlsec1(client: httpx.Client, tmp_path: Path) -> None:
    for kind in ("rsa", "ec"):
        ch = xh.challenge(client)["challenge"]
        signed = xh.sign(xh.auth_token_request(ch, NIP), xh.person(NIP, kind))
        assert _post_xml(client, signed).status_code == 202
        path = tmp_path / f"signed-{kind}.xml"
        path.write_bytes(signed)
        res = subprocess.run(
            ["xmlsec1", "--verify", "--enabled-key-data", "x509", "--insecure", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert res.returncode == 0, res.stderr
        path.write_bytes(signed.replace(f"<Nip>{NIP}</Nip>".encode(), f"<Nip>{OTHER_NIP}</Nip>".encode()))
        bad = subprocess.run(
            ["xmlsec1", "--verify", "--insecure", str(path)], capture_output=True, check=False
        )
        assert bad.returncode != 0


def test_auth_status_gone_after_seven_days(client: httpx.Client, simulator: SimulatorServer) -> None:
    out = xh.xades_login(client, xh.person(NIP), NIP)
    doc = simulator.sim.state.get("auth", out["referenceNumber"])
    assert doc is not None
    doc["startDate"] = (simulator.sim.now() - timedelta(days=8)).isoformat()
    simulator.sim.state.put("auth", out["referenceNumber"], doc)
    r = client.get(
        f"/auth/{out['referenceNumber']}", headers=xh.bearer(out["init"]["authenticationToken"]["token"])
    )
    assert r.status_code == 410 and r.json()["title"] == "Gone"


def test_refresh_token_survives_a_restart(tmp_path: Path) -> None:
    from fakturnik.simulator.config import SimulatorConfig

    config = SimulatorConfig(data_dir=tmp_path, rate_limits_enabled=False)
    with SimulatorServer(config) as first, httpx.Client(base_url=first.base_url, timeout=10) as c:
        tokens = xh.xades_login(c, xh.person(NIP), NIP)["tokens"]
    access, refresh = tokens["accessToken"]["token"], tokens["refreshToken"]["token"]
    with SimulatorServer(config) as second, httpx.Client(base_url=second.base_url, timeout=10) as c:
        assert c.get("/auth/sessions", headers=xh.bearer(access)).status_code == 200
        assert c.post("/auth/token/refresh", headers=xh.bearer(refresh)).status_code == 200


def test_peppol_provider_signs_in_and_registers(client: httpx.Client, simulator: SimulatorServer) -> None:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Dostawca Peppol"),
            x509.NameAttribute(NameOID.COMMON_NAME, "PPL123456"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
        ]
    )
    out = xh.xades_login(client, xh.self_signed(name, xh.new_key("ec")), "PPL123456", context_type="PeppolId")
    assert out["status"]["status"]["code"] == 200
    assert out["status"]["authenticationMethod"] == "PeppolSignature"
    assert simulator.sim.state.get("peppol_provider", "PPL123456") is not None
