"""All 55 real FA(3) samples pass validation for the test environment — except one that is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from fakturnik.cli.main import app
from fakturnik.fa3.validation import validate_xml
from tests.conftest import SAMPLES_DIR

SAMPLES = sorted(SAMPLES_DIR.glob("*.xml"))

# A sample that truly breaks a business rule, with the rule and why.
KNOWN_BAD = {
    # Its only line is an export (P_12 = "0 EX", art. 41 ust. 4 — 0% export), so the value belongs in
    # P_13_6_3 ("stawka 0% w przypadku eksportu"), yet the sample puts it in P_13_6_2, the field for
    # intra-Community supplies (WDT). The VAT return built from it would report a WDT that never was.
    "ksef2__KSEF_06_EXP.xml": {("Fa/P_13_6_2", "TOTALS_MISMATCH"), ("Fa/P_13_6_3", "TOTALS_MISMATCH")},
}


def test_there_are_55_samples() -> None:
    assert len(SAMPLES) == 55


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_sample_passes_for_test_env(path: Path) -> None:
    report = validate_xml(path.read_bytes(), "test")
    found = {(p.path, p.code) for p in report.problems}
    assert found == KNOWN_BAD.get(path.name, set()), [str(p) for p in report.problems]


def test_bad_nip_checksum_in_samples_is_an_error_only_in_prod() -> None:
    data = (SAMPLES_DIR / "java__invoice_template_v3_self_invoicing.xml").read_bytes()
    test_report = validate_xml(data, "test")
    assert test_report.ok
    assert ("Podmiot2/DaneIdentyfikacyjne/NIP", "NIP_CHECKSUM") in {
        (w.path, w.code) for w in test_report.warnings
    }
    prod = validate_xml(data, "prod")
    assert ("Podmiot2/DaneIdentyfikacyjne/NIP", "NIP_CHECKSUM") in {(p.path, p.code) for p in prod.problems}


def test_official_example_with_rounded_gross_totals_gets_a_warning_only() -> None:
    report = validate_xml((SAMPLES_DIR / "ksef2__Fa_3_Przyklad_19.xml").read_bytes(), "test")
    assert report.ok
    assert {w.code for w in report.warnings} == {"TOTALS_ROUNDING"}


def test_cli_validates_all_samples_with_one_known_failure() -> None:
    result = CliRunner().invoke(app, ["fa3", "validate", "--env", "test", *map(str, SAMPLES)])
    assert result.exit_code == 1
    bad_lines = [
        line for line in result.stdout.splitlines() if "OSTRZEŻENIE" not in line and ": OK" not in line
    ]
    assert all(line.startswith(str(SAMPLES_DIR / "ksef2__KSEF_06_EXP.xml")) for line in bad_lines), bad_lines
    assert len(bad_lines) == 2


def test_cli_exit_zero_when_all_valid() -> None:
    good = [str(p) for p in SAMPLES if p.name not in KNOWN_BAD][:5]
    result = CliRunner().invoke(app, ["fa3", "validate", "--env", "test", *good])
    assert result.exit_code == 0, result.output


def test_cli_rejects_unknown_env() -> None:
    result = CliRunner().invoke(app, ["fa3", "validate", "--env", "qa", str(SAMPLES[0])])
    assert result.exit_code == 2
