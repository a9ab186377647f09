"""Retrieval: download, metadata paging with the 10,000 cap, exports (verify, decrypt, unpack), HWM sync."""

from __future__ import annotations

import io
import tarfile
import time
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fakturnik.errors import KsefApiError, KsefProcessingError
from fakturnik.ksef import crypto
from fakturnik.ksef import models as m
from fakturnik.ksef.exports import (
    Exporter,
    decrypt_part,
    hwm_filters,
    iter_metadata,
    next_checkpoint,
    unpack_archive,
)
from fakturnik.ksef.sessions import Poller, send_all
from fakturnik.ksef.throttle import Throttle
from tests.ksef.clientkit import InvoiceFactory, client_for, random_nip

FAST = Poller(timeout=60, initial=0.05, maximum=0.5)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _filters(subject: Any = "Subject2", start: datetime | None = None) -> m.InvoiceQueryFilters:
    return m.InvoiceQueryFilters(
        subjectType=subject,
        dateRange=m.InvoiceQueryDateRange(dateType="PermanentStorage", **{"from": start or T0}),
    )


def _send(simulator: Any, seller: str, buyer: str, count: int, prefix: str) -> dict[str, bytes]:
    factory = InvoiceFactory(seller, buyer_nip=buyer)
    xmls = [factory.make(f"{prefix}/{i}") for i in range(count)]
    _, outcomes = send_all(client_for(simulator, seller), xmls, poller=FAST)
    assert all(o.accepted for o in outcomes)
    return {o.ksef_number or "": xml for o, xml in zip(outcomes, xmls, strict=True)}


# --- pure parts --------------------------------------------------------------------------------------


def _metadata_row(n: int, when: datetime) -> dict[str, Any]:
    return {
        "ksefNumber": f"5265877635-20260101-{n:012X}-00",
        "invoiceNumber": f"F/{n}",
        "issueDate": "2026-01-01",
        "invoicingDate": when.isoformat(),
        "acquisitionDate": when.isoformat(),
        "permanentStorageDate": when.isoformat(),
        "seller": {"nip": "5265877635"},
        "buyer": {"identifier": {"type": "Nip", "value": "7352765225"}},
        "netAmount": 1,
        "grossAmount": 1.23,
        "vatAmount": 0.23,
        "currency": "PLN",
        "invoicingMode": "Online",
        "invoiceType": "Vat",
        "formCode": {"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"},
        "isSelfInvoicing": False,
        "hasAttachment": False,
        "invoiceHash": "x" * 44,
    }


