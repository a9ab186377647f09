"""The engine's commands end to end (CliRunner): companies, invoices issue/list, worker --once, sync."""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fakturnik.base.warsaw import warsaw_today
from fakturnik.cli.main import app
from fakturnik.engine.fields import fill_template
from fakturnik.fa3.samples import make_sample_draft
from fakturnik.simulator.server import SimulatorServer
from fakturnik.vault import ENV_MASTER_KEY
from tests.engine.helpers import NIP, ksef_token, sample_invoice


def test_companies_invoices_worker_and_sync_commands(
    simulator: SimulatorServer, tmp_path: Path, cli_home: Path
) -> None:
    runner = CliRunner()
    token = ksef_token(simulator)
    added = runner.invoke(
        app,
        ["companies", "add", NIP, "--env", simulator.base_url, "--name", "ACME"],
        env={"FAKTURNIK_KSEF_TOKEN": token},
    )
    assert added.exit_code == 0 and "token KSeF w sejfie" in added.output and token not in added.output
    listed = runner.invoke(app, ["companies", "list"])
    assert NIP in listed.output and "ksef_token" in listed.output
    xml_file = tmp_path / "fv.xml"
    xml_file.write_bytes(sample_invoice())
    json_file = tmp_path / "fv.json"
    json_file.write_text(
        json.dumps(make_sample_draft(NIP, "AUTO", 2, issue_date=warsaw_today()), default=str)
    )
    for path in (xml_file, json_file):
        out = runner.invoke(app, ["invoices", "issue", str(path), "--company", NIP])
        assert out.exit_code == 0, out.output
        assert "w kolejce do KSeF" in out.output
    assert "FV/2026/000002" in runner.invoke(app, ["invoices", "list", "--status", "queued"]).output
    worker = runner.invoke(app, ["worker", "--once", "--fast", "--max-seconds", "60"])
    assert worker.exit_code == 0, worker.output
    accepted = runner.invoke(app, ["invoices", "list", "--status", "accepted"])
    assert accepted.output.count(NIP + "-") == 2  # two KSeF numbers
    synced = runner.invoke(app, ["sync", "--company", NIP])
    assert synced.exit_code == 0 and "Nowe faktury: 0" in synced.output
    bad = runner.invoke(app, ["invoices", "issue", str(xml_file), "--company", "1111111111"])
    assert bad.exit_code == 1 and "Błąd" in bad.output


def _offline_company(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CLI runner with a data directory and one company whose KSeF address answers nothing."""
    monkeypatch.setenv(ENV_MASTER_KEY, secrets.token_hex(32))
    monkeypatch.setenv("FAKTURNIK_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    assert runner.invoke(app, ["companies", "add", NIP, "--env", "http://127.0.0.1:9"]).exit_code == 0
    return runner


def test_declared_outage_from_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = _offline_company(tmp_path, monkeypatch)
    started = runner.invoke(app, ["outage", "start", "--company", NIP, "--mode", "failure"])
    assert started.exit_code == 0, started.output
    xml_file = tmp_path / "fv.xml"
    xml_file.write_bytes(sample_invoice())
    issued = runner.invoke(app, ["invoices", "issue", str(xml_file), "--company", NIP])
    assert "offline" in issued.output and "po zakończeniu" in issued.output
    assert "zakończona" in runner.invoke(app, ["outage", "end", "--company", NIP]).output
    assert "termin offline: 20" in runner.invoke(app, ["invoices", "list"]).output


def test_an_invalid_invoice_is_refused_with_each_problem_on_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = _offline_company(tmp_path, monkeypatch)
    xml_file = tmp_path / "fv.xml"
    xml_file.write_bytes(re.sub(rb"<P_15>[^<]*<", b"<P_15>1.00<", sample_invoice(), count=1))
    refused = runner.invoke(app, ["invoices", "issue", str(xml_file), "--company", NIP])
    assert refused.exit_code == 1
    assert "faktura nie przeszła walidacji" in refused.output
    assert "  Fa/P_15: P_15 = 1.00, a suma kwot netto i podatku" in refused.output
    xml_file.write_bytes(fill_template(sample_invoice(), buyer_nip="1234567890"))  # bad checksum: local warns
    issued = runner.invoke(app, ["invoices", "issue", str(xml_file), "--company", NIP])
    assert issued.exit_code == 0 and "FV/2026/000001" in issued.output  # the refusal consumed no number
    assert "Ostrzeżenie: Podmiot2/DaneIdentyfikacyjne/NIP: NIP 1234567890 ma błędną cyfrę" in issued.output
    assert runner.invoke(app, ["invoices", "list"]).output.count("FV/2026/") == 1  # and stored nothing


def test_technical_correction_command_refuses_an_invoice_that_was_not_rejected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`invoices correct` reaches the engine (its accepted path: test_technical_correction.py)."""
    runner = _offline_company(tmp_path, monkeypatch)
    xml_file = tmp_path / "fv.xml"
    xml_file.write_bytes(sample_invoice("FV/K/1"))
    assert runner.invoke(app, ["invoices", "issue", str(xml_file), "--company", NIP]).exit_code == 0
    refused = runner.invoke(app, ["invoices", "correct", "1", str(xml_file), "--company", NIP])
    assert refused.exit_code == 1
    assert "nie jest fakturą offline odrzuconą przez KSeF (status: queued)" in refused.output
