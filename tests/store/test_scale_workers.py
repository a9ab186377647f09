"""Three ``fakturnik worker`` processes posing as three machines behind one IP, one PostgreSQL store,
the simulator's production limit profile: KSeF's limits kept by the books in the store alone."""

from __future__ import annotations

import pytest
from bench.scale import run_scale

from tests.store.pg import PG_URL, needs_pg

INVOICES = 300


@needs_pg
@pytest.mark.postgres
def test_three_worker_processes_share_the_limits_through_the_store() -> None:
    assert PG_URL is not None
    result = run_scale(PG_URL, invoices=INVOICES, workers=3, claim_limit=60, batch_min=20, max_seconds=240)
    print(
        f"\nscale: {INVOICES} invoices, 3 workers: numbers {result.numbers_seconds:.1f} s, all "
        f"{result.deliver_seconds:.1f} s, {result.requests} requests, 429: {result.too_many}"
    )
    assert result.worker_codes == [0, 0, 0], result.worker_log
    assert result.too_many == 0
    assert result.accepted == result.distinct_numbers == INVOICES
    assert result.registered == INVOICES and result.registered_twice == 0  # each registered exactly once
    assert result.matching == INVOICES  # the store holds KSeF's number for each
    assert result.with_upo == INVOICES
    assert result.hosts_in_books == 3  # every "machine" kept its slots in the store's books
