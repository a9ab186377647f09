"""Simulator benchmark: one batch session of 10,000 FA(3) invoices processed end to end.

The client side (packing, encrypting, uploading) is timed separately from the simulator's work:
after ``close`` the simulator decrypts the parts, checks the archive, unpacks it, and for every
invoice checks bytes, parses, validates against the FA(3) XSD, runs the semantic and duplicate
checks, assigns a KSeF number and stores it; the session UPO (10,000 documents) is built on
download. Run: ``python bench/bench_simulator.py [N]``.
"""

from __future__ import annotations

import io
import os
import sys
import time
import zipfile
from datetime import date
from pathlib import Path

import httpx

from fakturnik.ksef.crypto import SymmetricKey, aes_cbc_encrypt, b64, rsa_oaep_encrypt, sha256_b64
from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.mint import mint_session
from fakturnik.simulator.server import SimulatorServer

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("FAKTURNIK_SHARED_DIR", REPO.parent / "shared"))
os.environ.setdefault("FAKTURNIK_SCHEMA_DIR", str(SHARED / "ksef" / "faktury" / "schemy"))
TEMPLATE = SHARED / "fa3-samples" / "csharp-core__invoice-template-fa-3.xml"
SELLER = "5265877635"
FA3 = {"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"}
PART_SIZE = 100_000_000


def invoices(n: int) -> list[bytes]:
    """``n`` distinct invoices from the shared template (numbers BENCH/1..n, issued today)."""
    text = TEMPLATE.read_bytes()
    start, end = text.index(b"<P_2>") + 5, text.index(b"</P_2>")
    text = text.replace(b"<P_1>2025-09-01</P_1>", f"<P_1>{date.today().isoformat()}</P_1>".encode())
    head, tail = text[:start], text[end:]
    return [head + f"BENCH/{i}".encode() + tail for i in range(1, n + 1)]


def run_batch(n: int = 10_000) -> dict[str, float]:
    docs = invoices(n)
    with SimulatorServer(SimulatorConfig(rate_limits_enabled=False)) as server:
        tokens = mint_session(
            server.sim, context_type="Nip", context_value=SELLER, subject_type="Nip", subject_value=SELLER
        )
        bearer = {"Authorization": f"Bearer {tokens['accessToken']}"}
        http = httpx.Client(base_url=server.base_url, headers=bearer, timeout=600)
        t0 = time.perf_counter()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for i, doc in enumerate(docs, start=1):
                zf.writestr(f"{i:05d}.xml", doc)
        archive = buffer.getvalue()
        key = SymmetricKey.generate()
        chunks = [archive[i : i + PART_SIZE] for i in range(0, len(archive), PART_SIZE)]
        encrypted = [aes_cbc_encrypt(key, c) for c in chunks]
        pair = server.sim.keys.by_usage["SymmetricKeyEncryption"]
        opened = http.post(
            "/sessions/batch",
            json={
                "formCode": FA3,
                "batchFile": {
                    "fileSize": len(archive),
                    "fileHash": sha256_b64(archive),
                    "compressionType": "Zip",
                    "fileParts": [
                        {"ordinalNumber": i + 1, "fileSize": len(e), "fileHash": sha256_b64(e)}
                        for i, e in enumerate(encrypted)
                    ],
                },
                "encryption": {
                    "encryptedSymmetricKey": b64(rsa_oaep_encrypt(pair.certificate, key.key)),
                    "initializationVector": b64(key.iv),
                },
            },
        ).json()
        for req in opened["partUploadRequests"]:
            r = httpx.put(req["url"], headers=req["headers"], content=encrypted[req["ordinalNumber"] - 1])
            assert r.status_code == 201, r.text
        ref = opened["referenceNumber"]
        t1 = time.perf_counter()
        cpu1 = time.process_time()
        assert http.post(f"/sessions/batch/{ref}/close").status_code == 204
        while True:
            status = http.get(f"/sessions/{ref}").json()
            if status["status"]["code"] not in (100, 150):
                break
            time.sleep(0.05)
        t2 = time.perf_counter()
        cpu2 = time.process_time()
        assert status["status"]["code"] == 200, status
        assert status["successfulInvoiceCount"] == n, status
        upo = httpx.get(status["upo"]["pages"][0]["downloadUrl"])
        assert upo.status_code == 200
        t3 = time.perf_counter()
        http.close()
    return {
        "client": t1 - t0,
        "processing": t2 - t1,
        "processing_cpu": cpu2 - cpu1,
        "upo": t3 - t2,
        "archive_mb": len(archive) / 1e6,
        "n": n,
    }


