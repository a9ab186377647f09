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

from fakturnik.base.xmlsafe import text_value
from fakturnik.fa3.rules.base import RuleContext, decimal, parse_date, parse_datetime, tag
from fakturnik.fa3.rules.totals import net_totals_agree

__all__ = ["usual_invoice_passes"]

_FA = tag("Fa")
_FA_WIERSZ = tag("FaWiersz")
_ROZLICZENIE = tag("Rozliczenie")
_NAGLOWEK = tag("Naglowek")
_PODMIOT2 = tag("Podmiot2")
_DATA_WYTWORZENIA = tag("DataWytworzeniaFa")
_ZWOLNIENIE = tag("Zwolnienie")
_P_19 = tag("P_19")
_DANE = tag("DaneIdentyfikacyjne")
_NAZWA = tag("Nazwa")
_ADRES = tag("Adres")
_JST = tag("JST")
_GV = tag("GV")

_NET_TAX = {
    tag(name): name
    for name in (
        "P_13_1", "P_14_1", "P_13_2", "P_14_2", "P_13_3", "P_14_3", "P_13_4", "P_14_4", "P_13_5", "P_14_5",
        "P_13_6_1", "P_13_6_2", "P_13_6_3", "P_13_7", "P_13_8", "P_13_9", "P_13_10", "P_13_11",
    )
}  # fmt: skip
"""Clark name -> field of the per-rate totals the totals rule compares (not the P_14_xW ones)."""

_SUPPLIED, _UNUSUAL, _NOTES = "supplied", "unusual", "notes"
_FA_SCALARS = {
    "KodWaluty": "currency",
    "P_1": "issued",
    "P_6": "sold",
    "RodzajFaktury": "kind",
    "P_15": "p15",
}

# Fa children any of the indexed rules reads besides the ones collected below: their presence means
# "not the usual invoice" (a period, a correction's data, P_14_xW for foreign currency; and Rozliczenie,
# a settlement, which the XSD places after the lines and _fa_ok looks for on its own).
_UNUSUAL_FA = frozenset(
    tag(name)
    for name in (
        "OkresFa", "DaneFaKorygowanej", "PrzyczynaKorekty", "TypKorekty", "P_15ZK",
        "P_14_1W", "P_14_2W", "P_14_3W", "P_14_4W",
    )
)  # fmt: skip
_FA_ROLE: dict[str, str] = {
    **{tag(name): role for name, role in _FA_SCALARS.items()},
    **dict.fromkeys(_NET_TAX, _SUPPLIED),
    **dict.fromkeys(_UNUSUAL_FA, _UNUSUAL),
    tag("Adnotacje"): _NOTES,
}
"""What :func:`_fa_ok` does with each ``Fa`` child it reads (by Clark name)."""

# Every line must have these (content: name, unit, quantity, net price) ...
_LINE_PRESENT = tuple(tag(name) for name in ("P_7", "P_8A", "P_8B", "P_9A"))
# ... and these, which are read (kinds: line number; totals: value and rate, in schema order) ...
_NR_WIERSZA = tag("NrWierszaFa")
_LINE_READ = (tag("P_11"), tag("P_12"))
# ... and none of these (OSS rate, state before a correction).
_LINE_UNUSUAL = tuple(tag(name) for name in ("P_12_XII", "StanPrzed"))
LINE_COLUMNS = tuple(
    name[len(tag("")) :] for name in (_NR_WIERSZA, *_LINE_PRESENT, *_LINE_READ, *_LINE_UNUSUAL)
)
"""Line fields read by column: the XSD must declare each only in FaWiersz, at most once."""
_SLACK = timedelta(days=1)  # as rules.dates
_EARLY = timedelta(days=30)


def _first_text(el: etree._Element, clark: str) -> str | None:
    """Stripped text of the first child with this Clark name ('' for an empty one), None if absent."""
    for child in el:
        if child.tag == clark:
            return text_value(child).strip()
    return None


