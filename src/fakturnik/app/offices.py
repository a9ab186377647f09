"""Accounting offices: one office credential for many clients, and the office's console.

An office is a company like any other, with its own KSeF certificate. A client company set to use
"the office's credential" (:meth:`OfficesService.use_office`) gets a credential row of kind
``office`` that names the office company and holds no secret: at login the engine takes the
office's *active* certificate and logs in in the client's context (engine/connect.py), so clients
follow the office's renewals and nothing is ever copied. KSeF lets it in when the client granted the
office's NIP the rights (``PermissionsService.grant_office``); when it did not, the client's
invoices wait in the queue and the console says in Polish who must grant what.

:meth:`OfficesService.console` is the office's table of its clients — every client company the
office's people can act for: those on the office's credential, and the companies the office's users
are members of, on their own certificate or token. For each: how it logs in (the office's
certificate, its own certificate with its expiry, a token with the days left until tokens end), the
rights held in KSeF as KSeF answered the last time they were checked (the grants a client gave the
office, asked in one query for all of them; for a client on its own credential, what its login
held at the last health check), last sync, invoices queued / rejected / offline with the nearest
deadline, new received invoices, and why invoices wait. :meth:`sync_all` downloads received
invoices for many clients at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fakturnik.app.access import Action, allowed_actions
from fakturnik.app.service import Service
from fakturnik.engine.companies import CERTIFICATE, KSEF_TOKEN, OFFICE
from fakturnik.engine.refusals import is_waiting_for_permission
from fakturnik.errors import ConflictError, FakturnikError, InputError
from fakturnik.store import repo, states
from fakturnik.store.models import (
    Company,
    CompanyProfile,
    Credential,
    Invoice,
    Membership,
    OutboxEntry,
    SyncCheckpoint,
)

__all__ = ["ClientRow", "ConsoleFilter", "OfficeConsole", "OfficesService", "SyncAllResult"]

KIND_LABELS_PL = {
    "office": "certyfikat biura",
    "certificate": "własny certyfikat KSeF",
    "ksef_token": "token KSeF",
    "person_certificate": "certyfikat współpracownika",
}
NEW_RECEIVED_DAYS = 7  # a received invoice is "new" while unbooked and younger than this


@dataclass(frozen=True)
class ClientRow:
    """One client as the office sees it."""

    company_id: int
    nip: str
    name: str
    credential_kind: str | None  # office | certificate | ksef_token | person_certificate | None
    credential_expires: datetime | None  # the certificate it logs in with (the office's for ``office``)
    rights: tuple[str, ...]  # what the client granted the office in KSeF (InvoiceWrite, …); () unknown/none
    can_delegate: bool  # the grant may be passed on to the office's employees
    last_sync: datetime | None
    queued: int
    rejected: int
    offline: int
    next_deadline: date | None  # the nearest offline deadline
    received_new: int
    waiting_reason: str | None  # why invoices wait (a missing grant, in Polish), if they do
    via_office: bool = True  # on the office's credential; False: a member company on its own
    token_days_left: int | None = None  # a KSeF token: days until tokens stop working (31.12.2026)
    rights_checked_at: datetime | None = None  # when KSeF last answered about ``rights`` (None: never)
    rights_source: str | None = None  # "office": granted to the office; "login": what its login held

    @property
    def credential_label(self) -> str:
        return KIND_LABELS_PL.get(self.credential_kind or "", "brak")

    @property
    def needs_attention(self) -> bool:
        return bool(
            self.rejected
            or self.waiting_reason
            or self.credential_kind is None
            or self.credential_kind == KSEF_TOKEN  # must move to a certificate before tokens end
        )


@dataclass(frozen=True)
class ConsoleFilter:
    """All given conditions must hold."""

    q: str | None = None  # NIP or name fragment
    attention: bool | None = None  # True: only clients needing attention
    kind: str | None = None  # credential kind
    via_office: bool | None = None  # True: on the office's credential; False: on their own
    has_queued: bool | None = None
    has_rejected: bool | None = None


@dataclass(frozen=True)
class OfficeConsole:
    office_id: int
    office_nip: str
    office_name: str
    office_credential_expires: datetime | None
    clients: tuple[ClientRow, ...]
    rights_known: bool  # False: KSeF could not be asked (the rights columns are empty)
    rights_error: str | None = None


@dataclass(frozen=True)
class SyncAllResult:
    synced: tuple[tuple[int, int], ...] = ()  # (company id, new invoices)
    failed: tuple[tuple[int, str], ...] = field(default_factory=tuple)  # (company id, Polish reason)


class OfficesService(Service):
    # --- the office credential -----------------------------------------------------------------------

    def use_office(self, client_company_id: int, office_company_id: int) -> None:
        """Let the client log in with the office's certificate (in the client's context; nothing copied).

        Needs ``company.admin`` in the client and ``office.console`` in the office; the office must
        hold an active KSeF certificate and use the same KSeF environment.
        """
        with self._tx() as s:
            client = self._company(s, client_company_id, Action.COMPANY_ADMIN)
            office = self._company(s, office_company_id, Action.OFFICE_CONSOLE)
            if client.id == office.id:
                raise InputError("firma nie może być swoim własnym biurem rachunkowym", "office_company_id")
            if (client.base_url or client.environment) != (office.base_url or office.environment):
                raise InputError(
                    f"biuro {office.nip} pracuje w innym środowisku KSeF ({office.environment}) niż "
                    f"klient {client.nip} ({client.environment})",
                    "office_company_id",
                )
            if repo.active_credential(s, office.id, CERTIFICATE) is None:
                raise ConflictError(
                    f"biuro {office.nip} nie ma certyfikatu KSeF: "
                    "dodaj go biuru, zanim klienci z niego skorzystają"
                )
            repo.replace_credential(s, client.id, OFFICE, "", office_company_id=office.id)
            self._audit(s, "credential.office_set", company_id=client.id, detail={"office": office.nip})

    def stop_using_office(self, client_company_id: int) -> bool:
        """The client goes back to its own credential (if it has one). True if something changed."""
        with self._tx() as s:
            client = self._company(s, client_company_id, Action.COMPANY_ADMIN)
            rows = list(
                s.scalars(
                    select(Credential).where(
                        Credential.company_id == client.id,
                        Credential.kind == OFFICE,
                        Credential.active.is_(True),
                    )
                )
            )
            for row in rows:
                row.active = False
            if rows:
                self._audit(s, "credential.office_unset", company_id=client.id)
            return bool(rows)

    def office_of(self, client_company_id: int) -> int | None:
        """The office company whose credential the client logs in with, if any."""
        with self._tx() as s:
            client = self._company(s, client_company_id, Action.COMPANY_VIEW)
            row = repo.active_credential(s, client.id)
            return row.office_company_id if row is not None and row.kind == OFFICE else None

    def client_ids(self, office_company_id: int) -> tuple[int, ...]:
        with self._tx() as s:
            office = self._company(s, office_company_id, Action.OFFICE_CONSOLE)
            return tuple(self._clients(s, office.id))

    # --- the console ---------------------------------------------------------------------------------

    def console(
        self, office_company_id: int, filters: ConsoleFilter | None = None, *, with_rights: bool = True
    ) -> OfficeConsole:
        """Every client of the office in one table (one KSeF query for the rights of all of them).

        ``with_rights``: ask KSeF now what the clients granted the office (the answer is kept, with
        its time, for the next look); False: show what KSeF answered last time.
        """
        from fakturnik.app.ksef_credentials import days_left

        filters = filters or ConsoleFilter()
        with self._tx() as s:
            office = self._company(s, office_company_id, Action.OFFICE_CONSOLE)
            office_nip, office_name = office.nip, office.name
            office_expires = _expiry(s.get(CompanyProfile, office.id))
            ids = self._clients(s, office.id)
            logins = repo.active_credentials(s, ids)
            on_office = [c for c in ids if _via(logins.get(c), office.id)]
        rights_error = None
        if with_rights and on_office:
            try:
                received = self.app.acting_as(self.actor).permissions.received(office_company_id)
                granted = {
                    nip: [(g.permission, g.can_delegate) for g in grants]
                    for nip, grants in received.by_client().items()
                }
            except FakturnikError as exc:
                rights_error = str(exc)
            else:
                with self._tx() as s:
                    now = datetime.now(UTC)
                    for company in s.scalars(select(Company).where(Company.id.in_(on_office))):
                        given = granted.get(company.nip, [])
                        remember_rights(
                            s,
                            company.id,
                            [p for p, _ in given],
                            can_delegate=any(d for _, d in given),
                            source="office",
                            at=now,
                        )
        rows = []
        token_days = days_left()
        with self._tx() as s:
            counts = _counts(s, ids)
            deadlines = _deadlines(s, ids)
            syncs = _last_syncs(s, ids)
            received_new = _received_new(s, ids)
            waiting = _waiting(s, ids)
            companies = (
                {c.id: c for c in s.scalars(select(Company).where(Company.id.in_(ids)))} if ids else {}
            )
            profiles = (
                {
                    p.company_id: p
                    for p in s.scalars(select(CompanyProfile).where(CompanyProfile.company_id.in_(ids)))
                }
                if ids
                else {}
            )
            for cid in sorted(ids, key=lambda c: companies[c].nip):
                company = companies[cid]
                login = logins.get(cid)
                kind = login.kind if login is not None else None
                via_office = _via(login, office_company_id)
                profile = profiles.get(cid)
                held = _remembered_rights(profile)
                c = counts.get(cid, {})
                rows.append(
                    ClientRow(
                        company_id=cid,
                        nip=company.nip,
                        name=company.name,
                        credential_kind=kind,
                        credential_expires=office_expires
                        if via_office
                        else (_expiry(profile) if kind == CERTIFICATE else None),
                        rights=held.permissions,
                        can_delegate=held.can_delegate,
                        last_sync=syncs.get(cid),
                        queued=c.get(states.QUEUED, 0),
                        rejected=c.get(states.REJECTED, 0),
                        offline=c.get(states.OFFLINE, 0),
                        next_deadline=deadlines.get(cid),
                        received_new=received_new.get(cid, 0),
                        waiting_reason=waiting.get(cid),
                        via_office=via_office,
                        token_days_left=token_days if kind == KSEF_TOKEN else None,
                        rights_checked_at=held.checked_at,
                        rights_source=held.source,
                    )
                )
        return OfficeConsole(
            office_id=office_company_id,
            office_nip=office_nip,
            office_name=office_name,
            office_credential_expires=office_expires,
            clients=tuple(r for r in rows if _matches(r, filters)),
            rights_known=with_rights and rights_error is None,
            rights_error=rights_error,
        )

    def sync_all(self, office_company_id: int, client_ids: list[int] | None = None) -> SyncAllResult:
        """Download received invoices for the office's clients (all, or those listed), one by one."""
        with self._tx() as s:
            office = self._company(s, office_company_id, Action.OFFICE_CONSOLE)
            mine = self._clients(s, office.id)
        chosen = mine if client_ids is None else [c for c in client_ids if c in mine]
        unknown = [c for c in (client_ids or []) if c not in mine]
        ksef = self.app.acting_as(self.actor).ksef
        synced, failed = [], [(c, "to nie jest klient tego biura") for c in unknown]
        for cid in chosen:
            try:
                result = ksef.sync(cid)
            except (FakturnikError, OSError) as exc:
                failed.append((cid, str(exc) or type(exc).__name__))
            else:
                synced.append((cid, result.new))
        return SyncAllResult(tuple(synced), tuple(failed))

    # --- internals -----------------------------------------------------------------------------------

    def _clients(self, s: Session, office_id: int) -> list[int]:
        """The office's clients the actor may see: the companies on the office's credential and the
        companies the office's users are members of (the office itself not), each once."""
        on_credential = s.scalars(
            select(Credential.company_id).where(
                Credential.kind == OFFICE,
                Credential.active.is_(True),
                Credential.office_company_id == office_id,
            )
        )
        office_people = select(Membership.user_id).where(Membership.company_id == office_id)
        of_members = s.scalars(
            select(Membership.company_id).where(
                Membership.user_id.in_(office_people), Membership.company_id != office_id
            )
        )
        ids = list(dict.fromkeys([*on_credential, *of_members]))
        if self.actor.is_system:
            return ids
        # the roles' table decides (access.allowed_actions), read once for all clients
        if self.actor.kind == "user" and self.actor.user_id is not None:
            roles = dict(
                s.execute(
                    select(Membership.company_id, Membership.role).where(
                        Membership.user_id == self.actor.user_id
                    )
                ).all()
            )
            return [
                c for c in ids if c in roles and Action.COMPANY_VIEW in allowed_actions(self.actor, roles[c])
            ]
        if self.actor.kind == "api_key" and Action.COMPANY_VIEW in allowed_actions(self.actor, None):
            return [c for c in ids if c == self.actor.company_id]
        return []


