"""Invoice exports: encrypted packages, parts, _metadata.json, truncation, HWM, limits (digest §12)."""

from __future__ import annotations

import io
import json
import tarfile
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from fakturnik.ksef.crypto import SymmetricKey, aes_cbc_decrypt, sha256_b64
from fakturnik.simulator import exports
from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.mint import mint_session
from fakturnik.simulator.server import SimulatorServer
from tests.simulator.sessions_kit import Ksef, encryption_block, error_code, make_invoice, nip, wait_for


@pytest.fixture(scope="module")
def world() -> Iterator[dict[str, Any]]:
    with SimulatorServer(SimulatorConfig(profile="test", rate_limits_enabled=False)) as server:
        seller = Ksef(server, nip=nip(7001))
        xmls = [make_invoice(seller.nip, f"E/{i:02d}") for i in range(1, 13)]
        _, invoices = seller.accept(*xmls)
        time.sleep(0.05)
        yield {"server": server, "seller": seller, "invoices": invoices, "xmls": xmls}
        seller.close()


def _request(
    client: Ksef, key: SymmetricKey, date_type: str = "PermanentStorage", **extra: Any
) -> dict[str, Any]:
    start = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    date_range: dict[str, Any] = {"dateType": date_type, "from": start}
    date_range.update(extra.pop("date_range", {}))
    return {
        "encryption": encryption_block(client.server, key),
        "filters": {"subjectType": "Subject1", "dateRange": date_range},
        **extra,
    }


def _export(client: Ksef, body: dict[str, Any]) -> dict[str, Any]:
    r = client.http.post("/invoices/exports", json=body)
    assert r.status_code == 201, r.text
    ref = r.json()["referenceNumber"]

    def done() -> dict[str, Any] | None:
        status = client.http.get(f"/invoices/exports/{ref}")
        assert status.status_code == 200, status.text
        body: dict[str, Any] = status.json()
        return body if body["status"]["code"] != 100 else None

    result: dict[str, Any] = wait_for(done)
    return result


