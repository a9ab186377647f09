"""Batch sending: archive, split, encrypt, parallel upload, close, results; crash and resume."""

from __future__ import annotations

import io
import json
import stat
import tarfile
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from fakturnik.base.ksef_numbers import is_valid_ksef_number
from fakturnik.errors import KsefProcessingError
from fakturnik.ksef import crypto
from fakturnik.ksef import models as m
from fakturnik.ksef.batch import (
    STATE_FILE,
    BatchSender,
    BatchState,
    StateFile,
    part_count,
    read_state,
    write_archive,
)
from fakturnik.ksef.client import KsefClient
from fakturnik.ksef.sessions import InvoiceOutcome, Poller, PublicKeys
from tests.ksef.clientkit import InvoiceFactory, client_for, random_nip

FAST = Poller(timeout=120, initial=0.05, maximum=0.5)


class Crash(Exception):
    """Stands for the process dying at that point."""


class CrashingClient(KsefClient):
    """A client that 'dies' at a chosen point: after N part uploads, or right after close/open lands."""

    def __init__(
        self, inner: KsefClient, *, uploads_before_crash: int | None = None, crash_after: str = ""
    ) -> None:
        super().__init__(inner.transport)
        self.uploads_left = uploads_before_crash
        self.crash_after = crash_after

    def upload_batch_part(self, upload: m.PartUploadRequest, encrypted_part: bytes) -> None:
        if self.uploads_left is not None:
            if self.uploads_left <= 0:
                raise Crash("crash during upload")
            self.uploads_left -= 1
        super().upload_batch_part(upload, encrypted_part)

    def close_batch_session(self, reference_number: str) -> None:
        super().close_batch_session(reference_number)
        if self.crash_after == "close":
            raise Crash("crash after close landed")

    def open_batch_session(self, request: m.OpenBatchSessionRequest) -> m.OpenBatchSessionResponse:
        opened = super().open_batch_session(request)
        if self.crash_after == "open":
            raise Crash("crash before the open was recorded")
        return opened


# --- local parts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("compression", ["Zip", "TarGz"])
def test_archive_records_every_invoice_hash(tmp_path: Path, compression: Any) -> None:
    invoices = [(f"{i}.xml", f"<x>{i}</x>".encode()) for i in range(20)]
    entries = write_archive(invoices, tmp_path / "a", compression)
    assert [e.fileName for e in entries] == [n for n, _ in invoices]
    assert [e.sha256 for e in entries] == [crypto.sha256_b64(x) for _, x in invoices]
    data = (tmp_path / "a").read_bytes()
    if compression == "Zip":
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            assert zf.read("3.xml") == b"<x>3</x>"
    else:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tf:
            f = tf.extractfile("3.xml")
            assert f is not None and f.read() == b"<x>3</x>"


def test_archive_refuses_duplicate_or_unsafe_names(tmp_path: Path) -> None:
    with pytest.raises(KsefProcessingError):
        write_archive([("a.xml", b"1"), ("a.xml", b"2")], tmp_path / "a", "Zip")
    with pytest.raises(KsefProcessingError):
        write_archive([("../a.xml", b"1")], tmp_path / "b", "Zip")


def test_part_count() -> None:
    assert part_count(1, 100) == 1
    assert part_count(100, 100) == 1
    assert part_count(101, 100) == 2
    assert part_count(10**8 * 3, 10**8) == 3


