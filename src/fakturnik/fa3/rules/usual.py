"""A fast accept for the usual invoice: one walk that proves the indexed rules would find nothing.

Most invoices are ordinary ones: a VAT invoice, a correction (KOR) of one, or an advance (ZAL), in PLN
or a foreign currency, whose lines each give a name, unit, quantity, unit price (net or gross),
value and rate. For such an invoice, :func:`usual_invoice_passes` reads everything the rules of
``dates``, ``kinds``, ``content`` and ``totals`` look at in one walk over the tree and checks it in
one place; it answers True only when every one of those rules would report nothing at all (no error,
no warning). Anything else — another kind, a period, an odd line, a supplied total that differs, a
foreign-currency tax without its PLN amount, a subunit flag — answers False, and
:func:`fakturnik.fa3.rules.run_rules` runs the general rules, which then say what is wrong. So this
never reports a problem and never hides one: tests/fa3/test_usual_invoice_gate.py runs both on the
sample corpus, the negative corpus, generated invoices of every kind and one-change mutations of
each usual shape, and checks that "passes" always means "the rules find nothing".

It must only be asked about a document the FA(3) XSD accepted (one ``Naglowek``, ``Podmiot2`` and
``Fa``; at most one of each line field): the walk relies on that structure.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from lxml import etree

from fakturnik.base.xmlsafe import text_value
from fakturnik.fa3.rules.base import RuleContext, decimal, parse_date, parse_datetime, tag
from fakturnik.fa3.rules.totals import lines_agree

__all__ = ["usual_invoice_passes"]

_FA = tag("Fa")
_ROZLICZENIE = tag("Rozliczenie")
_ZAMOWIENIE = tag("Zamowienie")
_NAGLOWEK = tag("Naglowek")
_PODMIOT2 = tag("Podmiot2")
_DATA_WYTWORZENIA = tag("DataWytworzeniaFa")
_DATA_KORYGOWANEJ = tag("DataWystFaKorygowanej")
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
_TAX_IN_PLN = {tag(f"P_14_{group}W"): f"P_14_{group}" for group in "1234"}
"""Clark name of a P_14_xW -> the tax field it states in PLN (rules.totals.check_foreign_currency_tax)."""

_SUPPLIED, _UNUSUAL, _NOTES, _IN_PLN, _CORRECTION, _REFERENCE = (
    "supplied", "unusual", "notes", "in_pln", "correction", "reference",
)  # fmt: skip
_FA_SCALARS = {
    "KodWaluty": "currency",
    "P_1": "issued",
    "P_6": "sold",
    "RodzajFaktury": "kind",
    "P_15": "p15",
}

# Fa children any of the indexed rules reads besides the ones collected below: their presence means
# "not the usual invoice" (a period; and Rozliczenie, a settlement, which the XSD places after the
# lines and _fa_ok looks for on its own).
_UNUSUAL_FA = frozenset({tag("OkresFa")})
# What only a correction may carry (rules.kinds): the usual KOR has them, any other kind must not.
_CORRECTION_ONLY = frozenset(tag(name) for name in ("PrzyczynaKorekty", "TypKorekty", "P_15ZK"))
_FA_ROLE: dict[str, str] = {
    **{tag(name): role for name, role in _FA_SCALARS.items()},
    **dict.fromkeys(_NET_TAX, _SUPPLIED),
    **dict.fromkeys(_TAX_IN_PLN, _IN_PLN),
    **dict.fromkeys(_UNUSUAL_FA, _UNUSUAL),
    **dict.fromkeys(_CORRECTION_ONLY, _CORRECTION),
    tag("DaneFaKorygowanej"): _REFERENCE,
    tag("Adnotacje"): _NOTES,
}
"""What :func:`_fa_ok` does with each ``Fa`` child it reads (by Clark name)."""

_KINDS = frozenset({"VAT", "KOR", "ZAL"})

# The line fields read from each FaWiersz child: the first six by their text, the others only for being
# there. ``_SLOTS`` is their order in a line's list of texts (None where absent).
_NR_WIERSZA = tag("NrWierszaFa")
_SLOTS = (
    "NrWierszaFa", "P_11", "P_11A", "P_12", "P_12_XII", "StanPrzed", "P_7", "P_8A", "P_8B", "P_9A", "P_9B",
)  # fmt: skip
_SLOT = {tag(name): i for i, name in enumerate(_SLOTS)}
_NR, _P_11, _P_11A, _P_12, _P_12_XII, _STAN_PRZED, _P_7, _P_8A, _P_8B, _P_9A, _P_9B = range(len(_SLOTS))
_READ = _P_7  # slots before this one are read by their text
LINE_COLUMNS = _SLOTS
"""Line fields read by tag: the XSD must declare each only in FaWiersz, at most once (NrWierszaFa first
and exactly once)."""
_SLACK = timedelta(days=1)  # as rules.dates
_EARLY = timedelta(days=30)

Line = list[str | None]
"""One line's texts in the order of ``_SLOTS`` (None where absent; "" for a field only looked for)."""


