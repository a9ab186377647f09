"""Shared request models and helpers of the session endpoints (online, batch, status)."""

from __future__ import annotations

import base64
import binascii
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from fakturnik.base.ksef_numbers import make_reference_number
from fakturnik.ksef.crypto import rsa_oaep_decrypt, sha256_b64, unb64
from fakturnik.simulator.core import Simulator
from fakturnik.simulator.errors import ApiError
from fakturnik.simulator.invoice_schemas import FormSpec, find_form
from fakturnik.simulator.security import Caller
from fakturnik.simulator.session_store import (
    BATCH_TTL,
    ONLINE_TTL,
    iso,
    session_status,
)

WRITE = ("InvoiceWrite", "PefInvoiceWrite", "EnforcementOperations")
BATCH_WRITE = ("InvoiceWrite", "EnforcementOperations")
READ = ("InvoiceWrite", "Introspection", "PefInvoiceWrite", "EnforcementOperations")
LIST = ("InvoiceWrite", "Introspection", "EnforcementOperations")
MAX_PARTS = 50
MAX_PART_PLAIN = 100_000_000
MAX_PART_ENCRYPTED = MAX_PART_PLAIN + 16
MAX_ENCRYPTED_INVOICE = 3_000_016


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class FormCodeIn(_Model):
    systemCode: str
    schemaVersion: str
    value: str


class EncryptionIn(_Model):
    encryptedSymmetricKey: str
    initializationVector: str
    publicKeyId: str | None = None


class OpenOnlineIn(_Model):
    formCode: FormCodeIn
    encryption: EncryptionIn


class SendInvoiceIn(_Model):
    invoiceHash: str
    invoiceSize: int
    encryptedInvoiceHash: str
    encryptedInvoiceSize: int
    encryptedInvoiceContent: str
    offlineMode: bool = False
    hashOfCorrectedInvoice: str | None = None


class PartIn(_Model):
    ordinalNumber: int
    fileSize: int
    fileHash: str


class BatchFileIn(_Model):
    fileSize: int
    fileHash: str
    compressionType: Literal["Zip", "TarGz"] | None = None
    fileParts: list[PartIn]


class OpenBatchIn(_Model):
    formCode: FormCodeIn
    batchFile: BatchFileIn
    encryption: EncryptionIn
    offlineMode: bool = False


# -- helpers -------------------------------------------------------------------------------------


def is_hash(value: str) -> bool:
    if len(value) != 44:
        return False
    try:
        return len(base64.b64decode(value, validate=True)) == 32
    except (binascii.Error, ValueError):
        return False


def unwrap_key(sim: Simulator, enc: EncryptionIn) -> tuple[str | None, str]:
    """(b64 AES key or None when it cannot be unwrapped, b64 IV); 21470 for an unknown key id."""
    pair = sim.keys.by_usage["SymmetricKeyEncryption"]
    if enc.publicKeyId is not None and enc.publicKeyId != pair.public_key_id:
        raise ApiError(21470, f"Nieznany identyfikator klucza publicznego {enc.publicKeyId}.")
    try:
        iv = unb64(enc.initializationVector)
    except (binascii.Error, ValueError) as exc:
        raise ApiError(21405, "initializationVector: nieprawidłowe Base64.") from exc
    if len(iv) != 16:
        raise ApiError(21405, "initializationVector: wymagane 16 bajtów.")
    try:
        key = rsa_oaep_decrypt(pair.private_key, unb64(enc.encryptedSymmetricKey))
    except (binascii.Error, ValueError):
        return None, enc.initializationVector
    if len(key) != 32:
        return None, enc.initializationVector
    return base64.b64encode(key).decode(), enc.initializationVector


def check_form(sim: Simulator, fc: FormCodeIn, *, batch: bool) -> FormSpec:
    form = find_form(fc.systemCode, fc.schemaVersion, fc.value, sim.config.profile)
    if form is None or (batch and not form.batch_allowed):
        raise ApiError(
            21405,
            f"formCode: schemat {fc.systemCode} {fc.schemaVersion} {fc.value} nie jest obsługiwany"
            f"{' w sesji wsadowej' if batch else ''} na tym środowisku.",
        )
    return form


def auth_info(sim: Simulator, caller: Caller) -> dict[str, Any]:
    auth = sim.state.get("auth", caller.auth_ref) or {}
    token_ref = caller.ksef_token_ref or auth.get("ksefTokenRef")
    doc_hash = (
        auth.get("authDocumentHash")
        or auth.get("documentHash")
        or auth.get("requestHash")
        or sha256_b64(caller.auth_ref.encode())
    )
    return {
        "authRef": caller.auth_ref,
        "ksefTokenRef": token_ref if caller.auth_method == "Token" or auth.get("method") == "Token" else None,
        "authDocumentHash": doc_hash,
    }


def new_session(
    sim: Simulator, caller: Caller, kind: str, form: FormSpec, key: str | None, iv: str
) -> dict[str, Any]:
    now = sim.now()
    ref = make_reference_number("SO" if kind == "Online" else "SB", now.date())
    session: dict[str, Any] = {
        "referenceNumber": ref,
        "sessionType": kind,
        "contextType": caller.context_type,
        "contextValue": caller.context_value,
        "subjectType": caller.subject_type,
        "subjectValue": caller.subject_value,
        "permissions": sorted(caller.permissions),
        "authMethod": caller.auth_method,
        **auth_info(sim, caller),
        "formCode": {
            "systemCode": form.system_code,
            "schemaVersion": form.schema_version,
            "value": form.value,
        },
        "formLogicalName": form.logical_name,
        "status": session_status(kind, 100),
        "dateCreated": iso(now),
        "dateUpdated": iso(now),
        "dateClosed": None,
        "validUntil": iso(now + (ONLINE_TTL if kind == "Online" else BATCH_TTL)),
        "key": key,
        "iv": iv,
        "invoiceCount": 0,
        "successfulInvoiceCount": 0,
        "failedInvoiceCount": 0,
        "pending": 0,
    }
    if kind == "Online" and key is None:
        session["status"] = session_status("Online", 415)
        session["dateClosed"] = iso(now)
    return session
