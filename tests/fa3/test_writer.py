"""Writer: bytes KSeF accepts, in schema order, deterministic, escaped, XSD-valid."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest
from lxml import etree

from fakturnik.errors import InvoiceError
from fakturnik.fa3.model import NS, Faktura, RawXml
from fakturnik.fa3.parser import parse_invoice
from fakturnik.fa3.samples import make_sample_invoice
from fakturnik.fa3.writer import build_tree, write_invoice, write_invoice_text
from tests.fa3.xsd import assert_xsd_valid

SELLER = "5260250274"


@pytest.fixture
def invoice() -> Faktura:
    return make_sample_invoice(SELLER, "FV/W/1", lines=10)


def test_utf8_without_bom_with_declaration_namespace_and_form_code(invoice: Faktura) -> None:
    xml = write_invoice(invoice)
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<Faktura xmlns="' + NS.encode() + b'">')
    assert not xml.startswith(b"\xef\xbb\xbf")
    xml.decode("utf-8")
    root = etree.fromstring(xml)
    code = root.find(f"{{{NS}}}Naglowek/{{{NS}}}KodFormularza")
    assert code is not None
    assert (code.get("kodSystemowy"), code.get("wersjaSchemy"), code.text) == ("FA (3)", "1-0E", "FA")
    assert root.findtext(f"{{{NS}}}Naglowek/{{{NS}}}WariantFormularza") == "3"
    assert "Kraków".encode() in xml  # characters as UTF-8, not character references


def test_typical_invoice_is_xsd_valid(invoice: Faktura) -> None:
    assert_xsd_valid(write_invoice(invoice))


def test_same_invoice_same_bytes_same_sha256(invoice: Faktura) -> None:
    a = write_invoice(invoice)
    b = write_invoice(make_sample_invoice(SELLER, "FV/W/1", lines=10))
    c = write_invoice(parse_invoice(a))
    assert a == b == c
    assert hashlib.sha256(a).hexdigest() == hashlib.sha256(c).hexdigest()


def test_different_numbers_give_different_invoices() -> None:
    a = write_invoice(make_sample_invoice(SELLER, "FV/W/1"))
    b = write_invoice(make_sample_invoice(SELLER, "FV/W/2"))
    assert a != b


def test_elements_in_schema_order_whatever_the_json_key_order(invoice: Faktura) -> None:
    data = invoice.model_dump()
    shuffled = {k: data[k] for k in reversed(list(data))}
    shuffled["Fa"] = {k: data["Fa"][k] for k in reversed(list(data["Fa"]))}
    again = Faktura.model_validate(shuffled)
    assert write_invoice(again) == write_invoice(invoice)
    root = build_tree(invoice)
    assert [etree.QName(c).localname for c in root] == ["Naglowek", "Podmiot1", "Podmiot2", "Fa"]
    fa = [etree.QName(c).localname for c in root.find(f"{{{NS}}}Fa")]  # type: ignore[union-attr]
    assert fa.index("P_15") < fa.index("Adnotacje") < fa.index("RodzajFaktury") < fa.index("FaWiersz")


def test_special_characters_are_escaped(invoice: Faktura) -> None:
    invoice.Podmiot2.DaneIdentyfikacyjne.Nazwa = "A&B <Sp. \"z\" o.o.> 'x'\r\nlinia"
    xml = write_invoice(invoice)
    back = parse_invoice(xml)
    assert back.Podmiot2.DaneIdentyfikacyjne.Nazwa == "A&B <Sp. \"z\" o.o.> 'x'\r\nlinia"
    assert_xsd_valid(xml)


def test_characters_xml_forbids_are_refused(invoice: Faktura) -> None:
    invoice.Fa.FaWiersz[0].P_7 = "zły\x01znak"
    with pytest.raises(InvoiceError, match="niedozwolony"):
        write_invoice(invoice)


def test_decimals_are_written_without_exponent(invoice: Faktura) -> None:
    invoice.Fa.FaWiersz[0].P_8B = Decimal("1E+1")
    invoice.Fa.FaWiersz[0].P_10 = Decimal("0E-8")
    text = write_invoice_text(invoice)
    assert "<P_8B>10</P_8B>" in text and "<P_10>0.00000000</P_10>" in text


def test_not_a_faktura_is_refused() -> None:
    with pytest.raises(InvoiceError, match="Faktura"):
        write_invoice("x")  # type: ignore[arg-type]


def test_malformed_raw_extra_is_refused(invoice: Faktura) -> None:
    invoice.Fa.xml_extra = [RawXml(after="P_1", xml="<niedomkniety>")]
    with pytest.raises(InvoiceError):
        write_invoice(invoice)


def test_build_tree_matches_bytes(invoice: Faktura) -> None:
    assert etree.tostring(build_tree(invoice)) == etree.tostring(etree.fromstring(write_invoice(invoice)))
