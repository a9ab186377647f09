"""Validation says who objects: KSeF, the VAT act, or the amounts; issuing refuses by strictness."""

from __future__ import annotations

from typer.testing import CliRunner

from fakturnik.cli.main import app
from fakturnik.fa3.authority import authority_of, refused
from fakturnik.fa3.validation import validate_xml
from tests.fa3.negative.cases import BASES


def _vat(old: str, new: str) -> bytes:
    text = BASES["vat"].decode()
    assert old in text
    return text.replace(old, new, 1).encode()


def test_each_problem_carries_its_authority() -> None:
    bad_nip = _vat("<NIP>5213000009</NIP>", "<NIP>5213000008</NIP>")
    report = validate_xml(bad_nip)
    assert [authority_of(p) for p in report.problems] == ["ksef"]
    totals = validate_xml(_vat("<P_13_1>200.00</P_13_1>", "<P_13_1>201.00</P_13_1>"))
    assert {authority_of(p) for p in totals.problems} == {"amounts"}
    assert set(totals.by_authority()) == {"amounts"}
    assert totals.ksef_only().ok
    assert authority_of("EXEMPTION_BASIS_MISSING") == "vat_act"
    assert authority_of("XSD_MISSING_ELEMENT") == "ksef"


def test_strictness_refuses_ksef_problems_always() -> None:
    report = validate_xml(_vat("<NIP>5213000009</NIP>", "<NIP>5213000008</NIP>"))
    assert refused(report.problems, "ksef") == report.problems
    totals = validate_xml(_vat("<P_13_1>200.00</P_13_1>", "<P_13_1>201.00</P_13_1>"))
    assert refused(totals.problems, "ksef") == []
    assert refused(totals.problems, "all") == totals.problems


def test_cli_groups_and_checks_only_what_ksef_checks(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "f.xml"
    path.write_bytes(_vat("<P_13_1>200.00</P_13_1>", "<P_13_1>201.00</P_13_1>"))
    result = CliRunner().invoke(app, ["fa3", "validate", str(path)])
    assert result.exit_code == 1
    assert "[kwoty]" in result.stdout
    result = CliRunner().invoke(app, ["fa3", "validate", "--tylko-ksef", str(path)])
    assert result.exit_code == 0, result.stdout
    assert "OSTRZEŻENIE: [kwoty]" in result.stdout


def test_issuing_refuses_by_strictness(tmp_path: object, monkeypatch: object) -> None:
    from pathlib import Path

    import pytest

    from fakturnik.engine.companies import add_company
    from fakturnik.engine.context import open_context
    from fakturnik.engine.issuing import issue
    from fakturnik.errors import InvoiceValidationError
    from tests.engine.helpers import NIP, fast_settings, sample_invoice

    monkeypatch.delenv("FAKTURNIK_MASTER_KEY", raising=False)  # type: ignore[attr-defined]
    ctx = open_context(Path(str(tmp_path)), None, fast_settings(), use_keyring=False)
    add_company(ctx, nip=NIP, name="ACME", base_url="http://127.0.0.1:9/v2")
    amounts_off = sample_invoice().replace(b"<P_13_1>", b"<P_13_1>1", 1)  # totals disagree; KSeF accepts
    with pytest.raises(InvoiceValidationError) as refused_all:
        issue(ctx, company_nip=NIP, xml=amounts_off)  # default: refuse
    assert {authority_of(p) for p in refused_all.value.problems} == {"amounts"}
    issued = issue(ctx, company_nip=NIP, xml=amounts_off, strictness="ksef")
    assert {p.code for p in issued.warnings} >= {"TOTALS_MISMATCH"}
    broken = sample_invoice().replace(b"<P_15>", b"<P_15>x", 1)  # XSD: KSeF rejects, always refused
    with pytest.raises(InvoiceValidationError):
        issue(ctx, company_nip=NIP, xml=broken, strictness="ksef")