class CappedMetadataServer:
    """The metadata query's paging contract in miniature: pages of 2, a cap of 4 rows per filter."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = [m.InvoiceMetadata.model_validate(r) for r in rows]
        self.calls: list[tuple[datetime, int]] = []

    def query_invoice_metadata(
        self, filters: m.InvoiceQueryFilters, *, sort_order: str, page_offset: int, page_size: int
    ) -> m.QueryInvoicesMetadataResponse:
        start = filters.dateRange.from_
        self.calls.append((start, page_offset))
        matching = [r for r in self.rows if r.permanentStorageDate >= start][:4]
        page = matching[page_offset * 2 : page_offset * 2 + 2]
        more_in_cap = len(matching) > page_offset * 2 + 2
        beyond_cap = len([r for r in self.rows if r.permanentStorageDate >= start]) > 4
        truncated = not more_in_cap and beyond_cap
        return m.QueryInvoicesMetadataResponse(
            hasMore=more_in_cap or truncated, isTruncated=truncated, invoices=page
        )


def test_metadata_paging_follows_the_cap_rule_and_dedupes() -> None:
    rows = [_metadata_row(i, T0 + timedelta(minutes=i)) for i in range(10)]
    server = CappedMetadataServer(rows)
    got = list(iter_metadata(server, _filters(), page_size=2))  # type: ignore[arg-type]
    assert [r.invoiceNumber for r in got] == [f"F/{i}" for i in range(10)]
    # after a truncated page: `from` = last row's date, pageOffset back to 0
    assert server.calls[:3] == [(T0, 0), (T0, 1), (T0 + timedelta(minutes=3), 0)]


def test_next_checkpoint_rules() -> None:
    hwm = T0 + timedelta(hours=5)
    last = T0 + timedelta(hours=2)
    full = m.InvoicePackage(invoiceCount=1, size=1, parts=[], isTruncated=False, permanentStorageHwmDate=hwm)
    cut = m.InvoicePackage(
        invoiceCount=1,
        size=1,
        parts=[],
        isTruncated=True,
        lastPermanentStorageDate=last,
        permanentStorageHwmDate=hwm,
    )
    assert next_checkpoint(full, T0) == hwm
    assert next_checkpoint(cut, T0) == last
    flt = hwm_filters("Subject1", T0, now=T0 + timedelta(days=30))
    assert m.dump(flt)["dateRange"] == {
        "dateType": "PermanentStorage",
        "from": "2026-01-01T00:00:00Z",
        "restrictToPermanentStorageHwmDate": True,
    }
    # a checkpoint older than 100 days: the window is capped so that the range stays valid
    capped = hwm_filters("Subject1", T0, now=T0 + timedelta(days=200))
    assert capped.dateRange.to == T0 + timedelta(days=99)


def test_unpack_refuses_traversal_and_unknown_formats() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../evil.xml", b"x")
    with pytest.raises(KsefProcessingError):
        unpack_archive(buf.getvalue())
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        info = tarfile.TarInfo("/etc/passwd")
        info.size = 1
        tf.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(KsefProcessingError):
        unpack_archive(buf.getvalue())
    with pytest.raises(KsefProcessingError):
        unpack_archive(b"not an archive")


def test_part_hash_mismatch_is_detected() -> None:
    key = crypto.SymmetricKey.generate()
    plain = b"abc" * 100
    enc = crypto.aes_cbc_encrypt(key, plain)
    part = m.InvoicePackagePart(
        ordinalNumber=1,
        partName="p-001.zip.aes",
        method="GET",
        url="http://x/",
        partSize=len(plain),
        partHash=crypto.sha256_b64(plain),
        encryptedPartSize=len(enc),
        encryptedPartHash=crypto.sha256_b64(enc),
        expirationDate=T0,
    )
    assert decrypt_part(key, part, enc) == plain
    with pytest.raises(KsefProcessingError, match="Skrót"):
        decrypt_part(key, part, enc[:-16] + bytes(16))
    with pytest.raises(KsefProcessingError):
        decrypt_part(
            crypto.SymmetricKey.generate(),
            part.model_copy(update={"encryptedPartHash": part.encryptedPartHash}),
            enc,
        )


# --- against the simulator ---------------------------------------------------------------------------


def test_download_by_ksef_number(simulator: Any) -> None:
    seller, buyer = random_nip(), random_nip()
    sent = _send(simulator, seller, buyer, 1, "D")
    number, xml = next(iter(sent.items()))
    doc = client_for(simulator, buyer).download_invoice(number)
    assert doc.content == xml
    assert doc.sha256_b64 in (None, crypto.sha256_b64(xml))
    with pytest.raises(KsefApiError) as err:
        client_for(simulator, buyer).download_invoice(f"{seller}-20260101-000000000000-00")
    assert err.value.status_code in (400, 404)


def test_metadata_query_against_the_simulator(simulator: Any) -> None:
    seller, buyer = random_nip(), random_nip()
    sent = _send(simulator, seller, buyer, 12, "M")
    rows = list(
        iter_metadata(
            client_for(simulator, buyer), _filters(start=datetime.now(UTC) - timedelta(days=1)), page_size=10
        )
    )
    assert {r.ksefNumber for r in rows} == set(sent)
    assert all(r.seller.nip == seller for r in rows)


@pytest.mark.parametrize("compression", ["Zip", "TarGz"])
def test_export_downloads_verifies_and_unpacks(simulator: Any, compression: Any) -> None:
    seller, buyer = random_nip(), random_nip()
    sent = _send(simulator, seller, buyer, 4, "E")
    package = Exporter(client_for(simulator, buyer), poller=FAST).export(
        _filters(start=datetime.now(UTC) - timedelta(days=1)), compression=compression
    )
    assert package.invoices == sent
    assert {r.ksefNumber for r in package.metadata} == set(sent)
    assert "key" not in repr(package).lower()


def test_only_metadata_export(simulator: Any) -> None:
    seller, buyer = random_nip(), random_nip()
    sent = _send(simulator, seller, buyer, 2, "O")
    package = Exporter(client_for(simulator, buyer), poller=FAST).export(
        _filters(start=datetime.now(UTC) - timedelta(days=1)), only_metadata=True
    )
    assert package.invoices == {}
    assert {r.ksefNumber for r in package.metadata} == set(sent)


def test_incremental_sync_with_hwm_and_dedupe(simulator: Any) -> None:
    seller, buyer = random_nip(), random_nip()
    first = _send(simulator, seller, buyer, 3, "S1")
    exporter = Exporter(client_for(simulator, buyer), poller=FAST)
    start = datetime.now(UTC) - timedelta(days=1)
    one = exporter.sync("Subject2", start)
    assert set(one.invoices) == set(first)
    assert one.checkpoint > start
    second = _send(simulator, seller, buyer, 2, "S2")
    seen = set(one.invoices)
    checkpoint = one.checkpoint
    for _ in range(5):  # an invoice stored after the HWM of one window shows up in the next one
        nxt = exporter.sync("Subject2", checkpoint)
        assert not set(nxt.invoices) & set(first)  # contiguous windows: the first ones never come back
        seen |= set(nxt.invoices)
        checkpoint = nxt.checkpoint
        if set(second) <= seen:
            break
        time.sleep(0.05)
    assert seen == set(first) | set(second)
    seller_view = Exporter(client_for(simulator, seller), poller=FAST).sync("Subject1", start)
    assert set(seller_view.invoices) == set(first) | set(second)


@pytest.mark.slow
def test_metadata_beyond_the_10000_cap_against_the_simulator(simulator: Any, tmp_path: Any) -> None:
    """10,050 received invoices: paging crosses the 10,000-row cap by moving `from`, each row once."""
    from fakturnik.ksef.batch import BatchSender

    seller, buyer = random_nip(), random_nip()
    factory = InvoiceFactory(seller, buyer_nip=buyer)
    sender_client = client_for(simulator, seller)
    results = {}
    for chunk, (start, count) in enumerate([(0, 10_000), (10_000, 50)]):
        invoices = [(f"C-{i:05d}.xml", factory.make(f"C/{i:05d}")) for i in range(start, start + count)]
        result = BatchSender(sender_client, tmp_path / f"b{chunk}", poller=FAST).send(invoices)
        assert not result.not_registered
        results.update(result.ksef_numbers)
    # 41 pages: far beyond the published 20 metadata queries per hour, so this client (like the
    # simulator here) runs without rate limits
    unthrottled = client_for(simulator, buyer, throttle=Throttle(enabled=False))
    rows = list(
        iter_metadata(unthrottled, _filters(start=datetime.now(UTC) - timedelta(days=1)), page_size=250)
    )
    assert len(rows) == 10_050
    assert {r.ksefNumber for r in rows} == set(results.values())
