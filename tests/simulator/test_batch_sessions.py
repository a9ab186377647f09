"""Batch sessions over real HTTP: parts, pre-signed uploads, close, archive checks (digest §14.4)."""

from __future__ import annotations

import io
import tarfile
import zipfile
from datetime import timedelta
from typing import Any

import httpx
import pytest
from lxml import etree

from fakturnik.ksef.crypto import aes_cbc_encrypt, b64, sha256_b64
from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.server import SimulatorServer, free_port
from fakturnik.simulator.session_store import iso
from tests.simulator.sessions_kit import (
    FA3,
    OTHER_NIP,
    Ksef,
    edit_session,
    encryption_block,
    error_code,
    make_invoice,
    nip,
    pack,
    upo_schema,
)

NIP_OFFSET = 200_000  # NIPs of their own, apart from the other modules'


def _files(ksef: Ksef, n: int, prefix: str = "B") -> dict[str, bytes]:
    return {f"faktura-{i}.xml": make_invoice(ksef.nip, f"{prefix}/{i}") for i in range(1, n + 1)}


@pytest.mark.parametrize(("compression", "parts"), [("Zip", 1), ("TarGz", 3)])
def test_batch_happy_path(ksef: Ksef, compression: str, parts: int) -> None:
    files = _files(ksef, 12, compression)
    ref, final = ksef.batch(files, compression, parts)
    assert final["status"]["code"] == 200
    assert (final["invoiceCount"], final["successfulInvoiceCount"], final["failedInvoiceCount"]) == (
        12,
        12,
        0,
    )
    invoices = ksef.all_invoices(ref)
    assert {i["invoiceFileName"] for i in invoices} == set(files)
    opened = ksef.http.get(f"/sessions/{ref}").json()
    for inv in invoices:
        assert inv["status"]["code"] == 200
        assert inv["invoiceHash"] == sha256_b64(files[inv["invoiceFileName"]])
        assert inv["invoicingDate"] == opened["dateCreated"]
    page = final["upo"]["pages"][0]
    upo = httpx.get(page["downloadUrl"])
    assert upo.status_code == 200
    doc = etree.fromstring(upo.content)
    schema = upo_schema()
    assert schema.validate(doc), schema.error_log
    ns = {"u": "http://upo.schematy.mf.gov.pl/KSeF/v4-3"}
    assert len(doc.findall("u:Dokument", ns)) == 12


def test_mixed_batch_is_200_with_failed_listing(ksef: Ksef) -> None:
    files = _files(ksef, 3)
    files["obca.xml"] = make_invoice(OTHER_NIP, "X/1")
    files["zla.xml"] = b"<not-an-invoice/>"
    ref, final = ksef.batch(files)
    assert final["status"]["code"] == 200
    assert (final["successfulInvoiceCount"], final["failedInvoiceCount"]) == (3, 2)
    failed = {i["invoiceFileName"]: i["status"]["code"] for i in ksef.all_invoices(ref, failed=True)}
    assert failed == {"obca.xml": 410, "zla.xml": 430}


def test_all_bad_is_445_and_empty_is_440(ksef: Ksef) -> None:
    _, final = ksef.batch({"a.xml": make_invoice(OTHER_NIP, "Z/1")})
    assert final["status"]["code"] == 445
    _, final = ksef.batch({})
    assert final["status"]["code"] == 440


def test_duplicates_inside_one_batch(ksef: Ksef) -> None:
    ref, _ = ksef.batch({"a.xml": make_invoice(ksef.nip, "D/1"), "b.xml": make_invoice(ksef.nip, "D/1")})
    codes = sorted(i["status"]["code"] for i in ksef.all_invoices(ref))
    assert codes == [200, 440]


def _open(ksef: Ksef, archive: bytes, parts: int = 1) -> tuple[dict[str, Any], list[bytes]]:
    r, encrypted = ksef.open_batch(archive, parts)
    assert r.status_code == 201, r.text
    return r.json(), encrypted


