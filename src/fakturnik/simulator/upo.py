"""UPO v4-3 documents (Urzędowe Poświadczenie Odbioru) for one invoice or one session page.

The structure follows ``upo-v4-3.xsd``; the Ministry signs its UPOs with XAdES, the simulator does
not (the published samples are unsigned too). ``NazwaPodmiotuPrzyjmujacego`` is the schema's fixed
value, so the documents validate against the XSD (the samples' "- środowisko testowe (TE)" suffix
would not).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from lxml import etree

from fakturnik.base.warsaw import warsaw

UPO_NS = "http://upo.schematy.mf.gov.pl/KSeF/v4-3"
PAGE_SIZE = 10_000
WARSAW = warsaw()

_CONTEXT_ELEMENT = {
    "Nip": "Nip",
    "InternalId": "IdWewnetrzny",
    "NipVatUe": "IdZlozonyVatUE",
    "PeppolId": "IdDostawcyUslugPeppol",
}


def _el(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    node = etree.SubElement(parent, f"{{{UPO_NS}}}{name}")
    if text is not None:
        node.text = text
    return node


def warsaw_time(iso: str) -> str:
    """An ISO timestamp as Warsaw local time with milliseconds and offset (as in the samples)."""
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(WARSAW)
    return moment.isoformat(timespec="milliseconds")


def build_upo(
    session: dict[str, Any],
    invoices: Sequence[dict[str, Any]],
    *,
    page: tuple[int, int, int, int] | None = None,
) -> bytes:
    """UPO XML for ``invoices`` (accepted ones) of ``session``.

    ``page`` = (page number, page count, first document index, total documents) for a session UPO;
    ``None`` for a single-invoice UPO (no ``OpisPotwierdzenia``).
    """
    root = etree.Element(f"{{{UPO_NS}}}Potwierdzenie", nsmap={None: UPO_NS})  # type: ignore[dict-item]
    _el(root, "NazwaPodmiotuPrzyjmujacego", "Ministerstwo Finansów")
    _el(root, "NumerReferencyjnySesji", session["referenceNumber"])
    auth = _el(root, "Uwierzytelnienie")
    ctx = _el(auth, "IdKontekstu")
    _el(ctx, _CONTEXT_ELEMENT.get(session["contextType"], "Nip"), session["contextValue"])
    if session.get("ksefTokenRef"):
        _el(auth, "NumerReferencyjnyTokenaKSeF", session["ksefTokenRef"])
    else:
        _el(auth, "SkrotDokumentuUwierzytelniajacego", session["authDocumentHash"])
    if page is not None:
        number, count, first, total = page
        desc = _el(root, "OpisPotwierdzenia")
        _el(desc, "Strona", str(number))
        _el(desc, "LiczbaStron", str(count))
        _el(desc, "ZakresDokumentowOd", str(first))
        _el(desc, "ZakresDokumentowDo", str(first + len(invoices) - 1))
        _el(desc, "CalkowitaLiczbaDokumentow", str(total))
    _el(root, "NazwaStrukturyLogicznej", session["formLogicalName"])
    _el(root, "KodFormularza", session["formCode"]["systemCode"])
    for inv in invoices:
        doc = _el(root, "Dokument")
        meta = inv["facts"]
        _el(doc, "NipSprzedawcy", meta["sellerNip"])
        _el(doc, "NumerKSeFDokumentu", inv["ksefNumber"])
        _el(doc, "NumerFaktury", meta["invoiceNumber"])
        _el(doc, "DataWystawieniaFaktury", meta["issueDate"])
        _el(doc, "DataPrzeslaniaDokumentu", warsaw_time(inv["invoicingDate"]))
        _el(doc, "DataNadaniaNumeruKSeF", warsaw_time(inv["acquisitionDate"]))
        _el(doc, "SkrotDokumentu", inv["invoiceHash"])
        _el(doc, "TrybWysylki", inv.get("invoicingMode") or "Online")
    body: bytes = etree.tostring(root, xml_declaration=True, encoding="utf-8")
    return body


def page_ranges(total: int, page_size: int | None = None) -> list[tuple[int, int]]:
    """(start index, end index exclusive) of each UPO page over ``total`` accepted documents."""
    size = page_size or PAGE_SIZE
    return [(start, min(start + size, total)) for start in range(0, total, size)]
