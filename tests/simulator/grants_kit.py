"""Helpers for permission, limit and test-data tests: identifiers, bearer clients, grant bodies."""

from __future__ import annotations

import random
import secrets
import time
from typing import Any

import httpx

from fakturnik.simulator.mint import mint_session
from fakturnik.simulator.server import SimulatorServer

_rng = random.Random(20261124)
_NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)
_PESEL_WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)


def nip() -> str:
    """A random NIP with a valid checksum (and the spec's pattern: no '00' at positions 2-3)."""
    while True:
        digits = (
            [_rng.randint(1, 9)]
            + [_rng.randint(1, 9) for _ in range(2)]
            + [_rng.randint(0, 9) for _ in range(6)]
        )
        check = sum(d * w for d, w in zip(digits, _NIP_WEIGHTS, strict=True)) % 11
        if check < 10:
            return "".join(map(str, digits)) + str(check)


def pesel() -> str:
    """A random PESEL (born 1985-1999) with a valid checksum."""
    body = (
        f"{_rng.randint(85, 99)}{_rng.randint(1, 12):02d}{_rng.randint(1, 28):02d}{_rng.randint(0, 9999):04d}"
    )
    check = (10 - sum(int(d) * w for d, w in zip(body, _PESEL_WEIGHTS, strict=True)) % 10) % 10
    return body + str(check)


def fingerprint() -> str:
    return secrets.token_hex(32).upper()


def token(
    server: SimulatorServer,
    context: str,
    subject: tuple[str, str] | None = None,
    *,
    context_type: str = "Nip",
    permissions: list[str] | None = None,
) -> str:
    """An access token minted for ``subject`` (default: the context's owner) in ``context``."""
    subject_type, subject_value = subject or ("Nip", context)
    return mint_session(
        server.sim,
        context_type=context_type,
        context_value=context,
        subject_type=subject_type,
        subject_value=subject_value,
        permissions=permissions,
    )["accessToken"]


def client(server: SimulatorServer, access_token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {access_token}"} if access_token else {}
    return httpx.Client(base_url=server.base_url, headers=headers, timeout=10)


def token_permissions(server: SimulatorServer, access_token: str) -> set[str]:
    return set(server.sim.tokens.decode(access_token)["permissions"])


def person_details(first: str = "Anna", last: str = "Nowak") -> dict[str, Any]:
    return {"subjectDetailsType": "PersonByIdentifier", "personById": {"firstName": first, "lastName": last}}


def fp_details() -> dict[str, Any]:
    return {
        "subjectDetailsType": "PersonByFingerprintWithoutIdentifier",
        "personByFpNoId": {
            "firstName": "Hans",
            "lastName": "Muster",
            "birthDate": "1980-01-02",
            "idDocument": {"type": "Passport", "number": "C01X00T47", "country": "DE"},
        },
    }


def grant(c: httpx.Client, path: str, body: dict[str, Any], expect: int = 200) -> dict[str, Any]:
    """POST a grant, wait for its operation and assert the final status code."""
    r = c.post(f"/permissions/{path}", json=body)
    assert r.status_code == 202, r.text
    status = wait_operation(c, r.json()["referenceNumber"])
    assert status["code"] == expect, status
    return status


def wait_operation(c: httpx.Client, ref: str, timeout: float = 5.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        r = c.get(f"/permissions/operations/{ref}")
        assert r.status_code == 200, r.text
        status: dict[str, Any] = r.json()["status"]
        if status["code"] != 100 or time.monotonic() > deadline:
            return status
        time.sleep(0.05)


def person_grant_body(subject: tuple[str, str], permissions: list[str]) -> dict[str, Any]:
    return {
        "subjectIdentifier": {"type": subject[0], "value": subject[1]},
        "permissions": permissions,
        "description": "Uprawnienie testowe",
        "subjectDetails": person_details() if subject[0] != "Fingerprint" else fp_details(),
    }


def entity_grant_body(entity_nip: str, permissions: list[str], can_delegate: bool) -> dict[str, Any]:
    return {
        "subjectIdentifier": {"type": "Nip", "value": entity_nip},
        "permissions": [{"type": p, "canDelegate": can_delegate} for p in permissions],
        "description": "Biuro rachunkowe",
        "subjectDetails": {"fullName": "Biuro Rachunkowe Sp. z o.o."},
    }


def indirect_grant_body(
    subject: tuple[str, str], permissions: list[str], target: dict[str, Any] | None
) -> dict[str, Any]:
    body = person_grant_body(subject, permissions)
    if target is not None:
        body["targetIdentifier"] = target
    return body