def test_bad_part_hash_is_405(ksef: Ksef) -> None:
    archive = pack(_files(ksef, 2))
    encrypted = [aes_cbc_encrypt(ksef.key, archive)]
    body = {
        "formCode": FA3,
        "batchFile": {
            "fileSize": len(archive),
            "fileHash": sha256_b64(archive),
            "fileParts": [{"ordinalNumber": 1, "fileSize": len(encrypted[0]), "fileHash": sha256_b64(b"x")}],
        },
        "encryption": encryption_block(ksef.server, ksef.key),
    }
    opened = ksef.http.post("/sessions/batch", json=body).json()
    ksef.upload(opened, encrypted)
    ref = opened["referenceNumber"]
    assert ksef.http.post(f"/sessions/batch/{ref}/close").status_code == 204
    assert ksef.final(ref)["status"]["code"] == 405


def test_archive_hash_mismatch_is_405(ksef: Ksef) -> None:
    archive = pack(_files(ksef, 1))
    encrypted = aes_cbc_encrypt(ksef.key, archive)
    body = {
        "formCode": FA3,
        "batchFile": {
            "fileSize": len(archive),
            "fileHash": sha256_b64(archive + b"!"),
            "fileParts": [
                {"ordinalNumber": 1, "fileSize": len(encrypted), "fileHash": sha256_b64(encrypted)}
            ],
        },
        "encryption": encryption_block(ksef.server, ksef.key),
    }
    opened = ksef.http.post("/sessions/batch", json=body).json()
    ksef.upload(opened, [encrypted])
    ksef.http.post(f"/sessions/batch/{opened['referenceNumber']}/close")
    assert ksef.final(opened["referenceNumber"])["status"]["code"] == 405


def _run_raw(ksef: Ksef, archive: bytes, compression: str = "Zip") -> dict[str, Any]:
    r, encrypted = ksef.open_batch(archive, 1, compression)
    ksef.upload(r.json(), encrypted)
    ref = r.json()["referenceNumber"]
    assert ksef.http.post(f"/sessions/batch/{ref}/close").status_code == 204
    return ksef.final(ref)


def test_corrupt_archive_and_path_tricks_are_430(ksef: Ksef) -> None:
    assert _run_raw(ksef, b"this is not a zip file at all")["status"]["code"] == 430
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("../../etc/evil.xml", make_invoice(ksef.nip, "P/1"))
    assert _run_raw(ksef, buffer.getvalue())["status"]["code"] == 430
    tar_buffer = io.BytesIO()
    with tarfile.open(fileobj=tar_buffer, mode="w:gz") as tar:
        link = tarfile.TarInfo("link.xml")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        tar.addfile(link)
    assert _run_raw(ksef, tar_buffer.getvalue(), "TarGz")["status"]["code"] == 430


def test_zip_bomb_member_is_cut_and_rejected(ksef: Ksef) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bomb.xml", b"<a>" + b" " * 50_000_000 + b"</a>")
        zf.writestr("ok.xml", make_invoice(ksef.nip, "BOMB/1"))
    assert len(buffer.getvalue()) < 1_000_000
    final = _run_raw(ksef, buffer.getvalue())
    assert final["status"]["code"] == 200
    assert final["failedInvoiceCount"] == 1


def _set_limits(ksef: Ksef, max_invoices: int, size_mb: int = 1) -> None:
    limits = {
        "maxInvoices": max_invoices,
        "maxInvoiceSizeInMB": size_mb,
        "maxInvoiceWithAttachmentSizeInMB": 3,
    }
    r = ksef.http.post(
        "/testdata/limits/context/session", json={"onlineSession": limits, "batchSession": limits}
    )
    assert r.status_code == 200, r.text


def test_too_many_invoices_is_420(ksef: Ksef) -> None:
    _set_limits(ksef, 2)
    assert _run_raw(ksef, pack(_files(ksef, 3)))["status"]["code"] == 420
    assert _run_raw(ksef, pack(_files(ksef, 2, "OK")))["status"]["code"] == 200


def test_context_size_limit_applies_to_each_invoice(ksef: Ksef) -> None:
    _set_limits(ksef, 10, size_mb=0)
    final = _run_raw(ksef, pack(_files(ksef, 1)))
    assert final["status"]["code"] == 445


