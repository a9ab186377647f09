"""Parser: clear errors for hostile or wrong documents; unknown content kept, never dropped."""

from __future__ import annotations

import pytest

from fakturnik.errors import InvoiceParseError, XmlSecurityError
from fakturnik.fa3.model import NS
from fakturnik.fa3.parser import FA2_NS, parse_invoice
from fakturnik.fa3.samples import make_sample_invoice
from fakturnik.fa3.writer import write_invoice
from tests.fa3.xmlcompare import xml_content_equal
from tests.fa3.xsd import xsd_errors

SELLER = "5260250274"


@pytest.fixture(scope="module")
def xml() -> bytes:
    return write_invoice(make_sample_invoice(SELLER, "FV/P/1", lines=3))


def test_parses_what_the_writer_writes(xml: bytes) -> None:
    invoice = parse_invoice(xml)
    assert invoice.Fa.P_2 == "FV/P/1"
    assert len(invoice.Fa.FaWiersz) == 3


def test_bom_is_rejected(xml: bytes) -> None:
    with pytest.raises(XmlSecurityError, match="BOM"):
        parse_invoice(b"\xef\xbb\xbf" + xml)


def test_declared_non_utf8_encoding_is_rejected(xml: bytes) -> None:
    latin = xml.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-2"')
    with pytest.raises(XmlSecurityError, match="ISO-8859-2"):
        parse_invoice(latin)


def test_bytes_that_are_not_utf8_are_rejected(xml: bytes) -> None:
    broken = xml.replace("Długa".encode(), "Długa".encode("iso-8859-2"))
    with pytest.raises(XmlSecurityError, match="UTF-8"):
        parse_invoice(broken)


def test_text_instead_of_bytes_is_rejected(xml: bytes) -> None:
    with pytest.raises(XmlSecurityError, match="bajty"):
        parse_invoice(xml.decode())  # type: ignore[arg-type]


def test_wrong_namespace(xml: bytes) -> None:
    with pytest.raises(InvoiceParseError, match="przestrzeń nazw urn:other"):
        parse_invoice(xml.replace(NS.encode(), b"urn:other"))


def test_fa2_namespace_is_named(xml: bytes) -> None:
    with pytest.raises(InvoiceParseError, match="FA\\(2\\)"):
        parse_invoice(xml.replace(NS.encode(), FA2_NS.encode()))


def test_wrong_root(xml: bytes) -> None:
    doc = b'<?xml version="1.0" encoding="UTF-8"?><Faktur xmlns="' + NS.encode() + b'"/>'
    with pytest.raises(InvoiceParseError, match="Faktura"):
        parse_invoice(doc)


def test_wrong_form_code(xml: bytes) -> None:
    with pytest.raises(InvoiceParseError, match="kod formularza 'FA \\(2\\)'"):
        parse_invoice(xml.replace(b'kodSystemowy="FA (3)"', b'kodSystemowy="FA (2)"'))


def test_wrong_schema_version(xml: bytes) -> None:
    with pytest.raises(InvoiceParseError, match="wersja schematu '1-0'"):
        parse_invoice(xml.replace(b'wersjaSchemy="1-0E"', b'wersjaSchemy="1-0"'))


def test_missing_header(xml: bytes) -> None:
    doc = b'<?xml version="1.0" encoding="UTF-8"?><Faktura xmlns="' + NS.encode() + b'"/>'
    with pytest.raises(InvoiceParseError, match="KodFormularza"):
        parse_invoice(doc)


def test_xxe_is_rejected(xml: bytes) -> None:
    evil = xml.replace(
        b"<Faktura ",
        b'<!DOCTYPE Faktura [<!ENTITY x SYSTEM "file:///etc/passwd">]><Faktura ',
    ).replace(b"<P_1M>Warszawa</P_1M>", b"<P_1M>&x;</P_1M>")
    with pytest.raises(XmlSecurityError, match="DTD"):
        parse_invoice(evil)


def test_billion_laughs_is_rejected() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><Faktura>&lol2;</Faktura>'
    )
    with pytest.raises(XmlSecurityError):
        parse_invoice(bomb)


def test_malformed_xml(xml: bytes) -> None:
    with pytest.raises(XmlSecurityError, match="Niepoprawny XML"):
        parse_invoice(xml[:-20])


def test_oversize_without_attachment_is_rejected(xml: bytes) -> None:
    padded = xml.replace(b"<P_1M>", b"<!--" + b"x" * 1_000_001 + b"--><P_1M>")
    with pytest.raises(XmlSecurityError, match="1000000"):
        parse_invoice(padded)


def test_up_to_3_mb_with_attachment() -> None:
    from fakturnik.fa3.model import BlokDanych, Zalacznik

    invoice = make_sample_invoice(SELLER, "FV/Z/1", lines=1)
    invoice.Zalacznik = Zalacznik(
        BlokDanych=[BlokDanych(ZNaglowek="Dane", MetaDane=[{"ZKlucz": "k", "ZWartosc": "v"}])]  # type: ignore[list-item]
    )
    xml = write_invoice(invoice)
    padded = xml.replace(b"<P_1M>", b"<!--" + b"x" * 1_500_000 + b"--><P_1M>")
    assert parse_invoice(padded).Zalacznik is not None
    with pytest.raises(XmlSecurityError, match="3000000"):
        parse_invoice(xml.replace(b"<P_1M>", b"<!--" + b"x" * 3_000_000 + b"--><P_1M>"))
    # mentioning "Zalacznik" in a comment does not lift the 1 MB limit
    fake = write_invoice(make_sample_invoice(SELLER, "FV/Z/2", lines=1)).replace(
        b"<P_1M>", b"<!--Zalacznik" + b"x" * 1_500_000 + b"--><P_1M>"
    )
    with pytest.raises(XmlSecurityError, match="załącznikiem"):
        parse_invoice(fake)


