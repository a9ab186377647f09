"""``fakturnik fa3 build`` and ``fakturnik fa3 show`` through the real CLI app."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from fakturnik.cli.main import app
from fakturnik.fa3.jsonform import invoice_to_json_text
from fakturnik.fa3.parser import parse_invoice
from fakturnik.fa3.samples import make_sample_draft, make_sample_invoice
from fakturnik.fa3.writer import write_invoice
from tests.conftest import SAMPLES_DIR
from tests.fa3.xsd import assert_xsd_valid

runner = CliRunner()
SELLER = "5260250274"


def test_build_from_draft_writes_valid_xml(tmp_path: Path) -> None:
    source = tmp_path / "faktura.json"
    source.write_text(json.dumps(make_sample_draft(SELLER, "FV/C/1", lines=4), ensure_ascii=False))
    out = tmp_path / "faktura.xml"
    result = runner.invoke(app, ["fa3", "build", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "FV/C/1" in result.output
    xml = out.read_bytes()
    assert_xsd_valid(xml)
    assert xml == write_invoice(make_sample_invoice(SELLER, "FV/C/1", lines=4))


def test_build_to_stdout_from_complete_json_form(tmp_path: Path) -> None:
    invoice = parse_invoice((SAMPLES_DIR / "ksef2__KSEF_01_VAT_STANDARD.xml").read_bytes())
    source = tmp_path / "complete.json"
    source.write_text(invoice_to_json_text(invoice))
    result = runner.invoke(app, ["fa3", "build", str(source), "-o", "-"])
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == write_invoice(invoice)


def test_build_reports_every_amount_problem_and_fails(tmp_path: Path) -> None:
    draft = make_sample_draft(SELLER, "FV/C/2", lines=2)
    draft["Fa"]["P_15"] = "1.00"
    draft["Fa"]["P_13_7"] = "3.00"
    source = tmp_path / "bad.json"
    source.write_text(json.dumps(draft))
    out = tmp_path / "bad.xml"
    result = runner.invoke(app, ["fa3", "build", str(source), "-o", str(out)])
    assert result.exit_code == 1
    assert f"{source}: Fa/P_13_7: Pole P_13_7 ma wartość 3.00" in result.output
    assert f"{source}: Fa/P_15: Pole P_15 ma wartość 1.00, a z pozycji faktury wynika" in result.output
    assert not out.exists()


def test_build_reports_structure_problems_with_paths(tmp_path: Path) -> None:
    draft = make_sample_draft(SELLER, "FV/C/3", lines=2)
    draft["Fa"]["FaWiersz"][1]["P_12"] = "24"
    draft["Fa"]["Nieznane"] = 1
    source = tmp_path / "bad.json"
    source.write_text(json.dumps(draft))
    result = runner.invoke(app, ["fa3", "build", str(source), "-o", str(tmp_path / "x.xml")])
    assert result.exit_code == 1
    assert "Fa/FaWiersz[2]/P_12: Niedozwolona wartość" in result.output
    assert "Fa/Nieznane: Nieznane pole" in result.output


def test_build_rejects_broken_json_and_bad_method(tmp_path: Path) -> None:
    source = tmp_path / "broken.json"
    source.write_text("{nie json")
    result = runner.invoke(app, ["fa3", "build", str(source), "-o", str(tmp_path / "x.xml")])
    assert result.exit_code == 1 and "Niepoprawny JSON" in result.output
    result = runner.invoke(app, ["fa3", "build", str(source), "-o", "-", "--method", "avg"])
    assert result.exit_code != 0


def test_show_summarises_parties_lines_and_totals(tmp_path: Path) -> None:
    path = tmp_path / "f.xml"
    path.write_bytes(write_invoice(make_sample_invoice(SELLER, "FV/C/4", lines=3)))
    result = runner.invoke(app, ["fa3", "show", str(path)], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    for text in ("faktura VAT nr FV/C/4", "Sprzedawca", "NIP 5260250274", "Nabywca", "Pozycje",
                 "Usługa programistyczna (1)", "P_13_1", "P_15", "należność ogółem"):  # fmt: skip
        assert text in result.output
    assert "Niezgodne kwoty" not in result.output


def test_show_flags_inconsistent_amounts_and_handles_json_and_errors(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["fa3", "show", str(SAMPLES_DIR / "ksef2__KSEF_06_EXP.xml")], env={"COLUMNS": "160"}
    )
    assert result.exit_code == 0
    assert "Niezgodne kwoty" in result.output and "P_13_6_3" in result.output
    as_json = tmp_path / "f.json"
    as_json.write_text(
        invoice_to_json_text(parse_invoice((SAMPLES_DIR / "ksef2__KSEF_02_KOR.xml").read_bytes()))
    )
    result = runner.invoke(app, ["fa3", "show", str(as_json)], env={"COLUMNS": "160"})
    assert result.exit_code == 0 and "faktura korygująca" in result.output
    bom = tmp_path / "bom.xml"
    bom.write_bytes(b"\xef\xbb\xbf" + (SAMPLES_DIR / "ksef2__KSEF_02_KOR.xml").read_bytes())
    result = runner.invoke(app, ["fa3", "show", str(bom)])
    assert result.exit_code == 1 and "BOM" in result.output


def test_show_every_sample(tmp_path: Path) -> None:
    for path in sorted(SAMPLES_DIR.glob("*.xml")):
        result = runner.invoke(app, ["fa3", "show", str(path)], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (path.name, result.output)


def test_documented_example_builds_to_the_documented_totals(tmp_path: Path) -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "fa3-json.md").read_text(encoding="utf-8")
    example = doc.split("```json\n", 1)[1].split("```", 1)[0]
    source = tmp_path / "faktura.json"
    source.write_text(example, encoding="utf-8")
    out = tmp_path / "faktura.xml"
    result = runner.invoke(app, ["fa3", "build", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    xml = out.read_bytes()
    assert_xsd_valid(xml)
    fa = parse_invoice(xml).Fa
    documented = {"P_13_1": "2250.00", "P_14_1": "517.50", "P_13_2": "600.00", "P_14_2": "48.00",
                  "P_13_7": "3000.00", "P_15": "6415.50"}  # fmt: skip
    assert {k: str(getattr(fa, k)) for k in documented} == documented
    for row, value in zip(fa.FaWiersz, ("2250.00", "600.00", "3000.00"), strict=True):
        assert str(row.P_11) == value


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    for command in (
        ["fa3", "build", str(tmp_path / "brak.json"), "-o", "-"],
        ["fa3", "show", str(tmp_path / "brak.xml")],
    ):
        result = runner.invoke(app, command)
        assert result.exit_code == 1
        assert "Nie można odczytać pliku" in result.output


def test_show_prints_markup_like_text_literally(tmp_path: Path) -> None:
    invoice = make_sample_invoice(SELLER, "FV/[bold]/1", lines=2)
    invoice.Podmiot2.DaneIdentyfikacyjne.Nazwa = "Firma [/] [red]X[/red]"
    invoice.Fa.FaWiersz[0].StanPrzed = 1
    path = tmp_path / "f.xml"
    path.write_bytes(write_invoice(invoice))
    result = runner.invoke(app, ["fa3", "show", str(path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "FV/[bold]/1" in result.output and "Firma [/] [red]X[/red]" in result.output
    assert "[przed korektą]" in result.output


def test_json_numbers_are_read_exactly() -> None:
    from fakturnik.fa3.jsonform import invoice_from_draft

    draft = make_sample_draft(SELLER, "FV/C/N", lines=1)
    draft["Fa"]["FaWiersz"][0].update({"P_8B": "__Q__", "P_9A": "__P__"})
    text = json.dumps(draft).replace('"__Q__"', "3").replace('"__P__"', "0.1234567890123456789")
    line = invoice_from_draft(text).Fa.FaWiersz[0]
    assert str(line.P_9A) == "0.1234567890123456789"
    assert str(line.P_11) == "0.37"