def _via(login: Credential | None, office_id: int) -> bool:
    """The client logs in with this office's certificate."""
    return login is not None and login.kind == OFFICE and login.office_company_id == office_id


@dataclass(frozen=True)
class _Rights:
    permissions: tuple[str, ...] = ()
    can_delegate: bool = False
    checked_at: datetime | None = None
    source: str | None = None


RIGHTS_KEY = "rights"  # in CompanyProfile.credential_info: KSeF's last answer about the rights


def remember_rights(
    s: Session,
    company_id: int,
    permissions: list[str] | tuple[str, ...],
    *,
    can_delegate: bool = False,
    source: str,
    at: datetime | None = None,
) -> None:
    """Keep what KSeF answered about a company's rights (``source``: ``office`` — what the client
    granted its office; ``login`` — what the company's own login held), with the time of the answer.
    A new credential clears it (its info replaces the whole record), so the rights are asked again."""
    profile = repo.company_profile(s, company_id)
    info = dict(profile.credential_info or {})
    info[RIGHTS_KEY] = {
        "permissions": sorted(set(permissions)),
        "can_delegate": can_delegate,
        "checked_at": (at or datetime.now(UTC)).isoformat(),
        "source": source,
    }
    profile.credential_info = info  # a new dict: the JSON column sees the change