def _first_text(el: etree._Element, clark: str) -> str | None:
    """Stripped text of the first child with this Clark name ('' for an empty one), None if absent."""
    for child in el.iterchildren(clark):  # filtered in C
        return text_value(child).strip()
    return None


def usual_invoice_passes(root: etree._Element, ctx: RuleContext, plain: bool = False) -> bool:
    """True when ``root`` is a usual invoice (VAT, KOR, ZAL) on which the indexed rules find nothing.

    ``plain``: the caller knows the tree holds no comment and no processing instruction (its bytes have
    neither), so an element's ``text`` is its whole value (:func:`~fakturnik.base.xmlsafe.text_value`).
    """
    header = buyer = fa = None
    for child in root:  # a handful of children: cheaper than a tag filter
        t = child.tag
        if t == _FA:
            fa = child
        elif t == _PODMIOT2:
            buyer = child
        elif t == _NAGLOWEK:
            header = child
    if fa is None or header is None or buyer is None:
        return False
    return _fa_ok(fa, header, buyer, ctx, plain)


def _buyer_ok(buyer: etree._Element) -> bool:
    """rules.content: the buyer's name and address are there, and no JST/GV flag asks for Podmiot3."""
    name = address = False
    for child in buyer:  # a handful of children: cheaper than a tag filter
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


def _fa_ok(
    fa: etree._Element, header: etree._Element, buyer: etree._Element, ctx: RuleContext, plain: bool
) -> bool:
    found: dict[str, str] = {}
    supplied: dict[str, Decimal] = {}
    in_pln: set[str] = set()
    references: list[etree._Element] = []
    correction_only = False
    notes: etree._Element | None = None
    children = iter(fa)
    first_line: etree._Element | None = None
    order = False
    roles = _FA_ROLE
    for child in children:  # every child read here comes before the first line (the XSD's order) ...
        t = child.tag
        role = roles.get(t)  # type: ignore[arg-type]
        if role is None:
            if t == _FA_WIERSZ:
                first_line = child
                break
            if t == _ROZLICZENIE:  # (these come after the lines, if any)
                return False
            if t == _ZAMOWIENIE:
                order = True
            continue
        value = child.text if plain or not len(child) else text_value(child)
        if role == _SUPPLIED:
            amount = _amount(value)
            if amount is None:
                return False
            supplied[_NET_TAX[t]] = amount  # type: ignore[index]
        elif role == _IN_PLN:
            in_pln.add(_TAX_IN_PLN[t])  # type: ignore[index]
        elif role == _REFERENCE:
            references.append(child)
        elif role == _CORRECTION:
            correction_only = True
        elif role == _NOTES:
            notes = child
        elif role == _UNUSUAL:
            return False
        else:
            found[role] = (value or "").strip()
    kind = found.get("kind")
    currency = found.get("currency")
    if kind not in _KINDS or currency is None or notes is None:
        return False
    correction = kind == "KOR"
    if correction != bool(references) or (correction_only and not correction):
        return False  # rules.kinds: a correction names what it corrects; only a correction may
    if currency != "PLN" and not _tax_in_pln_ok(supplied, in_pln):
        return False
    issued = _dates_ok(found.get("issued"), _first_text(header, _DATA_WYTWORZENIA), ctx)
    if issued is None:
        return False
    # ... and the lines, then what the XSD places after them, in the same pass over Fa's children
    lines: list[Line] = []
    if first_line is not None:
        line = _line(first_line, correction, plain)
        if line is None:
            return False
        lines.append(line)
    for child in children:
        t = child.tag
        if t == _FA_WIERSZ:
            line = _line(child, correction, plain)
            if line is None:
                return False
            lines.append(line)
        elif t == _ROZLICZENIE:
            return False
        elif t == _ZAMOWIENIE:
            order = True
    if kind == "ZAL":  # an advance: no lines, the order, the summary adds up
        return not lines and order and _buyer_ok(buyer) and _p15_ok(supplied, found.get("p15"))
    if not lines:
        return False
    if not _totals_ok(lines, supplied, found.get("p15")) or not _exemption_ok(lines, notes, correction):
        return False
    if correction:  # rules.kinds and rules.content leave a correction's lines and buyer alone
        return _corrected_dates_ok(references, issued)
    return _sold_ok(issued, found.get("sold")) and _distinct_numbers(lines) and _buyer_ok(buyer)


def _amount(value: str | None) -> Decimal | None:
    """``rules.base.decimal`` of a schema-valid amount (the FA(3) ``TKwotowy``: at most 16 integer digits
    and 2 decimal places, no exponent; tests/fa3/test_usual_invoice_gate.py checks those facets), for
    which that function's bounds always hold."""
    if value is None:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        return None


