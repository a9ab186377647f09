"""Advance invoices (ZAL) and the settlement invoices (ROZ) that settle them, with their corrections.

The amounts follow art. 106f of the VAT act and the Ministry's FA(3) examples (FA_3_Przyklad_10-14):

* a **ZAL** names the order (``Zamowienie``: its lines and value) and carries the advance received:
  ``P_15`` is the advance, and its summary (``P_13_x`` / ``P_14_x``) is the advance split over the
  order's rate groups in proportion to their gross values, the tax of each part being
  ``gross x rate / (100 + rate)``;
* a **ROZ** lists the whole order in its lines and names the advances it settles
  (``FakturaZaliczkowa``); its summary is the order's less the advances' (as corrected), and
  ``P_15`` is what is left to pay;
* a **KOR_ZAL** gives the order before (``StanPrzedZ``) and after, ``P_15ZK`` = the advance before,
  ``P_15`` = the change of the advance, and its summary the change of the advance's split;
* a **KOR_ROZ** gives the lines before (``StanPrzed``) and after, ``P_15ZK`` = what was left to pay,
  and its summary and ``P_15`` are the change of the lines.

The order's totals are always those of :func:`fakturnik.fa3.builder.build_invoice` (the builder that
writes every XML): a draft's lines are built as a VAT invoice first, and only then turned into one of
these kinds. The pure functions take and return FA(3) JSON drafts (docs/fa3-json.md);
:class:`AdvancesService` (``fk.advances``) reads the company's stored advances for them.
"""

from __future__ import annotations

import builtins
import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fakturnik.app.access import Action
from fakturnik.app.projection import project
from fakturnik.app.service import Service
from fakturnik.base.warsaw import warsaw_today
from fakturnik.errors import InputError, InvoiceValidationError, Problem
from fakturnik.store.models import Invoice

__all__ = [
    "ADVANCE_KINDS",
    "AdvanceView",
    "AdvancesService",
    "ExternalAdvance",
    "OrderTotals",
    "advance_correction_draft",
    "advance_draft",
    "advance_split",
    "order_totals",
    "settlement_correction_draft",
    "settlement_draft",
    "summary_fields",
]

ADVANCE_KINDS = frozenset({"ZAL", "ROZ", "KOR_ZAL", "KOR_ROZ"})
"""Kinds whose summary is not the sum of their lines (the functions here compute it)."""

MAX_ADVANCES = 100
ZERO = Decimal("0.00")
_GROSZ = Decimal("0.01")

# (net field, VAT field, VAT-in-PLN field) of each rate group, in schema order
_GROUPS: tuple[tuple[str, str | None, str | None], ...] = (
    ("P_13_1", "P_14_1", "P_14_1W"),
    ("P_13_2", "P_14_2", "P_14_2W"),
    ("P_13_3", "P_14_3", "P_14_3W"),
    ("P_13_4", "P_14_4", "P_14_4W"),
    ("P_13_5", "P_14_5", None),
    ("P_13_6_1", None, None),
    ("P_13_6_2", None, None),
    ("P_13_6_3", None, None),
    ("P_13_7", None, None),
    ("P_13_8", None, None),
    ("P_13_9", None, None),
    ("P_13_10", None, None),
    ("P_13_11", None, None),
)
_SUMMARY_NAMES = tuple(n for group in _GROUPS for n in group if n is not None)
_PLACEHOLDER_BUYER = {"DaneIdentyfikacyjne": {"BrakID": 1, "Nazwa": "-"}}
_PLACEHOLDER_SELLER = {
    "DaneIdentyfikacyjne": {"NIP": "5265877635", "Nazwa": "-"},
    "Adres": {"KodKraju": "PL", "AdresL1": "-"},
}

Summary = dict[str, Decimal]
"""The summary fields of an invoice that are present (``P_13_x``, ``P_14_x``, ``P_14_xW``), by name."""


def _round(value: Decimal) -> Decimal:
    from fakturnik.fa3.amounts import round_grosze

    return round_grosze(value)


