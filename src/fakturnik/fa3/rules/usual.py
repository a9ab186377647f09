"""A fast accept for the usual invoice: one walk that proves the indexed rules would find nothing.

Most invoices are ordinary VAT invoices in PLN whose lines each give a name, unit, quantity, net unit
price, value and rate. For such an invoice, :func:`usual_invoice_passes` reads everything the rules
of ``dates``, ``kinds``, ``content`` and ``totals`` look at in one walk over the tree and checks it in
one place; it answers True only when every one of those rules would report nothing at all (no error,
no warning). Anything else — another kind, a correction, foreign currency, a period, an odd line, a
supplied total that differs, a subunit flag — answers False, and :func:`fakturnik.fa3.rules.run_rules`
runs the general rules, which then say what is wrong. So this never reports a problem and never hides
one: tests/fa3/test_usual_invoice_gate.py runs both on the sample corpus, the negative corpus and
generated invoices and checks that "passes" always means "the rules find nothing".

It must only be asked about a document the FA(3) XSD accepted (one ``Naglowek``, ``Podmiot2`` and
``Fa``; at most one of each line field): the walk relies on that structure.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from lxml import etree

from fakturnik.fa3.rules.base import RuleContext, decimal, parse_date, parse_datetime, tag
from fakturnik.fa3.rules.totals import net_totals_agree

__all__ = ["usual_invoice_passes"]

_FA = tag("Fa")
_NAGLOWEK = tag("Naglowek")
_PODMIOT2 = tag("Podmiot2")
_DATA_WYTWORZENIA = tag("DataWytworzeniaFa")
_KOD_WALUTY = tag("KodWaluty")
_RODZAJ = tag("RodzajFaktury")
_P_1 = tag("P_1")
_P_6 = tag("P_6")
_P_15 = tag("P_15")
_ADNOTACJE = tag("Adnotacje")
_ZWOLNIENIE = tag("Zwolnienie")
_P_19 = tag("P_19")
_FA_WIERSZ = tag("FaWiersz")
_DANE = tag("DaneIdentyfikacyjne")
_NAZWA = tag("Nazwa")
_ADRES = tag("Adres")
_JST = tag("JST")
_GV = tag("GV")
_NR_WIERSZA = tag("NrWierszaFa")
_P_11 = tag("P_11")
_P_12 = tag("P_12")

_NET_TAX = {
    tag(name): name
    for name in (
        "P_13_1", "P_14_1", "P_13_2", "P_14_2", "P_13_3", "P_14_3", "P_13_4", "P_14_4", "P_13_5", "P_14_5",
        "P_13_6_1", "P_13_6_2", "P_13_6_3", "P_13_7", "P_13_8", "P_13_9", "P_13_10", "P_13_11",
    )
}  # fmt: skip
"""Clark name -> field of the per-rate totals the totals rule compares (not the P_14_xW ones)."""

# Fa children any of the indexed rules reads besides the ones collected below: their presence means
# "not the usual invoice" (a period, a correction's data, a settlement, P_14_xW for foreign currency).
_UNUSUAL_FA = frozenset(
    tag(name)
    for name in (
        "OkresFa", "DaneFaKorygowanej", "PrzyczynaKorekty", "TypKorekty", "P_15ZK", "Rozliczenie",
        "P_14_1W", "P_14_2W", "P_14_3W", "P_14_4W",
    )
)  # fmt: skip
# Every line must have these (content: name, unit, quantity, net price; totals: value and rate).
_LINE_NEEDS = frozenset(tag(name) for name in ("NrWierszaFa", "P_7", "P_8A", "P_8B", "P_9A", "P_11", "P_12"))
# ... and none of these (OSS rate, state before a correction).
_LINE_UNUSUAL = frozenset(tag(name) for name in ("P_12_XII", "StanPrzed"))
_SLACK = timedelta(days=1)  # as rules.dates
_EARLY = timedelta(days=30)


def _first_text(el: etree._Element, clark: str) -> str | None:
    """Stripped text of the first child with this Clark name ('' for an empty one), None if absent."""
    for child in el:
        if child.tag == clark:
            return (child.text or "").strip()
    return None


def usual_invoice_passes(root: etree._Element, ctx: RuleContext) -> bool:
    """True when ``root`` is a usual VAT invoice in PLN on which the indexed rules find nothing."""
    header = buyer = fa = None
    for child in root:
        t = child.tag
        if t == _FA:
            fa = child
        elif t == _PODMIOT2:
            buyer = child
        elif t == _NAGLOWEK:
            header = child
    if fa is None or header is None or buyer is None:
        return False
    return _buyer_ok(buyer) and _fa_ok(fa, header, ctx)


def _buyer_ok(buyer: etree._Element) -> bool:
    """rules.content: the buyer's name and address are there, and no JST/GV flag asks for Podmiot3."""
    name = address = False
    for child in buyer:
        t = child.tag
        if t == _DANE:
            if name:  # a second DaneIdentyfikacyjne: not for the fast path
                return False
            name = _first_text(child, _NAZWA) is not None
            if not name:
                return False
        elif t == _ADRES:
            address = True
        elif t in (_JST, _GV) and (child.text or "").strip() == "1":
            return False
    return name and address


