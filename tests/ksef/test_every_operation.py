"""Every operation of the official open-api.json has a KsefClient method with the right rate-limit group."""

from __future__ import annotations

import inspect
import json
import re

import pytest

from fakturnik.ksef.client import KsefClient, operations_of
from fakturnik.ksef.rate_limits import endpoint_group
from tests.conftest import OPENAPI_PATH

HTTP_METHODS = ("get", "post", "put", "delete", "patch")

# digest §8: the groups that are not "other"
EXPECTED_GROUPS = {
    ("POST", "/sessions/online"): "onlineSession",
    ("POST", "/sessions/online/{referenceNumber}/close"): "onlineSessionClose",  # 2.8.0
    ("POST", "/sessions/online/{referenceNumber}/invoices"): "invoiceSend",
    ("POST", "/sessions/batch"): "batchSession",
    ("POST", "/sessions/batch/{referenceNumber}/close"): "batchSessionClose",  # 2.8.0
    ("GET", "/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}"): "invoiceStatus",
    ("GET", "/sessions"): "sessionList",
    ("GET", "/sessions/{referenceNumber}/invoices"): "sessionInvoiceList",
    ("GET", "/sessions/{referenceNumber}/invoices/failed"): "sessionInvoiceList",
    ("GET", "/sessions/{referenceNumber}"): "sessionMisc",
    ("GET", "/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}/upo"): "sessionMisc",
    ("GET", "/sessions/{referenceNumber}/invoices/ksef/{ksefNumber}/upo"): "sessionMisc",
    ("GET", "/sessions/{referenceNumber}/upo/{upoReferenceNumber}"): "sessionMisc",
    ("POST", "/invoices/query/metadata"): "invoiceMetadata",
    ("POST", "/invoices/exports"): "invoiceExport",
    ("GET", "/invoices/exports/{referenceNumber}"): "invoiceExportStatus",
    ("GET", "/invoices/ksef/{ksefNumber}"): "invoiceDownload",
    ("POST", "/collective-identifiers"): "collectiveIdentifier",
}

SAMPLE_VALUES = {
    "referenceNumber": "20250625-SO-2C3E6C8000-B675CF5D68-07",
    "invoiceReferenceNumber": "20250625-EE-2C3E6C8000-B675CF5D68-07",
    "upoReferenceNumber": "20250625-EU-2C3E6C8000-B675CF5D68-07",
    "ksefNumber": "5265877635-20250826-0100001AF629-AF",
    "permissionId": "12345678-1234-1234-1234-123456789012",
    "certificateSerialNumber": "0123456789ABCDEF",
    "serialNumber": "0123456789ABCDEF",
    "collectiveIdentifierNumber": "1111111111-IZ202607-65ED02180000-E7",
}


def spec_operations() -> list[tuple[str, str]]:
    spec = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    return [(m.upper(), p) for p, ops in spec["paths"].items() for m in ops if m in HTTP_METHODS]


def test_spec_has_83_operations() -> None:
    assert len(spec_operations()) == 83


def test_every_operation_has_a_client_method() -> None:
    ops = operations_of(KsefClient)
    missing = [op for op in spec_operations() if op not in ops]
    assert not missing, f"operations without a KsefClient method: {missing}"
    after_contract = {("POST", "/collective-identifiers/invoices")}  # 2.7.1, from the changelog
    extra = [op for op in ops if op not in set(spec_operations()) | after_contract]
    assert not extra, f"client methods tagged with operations the spec lacks: {extra}"


@pytest.mark.parametrize(("method", "path"), spec_operations())
def test_rate_limit_group_matches_digest(method: str, path: str) -> None:
    name, op = operations_of(KsefClient)[(method, path)]
    assert op.group == EXPECTED_GROUPS.get((method, path), "other"), name
    concrete = re.sub(r"\{(\w+)\}", lambda mt: SAMPLE_VALUES[mt.group(1)], path)
    if op.group != "other":  # the transport's own table agrees with ours
        assert endpoint_group(method, concrete) == op.group


def test_method_names_are_snake_case_and_typed() -> None:
    for name, _ in operations_of(KsefClient).values():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name)
        hints = inspect.get_annotations(getattr(KsefClient, name))
        assert "return" in hints, name


def test_public_operations_match_spec_security() -> None:
    spec = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    public = {
        (m.upper(), p)
        for p, ops in spec["paths"].items()
        for m, op in ops.items()
        if m in HTTP_METHODS and not op.get("security")
    }
    for key, (name, op) in operations_of(KsefClient).items():
        assert op.public == (key in public), name