def _dec(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        return None
    return result if result.is_finite() else None


def summary_fields(fa: Mapping[str, Any]) -> Summary:
    """The summary fields present in an ``Fa`` (JSON form or a model's ``__dict__``)."""
    out: Summary = {}
    for name in _SUMMARY_NAMES:
        value = _dec(fa.get(name))
        if value is not None:
            out[name] = value
    return out


def _add(total: Summary, other: Mapping[str, Decimal], sign: int = 1) -> Summary:
    result = dict(total)
    for name, value in other.items():
        result[name] = result.get(name, ZERO) + sign * value
    return result


def _ordered(summary: Mapping[str, Decimal]) -> Summary:
    return {n: _round(summary[n]) for n in _SUMMARY_NAMES if n in summary}


# --- the order's totals, by the builder ------------------------------------------------------------


@dataclass(frozen=True)
class OrderTotals:
    """The totals of a draft's lines as the builder computes them for a VAT invoice (or a KOR, when
    the lines carry ``StanPrzed``: then "after minus before")."""

    summary: Summary
    gross: Decimal
    lines: tuple[dict[str, Any], ...]  # each line as built: P_11 / P_11A filled
    percents: dict[str, Decimal | None]  # net field of a taxed group -> its one rate, None if mixed


def order_totals(draft: Mapping[str, Any]) -> OrderTotals:
    """Build the draft's lines as a VAT invoice (KOR with lines before) with :func:`build_invoice`.

    Raises :class:`InvoiceValidationError` with the problems of the lines (paths ``Fa/FaWiersz[n]/…``).
    """
    from fakturnik.fa3.amounts import RATE_FIELDS, RATE_PERCENT
    from fakturnik.fa3.builder import build_invoice
    from fakturnik.fa3.jsonform import invoice_to_json

    fa_in: Mapping[str, Any] = draft.get("Fa") or {}
    lines = [dict(line) for line in fa_in.get("FaWiersz") or [] if isinstance(line, Mapping)]
    if not lines:
        raise InvoiceValidationError(
            [Problem(path="Fa/FaWiersz", message="Podaj pozycje zamówienia.", code="ORDER_NO_LINES")]
        )
    correction = any(line.get("StanPrzed") in (1, "1") for line in lines)
    probe_fa: dict[str, Any] = {
        key: value for key, value in fa_in.items() if key in ("KodWaluty", "KursWalutyZ", "P_1", "Adnotacje")
    }
    probe_fa.update(
        {
            "KodWaluty": fa_in.get("KodWaluty") or "PLN",
            "P_1": fa_in.get("P_1") or warsaw_today().isoformat(),
            "P_2": "-",
            "RodzajFaktury": "KOR" if correction else "VAT",
            "FaWiersz": [
                {k: v for k, v in line.items() if k not in ("NrWierszaFa", "P_11", "P_11A", "P_11Vat")}
                for line in lines
            ],
        }
    )
    if correction:
        probe_fa.update(
            {
                "PrzyczynaKorekty": "-",
                "DaneFaKorygowanej": [
                    {"DataWystFaKorygowanej": probe_fa["P_1"], "NrFaKorygowanej": "-", "NrKSeFN": 1}
                ],
            }
        )
    probe = {"Podmiot1": _PLACEHOLDER_SELLER, "Podmiot2": _PLACEHOLDER_BUYER, "Fa": probe_fa}
    try:
        built = invoice_to_json(build_invoice(probe))
    except InvoiceValidationError:
        raise
    except ValueError as exc:  # pydantic's ValidationError: a line that is not a valid FaWiersz
        from pydantic import ValidationError

        from fakturnik.fa3.jsonform import problems_from_validation_error

        if isinstance(exc, ValidationError):
            raise InvoiceValidationError(problems_from_validation_error(exc)) from None
        raise
    fa = built["Fa"]
    percents: dict[str, Decimal | None] = {}
    for line in lines:
        group = RATE_FIELDS.get(str(line.get("P_12")))
        if group is None or group.vat is None:
            continue
        percent = RATE_PERCENT.get(str(line.get("P_12")))
        if group.net in percents and percents[group.net] != percent:
            percents[group.net] = None
        else:
            percents.setdefault(group.net, percent)
    return OrderTotals(
        summary=summary_fields(fa),
        gross=_dec(fa.get("P_15")) or ZERO,
        lines=tuple(dict(line) for line in fa.get("FaWiersz") or []),
        percents=percents,
    )


def _gross_of(summary: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Gross per rate group (net field -> net + VAT)."""
    out: dict[str, Decimal] = {}
    for net_name, vat_name, _ in _GROUPS:
        if net_name in summary:
            out[net_name] = summary[net_name] + (summary.get(vat_name, ZERO) if vat_name else ZERO)
    return out


def advance_split(order: OrderTotals, advance: Decimal) -> Summary:
    """The summary of an advance of ``advance`` (gross) on this order.

    Each rate group gets the part of the advance in proportion to its gross value in the order (the
    largest group takes the grosz left by rounding, so the parts add up to the advance exactly); the
    tax of a part is ``part x rate / (100 + rate)`` (art. 106f ust. 1 pkt 3), or the group's own tax
    ratio when it mixes rates (23 and 22).
    """
    per_group = {n: g for n, g in _gross_of(order.summary).items() if g}
    total = sum(per_group.values(), ZERO)
    if not per_group or total <= 0:
        raise InputError("zamówienie nie ma wartości, od której można liczyć zaliczkę", "Fa/Zamowienie")
    parts = {n: _round(advance * g / total) for n, g in per_group.items()}
    largest = max(per_group, key=lambda n: abs(per_group[n]))
    parts[largest] += advance - sum(parts.values(), ZERO)
    out: Summary = {}
    for net_name, vat_name, _ in _GROUPS:
        if net_name not in parts:
            continue
        part = parts[net_name]
        if vat_name is None:
            out[net_name] = part
            continue
        percent = order.percents.get(net_name)
        if percent is not None:
            vat = _round(part * percent / (Decimal(100) + percent))
        else:
            group_vat = order.summary.get(vat_name, ZERO)
            vat = _round(part * group_vat / per_group[net_name]) if per_group[net_name] else ZERO
        out[net_name], out[vat_name] = part - vat, vat
    return out


def _with_pln_tax(summary: Summary, fa: Mapping[str, Any]) -> Summary:
    """``P_14_xW`` (the tax in PLN) for an invoice in a foreign currency with ``KursWalutyZ``."""
    rate = _dec(fa.get("KursWalutyZ"))
    if (fa.get("KodWaluty") or "PLN") == "PLN" or rate is None:
        return {n: v for n, v in summary.items() if not n.endswith("W")}
    out = dict(summary)
    for _, vat_name, pln_name in _GROUPS:
        if vat_name and pln_name and vat_name in summary:
            out[pln_name] = _round(summary[vat_name] * rate)
    return _ordered(out)


def _order_lines(
    lines: Iterable[Mapping[str, Any]], percents: Mapping[str, Decimal | None]
) -> list[dict[str, Any]]:
    """``ZamowienieWiersz`` of the built lines: net and tax of each line of the order."""
    from fakturnik.fa3.amounts import RATE_PERCENT

    out = []
    for number, line in enumerate(lines, 1):
        rate = line.get("P_12")
        percent = RATE_PERCENT.get(str(rate), ZERO)
        net = _dec(line.get("P_11"))
        gross = _dec(line.get("P_11A"))
        if net is None and gross is not None:
            vat = _round(gross * percent / (Decimal(100) + percent))
            net = gross - vat
        else:
            net = net or ZERO
            vat = _round(net * percent / Decimal(100))
        row: dict[str, Any] = {"NrWierszaZam": number, "P_7Z": line.get("P_7") or "-"}
        if line.get("P_8A"):
            row["P_8AZ"] = line["P_8A"]
        if line.get("P_8B") is not None:
            row["P_8BZ"] = line["P_8B"]
        if line.get("P_9A") is not None:
            row["P_9AZ"] = line["P_9A"]
        row.update({"P_11NettoZ": net, "P_11VatZ": vat})
        if rate is not None:
            row["P_12Z"] = rate
        if line.get("GTU"):
            row["GTUZ"] = line["GTU"]
        if line.get("StanPrzed") in (1, "1"):
            row["StanPrzedZ"] = 1
        out.append(row)
    return out


def _positive(amount: Decimal | str | None, path: str, message: str) -> Decimal:
    value = _dec(amount)
    if value is None or value <= 0 or value != value.quantize(_GROSZ):
        raise InputError(message, path)
    return value


def _strip_summary(fa: dict[str, Any]) -> None:
    for name in (*_SUMMARY_NAMES, "P_15", "P_15ZK"):
        fa.pop(name, None)


def advance_draft(
    draft: Mapping[str, Any], advance: Decimal | str, *, order_value: Decimal | None = None
) -> dict[str, Any]:
    """A ZAL from a draft whose ``FaWiersz`` are the lines of the order and ``advance`` the gross
    amount received: ``Zamowienie`` (the order's lines and value), the advance's summary, no lines.

    ``order_value`` (gross) defaults to the order's total; an advance above it is refused.
    """
    amount = _positive(advance, "Fa/P_15", "podaj kwotę otrzymanej zaliczki (brutto, w złotych i groszach)")
    order = order_totals(draft)
    value = order.gross if order_value is None else order_value
    if amount > value:
        raise InputError(f"zaliczka {amount} jest większa niż wartość zamówienia {value}", "Fa/P_15")
    out = copy.deepcopy(dict(draft))
    fa = out.setdefault("Fa", {})
    _strip_summary(fa)
    fa.pop("FaWiersz", None)
    fa["RodzajFaktury"] = "ZAL"
    fa.update(_with_pln_tax(advance_split(order, amount), fa))
    fa["P_15"] = amount
    fa["Zamowienie"] = {
        "WartoscZamowienia": value,
        "ZamowienieWiersz": _order_lines(order.lines, order.percents),
    }
    return out


@dataclass(frozen=True)
class AdvanceView:
    """An advance invoice the company issued, as it stands after its corrections."""

    id: int
    number: str
    ksef_number: str | None
    issue_date: date | None
    status: str
    buyer_nip: str
    buyer_name: str
    currency: str
    amount: Decimal  # the advance received (gross), corrections included
    net: Decimal
    vat: Decimal
    order_value: Decimal | None
    order_number: str
    summary: Mapping[str, Decimal]  # P_13_x / P_14_x, corrections included
    order_lines: tuple[Mapping[str, Any], ...] = ()  # the order as last corrected (ZamowienieWiersz)
    settled_by: str | None = None  # the number of the settlement invoice that names it, if any
    settled_by_id: int | None = None  # that settlement invoice's id

    @property
    def reference(self) -> dict[str, Any]:
        """Its ``FakturaZaliczkowa`` entry: the KSeF number, or the number with ``NrKSeFZN``."""
        if self.ksef_number:
            return {"NrKSeFFaZaliczkowej": self.ksef_number}
        return {"NrKSeFZN": 1, "NrFaZaliczkowej": self.number}


@dataclass(frozen=True)
class ExternalAdvance:
    """An advance invoice issued outside Fakturnik (another program, before KSeF), as the person types it:
    its number, its KSeF number when it has one, and the advance it documented (gross, the ROZ's currency).

    Its tax is split over the settled order's rate groups the way :func:`advance_split` splits a ZAL's.
    """

    number: str
    amount: Decimal
    ksef_number: str | None = None

    @property
    def reference_key(self) -> str:
        return self.ksef_number or self.number

    @property
    def reference(self) -> dict[str, Any]:
        if self.ksef_number:
            return {"NrKSeFFaZaliczkowej": self.ksef_number}
        return {"NrKSeFZN": 1, "NrFaZaliczkowej": self.number}


def external_advance(number: str, amount: Decimal | str, ksef_number: str | None = None) -> ExternalAdvance:
    """A checked :class:`ExternalAdvance` (:class:`InputError` at ``Fa/FakturaZaliczkowa`` otherwise)."""
    from fakturnik.base.ksef_numbers import is_valid_ksef_number

    path = "Fa/FakturaZaliczkowa"
    number = (number or "").strip()
    ksef = (ksef_number or "").strip() or None
    if not number and not ksef:
        raise InputError("podaj numer faktury zaliczkowej (albo jej numer KSeF)", path)
    if len(number) > 256:
        raise InputError("numer faktury zaliczkowej może mieć najwyżej 256 znaków", path)
    if ksef is not None and not is_valid_ksef_number(ksef):
        raise InputError(f"niepoprawny numer KSeF faktury zaliczkowej: {ksef[:40]}", path)
    value = _positive(amount, path, f"podaj kwotę zaliczki {number or ksef} (brutto, w złotych i groszach)")
    return ExternalAdvance(number=number or str(ksef), amount=value, ksef_number=ksef)


def settlement_draft(
    draft: Mapping[str, Any], advances: Sequence[AdvanceView], external: Sequence[ExternalAdvance] = ()
) -> dict[str, Any]:
    """A ROZ from a draft whose lines are the whole order and the advances it settles: their
    ``FakturaZaliczkowa`` entries, the summary = the order's less the advances', ``P_15`` = what is
    left to pay (negative when the advances were more than the order).

    ``external``: advances invoiced outside Fakturnik, known by number and amount only; each one's
    summary is its amount split over the order's rate groups (:func:`advance_split`)."""
    if not advances and not external:
        raise InputError("zaznacz faktury zaliczkowe, które ta faktura rozlicza", "Fa/FakturaZaliczkowa")
    if len(advances) + len(external) > MAX_ADVANCES:
        raise InputError(f"najwyżej {MAX_ADVANCES} faktur zaliczkowych", "Fa/FakturaZaliczkowa")
    fa_in: Mapping[str, Any] = draft.get("Fa") or {}
    currency = fa_in.get("KodWaluty") or "PLN"
    for advance in advances:
        if advance.currency != currency:
            raise InputError(
                f"zaliczka {advance.number} jest w {advance.currency}, a ta faktura w {currency}",
                "Fa/FakturaZaliczkowa",
            )
    order = order_totals(draft)
    paid = sum((a.amount for a in advances), ZERO) + sum((e.amount for e in external), ZERO)
    summary = order.summary
    for advance in advances:
        summary = _add(summary, advance.summary, -1)
    for other in external:
        summary = _add(summary, advance_split(order, other.amount), -1)
    out = copy.deepcopy(dict(draft))
    fa = out.setdefault("Fa", {})
    _strip_summary(fa)
    fa["RodzajFaktury"] = "ROZ"
    fa["FaWiersz"] = [_line_for_xml(line) for line in order.lines]
    fa.update(_with_pln_tax(_ordered(summary), fa))
    fa["P_15"] = order.gross - paid
    fa["FakturaZaliczkowa"] = [a.reference for a in advances] + [e.reference for e in external]
    return out


def _line_for_xml(line: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in line.items() if k != "NrWierszaFa"}


def advance_correction_draft(
    draft: Mapping[str, Any], original: AdvanceView, advance: Decimal | str
) -> dict[str, Any]:
    """A KOR_ZAL of ``original`` from a draft whose lines are the order before (``StanPrzed``) and
    after, and ``advance`` the advance after the correction (gross)."""
    amount = _dec(advance)
    if amount is None or amount < 0 or amount != amount.quantize(_GROSZ):
        raise InputError("podaj kwotę zaliczki po korekcie (brutto, w złotych i groszach)", "Fa/P_15")
    fa_in: Mapping[str, Any] = draft.get("Fa") or {}
    lines = [line for line in fa_in.get("FaWiersz") or [] if isinstance(line, Mapping)]
    before = [line for line in lines if line.get("StanPrzed") in (1, "1")]
    after = [line for line in lines if line.get("StanPrzed") not in (1, "1")]
    if not after:
        raise InvoiceValidationError(
            [
                Problem(
                    path="Fa/FaWiersz", message="Podaj pozycje zamówienia po korekcie.", code="ORDER_NO_LINES"
                )
            ]
        )
    after_order = order_totals({"Fa": {**fa_in, "FaWiersz": after}})
    if amount > after_order.gross:
        raise InputError(
            f"zaliczka {amount} jest większa niż wartość zamówienia {after_order.gross}", "Fa/P_15"
        )
    new_split = advance_split(after_order, amount) if amount else {}
    before_rows: list[dict[str, Any]] = []
    if before:
        before_order = order_totals({"Fa": {**fa_in, "FaWiersz": [_after(line) for line in before]}})
        before_rows = _order_lines(before_order.lines, before_order.percents)
    else:
        before_rows = [dict(row) for row in original.order_lines]
    for row in before_rows:
        row["StanPrzedZ"] = 1
    after_rows = _order_lines(after_order.lines, after_order.percents)
    rows: list[dict[str, Any]] = []
    for i in range(max(len(before_rows), len(after_rows))):  # before and after of each line together
        for group in (before_rows, after_rows):
            if i < len(group):
                rows.append({**group[i], "NrWierszaZam": i + 1})
    out = copy.deepcopy(dict(draft))
    fa = out.setdefault("Fa", {})
    _strip_summary(fa)
    fa.pop("FaWiersz", None)
    fa["RodzajFaktury"] = "KOR_ZAL"
    fa.update(_with_pln_tax(_ordered(_add(new_split, original.summary, -1)), fa))
    fa["P_15"] = amount - original.amount
    fa["P_15ZK"] = original.amount
    fa["Zamowienie"] = {"WartoscZamowienia": after_order.gross, "ZamowienieWiersz": rows}
    return out


def _after(line: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in line.items() if k != "StanPrzed"}


def settlement_correction_draft(
    draft: Mapping[str, Any], left_to_pay: Decimal, advances: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """A KOR_ROZ from a draft with the lines before (``StanPrzed``) and after: the summary and
    ``P_15`` are the change of the lines, ``P_15ZK`` what was left to pay before, and the settled
    advances (``FakturaZaliczkowa`` of the corrected invoice) are named again."""
    order = order_totals(draft)
    out = copy.deepcopy(dict(draft))
    fa = out.setdefault("Fa", {})
    _strip_summary(fa)
    fa["RodzajFaktury"] = "KOR_ROZ"
    fa["FaWiersz"] = [_line_for_xml(line) for line in order.lines]
    fa.update(_with_pln_tax(_ordered(order.summary), fa))
    fa["P_15"] = order.gross
    fa["P_15ZK"] = left_to_pay
    if advances and not fa.get("FakturaZaliczkowa"):
        fa["FakturaZaliczkowa"] = [dict(a) for a in advances]
    return out


# --- the company's advances ------------------------------------------------------------------------


_OPEN = ("rejected",)


def _parse(xml: bytes) -> dict[str, Any]:
    from fakturnik.fa3.jsonform import invoice_to_json
    from fakturnik.fa3.parser import parse_invoice

    return invoice_to_json(parse_invoice(xml))


_MISSING = {"ZAL": "nie ma takiej faktury zaliczkowej", "ROZ": "nie ma takiej faktury rozliczeniowej"}


class AdvancesService(Service):
    """``fk.advances``: the company's advance invoices, and complete drafts of the four kinds."""

    def list(
        self,
        company_id: int,
        buyer_nip: str | None = None,
        *,
        order_number: str | None = None,
        open_only: bool = False,
        limit: int = 200,
    ) -> tuple[AdvanceView, ...]:
        """Advance invoices (ZAL) the company issued, newest first, not rejected; for one buyer and
        order when given. ``open_only``: those no settlement invoice names yet."""
        with self._tx() as s:
            self._company(s, company_id, Action.INVOICES_READ)
            query = select(Invoice).where(
                Invoice.company_id == company_id,
                Invoice.direction == "issued",
                Invoice.kind == "ZAL",
                Invoice.status.not_in(_OPEN),
            )
            if buyer_nip:
                query = query.where(Invoice.buyer_id == buyer_nip)
            rows = s.scalars(query.order_by(Invoice.id.desc()).limit(max(1, min(limit, 1000)))).all()
            settled = _settled_by(s, company_id)
            views = [_advance_view(s, inv, settled) for inv in rows]
        if order_number:
            views = [v for v in views if v.order_number == order_number]
        if open_only:
            views = [v for v in views if v.settled_by is None]
        return tuple(views)

    def _issued(self, s: Session, company_id: int, invoice_id: int, kind: str) -> Invoice:
        """An issued invoice of ``kind`` (ZAL or ROZ) of the company, after the read check."""
        missing = _MISSING[kind]
        return self._owned(
            s, company_id, Action.INVOICES_READ, Invoice, invoice_id, missing, direction="issued", kind=kind
        )

    def get(self, company_id: int, invoice_id: int) -> AdvanceView:
        with self._tx() as s:
            inv = self._issued(s, company_id, invoice_id, "ZAL")
            return _advance_view(s, inv, _settled_by(s, company_id))

    def complete(
        self,
        company_id: int,
        draft: Mapping[str, Any],
        *,
        advance: Decimal | str | None = None,
        advance_ids: Sequence[int] = (),
        external_advances: Sequence[ExternalAdvance] = (),
        corrects_id: int | None = None,
    ) -> dict[str, Any]:
        """The finished draft of a ZAL, ROZ, KOR_ZAL or KOR_ROZ (by ``Fa/RodzajFaktury``) whose
        ``FaWiersz`` are the order's lines (before and after, for corrections); other kinds as given.

        ``advance``: the advance received (ZAL) or after the correction (KOR_ZAL), ``Fa/P_15`` of the
        draft when not given; ``advance_ids``:
        the company's ZAL invoices a ROZ settles; ``external_advances``: advances it settles that were
        invoiced outside Fakturnik (number, KSeF number, amount); ``corrects_id``: the invoice a
        correction corrects.
        """
        fa: Mapping[str, Any] = draft.get("Fa") or {}
        kind = str(fa.get("RodzajFaktury") or "VAT")
        if advance is None:
            advance = fa.get("P_15")
        if kind == "ZAL":
            return advance_draft(draft, advance if advance is not None else "")
        if kind == "ROZ":
            ids = list(dict.fromkeys(advance_ids))
            if len(ids) > MAX_ADVANCES:
                raise InputError(f"najwyżej {MAX_ADVANCES} faktur zaliczkowych", "Fa/FakturaZaliczkowa")
            advances = [self.get(company_id, i) for i in ids]
            buyer = ((draft.get("Podmiot2") or {}).get("DaneIdentyfikacyjne") or {}).get("NIP")
            for a in advances:
                if a.settled_by is not None:
                    raise InputError(
                        f"zaliczka {a.number} jest już rozliczona fakturą {a.settled_by}",
                        "Fa/FakturaZaliczkowa",
                    )
                if buyer and a.buyer_nip and a.buyer_nip != buyer:
                    raise InputError(
                        f"zaliczka {a.number} jest dla nabywcy {a.buyer_nip}, a ta faktura dla {buyer}",
                        "Fa/FakturaZaliczkowa",
                    )
            self._check_external(company_id, external_advances)
            return settlement_draft(draft, advances, external_advances)
        if kind in ("KOR_ZAL", "KOR_ROZ"):
            if corrects_id is None:
                raise InputError("korekta musi wskazać korygowaną fakturę", "Fa/DaneFaKorygowanej")
            if kind == "KOR_ZAL":
                original = self.get(company_id, corrects_id)
                return advance_correction_draft(draft, original, advance if advance is not None else "")
            left, references = self._settlement_state(company_id, corrects_id)
            return settlement_correction_draft(draft, left, references)
        return dict(draft)

    def _check_external(self, company_id: int, external: Sequence[ExternalAdvance]) -> None:
        """An advance typed by hand is neither one of the company's own ZAL invoices (those are ticked,
        with their real summary) nor one a settlement already names."""
        if not external:
            return
        if len(external) > MAX_ADVANCES:
            raise InputError(f"najwyżej {MAX_ADVANCES} faktur zaliczkowych", "Fa/FakturaZaliczkowa")
        with self._tx() as s:
            self._company(s, company_id, Action.INVOICES_READ)
            settled = _settled_by(s, company_id)
            keys = [k for e in external for k in (e.number, e.ksef_number) if k]
            own = s.execute(
                select(Invoice.number, Invoice.ksef_number).where(
                    Invoice.company_id == company_id,
                    Invoice.direction == "issued",
                    Invoice.kind == "ZAL",
                    Invoice.status.not_in(_OPEN),
                    (Invoice.number.in_(keys)) | (Invoice.ksef_number.in_(keys)),
                )
            ).first()
        if own is not None:
            raise InputError(
                f"zaliczka {own.number} jest wystawiona w Fakturniku: zaznacz ją na liście zaliczek",
                "Fa/FakturaZaliczkowa",
            )
        seen: set[str] = set()
        for e in external:
            for key in (e.number, e.ksef_number):
                if key and key in settled:
                    raise InputError(
                        f"zaliczka {key} jest już rozliczona fakturą {settled[key][0]}",
                        "Fa/FakturaZaliczkowa",
                    )
            if e.reference_key in seen:
                raise InputError(f"zaliczka {e.number} jest wpisana dwa razy", "Fa/FakturaZaliczkowa")
            seen.add(e.reference_key)

    def _settlement_state(
        self, company_id: int, invoice_id: int
    ) -> tuple[Decimal, builtins.list[dict[str, Any]]]:
        """What was left to pay on a ROZ (its P_15 with its corrections) and its FakturaZaliczkowa."""
        with self._tx() as s:
            inv = self._issued(s, company_id, invoice_id, "ROZ")
            fa = _parse(bytes(inv.xml))["Fa"]
            left = _dec(fa.get("P_15")) or ZERO
            for correction in _corrections(s, inv):
                left += _dec(_parse(bytes(correction.xml))["Fa"].get("P_15")) or ZERO
            return left, [dict(a) for a in fa.get("FakturaZaliczkowa") or []]


def _corrections(s: Session, inv: Invoice) -> Sequence[Invoice]:
    return s.scalars(
        select(Invoice)
        .where(
            Invoice.company_id == inv.company_id,
            Invoice.direction == "issued",
            Invoice.corrects_id == inv.id,
            Invoice.status.not_in(_OPEN),
        )
        .order_by(Invoice.id)
    ).all()


def _settled_by(s: Session, company_id: int) -> dict[str, tuple[str, int]]:
    """KSeF number or number of each advance -> the number and id of the (first) ROZ that names it."""
    out: dict[str, tuple[str, int]] = {}
    rows = s.execute(
        select(Invoice.number, Invoice.xml, Invoice.id)
        .where(
            Invoice.company_id == company_id,
            Invoice.direction == "issued",
            Invoice.kind == "ROZ",
            Invoice.status.not_in(_OPEN),
        )
        .order_by(Invoice.id)
        .limit(2000)
    ).all()
    for number, xml, roz_id in rows:
        try:
            refs = _parse(bytes(xml))["Fa"].get("FakturaZaliczkowa") or []
        except Exception:  # a stored file that no longer parses names nothing  # noqa: S112
            continue
        for ref in refs:
            key = ref.get("NrKSeFFaZaliczkowej") or ref.get("NrFaZaliczkowej")
            if key:
                out.setdefault(str(key), (number, roz_id))
    return out


def _advance_view(s: Session, inv: Invoice, settled: Mapping[str, tuple[str, int]]) -> AdvanceView:
    fa = _parse(bytes(inv.xml))["Fa"]
    summary = summary_fields(fa)
    amount = _dec(fa.get("P_15")) or ZERO
    order = fa.get("Zamowienie") or {}
    order_value = _dec(order.get("WartoscZamowienia"))
    order_lines = [row for row in order.get("ZamowienieWiersz") or [] if isinstance(row, Mapping)]
    for correction in _corrections(s, inv):
        cfa = _parse(bytes(correction.xml))["Fa"]
        summary = _add(summary, summary_fields(cfa))
        amount += _dec(cfa.get("P_15")) or ZERO
        corder = cfa.get("Zamowienie") or {}
        if corder:
            order_value = _dec(corder.get("WartoscZamowienia")) or order_value
            order_lines = [
                {k: v for k, v in row.items() if k != "StanPrzedZ"}
                for row in corder.get("ZamowienieWiersz") or []
                if isinstance(row, Mapping) and row.get("StanPrzedZ") not in (1, "1")
            ] or order_lines
    orders = ((fa.get("WarunkiTransakcji") or {}).get("Zamowienia")) or []
    order_number = next((str(o.get("NrZamowienia")) for o in orders if o.get("NrZamowienia")), "")
    by = settled.get(inv.ksef_number or "") or settled.get(inv.number)
    net = sum((v for n, v in summary.items() if n.startswith("P_13")), ZERO)
    vat = sum((v for n, v in summary.items() if n.startswith("P_14") and not n.endswith("W")), ZERO)
    return project(
        AdvanceView,
        inv,
        buyer_nip=inv.buyer_id,
        amount=amount,
        net=net,
        vat=vat,
        order_value=order_value,
        order_number=order_number,
        summary=_ordered(summary),
        order_lines=tuple(order_lines),
        settled_by=by[0] if by else None,
        settled_by_id=by[1] if by else None,
    )
