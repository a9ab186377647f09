"""Live totals of the invoice form, computed by the FA(3) builder that writes the XML.

While a person types, the header may still be incomplete (no buyer yet); the totals only need the
lines, so :func:`preview` completes the header with placeholders, leaves out the lines that do not
parse yet (their problems are shown at their fields) and runs :func:`fakturnik.fa3.builder.build_invoice`
on the rest. The rows are per VAT-rate group of the FA(3) summary (``P_13_x`` / ``P_14_x``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from fakturnik.app.advances import ADVANCE_KINDS
from fakturnik.base.warsaw import warsaw_today
from fakturnik.errors import InputError, InvoiceValidationError
from fakturnik.fa3.builder import build_invoice
from fakturnik.fa3.jsonform import problems_from_validation_error
from fakturnik.web.ui.formatting import rate_label
from fakturnik.web.ui.invoice_form import InvoiceForm, external_advances, form_field, to_draft

__all__ = ["Preview", "RateRow", "preview"]

_PLACEHOLDER_SELLER = {
    "DaneIdentyfikacyjne": {"NIP": "5265877635", "Nazwa": "-"},
    "Adres": {"KodKraju": "PL", "AdresL1": "-"},
}

# (net field, vat field, vat in PLN field, rates of the group)
_GROUPS: tuple[tuple[str, str | None, str | None, tuple[str, ...]], ...] = (
    ("P_13_1", "P_14_1", "P_14_1W", ("23", "22")),
    ("P_13_2", "P_14_2", "P_14_2W", ("8", "7")),
    ("P_13_3", "P_14_3", "P_14_3W", ("5",)),
    ("P_13_4", "P_14_4", "P_14_4W", ("4", "3")),
    ("P_13_5", "P_14_5", None, ()),
    ("P_13_6_1", None, None, ("0 KR",)),
    ("P_13_6_2", None, None, ("0 WDT",)),
    ("P_13_6_3", None, None, ("0 EX",)),
    ("P_13_7", None, None, ("zw",)),
    ("P_13_8", None, None, ("np I",)),
    ("P_13_9", None, None, ("np II",)),
    ("P_13_10", None, None, ("oo",)),
    ("P_13_11", None, None, ()),
)


@dataclass
class RateRow:
    label: str
    net: Decimal
    vat: Decimal
    gross: Decimal
    vat_pln: Decimal | None = None


@dataclass
class Preview:
    rows: list[RateRow] = field(default_factory=list)
    net: Decimal = Decimal("0.00")
    vat: Decimal = Decimal("0.00")
    gross: Decimal = Decimal("0.00")
    currency: str = "PLN"
    line_values: dict[int, Decimal] = field(default_factory=dict)
    """Value of each line by its index in the posted names."""
    errors: dict[str, str] = field(default_factory=dict)
    split_payment_hint: bool = False
    settlement: list[tuple[str, str, Decimal]] = field(default_factory=list)
    """Advance kinds: (element id, label, amount) rows under the summary (order value, advances, to pay)."""


Completer = Callable[[dict[str, Any]], dict[str, Any]]
"""Turns the form's draft of an advance kind into the finished one (``AdvancesService.complete``)."""


_SPLIT_THRESHOLD = Decimal(15000)


def _probe(form: InvoiceForm, today: date, **overrides: Any) -> InvoiceForm:
    """A copy of ``form`` that builds whatever its lines are: the fields the totals do not depend on
    are filled with placeholders (a valid NIP, today's date, no payment), ``overrides`` on top."""
    fields: dict[str, Any] = {
        "buyer_nip": "7740001454",
        "buyer_name": form.buyer_name or "-",
        "buyer_email": "",
        "issue_date": form.issue_date or today.isoformat(),
        "sale_date": "",
        "due_mode": "days",
        "due_days": "",
        "bank_account": "",
        "split_payment": False,
        "exemption": form.exemption or "art113",
        "exemption_text": form.exemption_text or "-",
        "lines": list(form.lines),
        "errors": {},
    }
    fields.update(overrides)
    return dataclasses.replace(form, **fields)


