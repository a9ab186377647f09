"""Builder: from a draft invoice (lines with unit prices) to a complete FA(3) model with all amounts.

A draft is an :class:`~fakturnik.fa3.model.Faktura` (or its JSON form) in which line values
(``P_11`` / ``P_11A`` / ``P_11Vat``) and the summary (``P_13_x``, ``P_14_x``, ``P_14_xW``, ``P_15``) may be
left out: :func:`build_invoice` computes them with :mod:`fakturnik.fa3.amounts`. Amounts that are
supplied are checked instead; any disagreement raises :class:`InvoiceValidationError` naming both
values (Polish messages, paths like ``Fa/FaWiersz[2]/P_11``).

:func:`check_totals` is the same comparison without changing anything (``fakturnik fa3 show`` uses it).

Conventions (documented in docs/fa3-json.md):

* a line with ``P_9A`` (net unit price) is net entry, with ``P_9B`` (gross unit price) gross entry;
  an invoice is computed by the gross method when its lines are gross, by the per-line method when a
  line carries ``P_11Vat``, otherwise by the net method (``method=`` overrides);
* lines with ``StanPrzed=1`` (the state before a correction) count with a minus sign, so a correction's
  summary is "after minus before";
* lines without ``P_12`` on a margin invoice (``Adnotacje/PMarzy/P_PMarzy=1``) sum into ``P_13_11``;
* ``P_14_xW`` is computed for invoices not in PLN that give a rate of exchange (``KursWaluty`` on the
  lines, or ``KursWalutyZ``);
* an invoice without lines (typically an advance invoice, ZAL), or whose lines name no rate or no
  value (e.g. a simplified invoice, art. 106e ust. 5 pkt 3), has no summary derivable from lines:
  only ``P_15 = sum(P_13_x) + sum(P_14_x)`` is checked when such fields are given; a missing
  ``P_15`` is filled with that sum, or with the sum of the lines' gross values (``P_11A``) when no
  summary field is given;
* on settlement invoices (ROZ, KOR_ROZ) the summary is what is left after the advances (art. 106f
  ust. 3): it is not derivable from the lines and must be supplied (only ``P_15`` is filled, with
  the sum of the supplied fields, when missing);
* ``P_10`` (a discount not in the unit price) is taken per unit, as the Ministry's own FA(3)
  examples do: value = quantity x (unit price - P_10); a supplied line value that instead subtracts
  ``P_10`` once from the line total is accepted too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any

from fakturnik.errors import InvoiceValidationError, Problem
from fakturnik.fa3 import shortcuts
from fakturnik.fa3.amounts import (
    GROSZ,
    ROUNDING,
    SUMMARY_FIELDS_ORDER,
    LineAmount,
    TaxMethod,
    Totals,
    compute_totals,
    line_value,
    rate_summary,
)
from fakturnik.fa3.model import Fa, Fa3Model, Faktura, FaWiersz

__all__ = [
    "DEFAULT_ANNOTATIONS",
    "DEFAULT_FORM_CODE",
    "TOTALS_CODE",
    "build_invoice",
    "check_totals",
    "expected_totals",
    "invoice_tax_method",
]

TOTALS_CODE = "totals"
"""``Problem.code`` of every amounts disagreement."""

_SETTLEMENT_KINDS = frozenset({"ROZ", "KOR_ROZ"})
_ZERO_GROSZE = Decimal("0.00")
_VAT_FIELDS = tuple(f for f in SUMMARY_FIELDS_ORDER if f.startswith("P_14") and not f.endswith("W"))
_NET_FIELDS = tuple(f for f in SUMMARY_FIELDS_ORDER if f.startswith("P_13"))
_round_grosze = ROUNDING.quantize  # round_grosze(x) is _round_grosze(x, GROSZ): one call less per line


_MIXED_GROSS = (
    "Pozycja podaje tylko kwoty brutto (P_9B/P_11A), a faktura jest liczona od kwot netto;"
    " nie można mieszać obu sposobów na jednej fakturze."
)
_MIXED_NET = (
    "Pozycja podaje tylko kwoty netto (P_9A/P_11), a faktura jest liczona od kwot brutto;"
    " nie można mieszać obu sposobów na jednej fakturze."
)


def _fmt(value: Decimal) -> str:
    return format(value, "f")


def _problem(path: str, supplied: Decimal | None, computed: Decimal | None) -> Problem:
    """A disagreement naming both values (Polish message)."""
    name = path.rsplit("/", 1)[-1]
    if supplied is None:
        message = f"Brak pola {name}; z pozycji faktury wynika {_fmt(computed or Decimal(0))}."
    elif computed is None:
        message = f"Pole {name} ma wartość {_fmt(supplied)}, a pozycje faktury nie dają kwoty w tym polu."
    else:
        message = f"Pole {name} ma wartość {_fmt(supplied)}, a z pozycji faktury wynika {_fmt(computed)}."
    return Problem(path=path, message=message, code=TOTALS_CODE)


def _is_margin_invoice(fa: Fa) -> bool:
    pm = fa.Adnotacje.PMarzy
    return pm is not None and pm.P_PMarzy == 1


def _is_gross_line(line: FaWiersz) -> bool:
    """The line gives only gross amounts (P_9B / P_11A), no net ones."""
    return line.P_9A is None and line.P_11 is None and (line.P_9B is not None or line.P_11A is not None)


def _is_net_line(line: FaWiersz) -> bool:
    return line.P_9A is not None or line.P_11 is not None


def _is_taxed(line: FaWiersz) -> bool:
    return line.P_12 is not None or line.P_12_XII is not None


def invoice_tax_method(fa: Fa) -> TaxMethod:
    """The tax method the lines imply: "line" when any line has P_11Vat, "gross" for gross-price lines."""
    lines = fa.FaWiersz
    if any(w.P_11Vat is not None for w in lines):
        return "line"
    taxed = [w for w in lines if _is_taxed(w)]
    if taxed and all(_is_gross_line(w) for w in taxed):
        return "gross"
    return "net"


def _line_value(line: FaWiersz, gross: bool) -> Decimal | None:
    """The line's value for the totals: supplied P_11/P_11A, else computed from price x quantity."""
    if gross:
        if line.P_11A is not None:
            return line.P_11A
        if line.P_9B is not None:
            return _priced_value(line.P_8B, line.P_9B, line.P_10)
        return line.P_11
    if line.P_11 is not None:
        return line.P_11
    if line.P_9A is not None:
        return _priced_value(line.P_8B, line.P_9A, line.P_10)
    return line.P_11A


