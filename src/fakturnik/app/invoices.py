"""Invoices a company issues: issue (one or in bulk), read, list, correct, payments, XML and UPO."""

from __future__ import annotations

import builtins
import time
from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fakturnik.app import issuing
from fakturnik.app.access import Action
from fakturnik.app.filters import DEFAULT_LIMIT, InvoiceFilter
from fakturnik.app.invoice_query import list_page
from fakturnik.app.invoice_views import detail_view, row_view
from fakturnik.app.service import Service
from fakturnik.app.views import (
    BulkItemResult,
    BulkResult,
    InvoicePage,
    InvoiceView,
    IssueResult,
    PreviewView,
    RateTotal,
    SessionUpoView,
    StatusChange,
)
from fakturnik.errors import (
    ConflictError,
    InputError,
    InvoiceValidationError,
    NotFoundError,
)
from fakturnik.store import repo, states
from fakturnik.store.models import Company, Invoice, OutboxEntry

CHUNK = 500  # invoices per transaction in bulk issuing
STAGE = 100  # documents built, then validated stage by stage together (fa3.validation.check_many)
RETRIES = 3  # a chunk that collided with a concurrent writer (same idempotency key) is tried again

# (label, net field, VAT field) per rate group, in the order of the FA(3) summary
RATE_FIELDS = (
    ("23", "P_13_1", "P_14_1"),
    ("8", "P_13_2", "P_14_2"),
    ("5", "P_13_3", "P_14_3"),
    ("4", "P_13_4", "P_14_4"),
    ("OSS", "P_13_5", "P_14_5"),
    ("0 KR", "P_13_6_1", None),
    ("0 WDT", "P_13_6_2", None),
    ("0 EX", "P_13_6_3", None),
    ("zw", "P_13_7", None),
    ("np I", "P_13_8", None),
    ("np II", "P_13_9", None),
    ("oo", "P_13_10", None),
    ("marża", "P_13_11", None),
)


def today_pl() -> date:
    from fakturnik.base.warsaw import warsaw_today

    return warsaw_today()


