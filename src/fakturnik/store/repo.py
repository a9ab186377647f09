"""Repository functions: every read and write the engine and CLI make, each inside a caller's transaction."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from fakturnik.errors import StoreError
from fakturnik.store import states
from fakturnik.store.models import (
    AuditEntry,
    Batch,
    Company,
    CompanyProfile,
    Credential,
    Invoice,
    InvoiceStatusChange,
    KsefSession,
    Membership,
    NumberingConfig,
    NumberingSeries,
    Outage,
    OutboxEntry,
    SessionUpo,
    SyncCheckpoint,
    Upo,
)

if TYPE_CHECKING:
    from fakturnik.fa3.document import Summary


class LeaseLostError(StoreError):
    """The worker's claim on an outbox entry expired and someone else may own it now."""


# --- companies -------------------------------------------------------------------------------------


def add_company(
    s: Session,
    *,
    nip: str,
    name: str = "",
    environment: str = "local",
    base_url: str | None = None,
    context_type: str = "Nip",
    context_value: str | None = None,
    actor: str = "cli",
) -> Company:
    company = Company(
        nip=nip,
        name=name,
        environment=environment,
        base_url=base_url,
        context_type=context_type,
        context_value=context_value or nip,
    )
    s.add(company)
    s.flush()
    audit(s, actor, "company.add", company_id=company.id, detail={"nip": nip, "environment": environment})
    return company


def company_by_nip(s: Session, nip: str) -> Company:
    company = s.scalar(select(Company).where(Company.nip == nip))
    if company is None:
        raise StoreError(f"nie ma firmy o NIP {nip}")
    return company


def company(s: Session, company_id: int) -> Company:
    """The company row, detached from ``s`` (usable after the transaction, read-only by intent)."""
    found = s.get(Company, company_id)
    if found is None:
        raise StoreError(f"nie ma firmy o identyfikatorze {company_id}")
    s.expunge(found)
    return found


def list_companies(s: Session) -> Sequence[Company]:
    return s.scalars(select(Company).order_by(Company.nip)).all()


def replace_credential(
    s: Session,
    company_id: int,
    kind: str,
    secret_name: str,
    *,
    owner_user_id: int | None = None,
    office_company_id: int | None = None,
) -> Credential:
    """The company's new active credential of ``kind``; the older ones of that kind (of that owner, for a
    co-worker's certificate) stop being active. No audit entry: the caller writes its own."""
    older = select(Credential).where(Credential.company_id == company_id, Credential.kind == kind)
    if owner_user_id is not None:
        older = older.where(Credential.owner_user_id == owner_user_id)
    for old in s.scalars(older):
        old.active = False
    cred = Credential(
        company_id=company_id,
        kind=kind,
        secret_name=secret_name,
        active=True,
        owner_user_id=owner_user_id,
        office_company_id=office_company_id,
    )
    s.add(cred)
    s.flush()
    return cred


def add_credential(
    s: Session, company: Company, kind: str, secret_name: str, *, actor: str = "cli"
) -> Credential:
    cred = replace_credential(s, company.id, kind, secret_name)
    audit(s, actor, "credential.add", company_id=company.id, detail={"kind": kind, "secret": secret_name})
    return cred


# which active credential logs a company in (lower first, then the newest): the explicit choice of
# the accounting office's credential wins; a co-worker's certificate only when the company has
# nothing of its own (d16perm)
_LOGIN_PRECEDENCE = {"office": 0, "person_certificate": 2}


def active_credential(s: Session, company_id: int, kind: str | None = None) -> Credential | None:
    """The login credential (any kind but ``offline_certificate``), or the active one of ``kind``."""
    if kind:
        return s.scalar(
            select(Credential)
            .where(Credential.company_id == company_id, Credential.active.is_(True), Credential.kind == kind)
            .order_by(Credential.id.desc())
            .limit(1)
        )
    rows = s.scalars(
        select(Credential)
        .where(
            Credential.company_id == company_id,
            Credential.active.is_(True),
            Credential.kind != "offline_certificate",
        )
        .order_by(Credential.id.desc())
    ).all()
    return min(rows, key=lambda c: _LOGIN_PRECEDENCE.get(c.kind, 1), default=None)


