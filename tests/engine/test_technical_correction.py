"""Technical correction of a rejected offline invoice (digest §10) through the engine and the simulator."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from fakturnik.engine.availability import end_outage, start_outage
from fakturnik.engine.context import EngineContext
from fakturnik.engine.issuing import correct_rejected_offline, issue
from fakturnik.engine.worker import Worker
from fakturnik.errors import EngineError, InvoiceValidationError
from fakturnik.fa3.document import read_document
from fakturnik.ksef.crypto import sha256_b64
from fakturnik.simulator.server import SimulatorServer
from fakturnik.store import repo, states
from fakturnik.store.models import AuditEntry, Invoice, OutboxEntry
from tests.engine.helpers import NIP, engine, sample_invoice


def _drain(ctx: EngineContext) -> None:
    Worker(ctx, worker_id="test-worker").run(once=True, idle_sleep=0.1, max_seconds=60)


def _without_p15(xml: bytes) -> bytes:
    root = etree.fromstring(xml)
    p15 = root.find("fa:Fa/fa:P_15", {"fa": root.nsmap[None]})
    assert p15 is not None
    p15.getparent().remove(p15)  # XSD: P_15 is required
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _rejected_offline(ctx: EngineContext, simulator: SimulatorServer) -> tuple[int, bytes, bytes]:
    """(invoice id, the rejected file, a corrected file of the same invoice)."""
    good = sample_invoice("FV/TK/1")
    bad = _without_p15(good)
    with ctx.db.transaction() as s:
        start_outage(s, simulator.base_url, mode="offline")
    issued = issue(ctx, company_nip=NIP, xml=bad, check=False)  # past our own check: KSeF must refuse it
    assert issued.offline_kind == "offline"
    with ctx.db.transaction() as s:
        end_outage(s, simulator.base_url)
    _drain(ctx)
    with ctx.db.transaction() as s:
        invoice = s.get(Invoice, issued.invoice_id)
        assert invoice is not None and invoice.status == states.REJECTED and invoice.offline_mode
    return issued.invoice_id, bad, good


def test_a_rejected_offline_invoice_is_corrected_and_linked_to_its_first_file(
    simulator: SimulatorServer, tmp_path: Path
) -> None:
    ctx = engine(tmp_path, simulator)
    invoice_id, bad, good = _rejected_offline(ctx, simulator)
    corrected = correct_rejected_offline(ctx, company_nip=NIP, invoice_id=invoice_id, xml=good, actor="test")
    assert (corrected.invoice_id, corrected.status, corrected.sha256) == (
        invoice_id,
        states.OFFLINE,
        sha256_b64(good),
    )
    _drain(ctx)
    with ctx.db.transaction() as s:
        invoice = s.get(Invoice, invoice_id)
        assert invoice is not None
        assert invoice.status == states.ACCEPTED and invoice.ksef_number
        assert (invoice.corrected_hash, invoice.corrected_xml, invoice.xml) == (sha256_b64(bad), bad, good)
        # the list's columns are the new file's (the rejected one had no P_15: no gross)
        described = repo.summary_columns(read_document(good).summary)
        assert {column: getattr(invoice, column) for column in described} == described
        assert invoice.gross is not None and invoice.net is not None
        assert repo.upo_for(s, invoice_id) is not None
        actions = [a.action for a in s.scalars(select(AuditEntry).where(AuditEntry.invoice_id == invoice_id))]
        assert "invoice.technical_correction" in actions
        ksef_number = invoice.ksef_number
    # KSeF knows the correction as an offline invoice linked to the rejected file's hash
    remote = [doc for doc in simulator.sim.state.all("invoice") if doc.get("ksefNumber") == ksef_number]
    assert len(remote) == 1
    assert remote[0]["hashOfCorrectedInvoice"] == sha256_b64(bad) and remote[0]["offlineMode"] is True


def test_what_a_technical_correction_refuses(simulator: SimulatorServer, tmp_path: Path) -> None:
    ctx = engine(tmp_path, simulator)
    invoice_id, bad, good = _rejected_offline(ctx, simulator)
    with pytest.raises(EngineError, match="identyczny"):
        correct_rejected_offline(ctx, company_nip=NIP, invoice_id=invoice_id, xml=bad)
    other_number = good.replace(b"<P_2>", b"<P_2>X", 1)
    with pytest.raises(EngineError, match="numer faktury"):
        correct_rejected_offline(ctx, company_nip=NIP, invoice_id=invoice_id, xml=other_number)
    with pytest.raises(InvoiceValidationError):
        correct_rejected_offline(ctx, company_nip=NIP, invoice_id=invoice_id, xml=_without_p15(good) + b" ")
    with pytest.raises(EngineError, match="nie wystawiła"):
        correct_rejected_offline(ctx, company_nip=NIP, invoice_id=invoice_id + 100, xml=good)
    with ctx.db.transaction() as s:  # nothing changed by the refusals
        invoice = s.get(Invoice, invoice_id)
        assert invoice is not None and invoice.status == states.REJECTED and invoice.corrected_hash is None
        entry = s.scalar(select(OutboxEntry).where(OutboxEntry.invoice_id == invoice_id))
        assert entry is not None and entry.state == states.REJECTED
    # an invoice sent online (not offline) that KSeF accepted cannot be "corrected" this way
    accepted = issue(ctx, company_nip=NIP, xml=sample_invoice())
    _drain(ctx)
    with pytest.raises(EngineError, match="nie jest fakturą offline odrzuconą"):
        correct_rejected_offline(ctx, company_nip=NIP, invoice_id=accepted.invoice_id, xml=sample_invoice())
