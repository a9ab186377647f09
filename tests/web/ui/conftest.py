"""Browser tests of the web app: a real ``fakturnik serve`` app (uvicorn on 127.0.0.1, a free port, SQLite,
the embedded KSeF simulator, the demo seeding) and Debian's Chromium, headless, driven by Playwright."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("FAKTURNIK_MASTER_KEY", secrets.token_hex(32))

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
AXE = Path(__file__).parent / "vendor" / "axe-4.11.0.min.js"


def _playwright() -> Any:
    return pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    sync_api = _playwright()
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--lang=pl-PL"])
        yield b
        b.close()


WHITE_LIST = {
    "7740001454": {"name": "KLIENT SPÓŁKA AKCYJNA", "workingAddress": "UL. DŁUGA 2, 30-001 KRAKÓW"},
    "5213017228": {"name": "NOWA FIRMA JANINA KOWALSKA", "workingAddress": "UL. KWIATOWA 7, 02-001 WARSZAWA"},
}


@contextmanager
def web_server(data_dir: Path, *, demo: bool) -> Iterator[Any]:
    """``fakturnik serve`` on 127.0.0.1 (a free port): SQLite in ``data_dir``, the embedded simulator, the
    fake VAT white list; with ``demo`` the demo company and its owner are seeded."""
    from fakturnik.app.whitelist_fake import FakeWhiteList
    from tests.web.api.harness import api_server

    with (
        FakeWhiteList(WHITE_LIST) as white_list,
        api_server(data_dir, env="local", demo=demo, webhooks=False, whitelist_url=white_list.url) as server,
    ):
        yield server


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with web_server(tmp_path_factory.mktemp("web"), demo=True) as server:
        yield server


@pytest.fixture(scope="module")
def demo_login(app_server: Any) -> Any:
    from fakturnik.web.ui.demo import current

    info = current()
    assert info is not None
    return info


@pytest.fixture
def page(browser: Any, app_server: Any) -> Iterator[Any]:
    context = browser.new_context(
        base_url=app_server.url, locale="pl-PL", viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("dialog", lambda dialog: errors.append("dialog: " + dialog.message))
    yield pg
    context.close()
    assert not [e for e in errors if "dialog" in e], errors  # no script ever ran an alert()


def sign_in(page: Any, email: str, password: str) -> None:
    page.goto("/logowanie")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/faktury**")


def signed_request(page: Any, selector: str, tmp_path: Path) -> Path:
    """Download the login request behind ``selector`` and sign it, as the owner does outside Fakturnik,
    with a company seal for the request's NIP; the signed file."""
    from fakturnik.ksef.xades import read_auth_request, sign_auth_request
    from tests.ksef.identities import seal_credential

    with page.expect_download() as info:
        page.click(selector)
    unsigned = Path(info.value.path()).read_bytes()
    nip = read_auth_request(unsigned).context.value
    signed = tmp_path / "podpisany.xml"
    signed.write_bytes(sign_auth_request(unsigned, seal_credential(nip)))
    return signed


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical accessibility violations found by axe-core run in the page."""
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]


def download(page: Any, selector: str, tmp_path: Path) -> tuple[str, bytes]:
    """Click a download link the way a person does; the file's suggested name and bytes."""
    with page.expect_download() as info:
        page.click(selector)
    dl = info.value
    assert dl.failure() is None, dl.failure()
    target = tmp_path / dl.suggested_filename
    dl.save_as(str(target))
    return str(dl.suggested_filename), target.read_bytes()


def pdf_text(data: bytes) -> str:
    """The text of a PDF as poppler's ``pdftotext`` reads it (layout kept, so a number stays on one line)."""
    import shutil
    import subprocess

    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdftotext) is not installed")
    assert data.startswith(b"%PDF-"), data[:20]
    done = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"],
        input=data,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return done.stdout.decode("utf-8")
