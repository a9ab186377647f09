"""FA(3) amounts: the VAT-rate vocabulary as data and pure Decimal arithmetic for totals.

Polish practice (art. 106e ust. 10-11 of the VAT act, as the FA(3) fields describe it):

* net-price invoices (``P_9A``/``P_11``): the tax is computed once per rate from the per-rate sum of
  line net values, rounded half-up to grosze;
* gross-price invoices (``P_9B``/``P_11A``, art. 106e ust. 7-8): the tax is computed once per rate from
  the per-rate sum of line gross values (``gross * rate / (100 + rate)``), the net is gross minus tax;
* per-line method (art. 106e ust. 10, ``P_11Vat`` on each line): the tax of each line is rounded and
  the per-rate tax is the sum of line taxes;
* foreign currency (art. 106e ust. 11): ``P_14_xW`` is the tax in PLN, computed from the per-rate net
  sum converted at the exchange rate (rounded to grosze) times the rate, rounded to grosze.

Everything here is pure: no I/O, no model classes; the builder, the validation rules and the
property tests all use the same functions so that they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Literal, NamedTuple

__all__ = [
    "GROSZ",
    "MARGIN_FIELDS",
    "OSS_FIELDS",
    "RATE_FIELDS",
    "RATE_PERCENT",
    "ROUNDING",
    "SUMMARY_FIELDS_ORDER",
    "VAT_RATES",
    "LineAmount",
    "RateTotals",
    "SummaryFields",
    "TaxMethod",
    "Totals",
    "compute_totals",
    "line_value",
    "rate_summary",
    "round_grosze",
    "summary_fields_for",
]

GROSZ = Decimal("0.01")
_ROUNDING_PRECISION = 100  # digits: inputs are bounded (model.Dec), so a product has at most ~50
ZERO = Decimal("0.00")

TaxMethod = Literal["net", "gross", "line"]
"""How the tax is computed: per-rate from net sums, per-rate from gross sums, or per line (P_11Vat)."""

VAT_RATES: tuple[str, ...] = (
    "23", "22", "8", "7", "5", "4", "3", "0 KR", "0 WDT", "0 EX", "zw", "oo", "np I", "np II",
)  # fmt: skip
"""Every value of ``P_12`` (``TStawkaPodatku``) in FA(3) 1-0E, in schema order."""

RATE_PERCENT: Mapping[str, Decimal] = {
    "23": Decimal(23),
    "22": Decimal(22),
    "8": Decimal(8),
    "7": Decimal(7),
    "5": Decimal(5),
    "4": Decimal(4),
    "3": Decimal(3),
}
"""Percentage of each taxed ``P_12`` value; rates absent here carry no tax on the invoice."""


@dataclass(frozen=True, slots=True)
class SummaryFields:
    """The ``Fa`` summary fields one rate group sums into.

    ``net``: the P_13_x field (sum of net values, or of values for untaxed groups);
    ``vat``: the P_14_x field (tax) or None when the group carries no tax;
    ``vat_pln``: the P_14_xW field (tax in PLN for foreign-currency invoices) or None.
    """

    group: str
    net: str
    vat: str | None = None
    vat_pln: str | None = None


_G1 = SummaryFields("1", "P_13_1", "P_14_1", "P_14_1W")
_G2 = SummaryFields("2", "P_13_2", "P_14_2", "P_14_2W")
_G3 = SummaryFields("3", "P_13_3", "P_14_3", "P_14_3W")
_G4 = SummaryFields("4", "P_13_4", "P_14_4", "P_14_4W")
OSS_FIELDS = SummaryFields("5", "P_13_5", "P_14_5", None)
"""Special OSS procedure (dział XII rozdział 6a): lines carry ``P_12_XII`` (a foreign rate) instead."""
MARGIN_FIELDS = SummaryFields("11", "P_13_11", None, None)
"""Margin procedures (art. 119 and 120): the value goes to P_13_11, no tax is shown."""

RATE_FIELDS: Mapping[str, SummaryFields] = {
    "23": _G1,
    "22": _G1,
    "8": _G2,
    "7": _G2,
    "5": _G3,
    "4": _G4,
    "3": _G4,
    "0 KR": SummaryFields("6_1", "P_13_6_1"),
    "0 WDT": SummaryFields("6_2", "P_13_6_2"),
    "0 EX": SummaryFields("6_3", "P_13_6_3"),
    "zw": SummaryFields("7", "P_13_7"),
    "np I": SummaryFields("8", "P_13_8"),
    "np II": SummaryFields("9", "P_13_9"),
    "oo": SummaryFields("10", "P_13_10"),
}
"""``P_12`` value -> the summary fields of ``Fa`` it is summed into."""

SUMMARY_FIELDS_ORDER: tuple[str, ...] = (
    "P_13_1", "P_14_1", "P_14_1W", "P_13_2", "P_14_2", "P_14_2W", "P_13_3", "P_14_3", "P_14_3W",
    "P_13_4", "P_14_4", "P_14_4W", "P_13_5", "P_14_5", "P_13_6_1", "P_13_6_2", "P_13_6_3", "P_13_7",
    "P_13_8", "P_13_9", "P_13_10", "P_13_11", "P_15",
)  # fmt: skip
"""The summary fields of ``Fa`` in schema order (P_15 last)."""


ROUNDING = Context(prec=_ROUNDING_PRECISION, rounding=ROUND_HALF_UP)
"""The context of the rounding alone (one object: no context manager per call); the arithmetic before it
runs in the caller's context. ``round_grosze(x)`` is ``ROUNDING.quantize(x, GROSZ)``."""


