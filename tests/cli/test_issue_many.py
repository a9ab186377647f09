"""``fakturnik invoices issue`` with many files, a folder, or JSON drafts on standard input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fakturnik.base.warsaw import warsaw_today
from fakturnik.cli.main import app
from fakturnik.engine.context import open_context
from fakturnik.engine.settings import EngineSettings
from fakturnik.fa3.samples import make_sample_draft
from fakturnik.store import repo
from tests.engine.helpers import NIP, sample_invoice


@pytest.fixture
def runner(cli_home: Path) -> CliRunner:
    cli = CliRunner()
    assert cli.invoke(app, ["companies", "add", NIP, "--env", "http://127.0.0.1:9"]).exit_code == 0
    return cli


def _draft(number: str = "AUTO") -> str:
    return json.dumps(make_sample_draft(NIP, number, 2, issue_date=warsaw_today()), default=str)


def _stored(tmp_path: Path) -> list[str]:
    ctx = open_context(tmp_path / "data", None, EngineSettings.fast(), use_keyring=False)
    try:
        with ctx.db.transaction() as s:
            return sorted(i.number for i in repo.list_invoices(s))
    finally:
        ctx.close()


def test_a_folder_and_files_in_one_command(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "faktury"
    folder.mkdir()
    for i in range(5):
        (folder / f"fv-{i}.json").write_text(_draft())
    (folder / "notes.txt").write_text("not an invoice")
    extra = tmp_path / "extra.xml"
    extra.write_bytes(sample_invoice("FV/X/1"))
    result = runner.invoke(
        app, ["invoices", "issue", str(folder), str(extra), "--company", NIP, "--chunk", "2"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("w kolejce do KSeF") == 6
    assert "Wystawiono 6 z 6 faktur." in result.output
    assert _stored(tmp_path) == [*(f"FV/2026/00000{i}" for i in range(1, 6)), "FV/X/1"]


def test_json_lines_on_standard_input(runner: CliRunner, tmp_path: Path) -> None:
    lines = "\n".join(_draft() for _ in range(3)) + "\n\n"
    result = runner.invoke(app, ["invoices", "issue", "--company", NIP], input=lines)
    assert result.exit_code == 0, result.output
    assert "Wystawiono 3 z 3 faktur." in result.output
    assert len(_stored(tmp_path)) == 3
    dash = runner.invoke(app, ["invoices", "issue", "-", "--company", NIP], input=_draft() + "\n")
    assert dash.exit_code == 0 and len(_stored(tmp_path)) == 4


def test_a_refused_invoice_is_named_and_the_rest_of_its_chunk_is_stored(
    runner: CliRunner, tmp_path: Path
) -> None:
    good = [tmp_path / f"ok-{i}.xml" for i in range(3)]
    for i, path in enumerate(good):
        path.write_bytes(sample_invoice(f"FV/M/{i}"))
    bad = tmp_path / "bad.xml"
    bad.write_bytes(re.sub(rb"<P_15>[^<]*<", b"<P_15>1.00<", sample_invoice("FV/M/9"), count=1))
    twice = tmp_path / "twice.xml"
    twice.write_bytes(sample_invoice("FV/M/0"))  # the number of ok-0.xml
    not_json = tmp_path / "broken.json"
    not_json.write_text("{not json")
    files = [str(good[0]), str(bad), str(good[1]), str(twice), str(not_json), str(good[2])]
    result = runner.invoke(app, ["invoices", "issue", *files, "--company", NIP, "--chunk", "10"])
    assert result.exit_code == 1
    assert f"{bad}: Błąd: faktura nie przeszła walidacji" in result.output
    assert f"{twice}: Błąd" in result.output and "już istnieje" in result.output
    assert f"{not_json}: Błąd faktury: Niepoprawny JSON" in result.output
    assert "Wystawiono 3 z 6 faktur." in result.output
    assert _stored(tmp_path) == ["FV/M/0", "FV/M/1", "FV/M/2"]


def test_one_file_reads_as_before(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "fv.xml"
    path.write_bytes(sample_invoice("FV/1/1"))
    result = runner.invoke(app, ["invoices", "issue", str(path), "--company", NIP])
    assert result.exit_code == 0
    assert result.output.startswith("Faktura FV/1/1 w kolejce do KSeF (id 1)")
    assert "Wystawiono" not in result.output


def test_auto_number_renumbers_and_keep_number_refuses_a_document_without_one(
    runner: CliRunner, tmp_path: Path
) -> None:
    numbered = tmp_path / "own.xml"
    numbered.write_bytes(sample_invoice("WŁASNY/7"))
    draft = tmp_path / "own.json"
    draft.write_text(_draft("WŁASNY/8"))
    result = runner.invoke(
        app, ["invoices", "issue", str(numbered), str(draft), "--company", NIP, "--auto-number"]
    )
    assert result.exit_code == 0, result.output
    assert _stored(tmp_path) == ["FV/2026/000001", "FV/2026/000002"]
    auto = tmp_path / "auto.xml"
    auto.write_bytes(sample_invoice("AUTO"))
    kept = runner.invoke(
        app, ["invoices", "issue", str(auto), str(numbered), "--company", NIP, "--keep-number"]
    )
    assert kept.exit_code == 1
    assert f"{auto}: Błąd faktury: --keep-number: faktura nie ma własnego numeru" in kept.output
    assert "Wystawiono 1 z 2 faktur." in kept.output
    assert "WŁASNY/7" in _stored(tmp_path)
