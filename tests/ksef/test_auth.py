"""Authentication against the simulator over real HTTP: XAdES (RSA, EC), KSeF token, signed file,
refresh ahead of expiry once under a lock, renewal and replay after a 401, failure statuses."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from fakturnik.base.ksef_numbers import make_internal_id
from fakturnik.errors import KsefAuthError
from fakturnik.ksef.auth import (
    AuthManager,
    AuthTokens,
    BearerToken,
    choose_certificate,
    finish_with_signed_request,
    prepare_signed_request,
)
from fakturnik.ksef.context import ContextIdentifier
from fakturnik.ksef.credentials import CertificateCredential
from fakturnik.ksef.environments import local
from fakturnik.ksef.transport import Transport
from fakturnik.ksef.xades import AUTH_NS, read_auth_request, sign_auth_request
from fakturnik.simulator.server import SimulatorServer
from tests.ksef.identities import person_credential, random_nip, seal_credential
from tests.threads import run_threads


@pytest.fixture
def transport(simulator: SimulatorServer) -> Iterator[Transport]:
    t = Transport(local(simulator.root_url))
    yield t
    t.close()


def _stats(server: SimulatorServer) -> dict[str, object]:
    body: dict[str, object] = httpx.get(server.root_url + "/admin/stats").json()
    return body


def _count(server: SimulatorServer, method: str, route: str, status: int | None = None) -> int:
    rows = _stats(server)["byRoute"]
    assert isinstance(rows, list)
    return sum(
        r["count"]
        for r in rows
        if r["method"] == method
        and r["route"].removeprefix("/v2") == route.removeprefix("/v2")
        and (status is None or r["status"] == status)
    )


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda nip: person_credential(nip, "rsa"), id="person-rsa"),
        pytest.param(lambda nip: person_credential(nip, "ec"), id="person-ec"),
        pytest.param(lambda nip: seal_credential(nip, "ec"), id="seal-ec"),
        pytest.param(lambda nip: seal_credential(nip, "rsa"), id="seal-rsa"),
    ],
)
def test_xades_login(transport: Transport, make: object) -> None:
    nip = random_nip()
    credential: CertificateCredential = make(nip)  # type: ignore[operator]
    manager = AuthManager.with_certificate(transport, ContextIdentifier.nip(nip), credential)
    assert manager.tokens is None  # lazy
    limits = manager.api.request("GET", "/rate-limits").json()
    assert "invoiceSend" in limits
    assert manager.tokens is not None and manager.reference_number
    manager.api.request("GET", "/limits/context")
    assert manager.authentications == 1


def test_ksef_token_login(simulator: SimulatorServer, transport: Transport) -> None:
    nip = random_nip()
    context = ContextIdentifier.nip(nip)
    owner = AuthManager.with_certificate(transport, context, person_credential(nip))
    created = owner.api.request(
        "POST",
        "/tokens",
        json={"permissions": ["InvoiceRead", "InvoiceWrite"], "description": "Fakturnik test"},
    ).json()
    manager = AuthManager.with_ksef_token(transport, context, created["token"])
    assert manager.api.request("GET", "/rate-limits").status_code == 200
    assert manager.authentications == 1
    assert _count(simulator, "POST", "/v2/auth/ksef-token", 202) == 1


def test_wrong_ksef_token_ends_with_status_450(transport: Transport) -> None:
    nip = random_nip()
    bogus = "20250101-EC-1111111111-2222222222-AB|" + "f" * 64
    manager = AuthManager.with_ksef_token(transport, ContextIdentifier.nip(nip), bogus)
    with pytest.raises(KsefAuthError) as info:
        manager.bearer("access")
    assert info.value.status_code == 450
    assert "450" in str(info.value)


def test_no_permissions_in_context_ends_with_415(transport: Transport) -> None:
    mine, theirs = random_nip(), random_nip()
    manager = AuthManager.with_certificate(transport, ContextIdentifier.nip(theirs), person_credential(mine))
    with pytest.raises(KsefAuthError) as info:
        manager.login()
    assert info.value.status_code == 415


def test_internal_id_context(transport: Transport) -> None:
    nip = random_nip()
    context = ContextIdentifier.internal_id(make_internal_id(nip, "0042"))
    manager = AuthManager.with_certificate(transport, context, seal_credential(nip))
    assert manager.api.request("GET", "/rate-limits").status_code == 200
    assert manager.context_key == f"InternalId:{context.value}"


def test_nip_vat_ue_context_with_certificate_fingerprint(
    simulator: SimulatorServer, transport: Transport
) -> None:
    """An EU entity's representative: NipVatUe contexts identify the subject by certificate fingerprint."""
    from fakturnik.simulator import grants

    nip = random_nip()
    context = ContextIdentifier.nip_vat_ue(f"{nip}-DE123456789")
    credential = seal_credential(random_nip(), "ec", organization="Beispiel GmbH")
    grants.store_grants(
        simulator.sim,
        [
            grants.new_grant(
                kind="euRep",
                context=("NipVatUe", context.value),
                authorized=("Fingerprint", credential.fingerprint),
                author=("Nip", nip),
                scope="InvoiceRead",
                description="test",
                now=datetime.now(UTC),
            )
        ],
    )
    manager = AuthManager.with_certificate(
        transport, context, credential, subject_type="certificateFingerprint"
    )
    assert manager.api.request("GET", "/rate-limits").status_code == 200