def active_credentials(s: Session, company_ids: Sequence[int]) -> dict[int, Credential]:
    """:func:`active_credential` (the login credential) of many companies in one query (w14)."""
    if not company_ids:
        return {}
    rows = s.scalars(
        select(Credential)
        .where(
            Credential.company_id.in_(list(company_ids)),
            Credential.active.is_(True),
            Credential.kind != "offline_certificate",
        )
        .order_by(Credential.id.desc())
    ).all()
    chosen: dict[int, Credential] = {}
    for row in rows:  # newest first; a lower precedence wins, as in active_credential
        best = chosen.get(row.company_id)
        if best is None or _LOGIN_PRECEDENCE.get(row.kind, 1) < _LOGIN_PRECEDENCE.get(best.kind, 1):
            chosen[row.company_id] = row
    return chosen


def person_credential(s: Session, company_id: int, user_id: int) -> Credential | None:
    """The user's own active KSeF certificate in this company (``person_certificate``), newest first."""
    return s.scalar(
        select(Credential)
        .where(
            Credential.company_id == company_id,
            Credential.kind == "person_certificate",
            Credential.owner_user_id == user_id,
            Credential.active.is_(True),
        )
        .order_by(Credential.id.desc())
        .limit(1)
    )


def company_profile(s: Session, company_id: int) -> CompanyProfile:
    """The company's profile (address, e-mail, bank account, login summary); an empty one if it has none."""
    profile = s.get(CompanyProfile, company_id)
    if profile is None:
        profile = CompanyProfile(
            company_id=company_id, address="", email="", bank_account="", credential_info={}
        )
        s.add(profile)
    return profile


def set_membership(s: Session, user_id: int, company_id: int, role: str) -> Membership:
    """The user's role in the company: a new membership, or the role of the one the user has."""
    membership = s.scalar(
        select(Membership).where(Membership.user_id == user_id, Membership.company_id == company_id)
    )
    if membership is None:
        membership = Membership(user_id=user_id, company_id=company_id, role=role)
        s.add(membership)
    else:
        membership.role = role
    return membership


# --- numbering -------------------------------------------------------------------------------------


def default_pattern(kind: str) -> str:
    """``FV/2026/000001`` for VAT invoices, ``KOR/2026/000001`` for corrections, and so on."""
    prefix = "FV" if kind == "VAT" else kind.upper()
    return prefix + "/{year}/{seq:06d}"


_TOKEN = re.compile(r"\{(yyyy|yy|mm|year|kind|seq)(?::0?(\d+)d)?\}")


def format_number(pattern: str, *, year: int, month: int, seq: int, kind: str) -> str:
    """Fill a numbering pattern: ``{yyyy}`` ``{yy}`` ``{mm}`` ``{seq}`` (``{seq:06d}`` zero-padded),
    ``{year}`` (= ``{yyyy}``) and ``{kind}``; any other text is kept as written."""

    def one(m: re.Match[str]) -> str:
        part, width = m.group(1), m.group(2)
        if part in ("yyyy", "year"):
            return f"{year:04d}"
        if part == "yy":
            return f"{year % 100:02d}"
        if part == "mm":
            return f"{month:02d}"
        if part == "kind":
            return kind
        return f"{seq:0{int(width)}d}" if width else str(seq)

    return _TOKEN.sub(one, pattern)


def check_pattern(pattern: str) -> None:
    """A pattern must contain ``{seq}`` and only known tokens."""
    if not _TOKEN.search(pattern) or "{seq" not in pattern:
        raise StoreError("wzór numeracji musi zawierać {seq}")
    rest = _TOKEN.sub("", pattern)
    if "{" in rest or "}" in rest:
        raise StoreError("nieznany znacznik we wzorze numeracji; dozwolone: {yyyy} {yy} {mm} {seq} {seq:06d}")


def numbering_config(s: Session, company_id: int, kind: str) -> NumberingConfig | None:
    return s.scalar(
        select(NumberingConfig).where(NumberingConfig.company_id == company_id, NumberingConfig.kind == kind)
    )


def series_key(reset: str, year: int, month: int) -> tuple[int, int]:
    """The counter an invoice of (year, month) draws from: per year, per month, or one for ever."""
    if reset == "never":
        return 0, 0
    if reset == "monthly":
        return year, month
    return year, 0