def _priced_value(quantity: Decimal | None, price: Decimal, discount: Decimal | None) -> Decimal:
    """quantity x (unit price - per-unit discount P_10), in grosze (a missing quantity counts as 1).

    The same value as ``line_value(quantity, price - (discount or 0))``, without its no-op arithmetic.
    """
    if discount is not None:
        price = price - discount
    # "- 0.00" as line_value does: it also turns a negative zero (e.g. -1 x 0.00) into 0.00
    return _round_grosze((price if quantity is None else quantity * price) - _ZERO_GROSZE, GROSZ)


def _acceptable_values(line: FaWiersz, price: Decimal) -> tuple[Decimal, ...]:
    per_unit = _priced_value(line.P_8B, price, line.P_10)
    if line.P_10 is None:
        return (per_unit,)
    return (per_unit, line_value(line.P_8B, price, line.P_10))


def _rate_of_exchange(fa: Fa) -> Decimal | None:
    return fa.KursWalutyZ


def _line_amounts(fa: Fa, method: TaxMethod) -> list[LineAmount] | None:
    """LineAmounts for every line, or None when a line names no rate (totals not derivable).

    Lines with ``StanPrzed=1`` count with a minus sign (a positive line's amounts are taken as they are).
    """
    margin_invoice = _is_margin_invoice(fa)
    result: list[LineAmount] = []
    for line in fa.FaWiersz:
        rate, oss_rate = line.P_12, line.P_12_XII
        taxed = rate is not None or oss_rate is not None
        margin = margin_invoice and not taxed
        if not taxed and not margin:
            return None
        gross = method == "gross" or (method == "line" and _is_gross_line(line))
        value = _line_value(line, gross or margin)
        if value is None:
            return None
        vat = line.P_11Vat
        if line.StanPrzed == 1:
            value = -1 * value
            vat = None if vat is None else -1 * vat
        oss = oss_rate if rate is None else None
        result.append(LineAmount(rate, value, oss, margin, vat, line.KursWaluty, gross))
    return result