def _remembered_rights(profile: CompanyProfile | None) -> _Rights:
    kept = (profile.credential_info or {}).get(RIGHTS_KEY) if profile is not None else None
    if not isinstance(kept, dict) or not kept.get("checked_at"):
        return _Rights()
    return _Rights(
        permissions=tuple(str(p) for p in kept.get("permissions") or ()),
        can_delegate=bool(kept.get("can_delegate")),
        checked_at=datetime.fromisoformat(str(kept["checked_at"])),
        source=str(kept.get("source") or "") or None,
    )


def _expiry(profile: CompanyProfile | None) -> datetime | None:
    value = (profile.credential_info or {}).get("not_after") if profile is not None else None
    return datetime.fromisoformat(value) if value else None


def _counts(s: Session, ids: list[int]) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {}
    if not ids:
        return out
    wanted = (states.QUEUED, states.REJECTED, states.OFFLINE, states.SENDING, states.SENT, states.UNCERTAIN)
    for cid, status, n in s.execute(
        select(Invoice.company_id, Invoice.status, func.count())
        .where(Invoice.company_id.in_(ids), Invoice.direction == "issued", Invoice.status.in_(wanted))
        .group_by(Invoice.company_id, Invoice.status)
    ):
        bucket = out.setdefault(int(cid), {})
        # on the way (sending, sent, uncertain) counts as queued for the office
        key = states.QUEUED if status in (states.SENDING, states.SENT, states.UNCERTAIN) else str(status)
        bucket[key] = bucket.get(key, 0) + int(n)
    return out