class InvoicesService(Service):
    direction = "issued"

    # --- issuing ----------------------------------------------------------------------------------

    def issue(
        self,
        company_id: int,
        draft: dict[str, Any] | bytes | str | None = None,
        *,
        xml: bytes | None = None,
        idempotency_key: str | None = None,
        urgent: bool = False,
    ) -> IssueResult:
        """Issue one invoice from a JSON draft (docs/fa3-json.md; dict or JSON bytes) or FA(3) XML.

        The number comes from the company's series when ``Fa/P_2`` is missing or ``AUTO``. The final
        document is validated as KSeF would (strict NIP checks for production) and stored with its
        outbox entry in one transaction; while KSeF is down it is issued offline with its deadline.
        ``idempotency_key``: the same key with the same body returns the first invoice
        (``replayed=True``); with another body, :class:`IdempotencyConflictError`.
        """
        source = self._source(draft, xml)
        return self._one(self._issue_items(company_id, [source], [idempotency_key], urgent=urgent))

    def _one(self, result: Sequence[Any]) -> IssueResult:
        """The one issued invoice of ``_issue_items`` as its detail view, or its error raised."""
        item = result[0]
        if item.error is not None:
            raise item.error
        assert item.invoice is not None
        with self._tx() as s:
            inv = s.get(Invoice, item.invoice.id)
            assert inv is not None
            return IssueResult(detail_view(s, inv, today_pl(), item.warnings), replayed=item.replayed)

    def issue_many(
        self,
        company_id: int,
        items: Sequence[dict[str, Any] | bytes | str],
        *,
        idempotency_keys: Sequence[str | None] | None = None,
        urgent: bool = False,
    ) -> BulkResult:
        """Issue up to 1,000 invoices; a result per item, in order. Each chunk of 250 is one transaction.

        A refused item (validation, idempotency conflict, duplicate number) is reported with its
        problems and leaves nothing behind; the others are issued.
        """
        if len(items) > issuing.MAX_BULK:
            raise InputError(f"najwyżej {issuing.MAX_BULK} faktur w jednym żądaniu", "items")
        if idempotency_keys is not None and len(idempotency_keys) != len(items):
            raise InputError("tyle kluczy idempotencji, ile faktur", "idempotency_keys")
        keys = list(idempotency_keys) if idempotency_keys is not None else [None] * len(items)
        prepared = self._issue_items(company_id, list(items), keys, urgent=urgent)
        results = []
        for item in prepared:
            if item.error is not None:
                err = item.error
                results.append(
                    BulkItemResult(
                        index=item.index,
                        ok=False,
                        error_code=getattr(err, "code", "error"),
                        error=str(err)
                        if not isinstance(err, InvoiceValidationError)
                        else "faktura nie przeszła walidacji",
                        problems=tuple(getattr(err, "problems", ())),
                    )
                )
            else:
                assert item.invoice is not None
                results.append(
                    BulkItemResult(
                        index=item.index,
                        ok=True,
                        invoice=item.row,
                        replayed=item.replayed,
                        warnings=item.warnings,
                    )
                )
        return BulkResult(tuple(results))

    def _source(self, draft: dict[str, Any] | bytes | str | None, xml: bytes | None) -> issuing.Source:
        if (draft is None) == (xml is None):
            raise InputError("podaj szkic faktury (JSON) albo plik FA(3) (XML), jedno z dwóch", "draft")
        return draft if draft is not None else xml  # type: ignore[return-value]

    def _issue_items(
        self,
        company_id: int,
        sources: Sequence[issuing.Source],
        keys: Sequence[str | None],
        *,
        urgent: bool = False,
        corrects_id: int | None = None,
    ) -> list[issuing.Prepared]:
        from fakturnik.engine.issuing import validation_env

        with self._tx() as s:
            company = self._company(s, company_id, Action.INVOICES_WRITE)
            env, nip, context_type = validation_env(company.environment), company.nip, company.context_type
            seller = seller_of(s, company)
            strictness = company.issue_strictness or "all"
        today = today_pl()
        prepared: list[issuing.Prepared] = []
        for start in range(0, len(sources), STAGE):
            prepared += issuing.prepare_many(
                sources[start : start + STAGE],
                keys[start : start + STAGE],
                env=env,
                company_nip=nip,
                context_type=context_type,
                seller=seller,
                today=today,
                strictness=strictness,
                first=start,
            )
        for item in prepared:
            item.urgent = urgent
            item.corrects_id = corrects_id
        for start in range(0, len(prepared), CHUNK):
            chunk = prepared[start : start + CHUNK]
            self._store(company_id, chunk, today)
        return prepared

    def _store(self, company_id: int, chunk: list[issuing.Prepared], today: date) -> None:
        for attempt in range(RETRIES):
            for item in chunk:  # a retry starts from what was prepared
                if item.invoice is not None or item.replayed:
                    item.invoice, item.replayed = None, False
                if isinstance(item.error, ConflictError):
                    item.error = None
            try:
                with self._tx() as s:
                    company = self._company(s, company_id, Action.INVOICES_WRITE)
                    issuing.store_chunk(
                        s,
                        company,
                        chunk,
                        actor=self.actor.label,
                        today=today,
                        issuer_user_id=self.actor.user_id,
                    )
                    for item in chunk:
                        if item.invoice is not None:
                            item.row = row_view(item.invoice, today)
                return
            except IntegrityError:
                # another transaction committed the same idempotency key (or number) meanwhile
                if attempt == RETRIES - 1:
                    raise ConflictError(
                        "równoległe wystawianie tych samych faktur; spróbuj ponownie"
                    ) from None
                time.sleep(0.01 * (attempt + 1))

    def preview(
        self, company_id: int, draft: dict[str, Any] | bytes | str, *, complete: bool = True
    ) -> PreviewView:
        """Totals per VAT rate of a draft, computed by the same builder that writes the XML; nothing stored.

        ``problems`` lists what would stop issuing (with FA(3) paths), ``ok`` is True when none.
        ``complete``: a half-filled form still gets totals — a missing seller is the company, a
        missing buyer a placeholder, a missing issue date today (those are then not reported).
        """
        from fakturnik.engine.issuing import validation_env
        from fakturnik.fa3.jsonform import invoice_from_draft
        from fakturnik.fa3.validation import validate_xml
        from fakturnik.fa3.writer import write_invoice

        with self._tx() as s:
            company = self._company(
                s, company_id, Action.INVOICES_READ if not self.actor.is_system else Action.INVOICES_WRITE
            )
            env, nip, name = validation_env(company.environment), company.nip, company.name
        data = issuing._load_json(draft) if isinstance(draft, bytes | str) else draft
        data, _ = issuing.draft_with_auto_number(issuing.with_defaults(data, None, None))
        if complete:
            data = _with_placeholders(data, nip, name)
        try:
            invoice = invoice_from_draft(data)
        except InvoiceValidationError as exc:
            return PreviewView(
                ok=False,
                rates=(),
                net=None,
                vat=None,
                gross=None,
                currency="PLN",
                problems=tuple(exc.problems),
            )
        report = validate_xml(write_invoice(invoice), env)
        fa = invoice.Fa
        rates = []
        for label, net_field, vat_field in RATE_FIELDS:
            net = getattr(fa, net_field, None)
            if net is None:
                continue
            vat = getattr(fa, vat_field, None) if vat_field else None
            rates.append(RateTotal(label, Decimal(net), Decimal(vat) if vat is not None else Decimal("0")))
        net_total = sum((r.net for r in rates), Decimal("0"))
        vat_total = sum((r.vat for r in rates), Decimal("0"))
        gross = Decimal(fa.P_15) if fa.P_15 is not None else None
        return PreviewView(
            ok=report.ok,
            rates=tuple(rates),
            net=net_total,
            vat=vat_total,
            gross=gross,
            currency=fa.KodWaluty or "PLN",
            problems=tuple(report.problems),
            warnings=tuple(report.warnings),
        )

    # --- reading ----------------------------------------------------------------------------------

    def _invoice(self, s: Session, company_id: int, invoice_id: int, action: Action) -> Invoice:
        missing = "nie ma takiej faktury"
        return self._owned(s, company_id, action, Invoice, invoice_id, missing, direction=self.direction)

    @property
    def _read(self) -> Action:
        return Action.INVOICES_READ if self.direction == "issued" else Action.RECEIVED_READ

    def _before_reading(self, s: Session, company_id: int) -> None:
        """What ``get`` and ``list`` do first, after the access check (issued invoices: nothing)."""

    def get(self, company_id: int, invoice_id: int) -> InvoiceView:
        with self._tx() as s:
            inv = self._invoice(s, company_id, invoice_id, self._read)
            self._before_reading(s, company_id)
            return detail_view(s, inv, today_pl())

    def list(
        self,
        company_id: int,
        filter: InvoiceFilter | None = None,
        *,
        cursor: str | None = None,
        limit: int = DEFAULT_LIMIT,
        with_totals: bool = False,
    ) -> InvoicePage:
        """Newest first; ``next_cursor`` continues. ``with_totals``: count and gross sum of all that match."""
        with self._tx() as s:
            self._company(s, company_id, self._read)
            self._before_reading(s, company_id)
            return list_page(
                s,
                company_id,
                self.direction,
                filter or InvoiceFilter(),
                cursor=cursor,
                limit=limit,
                with_totals=with_totals,
                today=today_pl(),
            )

    def history(self, company_id: int, invoice_id: int) -> builtins.list[StatusChange]:
        with self._tx() as s:
            inv = self._invoice(s, company_id, invoice_id, self._read)
            return [StatusChange(h.status, h.at, h.detail) for h in repo.history(s, inv.id)]

    def xml(self, company_id: int, invoice_id: int) -> bytes:
        """The FA(3) file as stored (the one sent to KSeF)."""
        with self._tx() as s:
            return bytes(self._invoice(s, company_id, invoice_id, self._read).xml)

    def upo(self, company_id: int, invoice_id: int) -> bytes:
        """The UPO (official confirmation of receipt) XML; :class:`NotFoundError` until KSeF gave one."""
        with self._tx() as s:
            inv = self._invoice(s, company_id, invoice_id, self._read)
            upo = repo.upo_for(s, inv.id)
            if upo is None:
                raise NotFoundError("UPO tej faktury nie jest jeszcze dostępne")
            return bytes(upo.xml)

    def session_upo(self, company_id: int, invoice_id: int) -> SessionUpoView:
        """The UPO of the KSeF session the invoice went in: reference number, dates, pages, and which
        page lists this invoice. :class:`NotFoundError` until KSeF issued it (after the session closed)."""
        from fakturnik.app import session_upos

        with self._tx() as s:
            return session_upos.view(s, self._invoice(s, company_id, invoice_id, self._read))

    def session_upo_xml(self, company_id: int, invoice_id: int, page: int | None = None) -> bytes:
        """One page of the session UPO as KSeF issued it: ``page``, or the page listing this invoice."""
        from fakturnik.app import session_upos

        with self._tx() as s:
            return session_upos.page_xml(s, self._invoice(s, company_id, invoice_id, self._read), page)

    def session_upo_pdf(self, company_id: int, invoice_id: int, page: int | None = None) -> bytes:
        """That page of the session UPO as a readable PDF (needs the ``visual`` extra)."""
        from fakturnik.visual import upo_pdf

        return upo_pdf(self.session_upo_xml(company_id, invoice_id, page))

    def html(self, company_id: int, invoice_id: int) -> str:
        """The invoice as a standalone HTML page, with the QR codes its state requires.

        Accepted: KOD I labelled with the KSeF number. Issued offline and not yet accepted: KOD I
        labelled OFFLINE and KOD II signed with the company's Offline certificate (engine.documents).
        """
        from fakturnik.engine import documents

        return documents.invoice_html(self.ctx, self._visible(company_id, invoice_id))

    def pdf(self, company_id: int, invoice_id: int) -> bytes:
        """The invoice as PDF (A4, QR codes as in :meth:`html`; needs the ``visual`` extra)."""
        from fakturnik.engine import documents

        return documents.invoice_pdf(self.ctx, self._visible(company_id, invoice_id))

    def upo_pdf(self, company_id: int, invoice_id: int) -> bytes:
        """The UPO as PDF; :class:`NotFoundError` until KSeF gave one."""
        from fakturnik.visual import upo_pdf

        return upo_pdf(self.upo(company_id, invoice_id))

    def _visible(self, company_id: int, invoice_id: int) -> int:
        """The invoice's id once the actor may read it (tenancy checked here, never in the engine)."""
        with self._tx() as s:
            return self._invoice(s, company_id, invoice_id, self._read).id

    def draft_of(self, company_id: int, invoice_id: int) -> dict[str, Any]:
        """The stored invoice in its JSON form (for "duplicate": set a new P_2/AUTO and dates)."""
        from fakturnik.fa3.jsonform import invoice_to_json
        from fakturnik.fa3.parser import parse_invoice

        return invoice_to_json(parse_invoice(self.xml(company_id, invoice_id)))

    def duplicate_draft(self, company_id: int, invoice_id: int) -> dict[str, Any]:
        """A draft of a new invoice like this one: number AUTO, today's date, totals left to compute."""
        draft = self.draft_of(company_id, invoice_id)
        fa = draft.get("Fa", {})
        fa["P_2"] = issuing.AUTO
        fa["P_1"] = today_pl().isoformat()
        _strip_totals(fa)
        draft.pop("Naglowek", None)
        return draft

    def correction_draft(self, company_id: int, invoice_id: int, reason: str = "") -> dict[str, Any]:
        """A KOR draft of this invoice: its lines before (``StanPrzed``) and after (to edit), the reason,
        and the corrected invoice's number, date and KSeF number (or the marker that it has none)."""
        with self._tx() as s:
            inv = self._invoice(s, company_id, invoice_id, Action.INVOICES_READ)
            number, issued_on, ksef_number = inv.number, inv.issue_date, inv.ksef_number
        draft = self.draft_of(company_id, invoice_id)
        draft.pop("Naglowek", None)
        fa = draft.setdefault("Fa", {})
        kind = fa.get("RodzajFaktury", "VAT")
        fa["RodzajFaktury"] = {"ZAL": "KOR_ZAL", "ROZ": "KOR_ROZ"}.get(kind, "KOR")
        fa["P_2"] = issuing.AUTO
        fa["P_1"] = today_pl().isoformat()
        fa["PrzyczynaKorekty"] = reason or "Korekta"
        fa["TypKorekty"] = 1
        ref: dict[str, Any] = {
            "DataWystFaKorygowanej": issued_on.isoformat() if issued_on else fa.get("P_1"),
            "NrFaKorygowanej": number,
        }
        if ksef_number:
            ref.update({"NrKSeF": 1, "NrKSeFFaKorygowanej": ksef_number})
        else:
            ref["NrKSeFN"] = 1
        fa["DaneFaKorygowanej"] = [ref]
        _strip_totals(fa)
        lines = fa.get("FaWiersz") or []
        before = []
        after = []
        for line in lines:
            line = {k: v for k, v in line.items() if k not in ("NrWierszaFa", "P_11", "P_11A", "P_11Vat")}
            before.append({**line, "StanPrzed": 1})
            after.append(dict(line))
        fa["FaWiersz"] = before + after
        return draft

    def correct(
        self,
        company_id: int,
        invoice_id: int,
        draft: dict[str, Any] | bytes | str | None = None,
        *,
        xml: bytes | None = None,
        idempotency_key: str | None = None,
    ) -> IssueResult:
        """Issue a correction (KOR, KOR_ZAL, KOR_ROZ) of an issued invoice.

        The document must name the corrected invoice in ``Fa/DaneFaKorygowanej`` (its number, and
        its KSeF number once it has one): :meth:`correction_draft` prepares exactly that.
        """
        with self._tx() as s:
            original = self._invoice(s, company_id, invoice_id, Action.INVOICES_WRITE)
            number, ksef_number = original.number, original.ksef_number
        source = self._source(draft, xml)
        prepared = issuing.prepare(
            0, source, env="test", company_nip="", context_type="", idempotency_key=None
        )
        summary = prepared.summary
        if summary is not None:
            if not summary.kind.startswith("KOR"):
                raise InputError("korekta musi mieć rodzaj KOR, KOR_ZAL albo KOR_ROZ", "Fa/RodzajFaktury")
            if number not in summary.corrected_numbers:
                raise InputError(
                    f"korekta musi wskazywać fakturę {number} w DaneFaKorygowanej/NrFaKorygowanej",
                    "Fa/DaneFaKorygowanej",
                )
            if ksef_number and ksef_number not in summary.corrected_ksef_numbers:
                raise InputError(
                    f"korekta musi podawać numer KSeF korygowanej faktury ({ksef_number})",
                    "Fa/DaneFaKorygowanej/NrKSeFFaKorygowanej",
                )
        return self._one(self._issue_items(company_id, [source], [idempotency_key], corrects_id=invoice_id))

    # --- payments, sending ------------------------------------------------------------------------

    def record_payment(
        self,
        company_id: int,
        invoice_id: int,
        amount: Decimal | str | None = None,
        paid_at: date | None = None,
    ) -> InvoiceView:
        """Record a payment: ``amount`` None = paid in full; a part makes it partly paid (amounts add up)."""
        action = Action.PAYMENTS_WRITE if self.direction == "issued" else Action.RECEIVED_WRITE
        with self._tx() as s:
            inv = self._invoice(s, company_id, invoice_id, action)
            if amount is None:
                if inv.gross is None:
                    raise InputError("faktura nie ma kwoty brutto; podaj kwotę zapłaty", "amount")
                paid = inv.gross
            else:
                try:
                    value = Decimal(str(amount))
                except InvalidOperation:
                    raise InputError("kwota zapłaty musi być liczbą", "amount") from None
                if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")):
                    raise InputError("kwota zapłaty musi być dodatnia, z dokładnością do grosza", "amount")
                paid = (inv.paid_amount or Decimal("0")) + value
            if inv.gross is not None and paid > inv.gross and inv.gross > 0:
                raise InputError(f"zapłata {paid} przekracza kwotę faktury {inv.gross}", "amount")
            inv.paid_amount = paid
            inv.paid_at = paid_at or today_pl()
            self._audit(
                s,
                "invoice.payment",
                company_id=company_id,
                invoice_id=inv.id,
                detail={"paid_amount": str(paid), "paid_at": inv.paid_at.isoformat()},
            )
            s.flush()
            return detail_view(s, inv, today_pl())

    def clear_payment(self, company_id: int, invoice_id: int) -> InvoiceView:
        action = Action.PAYMENTS_WRITE if self.direction == "issued" else Action.RECEIVED_WRITE
        with self._tx() as s:
            inv = self._invoice(s, company_id, invoice_id, action)
            inv.paid_amount, inv.paid_at = Decimal("0"), None
            self._audit(s, "invoice.payment_cleared", company_id=company_id, invoice_id=inv.id)
            s.flush()
            return detail_view(s, inv, today_pl())

    def send_now(self, company_id: int, invoice_ids: Sequence[int]) -> int:
        """Ask the engine to send these invoices first (online, not in the next batch). Returns how many."""
        with self._tx() as s:
            self._company(s, company_id, Action.INVOICES_WRITE)
            result = s.execute(
                update(OutboxEntry)
                .where(
                    OutboxEntry.company_id == company_id,
                    OutboxEntry.invoice_id.in_(list(invoice_ids)),
                    OutboxEntry.state == states.QUEUED,
                )
                .values(urgent=True)
            )
            count = int(getattr(result, "rowcount", 0))
            self._audit(
                s, "invoice.send_now", company_id=company_id, detail={"ids": list(invoice_ids)[:1000]}
            )
            return count

    def wait(
        self, company_id: int, invoice_id: int, timeout: float = 60.0, *, until: Sequence[str] = ()
    ) -> InvoiceView:
        """Wait until KSeF decided (accepted/rejected; or ``until`` statuses) — for scripts and examples.

        Needs a running engine (:meth:`Fakturnik.worker` or a ``fakturnik worker`` process).
        """
        wanted = set(until or (states.ACCEPTED, states.REJECTED))
        deadline = time.monotonic() + timeout
        while True:
            view = self.get(company_id, invoice_id)
            if view.status in wanted or time.monotonic() > deadline:
                return view
            time.sleep(0.1)

    def company_of(self, invoice_id: int) -> int:
        """The company an invoice belongs to, if the actor may read it (for routes keyed by invoice id)."""
        with self._tx() as s:
            inv = s.get(Invoice, invoice_id)
            if inv is None:
                raise NotFoundError("nie ma takiej faktury")
            self._company(s, inv.company_id, self._read)
            return inv.company_id