def _fa_ok(fa: etree._Element, header: etree._Element, ctx: RuleContext) -> bool:
    currency = issued_text = sold_text = kind = p15_text = None
    supplied: dict[str, Decimal] = {}
    notes: etree._Element | None = None
    lines: list[dict[str, str | None]] = []
    for child in fa:
        t = child.tag
        if t == _FA_WIERSZ:
            values = {c.tag: c.text for c in child}  # type: ignore[misc]
            if not values.keys() >= _LINE_NEEDS or not values.keys().isdisjoint(_LINE_UNUSUAL):
                return False
            lines.append(values)  # type: ignore[arg-type]
        elif t in _NET_TAX:
            value = decimal((child.text or "").strip())
            if value is None:
                return False
            supplied[_NET_TAX[t]] = value  # type: ignore[index]
        elif t in _UNUSUAL_FA:
            return False
        elif t == _KOD_WALUTY:
            currency = (child.text or "").strip()
        elif t == _P_1:
            issued_text = (child.text or "").strip()
        elif t == _P_6:
            sold_text = (child.text or "").strip()
        elif t == _RODZAJ:
            kind = (child.text or "").strip()
        elif t == _P_15:
            p15_text = (child.text or "").strip()
        elif t == _ADNOTACJE:
            notes = child
    if kind != "VAT" or currency != "PLN" or not lines or notes is None:
        return False
    return (
        _dates_ok(issued_text, sold_text, _first_text(header, _DATA_WYTWORZENIA), ctx)
        and _lines_ok(lines, notes)
        and _totals_ok(lines, supplied, p15_text)
    )


def _dates_ok(
    issued_text: str | None, sold_text: str | None, created_text: str | None, ctx: RuleContext
) -> bool:
    """rules.dates for a VAT invoice without a period or corrected invoices."""
    issued = parse_date(issued_text)
    created = parse_datetime(created_text)
    if issued is None or created is None or issued > ctx.today + _SLACK:
        return False
    if created.tzinfo is None:
        created = created.replace(tzinfo=ctx.now.tzinfo)
    if created > ctx.now + _SLACK:
        return False
    if sold_text is None:
        return True
    sold: date | None = parse_date(sold_text)
    return sold is not None and not issued < sold - _EARLY


def _lines_ok(lines: list[dict[str, str | None]], notes: etree._Element) -> bool:
    """rules.kinds (line numbers differ) and rules.content (exempt lines exactly when a basis is given)."""
    numbers = {(values[_NR_WIERSZA] or "").strip() for values in lines}
    if len(numbers) != len(lines):
        return False
    exempt = any((values[_P_12] or "").strip() == "zw" for values in lines)
    exemption = None
    for child in notes:
        if child.tag == _ZWOLNIENIE:
            exemption = child
            break
    basis = exemption is not None and _first_text(exemption, _P_19) == "1"
    return exempt == basis


def _totals_ok(
    lines: list[dict[str, str | None]], supplied: dict[str, Decimal], p15_text: str | None
) -> bool:
    """rules.totals: P_15 is the sum of the per-rate totals, and those are what the net lines give."""
    if any(name.startswith("P_13") for name in supplied):
        p15 = decimal(p15_text)
        if p15 is None or p15 != sum(supplied.values(), Decimal(0)):
            return False
    pairs = [(values[_P_11] or "", values[_P_12] or "") for values in lines]
    return net_totals_agree(pairs, supplied)
