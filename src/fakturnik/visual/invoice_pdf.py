"""The invoice and the UPO as PDF, laid out from the same models the HTML templates show.

One document model (``visual.document.InvoiceDocument``), two faces: ``templates/invoice.html`` for
the browser, this module for paper. The sections come in the same order as in the HTML and the
Ministry's visualisation: header, parties, details, correction, lines, VAT summary, total in words,
annotations, payment, settlement, orders, additional descriptions, transaction terms, footer and
registers, attachment, then KOD I and KOD II with their headings and labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fakturnik.visual import formatting
from fakturnik.visual.document import InvoiceDocument, Party, Table
from fakturnik.visual.pdf import (
    BODY,
    BOLD,
    BRAND,
    MM,
    MUTED,
    Column,
    Flow,
    Style,
)
from fakturnik.visual.qr import qr_matrix

__all__ = ["render_invoice_pdf", "render_upo_pdf"]

MARGINS = (14, 12, 18, 12)  # top, right, bottom, left in mm
GAP = 8.0
TITLE = Style(13, "B")
NUMBER = Style(11, "B")
BRAND_STYLE = Style(16, "B", BRAND)
PARTY_HEAD = Style(8, "B", BRAND)
GRAND = Style(11, "B")
MONO = Style(7.5, "M")
LINK = Style(6, color=MUTED)


def _header(flow: Flow, subtitle: str, title: str, lines: Sequence[tuple[str, Style]]) -> None:
    top = flow.y
    half = flow.width * 0.48
    flow.draw_lines(["Krajowy System e-Faktur"], flow.left, top, BRAND_STYLE)
    flow.draw_lines([subtitle], flow.left, top - BRAND_STYLE.line, Style(7, color=MUTED))
    left_h = BRAND_STYLE.line + Style(7).line
    right_x = flow.left + half
    right_w = flow.width - half
    y = top
    y -= flow.draw_lines(flow.wrap(title, TITLE, right_w), right_x, y, TITLE, right_w, "R")
    for text, style in lines:
        y -= flow.draw_lines(flow.wrap(text, style, right_w), right_x, y, style, right_w, "R")
    flow.y = min(top - left_h, y) - 4
    flow.rule(flow.left, flow.right, flow.y, BRAND, 1.5)
    flow.y -= 8


def _party_lines(flow: Flow, p: Party, width: float) -> list[tuple[list[str], Style]]:
    out: list[tuple[list[str], Style]] = [(flow.wrap(p.heading.upper(), PARTY_HEAD, width), PARTY_HEAD)]
    if p.name:
        out.append((flow.wrap(p.name, BOLD, width), BOLD))
    for k, v in p.ids:
        out.append((flow.wrap(f"{k}: {v}", BODY, width), BODY))
    for line in p.address:
        out.append((flow.wrap(line, BODY, width), BODY))
    if p.correspondence:
        text = "Adres do korespondencji: " + ", ".join(p.correspondence)
        out.append((flow.wrap(text, Style(color=MUTED), width), Style(color=MUTED)))
    for k, v in p.contact:
        out.append((flow.wrap(f"{k}: {v}", BODY, width), BODY))
    for k, v in p.extra:
        out.append((flow.wrap(f"{k}: {v}", Style(color=MUTED), width), Style(color=MUTED)))
    return out


def _parties(flow: Flow, parties: Sequence[Party]) -> None:
    col_w = (flow.width - GAP) / 2
    pad = 6.0
    for i in range(0, len(parties), 2):
        pair = parties[i : i + 2]
        blocks = [_party_lines(flow, p, col_w - 2 * pad) for p in pair]
        heights = [sum(len(lines) * style.line for lines, style in block) + 2 * pad for block in blocks]
        height = max(heights)
        if height > flow.top - flow.bottom:  # a party longer than a page: draw it as plain text
            for block in blocks:
                for lines, style in block:
                    for line in lines:
                        flow.paragraph(line, style)
            continue
        flow.need(height)
        for j, block in enumerate(blocks):
            x = flow.left + j * (col_w + GAP)
            flow.box(x, flow.y, col_w, height)
            y = flow.y - pad + 2
            for lines, style in block:
                y -= flow.draw_lines(lines, x + pad, y, style)
        flow.y -= height + 5


def _lines_table(flow: Flow, doc: InvoiceDocument) -> None:
    q = formatting.quantity
    a = formatting.amount
    columns = [Column("Lp.", 4, "R"), Column("Nazwa towaru lub usługi", 30), Column("J.m.", 6),
               Column("Ilość", 7, "R"), Column("Cena jedn. netto", 10, "R")]  # fmt: skip
    if doc.has_line_gross:
        columns.append(Column("Cena jedn. brutto", 10, "R"))
    columns += [Column("Rabat", 7, "R"), Column("Stawka", 7, "R"), Column("Wartość netto", 11, "R")]
    if doc.has_line_gross:
        columns.append(Column("Wartość brutto", 11, "R"))
    rows: list[list[str]] = []
    notes: list[str] = []
    shaded: list[bool] = []
    for line in doc.lines:
        name = line.name + (" (przed korektą)" if line.before else "")
        row = [line.number, name, line.unit, q(line.quantity), q(line.unit_net)]
        if doc.has_line_gross:
            row.append(q(line.unit_gross))
        row += [a(line.discount), line.rate, a(line.net)]
        if doc.has_line_gross:
            row.append(a(line.gross))
        rows.append(row)
        notes.append(" · ".join(line.notes))
        shaded.append(line.before)
    if not rows:
        flow.paragraph("Faktura nie ma pozycji.", Style(color=MUTED))
        return
    flow.table(columns, rows, notes=notes, shaded=shaded,
               row_styles=[Style(color=MUTED) if s else None for s in shaded])  # fmt: skip


def _totals(flow: Flow, doc: InvoiceDocument) -> None:
    a = formatting.amount
    if doc.rates:
        columns = [Column("Stawka", 12), Column("Wartość netto", 10, "R"), Column("Kwota VAT", 10, "R")]
        if doc.foreign:
            columns.append(Column("VAT w PLN", 10, "R"))
        columns.append(Column("Wartość brutto", 10, "R"))
        rows = []
        for r in doc.rates:
            row = [r.label, a(r.net), a(r.vat)]
            if doc.foreign:
                row.append(a(r.vat_pln))
            row.append(a(r.gross))
            rows.append(row)
        flow.space(6)
        flow.table(columns, rows, x=flow.left + flow.width * 0.4, width=flow.width * 0.6)
    if doc.total is not None:
        flow.space(6)
        flow.paragraph(f"Kwota należności ogółem: {a(doc.total)} {doc.currency}", GRAND, align="R")
        words = formatting.amount_in_words(doc.total, doc.currency)
        flow.paragraph(f"Słownie: {words}", Style(8, color=(0.2, 0.2, 0.2)), align="R")


def _data_table(flow: Flow, table: Table) -> None:
    width = max([len(table.header), *(len(r) for r in table.rows), len(table.footer), 1])
    header = list(table.header) + [""] * (width - len(table.header))
    rows = [list(r) + [""] * (width - len(r)) for r in table.rows]
    footer = list(table.footer) + [""] * (width - len(table.footer)) if table.footer else []
    if not header and not rows:
        return
    flow.table([Column(h, 1) for h in header], rows, footer=footer)


def _codes(flow: Flow, codes: Any, certificate_label: str) -> None:
    size = 32 * MM
    col_w = flow.width * 0.45
    items = [("Sprawdź, czy faktura jest w KSeF", codes.kod1, codes.kod1_label)]
    if codes.kod2:
        items.append(("Zweryfikuj wystawcę faktury", codes.kod2, certificate_label))
    link_w = min(col_w, 70 * MM)
    blocks = [
        (flow.wrap(title, Style(8, "B"), col_w), flow.wrap(label, MONO, col_w),
         flow.split_word(link, LINK, link_w), link, title)
        for title, link, label in items
    ]  # fmt: skip
    height = max(
        len(t) * Style(8).line + 2 + size + 2 + len(lab) * MONO.line + len(ln) * LINK.line
        for t, lab, ln, _, _ in blocks
    )
    flow.space(12)
    flow.need(height)
    for i, (title, label, link_lines, link, _) in enumerate(blocks):
        x = flow.left + i * (col_w + flow.width * 0.04)
        y = flow.y
        y -= flow.draw_lines(title, x, y, Style(8, "B"), col_w, "C") + 2
        flow.qr(qr_matrix(link), x + (col_w - size) / 2, y, size)
        y -= size + 2
        y -= flow.draw_lines(label, x, y, MONO, col_w, "C")
        flow.draw_lines(link_lines, x + (col_w - link_w) / 2, y, LINK, link_w, "C")
    flow.y -= height


def render_invoice_pdf(doc: InvoiceDocument, *, codes: Any, ksef_number: str | None,
                       certificate_label: str) -> bytes:  # fmt: skip
    """The invoice on A4 pages: page numbers and "Wytworzona w" in the margin, the codes at the end."""
    flow = Flow(title=f"{doc.kind_label} {doc.number}", system_info=doc.system_info or "Fakturnik",
                margins_mm=MARGINS)  # fmt: skip
    ksef = f"Numer KSeF: {ksef_number}" if ksef_number else "Numer KSeF: — (faktura jeszcze bez numeru KSeF)"
    _header(flow, "Faktura ustrukturyzowana FA(3)", doc.kind_label,
            [(f"Nr {doc.number}", NUMBER), (ksef, Style(8, color=(0.2, 0.2, 0.2)))])  # fmt: skip
    _parties(flow, [doc.seller, doc.buyer, *doc.others])

    flow.heading("Szczegóły")
    details = [("Data wystawienia", formatting.polish_date(doc.issue_date))]
    if doc.issue_place:
        details.append(("Miejsce wystawienia", doc.issue_place))
    if doc.sale:
        details.append(("Data dostawy / wykonania usługi", doc.sale))
    details.append(("Waluta", doc.currency))
    flow.kv([*details, *doc.details])

    if doc.correction:
        flow.heading("Korekta")
        flow.kv(doc.correction)

    flow.heading("Pozycje")
    _lines_table(flow, doc)
    _totals(flow, doc)

    if doc.annotations:
        flow.heading("Adnotacje")
        for note in doc.annotations:
            flow.paragraph("• " + note, indent=4)
    if doc.payment or doc.accounts:
        flow.heading("Płatność")
        flow.kv(doc.payment)
        for account in doc.accounts:
            flow.space(3)
            flow.kv(account)
    if doc.settlement:
        flow.heading("Rozliczenie")
        flow.kv(doc.settlement)
    for table in doc.tables:
        flow.heading(table.title)
        _data_table(flow, table)
    if doc.descriptions:
        flow.heading("Dodatkowe informacje")
        flow.kv(doc.descriptions)
    if doc.terms:
        flow.heading("Warunki transakcji")
        flow.kv(doc.terms)
    if doc.footer or doc.registers:
        flow.heading("Stopka")
        for text in doc.footer:
            flow.paragraph(text)
            flow.space(3)
        flow.kv(doc.registers)
    if doc.attachment:
        flow.heading("Załącznik")
        for block in doc.attachment:
            if isinstance(block, Table):
                if block.title:
                    flow.space(3)
                    flow.paragraph(block.title, BOLD)
                _data_table(flow, block)
            else:
                for text in block:
                    flow.paragraph(text)
                    flow.space(3)
    if codes is not None:
        _codes(flow, codes, certificate_label)
    return flow.finish()


UPO_LABELS = (
    ("NumerFaktury", "Numer faktury"),
    ("NumerKSeFDokumentu", "Numer KSeF"),
    ("NipSprzedawcy", "NIP sprzedawcy"),
    ("DataWystawieniaFaktury", "Data wystawienia"),
    ("DataPrzeslaniaDokumentu", "Przesłano"),
    ("DataNadaniaNumeruKSeF", "Nadano numer KSeF"),
    ("TrybWysylki", "Tryb wysyłki"),
    ("SkrotDokumentu", "Skrót dokumentu (SHA-256)"),
)


def render_upo_pdf(pages: Sequence[dict[str, Any]]) -> bytes:
    """The UPO: each UPO page from a new PDF page, every document in its own box."""
    flow = Flow(title="Urzędowe Poświadczenie Odbioru", system_info="KSeF — UPO", margins_mm=MARGINS)
    for number, page in enumerate(pages):
        if number:
            flow.new_page()
        _header(flow, "Urzędowe Poświadczenie Odbioru", "UPO", [])
        flow.heading("Sesja")
        flow.kv(page["header"])
        if page["auth"]:
            flow.heading("Uwierzytelnienie")
            flow.kv(page["auth"])
        if page["page"]:
            flow.heading("Opis potwierdzenia")
            flow.kv(page["page"])
        flow.heading(f"Dokumenty ({len(page['documents'])})")
        for i, d in enumerate(page["documents"], 1):
            rows = [
                (label, formatting.polish_date(d[key]) if key == "DataWystawieniaFaktury" else d[key])
                for key, label in UPO_LABELS
                if d.get(key)
            ]
            pad = 6.0
            inner = flow.width - 2 * pad
            heights = [
                max(len(flow.wrap(k, BODY, inner * 0.38 - 2)), len(flow.wrap(v, BODY, inner * 0.61)))
                for k, v in rows
            ]
            height = (sum(heights) + 1) * BODY.line + PARTY_HEAD.line + 2 * pad
            flow.need(height)
            top = flow.y
            flow.box(flow.left, top, flow.width, height)
            flow.y -= pad - 2
            flow.draw_lines([f"DOKUMENT {i}"], flow.left + pad, flow.y, PARTY_HEAD)
            flow.y -= PARTY_HEAD.line
            flow.kv(rows, x=flow.left + pad, width=inner)
            flow.y = top - height - 5
    return flow.finish()