def seller_of(s: Session, company: Company) -> dict[str, Any]:
    """Podmiot1 of the company's own invoices (a draft without a seller gets it)."""
    from fakturnik.store.models import CompanyProfile

    profile = s.get(CompanyProfile, company.id)
    seller: dict[str, Any] = {
        "DaneIdentyfikacyjne": {"NIP": company.nip, "Nazwa": company.name or company.nip}
    }
    if profile is not None and profile.address:
        seller["Adres"] = {"KodKraju": "PL", "AdresL1": profile.address[:512]}
        if profile.email:
            seller["DaneKontaktowe"] = [{"Email": profile.email}]
    return seller


def _with_placeholders(draft: dict[str, Any], nip: str, name: str) -> dict[str, Any]:
    out = dict(draft)
    if not out.get("Podmiot1"):
        out["Podmiot1"] = {
            "DaneIdentyfikacyjne": {"NIP": nip, "Nazwa": name or nip},
            "Adres": {"KodKraju": "PL", "AdresL1": "-"},
        }
    if not out.get("Podmiot2"):
        out["Podmiot2"] = {"DaneIdentyfikacyjne": {"BrakID": 1, "Nazwa": "-"}}
    fa = out.get("Fa")
    if isinstance(fa, dict) and not fa.get("P_1"):
        out["Fa"] = {**fa, "P_1": today_pl().isoformat()}
    return out


def _strip_totals(fa: dict[str, Any]) -> None:
    for key in list(fa):
        if key.startswith(("P_13_", "P_14_")) or key == "P_15":
            del fa[key]
    for line in fa.get("FaWiersz") or []:
        for k in ("NrWierszaFa", "P_11", "P_11A", "P_11Vat"):
            line.pop(k, None)
