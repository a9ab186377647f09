"""Bad input is a FakturnikError with a Polish message, never a raw Python exception (issue 11 item 2/3)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fakturnik.base.xmlsafe import parse_xml
from fakturnik.errors import FakturnikError, InvoiceError, InvoiceValidationError
from fakturnik.fa3.jsonform import invoice_from_draft, invoice_from_json, xml_from_draft
from fakturnik.fa3.parser import parse_invoice
from fakturnik.fa3.samples import make_sample_draft
from fakturnik.fa3.validation import validate_xml
from fakturnik.fa3.writer import write_invoice
from tests.fa3.negative.cases import BASES

SELLER = "5261040828"


def _draft() -> dict[str, Any]:
    return make_sample_draft(SELLER, "FV/H/1", lines=2)


@pytest.mark.parametrize("digits", [27, 30, 40, 400])
def test_validate_long_amounts_is_a_report(digits: int) -> None:
    data = BASES["vat"].decode()
    start = data.index("<P_13_1>")
    end = data.index("</P_13_1>")
    data = data[: start + 8] + "9" * digits + ".00" + data[end:]
    report = validate_xml(data.encode())
    assert not report.ok
    assert any(p.path == "Fa/P_13_1" for p in report.problems)


@pytest.mark.parametrize("value", ["9" * 30, "9" * 40 + ".5", "1E+999999", "1e-999999", "NaN", "Infinity"])
def test_build_long_amounts_is_a_validation_error(value: str) -> None:
    draft = _draft()
    draft["Fa"]["FaWiersz"][0]["P_9A"] = value
    for build in (invoice_from_draft, xml_from_draft):
        with pytest.raises(FakturnikError):
            build(copy.deepcopy(draft))


@pytest.mark.parametrize("value", ["9" * 30, "9" * 40 + ".5"])
def test_build_long_amounts_in_json_text(value: str) -> None:
    text = '{"Fa": {"FaWiersz": [{"P_9A": ' + value + "}]}}"
    with pytest.raises(InvoiceValidationError):
        invoice_from_draft(text)


@pytest.mark.parametrize(
    "data",
    [
        b'{"a": "\xff\xfe"}',
        b"\xff" * 10,
        "[" * 5000,
        b"[" * 5000 + b"]" * 5000,
        '{"a":' * 3000 + "1" + "}" * 3000,
    ],
    ids=["bad-utf8", "bad-bytes", "nest-open", "nest-closed", "nest-objects"],
)
def test_json_reader_refuses_with_a_polish_message(data: bytes | str) -> None:
    for read in (invoice_from_json, invoice_from_draft, xml_from_draft):
        with pytest.raises(InvoiceValidationError) as info:
            read(data)
        assert "Niepoprawny JSON" in str(info.value.problems[0].message)


def test_json_reader_refuses_a_huge_text() -> None:
    with pytest.raises(InvoiceValidationError) as info:
        invoice_from_json(b'{"a": "' + b"x" * 20_000_000 + b'"}')
    assert "Niepoprawny JSON" in info.value.problems[0].message


def _invoice() -> Any:
    return invoice_from_draft(_draft())


@pytest.mark.parametrize(
    "key",
    [
        'x="1"><P_99>INJ</P_99><y z',
        "{urn:x",
        "{urn:x}",
        "{}a",
        "a b",
        "1a",
        "xmlns",
        "xmlns:p",
        "a:b",
        "",
        "{http://www.w3.org/2000/xmlns/}p",
        "{urn:x}a:b",
        "{urn:x}a>",
    ],
)
def test_writer_refuses_bad_attribute_names(key: str) -> None:
    invoice = _invoice()
    invoice.Fa.xml_attrs = {key: "v"}
    with pytest.raises(InvoiceError):
        write_invoice(invoice)


def test_writer_refuses_a_duplicate_attribute() -> None:
    invoice = _invoice()
    invoice.xml_attrs = {"{urn:a}x": "1", "{urn:b}x": "2"}
    parse_xml(write_invoice(invoice))  # two namespaces: fine
    header = invoice.Naglowek.KodFormularza
    header.xml_attrs = {"kodSystemowy": "x"}
    with pytest.raises(InvoiceError):
        write_invoice(invoice)


def test_writer_refuses_an_extra_after_a_missing_element() -> None:
    from fakturnik.fa3.model import RawXml

    invoice = _invoice()
    invoice.Fa.xml_extra = (RawXml(after="P_999", xml="<Foo xmlns='urn:x'/>"),)
    with pytest.raises(InvoiceError):
        write_invoice(invoice)
    invoice.Fa.xml_extra = (RawXml(after="P_2", xml="<Foo xmlns='urn:x'/>"),)
    assert b"Foo" in write_invoice(invoice)


# --- encodings and sizes (item 3) ----------------------------------------------------------------


def _utf16(data: bytes, codec: str) -> bytes:
    return data.decode("utf-8").encode(codec)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_without_bom_are_refused(codec: str) -> None:
    ascii_only = BASES["vat"].decode("utf-8").encode("ascii", "replace")
    data = ascii_only.decode("ascii").encode(codec)
    report = validate_xml(data)
    assert [p.code for p in report.problems] == ["XML_ENCODING"]
    assert "UTF-8" in report.problems[0].message
    with pytest.raises(FakturnikError, match="UTF-8"):
        parse_xml(data)
    with pytest.raises(FakturnikError, match="UTF-8"):
        parse_invoice(data)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_simulator_refuses_utf16_without_bom(codec: str) -> None:
    from fakturnik.simulator import invoice_checks

    data = BASES["vat"].decode("utf-8").encode("ascii", "replace").decode("ascii").encode(codec)
    assert "UTF-8" in (invoice_checks.check_bytes(data) or "")


def test_files_are_read_with_a_bound(tmp_path: Any) -> None:
    from pathlib import Path

    from typer.testing import CliRunner

    from fakturnik.base.files import read_bounded
    from fakturnik.cli.main import app

    big = tmp_path / "big.xml"
    big.write_bytes(b"<" + b" " * 2000)
    with pytest.raises(InvoiceError, match="więcej niż dozwolone 1000 bajtów"):
        read_bounded(big, 1000)
    assert read_bounded(big, 5000).startswith(b"<")
    result = CliRunner().invoke(app, ["fa3", "validate", "/dev/zero"])
    assert result.exit_code == 1
    assert "więcej niż dozwolone" in result.output
    assert Path("/dev/zero").exists()


@pytest.mark.parametrize("value", ["1E+999999", "1e+30", "-1E+27", "9" * 30])
def test_validate_line_net_with_an_exponent_is_a_report(value: str) -> None:
    """Found by the XML fuzzer: a line's P_11 of 1E+999999 reached the totals arithmetic."""
    data = BASES["vat"].decode()
    start = data.index("<P_11>")
    end = data.index("</P_11>")
    data = data[: start + 6] + value + data[end:]
    report = validate_xml(data.encode())
    assert not report.ok
