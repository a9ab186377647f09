"""QR images of the verification links (ISO/IEC 18004, error correction level M) with their labels.

The Ministry prescribes the text under each code: the KSeF number under KOD I (``OFFLINE`` while the
invoice has none), ``CERTYFIKAT`` under KOD II.
"""

from __future__ import annotations

import io
from html import escape

import segno

from fakturnik.errors import VisualError

__all__ = ["CERTIFICATE_LABEL", "OFFLINE_LABEL", "labelled_svg", "qr_png", "qr_svg"]

OFFLINE_LABEL = "OFFLINE"
CERTIFICATE_LABEL = "CERTYFIKAT"


def _code(link: str) -> segno.QRCode:
    if not link or len(link) > 1500:
        raise VisualError("Link do zakodowania w QR jest pusty lub za długi.")
    return segno.make_qr(link, error="m", boost_error=False)


def qr_svg(link: str, *, scale: int = 3) -> str:
    """The code as inline SVG markup (no XML declaration), black on white, quiet zone 4 modules."""
    return str(_code(link).svg_inline(scale=scale, border=4, dark="#000", light="#fff"))


def qr_png(link: str, *, scale: int = 4) -> bytes:
    """The code as a PNG image."""
    out = io.BytesIO()
    _code(link).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def labelled_svg(link: str, label: str, *, scale: int = 3) -> str:
    """A standalone SVG: the code with its label centred beneath it."""
    code = _code(link)
    width, height = code.symbol_size(scale=scale, border=4)
    inner = code.svg_inline(scale=scale, border=4, dark="#000", light="#fff")
    font = max(8, scale * 4)
    total = height + font + 6
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{total}" '
        f'viewBox="0 0 {width} {total}" role="img" aria-label="{escape(label)}">'
        f'<rect width="{width}" height="{total}" fill="#fff"/>{inner}'
        f'<text x="{width / 2}" y="{height + font}" font-family="DejaVu Sans, sans-serif" '
        f'font-size="{font}" text-anchor="middle">{escape(label)}</text></svg>'
    )