_NOT_PLAIN = Totals()


def _plain_net_totals(fa: Fa) -> Totals | None:
    """:func:`expected_totals` by the net method for a PLN invoice whose lines all name a ``P_12`` rate
    and have no ``P_12_XII`` or ``KursWaluty``; ``_NOT_PLAIN`` for any other invoice.

    The same Decimal operations in the same order as ``_line_amounts`` + ``compute_totals`` (sums per
    rate from 0.00, tax per rate, then per group), without the per-line and per-rate objects.
    """
    sums: dict[str, Decimal] = {}
    for line in fa.FaWiersz:
        rate = line.P_12
        if rate is None or line.P_12_XII is not None or line.KursWaluty is not None:
            return _NOT_PLAIN
        value = _line_value(line, False)
        if value is None:
            return None
        if line.StanPrzed == 1:
            value = -1 * value
        sums[rate] = sums.get(rate, _ZERO_GROSZE) + value
    grouped, p_15 = rate_summary(sums)
    ordered = {name: grouped[name] for name in SUMMARY_FIELDS_ORDER if name in grouped}
    return Totals(fields=ordered, p_15=p_15, per_line_vat=[])


_LINE_FIELDS_NOT_PLAIN = ("P_11", "P_11A", "P_11Vat", "P_9B", "P_12_XII", "KursWaluty", "StanPrzed")
_line_values = itemgetter("P_12", "P_9A", "P_8B", "P_10", *_LINE_FIELDS_NOT_PLAIN)
_SUMMARY_NOT_P15 = SUMMARY_FIELDS_ORDER[:-1]
_summary_values = itemgetter(*_SUMMARY_NOT_P15)


def _complete_plain_net(fa: Fa) -> bool:
    """:func:`build_invoice` for the usual draft in one pass over the lines; else False, nothing changed.

    The usual draft: PLN, not a settlement, no summary field supplied (``P_15`` included), and lines
    that each give a net unit price ``P_9A`` and a ``P_12`` rate but no value, gross price, per-line
    tax, OSS rate, rate of exchange or ``StanPrzed``. For it the general path takes the net method,
    finds nothing to check and fills what this fills: each ``P_11`` (quantity x price), the per-rate
    ``P_13_x`` / ``P_14_x`` and ``P_15``, by the same Decimal operations in the same order
    (tests/fa3/test_fast_paths_totals.py compares the two).
    """
    lines = fa.FaWiersz
    if not lines or fa.KodWaluty != "PLN" or fa.RodzajFaktury in _SETTLEMENT_KINDS:
        return False
    if _summary_values(fa.__dict__).count(None) != len(_SUMMARY_NOT_P15):
        return False
    values: list[Decimal] = []
    sums: dict[str, Decimal] = {}
    for line in lines:
        d = line.__dict__
        rate, price, quantity, discount, *others = _line_values(d)
        if rate is None or price is None or others.count(None) != len(others):
            return False
        value = _priced_value(quantity, price, discount)
        values.append(value)
        sums[rate] = sums.get(rate, _ZERO_GROSZE) + value
    for line, value in zip(lines, values, strict=True):
        _set(line, "P_11", value)
    grouped, p_15 = rate_summary(sums)
    for name in SUMMARY_FIELDS_ORDER:
        if name in grouped:
            _set(fa, name, grouped[name])
    _set(fa, "P_15", p_15)
    return True


def expected_totals(invoice: Faktura, method: TaxMethod | None = None) -> Totals | None:
    """Summary computed from the lines, or None when the lines do not determine it."""
    fa = invoice.Fa
    if not fa.FaWiersz or fa.RodzajFaktury in _SETTLEMENT_KINDS:
        return None
    method = method or invoice_tax_method(fa)
    if method == "net" and fa.KodWaluty == "PLN":
        plain = _plain_net_totals(fa)
        if plain is not _NOT_PLAIN:
            return plain
    amounts = _line_amounts(fa, method)
    if amounts is None:
        return None
    foreign = fa.KodWaluty != "PLN"
    totals = compute_totals(amounts, method=method, exchange_rate=_rate_of_exchange(fa) if foreign else None)
    if not foreign:
        totals.fields = {k: v for k, v in totals.fields.items() if not k.endswith("W")}
    return totals


