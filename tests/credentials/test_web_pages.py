"""The certificates page and the health check page of the web app, driven over HTTP as a browser would
(a signed-in owner, forms with their CSRF token; the simulator behind the server)."""

from __future__ import annotations

import re

import httpx

from fakturnik.ksef.xades import sign_auth_request
from tests.credentials.test_rest import local_server  # noqa: F401 - the fixture
from tests.ksef.identities import seal_credential
from tests.web.api.harness import ApiServer
from tests.web.api.helpers import make_tenant


def _browser(server: ApiServer, session: httpx.Client, csrf: str) -> httpx.Client:
    client = httpx.Client(base_url=server.url, timeout=60, follow_redirects=False)
    client.cookies = session.cookies
    client.headers["Origin"] = server.url
    client.headers["X-CSRF-Token"] = csrf
    return client


def _status(html: str, check: str) -> str:
    found = re.search(rf'id="check-{check}" data-status="(\w+)"', html)
    assert found, html
    return found.group(1)


def test_certificates_and_doctor_pages(local_server: ApiServer) -> None:  # noqa: F811
    tenant = make_tenant(local_server, "strony@firma.pl", "5265877635")
    assert tenant.session is not None
    with _browser(local_server, tenant.session, tenant.csrf) as web:
        settings = web.get("/ustawienia")
        assert settings.status_code == 200 and 'href="/ustawienia/certyfikaty"' in settings.text

        doctor = web.get("/diagnostyka")
        assert doctor.status_code == 200, doctor.text
        assert _status(doctor.text, "environment") == "ok" and _status(doctor.text, "login") == "ok"
        assert _status(doctor.text, "expiry") == "warn" and "31.12.2026" in doctor.text

        page = web.get("/ustawienia/certyfikaty")
        assert page.status_code == 200 and "nie ma jeszcze certyfikatów" in page.text
        assert 'id="cert-login-request"' in page.text  # on a token: the first-login file is offered

        unsigned = web.post("/ustawienia/certyfikat/wniosek")
        assert unsigned.status_code == 200 and unsigned.headers["content-type"].startswith("application/xml")
        signed = sign_auth_request(unsigned.content, seal_credential(tenant.nip))
        done = web.post(
            "/ustawienia/certyfikaty/wystaw",
            data={"authentication": "1", "offline": "1"},
            files={"signed": ("podpisany.xml", signed, "application/xml")},
        )
        assert done.status_code == 200, done.text
        assert 'id="cert-outcome"' in done.text and "Wystawiono certyfikaty KSeF" in done.text
        assert done.text.count('<tr id="cert-') == 2 and "PRIVATE" not in done.text
        assert "certyfikat KSeF" in re.search(r'id="login-kind">(.*?)</strong>', done.text).group(1)  # type: ignore[union-attr]
        assert 'id="token-banner"' not in done.text

        bad = web.post("/ustawienia/certyfikaty/zasady", data={"margin_days": "0"})
        assert bad.status_code == 422 and "od 1 do 365" in bad.text
        saved = web.post("/ustawienia/certyfikaty/zasady", data={"margin_days": "40", "auto_renew": "1"})
        assert saved.status_code == 303
        assert 'value="40"' in web.get("/ustawienia/certyfikaty").text

        offline = re.search(r'<tr id="cert-([0-9A-F]{16})">\s*<td>Offline', done.text)
        assert offline, done.text
        revoked = web.post("/ustawienia/certyfikaty/uniewaznij", data={"serial": offline.group(1)})
        assert revoked.status_code == 200 and "unieważniony w KSeF" in revoked.text
        nonsense = web.post("/ustawienia/certyfikaty/uniewaznij", data={"serial": "zzz"})
        assert nonsense.status_code == 409 and "nie ma certyfikatu" in nonsense.text

        doctor = web.get("/diagnostyka")
        assert _status(doctor.text, "login") == "ok" and _status(doctor.text, "expiry") == "ok"
        assert _status(doctor.text, "offline") == "warn"  # revoked just now: the page says what to do
        assert web.post("/ustawienia/certyfikaty/odswiez").status_code == 200

        no_csrf = httpx.post(
            local_server.url + "/ustawienia/certyfikaty/odnow", cookies=tenant.session.cookies
        )
        assert no_csrf.status_code in (403, 400)