def allocate_numbers(
    s: Session,
    *,
    seller_nip: str,
    kind: str,
    year: int,
    month: int,
    count: int = 1,
    company_id: int | None = None,
    pattern: str | None = None,
) -> list[str]:
    """Hand out ``count`` consecutive numbers of the series inside the caller's transaction.

    The counter row is incremented with an UPDATE first, which takes its row lock (PostgreSQL) or
    the database write lock (SQLite, ``BEGIN IMMEDIATE``); a rollback returns the numbers unused, a
    commit consumes them together with the invoices that carry them. The company's configured
    pattern and reset period (``numbering_configs``) apply; without one, the default yearly pattern.
    An explicit ``pattern`` (a series a company keeps for another seller, engine/on_behalf.py; then
    ``seller_nip`` is that series' key) is used instead, reset yearly.
    """
    if count <= 0:
        return []
    config = None
    if pattern is None:
        if company_id is None:
            company_id = s.scalar(select(Company.id).where(Company.nip == seller_nip))
        config = numbering_config(s, company_id, kind) if company_id is not None else None
        pattern = config.pattern if config is not None else default_pattern(kind)
    key_year, key_month = series_key(config.reset if config is not None else "yearly", year, month)
    where = and_(
        NumberingSeries.seller_nip == seller_nip,
        NumberingSeries.kind == kind,
        NumberingSeries.year == key_year,
        NumberingSeries.month == key_month,
    )
    result = s.execute(
        update(NumberingSeries).where(where).values(next_value=NumberingSeries.next_value + count)
    )
    if getattr(result, "rowcount", 0) == 0:
        s.add(
            NumberingSeries(
                seller_nip=seller_nip,
                kind=kind,
                year=key_year,
                month=key_month,
                next_value=count + 1,
                pattern=pattern,
            )
        )
        s.flush()
        first = 1
    else:
        next_value, row_pattern = s.execute(
            select(NumberingSeries.next_value, NumberingSeries.pattern).where(where)
        ).one()
        first = next_value - count
        if config is None:  # a series created before numbering configs keeps the pattern it had
            pattern = row_pattern
    return [format_number(pattern, year=year, month=month, seq=first + i, kind=kind) for i in range(count)]


def next_number(
    s: Session, seller_nip: str, kind: str, year: int, pattern: str | None = None, *, month: int | None = None
) -> str:
    """The next number of the seller's series for ``kind`` (see :func:`allocate_numbers`).

    ``month`` defaults to the current month (only a monthly series needs it). ``pattern`` applies
    when the series is created and the company has no configured pattern.
    """
    if month is None:
        month = datetime.now(UTC).month
    if pattern is not None:
        company_id = s.scalar(select(Company.id).where(Company.nip == seller_nip))
        if company_id is not None and numbering_config(s, company_id, kind) is None:
            s.add(NumberingConfig(company_id=company_id, kind=kind, pattern=pattern, reset="yearly"))
            s.flush()
    return allocate_numbers(s, seller_nip=seller_nip, kind=kind, year=year, month=month)[0]


# --- invoices --------------------------------------------------------------------------------------


def summary_columns(summary: Summary) -> dict[str, Any]:
    """The columns an invoice row takes from its FA(3) document (what the lists show, filter and sum);
    its number and seller NIP are the caller's (a number may be allocated, a seller defaulted)."""
    return {
        "kind": summary.kind,
        "issue_date": summary.issue_date,
        "sale_date": summary.sale_date,
        "due_date": summary.due_date,
        "seller_name": summary.seller_name,
        "buyer_id": summary.buyer_id,
        "buyer_name": summary.buyer_name,
        "net": summary.net,
        "vat": summary.vat,
        "gross": summary.gross,
        "currency": summary.currency,
    }


def describe(invoice: Invoice, summary: Summary) -> None:
    """Set ``invoice``'s columns from the summary of its (new) FA(3) file (:func:`summary_columns`)."""
    for column, value in summary_columns(summary).items():
        setattr(invoice, column, value)


