"""Totals against lines, and P_15 against the per-rate totals.

Uses the same vocabulary and arithmetic as the builder (``fakturnik.fa3.amounts``). The supplied
per-rate totals must match the lines by at least one of the lawful methods (tax from the per-rate
net sum, from the per-rate gross sum, or per line — net or gross entry); a difference within a grosz
per line is rounding (a warning), anything larger is an error naming both values.

Checked for VAT, KOR and UPR invoices with lines. Not for ZAL/KOR_ZAL (the totals are the advance,
not the lines), ROZ/KOR_ROZ (the totals are what remains after the advances).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from fakturnik.base.xmlsafe import text_value
from fakturnik.fa3.amounts import (
    RATE_FIELDS,
    RATE_PERCENT,
    SUMMARY_FIELDS_ORDER,
    LineAmount,
    TaxMethod,
    compute_totals,
    round_grosze,
    summary_fields_for,
)
from fakturnik.fa3.rules.base import Invoice, RuleContext, decimal, fmt, tag

_TOTALS_KINDS = frozenset({"VAT", "KOR", "UPR"})
_NET_TAX_FIELDS = tuple(f for f in SUMMARY_FIELDS_ORDER if f != "P_15" and not f.endswith("W"))
_NET_TAX_TAGS = {tag(name): name for name in _NET_TAX_FIELDS}
_NET_TAX_TAG_SET = frozenset(_NET_TAX_TAGS)
_NET_TAGS = frozenset(tag(name) for name in _NET_TAX_FIELDS if name.startswith("P_13"))
_GROSZ = Decimal("0.01")
_ZERO = Decimal(0)
_ZERO_GROSZE = Decimal("0.00")  # compute_totals' starting value


def supplied_totals(inv: Invoice) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    children = inv.fa_children
    present = children.keys() & _NET_TAX_TAG_SET
    if not present:
        return out
    for clark, name in _NET_TAX_TAGS.items():  # schema order
        if clark in present:
            value = decimal(text_value(children[clark][0]).strip())
            if value is not None:
                out[name] = value
    return out


# How each way of reading the lines feeds compute_totals: (its method, the value field, per-line tax?).
# "gross_line" is gross entry with the tax stated per line (P_11A and P_11Vat): the net of a line is
# P_11A - P_11Vat and the per-rate tax the sum of P_11Vat. Value fields are Clark names (Line.values keys).
_READINGS: dict[str, tuple[TaxMethod, str, bool]] = {
    "net": ("net", tag("P_11"), False),
    "line": ("line", tag("P_11"), True),
    "gross": ("gross", tag("P_11A"), False),
    "gross_line": ("line", tag("P_11A"), True),
}
_STAN_PRZED = tag("StanPrzed")
_P_12 = tag("P_12")
_P_12_XII = tag("P_12_XII")
_P_11VAT = tag("P_11Vat")
_MINUS = Decimal(-1)


def _stripped(value: str | None) -> str | None:
    return None if value is None else value.strip()


def _line_amounts(inv: Invoice, reading: str) -> list[LineAmount] | None:
    """Amounts of all lines for one reading; None if not computable."""
    _method, value_tag, per_line_tax = _READINGS[reading]
    gross_line = reading == "gross_line"
    amounts: list[LineAmount] = []
    margin_invoice = inv.margin
    for line in inv.lines:
        values = line.values
        value = decimal(_stripped(values.get(value_tag)))
        if value is None:
            return None
        rate = _stripped(values.get(_P_12))
        raw_oss = values.get(_P_12_XII)
        oss = None if raw_oss is None else decimal(raw_oss.strip())
        margin = rate is None and oss is None and margin_invoice
        if rate is None and oss is None and not margin:
            return None
        if rate is not None and rate not in RATE_FIELDS:
            return None
        vat = decimal(_stripped(values.get(_P_11VAT))) if per_line_tax else None
        if gross_line:
            if vat is None:
                return None
            value -= vat
        if _stripped(values.get(_STAN_PRZED)) == "1":
            value = _MINUS * value
            vat = None if vat is None else _MINUS * vat
        amounts.append(LineAmount(rate, value, oss, margin, vat))
    return amounts


def _groups(amounts: list[LineAmount]) -> list[str]:
    """Each line's summary (net) field."""
    return [summary_fields_for(a.rate, oss_rate=a.oss_rate, margin=a.margin).net for a in amounts]