def _line_problems(invoice: Faktura, method: TaxMethod) -> list[Problem]:
    problems: list[Problem] = []
    for i, line in enumerate(invoice.Fa.FaWiersz, start=1):
        base = f"Fa/FaWiersz[{i}]"
        if _is_taxed(line):
            if method == "net" and _is_gross_line(line):
                problems.append(Problem(base, _MIXED_GROSS, code=TOTALS_CODE))
            elif method == "gross" and _is_net_line(line) and line.P_9B is None and line.P_11A is None:
                problems.append(Problem(base, _MIXED_NET, code=TOTALS_CODE))
        if line.P_9A is not None and line.P_11 is not None:
            options = _acceptable_values(line, line.P_9A)
            if line.P_11 not in options:
                problems.append(_problem(f"{base}/P_11", line.P_11, options[0]))
        if line.P_9B is not None and line.P_11A is not None:
            options = _acceptable_values(line, line.P_9B)
            if line.P_11A not in options:
                problems.append(_problem(f"{base}/P_11A", line.P_11A, options[0]))
    return problems


_SUMMARY_CHECKED = tuple((name, name.endswith("W")) for name in SUMMARY_FIELDS_ORDER[:-1])


def _summary_problems(invoice: Faktura, totals: Totals | None) -> list[Problem]:
    fa = invoice.Fa
    supplied: dict[str, Decimal | None] = fa.__dict__  # the fields' values, read without getattr
    problems: list[Problem] = []
    if totals is None:
        present = [v for n in (*_NET_FIELDS, *_VAT_FIELDS) if (v := supplied[n]) is not None]
        if present and fa.RodzajFaktury not in _SETTLEMENT_KINDS:
            total = sum(present, Decimal(0))
            if total != fa.P_15:
                problems.append(_problem("Fa/P_15", fa.P_15, total))
        return problems
    computed_fields = totals.fields
    for name, in_pln in _SUMMARY_CHECKED:
        computed = computed_fields.get(name)
        value = supplied[name]
        if computed is None:
            if value is None or value == 0 or in_pln:
                continue  # nothing on either side; or P_14_xW without a rate of exchange: not checkable
        elif value is not None and value == computed:
            continue
        problems.append(_problem(f"Fa/{name}", value, computed))
    if fa.RodzajFaktury not in _SETTLEMENT_KINDS and totals.p_15 != fa.P_15:
        problems.append(_problem("Fa/P_15", fa.P_15, totals.p_15))
    return problems


def check_totals(invoice: Faktura, method: TaxMethod | None = None) -> list[Problem]:
    """Every disagreement between the supplied amounts and what the lines give (empty list if none)."""
    method = method or invoice_tax_method(invoice.Fa)
    return _line_problems(invoice, method) + _summary_problems(invoice, expected_totals(invoice, method))


DEFAULT_ANNOTATIONS: dict[str, Any] = {
    "P_16": 2,
    "P_17": 2,
    "P_18": 2,
    "P_18A": 2,
    "Zwolnienie": {"P_19N": 1},
    "NoweSrodkiTransportu": {"P_22N": 1},
    "P_23": 2,
    "PMarzy": {"P_PMarzyN": 1},
}
"""``Adnotacje`` of an ordinary invoice (no cash method, self-billing, reverse charge, split payment,
exemption, new means of transport, simplified procedure or margin): a draft without Adnotacje gets these."""


DEFAULT_FORM_CODE: dict[str, Any] = {"value": "FA"}
"""``Naglowek/KodFormularza`` of a draft without one (its attributes the model's defaults)."""


def _set(model: Fa3Model, name: str, value: Decimal) -> None:
    """Assign a computed Decimal to a Decimal field without pydantic's (slow) __setattr__."""
    model.__dict__[name] = value
    model.__pydantic_fields_set__.add(name)