_quantize = ROUNDING.quantize  # half-up from the context itself: no rounding argument to pass per call


def round_grosze(value: Decimal) -> Decimal:
    """Round to grosze (0.01) half-up, as Polish invoices do."""
    return _quantize(value, GROSZ)  # products of bounded inputs fit the context's precision


def summary_fields_for(
    rate: str | None, *, oss_rate: Decimal | None = None, margin: bool = False
) -> SummaryFields:
    """The summary fields a line sums into, from its ``P_12`` / ``P_12_XII`` / margin marker.

    Raises ``ValueError`` (Polish message) for a line that names no rate and is not OSS or margin.
    """
    if margin:
        return MARGIN_FIELDS
    if oss_rate is not None:
        return OSS_FIELDS
    if rate is None:
        raise ValueError("Pozycja nie ma stawki podatku (P_12) ani stawki OSS (P_12_XII).")
    try:
        return RATE_FIELDS[rate]
    except KeyError:
        raise ValueError(f"Nieznana stawka podatku P_12: {rate!r}.") from None


def line_value(quantity: Decimal | None, unit_price: Decimal, discount: Decimal | None = None) -> Decimal:
    """Line value (P_11 from P_9A, or P_11A from P_9B): quantity x unit price - discount, in grosze.

    A missing quantity counts as 1; ``discount`` is P_10 (a discount not already in the unit price).
    """
    qty = Decimal(1) if quantity is None else quantity
    return round_grosze(qty * unit_price - (discount or ZERO))


class LineAmount(NamedTuple):
    """What the totals need from one line.

    ``rate``: the P_12 value (None for OSS or margin lines); ``oss_rate``: P_12_XII; ``margin``: the
    line is under a margin procedure; ``value``: P_11 for net entry, P_11A for gross entry;
    ``vat``: P_11Vat for the per-line method (computed when None); ``exchange_rate``: the line's
    ``KursWaluty`` (for P_14_xW; the invoice-level rate passed to :func:`compute_totals` otherwise);
    ``gross``: for the per-line method, ``value`` is the line's gross value (P_11A) and its tax is
    ``value * rate / (100 + rate)`` (the "gross" method ignores it: every value is gross there).
    """

    rate: str | None
    value: Decimal
    oss_rate: Decimal | None = None
    margin: bool = False
    vat: Decimal | None = None
    exchange_rate: Decimal | None = None
    gross: bool = False


@dataclass(slots=True)
class RateTotals:
    """Totals of one rate (not group): net, tax and tax in PLN."""

    net: Decimal = ZERO
    vat: Decimal = ZERO
    vat_pln: Decimal | None = None


@dataclass(slots=True)
class Totals:
    """Summary of an invoice: ``fields`` maps P_13_x/P_14_x/P_14_xW to amounts, plus P_15.

    Only fields of groups present on the invoice appear in ``fields`` (in schema order).
    ``per_line_vat`` holds each line's tax for the per-line method (else empty).
    """

    fields: dict[str, Decimal] = field(default_factory=dict)
    p_15: Decimal = ZERO
    per_line_vat: list[Decimal] = field(default_factory=list)


def _rate_percent(line: LineAmount) -> Decimal | None:
    return _percent(line.rate, line.oss_rate, line.margin)


def _percent(rate: str | None, oss_rate: Decimal | None, margin: bool) -> Decimal | None:
    if margin:
        return None
    if oss_rate is not None:
        return oss_rate
    return RATE_PERCENT.get(rate or "")


def _tax_from_gross(gross: Decimal, percent: Decimal) -> Decimal:
    return round_grosze(gross * percent / (Decimal(100) + percent))


