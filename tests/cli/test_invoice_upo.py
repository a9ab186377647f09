"""``fakturnik invoices upo``: the invoice's UPO and (--session) the UPO of its KSeF session, from the
store an engine filled against the embedded simulator."""

from __future__ import annotations

import secrets
import time
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fakturnik.app import Fakturnik
from fakturnik.cli.main import app
from fakturnik.engine.planner import PlannerSettings
from fakturnik.engine.settings import EngineSettings
from fakturnik.vault import ENV_MASTER_KEY
from tests.app.kit import NIP_A, draft


@pytest.fixture
def filled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[int], list[str]]:
    """A data dir with 3 invoices accepted in one batch session whose UPO came in 2 pages."""
    from fakturnik.engine import worker
    from fakturnik.simulator import upo

    monkeypatch.setenv(ENV_MASTER_KEY, secrets.token_hex(32))
    monkeypatch.setattr(upo, "PAGE_SIZE", 2)
    monkeypatch.setattr(worker, "UPO_RETRY_EVERY", 1.0)
    data = tmp_path / "data"
    settings = replace(EngineSettings.fast(), planner=PlannerSettings(batch_min_invoices=3))
    with Fakturnik.open(data, simulator=True, settings=settings) as fk:
        a = fk.companies.add(NIP_A, "Firma A", environment="local").id
        ids = [i.invoice.id for i in fk.invoices.issue_many(a, [draft() for _ in range(3)]).items]
        with fk.running_worker():
            deadline = time.monotonic() + 60
            while not all(fk.invoices.get(a, i).session_upo_available for i in ids):
                assert time.monotonic() < deadline
                time.sleep(0.2)
            numbers = [fk.invoices.get(a, i).ksef_number or "" for i in ids]
            deadline = time.monotonic() + 60
            while not all(fk.invoices.get(a, i).upo_available for i in ids):
                assert time.monotonic() < deadline
                time.sleep(0.2)
    return data, ids, numbers


def test_invoice_upo_and_session_upo_pages(filled: tuple[Path, list[int], list[str]], tmp_path: Path) -> None:
    data, ids, numbers = filled
    runner = CliRunner()
    base = ["invoices", "upo", "--company", NIP_A, "--data-dir", str(data)]

    own = tmp_path / "upo.xml"
    out = runner.invoke(app, [*base, str(ids[2]), "-o", str(own)])
    assert out.exit_code == 0, out.output
    assert numbers[2].encode() in own.read_bytes()

    page = tmp_path / "sesja.xml"
    out = runner.invoke(app, [*base, str(ids[2]), "--session", "-o", str(page)])
    assert out.exit_code == 0, out.output
    assert "strona 2 z 2" in out.output  # the third invoice is on the second page
    assert numbers[2].encode() in page.read_bytes() and numbers[0].encode() not in page.read_bytes()

    out = runner.invoke(app, [*base, str(ids[2]), "--session", "--page", "1", "-o", str(page)])
    assert out.exit_code == 0 and "strona 1 z 2" in out.output
    assert numbers[0].encode() in page.read_bytes()

    folder = tmp_path / "strony"
    out = runner.invoke(app, [*base, str(ids[0]), "--session", "--all-pages", "-o", str(folder)])
    assert out.exit_code == 0, out.output
    assert len(list(folder.glob("*.xml"))) == 2 and out.output.count("(ta faktura)") == 1

    readable = tmp_path / "sesja.pdf"
    out = runner.invoke(app, [*base, str(ids[2]), "--session", "--pdf", "-o", str(readable)])
    assert out.exit_code == 0 and readable.read_bytes().startswith(b"%PDF-")
    out = runner.invoke(app, [*base, str(ids[2]), "--pdf", "-o", str(readable)])
    assert out.exit_code == 0 and readable.read_bytes().startswith(b"%PDF-")

    # what is not there: a clear message and the documented exit code, no traceback
    out = runner.invoke(app, [*base, str(ids[0]), "--session", "--page", "3", "-o", str(page)])
    assert out.exit_code != 0 and "nie ma strony 3" in out.output and "Traceback" not in out.output
    out = runner.invoke(app, [*base, "999", "--session", "-o", str(page)])
    assert out.exit_code != 0 and "nie ma takiej faktury" in out.output
    out = runner.invoke(app, [*base, str(ids[0]), "--page", "1", "-o", str(page)])
    assert out.exit_code == 2 and "--session" in out.output