def test_prepare_splits_encrypts_and_keeps_no_key(simulator: Any, tmp_path: Path) -> None:
    nip = random_nip()
    client = client_for(simulator, nip)
    sender = BatchSender(client, tmp_path / "b", poller=FAST)
    state = sender.prepare(InvoiceFactory(nip).many(40), part_size=3000)
    assert len(state.parts) == part_count(state.archiveSize, 3000) > 3
    key = sender._key
    assert key is not None
    # binary split + per-part encryption: decrypt and concatenate gives back the declared archive
    plain = b"".join(crypto.aes_cbc_decrypt(key, (tmp_path / "b" / p.file).read_bytes()) for p in state.parts)
    assert len(plain) == state.archiveSize and crypto.sha256_b64(plain) == state.archiveHash
    for p in state.parts:
        enc = (tmp_path / "b" / p.file).read_bytes()
        assert p.fileSize == len(enc) and p.fileHash == crypto.sha256_b64(enc)
    # the state file: no AES key in clear, only the RSA-wrapped form, readable by the owner only
    raw = (tmp_path / "b" / "batch-state.json").read_text()
    for secret in (crypto.b64(key.key), key.key.hex(), crypto.b64url_nopad(key.key)):
        assert secret not in raw
    assert json.loads(raw)["encryption"]["encryptedSymmetricKey"]
    assert stat.S_IMODE((tmp_path / "b" / "batch-state.json").stat().st_mode) == 0o600
    assert "key" not in repr(sender).lower()
    with pytest.raises(KsefProcessingError):
        sender.prepare([("x.xml", b"<x/>")])  # the directory already holds a batch


# --- against the simulator ---------------------------------------------------------------------------


@pytest.mark.parametrize("compression", ["Zip", "TarGz"])
def test_batch_end_to_end(simulator: Any, tmp_path: Path, compression: Any) -> None:
    nip = random_nip()
    client = client_for(simulator, nip)
    invoices = InvoiceFactory(nip).many(30)
    events: list[tuple[str, int, int]] = []
    sender = BatchSender(client, tmp_path / "b", poller=FAST, progress=lambda *e: events.append(e))
    result = sender.send(invoices, compression=compression, part_size=4000)
    assert result.status_code == 200
    assert not result.not_registered
    assert set(result.ksef_numbers) == {n for n, _ in invoices}
    assert all(is_valid_ksef_number(k) for k in result.ksef_numbers.values())
    by_hash = result.by_hash()
    assert all(crypto.sha256_b64(xml) in by_hash for _, xml in invoices)
    assert ("upload", len(read_state(tmp_path / "b").parts), len(read_state(tmp_path / "b").parts)) in events
    assert read_state(tmp_path / "b").stage == "done"
    assert not list((tmp_path / "b").glob("*.aes"))


def test_batch_with_a_bad_invoice_reports_it(simulator: Any, tmp_path: Path) -> None:
    nip = random_nip()
    invoices = [*InvoiceFactory(nip).many(3), ("broken.xml", b"<Faktura/>")]
    result = BatchSender(client_for(simulator, nip), tmp_path / "b", poller=FAST).send(invoices)
    assert result.status_code == 200
    assert result.not_registered == ["broken.xml"]
    assert result.outcomes["broken.xml"].status_code >= 400


def test_crash_during_upload_is_resumed_without_resending(simulator: Any, tmp_path: Path) -> None:
    nip = random_nip()
    invoices = InvoiceFactory(nip).many(30)
    crashing = CrashingClient(client_for(simulator, nip), uploads_before_crash=2)
    sender = BatchSender(crashing, tmp_path / "b", poller=FAST, upload_threads=1)
    with pytest.raises(Crash):
        sender.send(invoices, part_size=4000)
    state = read_state(tmp_path / "b")
    assert state.stage == "opened" and sum(p.uploaded for p in state.parts) == 2
    # a new process: no key in memory, only the state file
    result = BatchSender(client_for(simulator, nip), tmp_path / "b", poller=FAST).resume()
    assert result.session_reference_number == state.sessionReferenceNumber
    assert not result.not_registered and len(result.ksef_numbers) == 30


def test_crash_after_close_landed_is_reconciled(simulator: Any, tmp_path: Path) -> None:
    nip = random_nip()
    invoices = InvoiceFactory(nip).many(5)
    crashing = CrashingClient(client_for(simulator, nip), crash_after="close")
    with pytest.raises(Crash):
        BatchSender(crashing, tmp_path / "b", poller=FAST).send(invoices)
    assert read_state(tmp_path / "b").stage == "closing"
    result = BatchSender(client_for(simulator, nip), tmp_path / "b", poller=FAST).resume()
    assert len(result.ksef_numbers) == 5
    # only one batch session was ever opened: nothing was sent twice
    batch_sessions = client_for(simulator, nip).list_sessions("Batch", page_size=10).sessions
    assert len(batch_sessions) == 1


