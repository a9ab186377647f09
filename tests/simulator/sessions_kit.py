"""Test helpers for sessions, invoices and exports: sample invoices, an encrypting client, polling."""

from __future__ import annotations

import base64
import gzip
import io
import tarfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from lxml import etree

from fakturnik.base.warsaw import warsaw_today
from fakturnik.ksef.crypto import (
    SymmetricKey,
    aes_cbc_encrypt,
    b64,
    rsa_oaep_encrypt,
    sha256_b64,
)
from fakturnik.simulator.mint import mint_session
from fakturnik.simulator.server import SimulatorServer
from tests.conftest import SAMPLES_DIR, SHARED

FA3 = {"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"}
FA2 = {"systemCode": "FA (2)", "schemaVersion": "1-0E", "value": "FA"}
TEMPLATE = SAMPLES_DIR / "csharp-core__invoice-template-fa-3.xml"
UPO_XSD = SHARED / "ksef" / "faktury" / "upo" / "schemy" / "upo-v4-3.xsd"
SELLER = "5265877635"
OTHER_NIP = "1111111111"


def make_invoice(
    seller: str = SELLER,
    number: str = "FV/1/2026",
    issued: date | None = None,
    buyer: str | None = None,
    template: Path = TEMPLATE,
    kind: str | None = None,
) -> bytes:
    """A valid FA(3) invoice from a shared sample with seller NIP, number and dates replaced."""
    root = etree.fromstring(template.read_bytes())
    ns = {"f": etree.QName(root).namespace}
    root.find("f:Podmiot1/f:DaneIdentyfikacyjne/f:NIP", ns).text = seller  # type: ignore[union-attr]
    root.find("f:Fa/f:P_2", ns).text = number  # type: ignore[union-attr]
    root.find("f:Fa/f:P_1", ns).text = (issued or warsaw_today()).isoformat()  # type: ignore[union-attr]
    if buyer is not None:
        root.find("f:Podmiot2/f:DaneIdentyfikacyjne/f:NIP", ns).text = buyer  # type: ignore[union-attr]
    if kind is not None:
        root.find("f:Fa/f:RodzajFaktury", ns).text = kind  # type: ignore[union-attr]
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return data


def encryption_block(server: SimulatorServer, key: SymmetricKey) -> dict[str, str]:
    pair = server.sim.keys.by_usage["SymmetricKeyEncryption"]
    return {
        "encryptedSymmetricKey": b64(rsa_oaep_encrypt(pair.certificate, key.key)),
        "initializationVector": b64(key.iv),
        "publicKeyId": pair.public_key_id,
    }


def send_body(key: SymmetricKey, xml: bytes, **extra: Any) -> dict[str, Any]:
    enc = aes_cbc_encrypt(key, xml)
    return {
        "invoiceHash": sha256_b64(xml),
        "invoiceSize": len(xml),
        "encryptedInvoiceHash": sha256_b64(enc),
        "encryptedInvoiceSize": len(enc),
        "encryptedInvoiceContent": b64(enc),
        **extra,
    }


def edit_session(server: SimulatorServer, ref: str, **changes: Any) -> None:
    """Set fields of a stored session the way the simulator changes it: read, change and write under the
    state's lock (its processing thread updates the same document while invoices are decided)."""
    with server.sim.state.lock:
        doc = server.sim.state.get("session", ref)
        assert doc is not None
        doc.update(changes)
        server.sim.state.put("session", ref, doc)


