"""``fakturnik worker`` processes posing as machines behind one IP, one PostgreSQL store, one data
directory, the simulator's production limit profile: KSeF's limits kept by the books in the store
alone, and every worker started at the same instant ends with exit code 0."""

from __future__ import annotations

import pytest
from bench.scale import ScaleResult, run_scale

from tests.store.pg import PG_URL, needs_pg


def _check(result: ScaleResult, invoices: int, workers: int) -> None:
    print(
        f"\nscale: {invoices} invoices, {workers} workers: issued in {result.issue_seconds:.1f} s, numbers "
        f"{result.numbers_seconds:.1f} s, all {result.deliver_seconds:.1f} s, {result.requests} requests, "
        f"429: {result.too_many}"
    )
    assert result.worker_codes == [0] * workers, result.worker_log
    assert not result.host_books_opened  # the store's books only, never this machine's file
    assert result.too_many == 0
    assert result.accepted == result.distinct_numbers == invoices
    assert result.registered == invoices and result.registered_twice == 0  # each registered exactly once
    assert result.matching == invoices  # the store holds KSeF's number for each
    assert result.with_upo == invoices
    assert result.hosts_in_books == workers  # every "machine" kept its slots in the store's books


@needs_pg
@pytest.mark.postgres
def test_three_worker_processes_share_the_limits_through_the_store() -> None:
    assert PG_URL is not None
    result = run_scale(PG_URL, invoices=300, workers=3, claim_limit=60, batch_min=20, max_seconds=240)
    _check(result, 300, 3)


@needs_pg
@pytest.mark.postgres
def test_six_workers_started_together_on_one_data_dir_all_end_well() -> None:
    """Small claims, so that all six meet on the same rows, sessions and UPOs at the end of the run
    (where two workers storing one UPO in different orders once deadlocked and one exited)."""
    assert PG_URL is not None
    result = run_scale(PG_URL, invoices=120, workers=6, claim_limit=20, batch_min=20, max_seconds=240)
    _check(result, 120, 6)
