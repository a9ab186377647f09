"""Issuing through the front door: drafts or XML → validated documents → invoices + outbox, in chunks.

The engine's rules are used as they are: ``engine.issuing.validation_env`` (strictness by the
company's environment), ``fa3.validation.validate_xml`` (bytes, XSD, business rules),
``engine.business_days.offline_deadline`` and the store's numbering. What this module adds is the
throughput shape: every document is prepared (built, validated) *before* the write transaction, and
a whole chunk is written in ONE transaction with numbers handed out in one counter update per
series — so a refused item never consumes a number and never leaves anything behind.

A document with the number ``AUTO`` (or none) is validated with that placeholder and gets its
series number inside the transaction; only ``P_2`` changes then (a text element of 1-256
characters, which any series number satisfies).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast
from xml.sax.saxutils import escape

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from fakturnik.app.summary import Summary, summary_of_tree
from fakturnik.app.views import InvoiceRow
from fakturnik.errors import ConflictError, FakturnikError, InputError, InvoiceValidationError, Problem
from fakturnik.store import repo, states
from fakturnik.store.models import AuditEntry, Company, Invoice, InvoiceStatusChange, OutboxEntry

if TYPE_CHECKING:
    from lxml import etree

    from fakturnik.engine.on_behalf import OnBehalf
    from fakturnik.fa3.validation import ValidationReport

AUTO = "AUTO"
MAX_BULK = 1000
Source = dict[str, Any] | bytes | str


@dataclass
class Prepared:
    """One document ready to be stored (or the reason it cannot be)."""

    index: int
    xml: bytes = b""
    summary: Summary | None = None
    auto_number: bool = False
    request_hash: str = ""
    idempotency_key: str | None = None
    warnings: tuple[Problem, ...] = ()
    error: FakturnikError | None = None
    corrects_id: int | None = None
    urgent: bool = False
    on_behalf: OnBehalf | None = None  # issued for another seller (self-billing, tax representative)
    # filled when stored
    invoice: Invoice | None = None
    row: InvoiceRow | None = None
    replayed: bool = False


def _json_default(value: Any) -> str:
    if isinstance(value, Decimal | date):
        return str(value)
    raise TypeError(f"wartość typu {type(value).__name__} nie jest dozwolona w szkicu JSON")


def request_hash(source: Source) -> str:
    """SHA-256 of the request body as it is meant: JSON by value (key order ignored), XML by bytes."""
    if isinstance(source, dict):
        try:
            data = json.dumps(
                source, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_json_default
            )
        except RecursionError:
            raise InputError("szkic faktury jest zagnieżdżony zbyt głęboko", "draft") from None
        except (TypeError, ValueError) as exc:
            raise InputError(str(exc), "draft") from None
        return hashlib.sha256(b"J" + data.encode()).hexdigest()
    raw = source.encode() if isinstance(source, str) else bytes(source)
    return hashlib.sha256(b"X" + raw).hexdigest()


def _load_json(data: bytes | str) -> dict[str, Any]:
    try:
        loaded = json.loads(data, parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvoiceValidationError([Problem("", f"Niepoprawny JSON: {exc}", "json")]) from None
    if not isinstance(loaded, dict):
        raise InvoiceValidationError([Problem("", "Oczekiwano obiektu JSON (szkicu faktury).", "json")])
    return loaded


def _looks_like_xml(data: bytes | str) -> bool:
    head = (data[:64].decode("utf-8", "replace") if isinstance(data, bytes) else data[:64]).lstrip(
        "\ufeff \t\r\n"
    )
    return head.startswith("<")


def with_defaults(draft: dict[str, Any], seller: dict[str, Any] | None, today: date | None) -> dict[str, Any]:
    """What the front door fills in a draft: the seller (the company itself) and the issue date (today).

    ``Fa/Adnotacje`` may name only what differs from an ordinary invoice (e.g. ``{"P_17": 1}``); the
    rest comes from ``fa3.builder.DEFAULT_ANNOTATIONS``. A self-billing draft (``P_17`` = 1, the
    seller in ``Podmiot1``) without ``Podmiot2`` gets the company as the buyer.
    """
    out = draft
    fa = out.get("Fa")
    if isinstance(fa, dict) and isinstance(fa.get("Adnotacje"), dict):
        from fakturnik.fa3.builder import DEFAULT_ANNOTATIONS

        fa = {**fa, "Adnotacje": {**DEFAULT_ANNOTATIONS, **fa["Adnotacje"]}}
        out = {**out, "Fa": fa}
    if seller is not None and "Podmiot1" not in out:
        out = {**out, "Podmiot1": seller}
    elif seller is not None and "Podmiot2" not in out and _self_billing(fa):
        out = {**out, "Podmiot2": seller}  # the company issues as the buyer
    if today is not None and isinstance(fa, dict) and not fa.get("P_1"):
        out = {**out, "Fa": {**fa, "P_1": today.isoformat()}}
    return out


def _self_billing(fa: object) -> bool:
    notes = fa.get("Adnotacje") if isinstance(fa, dict) else None
    return isinstance(notes, dict) and notes.get("P_17") in (1, "1")


def draft_with_auto_number(draft: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """A copy of the draft with ``Fa/P_2`` = AUTO when it is missing or empty; and whether it is AUTO."""
    fa = draft.get("Fa")
    if not isinstance(fa, dict):
        return draft, False  # the builder reports the missing/wrong Fa with its path
    number = fa.get("P_2")
    if number in (None, "", AUTO):
        return {**draft, "Fa": {**fa, "P_2": AUTO}}, True
    return draft, False


def prepare(
    index: int,
    source: Source,
    *,
    env: str,
    company_nip: str,
    context_type: str = "Nip",
    idempotency_key: str | None = None,
    seller: dict[str, Any] | None = None,
    today: date | None = None,
    strictness: str = "all",
) -> Prepared:
    """Build (a draft) and validate (always) one document; errors are kept on the result, not raised.

    ``strictness`` (the company's setting): ``"all"`` refuses every error; ``"ksef"`` only what KSeF
    rejects, the VAT-act and amounts problems becoming warnings (``fa3.authority``)."""
    return prepare_many(
        [source],
        [idempotency_key],
        env=env,
        company_nip=company_nip,
        context_type=context_type,
        seller=seller,
        today=today,
        strictness=strictness,
        first=index,
    )[0]


def prepare_many(
    sources: Sequence[Source],
    keys: Sequence[str | None],
    *,
    env: str,
    company_nip: str,
    context_type: str = "Nip",
    seller: dict[str, Any] | None = None,
    today: date | None = None,
    strictness: str = "all",
    first: int = 0,
) -> list[Prepared]:
    """:func:`prepare` of each source (indexes from ``first``), the documents validated together, stage by
    stage (``fa3.validation.check_many``): what each gets is what it would get alone."""
    built = [
        _build(first + i, source, key, seller, today)
        for i, (source, key) in enumerate(zip(sources, keys, strict=True))
    ]
    checked = read_and_validate_many([xml for _, xml, _ in built if xml is not None], env, strictness)
    reads = iter(checked)
    for item, xml, from_draft in built:
        if xml is not None:
            report, summary = next(reads)
            _accept(item, xml, report, summary, from_draft, company_nip, context_type)
    return [item for item, _, _ in built]


def _build(
    index: int, source: Source, key: str | None, seller: dict[str, Any] | None, today: date | None
) -> tuple[Prepared, bytes | None, bool]:
    """The item, its FA(3) bytes (``None``, with the item's error, when the source is refused) and
    whether they were built from a draft (else: XML as given)."""
    from fakturnik.fa3.jsonform import xml_from_draft

    item = Prepared(index=index, idempotency_key=key)
    try:
        if key is not None and not (0 < len(key) <= 255):
            raise InputError("klucz idempotencji musi mieć od 1 do 255 znaków", "idempotency_key")
        if key is not None:  # only a key's replay compares bodies
            item.request_hash = request_hash(source)
        if isinstance(source, bytes | str) and not _looks_like_xml(source):
            source = _load_json(source)
        if isinstance(source, dict):
            draft, item.auto_number = draft_with_auto_number(with_defaults(source, seller, today))
            return item, xml_from_draft(draft), True
        xml = source.encode() if isinstance(source, str) else bytes(source)
        if b"<P_2/>" in xml or b"<P_2></P_2>" in xml:
            from fakturnik.engine.fields import fill_template

            xml = fill_template(xml, number=AUTO)  # an empty number is "take the next one"
        return item, xml, False
    except FakturnikError as exc:
        item.error = exc
        return item, None, False


def _accept(
    item: Prepared,
    xml: bytes,
    report: ValidationReport,
    summary: Summary | None,
    from_draft: bool,
    company_nip: str,
    context_type: str,
) -> None:
    """Record a validated document on its item, or why it cannot be issued."""
    try:
        if not report.ok or summary is None:
            raise InvoiceValidationError(report.problems)
        if not from_draft:  # an XML document: the number it carries decides
            item.auto_number = summary.number in ("", AUTO)
        if summary.seller_nip and summary.seller_nip != company_nip and context_type == "Nip":
            from fakturnik.base.xmlsafe import parse_xml
            from fakturnik.engine.on_behalf import foreign_seller_refusal, issued_for

            item.on_behalf = issued_for(parse_xml(xml), summary.seller_nip, company_nip)
            if item.on_behalf is None:
                raise InputError(
                    foreign_seller_refusal(summary.seller_nip, company_nip),
                    "Podmiot1/DaneIdentyfikacyjne/NIP",
                )
        item.xml, item.summary, item.warnings = xml, summary, tuple(report.warnings)
    except FakturnikError as exc:
        item.error = exc


def _table(model: type[Any]) -> Table:
    """The Core table of a model (a Core INSERT skips the ORM's bookkeeping per row)."""
    return cast(Table, model.__table__)


def read_and_validate(
    xml: bytes, env: str, strictness: str = "all"
) -> tuple[ValidationReport, Summary | None]:
    """The validation report of ``xml`` (as ``validate_xml`` gives it; with ``strictness="ksef"`` only
    what KSeF rejects counts as an error) and, when it parses as an invoice, its summary read from the
    same tree: one parse per document (the bulk path's hottest loop)."""
    return read_and_validate_many([xml], env, strictness)[0]


def read_and_validate_many(
    xmls: Sequence[bytes], env: str, strictness: str = "all"
) -> list[tuple[ValidationReport, Summary | None]]:
    """:func:`read_and_validate` of each document, checked stage by stage (``fa3.validation.check_many``)."""
    from fakturnik.base.xmlsafe import MAX_INVOICE_BYTES
    from fakturnik.fa3.validation import check_many

    results: list[tuple[ValidationReport, Summary | None]] = []
    for xml, (report, root) in zip(xmls, check_many(xmls, env), strict=True):  # type: ignore[arg-type]
        if strictness == "ksef":  # the company's setting: VAT-act and amounts problems become warnings
            report = report.ksef_only()
        # a summary also for a document with problems; none above 1 MB (as before: not issued here)
        big = len(xml) > MAX_INVOICE_BYTES
        results.append((report, None if root is None or big else _summary(root)))
    return results


def _summary(root: etree._Element) -> Summary | None:
    try:
        return summary_of_tree(root)
    except FakturnikError:
        return None


def _with_number(xml: bytes, number: str) -> bytes:
    placeholder = b"<P_2>" + AUTO.encode() + b"</P_2>"
    if xml.count(placeholder) == 1:
        return xml.replace(placeholder, b"<P_2>" + escape(number).encode() + b"</P_2>")
    from fakturnik.engine.fields import fill_template

    return fill_template(xml, number=number)


def store_chunk(
    s: Session,
    company: Company,
    items: Sequence[Prepared],
    *,
    actor: str,
    today: date,
    issuer_user_id: int | None = None,
) -> None:
    """Write the prepared, error-free ``items`` of one company in the caller's transaction.

    Idempotency keys seen before are answered with the invoice they made (``replayed``) or a
    conflict; numbers come from the series, one counter update per (kind, period); every invoice
    gets its status history, its outbox entry and an audit entry. The outbox entry names the
    credential that must send it: the issuing user's own KSeF certificate in this company, if they
    act with one (``engine.issuers.issuer_credential_id``), else the company's (NULL).
    """
    from fakturnik.engine.business_days import offline_deadline
    from fakturnik.engine.issuers import issuer_credential_id
    from fakturnik.errors import IdempotencyConflictError
    from fakturnik.ksef.crypto import sha256_b64

    live = [i for i in items if i.error is None and i.summary is not None]
    keys = [i.idempotency_key for i in live if i.idempotency_key is not None]
    if keys:
        known = {
            inv.idempotency_key: inv
            for inv in s.scalars(
                select(Invoice).where(Invoice.company_id == company.id, Invoice.idempotency_key.in_(keys))
            )
        }
        seen: dict[str, Prepared] = {}
        for item in live:
            key = item.idempotency_key
            if key is None:
                continue
            earlier = known.get(key)
            first = seen.get(key)
            if earlier is not None:
                if earlier.request_hash == item.request_hash:
                    item.invoice, item.replayed = earlier, True
                else:
                    item.error = IdempotencyConflictError(
                        "ten klucz idempotencji użyto już z inną treścią faktury"
                    )
            elif first is not None:  # the same key twice in one request
                if first.request_hash != item.request_hash:
                    item.error = IdempotencyConflictError(
                        "ten klucz idempotencji użyto już z inną treścią faktury"
                    )
                else:
                    item.replayed = True  # resolved to the first one's invoice below
            else:
                seen[key] = item
        live = [i for i in live if i.error is None and i.invoice is None and not i.replayed]
    kept = [i for i in live if not i.auto_number and i.summary is not None]
    if kept:
        # a number is taken per (seller, kind), as KSeF counts duplicates: a self-billed invoice of
        # another seller may carry a number the company's own series has too
        taken = {
            (seller, kind, number)
            for seller, kind, number in s.execute(
                select(Invoice.seller_nip, Invoice.kind, Invoice.number).where(
                    Invoice.company_id == company.id,
                    Invoice.direction == "issued",
                    Invoice.number.in_([i.summary.number for i in kept if i.summary is not None]),
                )
            )
        }
        chunk_numbers: set[tuple[str, str, str]] = set()
        for item in kept:
            assert item.summary is not None
            key2 = (item.summary.seller_nip or company.nip, item.summary.kind, item.summary.number)
            if key2 in taken or key2 in chunk_numbers:
                item.error = ConflictError(f"faktura o numerze {item.summary.number} już istnieje")
            chunk_numbers.add(key2)
        live = [i for i in live if i.error is None]
    # numbers: one allocation per (series, kind, year, month); the company's own series, or the one
    # it keeps for another seller (engine/on_behalf.py)
    wanting: dict[tuple[OnBehalf | None, str, int, int], list[Prepared]] = defaultdict(list)
    for item in live:
        if item.auto_number:
            assert item.summary is not None
            day = item.summary.issue_date or today
            wanting[(item.on_behalf, item.summary.kind, day.year, day.month)].append(item)
    numbers: dict[int, str] = {}
    for (behalf, kind, year, month), group in wanting.items():
        for item, number in zip(
            group,
            repo.allocate_numbers(
                s,
                seller_nip=company.nip if behalf is None else behalf.series_key,
                kind=kind,
                year=year,
                month=month,
                count=len(group),
                company_id=company.id,
                pattern=None if behalf is None else behalf.pattern(repo.default_pattern(kind)),
            ),
            strict=True,
        ):
            numbers[item.index] = number
    outage = repo.open_outage(s, company.base_url or "")
    offline_kind = outage.mode if outage is not None else None
    outage_end = None
    if outage is not None and outage.ended_at is not None:
        from fakturnik.base.warsaw import warsaw_today

        outage_end = warsaw_today(outage.ended_at)
    status = states.OFFLINE if offline_kind else states.QUEUED
    sending_credential = issuer_credential_id(s, company.id, issuer_user_id) if live else None
    now = datetime.now(UTC)
    values: list[dict[str, Any]] = []
    for item in live:
        summary = item.summary
        assert summary is not None
        number = numbers.get(item.index, summary.number)
        xml = _with_number(item.xml, number) if item.index in numbers else item.xml
        item.xml = xml
        deadline = (
            offline_deadline(offline_kind, summary.issue_date or today, outage_end) if offline_kind else None
        )
        values.append(
            {
                "company_id": company.id,
                "direction": "issued",
                "number": number,
                "seller_nip": summary.seller_nip or company.nip,
                **repo.summary_columns(summary),
                "paid_amount": Decimal("0"),
                "xml": xml,
                "sha256": sha256_b64(xml),
                "status": status,
                "offline_mode": offline_kind is not None,
                "offline_kind": offline_kind,
                "offline_deadline": deadline,
                "idempotency_key": item.idempotency_key,
                "request_hash": item.request_hash or None,
                "corrects_id": item.corrects_id,
                "created_at": now,
                "updated_at": now,
            }
        )
    if values:
        conn = s.connection()  # Core on the session's connection: no ORM bookkeeping per row
        # multi-row INSERTs ... RETURNING for the chunk (the unit of work would cost more than the SQL);
        # the rows come back in any order, each known by its (seller, kind, number): the store's unique
        # key of an issued invoice in a company (uq_invoices_number), so one row per key
        returned = conn.execute(
            insert(_table(Invoice)).returning(Invoice.id, Invoice.seller_nip, Invoice.kind, Invoice.number),
            values,
        ).all()
        by_number = {(seller, kind, number): invoice_id for invoice_id, seller, kind, number in returned}
        if len(by_number) != len(values):  # pragma: no cover - the unique key forbids it
            raise ConflictError("dwie faktury o tym samym numerze w jednej porcji")
        ids = [by_number[(row["seller_nip"], row["kind"], row["number"])] for row in values]
        history, outbox, audit = [], [], []
        for item, row, invoice_id in zip(live, values, ids, strict=True):
            # a plain value with the row's attributes for the read model (an ORM instance costs more)
            item.invoice = cast(
                Invoice,
                SimpleNamespace(
                    id=invoice_id, ksef_number=None, booked_at=None, paid_at=None, origin=None, **row
                ),
            )
            history.append({"invoice_id": invoice_id, "status": status, "detail": "issued", "at": now})
            outbox.append(
                {
                    "invoice_id": invoice_id,
                    "company_id": company.id,
                    "state": states.QUEUED,
                    "urgent": item.urgent,
                    "offline_mode": offline_kind is not None,
                    "invoice_hash": row["sha256"],
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                    "updated_at": now,
                    "credential_id": sending_credential,
                }
            )
            audit.append(
                {
                    "actor": actor,
                    "action": "invoice.issue",
                    "company_id": company.id,
                    "invoice_id": invoice_id,
                    "detail": {
                        "number": row["number"],
                        "sha256": row["sha256"],
                        "offline": offline_kind,
                        **(item.on_behalf.audit if item.on_behalf is not None else {}),
                    },
                    "at": now,
                }
            )
        conn.execute(insert(_table(InvoiceStatusChange)), history)  # Core executemany
        conn.execute(insert(_table(OutboxEntry)), outbox)
        conn.execute(insert(_table(AuditEntry)), audit)
    by_key = {i.idempotency_key: i.invoice for i in items if i.invoice is not None and i.idempotency_key}
    for item in items:
        if item.replayed and item.invoice is None and item.idempotency_key is not None:
            item.invoice = by_key.get(item.idempotency_key)
