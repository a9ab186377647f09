"""The token banner and the settings page's move to a KSeF certificate, in headless Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fakturnik.ksef.xades import read_auth_request, sign_auth_request
from tests.ksef.identities import seal_credential
from tests.web.ui.conftest import axe_violations, shot, sign_in


def test_token_banner_and_migration_from_settings(page: Any, demo_login: Any, tmp_path: Path) -> None:
    sign_in(page, demo_login.email, demo_login.password)
    banner = page.locator("#token-banner")
    assert "31.12.2026" in banner.inner_text() and "zostało" in banner.inner_text()
    page.goto("/ustawienia")
    assert not axe_violations(page)
    with page.expect_download() as info:
        page.click("#cert-request")
    unsigned = Path(info.value.path()).read_bytes()
    company_nip = read_auth_request(unsigned).context.value
    signed = tmp_path / "podpisany.xml"
    signed.write_bytes(sign_auth_request(unsigned, seal_credential(company_nip)))
    page.set_input_files("#signed", str(signed))
    page.click("#cert-migrate")
    result = page.locator("#migration-result")
    assert "certyfikatem" in result.inner_text(), result.inner_text()
    assert page.locator("#token-banner").count() == 0
    assert page.locator("#certificates tbody tr").count() == 2
    assert "Offline" in page.locator("#certificates").inner_text()
    assert "PRIVATE" not in page.content()
    shot(page, "settings-certificates")