def preview(form: InvoiceForm, *, today: date | None = None, complete: Completer | None = None) -> Preview:
    """Totals of the lines of ``form`` that can be read; the problems of the others at their fields.

    For ZAL, ROZ, KOR_ZAL and KOR_ROZ, ``complete`` (the company's ``AdvancesService.complete``)
    turns the lines into the invoice's own summary (the advance, or what is left after the advances).
    """
    today = today or warsaw_today()
    probe = _probe(form, today, kind=form.kind if form.kind in ("VAT", "UPR") else "VAT")
    result = Preview(currency=(form.currency or "PLN").upper())
    draft = to_draft(probe, seller=_PLACEHOLDER_SELLER, today=today)
    line_errors = {k: v for k, v in probe.errors.items() if k.startswith("line-")}
    result.errors.update(line_errors)
    if form.kind == "ROZ":  # the rows of advances invoiced elsewhere, each checked as a line is
        result.errors.update(_external_row_errors(form))
    bad = {int(k.split("-")[1]) for k in line_errors}
    good = [line for line in form.lines if line.index not in bad]
    if not good:
        return result
    if bad or draft is None:  # again without the lines that cannot be read yet
        probe = dataclasses.replace(probe, lines=good, errors={})
        draft = to_draft(probe, seller=_PLACEHOLDER_SELLER, today=today)
    if draft is None:  # a header value the person typed (currency, rate of exchange) is wrong
        result.errors.update({k: v for k, v in probe.errors.items() if k in ("currency", "exchange_rate")})
        return result
    try:
        invoice = build_invoice(draft)
    except InvoiceValidationError as exc:
        for problem in exc.problems:
            result.errors.setdefault(form_field(probe, problem.path) or "lines", problem.message)
        return result
    except ValidationError as exc:
        for problem in problems_from_validation_error(exc):
            result.errors.setdefault(form_field(probe, problem.path) or "lines", problem.message)
        return result
    fa = invoice.Fa
    for posted, line in zip(good, fa.FaWiersz, strict=True):
        value = line.P_11A if line.P_11A is not None else line.P_11
        if value is not None:
            result.line_values[posted.index] = value
    present = {w.P_12 for w in fa.FaWiersz}
    _fill_rows(result, fa.__dict__, present)
    result.gross = fa.P_15
    result.split_payment_hint = result.currency == "PLN" and result.gross >= _SPLIT_THRESHOLD
    if form.kind in ADVANCE_KINDS and complete is not None and not bad:
        _advance_preview(form, result, complete, present, today)
    return result


def _external_row_errors(form: InvoiceForm) -> dict[str, str]:
    """The problems of the ROZ's rows of advances invoiced outside Fakturnik: every field of a row
    that has anything typed (a blank row is no row), whether or not the lines read yet."""
    rows = dataclasses.replace(form, errors={})
    external_advances(rows)
    return {k: v for k, v in rows.errors.items() if k.startswith("ext-")}


def _fill_rows(result: Preview, attrs: Mapping[str, Any], present: set[Any]) -> None:
    result.rows, result.net, result.vat = [], Decimal("0.00"), Decimal("0.00")
    for net_name, vat_name, pln_name, rates in _GROUPS:
        net = attrs.get(net_name)
        if net is None:
            continue
        vat = attrs.get(vat_name) if vat_name else None
        vat = vat if vat is not None else Decimal("0.00")
        used: list[str] = [r for r in rates if r in present] or list(rates)
        label = " / ".join(rate_label(r) for r in used) if used else net_name
        row = RateRow(
            label=label, net=net, vat=vat, gross=net + vat, vat_pln=attrs.get(pln_name) if pln_name else None
        )
        result.rows.append(row)
        result.net += net
        result.vat += vat


def _advance_preview(
    form: InvoiceForm, result: Preview, complete: Completer, present: set[Any], today: date
) -> None:
    """The summary of an advance kind: the lines' totals (already in ``result``) become the order's,
    the rows the invoice's own (the advance's split, or what is left after the advances)."""
    probe = _probe(
        form,
        today,
        advance_ids=list(form.advance_ids),
        correction_reason=form.correction_reason or "-",
        corrected_number=form.corrected_number or "-",
        corrected_date=form.corrected_date or "2026-01-01",
    )
    draft = to_draft(probe, seller=_PLACEHOLDER_SELLER, today=today)
    order_gross = result.gross
    if draft is None:
        for name in ("advance_amount", "advances"):
            if name in probe.errors and (name != "advance_amount" or form.advance_amount):
                result.errors[name] = probe.errors[name]
        if form.kind == "ROZ":
            result.settlement = [("order-total", "Wartość zamówienia", order_gross)]
        return
    draft.pop("Podmiot2", None)  # the buyer may not be typed yet
    try:
        done = complete(draft)
    except (InputError, InvoiceValidationError) as exc:
        for problem in exc.problems:
            result.errors.setdefault(form_field(probe, problem.path) or "lines", problem.message)
        return
    fa = done.get("Fa") or {}
    _fill_rows(result, fa, present)
    to_pay = Decimal(str(fa.get("P_15", "0")))
    before = Decimal(str(fa.get("P_15ZK", "0")))
    result.gross = to_pay
    result.split_payment_hint = False
    if form.kind == "ZAL":
        result.settlement = [
            ("order-total", "Wartość zamówienia", order_gross),
            ("advance-total", "Zaliczka", to_pay),
        ]
    elif form.kind == "ROZ":
        result.settlement = [
            ("order-total", "Wartość zamówienia", order_gross),
            ("advances-total", "Wpłacone zaliczki", order_gross - to_pay),
            ("to-pay", "Pozostało do zapłaty", to_pay),
        ]
    elif form.kind == "KOR_ZAL":
        result.settlement = [
            ("advance-before", "Zaliczka przed korektą", before),
            ("advance-after", "Zaliczka po korekcie", before + to_pay),
        ]
    else:
        result.settlement = [
            ("to-pay-before", "Do zapłaty przed korektą", before),
            ("to-pay", "Do zapłaty po korekcie", before + to_pay),
        ]