def _differences(
    supplied: dict[str, Decimal], computed: dict[str, Decimal]
) -> dict[str, tuple[Decimal | None, Decimal]]:
    diffs: dict[str, tuple[Decimal | None, Decimal]] = {}
    if supplied == computed:
        return diffs  # the usual case: the same fields with the same values
    for name in _NET_TAX_FIELDS:
        have = supplied.get(name)
        if have is None and name == "P_14_5":
            continue  # optional even with OSS lines
        want = computed.get(name, _ZERO)
        if (_ZERO if have is None else have) != want:
            diffs[name] = (have, want)
    return diffs


def check_totals(inv: Invoice, ctx: RuleContext) -> None:
    fa = inv.fa
    if fa is None:
        return
    supplied = supplied_totals(inv)
    _check_p15(inv, supplied, ctx)
    if inv.kind not in _TOTALS_KINDS or not inv.lines:
        return
    if _net_reading_agrees(inv, supplied):
        return  # the usual case; anything else (or any difference) takes the general path below
    best: tuple[dict[str, tuple[Decimal | None, Decimal]], list[str]] | None = None
    for reading, (method, _tag, _per_line) in _READINGS.items():
        amounts = _line_amounts(inv, reading)
        if amounts is None:
            continue
        diffs = _differences(supplied, compute_totals(amounts, method=method).fields)
        if not diffs:
            return
        if best is None or len(diffs) < len(best[0]):
            best = (diffs, _groups(amounts))
    if best is None:
        return  # lines without values or rates (allowed in some cases): nothing to compare
    diffs, groups = best
    for name, (have, want) in diffs.items():
        path = f"Fa/{name}"
        lines_in_group = max(1, groups.count(_net_field_of(name)))
        rounding = have is not None and abs(have - want) <= _GROSZ * lines_in_group
        if have is None:
            message = f"Brak {name}, a z pozycji faktury wynika {fmt(want)}."
        else:
            message = f"{name} = {fmt(have)}, a z pozycji faktury wynika {fmt(want)}."
        if rounding:
            ctx.warning(path, message + " Różnica mieści się w zaokrągleniach.", "TOTALS_ROUNDING")
        else:
            ctx.error(path, message, "TOTALS_MISMATCH")


# Net and tax field of each rate (the tax one None for untaxed groups) and its percentage.
_RATE_GROUPS: dict[str, tuple[str, str | None, Decimal | None]] = {
    rate: (f.net, f.vat, RATE_PERCENT.get(rate)) for rate, f in RATE_FIELDS.items()
}
_P_11 = tag("P_11")
_HUNDRED = Decimal(100)


def _net_reading_agrees(inv: Invoice, supplied: dict[str, Decimal]) -> bool:
    """True when the lines read as net entry give exactly the supplied totals.

    The "net" reading of :func:`check_totals` (``_line_amounts`` + ``compute_totals`` by the net
    method, the same Decimal operations in the same order) without its per-line objects, for the
    usual shape of lines: each with ``P_11`` and a ``P_12`` rate, no ``P_12_XII`` and no ``StanPrzed``.
    False means "not decided here": other lines, or any difference, go through the general path.
    """
    pairs: list[tuple[str, str]] = []
    for line in inv.lines:
        values = line.values
        raw = values.get(_P_11)
        rate = values.get(_P_12)
        if raw is None or rate is None or _P_12_XII in values or _STAN_PRZED in values:
            return False
        pairs.append((raw, rate))
    return net_totals_agree(pairs, supplied)


def net_totals_agree(pairs: list[tuple[str, str]], supplied: dict[str, Decimal]) -> bool:
    """True when lines given as (``P_11`` text, ``P_12`` text), read as net entry, give exactly ``supplied``.

    The lines must be plain ones (no ``P_12_XII``, no ``StanPrzed``): the caller makes sure of that.
    """
    return lines_agree([(raw, rate, False) for raw, rate in pairs], supplied, gross=False)