def test_open_checks_part_count_and_size(ksef: Ksef) -> None:
    def body(parts: list[dict[str, object]]) -> dict[str, object]:
        return {
            "formCode": FA3,
            "batchFile": {"fileSize": 100, "fileHash": sha256_b64(b"a"), "fileParts": parts},
            "encryption": encryption_block(ksef.server, ksef.key),
        }

    part = {"ordinalNumber": 1, "fileSize": 16, "fileHash": sha256_b64(b"p")}
    many = [{**part, "ordinalNumber": i} for i in range(1, 52)]
    r = ksef.http.post("/sessions/batch", json=body(many))
    assert r.status_code == 400 and error_code(r) == 21161
    r = ksef.http.post("/sessions/batch", json=body([]))
    assert r.status_code == 400 and error_code(r) == 21161
    r = ksef.http.post("/sessions/batch", json=body([{**part, "fileSize": 100_000_100}]))
    assert r.status_code == 400 and error_code(r) == 21157
    pef = {"systemCode": "PEF (3)", "schemaVersion": "2-1", "value": "PEF"}
    r = ksef.http.post("/sessions/batch", json={**body([part]), "formCode": pef})
    assert r.status_code == 400 and error_code(r) == 21405


def test_close_checks_missing_part_and_size(ksef: Ksef) -> None:
    archive = pack(_files(ksef, 4))
    opened, encrypted = _open(ksef, archive, parts=2)
    ref = opened["referenceNumber"]
    uploads = opened["partUploadRequests"]
    first = uploads[0]
    assert httpx.put(first["url"], headers=first["headers"], content=encrypted[0]).status_code == 201
    r = ksef.http.post(f"/sessions/batch/{ref}/close")
    assert r.status_code == 400 and error_code(r) == 21205
    second = uploads[1]
    assert httpx.put(second["url"], headers=second["headers"], content=encrypted[1][:-16]).status_code == 201
    r = ksef.http.post(f"/sessions/batch/{ref}/close")
    assert r.status_code == 400 and error_code(r) == 21157
    assert httpx.put(second["url"], headers=second["headers"], content=encrypted[1]).status_code == 201
    assert ksef.http.post(f"/sessions/batch/{ref}/close").status_code == 204
    assert ksef.final(ref)["status"]["code"] == 200
    late = httpx.put(second["url"], headers=second["headers"], content=encrypted[1])
    assert late.status_code == 403


def test_upload_window_over_is_403_and_close_21208(ksef: Ksef, server: SimulatorServer) -> None:
    opened, encrypted = _open(ksef, pack(_files(ksef, 1)))
    ref = opened["referenceNumber"]
    edit_session(server, ref, dateCreated=iso(server.sim.now() - timedelta(minutes=21)))
    req = opened["partUploadRequests"][0]
    assert httpx.put(req["url"], headers=req["headers"], content=encrypted[0]).status_code == 403
    r = ksef.http.post(f"/sessions/batch/{ref}/close")
    assert r.status_code == 400 and error_code(r) == 21208
    status = ksef.session(ref)["status"]
    assert status["code"] == 440 and status["details"] == ["Przekroczono czas wysyłki"]


def test_tampered_upload_link_is_403(ksef: Ksef) -> None:
    opened, encrypted = _open(ksef, pack(_files(ksef, 1)))
    req = opened["partUploadRequests"][0]
    tampered = req["url"].replace("/1?", "/2?")
    assert httpx.put(tampered, content=encrypted[0]).status_code == 403


def test_upload_urls_use_public_url() -> None:
    port = free_port()
    config = SimulatorConfig(rate_limits_enabled=False, public_url=f"http://ksef-sim.localtest:{port}")
    with SimulatorServer(config, port=port) as srv:
        client = Ksef(srv, nip=nip(31337))
        r, _ = client.open_batch(pack({"a.xml": make_invoice(client.nip)}))
        assert r.json()["partUploadRequests"][0]["url"].startswith(f"http://ksef-sim.localtest:{port}/v2/")
        client.close()


def _open_raw(ksef: Ksef, archive: bytes, encrypted: bytes, encryption: dict[str, str]) -> str:
    body = {
        "formCode": FA3,
        "batchFile": {
            "fileSize": len(archive),
            "fileHash": sha256_b64(archive),
            "fileParts": [
                {"ordinalNumber": 1, "fileSize": len(encrypted), "fileHash": sha256_b64(encrypted)}
            ],
        },
        "encryption": encryption,
    }
    opened = ksef.http.post("/sessions/batch", json=body).json()
    ksef.upload(opened, [encrypted])
    ref: str = opened["referenceNumber"]
    assert ksef.http.post(f"/sessions/batch/{ref}/close").status_code == 204
    return ref


