"""Invoice and UPO as HTML (Jinja2 with autoescaping) and PDF (ReportLab, ``visual.invoice_pdf``).

What the document shows follows the invoice's state: an invoice with a KSeF number carries KOD I
labelled with that number and no KOD II; an offline invoice carries KOD I labelled ``OFFLINE`` and
KOD II (``CERTYFIKAT``) signed with the seller's KSeF Offline certificate.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import jinja2
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree

from fakturnik.base.xmlsafe import parse_xml
from fakturnik.errors import VisualError
from fakturnik.ksef.verification_links import certificate_link, invoice_link
from fakturnik.visual import formatting
from fakturnik.visual.document import InvoiceDocument, read_invoice
from fakturnik.visual.qr import CERTIFICATE_LABEL, OFFLINE_LABEL, qr_svg

__all__ = [
    "Codes",
    "OfflineSigner",
    "invoice_codes",
    "invoice_html",
    "invoice_pdf",
    "upo_html",
    "upo_pdf",
]

MAX_UPO_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class OfflineSigner:
    """What KOD II needs: the seller's KSeF Offline certificate, its key and the KSeF context."""

    certificate: x509.Certificate
    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    context_type: str
    context_value: str

    def __repr__(self) -> str:
        return f"OfflineSigner(context={self.context_type}:{self.context_value}, key=<hidden>)"


@dataclass(frozen=True)
class Codes:
    """The verification links on a document and the labels under them."""

    kod1: str
    kod1_label: str
    kod2: str | None = None


@cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("fakturnik.visual", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["kwota"] = formatting.amount
    env.filters["ilosc"] = formatting.quantity
    env.filters["data"] = formatting.polish_date
    env.filters["slownie"] = formatting.amount_in_words
    env.globals["qr_svg"] = qr_svg
    return env


def invoice_codes(
    xml: bytes,
    document: InvoiceDocument,
    *,
    qr_base: str,
    ksef_number: str | None = None,
    offline: OfflineSigner | None = None,
) -> Codes:
    """KOD I always; KOD II only for an offline invoice that has no KSeF number yet."""
    if document.issue_date is None:
        raise VisualError("Faktura nie ma daty wystawienia (P_1): nie da się zbudować kodu KOD I.")
    kod1 = invoice_link(qr_base, document.seller_nip, document.issue_date, xml)
    if ksef_number:
        return Codes(kod1, ksef_number)
    kod2 = None
    if offline is not None:
        kod2 = certificate_link(
            qr_base,
            context_type=offline.context_type,
            context_value=offline.context_value,
            seller_nip=document.seller_nip,
            xml=xml,
            certificate=offline.certificate,
            private_key=offline.private_key,
        )
    return Codes(kod1, OFFLINE_LABEL, kod2)


def _read_with_codes(
    xml: bytes, qr_base: str | None, ksef_number: str | None, offline: OfflineSigner | None
) -> tuple[InvoiceDocument, Codes | None]:
    """The invoice's document and, when ``qr_base`` is given, its verification codes."""
    document = read_invoice(xml)
    if not qr_base:
        return document, None
    return document, invoice_codes(xml, document, qr_base=qr_base, ksef_number=ksef_number, offline=offline)


def invoice_html(
    xml: bytes,
    *,
    qr_base: str | None = None,
    ksef_number: str | None = None,
    offline: OfflineSigner | None = None,
    for_pdf: bool = False,
) -> str:
    """The invoice as a standalone HTML page (QR codes included when ``qr_base`` is given)."""
    document, codes = _read_with_codes(xml, qr_base, ksef_number, offline)
    return (
        _env()
        .get_template("invoice.html")
        .render(
            doc=document,
            codes=codes,
            ksef_number=ksef_number,
            certificate_label=CERTIFICATE_LABEL,
            for_pdf=for_pdf,
        )
    )


def invoice_pdf(
    xml: bytes,
    *,
    qr_base: str | None = None,
    ksef_number: str | None = None,
    offline: OfflineSigner | None = None,
) -> bytes:
    """The invoice as PDF: A4, page numbers, QR codes with their labels (ReportLab, the ``visual`` extra)."""
    from fakturnik.visual.invoice_pdf import render_invoice_pdf

    document, codes = _read_with_codes(xml, qr_base, ksef_number, offline)
    return render_invoice_pdf(
        document, codes=codes, ksef_number=ksef_number, certificate_label=CERTIFICATE_LABEL
    )


def _upo_pages(xml: bytes) -> list[dict[str, Any]]:
    root = parse_xml(xml, max_bytes=MAX_UPO_BYTES)
    if etree.QName(root).localname != "Potwierdzenie":
        raise VisualError("To nie jest UPO KSeF: element główny nie nazywa się Potwierdzenie.")

    def text(el: etree._Element, name: str) -> str:
        found = el.find("{*}" + name)
        return "" if found is None else "".join(str(t) for t in found.itertext()).strip()

    def pairs(el: etree._Element | None) -> list[tuple[str, str]]:
        if el is None:
            return []
        out = []
        for child in el.iter():
            if child is el or not isinstance(child.tag, str) or len(child):
                continue
            value = "".join(str(t) for t in child.itertext()).strip()
            if value:
                out.append((etree.QName(child).localname, value))
        return out

    header = [
        ("Podmiot przyjmujący", text(root, "NazwaPodmiotuPrzyjmujacego")),
        ("Numer referencyjny sesji", text(root, "NumerReferencyjnySesji")),
        ("Struktura logiczna", text(root, "NazwaStrukturyLogicznej")),
        ("Kod formularza", text(root, "KodFormularza")),
    ]
    docs = []
    for d in root.iterfind("{*}Dokument"):
        docs.append(
            {etree.QName(c).localname: text(d, etree.QName(c).localname) for c in d if isinstance(c.tag, str)}
        )
    return [
        {
            "header": [(k, v) for k, v in header if v],
            "auth": pairs(root.find("{*}Uwierzytelnienie")),
            "page": pairs(root.find("{*}OpisPotwierdzenia")),
            "documents": docs,
        }
    ]


def upo_html(xml: bytes, *, for_pdf: bool = False) -> str:
    """The UPO (v4-3) as a readable page: the session, the authentication, each document."""
    return _env().get_template("upo.html").render(pages=_upo_pages(xml), for_pdf=for_pdf)


def upo_pdf(xml: bytes) -> bytes:
    """The UPO as PDF, one page per UPO page."""
    from fakturnik.visual.invoice_pdf import render_upo_pdf

    return render_upo_pdf(_upo_pages(xml))