def test_bad_integer_is_a_parse_error(xml: bytes) -> None:
    with pytest.raises(InvoiceParseError, match="liczby całkowitej"):
        parse_invoice(xml.replace(b"<NrWierszaFa>1<", b"<NrWierszaFa>jeden<"))


def test_bad_value_names_its_path(xml: bytes) -> None:
    tail = b"</FaWiersz><FaWiersz><NrWierszaFa>3"
    with pytest.raises(InvoiceParseError, match="Fa/FaWiersz\\[2\\]/P_12: Niedozwolona wartość"):
        parse_invoice(xml.replace(b"<P_12>23</P_12>" + tail, b"<P_12>24</P_12>" + tail))


def test_unknown_element_survives_round_trip_at_its_place(xml: bytes) -> None:
    doc = xml.replace(b"<P_1M>", b'<Nowe xmlns:q="urn:q" q:a="1">abc<Pod>x</Pod></Nowe><P_1M>')
    invoice = parse_invoice(doc)
    assert [(r.after, "Nowe" in r.xml) for r in invoice.Fa.xml_extra] == [("P_1", True)]
    out = write_invoice(invoice)
    assert xml_content_equal(doc, out) is None
    assert xsd_errors(out)  # still reported by the XSD: the content is not FA(3)


def test_unknown_first_child_and_foreign_namespace_survive(xml: bytes) -> None:
    doc = xml.replace(b"<Naglowek>", b'<x:Obce xmlns:x="urn:x"/><Naglowek>')
    invoice = parse_invoice(doc)
    assert invoice.xml_extra[0].after is None
    assert xml_content_equal(doc, write_invoice(invoice)) is None


def test_out_of_order_element_is_kept_where_it_was(xml: bytes) -> None:
    doc = xml.replace(b"<P_1M>Warszawa</P_1M>", b"").replace(b"<P_6>", b"<P_1M>Warszawa</P_1M><P_6>")
    invoice = parse_invoice(doc)
    assert invoice.Fa.P_1M is None and invoice.Fa.xml_extra[0].after == "P_2"
    assert xml_content_equal(doc, write_invoice(invoice)) is None


def test_required_element_out_of_order_is_reported_missing_where_expected(xml: bytes) -> None:
    doc = xml.replace(b"<P_2>FV/P/1</P_2>", b"").replace(b"<P_1>", b"<P_2>FV/P/1</P_2><P_1>")
    with pytest.raises(InvoiceParseError, match="Fa/P_1: Brak wymaganego pola"):
        parse_invoice(doc)


def test_unknown_attributes_survive(xml: bytes) -> None:
    doc = xml.replace(
        b"<Faktura ",
        b'<Faktura xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="urn:a b.xsd" ',
    ).replace(b"<Podmiot1>", b'<Podmiot1 extra="v&amp;&quot;">')
    invoice = parse_invoice(doc)
    assert invoice.Podmiot1.xml_attrs == {"extra": 'v&"'}
    assert xml_content_equal(doc, write_invoice(invoice)) is None


def test_comments_and_processing_instructions_are_not_content(xml: bytes) -> None:
    doc = xml.replace(b"<Podmiot1>", b"<!-- uwaga --><?pi x?><Podmiot1>")
    assert write_invoice(parse_invoice(doc)) == xml


def test_unknown_attributes_in_two_foreign_namespaces_survive(xml: bytes) -> None:
    doc = xml.replace(
        b"<Podmiot1>", b'<Podmiot1 xmlns:a="urn:a" xmlns:b="urn:b" a:x="1" b:x="2" xml:lang="pl">'
    )
    invoice = parse_invoice(doc)
    assert len(invoice.Podmiot1.xml_attrs) == 3
    assert xml_content_equal(doc, write_invoice(invoice)) is None


def test_text_between_elements_is_reported_unsupported(xml: bytes) -> None:
    with pytest.raises(InvoiceParseError, match="Podmiot1: tekst 'luźny' między elementami"):
        parse_invoice(xml.replace(b"<Podmiot1>", "<Podmiot1>luźny".encode()))
    with pytest.raises(InvoiceParseError, match="Fa: tekst 'ogon'"):
        parse_invoice(xml.replace(b"</P_1>", b"</P_1>ogon"))


def test_element_inside_a_value_is_reported_unsupported(xml: bytes) -> None:
    with pytest.raises(InvoiceParseError, match="Fa/P_1M: element podrzędny"):
        parse_invoice(xml.replace(b"<P_1M>Warszawa", b"<P_1M>Warszawa<x/>"))


def test_comment_inside_a_value_keeps_the_whole_value(xml: bytes) -> None:
    invoice = parse_invoice(xml.replace(b"<P_1M>Warszawa", b"<P_1M>War<!-- c -->szawa"))
    assert invoice.Fa.P_1M == "Warszawa"


def test_bad_integer_path_has_no_root_prefix(xml: bytes) -> None:
    with pytest.raises(InvoiceParseError, match=r"^Fa/FaWiersz\[1\]/NrWierszaFa"):
        parse_invoice(xml.replace(b"<NrWierszaFa>1<", b"<NrWierszaFa>x<"))
