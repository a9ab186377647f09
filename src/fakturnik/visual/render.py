"""HTML and PDF of an FA(3) invoice, with its KSeF QR codes in the footer.

``invoice_html`` needs only Jinja2; ``invoice_pdf`` needs WeasyPrint (the ``visual`` extra). Text from
the document is autoescaped, never interpreted: markup in a name prints as text, no resource is
fetched (the URL fetcher refuses everything), so a hostile invoice cannot reach the network or disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import jinja2

from fakturnik.errors import VisualError
from fakturnik.visual.invoice_view import InvoiceView, build_view
from fakturnik.visual.links import CertificateLink, InvoiceLink, invoice_link
from fakturnik.visual.qr import CERTIFICATE_LABEL, kod1_label, qr_svg

__all__ = ["QrBlock", "invoice_html", "invoice_pdf", "qr_blocks", "render_html", "render_pdf"]

KOD1_HEADING = "Zeskanuj kod QR lub otwórz link, aby zweryfikować fakturę w KSeF"
KOD2_HEADING = "Zeskanuj kod QR lub otwórz link, aby zweryfikować wystawcę faktury (certyfikat KSeF)"


@dataclass(frozen=True)
class QrBlock:
    heading: str
    hint: str
    label: str
    url: str
    svg: str


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("fakturnik.visual", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@lru_cache(maxsize=1)
def document_css() -> str:
    return resources.files("fakturnik.visual").joinpath("templates/document.css").read_text("utf-8")


def qr_blocks(
    view: InvoiceView,
    xml: bytes,
    *,
    qr_base: str | None,
    ksef_number: str | None,
    kod2: CertificateLink | None = None,
) -> list[QrBlock]:
    """KOD I (label: KSeF number or OFFLINE) and, for an offline invoice, KOD II (label: CERTYFIKAT)."""
    blocks: list[QrBlock] = []
    if qr_base is not None:
        if view.issue_date is None:
            raise VisualError("Faktura nie ma poprawnej daty wystawienia (P_1); nie da się zbudować KODU I.")
        link: InvoiceLink = invoice_link(qr_base, view.seller_nip, view.issue_date, xml)
        label = kod1_label(ksef_number)
        blocks.append(QrBlock("KOD I – weryfikacja faktury", KOD1_HEADING, label, link.url, qr_svg(link.url)))
    if kod2 is not None:
        if kod2.hash != (blocks[0].url.rsplit("/", 1)[-1] if blocks else kod2.hash):
            raise VisualError("KOD II dotyczy innego pliku faktury niż KOD I.")
        blocks.append(
            QrBlock(
                "KOD II – weryfikacja wystawcy", KOD2_HEADING, CERTIFICATE_LABEL, kod2.url, qr_svg(kod2.url)
            )
        )
    return blocks


def render_html(
    view: InvoiceView, codes: list[QrBlock], *, ksef_number: str | None, offline: bool, css: str | None = None
) -> str:
    template = _env().get_template("invoice.html")
    context: dict[str, Any] = {
        "v": view,
        "codes": codes,
        "ksef_number": ksef_number,
        "offline": offline,
        "css": document_css() if css is None else css,
    }
    return template.render(**context)


def invoice_html(
    xml: bytes,
    *,
    ksef_number: str | None = None,
    qr_base: str | None = None,
    kod2: CertificateLink | None = None,
    offline: bool | None = None,
) -> str:
    """A standalone HTML page of the invoice (inline CSS, inline SVG codes)."""
    view = build_view(xml)
    codes = qr_blocks(view, xml, qr_base=qr_base, ksef_number=ksef_number, kod2=kod2)
    return render_html(
        view, codes, ksef_number=ksef_number, offline=kod2 is not None if offline is None else offline
    )


def _refuse_fetch(url: str, timeout: int = 10, ssl_context: object = None) -> dict[str, Any]:
    raise VisualError(f"Dokument odwołuje się do zasobu zewnętrznego ({url[:60]}); nie jest pobierany.")


@lru_cache(maxsize=1)
def _weasy() -> tuple[Any, Any, Any]:
    try:
        import weasyprint
        from weasyprint.text.fonts import FontConfiguration
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise VisualError("PDF wymaga pakietu WeasyPrint: pip install 'fakturnik[visual]'.") from exc
    fonts = FontConfiguration()
    stylesheet = weasyprint.CSS(string=document_css(), font_config=fonts, url_fetcher=_refuse_fetch)
    return weasyprint, fonts, stylesheet


def html_to_pdf(html: str, *, extra_css: str | None = None) -> bytes:
    """Lay out HTML made by this package (document.css applied) as PDF."""
    weasyprint, fonts, stylesheet = _weasy()
    sheets = [stylesheet]
    if extra_css:
        sheets.append(weasyprint.CSS(string=extra_css, font_config=fonts, url_fetcher=_refuse_fetch))
    document = weasyprint.HTML(string=html, url_fetcher=_refuse_fetch, base_url=None)
    pdf: bytes = document.write_pdf(stylesheets=sheets, font_config=fonts)
    return pdf


def render_pdf(view: InvoiceView, codes: list[QrBlock], *, ksef_number: str | None, offline: bool) -> bytes:
    return html_to_pdf(render_html(view, codes, ksef_number=ksef_number, offline=offline, css=""))


def invoice_pdf(
    xml: bytes,
    *,
    ksef_number: str | None = None,
    qr_base: str | None = None,
    kod2: CertificateLink | None = None,
    offline: bool | None = None,
) -> bytes:
    """The invoice as an A4 PDF: Ministry section order, Polish formatting, page numbers, QR codes."""
    view = build_view(xml)
    codes = qr_blocks(view, xml, qr_base=qr_base, ksef_number=ksef_number, kod2=kod2)
    return render_pdf(
        view, codes, ksef_number=ksef_number, offline=kod2 is not None if offline is None else offline
    )