def test_refresh_ahead_of_expiry_happens_once_under_the_lock(
    simulator: SimulatorServer, transport: Transport
) -> None:
    nip = random_nip()
    manager = AuthManager.with_certificate(
        transport, ContextIdentifier.nip(nip), person_credential(nip, "ec")
    )
    tokens = manager.login()
    # pretend the access token expires in 10 s (the margin is 60 s)
    manager._tokens = AuthTokens(
        tokens.reference_number,
        BearerToken(tokens.access.token, datetime.now(UTC) + timedelta(seconds=10)),
        tokens.refresh,
    )
    seen: list[str] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        seen.append(manager.bearer("access"))

    run_threads([worker] * 8)
    assert manager.refreshes == 1
    assert len(set(seen)) == 1 and seen[0] != tokens.access.token
    assert _count(simulator, "POST", "/v2/auth/token/refresh") == 1
    assert manager.authentications == 1


def test_401_renews_and_replays_once(simulator: SimulatorServer, transport: Transport) -> None:
    nip = random_nip()
    manager = AuthManager.with_certificate(transport, ContextIdentifier.nip(nip), seal_credential(nip))
    tokens = manager.login()
    broken = BearerToken(
        "eyJhbGciOiJIUzI1NiJ9.eyJ4IjoxfQ.c2lnbmF0dXJl", datetime.now(UTC) + timedelta(hours=1)
    )
    manager._tokens = AuthTokens(tokens.reference_number, broken, tokens.refresh)
    assert manager.api.request("GET", "/rate-limits").status_code == 200
    assert manager.refreshes == 1 and manager.authentications == 1
    assert _count(simulator, "GET", "/v2/rate-limits", 401) == 1


def test_revoked_refresh_token_falls_back_to_a_new_login(transport: Transport) -> None:
    nip = random_nip()
    manager = AuthManager.with_certificate(transport, ContextIdentifier.nip(nip), person_credential(nip))
    tokens = manager.login()
    transport.request("DELETE", "/auth/sessions/current", bearer=tokens.refresh.token)
    expired = BearerToken(tokens.access.token, datetime.now(UTC))
    manager._tokens = AuthTokens(tokens.reference_number, expired, tokens.refresh)
    assert manager.api.request("GET", "/rate-limits").status_code == 200
    assert manager.authentications == 2
    assert manager.reference_number != tokens.reference_number