def add_invoice(
    s: Session,
    *,
    company: Company,
    direction: str,
    xml: bytes,
    sha256: str,
    number: str,
    seller_nip: str,
    status: str,
    kind: str = "VAT",
    issue_date: date | None = None,
    sale_date: date | None = None,
    due_date: date | None = None,
    seller_name: str = "",
    buyer_id: str = "",
    buyer_name: str = "",
    net: Decimal | None = None,
    vat: Decimal | None = None,
    gross: Decimal | None = None,
    currency: str = "PLN",
    ksef_number: str | None = None,
    offline_mode: bool = False,
    offline_kind: str | None = None,
    offline_deadline: date | None = None,
    history_note: str | None = None,
) -> Invoice:
    invoice = Invoice(
        company_id=company.id,
        direction=direction,
        kind=kind,
        number=number,
        issue_date=issue_date,
        sale_date=sale_date,
        due_date=due_date,
        seller_nip=seller_nip,
        seller_name=seller_name,
        buyer_id=buyer_id,
        buyer_name=buyer_name,
        net=net,
        vat=vat,
        gross=gross,
        currency=currency,
        xml=xml,
        sha256=sha256,
        ksef_number=ksef_number,
        status=status,
        offline_mode=offline_mode,
        offline_kind=offline_kind,
        offline_deadline=offline_deadline,
    )
    s.add(invoice)
    s.flush()
    s.add(InvoiceStatusChange(invoice_id=invoice.id, status=status, detail=history_note or direction))
    return invoice


def set_invoice_status(s: Session, invoice: Invoice, status: str, detail: str = "") -> None:
    if invoice.status != status:
        invoice.status = status
        s.add(InvoiceStatusChange(invoice_id=invoice.id, status=status, detail=detail[:2000]))


def list_invoices(
    s: Session, *, company_id: int | None = None, status: str | None = None, direction: str | None = None
) -> Sequence[Invoice]:
    q = select(Invoice).order_by(Invoice.id)
    if company_id is not None:
        q = q.where(Invoice.company_id == company_id)
    if status:
        q = q.where(Invoice.status == status)
    if direction:
        q = q.where(Invoice.direction == direction)
    return s.scalars(q).all()


def invoice_by_number(
    s: Session, *, company_id: int, direction: str, seller_nip: str, kind: str, number: str
) -> Invoice | None:
    """The invoice holding this number in the company's series (``uq_invoices_number``), if any."""
    return s.scalar(
        select(Invoice).where(
            Invoice.company_id == company_id,
            Invoice.direction == direction,
            Invoice.seller_nip == seller_nip,
            Invoice.kind == kind,
            Invoice.number == number,
        )
    )


def invoice_by_ksef_number(
    s: Session, ksef_number: str, *, company_id: int | None = None, direction: str | None = None
) -> Invoice | None:
    q = select(Invoice).where(Invoice.ksef_number == ksef_number)
    if company_id is not None:
        q = q.where(Invoice.company_id == company_id)
    if direction is not None:
        q = q.where(Invoice.direction == direction)
    return s.scalar(q.order_by(Invoice.id).limit(1))


def history(s: Session, invoice_id: int) -> Sequence[InvoiceStatusChange]:
    return s.scalars(
        select(InvoiceStatusChange)
        .where(InvoiceStatusChange.invoice_id == invoice_id)
        .order_by(InvoiceStatusChange.id)
    ).all()


def save_upo(s: Session, invoice: Invoice, ksef_number: str, xml: bytes, sha256: str) -> Upo:
    upo = s.scalar(select(Upo).where(Upo.invoice_id == invoice.id))
    if upo is None:
        upo = Upo(invoice_id=invoice.id, ksef_number=ksef_number, xml=xml, sha256=sha256)
        s.add(upo)
    else:
        upo.xml, upo.sha256, upo.ksef_number = xml, sha256, ksef_number
    s.flush()
    return upo


def upo_for(s: Session, invoice_id: int) -> Upo | None:
    return s.scalar(select(Upo).where(Upo.invoice_id == invoice_id))


# --- outbox ----------------------------------------------------------------------------------------


def enqueue(
    s: Session,
    invoice: Invoice,
    *,
    urgent: bool = False,
    offline_mode: bool = False,
    credential_id: int | None = None,
) -> OutboxEntry:
    """``credential_id``: the login that must send it (the issuer's own), None = the company's."""
    entry = OutboxEntry(
        invoice_id=invoice.id,
        company_id=invoice.company_id,
        state=states.QUEUED,
        urgent=urgent,
        offline_mode=offline_mode,
        invoice_hash=invoice.sha256,
        next_attempt_at=datetime.now(UTC),
        credential_id=credential_id,
    )
    s.add(entry)
    s.flush()
    return entry


def _due(now: datetime) -> Any:
    return and_(
        OutboxEntry.state.in_(states.CLAIMABLE),
        OutboxEntry.next_attempt_at <= now,
        or_(OutboxEntry.claimed_until.is_(None), OutboxEntry.claimed_until < now),
    )