def _line(row: etree._Element, correction: bool, plain: bool) -> Line | None:
    """The texts of one line, or None unless it has ``P_7``, ``P_8A``, ``P_8B``, a unit price
    (``P_9A``/``P_9B``), a ``P_12`` rate but no ``P_12_XII`` (and no ``StanPrzed`` outside a correction).

    Its fields are read among its children by tag: in FA(3) each of them is declared only inside
    ``FaWiersz``, at most once per line (tests/fa3/test_usual_invoice_gate.py checks these facts of the
    XSD).
    """
    line: Line = [None, None, None, None, None, None, None, None, None, None, None]
    slot_of, read = _SLOT, _READ
    for el in row:
        slot = slot_of.get(el.tag)  # type: ignore[arg-type]
        if slot is None:
            continue
        if slot < read:
            value = el.text if plain or not len(el) else text_value(el)
            line[slot] = value or ""
        else:  # only has to be there
            line[slot] = ""
    if (
        line[_P_7] is None
        or line[_P_8A] is None
        or line[_P_8B] is None
        or (line[_P_9A] is None and line[_P_9B] is None)
        or line[_P_12] is None
        or line[_P_12_XII] is not None
        or line[_NR] is None
    ):
        return None
    before = line[_STAN_PRZED]
    if before is not None and (not correction or before.strip() != "1"):
        return None
    return line


_FA_WIERSZ = tag("FaWiersz")


def _tax_in_pln_ok(supplied: dict[str, Decimal], in_pln: set[str]) -> bool:
    """rules.totals.check_foreign_currency_tax: every non-zero P_14_1..4 has its P_14_xW."""
    return all(
        value == 0 or name in in_pln
        for name, value in supplied.items()
        if name in ("P_14_1", "P_14_2", "P_14_3", "P_14_4")
    )


def _dates_ok(issued_text: str | None, created_text: str | None, ctx: RuleContext) -> date | None:
    """rules.dates: the issue and creation dates not in the future; the issue date, or None."""
    issued = parse_date(issued_text)
    created = parse_datetime(created_text)
    if issued is None or created is None or issued > ctx.today + _SLACK:
        return None
    if created.tzinfo is None:
        created = created.replace(tzinfo=ctx.now.tzinfo)
    if created > ctx.now + _SLACK:
        return None
    return issued


def _sold_ok(issued: date, sold_text: str | None) -> bool:
    """rules.dates for a VAT invoice: not issued more than 30 days before the sale."""
    if sold_text is None:
        return True
    sold = parse_date(sold_text)
    return sold is not None and not issued < sold - _EARLY


def _corrected_dates_ok(references: list[etree._Element], issued: date) -> bool:
    """rules.dates for a correction: no corrected invoice issued after it."""
    for ref in references:
        text = _first_text(ref, _DATA_KORYGOWANEJ)
        corrected = parse_date(text)
        if text is None or corrected is None or corrected > issued:
            return False
    return True


def _distinct_numbers(lines: list[Line]) -> bool:
    """rules.kinds: no line number repeats."""
    return len({line[0].strip() for line in lines}) == len(lines)  # type: ignore[union-attr]


def _exemption_ok(lines: list[Line], notes: etree._Element, correction: bool) -> bool:
    """rules.content: exempt lines have their basis; outside a correction, a basis has exempt lines."""
    exempt = any(line[_P_12].strip() == "zw" for line in lines)  # type: ignore[union-attr]
    exemption = next(notes.iterchildren(_ZWOLNIENIE), None)
    basis = exemption is not None and _first_text(exemption, _P_19) == "1"
    return exempt == basis or (correction and basis)


def _p15_ok(supplied: dict[str, Decimal], p15_text: str | None) -> bool:
    """rules.totals: P_15 is the sum of the per-rate totals, when those are given."""
    if any(name.startswith("P_13") for name in supplied):
        p15 = decimal(p15_text)
        if p15 is None or p15 != sum(supplied.values(), Decimal(0)):
            return False
    return True


def _totals_ok(lines: list[Line], supplied: dict[str, Decimal], p15_text: str | None) -> bool:
    """rules.totals: P_15 adds up, and the per-rate totals are what the lines give — read as net
    entry when every line has ``P_11``, as gross entry when every line has ``P_11A`` and none ``P_11``
    (the first reading of rules.totals that can agree); ``StanPrzed`` lines count with a minus."""
    if not _p15_ok(supplied, p15_text):
        return False
    if all(line[_P_11] is not None for line in lines):
        slot, gross = _P_11, False
    elif all(line[_P_11A] is not None and line[_P_11] is None for line in lines):
        slot, gross = _P_11A, True
    else:
        return False
    values = [(line[slot], line[_P_12], line[_STAN_PRZED] is not None) for line in lines]
    return lines_agree(values, supplied, gross=gross, amount=_amount)  # type: ignore[arg-type]