def _now_utc() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _draft_dict(draft: Faktura | dict[str, Any], *, number_lines: bool = True) -> dict[str, Any]:
    """The draft as a dict, with the defaults a draft may leave out filled in.

    Defaults: ``Naglowek`` (form code, variant 3, ``DataWytworzeniaFa`` = now in UTC), ``Podmiot2``
    ``JST``/``GV`` = 2, ``Fa/KodWaluty`` = PLN, ``Fa/Adnotacje`` = :data:`DEFAULT_ANNOTATIONS`,
    ``Fa/RodzajFaktury`` = VAT, ``FaWiersz/NrWierszaFa`` = 1, 2, 3 ... (without ``number_lines`` the
    lines are left as they are: :mod:`fakturnik.fa3.draft_xml` numbers them as it writes them).
    """
    if isinstance(draft, Faktura):
        return draft.model_dump(exclude_none=True)
    data = dict(draft)
    header = data.get("Naglowek")
    if header is None or isinstance(header, dict):  # anything else is left for the model to refuse
        header = dict(header or {})
        header.setdefault("KodFormularza", DEFAULT_FORM_CODE)
        if "DataWytworzeniaFa" not in header:
            header["DataWytworzeniaFa"] = _now_utc()
        data["Naglowek"] = header
    if isinstance(data.get("Podmiot2"), dict):
        buyer = dict(data["Podmiot2"])
        buyer.setdefault("JST", 2)
        buyer.setdefault("GV", 2)
        data["Podmiot2"] = buyer
    fa = data.get("Fa")
    if fa is None or isinstance(fa, dict):
        fa = dict(fa or {})
        fa.setdefault("KodWaluty", "PLN")
        fa.setdefault("Adnotacje", DEFAULT_ANNOTATIONS)
        fa.setdefault("RodzajFaktury", "VAT")
        lines = fa.get("FaWiersz")
        if number_lines and isinstance(lines, list):
            fa["FaWiersz"] = [
                {"NrWierszaFa": i, **line} if isinstance(line, dict) else line
                for i, line in enumerate(lines, 1)
            ]
        data["Fa"] = fa
    return data


def build_invoice(draft: Faktura | dict[str, Any], *, method: TaxMethod | None = None) -> Faktura:
    """Complete a draft: line values and the summary computed, supplied amounts checked.

    ``draft`` is a model or its JSON form; a JSON draft may omit ``Fa/P_15`` and the defaults listed
    in :func:`_draft_dict` (header, annotations, line numbers ...). Raises
    :class:`InvoiceValidationError` with one problem per disagreeing amount, and pydantic's
    ``ValidationError`` for a draft that is not a valid model.
    """
    data = _draft_dict(draft)
    fa_data = data["Fa"]
    p15_missing = isinstance(fa_data, dict) and "P_15" not in fa_data
    if p15_missing:
        fa_data["P_15"] = "0"  # a placeholder for the model; computed below
    invoice = Faktura.model_validate(data)
    fa = invoice.Fa
    if shortcuts.ENABLED and method is None and p15_missing and _complete_plain_net(fa):
        return invoice
    method = method or invoice_tax_method(fa)
    problems = _line_problems(invoice, method)
    if problems:
        raise InvoiceValidationError(problems)
    for line in fa.FaWiersz:
        if line.P_11A is None and line.P_9B is not None:
            _set(line, "P_11A", _priced_value(line.P_8B, line.P_9B, line.P_10))
        if line.P_11 is None and line.P_9A is not None:
            _set(line, "P_11", _priced_value(line.P_8B, line.P_9A, line.P_10))
    totals = expected_totals(invoice, method)
    if method == "line" and totals is not None:
        for line, vat in zip(fa.FaWiersz, totals.per_line_vat, strict=True):
            if line.P_11Vat is None:
                _set(line, "P_11Vat", -vat if line.StanPrzed == 1 else vat)
    if totals is not None:
        fa_values = fa.__dict__
        for name, value in totals.fields.items():  # P_13_x / P_14_x / P_14_xW only (P_15 is apart)
            if fa_values[name] is None:
                _set(fa, name, value)
        if p15_missing:
            _set(fa, "P_15", totals.p_15)
    elif p15_missing:
        given = [v for n in (*_NET_FIELDS, *_VAT_FIELDS) if (v := getattr(fa, n)) is not None]
        gross = [w.P_11A for w in fa.FaWiersz if w.P_11A is not None]
        if not given and gross and len(gross) == len(fa.FaWiersz):
            given = [-v if w.StanPrzed == 1 else v for w, v in zip(fa.FaWiersz, gross, strict=True)]
        _set(fa, "P_15", sum(given, Decimal(0)))
    problems = _summary_problems(invoice, totals)
    if problems:
        raise InvoiceValidationError(problems)
    return invoice