def test_crash_before_open_was_recorded_opens_a_fresh_session(simulator: Any, tmp_path: Path) -> None:
    nip = random_nip()
    invoices = InvoiceFactory(nip).many(5)
    crashing = CrashingClient(client_for(simulator, nip), crash_after="open")
    with pytest.raises(Crash):
        BatchSender(crashing, tmp_path / "b", poller=FAST).send(invoices)
    assert read_state(tmp_path / "b").stage == "opening"
    result = BatchSender(client_for(simulator, nip), tmp_path / "b", poller=FAST).resume()
    assert len(result.ksef_numbers) == 5  # the orphan session got no parts and registers nothing


def test_resume_of_a_finished_batch_only_reads_the_state(simulator: Any, tmp_path: Path) -> None:
    nip = random_nip()
    client = client_for(simulator, nip)
    first = BatchSender(client, tmp_path / "b", poller=FAST).send(InvoiceFactory(nip).many(3))
    before = simulator.sim.stats.as_json()["total"]
    again = BatchSender(client, tmp_path / "b", poller=FAST, public_keys=PublicKeys(client)).resume()
    assert again.ksef_numbers == first.ksef_numbers
    assert simulator.sim.stats.as_json()["total"] == before


def test_state_file_keeps_each_outcome_in_camel_case_without_the_upo_link(tmp_path: Path) -> None:
    """The state file's outcomes are ``InvoiceOutcome`` in camelCase; a file written before reads back."""
    written = {  # one outcome as the state file has always spelled it
        "fileName": "a.xml",
        "invoiceHash": "h" * 44,
        "statusCode": 200,
        "description": "Sukces",
        "ksefNumber": "5265877635-20260101-0100001D2F6B-4A",
        "invoiceNumber": "FV/1",
        "referenceNumber": "20260101-EE-0000000001-01",
        "details": [],
        "extensions": {},
        "sameFile": None,
    }
    state = BatchState(
        formCode=m.FormCode(systemCode="FA (3)", schemaVersion="1-0E", value="FA"),
        compression="Zip",
        archiveSize=1,
        archiveHash="x" * 44,
        encryption=m.EncryptionInfo(encryptedSymmetricKey="k", initializationVector="iv"),
        parts=[],
        invoices=[],
        outcomes=[written],  # type: ignore[list-item]
    )
    outcome = state.outcomes[0]
    assert isinstance(outcome, InvoiceOutcome) and outcome.file_name == "a.xml" and outcome.accepted
    state.outcomes[0] = replace(outcome, upo_url="https://upo.example/signed?sig=1")
    StateFile(tmp_path).save(state)
    kept = json.loads((tmp_path / STATE_FILE).read_text())["outcomes"][0]
    assert kept == written  # the same keys and values (no upoUrl: a pre-signed link is not kept)
    assert read_state(tmp_path).outcomes == [outcome]


def test_upload_window_over_opens_a_fresh_session_for_the_same_parts(simulator: Any, tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    nip = random_nip()
    invoices = InvoiceFactory(nip).many(10)
    crashing = CrashingClient(client_for(simulator, nip), uploads_before_crash=1)
    with pytest.raises(Crash):
        BatchSender(crashing, tmp_path / "b", poller=FAST, upload_threads=1).send(invoices, part_size=2000)
    first_ref = read_state(tmp_path / "b").sessionReferenceNumber
    late = BatchSender(
        client_for(simulator, nip),
        tmp_path / "b",
        poller=FAST,
        now=lambda: datetime.now(UTC) + timedelta(days=1),
    )
    result = late.resume()
    state = read_state(tmp_path / "b")
    assert state.abandonedSessions == [first_ref]
    assert result.session_reference_number != first_ref
    assert len(result.ksef_numbers) == 10


def test_part_size_is_capped_at_ten_to_the_eighth(simulator: Any, tmp_path: Path) -> None:
    client = client_for(simulator, random_nip())
    with pytest.raises(ValueError):
        BatchSender(client, tmp_path / "b").prepare([("a.xml", b"<a/>")], part_size=10**8 + 1)
    with pytest.raises(KsefProcessingError):
        BatchSender(client, tmp_path / "c").prepare([])
