"""QR images of the verification links (ISO/IEC 18004, error correction M) with the Ministry's labels.

Under KOD I goes the KSeF number, or ``OFFLINE`` while there is none; under KOD II ``CERTYFIKAT``
(``kody-qr.md``). SVG is written directly; PNG with a label needs Pillow (the ``visual`` extra).
"""

from __future__ import annotations

import io
from html import escape

import segno

from fakturnik.errors import VisualError

__all__ = ["CERTIFICATE_LABEL", "OFFLINE_LABEL", "kod1_label", "qr_matrix_svg", "qr_png", "qr_svg"]

OFFLINE_LABEL = "OFFLINE"
CERTIFICATE_LABEL = "CERTYFIKAT"
MAX_LINK = 2000  # a KOD II link with an RSA-4096 signature is ~900 characters


def kod1_label(ksef_number: str | None) -> str:
    """The label under KOD I: the KSeF number once known, ``OFFLINE`` until then."""
    return ksef_number or OFFLINE_LABEL


def _make(url: str) -> segno.QRCode:
    if not url or len(url) > MAX_LINK:
        raise VisualError(f"Link do kodu QR musi mieć od 1 do {MAX_LINK} znaków.")
    return segno.make_qr(url, error="m", boost_error=False)


def qr_matrix_svg(url: str, *, module: float = 1.0, border: int = 4) -> tuple[str, float]:
    """``(path data, side)``: one SVG path of the dark modules, in module units times ``module``."""
    code = _make(url)
    matrix = code.matrix
    n = len(matrix)
    parts: list[str] = []
    for y, row in enumerate(matrix):
        x = 0
        while x < n:
            if row[x]:
                start = x
                while x < n and row[x]:
                    x += 1
                parts.append(f"M{start + border} {y + border}h{x - start}v1h{start - x}z")
            else:
                x += 1
    side = (n + 2 * border) * module
    return "".join(parts), side


def qr_svg(url: str, label: str | None = None, *, size_mm: float = 30.0) -> str:
    """A standalone SVG of the code, ``size_mm`` wide, with ``label`` centred under it."""
    path, side = qr_matrix_svg(url)
    label_h = side * 0.14 if label else 0.0
    height_mm = size_mm * (side + label_h) / side
    text = ""
    if label:
        font = side / max(len(label), 10) * 1.55
        text = (
            f'<text x="{side / 2:.2f}" y="{side + label_h * 0.55:.2f}" text-anchor="middle" '
            f'font-family="DejaVu Sans, Arial, sans-serif" font-size="{min(font, label_h * 0.8):.2f}">'
            f"{escape(label)}</text>"
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size_mm}mm" height="{height_mm:.2f}mm" '
        f'viewBox="0 0 {side} {side + label_h:.2f}" role="img" aria-label="{escape(label or url)}">'
        f'<rect width="100%" height="100%" fill="#fff"/>'
        f'<path d="{path}" fill="#000" shape-rendering="crispEdges"/>{text}</svg>'
    )


def qr_png(url: str, label: str | None = None, *, scale: int = 6) -> bytes:
    """A PNG of the code (``scale`` pixels per module), with ``label`` under it when given."""
    code = _make(url)
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=scale, border=4)
    if not label:
        return buffer.getvalue()
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError as exc:  # pragma: no cover - Pillow comes with the visual extra
        raise VisualError(
            "Etykieta pod kodem PNG wymaga pakietu Pillow (pip install fakturnik[visual])."
        ) from exc
    buffer.seek(0)
    image = Image.open(buffer).convert("L")
    width, height = image.size
    font_size = max(10, min(scale * 4, int(width / max(len(label), 10) * 1.6)))
    try:
        font: ImageFont.FreeTypeFont | ImageFont.ImageFont = ImageFont.truetype("DejaVuSans.ttf", font_size)
    except OSError:
        font = ImageFont.load_default()
    band = int(font_size * 1.8)
    canvas = Image.new("L", (width, height + band), 255)
    canvas.paste(image, (0, 0))
    draw = ImageDraw.Draw(canvas)
    draw.text((width / 2, height + band / 2 - scale), label, fill=0, font=font, anchor="mm")
    out = io.BytesIO()
    canvas.save(out, format="PNG", optimize=False)
    return out.getvalue()