def claim(
    s: Session,
    worker: str,
    *,
    now: datetime,
    lease: timedelta,
    limit: int,
    company_id: int | None = None,
    credential_id: int | None = None,
) -> list[OutboxEntry]:
    """Claim up to ``limit`` due entries of ONE login: one company and one sending credential (the
    one of the most urgent/oldest entry; ``credential_id`` None = the company's login credential).

    PostgreSQL: ``FOR UPDATE SKIP LOCKED`` lets several workers claim disjoint sets at once.
    SQLite: the transaction is ``BEGIN IMMEDIATE``, so claims are serialized.
    """
    if company_id is None:
        first = s.execute(
            select(OutboxEntry.company_id, OutboxEntry.credential_id)
            .where(_due(now))
            .order_by(OutboxEntry.urgent.desc(), OutboxEntry.next_attempt_at, OutboxEntry.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if first is None:
            return []
        company_id, credential_id = first
    same_login = (
        OutboxEntry.credential_id.is_(None)
        if credential_id is None
        else OutboxEntry.credential_id == credential_id
    )
    entries = list(
        s.scalars(
            select(OutboxEntry)
            .where(_due(now), OutboxEntry.company_id == company_id, same_login)
            .order_by(OutboxEntry.urgent.desc(), OutboxEntry.next_attempt_at, OutboxEntry.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    until = now + lease
    for entry in entries:
        entry.claimed_by = worker
        entry.claimed_until = until
    s.flush()
    return entries


def fenced(s: Session, entry_id: int, worker: str, *, now: datetime | None = None) -> OutboxEntry:
    """Re-read an entry under a row lock and make sure this worker still holds its lease."""
    entry = s.scalar(select(OutboxEntry).where(OutboxEntry.id == entry_id).with_for_update())
    moment = now or datetime.now(UTC)
    if (
        entry is None
        or entry.claimed_by != worker
        or entry.claimed_until is None
        or entry.claimed_until <= moment
    ):
        raise LeaseLostError(f"outbox entry {entry_id} is no longer claimed by this worker")
    return entry


def fenced_many(
    s: Session, entry_ids: Sequence[int], worker: str, *, now: datetime | None = None
) -> dict[int, OutboxEntry]:
    """:func:`fenced` for many entries in one query: those this worker still holds, by id (locked)."""
    if not entry_ids:
        return {}
    moment = now or datetime.now(UTC)
    rows = s.scalars(
        select(OutboxEntry)
        .where(OutboxEntry.id.in_(list(entry_ids)))
        .order_by(OutboxEntry.id)
        .with_for_update()
    ).all()
    return {
        e.id: e
        for e in rows
        if e.claimed_by == worker and e.claimed_until is not None and e.claimed_until > moment
    }


def invoices_by_id(s: Session, invoice_ids: Sequence[int]) -> dict[int, Invoice]:
    if not invoice_ids:
        return {}
    return {i.id: i for i in s.scalars(select(Invoice).where(Invoice.id.in_(list(invoice_ids))))}


def invoices_by_ksef_numbers(
    s: Session, numbers: Sequence[str], *, company_ids: Sequence[int], direction: str
) -> dict[tuple[int, str], Invoice]:
    """Invoices already holding these KSeF numbers, by (company id, KSeF number)."""
    if not numbers or not company_ids:
        return {}
    rows = s.scalars(
        select(Invoice).where(
            Invoice.ksef_number.in_(list(set(numbers))),
            Invoice.company_id.in_(list(set(company_ids))),
            Invoice.direction == direction,
        )
    )
    return {(i.company_id, i.ksef_number): i for i in rows if i.ksef_number}


def extend_leases(s: Session, worker: str, ids: Sequence[int], until: datetime) -> int:
    if not ids:
        return 0
    result = s.execute(
        update(OutboxEntry)
        .where(OutboxEntry.id.in_(list(ids)), OutboxEntry.claimed_by == worker)
        .values(claimed_until=until)
    )
    return int(getattr(result, "rowcount", 0))


def _held(worker: str, now: datetime) -> Any:
    """The fence as SQL: entries this worker still holds (``claimed_by`` = it, lease not over)."""
    return and_(OutboxEntry.claimed_by == worker, OutboxEntry.claimed_until > now)


def _update_held(
    s: Session, entry_ids: Sequence[int], worker: str, moment: datetime, values: dict[str, Any], chunk: int
) -> int:
    """One fenced UPDATE per ``chunk`` of the entries still held by ``worker``; returns how many."""
    done = 0
    ids = list(entry_ids)
    for start in range(0, len(ids), chunk):
        result = s.execute(
            update(OutboxEntry)
            .where(OutboxEntry.id.in_(ids[start : start + chunk]), _held(worker, moment))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        done += int(getattr(result, "rowcount", 0))
    return done


def defer_many(
    s: Session,
    entry_ids: Sequence[int],
    worker: str,
    *,
    when: datetime,
    note: str = "",
    now: datetime | None = None,
    chunk: int = 900,
) -> int:
    """Fenced in one statement per ``chunk``: entries still held by ``worker`` wait until ``when``
    and are released (nothing else changes). Returns how many were still held."""
    moment = now or datetime.now(UTC)
    values: dict[str, Any] = {"next_attempt_at": when, "claimed_by": None, "claimed_until": None}
    if note:
        values["last_error"] = note[:2000]
    return _update_held(s, entry_ids, worker, moment, values, chunk)


def mark_sending_many(
    s: Session,
    entry_ids: Sequence[int],
    worker: str,
    *,
    session_ref: str | None,
    session_kind: str,
    now: datetime,
    lease_until: datetime,
    chunk: int = 900,
) -> list[int]:
    """Durability rule 1 for many entries (fenced, one statement per ``chunk``): ``sending`` with the
    session, ``send_started_at`` = now, one more attempt, the lease extended. Returns the ids still held."""
    kept: list[int] = []
    ids = list(entry_ids)
    for start in range(0, len(ids), chunk):
        result = s.execute(
            update(OutboxEntry)
            .where(OutboxEntry.id.in_(ids[start : start + chunk]), _held(worker, now))
            .values(
                state=states.SENDING,
                session_ref=session_ref,
                session_kind=session_kind,
                invoice_ref=None,
                send_started_at=now,
                attempts=OutboxEntry.attempts + 1,
                claimed_until=lease_until,
            )
            .returning(OutboxEntry.id)
            .execution_options(synchronize_session=False)
        )
        kept.extend(int(i) for i in result.scalars())
    return kept


def mark_sent_many(
    s: Session,
    entry_ids: Sequence[int],
    worker: str,
    *,
    next_attempt_at: datetime,
    now: datetime | None = None,
    chunk: int = 900,
) -> int:
    """A batch closed: entries still held by ``worker`` become ``sent`` (its verdicts are awaited until
    ``next_attempt_at``) and are released. One statement per ``chunk``; returns how many."""
    values: dict[str, Any] = {
        "state": states.SENT,
        "next_attempt_at": next_attempt_at,
        "claimed_by": None,
        "claimed_until": None,
    }
    return _update_held(s, entry_ids, worker, now or datetime.now(UTC), values, chunk)


def claim_session(
    s: Session,
    worker: str,
    session_ref: str,
    *,
    now: datetime,
    lease: timedelta,
    hashes: Sequence[str] | None = None,
    chunk: int = 900,
) -> list[OutboxEntry]:
    """Claim the ``sent`` entries of one session that nobody holds (due or not), all of them or those
    with these invoice hashes: a worker that watched the session and has their verdicts.
    PostgreSQL skips rows another worker has locked."""
    where = and_(
        OutboxEntry.session_ref == session_ref,
        OutboxEntry.state == states.SENT,
        or_(OutboxEntry.claimed_until.is_(None), OutboxEntry.claimed_until < now),
    )
    groups = [None] if hashes is None else [list(hashes)[i : i + chunk] for i in range(0, len(hashes), chunk)]
    entries: list[OutboxEntry] = []
    for group in groups:
        q = select(OutboxEntry).where(where)
        if group is not None:
            q = q.where(OutboxEntry.invoice_hash.in_(group))
        entries.extend(s.scalars(q.order_by(OutboxEntry.id).with_for_update(skip_locked=True)))
    until = now + lease
    for entry in entries:
        entry.claimed_by = worker
        entry.claimed_until = until
    s.flush()
    return entries


def postpone_session(s: Session, session_ref: str, *, until: datetime, now: datetime) -> int:
    """The ``sent`` entries of a session being watched are not due before ``until`` (unclaimed ones only)."""
    result = s.execute(
        update(OutboxEntry)
        .where(
            OutboxEntry.session_ref == session_ref,
            OutboxEntry.state == states.SENT,
            or_(OutboxEntry.claimed_until.is_(None), OutboxEntry.claimed_until < now),
            OutboxEntry.next_attempt_at < until,
        )
        .values(next_attempt_at=until)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))


def invoice_files(s: Session, invoice_ids: Sequence[int]) -> dict[int, tuple[bytes, str | None]]:
    """Invoice id → (its XML, ``hashOfCorrectedInvoice`` when the file is a technical correction)."""
    if not invoice_ids:
        return {}
    rows = s.execute(
        select(Invoice.id, Invoice.xml, Invoice.corrected_hash).where(Invoice.id.in_(list(invoice_ids)))
    ).all()
    return {int(i): (bytes(x), h) for i, x, h in rows}


def accepted_without_upo(s: Session, limit: int) -> list[tuple[OutboxEntry, str]]:
    """Accepted entries (with a session) whose invoice has no UPO yet, with the invoice's KSeF number."""
    rows = s.execute(
        select(OutboxEntry, Invoice.ksef_number)
        .join(Invoice, Invoice.id == OutboxEntry.invoice_id)
        .outerjoin(Upo, Upo.invoice_id == Invoice.id)
        .where(
            OutboxEntry.state == states.ACCEPTED,
            Upo.id.is_(None),
            OutboxEntry.session_ref.is_not(None),
            Invoice.ksef_number.is_not(None),
        )
        .limit(limit)
    ).all()
    return [(e, str(n)) for e, n in rows]


def release(entry: OutboxEntry) -> None:
    entry.claimed_by = None
    entry.claimed_until = None


def outbox_counts(s: Session) -> dict[str, int]:
    from sqlalchemy import func

    rows = s.execute(select(OutboxEntry.state, func.count()).group_by(OutboxEntry.state)).all()
    return {state: int(n) for state, n in rows}


def outbox_for(s: Session, invoice_id: int) -> OutboxEntry | None:
    return s.scalar(select(OutboxEntry).where(OutboxEntry.invoice_id == invoice_id))


# --- KSeF sessions the workers opened (correlation only; no key is ever stored) ----------------------


def add_session(
    s: Session,
    *,
    company_id: int,
    reference_number: str,
    kind: str,
    opened_by: str,
    valid_until: datetime | None = None,
    invoice_count: int = 0,
    credential_id: int | None = None,
) -> KsefSession:
    row = KsefSession(
        company_id=company_id,
        reference_number=reference_number,
        kind=kind,
        opened_by=opened_by,
        valid_until=valid_until,
        invoice_count=invoice_count,
        credential_id=credential_id,
    )
    s.add(row)
    s.flush()
    return row


def add_batch(
    s: Session, session: KsefSession, *, archive_sha256: str, archive_size: int, part_count: int
) -> Batch:
    row = Batch(
        session_id=session.id,
        archive_sha256=archive_sha256,
        archive_size=archive_size,
        part_count=part_count,
        invoice_count=session.invoice_count,
    )
    s.add(row)
    s.flush()
    return row


def session_by_ref(s: Session, reference_number: str) -> KsefSession | None:
    return s.scalar(select(KsefSession).where(KsefSession.reference_number == reference_number))


def set_session_status(s: Session, reference_number: str, status: str, *, now: datetime) -> None:
    """``open`` → ``closed`` / ``failed`` (with the time); nothing when it already has that status."""
    row = session_by_ref(s, reference_number)
    if row is not None and row.status != status:
        row.status = status
        row.closed_at = now


def batch_closed(s: Session, reference_number: str, *, now: datetime) -> None:
    """The batch's parts are uploaded and the session closed (the worker watches it from now on)."""
    row = session_by_ref(s, reference_number)
    if row is None:
        return
    row.status = "closed"
    row.closed_at = now
    batch = s.scalar(select(Batch).where(Batch.session_id == row.id))
    if batch is not None:
        batch.uploaded = batch.closed = True


def save_session_upo(
    s: Session, session: KsefSession, page: int, reference_number: str, xml: bytes, sha256: str
) -> SessionUpo:
    """Store (or replace) one page of the session's UPO."""
    row = s.scalar(select(SessionUpo).where(SessionUpo.session_id == session.id, SessionUpo.page == page))
    if row is None:
        row = SessionUpo(
            session_id=session.id, page=page, reference_number=reference_number, xml=xml, sha256=sha256
        )
        s.add(row)
    else:
        row.reference_number, row.xml, row.sha256 = reference_number, xml, sha256
    s.flush()
    return row


def session_upos(s: Session, reference_number: str) -> Sequence[SessionUpo]:
    """The stored pages of a session's UPO, in page order (empty: not stored yet)."""
    return s.scalars(
        select(SessionUpo)
        .join(KsefSession, KsefSession.id == SessionUpo.session_id)
        .where(KsefSession.reference_number == reference_number)
        .order_by(SessionUpo.page)
    ).all()


def sessions_without_upo(s: Session, limit: int) -> list[tuple[int, str, int | None]]:
    """Closed sessions with at least one accepted invoice and no session UPO yet: (company id, ref,
    the credential that opened it)."""
    accepted = (
        select(OutboxEntry.id)
        .where(OutboxEntry.session_ref == KsefSession.reference_number, OutboxEntry.state == states.ACCEPTED)
        .exists()
    )
    stored = select(SessionUpo.id).where(SessionUpo.session_id == KsefSession.id).exists()
    rows = s.execute(
        select(KsefSession.company_id, KsefSession.reference_number, KsefSession.credential_id)
        .where(KsefSession.status == "closed", accepted, ~stored)
        .order_by(KsefSession.id)
        .limit(limit)
    ).all()
    return [(int(c), str(r), cred) for c, r, cred in rows]


# --- sync, outages, audit ---------------------------------------------------------------------------


def checkpoint(s: Session, company_id: int, subject_type: str, default_from: datetime) -> SyncCheckpoint:
    cp = s.scalar(
        select(SyncCheckpoint)
        .where(SyncCheckpoint.company_id == company_id, SyncCheckpoint.subject_type == subject_type)
        .with_for_update()
    )
    if cp is None:
        cp = SyncCheckpoint(company_id=company_id, subject_type=subject_type, from_date=default_from)
        s.add(cp)
        s.flush()
    return cp


def known_invoices(
    s: Session, company_id: int, direction: str, ksef_numbers: Sequence[str], hashes: Sequence[str]
) -> tuple[set[str], set[str]]:
    """Of these KSeF numbers and SHA-256 hashes (Base64), those the company's invoices of ``direction``
    already carry: (KSeF numbers found, hashes found). 900 values a statement."""
    numbers: set[str] = set()
    found: set[str] = set()
    mine = (Invoice.company_id == company_id, Invoice.direction == direction)
    for start in range(0, len(ksef_numbers), 900):
        part = list(ksef_numbers[start : start + 900])
        numbers.update(
            str(n) for n in s.scalars(select(Invoice.ksef_number).where(*mine, Invoice.ksef_number.in_(part)))
        )
    for start in range(0, len(hashes), 900):
        part = list(hashes[start : start + 900])
        found.update(s.scalars(select(Invoice.sha256).where(*mine, Invoice.sha256.in_(part))))
    return numbers, found


def open_outage(s: Session, api_base: str) -> Outage | None:
    return s.scalar(
        select(Outage)
        .where(Outage.api_base == api_base, Outage.ended_at.is_(None))
        .order_by(Outage.id.desc())
    )


def last_outage(s: Session, api_base: str) -> Outage | None:
    return s.scalar(select(Outage).where(Outage.api_base == api_base).order_by(Outage.id.desc()).limit(1))


def add_outage(s: Session, api_base: str, *, mode: str, failures: int, started_at: datetime) -> Outage:
    outage = Outage(api_base=api_base, mode=mode, failures=failures, started_at=started_at)
    s.add(outage)
    s.flush()
    return outage


def offline_awaiting_number(s: Session, api_base: str, *, since: datetime | None) -> Sequence[Invoice]:
    """Issued offline invoices of the companies on ``api_base`` still without a KSeF number (and not
    rejected); ``since``: only those issued from then on."""
    companies = select(Company.id).where((Company.base_url == api_base) | (Company.environment == api_base))
    query = select(Invoice).where(
        Invoice.direction == "issued",
        Invoice.company_id.in_(companies),
        Invoice.offline_mode.is_(True),
        Invoice.ksef_number.is_(None),
        Invoice.status != states.REJECTED,
    )
    if since is not None:
        query = query.where(Invoice.created_at >= since)
    return s.scalars(query).all()


def audit(
    s: Session,
    actor: str,
    action: str,
    *,
    company_id: int | None = None,
    invoice_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    s.add(
        AuditEntry(
            actor=actor, action=action, company_id=company_id, invoice_id=invoice_id, detail=detail or {}
        )
    )