def test_signed_file_first_login(transport: Transport) -> None:
    nip = random_nip()
    context = ContextIdentifier.nip(nip)
    unsigned = prepare_signed_request(transport, context)
    assert AUTH_NS.encode() in unsigned and b"Signature" not in unsigned
    request = read_auth_request(unsigned)
    assert request.context == context and request.subject_type == "certificateSubject"
    # ... a person signs it elsewhere (here: with a test certificate) and hands the file back
    signed = sign_auth_request(unsigned, person_credential(nip, "ec"))
    manager = finish_with_signed_request(transport, signed)
    assert manager.context == context
    assert manager.api.request("GET", "/rate-limits").status_code == 200
    # without stored credentials the manager cannot log in again on its own
    manager._tokens = None
    with pytest.raises(KsefAuthError):
        manager.bearer("access")


def test_signed_file_for_another_context_is_refused(transport: Transport) -> None:
    nip, other = random_nip(), random_nip()
    unsigned = prepare_signed_request(transport, ContextIdentifier.nip(nip))
    signed = sign_auth_request(unsigned, person_credential(nip))
    manager = AuthManager(transport, ContextIdentifier.nip(other), None)
    with pytest.raises(KsefAuthError):
        manager.finish_with_signed_request(signed)


def test_logout_revokes_the_session(transport: Transport) -> None:
    nip = random_nip()
    manager = AuthManager.with_certificate(transport, ContextIdentifier.nip(nip), person_credential(nip))
    tokens = manager.login()
    manager.logout()
    assert manager.tokens is None
    with pytest.raises(Exception):  # noqa: B017 - the refresh token no longer works
        transport.request("POST", "/auth/token/refresh", bearer=tokens.refresh.token)


def test_choose_certificate_prefers_latest_valid() -> None:
    from cryptography.hazmat.primitives import serialization

    from fakturnik.ksef.crypto import b64

    cred = person_credential(random_nip())
    der = b64(cred.certificate.public_bytes(serialization.Encoding.DER))
    now = datetime(2026, 1, 10, tzinfo=UTC)
    items = [
        {
            "certificate": der,
            "publicKeyId": "old",
            "validFrom": "2025-01-01T00:00:00Z",
            "validTo": "2027-01-01T00:00:00Z",
            "usage": ["KsefTokenEncryption"],
        },
        {
            "certificate": der,
            "publicKeyId": "new",
            "validFrom": "2026-01-01T00:00:00Z",
            "validTo": "2027-01-01T00:00:00Z",
            "usage": ["KsefTokenEncryption", "SymmetricKeyEncryption"],
        },
        {
            "certificate": der,
            "publicKeyId": "future",
            "validFrom": "2026-06-01T00:00:00Z",
            "validTo": "2027-01-01T00:00:00Z",
            "usage": ["KsefTokenEncryption"],
        },
        {
            "certificate": der,
            "publicKeyId": "other",
            "validFrom": "2026-01-05T00:00:00Z",
            "validTo": "2027-01-01T00:00:00Z",
            "usage": ["SymmetricKeyEncryption"],
        },
    ]
    assert choose_certificate(items, "KsefTokenEncryption", now).public_key_id == "new"
    with pytest.raises(KsefAuthError):
        choose_certificate(items[3:], "KsefTokenEncryption", now)


def test_public_keys_are_cached_between_token_logins(
    simulator: SimulatorServer, transport: Transport
) -> None:
    nip = random_nip()
    context = ContextIdentifier.nip(nip)
    owner = AuthManager.with_certificate(transport, context, person_credential(nip))
    secret = owner.api.request(
        "POST", "/tokens", json={"permissions": ["InvoiceRead"], "description": "cache"}
    )
    for _ in range(2):
        AuthManager.with_ksef_token(transport, context, secret.json()["token"]).login()
    assert _count(simulator, "GET", "/security/public-key-certificates") == 1
    assert _count(simulator, "POST", "/auth/ksef-token", 202) == 2


def test_expiry_is_judged_on_the_server_clock() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    valid_until = now + timedelta(minutes=15)
    # our clock runs 20 minutes fast: without the skew every token would look expired at once
    fast = BearerToken("x" * 20, valid_until, skew=timedelta(minutes=-20))
    assert not fast.expires_within(60, now=now + timedelta(minutes=20))
    assert fast.expires_within(60, now=now + timedelta(minutes=34, seconds=30))
    assert "xxxxxxxx" not in repr(fast)


