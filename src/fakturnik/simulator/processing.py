"""The asynchronous side of KSeF: one worker thread per simulator decides invoices, batches, exports.

Handlers store what they accepted (status 100) and submit a job; the worker moves it to 150, waits
``config.processing_delay`` (and while ``faults.stuck_processing`` is set), then decides. Jobs are
persisted implicitly: on start the worker re-queues every invoice and session left undecided, so a
restart with ``--data-dir`` loses nothing. The worker is started lazily by the first request that
needs it (``processor(sim)``) — in practice by the sessions router's lifespan when the server
starts — and stopped with the simulator.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import weakref
from typing import Any

from fakturnik.simulator.batch import process_batch
from fakturnik.simulator.core import Simulator
from fakturnik.simulator.decisions import (
    Job,
    fail_job,
    finish_online,
    mark_processing,
    process_online_invoice,
)
from fakturnik.simulator.exports import process_export
from fakturnik.simulator.session_store import UPLOAD_TIMEOUT, invoice_key, iso, parse_iso, session_status

log = logging.getLogger(__name__)

SWEEP_INTERVAL = 5.0  # seconds between checks for sessions past their lifetime


class Processor:
    def __init__(self, sim: Simulator) -> None:
        self._sim_ref = weakref.ref(sim)
        self._queue: queue.Queue[tuple[float, Job]] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ksef-sim-processing", daemon=True)

    def start(self) -> None:
        self._recover()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def submit(self, job: Job) -> None:
        self._queue.put((time.monotonic(), job))

    # -- the loop --------------------------------------------------------------------------------

    def _run(self) -> None:
        next_sweep = time.monotonic() + SWEEP_INTERVAL
        while not self._stop.is_set():
            sim = self._sim_ref()
            if sim is None:
                return
            if time.monotonic() >= next_sweep:
                next_sweep = time.monotonic() + SWEEP_INTERVAL
                try:
                    sweep_expired(sim)
                except Exception:
                    if self._stop.is_set():
                        return
                    log.exception("session sweep failed")
            try:
                submitted, job = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            try:
                self._handle(sim, submitted, job)
            except Exception:  # the worker must survive anything a job does
                if self._stop.is_set():
                    return
                log.exception("processing job %s failed", job[0])
                try:
                    fail_job(sim, job)
                except Exception:
                    log.exception("could not mark job %s as failed", job[0])

    def _wait(self, sim: Simulator, submitted: float) -> None:
        due = submitted + max(sim.config.processing_delay, 0.0)
        while not self._stop.is_set() and (time.monotonic() < due or sim.faults.stuck_processing):
            time.sleep(min(0.05, max(due - time.monotonic(), 0.005)))

    def _handle(self, sim: Simulator, submitted: float, job: Job) -> None:
        kind, key = job
        if kind == "invoice":
            if mark_processing(sim, key):
                self._wait(sim, submitted)
                process_online_invoice(sim, key)
        elif kind == "finish":
            finish_online(sim, key)
        elif kind == "batch":
            self._wait(sim, submitted)
            process_batch(sim, key)
        elif kind == "export":
            self._wait(sim, submitted)
            process_export(sim, key)

    def _recover(self) -> None:
        sim = self._sim_ref()
        if sim is None:
            return
        for session in sim.state.all("session"):
            ref = session["referenceNumber"]
            code = session["status"]["code"]
            if session["sessionType"] == "Online":
                if session.get("pending"):
                    for inv in sim.state.all_prefixed("invoice", ref + "/"):
                        if inv["status"]["code"] in (100, 150):
                            self.submit(("invoice", invoice_key(ref, inv["ordinalNumber"])))
                if code == 170:
                    self.submit(("finish", ref))
            elif code == 150:
                self.submit(("batch", ref))
        for export in sim.state.all("export"):
            if export.get("status", {}).get("code") == 100:
                self.submit(("export", export["referenceNumber"]))


_processors: weakref.WeakKeyDictionary[Simulator, Processor] = weakref.WeakKeyDictionary()
_processors_lock = threading.Lock()


def processor(sim: Simulator) -> Processor:
    """The simulator's worker, started on first use."""
    with _processors_lock:
        proc = _processors.get(sim)
        if proc is None:
            proc = Processor(sim)
            _processors[sim] = proc
            sim.on_shutdown.append(proc.stop)
            proc.start()
        return proc


# -- session lifetimes: transitions that hand work to the worker --------------------------------


def sweep_expired(sim: Simulator) -> None:
    """Close online sessions past ``validUntil`` and cancel batches left open 12 h (also done on read)."""
    now = iso(sim.now())
    for session in sim.state.all("session"):
        if session["status"]["code"] == 100 and session["validUntil"] < now:
            expire_if_due(sim, session)


def expire_if_due(sim: Simulator, session: dict[str, Any]) -> dict[str, Any]:
    """Apply the time rules on read: online auto-close at ``validUntil``, batch 12 h / upload window."""
    if session["status"]["code"] != 100:
        return session
    now = sim.now()
    if now < parse_iso(session["validUntil"]):
        return session
    with sim.state.lock:
        fresh = sim.state.get("session", session["referenceNumber"]) or session
        if fresh["status"]["code"] != 100:
            return fresh
        if fresh["sessionType"] == "Online":
            close_online(sim, fresh)
        else:
            fresh["status"] = session_status("Batch", 440, [UPLOAD_TIMEOUT])
            fresh["dateUpdated"] = fresh["dateClosed"] = iso(now)
            sim.state.put("session", fresh["referenceNumber"], fresh)
    processor(sim)
    return sim.state.get("session", session["referenceNumber"]) or fresh


def close_online(sim: Simulator, session: dict[str, Any]) -> None:
    """Move an open online session to 170; the worker decides 200/440/445 once nothing is pending."""
    now = iso(sim.now())
    with sim.state.lock:
        session["status"] = session_status("Online", 170)
        session["dateUpdated"] = session["dateClosed"] = now
        sim.state.put("session", session["referenceNumber"], session)
    processor(sim).submit(("finish", session["referenceNumber"]))
