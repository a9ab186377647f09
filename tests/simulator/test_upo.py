"""UPO v4-3 documents as pure functions: every context kind, token logins, pages — all XSD-valid."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from lxml import etree

from fakturnik.base.ksef_numbers import make_ksef_number, make_reference_number
from fakturnik.ksef.crypto import sha256_b64
from fakturnik.simulator.upo import UPO_NS, build_upo, page_ranges, warsaw_time
from tests.simulator.sessions_kit import upo_schema

NS = {"u": UPO_NS}


def _session(context_type: str, context_value: str, token_ref: str | None = None) -> dict[str, Any]:
    return {
        "referenceNumber": make_reference_number("SO", date(2026, 3, 2)),
        "contextType": context_type,
        "contextValue": context_value,
        "ksefTokenRef": token_ref,
        "authDocumentHash": sha256_b64(b"auth"),
        "formLogicalName": "Schemat_FA(3)_v1-0E.xsd",
        "formCode": {"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"},
    }


def _invoice(i: int, mode: str = "Online") -> dict[str, Any]:
    return {
        "ksefNumber": make_ksef_number("5265877635", date(2026, 3, 2)),
        "invoiceHash": sha256_b64(str(i).encode()),
        "invoicingDate": "2026-03-02T10:00:00.123456+00:00",
        "acquisitionDate": "2026-03-02T10:00:01+00:00",
        "invoicingMode": mode,
        "facts": {"sellerNip": "5265877635", "invoiceNumber": f"FV/{i}", "issueDate": "2026-03-02"},
    }


@pytest.mark.parametrize(
    ("context_type", "value", "element"),
    [
        ("Nip", "5265877635", "Nip"),
        ("InternalId", "5265877635-00017", "IdWewnetrzny"),
        ("NipVatUe", "5265877635-DE123456789", "IdZlozonyVatUE"),
        ("PeppolId", "PPL123456", "IdDostawcyUslugPeppol"),
    ],
)
def test_invoice_upo_for_every_context_kind(context_type: str, value: str, element: str) -> None:
    doc = etree.fromstring(build_upo(_session(context_type, value), [_invoice(1)]))
    schema = upo_schema()
    assert schema.validate(doc), schema.error_log
    assert doc.findtext(f"u:Uwierzytelnienie/u:IdKontekstu/u:{element}", namespaces=NS) == value
    assert doc.find("u:OpisPotwierdzenia", NS) is None
    assert doc.findtext("u:Uwierzytelnienie/u:SkrotDokumentuUwierzytelniajacego", namespaces=NS)


def test_token_login_names_the_token_and_offline_mode_is_kept() -> None:
    token_ref = make_reference_number("EC", date(2026, 1, 5))
    doc = etree.fromstring(build_upo(_session("Nip", "5265877635", token_ref), [_invoice(1, "Offline")]))
    assert upo_schema().validate(doc)
    assert doc.findtext("u:Uwierzytelnienie/u:NumerReferencyjnyTokenaKSeF", namespaces=NS) == token_ref
    assert doc.findtext("u:Dokument/u:TrybWysylki", namespaces=NS) == "Offline"


def test_session_page_description() -> None:
    invoices = [_invoice(i) for i in range(5)]
    doc = etree.fromstring(build_upo(_session("Nip", "5265877635"), invoices[2:5], page=(2, 2, 3, 5)))
    assert upo_schema().validate(doc)
    desc = {e.tag.split("}")[1]: e.text for e in doc.find("u:OpisPotwierdzenia", NS)}  # type: ignore[union-attr]
    assert desc == {
        "Strona": "2",
        "LiczbaStron": "2",
        "ZakresDokumentowOd": "3",
        "ZakresDokumentowDo": "5",
        "CalkowitaLiczbaDokumentow": "5",
    }
    assert len(doc.findall("u:Dokument", NS)) == 3


def test_page_ranges_and_times() -> None:
    assert page_ranges(0) == []
    assert page_ranges(10_000) == [(0, 10_000)]
    assert page_ranges(25_001) == [(0, 10_000), (10_000, 20_000), (20_000, 25_001)]
    assert warsaw_time("2026-03-02T10:00:00+00:00") == "2026-03-02T11:00:00.000+01:00"
    assert warsaw_time("2026-07-02T10:00:00.5+00:00") == "2026-07-02T12:00:00.500+02:00"
