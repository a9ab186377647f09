"""The token banner and the settings page's move to a KSeF certificate, in headless Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.web.ui.conftest import axe_violations, shot, sign_in, signed_request


def test_token_banner_and_migration_from_settings(page: Any, demo_login: Any, tmp_path: Path) -> None:
    sign_in(page, demo_login.email, demo_login.password)
    banner = page.locator("#token-banner")
    assert "31.12.2026" in banner.inner_text() and "zostało" in banner.inner_text()
    page.goto("/ustawienia")
    assert not axe_violations(page)
    signed = signed_request(page, "#cert-request", tmp_path)
    page.set_input_files("#signed", str(signed))
    page.click("#cert-migrate")
    result = page.locator("#migration-result")
    assert "certyfikatem" in result.inner_text(), result.inner_text()
    assert page.locator("#token-banner").count() == 0
    assert page.locator("#certificates tbody tr").count() == 2
    assert "Offline" in page.locator("#certificates").inner_text()
    assert "PRIVATE" not in page.content()
    shot(page, "settings-certificates")