def lines_agree(
    lines: list[tuple[str, str, bool]],
    supplied: dict[str, Decimal],
    *,
    gross: bool,
    amount: Callable[[str], Decimal | None] = decimal,
) -> bool:
    """True when lines given as (value text, ``P_12`` text, counted with a minus), read as net entry
    (the value is ``P_11``) or gross entry (``P_11A``), give exactly ``supplied``.

    The "net" / "gross" reading of :func:`check_totals` (``_line_amounts`` + ``compute_totals`` by that
    method: the same Decimal operations in the same order) without its per-line objects. The lines
    must have no ``P_12_XII``; "counted with a minus" is ``StanPrzed`` = 1 (the caller reads both).
    ``amount`` reads a value as :func:`~fakturnik.fa3.rules.base.decimal` does (a caller that knows the
    values are schema-valid amounts may pass a cheaper reading with the same results).
    """
    sums: dict[str, Decimal] = {}
    groups = _RATE_GROUPS
    for raw, raw_rate, minus in lines:
        rate = raw_rate.strip()
        if rate not in groups:
            return False
        value = amount(raw.strip())  # bounded: no 1E+999999 reaches the arithmetic
        if value is None:
            return False
        if minus:
            value = _MINUS * value
        sums[rate] = sums.get(rate, _ZERO_GROSZE) + value
    computed: dict[str, Decimal] = {}
    for rate, total in sums.items():
        net, vat, percent = _RATE_GROUPS[rate]
        tax = _ZERO_GROSZE
        if percent is not None:
            tax = round_grosze(
                total * percent / (_HUNDRED + percent) if gross else total * percent / _HUNDRED
            )
        computed[net] = computed.get(net, _ZERO_GROSZE) + (total - tax if gross else total)
        if vat is not None:
            computed[vat] = computed.get(vat, _ZERO_GROSZE) + tax
    if supplied == computed:
        return True
    return not _differences(supplied, computed)


def _net_field_of(name: str) -> str:
    return "P_13_" + name.split("_", 2)[2] if name.startswith("P_14_") else name


def _check_p15(inv: Invoice, supplied: dict[str, Decimal], ctx: RuleContext) -> None:
    if inv.fa_children.keys().isdisjoint(_NET_TAGS):
        return  # no P_13_x element at all, so none in ``supplied`` either
    p15 = decimal(inv.fa_text("P_15"))
    if p15 is None or not any(k.startswith("P_13") for k in supplied):
        return
    expected = sum(supplied.values(), Decimal(0))
    if p15 == expected:
        return
    groups = sum(1 for k in supplied if k.startswith("P_13"))
    message = f"P_15 = {fmt(p15)}, a suma kwot netto i podatku (P_13_x + P_14_x) wynosi {fmt(expected)}."
    if abs(p15 - expected) <= _GROSZ * groups:
        ctx.warning("Fa/P_15", message + " Różnica mieści się w zaokrągleniach.", "TOTALS_P15_ROUNDING")
    else:
        ctx.error("Fa/P_15", message, "TOTALS_P15")


def check_foreign_currency_tax(inv: Invoice, ctx: RuleContext) -> None:
    """Art. 106e ust. 11: on a foreign-currency invoice the tax is also stated in PLN (P_14_xW)."""
    currency = inv.fa_text("KodWaluty")
    if currency is None or currency == "PLN":
        return
    for group in ("1", "2", "3", "4"):
        vat = decimal(inv.fa_text(f"P_14_{group}"))
        if vat is not None and vat != 0 and inv.fa_first(f"P_14_{group}W") is None:
            ctx.error(
                f"Fa/P_14_{group}W",
                f"Faktura w walucie {currency}: brak kwoty podatku w złotych P_14_{group}W "
                "(art. 106e ust. 11 ustawy o VAT).",
                "VAT_PLN_MISSING",
            )