def compute_totals(
    lines: Iterable[LineAmount],
    *,
    method: TaxMethod = "net",
    exchange_rate: Decimal | None = None,
) -> Totals:
    """Per-rate totals and P_15 from the lines.

    ``method``: "net" (``value`` is P_11, tax per rate from the net sum), "gross" (``value`` is P_11A,
    tax per rate from the gross sum) or "line" (``value`` is P_11, or P_11A for ``gross`` lines; tax
    per line, P_11Vat).
    ``exchange_rate``: for foreign-currency invoices, P_14_xW (tax in PLN) is computed per rate as
    ``round(sum(round(line_value * line_rate_of_exchange)) * percent / 100)`` where a line's own
    ``exchange_rate`` (``KursWaluty``) wins over this invoice-level one (for gross entry the tax is
    taken out of the PLN gross sum). Without any rate of exchange no P_14_xW is produced.
    P_15 is the sum of all nets plus all taxes (for margin lines: their value).
    """
    per_rate: dict[tuple[str, Decimal | None, bool], RateTotals] = {}
    sums: dict[tuple[str, Decimal | None, bool], Decimal] = {}
    per_line_vat: list[Decimal] = []
    pln_sums: dict[tuple[str, Decimal | None, bool], Decimal] = {}
    per_line = method == "line"
    for line in lines:
        rate, value, oss_rate, margin, line_vat, line_kurs, gross = line
        key = (rate or "", oss_rate, margin)
        sums[key] = sums.get(key, ZERO) + value
        net_part = value
        if per_line:
            percent = _percent(rate, oss_rate, margin)
            if line_vat is not None:
                vat = line_vat
            elif percent is None:
                vat = ZERO
            elif gross:
                vat = _tax_from_gross(value, percent)
            else:
                vat = round_grosze(value * percent / 100)
            per_line_vat.append(vat)
            rt = per_rate.get(key)
            if rt is None:
                rt = per_rate[key] = RateTotals()
            rt.vat += vat
            if gross:
                net_part = value - vat
                rt.net -= vat  # the net part of a gross line: its value minus its tax
        kurs = line_kurs if line_kurs is not None else exchange_rate
        if kurs is not None:
            pln_sums[key] = pln_sums.get(key, ZERO) + round_grosze(net_part * kurs)
    for key, total in sums.items():
        rate_key, oss_rate, margin = key
        percent = _percent(rate_key, oss_rate, margin)
        rt = per_rate.get(key)
        if rt is None:
            rt = per_rate[key] = RateTotals()
        if percent is None:
            rt.net, rt.vat = total, ZERO
        elif method == "gross":
            rt.vat = _tax_from_gross(total, percent)
            rt.net = total - rt.vat
        elif method == "net":
            rt.net, rt.vat = total, round_grosze(total * percent / 100)
        else:
            rt.net += total
        if percent is not None and key in pln_sums:
            pln = pln_sums[key]
            rt.vat_pln = (
                _tax_from_gross(pln, percent) if method == "gross" else round_grosze(pln * percent / 100)
            )

    grouped: dict[str, Decimal] = {}
    p_15 = ZERO
    for key, rt in per_rate.items():
        rate_key, oss_rate, margin = key
        fields_ = summary_fields_for(rate_key or None, oss_rate=oss_rate, margin=margin)
        grouped[fields_.net] = grouped.get(fields_.net, ZERO) + rt.net
        if fields_.vat is not None:
            grouped[fields_.vat] = grouped.get(fields_.vat, ZERO) + rt.vat
        if fields_.vat_pln is not None and rt.vat_pln is not None:
            grouped[fields_.vat_pln] = grouped.get(fields_.vat_pln, ZERO) + rt.vat_pln
        p_15 += rt.net + rt.vat
    ordered = {name: grouped[name] for name in SUMMARY_FIELDS_ORDER if name in grouped}
    return Totals(fields=ordered, p_15=p_15, per_line_vat=per_line_vat)


def rate_summary(
    sums: Mapping[str, Decimal], *, gross: bool = False, pln_sums: Mapping[str, Decimal] | None = None
) -> tuple[dict[str, Decimal], Decimal]:
    """:func:`compute_totals` by the net or gross method for lines that each name a ``P_12`` rate (no
    OSS rate, no margin, no per-line tax), from what it sums: each rate's line values (``sums``: 0.00
    plus each value, in the order of the rates' first lines) and, for a foreign currency, their values
    in PLN (``pln_sums``: 0.00 plus each ``round_grosze(value x rate of exchange)``).

    Returns (summary field -> amount, P_15): the same Decimal operations in the same order, without
    the per-line and per-rate objects; the fields in the order of the rates' first lines.
    """
    grouped: dict[str, Decimal] = {}
    p_15 = ZERO
    for rate, total in sums.items():
        percent = RATE_PERCENT.get(rate)
        fields_ = RATE_FIELDS[rate]
        if percent is None:
            net, vat = total, ZERO
        elif gross:
            vat = _tax_from_gross(total, percent)
            net = total - vat
        else:
            net, vat = total, round_grosze(total * percent / 100)
        grouped[fields_.net] = grouped.get(fields_.net, ZERO) + net
        if fields_.vat is not None:
            grouped[fields_.vat] = grouped.get(fields_.vat, ZERO) + vat
        if pln_sums is not None and percent is not None and fields_.vat_pln is not None and rate in pln_sums:
            pln = pln_sums[rate]
            vat_pln = _tax_from_gross(pln, percent) if gross else round_grosze(pln * percent / 100)
            grouped[fields_.vat_pln] = grouped.get(fields_.vat_pln, ZERO) + vat_pln
        p_15 += net + vat
    return grouped, p_15
