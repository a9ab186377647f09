"""Pure engine decisions: business-day deadlines, KSeF verdicts, error classes, planner, backoff."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from fakturnik.engine.business_days import add_business_days, is_business_day, offline_deadline
from fakturnik.engine.outcomes import (
    SendFate,
    Verdict,
    backoff,
    classify_send_error,
    judge_invoice_status,
    settle_duplicate,
)
from fakturnik.engine.planner import Mode, PlannerSettings, Queued, choose_mode
from fakturnik.errors import (
    KsefApiError,
    KsefExceptionDetail,
    KsefRateLimitError,
    KsefServerError,
    KsefTransportError,
)


def test_polish_business_days() -> None:
    assert not is_business_day(date(2026, 11, 11))  # Independence Day (Wednesday)
    assert not is_business_day(date(2026, 11, 14))  # Saturday
    assert is_business_day(date(2026, 11, 12))
    # offline24: next business day after the issue date, skipping the holiday
    assert offline_deadline("offline24", date(2026, 11, 10), None) == date(2026, 11, 12)
    # Friday → Monday
    assert offline_deadline("offline24", date(2026, 11, 13), None) == date(2026, 11, 16)
    # Christmas: 24 Dec 2026 (Thu) is a public holiday in Poland since 2025, 25-26 too
    assert add_business_days(date(2026, 12, 23), 1) == date(2026, 12, 28)
    # unavailability: next business day after it ends; unknown while it lasts
    assert offline_deadline("offline", date(2026, 11, 10), None) is None
    assert offline_deadline("offline", date(2026, 11, 9), date(2026, 11, 10)) == date(2026, 11, 12)
    # failure: 7 business days after its end (Easter Monday 2027-03-29 skipped)
    assert offline_deadline("failure", date(2027, 3, 20), date(2027, 3, 24)) == date(2027, 4, 5)


def test_invoice_status_verdicts() -> None:
    assert judge_invoice_status(150, "Przetwarzanie", None).verdict is Verdict.PENDING
    ok = judge_invoice_status(200, "Sukces", "5265877635-20250826-0100001AF629-AF")
    assert ok.verdict is Verdict.ACCEPTED and ok.ksef_number
    dup = judge_invoice_status(
        440, "Duplikat", None, ["x"], {"originalKsefNumber": "5265877635-20250826-0100001AF629-AF"}
    )
    assert dup.verdict is Verdict.DUPLICATE and dup.duplicate and dup.ksef_number
    same = settle_duplicate(dup, True)
    assert same.verdict is Verdict.ACCEPTED and same.ksef_number == dup.ksef_number
    other = settle_duplicate(dup, False, "numer użyty dla innego dokumentu")
    assert other.verdict is Verdict.REJECTED and other.message == "numer użyty dla innego dokumentu"
    assert judge_invoice_status(440, "Duplikat", None).verdict is Verdict.REJECTED
    assert judge_invoice_status(550, "Anulowana", None).verdict is Verdict.RESEND
    bad = judge_invoice_status(450, "Błąd semantyki", None, ["P_1 po dacie przyjęcia"])
    assert bad.verdict is Verdict.REJECTED and "P_1" in bad.message


def test_send_errors_are_classified_conservatively() -> None:
    assert classify_send_error(KsefTransportError("t", outcome_unknown=True)).fate is SendFate.UNCERTAIN
    refused = classify_send_error(KsefTransportError("r", outcome_unknown=False))
    assert refused.fate is SendFate.RETRY and refused.outage_signal
    assert classify_send_error(KsefServerError(502, "x", outcome_unknown=True)).fate is SendFate.UNCERTAIN
    assert classify_send_error(KsefRateLimitError("429", 7.0)).retry_after == 7.0
    gone = KsefApiError(400, "x", [KsefExceptionDetail(21180, "Sesja zamknięta")])
    assert classify_send_error(gone).fate is SendFate.NEW_SESSION
    bad = KsefApiError(400, "x", [KsefExceptionDetail(21403, "Skrót się nie zgadza")])
    assert classify_send_error(bad).fate is SendFate.REJECTED
    assert classify_send_error(ValueError("bug")).fate is SendFate.UNCERTAIN


def test_planner_online_for_urgent_or_few_batch_for_many_or_old() -> None:
    now = datetime.now(UTC)
    settings = PlannerSettings(batch_min_invoices=10, batch_max_wait=timedelta(minutes=5))
    few = [Queued(False, now) for _ in range(3)]
    assert choose_mode(few, now, settings) is Mode.ONLINE
    assert choose_mode([Queued(False, now)] * 10, now, settings) is Mode.BATCH
    assert choose_mode([*[Queued(False, now)] * 10, Queued(True, now)], now, settings) is Mode.ONLINE
    old = [Queued(False, now - timedelta(minutes=6)), Queued(False, now)]
    assert choose_mode(old, now, settings) is Mode.BATCH


def test_backoff_grows_with_jitter_and_cap() -> None:
    rng = random.Random(1)
    values = [backoff(a, base=1, cap=60, rng=rng).total_seconds() for a in range(10)]
    assert 0.5 <= values[0] <= 1 and 4 <= values[3] <= 8 and all(v <= 60 for v in values)


def test_urgent_invoices_go_online_by_themselves_and_the_rest_in_a_batch() -> None:
    from fakturnik.engine.planner import plan

    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    settings = PlannerSettings(batch_min_invoices=3)
    items = [Queued(i == 1, now) for i in range(6)]
    assert plan(items, now, settings) == plan(items, now, settings)
    chosen = plan(items, now, settings)
    assert chosen.online == [1] and chosen.batch == [0, 2, 3, 4, 5]
    few = [Queued(False, now), Queued(True, now)]
    assert plan(few, now, settings).online == [1, 0] and plan(few, now, settings).batch == []


def test_a_listing_by_hash_prefers_a_decided_entry_when_a_file_went_in_twice() -> None:
    from fakturnik.engine.gateway import InvoiceOutcome
    from fakturnik.engine.reconcile import by_hash

    def outcome(ref: str, file_hash: str, code: int) -> InvoiceOutcome:
        return InvoiceOutcome(reference_number=ref, invoice_hash=file_hash, status_code=code, description="")

    first, again, other = outcome("R1", "h", 200), outcome("R2", "h", 150), outcome("R3", "x", 450)
    assert by_hash([first, again, other]) == {"h": first, "x": other}
    assert by_hash([again, first])["h"] is first
    assert by_hash([outcome("R4", "h", 405), outcome("R5", "h", 200)])["h"].reference_number == "R5"


def test_one_retry_delay_for_the_transport_and_the_engine() -> None:
    from fakturnik.ksef.backoff import delay
    from fakturnik.ksef.environments import custom
    from fakturnik.ksef.transport import Transport

    a, b = random.Random(7), random.Random(7)
    engine_wait = backoff(4, base=0.5, cap=5, rng=a).total_seconds()
    assert engine_wait == pytest.approx(delay(4, base=0.5, cap=5, rng=b), abs=1e-6)
    transport = Transport(custom("http://127.0.0.1:9"), backoff_base=0.5, backoff_cap=2.0)
    assert all(1.0 <= transport._backoff(n) <= 2.0 for n in range(2, 8))  # half to all of the cap
    transport.close()
