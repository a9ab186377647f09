"""No secret in any answer or log: KSeF token, certificate key and its password, API keys, webhook
secrets, passwords, session cookies. Credentials come back only as kind, subject, serial, expiry."""

from __future__ import annotations

import base64
import logging

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from tests.ksef.identities import seal_credential
from tests.web.api.harness import ApiServer
from tests.web.api.helpers import PASSWORD, make_tenant


def test_secrets_never_come_back(local_server: ApiServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    tenant = make_tenant(local_server, "sekrety@firma.pl", "5265877635")
    cid = tenant.company_id
    token = "ksef-token-" + "7" * 40
    key_password = "Haslo-Do-Klucza-99"
    cred = seal_credential(tenant.nip)
    key_pem = cred.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(key_password.encode()),
    ).decode()
    cert_pem = cred.certificate.public_bytes(serialization.Encoding.PEM).decode()
    p12 = pkcs12.serialize_key_and_certificates(
        b"ksef", cred.private_key, cred.certificate, None, serialization.BestAvailableEncryption(b"p12-haslo")
    )
    answers = []
    browser = tenant.browser()
    with tenant.api() as api:
        r = browser.put(f"/companies/{cid}/credentials", json={"kind": "ksef_token", "token": token})
        assert r.status_code == 200 and r.json()["kind"] == "ksef_token", r.text
        answers.append(r.text)
        r = browser.put(
            f"/companies/{cid}/credentials",
            json={
                "kind": "certificate",
                "certificate_pem": cert_pem,
                "private_key_pem": key_pem,
                "password": key_password,
            },
        )
        assert r.status_code == 200, r.text
        info = r.json()
        assert (
            info["kind"] == "certificate"
            and info["serial"]
            and info["not_after"]
            and "VATPL" in info["subject"]
        )
        answers.append(r.text)
        wrong = browser.put(
            f"/companies/{cid}/credentials",
            json={
                "kind": "certificate",
                "certificate_pem": cert_pem,
                "private_key_pem": key_pem,
                "password": "zle",
            },
        )
        assert wrong.status_code == 422 and "zle" not in wrong.text
        answers.append(wrong.text)
        r = browser.put(
            f"/companies/{cid}/credentials",
            json={"kind": "pkcs12", "pkcs12_base64": base64.b64encode(p12).decode(), "password": "p12-haslo"},
        )
        assert r.status_code == 200 and r.json()["kind"] == "certificate", r.text
        hook = api.post(
            f"/companies/{cid}/webhooks", json={"url": "https://erp.example.pl/h", "events": ["received.new"]}
        )
        webhook_secret = hook.json()["secret"]
        second = browser.post(
            f"/companies/{cid}/api-keys", json={"name": "drugi", "scopes": ["invoices:read"]}
        )
        second_key = second.json()["token"]
        for path in ("", "/credentials", "/api-keys", "/webhooks", "/audit", "/members", "/availability"):
            answers.append(browser.get(f"/companies/{cid}{path}").text)
        answers.append(browser.get("/me").text)
        bad_login = local_server.client().post(
            "/session", json={"email": tenant.email, "password": "zle-haslo-123"}
        )
        assert bad_login.status_code == 401
        answers.append(bad_login.text)
    session_cookie = browser.cookies.get("fakturnik_session")
    secrets = {
        "KSeF token": token,
        "key password": key_password,
        "private key": key_pem.splitlines()[1],
        "p12 password": "p12-haslo",
        "API key": tenant.key,
        "second API key": second_key,
        "webhook secret": webhook_secret,
        "password": PASSWORD,
        "wrong password": "zle-haslo-123",
        "session": session_cookie or "",
    }
    # the server's logs (uvicorn, fakturnik, sqlalchemy); httpcore/httpx DEBUG records are this test's client
    logs = "\n".join(
        f"{r.name}: {r.getMessage()}" for r in caplog.records if not r.name.startswith(("httpcore", "httpx"))
    )
    for label, secret in secrets.items():
        assert secret
        for text in answers:
            assert secret not in text, f"{label} in an answer"
        assert secret not in logs, (
            f"{label} in the log: " + next(x for x in logs.splitlines() if secret in x)[:300]
        )
    assert "whsec_" not in "".join(answers)