def usual_invoice_passes(root: etree._Element, ctx: RuleContext) -> bool:
    """True when ``root`` is a usual VAT invoice in PLN on which the indexed rules find nothing."""
    header = buyer = fa = None
    for child in root.iterchildren(_FA, _PODMIOT2, _NAGLOWEK):  # filtered in C: no proxy for the others
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
    for child in buyer.iterchildren(_DANE, _ADRES, _JST, _GV):
        t = child.tag
        if t == _DANE:
            if name:  # a second DaneIdentyfikacyjne: not for the fast path
                return False
            name = _first_text(child, _NAZWA) is not None
            if not name:
                return False
        elif t == _ADRES:
            address = True
        elif t in (_JST, _GV) and text_value(child).strip() == "1":
            return False
    return name and address


def _fa_ok(fa: etree._Element, header: etree._Element, ctx: RuleContext) -> bool:
    found: dict[str, str] = {}
    supplied: dict[str, Decimal] = {}
    notes: etree._Element | None = None
    for child in fa:  # every child read here comes before the first line (the XSD's order) ...
        t = child.tag
        if t == _FA_WIERSZ:
            break
        role = _FA_ROLE.get(t)  # type: ignore[arg-type]
        if role is None:
            continue
        if role == _SUPPLIED:
            value = decimal(text_value(child).strip())
            if value is None:
                return False
            supplied[_NET_TAX[child.tag]] = value  # type: ignore[index]
        elif role == _UNUSUAL:
            return False
        elif role == _NOTES:
            notes = child
        else:
            found[role] = text_value(child).strip()
    if found.get("kind") != "VAT" or found.get("currency") != "PLN" or notes is None:
        return False
    if next(fa.iterchildren(_ROZLICZENIE), None) is not None:  # ... but this one, after the lines
        return False
    lines = _plain_lines(fa)
    if lines is None:
        return False
    return (
        _dates_ok(found.get("issued"), found.get("sold"), _first_text(header, _DATA_WYTWORZENIA), ctx)
        and _lines_ok(lines, notes)
        and _totals_ok(lines, supplied, found.get("p15"))
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


def _plain_lines(fa: etree._Element) -> list[tuple[str, str, str]] | None:
    """(NrWierszaFa, P_11, P_12) texts of every line, or None unless there are lines and each has
    ``P_7``, ``P_8A``, ``P_8B``, ``P_9A``, ``P_11`` and ``P_12`` and none has ``P_12_XII`` or ``StanPrzed``.

    Read by column, without visiting each line's children: in FA(3) these names are declared only
    inside ``FaWiersz``, at most once per line (``NrWierszaFa`` exactly once), and the schema admits no
    foreign elements; so in a schema-valid document "as many as line numbers" means "one in every
    line", and document order is line order (tests/fa3/test_usual_invoice_gate.py checks these
    facts of the XSD).
    """
    numbers = [text_value(el) for el in fa.iter(_NR_WIERSZA)]
    count = len(numbers)
    if not count or next(fa.iter(*_LINE_UNUSUAL), None) is not None:
        return None
    needed = 0
    for _ in fa.iter(*_LINE_PRESENT):
        needed += 1
    if needed != len(_LINE_PRESENT) * count:
        return None
    values = [text_value(el) for el in fa.iter(*_LINE_READ)]  # per line: P_11, then P_12
    if len(values) != 2 * count:
        return None
    return list(zip(numbers, values[0::2], values[1::2], strict=True))


def _lines_ok(lines: list[tuple[str, str, str]], notes: etree._Element) -> bool:
    """rules.kinds (line numbers differ) and rules.content (exempt lines exactly when a basis is given)."""
    if len({number.strip() for number, _, _ in lines}) != len(lines):
        return False
    exempt = any(rate.strip() == "zw" for _, _, rate in lines)
    exemption = None
    for child in notes:
        if child.tag == _ZWOLNIENIE:
            exemption = child
            break
    basis = exemption is not None and _first_text(exemption, _P_19) == "1"
    return exempt == basis


def _totals_ok(lines: list[tuple[str, str, str]], supplied: dict[str, Decimal], p15_text: str | None) -> bool:
    """rules.totals: P_15 is the sum of the per-rate totals, and those are what the net lines give."""
    if any(name.startswith("P_13") for name in supplied):
        p15 = decimal(p15_text)
        if p15 is None or p15 != sum(supplied.values(), Decimal(0)):
            return False
    return net_totals_agree([(value, rate) for _, value, rate in lines], supplied)
