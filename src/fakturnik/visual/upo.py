"""The UPO (Urzędowe Poświadczenie Odbioru, v4-3) as a readable PDF: one page per UPO page.

A session UPO of many documents comes as several XML pages (``OpisPotwierdzenia/Strona``); each starts
a new PDF page. The XML is parsed as hostile (no DTD, entities, network).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fakturnik.errors import VisualError
from fakturnik.fa3.xmlsafe import parse_xml
from fakturnik.visual import formatting as fmt
from fakturnik.visual.invoice_view import Node
from fakturnik.visual.render import _env, document_css, html_to_pdf

__all__ = ["UpoPage", "read_upo", "upo_html", "upo_pdf"]

MAX_UPO_BYTES = 20_000_000
_CONTEXT = {
    "Nip": "NIP",
    "IdWewnetrzny": "Identyfikator wewnętrzny",
    "IdZlozonyVatUE": "NIP + VAT UE",
    "IdDostawcyUslugPeppol": "Dostawca usług Peppol",
}


@dataclass
class UpoPage:
    session: str
    page: str
    pages: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    documents: list[dict[str, str]] = field(default_factory=list)


def read_upo(xml: bytes) -> UpoPage:
    root = Node(parse_xml(xml, max_bytes=MAX_UPO_BYTES))
    if root.name != "Potwierdzenie" or "upo.schematy.mf.gov.pl" not in str(root.el.tag):
        raise VisualError("To nie jest UPO KSeF (brak elementu Potwierdzenie w przestrzeni nazw UPO).")
    opis = root.child("OpisPotwierdzenia")
    page = UpoPage(
        root.text("NumerReferencyjnySesji"),
        opis.text("Strona") if opis else "",
        opis.text("LiczbaStron") if opis else "",
    )
    page.rows.append(("Podmiot przyjmujący", root.text("NazwaPodmiotuPrzyjmujacego")))
    auth = root.child("Uwierzytelnienie")
    if auth is not None:
        ctx = auth.child("IdKontekstu")
        if ctx is not None:
            for c in ctx.children():
                page.rows.append((f"Kontekst ({_CONTEXT.get(c.name, c.name)})", c.text()))
        if auth.text("NumerReferencyjnyTokenaKSeF"):
            page.rows.append(("Numer referencyjny tokena KSeF", auth.text("NumerReferencyjnyTokenaKSeF")))
        if auth.text("SkrotDokumentuUwierzytelniajacego"):
            page.rows.append(
                ("Skrót dokumentu uwierzytelniającego", auth.text("SkrotDokumentuUwierzytelniajacego"))
            )
    if opis is not None:
        page.rows.append(
            (
                "Zakres dokumentów",
                f"{opis.text('ZakresDokumentowOd')}–{opis.text('ZakresDokumentowDo')} "
                f"z {opis.text('CalkowitaLiczbaDokumentow')}",
            )
        )
    page.rows.append(("Struktura logiczna", root.text("NazwaStrukturyLogicznej")))
    page.rows.append(("Kod formularza", root.text("KodFormularza")))
    start = (
        int(opis.text("ZakresDokumentowOd") or 1)
        if opis is not None and opis.text("ZakresDokumentowOd").isdigit()
        else 1
    )
    for i, doc in enumerate(root.children("Dokument")):
        page.documents.append(
            {
                "ordinal": str(start + i),
                "seller": doc.text("NipSprzedawcy"),
                "ksef": doc.text("NumerKSeFDokumentu"),
                "number": doc.text("NumerFaktury"),
                "issued": fmt.day(doc.text("DataWystawieniaFaktury")),
                "sent": fmt.moment(doc.text("DataPrzeslaniaDokumentu")),
                "numbered": fmt.moment(doc.text("DataNadaniaNumeruKSeF")),
                "hash": doc.text("SkrotDokumentu"),
                "mode": doc.text("TrybWysylki"),
            }
        )
    return page


def upo_html(*pages_xml: bytes, css: str | None = None) -> str:
    if not pages_xml:
        raise VisualError("Brak UPO do wydruku.")
    pages = [read_upo(x) for x in pages_xml]
    context: dict[str, Any] = {"pages": pages, "css": document_css() if css is None else css}
    return _env().get_template("upo.html").render(**context)


def upo_pdf(*pages_xml: bytes) -> bytes:
    """The UPO pages (one XML each, in order) as one PDF, a new page for every UPO page."""
    return html_to_pdf(upo_html(*pages_xml, css=""))