def _unpack(status: dict[str, Any], key: SymmetricKey, compression: str = "Zip") -> dict[str, bytes]:
    plain = b""
    for part in sorted(status["package"]["parts"], key=lambda p: p["ordinalNumber"]):
        r = httpx.get(part["url"])  # pre-signed: no bearer
        assert r.status_code == 200
        assert sha256_b64(r.content) == part["encryptedPartHash"] == r.headers["x-ms-meta-hash"]
        assert len(r.content) == part["encryptedPartSize"]
        chunk = aes_cbc_decrypt(key, r.content)
        assert sha256_b64(chunk) == part["partHash"] and len(chunk) == part["partSize"]
        plain += chunk
    assert len(plain) == status["package"]["size"]
    if compression == "TarGz":
        with tarfile.open(fileobj=io.BytesIO(plain), mode="r:gz") as tar:
            return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]
    with zipfile.ZipFile(io.BytesIO(plain)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


@pytest.mark.parametrize("compression", ["Zip", "TarGz"])
def test_export_decrypts_unpacks_with_metadata(world: dict[str, Any], compression: str) -> None:
    seller, key = world["seller"], SymmetricKey.generate()
    status = _export(seller, _request(seller, key, compressionType=compression))
    assert status["status"]["code"] == 200
    package = status["package"]
    assert package["invoiceCount"] == 12 and package["isTruncated"] is False
    assert package["permanentStorageHwmDate"]
    assert package["parts"][0]["partName"].endswith(".zip.aes" if compression == "Zip" else ".tar.gz.aes")
    files = _unpack(status, key, compression)
    meta = json.loads(files.pop("_metadata.json"))
    by_number = {inv["ksefNumber"]: xml for inv, xml in zip(world["invoices"], world["xmls"], strict=True)}
    assert {name.removesuffix(".xml") for name in files} == set(by_number)
    for name, data in files.items():
        assert data == by_number[name.removesuffix(".xml")]
    assert {row["ksefNumber"] for row in meta["invoices"]} == set(by_number)
    assert all(row["seller"]["nip"] == seller.nip for row in meta["invoices"])


def test_only_metadata_and_several_parts(world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    seller, key = world["seller"], SymmetricKey.generate()
    monkeypatch.setattr(exports, "PART_SIZE", 2048)
    status = _export(seller, _request(seller, key))
    assert len(status["package"]["parts"]) > 1
    assert len(_unpack(status, key)) == 13
    only = _export(seller, _request(seller, SymmetricKey.generate(), onlyMetadata=True))
    assert only["package"]["invoiceCount"] == 12


def test_truncation_sets_last_dates(world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    seller, key = world["seller"], SymmetricKey.generate()
    monkeypatch.setattr(exports, "MAX_INVOICES", 5)
    status = _export(seller, _request(seller, key))
    package = status["package"]
    assert package["isTruncated"] and package["invoiceCount"] == 5
    meta = json.loads(_unpack(status, key)["_metadata.json"])
    assert package["lastPermanentStorageDate"] == meta["invoices"][-1]["permanentStorageDate"]
    invoicing = _export(seller, _request(seller, key, date_type="Invoicing"))["package"]
    assert invoicing["lastInvoicingDate"] and "permanentStorageHwmDate" not in invoicing


def test_hwm_restriction_gives_status_420(world: dict[str, Any]) -> None:
    seller = world["seller"]
    future = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    body = _request(
        seller,
        SymmetricKey.generate(),
        date_range={"from": future, "restrictToPermanentStorageHwmDate": True},
    )
    assert _export(seller, body)["status"]["code"] == 420


def test_key_that_cannot_be_unwrapped_gives_415(world: dict[str, Any]) -> None:
    seller = world["seller"]
    body = _request(seller, SymmetricKey.generate())
    body["encryption"]["encryptedSymmetricKey"] = (
        body["encryption"]["encryptedSymmetricKey"][:-8] + "AAAAAAA="
    )
    assert _export(seller, body)["status"]["code"] == 415


def test_unknown_export_is_21175(world: dict[str, Any]) -> None:
    r = world["seller"].http.get("/invoices/exports/20260101-EH-0000000000-0000000000-00")
    assert r.status_code == 400 and error_code(r) == 21175


def test_subject_type_not_allowed_for_context_is_21181(world: dict[str, Any]) -> None:
    server = world["server"]
    tokens = mint_session(
        server.sim,
        context_type="NipVatUe",
        context_value=f"{world['seller'].nip}-DE123456789",
        subject_type="Nip",
        subject_value=world["seller"].nip,
        permissions=["InvoiceRead"],
    )
    body = _request(world["seller"], SymmetricKey.generate())
    body["filters"]["subjectType"] = "Subject2"
    r = httpx.post(
        f"{server.base_url}/invoices/exports",
        json=body,
        headers={"Authorization": f"Bearer {tokens['accessToken']}"},
    )
    assert r.status_code == 400 and error_code(r) == 21181


def test_more_than_ten_running_exports_is_21182() -> None:
    with SimulatorServer(SimulatorConfig(rate_limits_enabled=False, processing_delay=30)) as server:
        client = Ksef(server, nip=nip(7100))
        for _ in range(10):
            r = client.http.post("/invoices/exports", json=_request(client, SymmetricKey.generate()))
            assert r.status_code == 201
        r = client.http.post("/invoices/exports", json=_request(client, SymmetricKey.generate()))
        assert r.status_code == 400 and error_code(r) == 21182
        client.close()


def test_status_is_gone_after_seven_days(world: dict[str, Any]) -> None:
    seller, server = world["seller"], world["server"]
    r = seller.http.post("/invoices/exports", json=_request(seller, SymmetricKey.generate()))
    ref = r.json()["referenceNumber"]
    wait_for(lambda: seller.http.get(f"/invoices/exports/{ref}").json()["status"]["code"] == 200)
    doc = server.sim.state.get("export", ref)
    assert doc is not None and doc["key"] is None
    doc["dateCreated"] = (datetime.now(UTC) - timedelta(days=8)).isoformat()
    server.sim.state.put("export", ref, doc)
    gone = seller.http.get(f"/invoices/exports/{ref}")
    assert gone.status_code == 410 and gone.json()["status"] == 410


def test_incremental_sync_through_the_hwm_sees_every_invoice_once() -> None:
    with SimulatorServer(SimulatorConfig(rate_limits_enabled=False)) as server:
        seller = Ksef(server, nip=nip(7200))
        checkpoint = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
        seen: list[str] = []
        for batch_no in range(3):
            seller.accept(*(make_invoice(seller.nip, f"INC/{batch_no}/{i}") for i in range(4)))
            time.sleep(0.05)
            key = SymmetricKey.generate()
            body = _request(
                seller, key, date_range={"from": checkpoint, "restrictToPermanentStorageHwmDate": True}
            )
            status = _export(seller, body)
            package = status["package"]
            meta = json.loads(_unpack(status, key)["_metadata.json"])
            assert len(meta["invoices"]) == 4  # only what arrived since the previous HWM
            seen.extend(row["ksefNumber"] for row in meta["invoices"] if row["ksefNumber"] not in seen)
            assert not package["isTruncated"]
            checkpoint = package["permanentStorageHwmDate"]
        assert len(seen) == 12 and len(set(seen)) == 12
        seller.close()
