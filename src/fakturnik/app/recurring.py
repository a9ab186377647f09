"""Recurring invoices: an issued invoice repeated on a chosen day of every month with the next number.

A template keeps the FA(3) JSON draft of the invoice it was made from. :meth:`RecurringService.run_due`
issues every template whose day has come: issue date = the run day, number from the series, the due
date the same number of days after it as on the first invoice, and optionally e-mails it. Each run
of a template uses the idempotency key ``recurring:<id>:<day>``, so running twice (two processes, a
retry after a crash) issues one invoice. Whoever runs the server calls ``run_due`` periodically; the
web app also offers "run now".
"""

from __future__ import annotations

import builtins
import calendar
import copy
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from fakturnik.app.access import Action, require_system
from fakturnik.app.projection import project
from fakturnik.app.service import Service
from fakturnik.base.warsaw import warsaw_today
from fakturnik.errors import FakturnikError, InputError, Problem
from fakturnik.store.web_models import RecurringInvoice

__all__ = ["RecurringService", "RecurringView", "next_run_after"]

log = logging.getLogger("fakturnik.recurring")


@dataclass(frozen=True)
class RecurringView:
    id: int
    company_id: int
    title: str
    day_of_month: int
    email_to: str
    next_run: date
    active: bool
    last_invoice_id: int | None


def _view(row: RecurringInvoice) -> RecurringView:
    return project(RecurringView, row)


def next_run_after(day_of_month: int, after: date) -> date:
    """The first ``day_of_month`` strictly after ``after`` (days 1..28 exist in every month)."""
    year, month = after.year, after.month
    if after.day >= day_of_month:
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return date(year, month, min(day_of_month, calendar.monthrange(year, month)[1]))


def _due_days(draft: dict[str, Any]) -> int | None:
    fa = draft.get("Fa") or {}
    try:
        issued = date.fromisoformat(str(fa.get("P_1")))
        due = date.fromisoformat(
            str(((fa.get("Platnosc") or {}).get("TerminPlatnosci") or [{}])[0].get("Termin"))
        )
    except (ValueError, TypeError, AttributeError, IndexError):
        return None
    return max(0, (due - issued).days)


def _for_day(template: dict[str, Any], day: date, due_days: int | None) -> dict[str, Any]:
    draft = copy.deepcopy(template)
    fa = draft["Fa"]
    fa["P_1"], fa["P_2"] = day.isoformat(), "AUTO"
    fa.pop("P_6", None)
    for name in list(fa):
        if name.startswith(("P_13_", "P_14_")) or name == "P_15":
            fa.pop(name)  # computed again from the lines
    for line in fa.get("FaWiersz") or []:
        for name in ("P_11", "P_11A", "P_11Vat"):
            line.pop(name, None)
    payment = fa.get("Platnosc")
    if isinstance(payment, dict):
        payment.pop("Zaplacono", None)
        payment.pop("DataZaplaty", None)
        if due_days is not None:
            payment["TerminPlatnosci"] = [{"Termin": (day + timedelta(days=due_days)).isoformat()}]
    draft.get("Naglowek", {}).pop("DataWytworzeniaFa", None)
    return draft


class RecurringService(Service):
    def create_from_invoice(
        self,
        company_id: int,
        invoice_id: int,
        *,
        day_of_month: int,
        email_to: str = "",
        today: date | None = None,
    ) -> RecurringView:
        """A template from an issued invoice, first run on the next ``day_of_month`` after today."""
        if not 1 <= day_of_month <= 28:
            raise InputError([Problem("day_of_month", "Dzień miesiąca od 1 do 28.", "invalid")])
        if email_to and ("@" not in email_to or len(email_to) > 320):
            raise InputError([Problem("email_to", "Niepoprawny adres e-mail.", "invalid")])
        invoices = self.app.acting_as(self.actor).invoices
        draft = invoices.draft_of(company_id, invoice_id)
        invoice = invoices.get(company_id, invoice_id)
        start = today or warsaw_today()
        with self._tx() as s:
            company = self._company(s, company_id, Action.INVOICES_WRITE)
            row = RecurringInvoice(
                company_id=company.id,
                title=f"{invoice.buyer.name} (jak {invoice.number})"[:512],
                draft=draft,
                day_of_month=day_of_month,
                due_days=_due_days(draft),
                email_to=email_to,
                next_run=next_run_after(day_of_month, start - timedelta(days=1)),
                active=True,
                created_by=self.actor.label,
            )
            s.add(row)
            s.flush()
            self._audit(
                s, "recurring.create", company_id=company.id, invoice_id=invoice_id, detail={"id": row.id}
            )
            return _view(row)

    def list(self, company_id: int) -> list[RecurringView]:
        with self._tx() as s:
            company = self._company(s, company_id, Action.INVOICES_READ)
            rows = s.scalars(
                select(RecurringInvoice)
                .where(RecurringInvoice.company_id == company.id)
                .order_by(RecurringInvoice.id)
            )
            return [_view(r) for r in rows]

    def stop(self, company_id: int, recurring_id: int) -> None:
        with self._tx() as s:
            row = self._owned(
                s,
                company_id,
                Action.INVOICES_WRITE,
                RecurringInvoice,
                recurring_id,
                "nie ma takiej faktury cyklicznej",
            )
            row.active = False
            self._audit(s, "recurring.stop", company_id=company_id, detail={"id": recurring_id})

    def run_due(self, today: date | None = None, *, company_id: int | None = None) -> builtins.list[int]:
        """Issue every template due by ``today`` (the system actor: all companies; a user: one company).
        Returns the ids of the invoices issued."""
        day = today or warsaw_today()
        with self._tx() as s:
            query = select(RecurringInvoice).where(
                RecurringInvoice.active.is_(True), RecurringInvoice.next_run <= day
            )
            if company_id is None:
                require_system(self.actor)
            else:
                self._company(s, company_id, Action.INVOICES_WRITE)
                query = query.where(RecurringInvoice.company_id == company_id)
            due = [
                (r.id, r.company_id, dict(r.draft), r.due_days, r.email_to, r.next_run)
                for r in s.scalars(query)
            ]
        issued: builtins.list[int] = []
        services = self.app.acting_as(self.actor)
        for rid, cid, draft, due_days, email_to, run_day in due:
            try:
                result = services.invoices.issue(
                    cid,
                    _for_day(draft, run_day, due_days),
                    idempotency_key=f"recurring:{rid}:{run_day.isoformat()}",
                )
            except FakturnikError as exc:
                log.warning("recurring invoice %s not issued: %s", rid, exc)
                continue
            issued.append(result.invoice.id)
            with self._tx() as s:
                row = s.get(RecurringInvoice, rid)
                if row is not None:
                    row.last_invoice_id = result.invoice.id
                    row.next_run = next_run_after(row.day_of_month, run_day)
                    self._audit(
                        s,
                        "recurring.issued",
                        company_id=cid,
                        invoice_id=result.invoice.id,
                        detail={"id": rid},
                    )
            if email_to and not result.replayed:
                from fakturnik.app.mail import MailService

                try:
                    MailService(self.app, self.actor).send_invoice(cid, result.invoice.id, email_to)
                except FakturnikError as exc:
                    log.warning("recurring invoice %s not e-mailed: %s", result.invoice.id, exc)
        return issued