def test_part_that_cannot_be_decrypted_is_435(ksef: Ksef) -> None:
    archive = pack(_files(ksef, 1))
    garbage = aes_cbc_encrypt(ksef.key, archive)[:-1]  # not a whole number of AES blocks
    ref = _open_raw(ksef, archive, garbage, encryption_block(ksef.server, ksef.key))
    assert ksef.final(ref)["status"]["code"] == 435


def test_key_that_cannot_be_unwrapped_is_415(ksef: Ksef) -> None:
    archive = pack(_files(ksef, 1))
    encryption = encryption_block(ksef.server, ksef.key)
    encryption["encryptedSymmetricKey"] = encryption["encryptedSymmetricKey"][:-8] + "AAAAAAA="
    ref = _open_raw(ksef, archive, aes_cbc_encrypt(ksef.key, archive), encryption)
    assert ksef.final(ref)["status"]["code"] == 415


def test_expired_presigned_link_is_403(ksef: Ksef) -> None:
    from fakturnik.simulator import downloads

    _, final = ksef.batch(_files(ksef, 1))
    page = final["upo"]["pages"][0]["downloadUrl"]
    resource = page.split("/v2/storage/", 1)[1].split("?", 1)[0]
    expired, _ = downloads.signed_url(
        ksef.server.sim, ksef.server.root_url, resource, ttl=timedelta(seconds=-5)
    )
    assert httpx.get(page).status_code == 200
    assert httpx.get(expired).status_code == 403


def test_session_upo_is_paged(ksef: Ksef, monkeypatch: pytest.MonkeyPatch) -> None:
    from fakturnik.simulator import upo

    monkeypatch.setattr(upo, "PAGE_SIZE", 5)
    ref, final = ksef.batch(_files(ksef, 12, "PG"))
    pages = final["upo"]["pages"]
    assert len(pages) == 3
    schema = upo_schema()
    ns = {"u": "http://upo.schematy.mf.gov.pl/KSeF/v4-3"}
    seen: list[str] = []
    for number, page in enumerate(pages, start=1):
        r = ksef.http.get(f"/sessions/{ref}/upo/{page['referenceNumber']}")
        doc = etree.fromstring(r.content)
        assert schema.validate(doc), schema.error_log
        assert doc.findtext("u:OpisPotwierdzenia/u:Strona", namespaces=ns) == str(number)
        assert doc.findtext("u:OpisPotwierdzenia/u:CalkowitaLiczbaDokumentow", namespaces=ns) == "12"
        seen.extend(
            d.findtext("u:NumerKSeFDokumentu", namespaces=ns) or "" for d in doc.findall("u:Dokument", ns)
        )
    assert len(seen) == len(set(seen)) == 12
    unknown = ksef.http.get(f"/sessions/{ref}/upo/20260101-EU-0000000000-0000000000-00")
    assert unknown.status_code == 400 and error_code(unknown) == 21178


def test_batch_processing_resumes_after_an_interruption(ksef: Ksef, server: SimulatorServer) -> None:
    from fakturnik.simulator.batch import process_batch

    files = _files(ksef, 6, "RES")
    ref, final = ksef.batch(files)
    assert final["successfulInvoiceCount"] == 6
    # pretend the simulator stopped after the first invoices: undo the end, keep what was decided
    for ordinal in (4, 5, 6):
        key = f"{ref}/{ordinal:05d}"
        inv = server.sim.state.get("invoice", key)
        assert inv is not None
        server.sim.state.delete("invidx", f"dup:{ksef.nip}|VAT|{inv['invoiceNumber']}")
        server.sim.state.delete("invoice", key)
    doc = server.sim.state.get("session", ref)
    assert doc is not None
    doc["status"] = {"code": 150, "description": "Trwa przetwarzanie"}
    doc["key"] = b64(ksef.key.key)
    server.sim.state.put("session", ref, doc)
    archive = pack(files)
    for part in doc["batch"]["parts"]:
        server.sim.state.put_blob(f"part/{ref}/{part['ordinalNumber']}", aes_cbc_encrypt(ksef.key, archive))
    process_batch(server.sim, ref)
    resumed = ksef.session(ref)
    assert resumed["status"]["code"] == 200
    assert (resumed["successfulInvoiceCount"], resumed["failedInvoiceCount"]) == (6, 0)
    assert sorted(i["ordinalNumber"] for i in ksef.all_invoices(ref)) == [1, 2, 3, 4, 5, 6]
