"""The simulator's decisions on invoices and sessions (shared by online, batch and export processing).

Pure state transitions on the simulator's documents: judge an invoice and record the verdict,
finalise a session with its UPO pages, mark work the worker could not finish as failed. The worker
thread that runs them is :mod:`fakturnik.simulator.processing`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from fakturnik.base.ksef_numbers import make_ksef_number
from fakturnik.ksef.crypto import SymmetricKey, aes_cbc_decrypt, unb64
from fakturnik.simulator import features, grants
from fakturnik.simulator.core import Simulator
from fakturnik.simulator.invoice_checks import MAX_PLAIN, MAX_PLAIN_WITH_ATTACHMENT, Context, Verdict, judge
from fakturnik.simulator.invoice_schemas import FORMS, FormSpec
from fakturnik.simulator.security import Caller
from fakturnik.simulator.session_store import (
    MAX_INVOICES,
    invoice_key,
    invoice_status,
    iso,
    session_status,
    warsaw_date,
)
from fakturnik.simulator.upo import page_ranges

Job = tuple[str, str]  # ("invoice", invoiceKey) | ("finish", sessionRef) | ("batch", ref) | ("export", ref)
PERMANENT_STORAGE_LAG = timedelta(milliseconds=10)
DUPLICATE_YEARS = 10


def fail_job(sim: Simulator, job: Job) -> None:
    """Status 500 for work the worker could not finish, so that nobody waits for it forever."""
    kind, key = job
    with sim.state.lock:
        if kind == "invoice":
            inv = sim.state.get("invoice", key)
            session = sim.state.get("session", key.split("/", 1)[0])
            if inv is None or session is None or inv["status"]["code"] not in (100, 150):
                return
            inv["status"] = invoice_status(500, ["Nieoczekiwany błąd przetwarzania."])
            sim.state.put("invoice", key, inv)
            session["pending"] = max(0, int(session.get("pending", 0)) - 1)
            session["failedInvoiceCount"] += 1
            sim.state.put("session", key.split("/", 1)[0], session)
            if session["status"]["code"] == 170 and session["pending"] == 0:
                finalize(sim, session)
        elif kind == "batch":
            session = sim.state.get("session", key)
            if session is not None and session["status"]["code"] == 150:
                session["status"] = session_status("Batch", 500)
                sim.state.put("session", key, session)
        elif kind == "export":
            export = sim.state.get("export", key)
            if export is not None and export["status"]["code"] == 100:
                export["status"] = {"code": 500, "description": "Nieznany błąd (500)"}
                sim.state.put("export", key, export)


def session_key(session: dict[str, Any]) -> SymmetricKey | None:
    if not session.get("key"):
        return None
    return SymmetricKey(unb64(session["key"]), unb64(session["iv"]))


def form_of(session: dict[str, Any]) -> FormSpec:
    fc = session["formCode"]
    for form in FORMS:
        if form.key == (fc["systemCode"], fc["schemaVersion"], fc["value"]):
            return form
    raise LookupError(f"unknown form {fc}")


def _attachments_allowed(sim: Simulator) -> Callable[[str], bool]:
    helper = getattr(grants, "attachment_allowed", None)
    if helper is not None:
        return lambda nip: bool(helper(sim, nip))

    def fallback(nip: str) -> bool:
        doc = sim.state.get("attachment", nip)
        return bool(doc) and bool((doc or {}).get("isAttachmentAllowed", True))

    return fallback


def session_caller(session: dict[str, Any]) -> Caller:
    """The caller who opened a session, as the permission model expects it."""
    return Caller(
        token_kind="access",  # noqa: S106 - a token kind, not a secret
        auth_ref=str(session.get("authRef", "")),
        context_type=session["contextType"],
        context_value=session["contextValue"],
        subject_type=str(session.get("subjectType", "")),
        subject_value=str(session.get("subjectValue", "")),
        permissions=frozenset(session.get("permissions") or ()),
        auth_method=str(session.get("authMethod", "")),
        client_ip="",
    )


def check_context(
    sim: Simulator, session: dict[str, Any], *, online: bool, correction: bool, invoicing_date: str
) -> Context:
    helper = getattr(grants, "may_issue_for", None)
    caller = session_caller(session)
    _, max_plain, max_with_attachment = session_limits(sim, session)
    return Context(
        form=form_of(session),
        context_type=caller.context_type,
        context_value=caller.context_value,
        profile=sim.config.profile,
        validate_identifiers=features.validates_identifiers(sim.config.profile, session),
        accepted_on=date.fromisoformat(warsaw_date(invoicing_date)),
        online=online,
        technical_correction=correction,
        may_issue_for=(lambda nip, invoice: bool(helper(sim, caller, nip, invoice))) if helper else None,
        attachments_allowed=_attachments_allowed(sim),
        max_plain=max_plain,
        max_with_attachment=max_with_attachment,
    )


def session_limits(sim: Simulator, session: dict[str, Any]) -> tuple[int, int, int]:
    """(max invoices, max invoice bytes, max bytes with attachment) of the session's context:
    10,000 / 1 MB / 3 MB unless ``/testdata/limits/context/session`` changed them."""
    helper = getattr(grants, "context_limits", None)
    if helper is None:
        return MAX_INVOICES, MAX_PLAIN, MAX_PLAIN_WITH_ATTACHMENT
    group = "onlineSession" if session["sessionType"] == "Online" else "batchSession"
    limits = helper(sim, f"{session['contextType']}:{session['contextValue']}").get(group, {})
    return (
        int(limits.get("maxInvoices", MAX_INVOICES)),
        int(limits.get("maxInvoiceSizeInMB", 1)) * 1_000_000,
        int(limits.get("maxInvoiceWithAttachmentSizeInMB", 3)) * 1_000_000,
    )


def mark_processing(sim: Simulator, key: str) -> bool:
    with sim.state.lock:
        inv = sim.state.get("invoice", key)
        if inv is None or inv["status"]["code"] not in (100, 150):
            return False
        if inv["status"]["code"] == 100:
            inv["status"] = invoice_status(150)
            sim.state.put("invoice", key, inv)
    return True


def process_online_invoice(sim: Simulator, key: str) -> None:
    inv = sim.state.get("invoice", key)
    if inv is None or inv["status"]["code"] not in (100, 150):
        return
    session = sim.state.get("session", inv["sessionRef"])
    if session is None:
        return
    encrypted = sim.state.get_blob(f"enc/{key}") or b""
    aes = session_key(session)
    plain: bytes | None = None
    if aes is not None:
        try:
            plain = aes_cbc_decrypt(aes, encrypted)
        except ValueError:
            plain = None
    if plain is None:
        verdict = Verdict(435, ["Nie udało się odszyfrować faktury kluczem sesji."])
    else:
        ctx = check_context(
            sim,
            session,
            online=True,
            correction=bool(inv.get("hashOfCorrectedInvoice")),
            invoicing_date=inv["invoicingDate"],
        )
        verdict = judge(ctx, plain, inv["invoiceHash"], inv["invoiceSize"])
    with sim.state.transaction():  # the verdict and the session counters land together
        ok = record_verdict(sim, session, inv, plain, verdict)
        fresh = sim.state.get("session", session["referenceNumber"]) or session
        fresh["pending"] = max(0, int(fresh.get("pending", 0)) - 1)
        fresh["successfulInvoiceCount" if ok else "failedInvoiceCount"] += 1
        fresh["dateUpdated"] = iso(sim.now())
        sim.state.put("session", fresh["referenceNumber"], fresh)
        sim.state.delete_blob(f"enc/{key}")
    if fresh["status"]["code"] == 170 and fresh["pending"] == 0:
        finish_online(sim, fresh["referenceNumber"])


def record_verdict(
    sim: Simulator, session: dict[str, Any], inv: dict[str, Any], plain: bytes | None, verdict: Verdict
) -> bool:
    """Write the outcome of one invoice (duplicates decided here); True when it got a KSeF number.

    Callers hold ``state.lock`` (batch processing wraps many calls in one transaction).
    """
    key = invoice_key(session["referenceNumber"], inv["ordinalNumber"])
    state = sim.state
    if verdict.invoice_number:
        inv["invoiceNumber"] = verdict.invoice_number
    facts = verdict.facts
    if verdict.code == 200 and facts is not None and plain is not None:
        dup_key = f"dup:{facts.seller_nip}|{facts.kind}|{facts.invoice_number}"
        original = state.get("invidx", dup_key)
        year = int(facts.issue_date[:4])
        if original is not None and abs(int(original["issueYear"]) - year) <= DUPLICATE_YEARS:
            inv["status"] = invoice_status(
                440,
                [f"Faktura o numerze {facts.invoice_number} została już przyjęta: {original['ksefNumber']}."],
                {
                    "originalSessionReferenceNumber": original["sessionRef"],
                    "originalKsefNumber": original["ksefNumber"],
                },
            )
            state.put("invoice", key, inv)
            _remember_hash(sim, inv["invoiceHash"], key, 440)
            return False
        now = sim.now()
        ksef_number = make_ksef_number(
            facts.seller_nip, date.fromisoformat(warsaw_date(inv["invoicingDate"]))
        )
        offline = bool(inv.get("offlineMode")) or facts.issue_date < warsaw_date(inv["invoicingDate"])
        inv.update(
            {
                "ksefNumber": ksef_number,
                "acquisitionDate": iso(now),
                "permanentStorageDate": iso(now + PERMANENT_STORAGE_LAG),
                "invoicingMode": "Offline" if offline else "Online",
                "status": invoice_status(200),
                "facts": facts.as_json(),
                "formCode": session["formCode"],
                "contextType": session["contextType"],
                "contextValue": session["contextValue"],
            }
        )
        state.put("invoice", key, inv)
        state.put_blob(f"xml/{ksef_number}", plain)
        state.put("invidx", f"ksef:{ksef_number}", {"key": key})
        state.put(
            "invidx",
            dup_key,
            {"ksefNumber": ksef_number, "sessionRef": session["referenceNumber"], "issueYear": year},
        )
        state.put("invidx", f"hash:{inv['invoiceHash']}", {"key": key, "code": 200})
        if inv.get("hashOfCorrectedInvoice"):
            state.put("invidx", f"corr:{inv['hashOfCorrectedInvoice']}", {"key": key})
        return True
    inv["status"] = invoice_status(verdict.code, verdict.details)
    state.put("invoice", key, inv)
    _remember_hash(sim, inv["invoiceHash"], key, verdict.code)
    return False


def _remember_hash(sim: Simulator, invoice_hash: str, key: str, code: int) -> None:
    """Index a rejected file by its hash (technical corrections), never hiding an accepted one."""
    existing = sim.state.get("invidx", f"hash:{invoice_hash}")
    if existing is None or existing["code"] != 200:
        sim.state.put("invidx", f"hash:{invoice_hash}", {"key": key, "code": code})


def finish_online(sim: Simulator, ref: str) -> None:
    """170 → 200 / 440 / 445 once every invoice of a closed online session is decided."""
    with sim.state.lock:
        session = sim.state.get("session", ref)
        if session is None or session["status"]["code"] != 170 or session.get("pending", 0) > 0:
            return
        finalize(sim, session)


def finalize(sim: Simulator, session: dict[str, Any]) -> None:
    """Final status and UPO pages of a session whose invoices are all decided (caller holds the lock)."""
    from fakturnik.base.ksef_numbers import make_reference_number

    kind = session["sessionType"]
    total = int(session.get("invoiceCount", 0))
    ok = int(session.get("successfulInvoiceCount", 0))
    now = sim.now()
    if total == 0:
        session["status"] = session_status(kind, 440, ["Nie przesłano faktur"])
    elif ok == 0:
        session["status"] = session_status(kind, 445)
    else:
        session["status"] = session_status(kind, 200)
        session["upoPages"] = [
            {"referenceNumber": make_reference_number("EU", now.date()), "start": start, "end": end}
            for start, end in page_ranges(ok)
        ]
    session["dateUpdated"] = iso(now)
    session["key"] = None  # every invoice is decided: the session key is not needed any more
    sim.state.put("session", session["referenceNumber"], session)


def accepted_invoices(sim: Simulator, ref: str) -> list[dict[str, Any]]:
    return [i for i in sim.state.all_prefixed("invoice", ref + "/") if i["status"]["code"] == 200]