def wait_for(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def pack(files: dict[str, bytes], compression: str = "Zip") -> bytes:
    """The archive of a batch; the same files always give the same bytes (no timestamps of now)."""
    buffer = io.BytesIO()
    if compression == "TarGz":
        with (
            gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz,
            tarfile.open(fileobj=gz, mode="w") as tar,
        ):
            for name, data in files.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    else:
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in files.items():
                entry = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
                zf.writestr(entry, data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


@dataclass
class Ksef:
    """A logged-in client of one simulator context (a NIP acting for itself unless told otherwise)."""

    server: SimulatorServer
    nip: str = SELLER
    permissions: list[str] | None = None
    key: SymmetricKey = field(default_factory=SymmetricKey.generate)
    subject: tuple[str, str] | None = None  # (type, value); default: the NIP itself

    def __post_init__(self) -> None:
        tokens = mint_session(
            self.server.sim,
            context_type="Nip",
            context_value=self.nip,
            subject_type=self.subject[0] if self.subject else "Nip",
            subject_value=self.subject[1] if self.subject else self.nip,
            permissions=self.permissions,
        )
        self.http = httpx.Client(
            base_url=self.server.base_url,
            headers={"Authorization": f"Bearer {tokens['accessToken']}"},
            timeout=60,
        )

    def close(self) -> None:
        self.http.close()

    # -- online ------------------------------------------------------------------------------------

    def open_online(self, form: dict[str, str] | None = None, **enc: str) -> httpx.Response:
        encryption = {**encryption_block(self.server, self.key), **enc}
        return self.http.post("/sessions/online", json={"formCode": form or FA3, "encryption": encryption})

    def online(self) -> str:
        r = self.open_online()
        assert r.status_code == 201, r.text
        ref: str = r.json()["referenceNumber"]
        return ref

    def send(self, ref: str, xml: bytes, **extra: Any) -> httpx.Response:
        return self.http.post(f"/sessions/online/{ref}/invoices", json=send_body(self.key, xml, **extra))

    def send_ok(self, ref: str, xml: bytes, **extra: Any) -> str:
        r = self.send(ref, xml, **extra)
        assert r.status_code == 202, r.text
        inv_ref: str = r.json()["referenceNumber"]
        return inv_ref

    def invoice(self, ref: str, inv_ref: str) -> dict[str, Any]:
        r = self.http.get(f"/sessions/{ref}/invoices/{inv_ref}")
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def decided(self, ref: str, inv_ref: str) -> dict[str, Any]:
        result: dict[str, Any] = wait_for(
            lambda: (lambda b: b if b["status"]["code"] not in (100, 150) else None)(
                self.invoice(ref, inv_ref)
            )
        )
        return result

    def session(self, ref: str) -> dict[str, Any]:
        r = self.http.get(f"/sessions/{ref}")
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def final(self, ref: str) -> dict[str, Any]:
        result: dict[str, Any] = wait_for(
            lambda: (lambda b: b if b["status"]["code"] not in (100, 150, 170) else None)(self.session(ref))
        )
        return result

    def close_online(self, ref: str) -> None:
        r = self.http.post(f"/sessions/online/{ref}/close")
        assert r.status_code == 204, r.text

    def accept(self, *xmls: bytes) -> tuple[str, list[dict[str, Any]]]:
        """Send invoices in a fresh online session, close it, return (session ref, decided invoices)."""
        ref = self.online()
        refs = [self.send_ok(ref, xml) for xml in xmls]
        done = [self.decided(ref, r) for r in refs]
        self.close_online(ref)
        self.final(ref)
        return ref, done

    # -- batch -------------------------------------------------------------------------------------

    def open_batch(
        self,
        archive: bytes,
        parts: int = 1,
        compression: str | None = "Zip",
        form: dict[str, str] | None = None,
    ) -> tuple[httpx.Response, list[bytes]]:
        size = -(-len(archive) // parts)
        chunks = [archive[i * size : (i + 1) * size] for i in range(parts)]
        encrypted = [aes_cbc_encrypt(self.key, c) for c in chunks]
        batch_file: dict[str, Any] = {
            "fileSize": len(archive),
            "fileHash": sha256_b64(archive),
            "fileParts": [
                {"ordinalNumber": i + 1, "fileSize": len(e), "fileHash": sha256_b64(e)}
                for i, e in enumerate(encrypted)
            ],
        }
        if compression:
            batch_file["compressionType"] = compression
        r = self.http.post(
            "/sessions/batch",
            json={
                "formCode": form or FA3,
                "batchFile": batch_file,
                "encryption": encryption_block(self.server, self.key),
            },
        )
        return r, encrypted

    def upload(self, opened: dict[str, Any], encrypted: list[bytes]) -> None:
        for req in opened["partUploadRequests"]:
            r = httpx.request(
                req["method"], req["url"], headers=req["headers"], content=encrypted[req["ordinalNumber"] - 1]
            )
            assert r.status_code == 201, r.text

    def batch(
        self, files: dict[str, bytes], compression: str = "Zip", parts: int = 1
    ) -> tuple[str, dict[str, Any]]:
        archive = pack(files, compression)
        r, encrypted = self.open_batch(archive, parts, compression)
        assert r.status_code == 201, r.text
        self.upload(r.json(), encrypted)
        ref: str = r.json()["referenceNumber"]
        close = self.http.post(f"/sessions/batch/{ref}/close")
        assert close.status_code == 204, close.text
        return ref, self.final(ref)

    def all_invoices(self, ref: str, failed: bool = False) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        token: str | None = None
        path = f"/sessions/{ref}/invoices/failed" if failed else f"/sessions/{ref}/invoices"
        while True:
            headers = {"x-continuation-token": token} if token else {}
            r = self.http.get(path, params={"pageSize": 1000}, headers=headers)
            assert r.status_code == 200, r.text
            out.extend(r.json()["invoices"])
            token = r.json().get("continuationToken")
            if not token:
                return out


def error_code(response: httpx.Response) -> int:
    body = response.json()
    code: int = body["exception"]["exceptionDetailList"][0]["exceptionCode"]
    return code


def b64decode(text: str) -> bytes:
    return base64.b64decode(text)


def nip(seed: int) -> str:
    """A checksum-valid NIP derived from ``seed`` (distinct seeds give distinct NIPs)."""
    weights = (6, 5, 7, 2, 3, 4, 5, 6, 7)
    n = seed * 104_729 + 123_456_781
    while True:
        body = f"{(n % 900_000_000) + 100_000_000:09d}"
        check = sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11
        if check != 10 and body[1:3] != "00":
            return body + str(check)
        n += 1


def upo_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(UPO_XSD)))


PEF3 = {"systemCode": "PEF (3)", "schemaVersion": "2-1", "value": "PEF"}


def make_pef_invoice(seller: str, buyer: str, number: str, issued: date | None = None) -> bytes:
    """A minimal UBL invoice valid against the PEF (3) schema (written here, not copied)."""
    day = (issued or warsaw_today()).isoformat()
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:ID>{number}</cbc:ID>
 <cbc:IssueDate>{day}</cbc:IssueDate>
 <cbc:DocumentCurrencyCode>PLN</cbc:DocumentCurrencyCode>
 <cac:AccountingSupplierParty><cac:Party><cac:PartyTaxScheme><cbc:CompanyID>PL{seller}</cbc:CompanyID>
  <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme></cac:Party></cac:AccountingSupplierParty>
 <cac:AccountingCustomerParty><cac:Party><cac:PartyTaxScheme><cbc:CompanyID>PL{buyer}</cbc:CompanyID>
  <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme></cac:Party></cac:AccountingCustomerParty>
 <cac:TaxTotal><cbc:TaxAmount currencyID="PLN">23.00</cbc:TaxAmount></cac:TaxTotal>
 <cac:LegalMonetaryTotal><cbc:TaxExclusiveAmount currencyID="PLN">100.00</cbc:TaxExclusiveAmount>
  <cbc:PayableAmount currencyID="PLN">123.00</cbc:PayableAmount></cac:LegalMonetaryTotal>
 <cac:InvoiceLine><cbc:ID>1</cbc:ID><cbc:LineExtensionAmount currencyID="PLN">100.00</cbc:LineExtensionAmount>
  <cac:Item><cbc:Name>Usługa</cbc:Name></cac:Item></cac:InvoiceLine>
</Invoice>""".encode()