def test_clock_skew_from_the_date_header() -> None:
    from email.utils import format_datetime

    from fakturnik.ksef.auth import clock_skew

    ahead = datetime.now(UTC) + timedelta(minutes=5)
    response = httpx.Response(200, headers={"Date": format_datetime(ahead, usegmt=True)})
    assert abs(clock_skew(response) - timedelta(minutes=5)) < timedelta(seconds=3)
    assert clock_skew(httpx.Response(200)) == timedelta(0)


def test_rotated_public_key_is_fetched_again_after_21470(
    simulator: SimulatorServer, transport: Transport
) -> None:
    """A cached Ministry key that KSeF no longer knows (rotation) → 21470 → fetch the keys, try again."""
    import time

    from cryptography.hazmat.primitives import serialization

    from fakturnik.ksef import auth as auth_module
    from fakturnik.ksef.crypto import b64

    nip = random_nip()
    context = ContextIdentifier.nip(nip)
    owner = AuthManager.with_certificate(transport, context, person_credential(nip))
    secret = owner.api.request(
        "POST", "/tokens", json={"permissions": ["InvoiceRead"], "description": "rotation"}
    )
    retired = person_credential(random_nip(), "rsa").certificate
    now = datetime.now(UTC)
    auth_module._certificate_cache[transport.env.api_url] = (
        time.monotonic(),
        [
            {
                "certificate": b64(retired.public_bytes(serialization.Encoding.DER)),
                "publicKeyId": "A" * 43 + "=",
                "validFrom": (now - timedelta(days=1)).isoformat(),
                "validTo": (now + timedelta(days=1)).isoformat(),
                "usage": ["KsefTokenEncryption"],
            }
        ],
    )
    AuthManager.with_ksef_token(transport, context, secret.json()["token"]).login()
    assert _count(simulator, "POST", "/auth/ksef-token", 400) == 1
    assert _count(simulator, "POST", "/auth/ksef-token", 202) == 1
    assert _count(simulator, "GET", "/security/public-key-certificates") == 1


def test_on_tokens_sees_every_new_session_and_refresh(transport: Transport) -> None:
    nip = random_nip()
    seen: list[AuthTokens] = []
    manager = AuthManager.with_certificate(
        transport, ContextIdentifier.nip(nip), person_credential(nip), on_tokens=seen.append
    )
    tokens = manager.login()
    manager._tokens = AuthTokens(
        tokens.reference_number, BearerToken(tokens.access.token, datetime.now(UTC)), tokens.refresh
    )
    manager.bearer("access")
    assert len(seen) == 2
    assert seen[0] is tokens and seen[1].access.token != tokens.access.token
    assert seen[1].refresh.token == tokens.refresh.token


@pytest.mark.parametrize("method", ["xades", "token"])
def test_authorization_policy_restricts_the_session_to_allowed_ips(transport: Transport, method: str) -> None:
    from fakturnik.errors import KsefApiError
    from fakturnik.ksef.xades import AllowedIps

    nip = random_nip()
    context = ContextIdentifier.nip(nip)
    credential = person_credential(nip, "ec")
    elsewhere, here = AllowedIps(addresses=("10.1.2.3",)), AllowedIps(masks=("127.0.0.0/8",))
    if method == "xades":
        managers = [
            AuthManager.with_certificate(transport, context, credential, allowed_ips=ips)
            for ips in (elsewhere, here)
        ]
    else:
        owner = AuthManager.with_certificate(transport, context, credential)
        created = owner.api.request(
            "POST", "/tokens", json={"permissions": ["InvoiceRead"], "description": "ip test"}
        )
        managers = [
            AuthManager.with_ksef_token(transport, context, created.json()["token"], allowed_ips=ips)
            for ips in (elsewhere, here)
        ]
    with pytest.raises(KsefApiError) as info:
        managers[0].api.request("GET", "/rate-limits")
    assert info.value.status_code == 403 and info.value.reason_code == "ip-not-allowed"
    assert managers[1].api.request("GET", "/rate-limits").status_code == 200
