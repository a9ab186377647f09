"""Secrets (KSeF tokens, private keys, passwords, access/refresh/operation tokens) never show up in logs,
reprs or exception texts – checked over full authentications against the simulator at DEBUG level."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization

from fakturnik.errors import KsefApiError, KsefAuthError
from fakturnik.ksef.auth import AuthManager, AuthTokens, BearerToken, KsefTokenAuthenticator
from fakturnik.ksef.context import ContextIdentifier
from fakturnik.ksef.credentials import KsefTokenCredential, load_pkcs12, save_pkcs12
from fakturnik.ksef.environments import local
from fakturnik.ksef.problems import error_for
from fakturnik.ksef.redaction import redact
from fakturnik.ksef.transport import Transport
from fakturnik.simulator.server import SimulatorServer
from tests.ksef.identities import person_credential, random_nip

P12_PASSWORD = b"haslo-do-pliku-p12-XYZ"


def _key_material(credential: object) -> list[str]:
    key = credential.private_key  # type: ignore[attr-defined]
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    body = [line for line in pem.splitlines() if line and not line.startswith("-----")]
    return ["PRIVATE KEY", *body]


def test_full_auth_leaks_nothing(simulator: SimulatorServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: ours, httpx, httpcore, signxml
    transport = Transport(local(simulator.root_url))
    nip = random_nip()
    context = ContextIdentifier.nip(nip)
    credential = load_pkcs12(save_pkcs12(person_credential(nip, "ec"), P12_PASSWORD), P12_PASSWORD)
    errors: list[BaseException] = []

    owner = AuthManager.with_certificate(transport, context, credential)
    created = owner.api.request(
        "POST", "/tokens", json={"permissions": ["InvoiceRead"], "description": "sekret w logach?"}
    ).json()
    ksef_token = created["token"]

    manager = AuthManager.with_ksef_token(transport, context, ksef_token)
    tokens = manager.login()
    # a 401 with a broken access token: renewal and replay, all logged at DEBUG
    broken = BearerToken("eyJhbGciOiJIUzI1NiJ9.eyJicm9rZW4iOnRydWV9.c2lnbmF0dXJl", tokens.access.valid_until)
    manager._tokens = AuthTokens(tokens.reference_number, broken, tokens.refresh)
    manager.api.request("GET", "/rate-limits")
    # refresh ahead of expiry
    current = manager.tokens
    assert current is not None
    manager._tokens = AuthTokens(
        current.reference_number,
        BearerToken(current.access.token, datetime.now(UTC) + timedelta(seconds=5)),
        current.refresh,
    )
    manager.bearer("access")
    # failures: a wrong KSeF token, a call with a bearer KSeF refuses
    wrong = ksef_token[:-6] + "000000"
    try:
        AuthManager.with_ksef_token(transport, context, wrong).login()
    except KsefAuthError as exc:
        errors.append(exc)
    try:
        transport.request("GET", "/rate-limits", bearer=tokens.access.token + "x")
    except KsefApiError as exc:
        errors.append(exc)
    assert len(errors) == 2
    final = manager.tokens
    assert final is not None

    secrets = [
        ksef_token,
        wrong,
        ksef_token.split("|", 1)[1],
        P12_PASSWORD.decode(),
        tokens.access.token,
        tokens.refresh.token,
        final.access.token,
        owner.tokens.access.token if owner.tokens else "",
        *_key_material(credential),
    ]
    texts = {
        "logs": caplog.text,
        "reprs": " ".join(
            repr(x)
            for x in (
                manager,
                owner,
                tokens,
                final,
                final.access,
                credential,
                KsefTokenCredential.of(ksef_token),
                KsefTokenAuthenticator(KsefTokenCredential.of(ksef_token)),
                owner.authenticator,
                transport,
                manager.api,
            )
        ),
        "errors": " ".join(str(e) + repr(e) + repr(e.args) for e in errors),
    }
    assert "/v2/auth/ksef-token" in caplog.text  # the logs are really there
    for where, text in texts.items():
        for secret in secrets:
            if secret:
                assert secret not in text, f"a secret leaked into {where}"
        assert "eyJ" not in text, f"a JWT leaked into {where}"
        assert "Bearer " + "e" not in text
    transport.close()


def test_error_texts_are_redacted() -> None:
    token = KsefTokenCredential.of("20250101-EC-0000000000-0000000000-00|to-jest-tajny-token-123")
    body = (
        b'{"title":"Bad Request","status":400,"errors":[{"code":21405,"description":"Zly token '
        + token.token.reveal().encode()
        + b'","details":["Authorization: Bearer eyJhbGciOi.eyJzdWIiOjF9.abcdef"]}]}'
    )
    error = error_for(400, "application/problem+json", body)
    text = str(error)
    assert "to-jest-tajny-token-123" not in text
    assert "eyJ" not in text
    assert "21405" in text and "<redacted>" in text
    everything = repr(error.details)
    assert "to-jest-tajny-token-123" not in everything and "eyJ" not in everything
    assert redact("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----") == "<redacted>"