def run_online(n: int = 500) -> float:
    """Seconds to send ``n`` invoices one by one in an online session until every one is decided."""
    docs = invoices(n)
    with SimulatorServer(SimulatorConfig(rate_limits_enabled=False)) as server:
        tokens = mint_session(
            server.sim, context_type="Nip", context_value=SELLER, subject_type="Nip", subject_value=SELLER
        )
        bearer = {"Authorization": f"Bearer {tokens['accessToken']}"}
        http = httpx.Client(base_url=server.base_url, headers=bearer, timeout=60)
        key = SymmetricKey.generate()
        pair = server.sim.keys.by_usage["SymmetricKeyEncryption"]
        t0 = time.perf_counter()
        encryption = {
            "encryptedSymmetricKey": b64(rsa_oaep_encrypt(pair.certificate, key.key)),
            "initializationVector": b64(key.iv),
        }
        ref = http.post("/sessions/online", json={"formCode": FA3, "encryption": encryption}).json()[
            "referenceNumber"
        ]
        for doc in docs:
            enc = aes_cbc_encrypt(key, doc)
            body = {
                "invoiceHash": sha256_b64(doc),
                "invoiceSize": len(doc),
                "encryptedInvoiceHash": sha256_b64(enc),
                "encryptedInvoiceSize": len(enc),
                "encryptedInvoiceContent": b64(enc),
            }
            assert http.post(f"/sessions/online/{ref}/invoices", json=body).status_code == 202
        assert http.post(f"/sessions/online/{ref}/close").status_code == 204
        while http.get(f"/sessions/{ref}").json()["status"]["code"] in (100, 170):
            time.sleep(0.02)
        elapsed = time.perf_counter() - t0
        http.close()
    return elapsed


def run() -> list[dict[str, object]]:
    n = int(os.environ.get("FAKTURNIK_BENCH_SIM_N", "10000"))
    result = run_batch(n)
    processed = result["n"] / result["processing"]
    end_to_end = result["n"] / (result["client"] + result["processing"] + result["upo"])
    online_n = 500
    online = run_online(online_n)
    return [
        {
            "name": f"simulator: batch of {n:,} invoices processed",
            "value": round(processed, 1),
            "unit": "invoices/s",
            "notes": (
                f"close → status 200 in {result['processing']:.1f} s: decrypt, unzip, XSD, checks, "
                f"KSeF number, store; one worker thread (archive {result['archive_mb']:.1f} MB)"
            ),
        },
        {
            "name": f"simulator: batch of {n:,} invoices per CPU-second",
            "value": round(result["n"] / result["processing_cpu"], 1),
            "unit": "invoices/s",
            "notes": (
                f"{result['processing_cpu']:.1f} s of process CPU time from close to status 200 "
                "(stable when other work shares the machine; the wall-clock row above is not)"
            ),
        },
        {
            "name": f"simulator: batch of {n:,} invoices end to end",
            "value": round(end_to_end, 1),
            "unit": "invoices/s",
            "notes": (
                f"pack+encrypt+upload {result['client']:.1f} s, processing {result['processing']:.1f} s, "
                f"session UPO download {result['upo']:.1f} s"
            ),
        },
        {
            "name": f"simulator: {online_n} invoices sent online one by one",
            "value": round(online_n / online, 1),
            "unit": "invoices/s",
            "notes": "open, send (HTTP + encryption per invoice), close, wait for status 200; no rate limits",
        },
    ]


if __name__ == "__main__":
    if len(sys.argv) > 1:
        os.environ["FAKTURNIK_BENCH_SIM_N"] = sys.argv[1]
    for row in run():
        print(f"{row['name']}: {row['value']} {row['unit']} ({row['notes']})")
