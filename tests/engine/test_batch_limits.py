"""The engine's batches go through ``ksef.batch`` and its limits (§6): 10,000 invoices, 50 parts, 5 GB."""

from __future__ import annotations

from pathlib import Path

import pytest

from fakturnik.engine.issuing import issue
from fakturnik.engine.planner import PlannerSettings
from fakturnik.engine.worker import Worker
from fakturnik.errors import KsefProcessingError
from fakturnik.ksef import batch as ksef_batch
from fakturnik.ksef.batch import MAX_INVOICES, prepare_in_memory
from fakturnik.ksef.crypto import sha256_b64
from fakturnik.simulator.server import SimulatorServer
from fakturnik.store import repo, states
from tests.engine.helpers import NIP, engine, fast_settings, route_count, sample_invoice


def test_the_in_memory_batch_keeps_the_limits_of_the_state_file_batch() -> None:
    xml = sample_invoice("FV/1")
    prepared = prepare_in_memory([("1.xml", xml)])
    assert prepared.names == {sha256_b64(xml): "1.xml"} and len(prepared.parts) == 1
    assert repr(prepared) == "PreparedBatch(1 invoices, 1 parts)"  # never the key
    with pytest.raises(KsefProcessingError, match="żadnej faktury"):
        prepare_in_memory([])
    with pytest.raises(KsefProcessingError, match="najwyżej 10000"):
        prepare_in_memory((f"{i}.xml", b"<a/>") for i in range(MAX_INVOICES + 1))
    with pytest.raises(KsefProcessingError, match="50 części"):
        prepare_in_memory([(f"{i}.xml", sample_invoice(f"FV/{i}")) for i in range(20)], part_size=100)
    with pytest.raises(KsefProcessingError, match="powtórzona"):
        prepare_in_memory([("a.xml", b"<a/>"), ("a.xml", b"<b/>")])


def test_a_batch_over_the_size_limit_is_sent_as_two_smaller_ones(
    simulator: SimulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = engine(tmp_path, simulator, settings=fast_settings(planner=PlannerSettings(batch_min_invoices=5)))
    ids = [issue(ctx, company_nip=NIP, xml=sample_invoice()).invoice_id for _ in range(12)]
    with ctx.db.transaction() as s:
        files = [(f"{i}.xml", x) for i, (x, _) in repo.invoice_files(s, ids).items()]
    half = prepare_in_memory(files[:6]).archive_size  # a limit that 6 invoices keep and 12 do not
    monkeypatch.setattr(ksef_batch, "MAX_ARCHIVE_SIZE", half + 64)
    Worker(ctx, worker_id="split").run(once=True, idle_sleep=0.05, max_seconds=60)
    with ctx.db.transaction() as s:
        rows = [(i.status, i.ksef_number) for i in repo.list_invoices(s)]
    assert [r[0] for r in rows] == [states.ACCEPTED] * 12 and len({r[1] for r in rows}) == 12
    assert route_count(simulator, "POST", "/sessions/batch", 201) == 2
