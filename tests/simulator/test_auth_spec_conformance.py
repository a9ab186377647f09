"""Every response of the auth, token, certificate and public-key endpoints matches open-api.json.

A full tour (XAdES and token logins, sessions, tokens, enrollment, query, revoke, and the usual
errors) is recorded by an httpx event hook; each recorded response is then checked for a declared
status code and a body valid against the spec's schema.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from fakturnik.simulator.ca import name_from_enrollment_data
from fakturnik.simulator.server import SimulatorServer
from tests.simulator import xades_helpers as xh

spec_check = pytest.importorskip("tests.simulator.spec_check")

NIP = "5265877635"


def test_responses_match_the_spec(simulator: SimulatorServer) -> None:
    seen: list[tuple[str, str, int, Any]] = []

    def record(response: httpx.Response) -> None:
        response.read()
        path = urlsplit(str(response.request.url)).path.removeprefix("/v2")
        body = (
            response.json()
            if response.content and "json" in response.headers.get("content-type", "")
            else None
        )
        seen.append((response.request.method, path, response.status_code, body))

    with httpx.Client(base_url=simulator.base_url, timeout=10, event_hooks={"response": [record]}) as c:
        out = xh.xades_login(c, xh.person(NIP, "ec"), NIP)
        access = out["tokens"]["accessToken"]["token"]
        auth = xh.bearer(access)
        c.get("/security/public-key-certificates")
        c.get("/auth/sessions", headers=auth)
        c.post("/auth/token/refresh", headers=xh.bearer(out["tokens"]["refreshToken"]["token"]))
        c.post("/auth/token/redeem", headers=xh.bearer(out["init"]["authenticationToken"]["token"]))  # 21301
        c.post("/auth/xades-signature", content=b"<x/>", headers={"Content-Type": "application/xml"})
        c.post("/auth/xades-signature", content=b"<x/>", headers={"X-Error-Format": "problem-details"})
        created = c.post(
            "/tokens", json={"permissions": ["InvoiceRead"], "description": "Token zgodny"}, headers=auth
        )
        ref = created.json()["referenceNumber"]
        c.get("/tokens", headers=auth)
        c.get(f"/tokens/{ref}", headers=auth)
        xh.token_login(c, created.json()["token"], NIP)
        c.post("/tokens", json={"permissions": ["Nope"], "description": "x"}, headers=auth)
        c.get("/tokens", headers={**auth, "x-continuation-token": "%%"})
        c.delete(f"/tokens/{ref}", headers=auth)
        c.get("/certificates/limits", headers=auth)
        data = c.get("/certificates/enrollments/data", headers=auth).json()
        key = xh.new_key("ec")
        csr = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(name_from_enrollment_data(data))
            .sign(key, hashes.SHA256())
        )
        body = {
            "certificateName": "Certyfikat zgodny",
            "certificateType": "Authentication",
            "csr": base64.b64encode(csr.public_bytes(serialization.Encoding.DER)).decode(),
        }
        enrollment = c.post("/certificates/enrollments", json=body, headers=auth).json()
        status = c.get(f"/certificates/enrollments/{enrollment['referenceNumber']}", headers=auth).json()
        serial = status["certificateSerialNumber"]
        c.post("/certificates/retrieve", json={"certificateSerialNumbers": [serial]}, headers=auth)
        c.post("/certificates/query", json={}, headers=auth)
        c.post(f"/certificates/{serial}/revoke", json={"revocationReason": "Superseded"}, headers=auth)
        c.post(f"/certificates/{serial}/revoke", json={}, headers=auth)  # 25009
        c.get("/tokens")  # 401
        c.delete("/auth/sessions/current", headers=auth)

    checked = 0
    for method, path, status_code, body in seen:
        template = spec_check.template_for(path)
        assert template is not None, path
        if status_code == 204:
            assert status_code in spec_check.declared_statuses(method, template)
            continue
        spec_check.assert_matches_spec(method, template, status_code, body)
        checked += 1
    assert checked >= 25
    assert {s for _, _, s, _ in seen} >= {200, 202, 204, 400, 401}
