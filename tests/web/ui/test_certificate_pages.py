"""The certificates page and the health check page in headless Chromium (Debian's), as the demo's owner:
first login with a signed file, both certificates, the health check, revoking the Offline one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.web.ui.conftest import axe_violations, sign_in, signed_request


def test_certificates_page_and_doctor_in_the_browser(page: Any, demo_login: Any, tmp_path: Path) -> None:
    sign_in(page, demo_login.email, demo_login.password)
    page.goto("/ustawienia")
    page.click("#certificates-link")
    page.wait_for_url("**/ustawienia/certyfikaty")
    assert not axe_violations(page)
    signed = signed_request(page, "#cert-login-request", tmp_path)
    page.set_input_files("#signed", str(signed))
    page.click("#cert-enroll")
    outcome = page.locator("#cert-outcome")
    assert "Wystawiono certyfikaty KSeF" in outcome.inner_text(), outcome.inner_text()
    assert page.locator("#certificates tbody tr").count() == 2
    assert page.locator("#token-banner").count() == 0
    assert "PRIVATE" not in page.content()
    assert not axe_violations(page)

    page.click("#doctor-link")
    page.wait_for_url("**/diagnostyka")
    assert page.locator("#check-login").get_attribute("data-status") == "ok"
    assert page.locator("#check-expiry").get_attribute("data-status") == "ok"
    assert "Logowanie certyfikatem KSeF udane" in page.locator("#doctor").inner_text()
    assert not axe_violations(page)

    page.goto("/ustawienia/certyfikaty")
    offline = page.locator("#certificates tbody tr", has_text="Offline")
    offline.locator("button").click()
    assert "unieważniony w KSeF" in page.locator("#cert-outcome").inner_text()
    assert "unieważniony" in page.locator("#certificates tbody tr", has_text="Offline").inner_text()