def _per_company(s: Session, ids: list[int], company: Any, aggregate: Any, *where: Any) -> dict[int, Any]:
    """``aggregate`` over each client's rows that match ``where`` (``company``: the rows' company column);
    a client without such rows is left out."""
    if not ids:
        return {}
    rows = s.execute(select(company, aggregate).where(company.in_(ids), *where).group_by(company)).all()
    return {int(c): value for c, value in rows if value is not None}


def _deadlines(s: Session, ids: list[int]) -> dict[int, date]:
    return _per_company(
        s,
        ids,
        Invoice.company_id,
        func.min(Invoice.offline_deadline),
        Invoice.direction == "issued",
        Invoice.offline_deadline.is_not(None),
        Invoice.status.in_((states.OFFLINE, states.QUEUED)),
    )


def _last_syncs(s: Session, ids: list[int]) -> dict[int, datetime]:
    return _per_company(s, ids, SyncCheckpoint.company_id, func.max(SyncCheckpoint.last_run_at))


def _received_new(s: Session, ids: list[int]) -> dict[int, int]:
    since = datetime.now(UTC) - timedelta(days=NEW_RECEIVED_DAYS)
    return _per_company(
        s,
        ids,
        Invoice.company_id,
        func.count(),
        Invoice.direction == "received",
        Invoice.booked_at.is_(None),
        Invoice.created_at >= since,
    )


def _waiting(s: Session, ids: list[int]) -> dict[int, str]:
    """The newest "waits for a grant" note of each client's queued invoices."""
    if not ids:
        return {}
    out: dict[int, str] = {}
    rows = s.execute(
        select(OutboxEntry.company_id, OutboxEntry.last_error)
        .where(
            OutboxEntry.company_id.in_(ids),
            OutboxEntry.state.in_((states.QUEUED, states.SENDING)),  # the note stays while it is tried again
            OutboxEntry.last_error.is_not(None),
        )
        .order_by(OutboxEntry.id.desc())
    ).all()
    for cid, note in rows:
        if int(cid) not in out and is_waiting_for_permission(note):
            out[int(cid)] = str(note)
    return out


def _matches(row: ClientRow, f: ConsoleFilter) -> bool:
    if f.q:
        q = f.q.strip().lower()
        if q not in row.nip and q not in row.name.lower():
            return False
    if f.attention is not None and row.needs_attention != f.attention:
        return False
    if f.kind and row.credential_kind != f.kind:
        return False
    if f.via_office is not None and row.via_office != f.via_office:
        return False
    if f.has_queued is not None and bool(row.queued) != f.has_queued:
        return False
    return not (f.has_rejected is not None and bool(row.rejected) != f.has_rejected)


def waiting_note(s: Session, invoice_id: int) -> str | None:
    """Why this invoice waits for a grant (its outbox note), if it does."""
    note = s.scalar(select(OutboxEntry.last_error).where(OutboxEntry.invoice_id == invoice_id))
    return str(note) if is_waiting_for_permission(note) else None
