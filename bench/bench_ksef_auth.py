"""KSeF client plumbing: authentication round trips against the simulator, signing, throttle overhead.

Wall-clock numbers over loopback HTTP (the simulator runs in this process, in a thread), the median of
several runs; "requests per login" counts what the simulator saw. Throttle overhead is the CPU time of
one uncontended acquire + release.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from fakturnik.ksef.auth import AuthManager
from fakturnik.ksef.context import ContextIdentifier
from fakturnik.ksef.credentials import CertificateCredential
from fakturnik.ksef.csr import KeyAlgorithm, generate_key
from fakturnik.ksef.environments import local
from fakturnik.ksef.rate_limits import RateLimit
from fakturnik.ksef.throttle import Throttle
from fakturnik.ksef.transport import Transport
from fakturnik.ksef.xades import sign_new_auth_request
from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.server import SimulatorServer

RUNS = 7
CHALLENGE = "20250625-CR-20F5EE4000-DA48AE4124-46"
NIP = "5265877635"


def person_credential(nip: str, algorithm: KeyAlgorithm) -> CertificateCredential:
    """A self-signed TEST-style personal certificate (serialNumber TINPL-<nip>), in memory."""
    key = generate_key(algorithm)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
            x509.NameAttribute(NameOID.GIVEN_NAME, "Jan"),
            x509.NameAttribute(NameOID.SURNAME, "Kowalski"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, f"TINPL-{nip}"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Jan Kowalski"),
        ]
    )
    now = datetime.now(UTC) - timedelta(minutes=5)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return CertificateCredential(cert, key)


def _median_ms(fn: Callable[[], object], runs: int = RUNS) -> float:
    fn()  # warm up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _requests(server: SimulatorServer) -> int:
    total: int = httpx.get(server.root_url + "/admin/stats").json()["total"]
    return total


def run() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    with SimulatorServer(SimulatorConfig(profile="test", rate_limits_enabled=False)) as server:
        transport = Transport(local(server.root_url), throttle=Throttle.unlimited())
        nip = NIP
        context = ContextIdentifier.nip(nip)
        for kind in ("ec", "rsa"):
            credential = person_credential(nip, kind)
            before = _requests(server)
            login = AuthManager.with_certificate(transport, context, credential).login
            ms = _median_ms(login)
            per_login = (_requests(server) - before) / (RUNS + 1)
            rows.append(
                {
                    "name": f"ksef auth: XAdES login ({kind.upper()})",
                    "value": round(ms, 1),
                    "unit": "ms",
                    "notes": f"challenge, sign, POST, poll, redeem over loopback; {per_login:.0f} requests",
                }
            )
        owner = AuthManager.with_certificate(transport, context, person_credential(nip, "ec"))
        token = owner.api.request(
            "POST", "/tokens", json={"permissions": ["InvoiceRead"], "description": "bench"}
        )
        secret = token.json()["token"]
        ms = _median_ms(lambda: AuthManager.with_ksef_token(transport, context, secret).login())
        rows.append(
            {
                "name": "ksef auth: KSeF-token login",
                "value": round(ms, 1),
                "unit": "ms",
                "notes": "public keys → challenge → RSA-OAEP → POST → poll → redeem over loopback",
            }
        )
        transport.close()

    algorithms: tuple[tuple[str, KeyAlgorithm], ...] = (("RSA 2048", "rsa"), ("EC P-256", "ec"))
    for label, algorithm in algorithms:
        signer = person_credential(NIP, algorithm)
        sign = partial(sign_new_auth_request, signer, ContextIdentifier.nip(NIP), CHALLENGE)
        ms = _median_ms(sign, 20)
        rows.append(
            {
                "name": f"ksef xades: sign AuthTokenRequest ({label})",
                "value": round(ms, 2),
                "unit": "ms",
                "notes": "enveloped XAdES-BES with signxml",
            }
        )

    huge = RateLimit(10**9, 10**9, 10**9)  # measure the bookkeeping, not the waiting
    throttle = Throttle({"invoiceStatus": huge})
    n = 20000
    start = time.process_time()
    for i in range(n):
        slot = throttle.acquire("invoiceStatus", f"Nip:{i % 50}")
        throttle.release(slot)
    cost_us = (time.process_time() - start) / n * 1e6
    rows.append(
        {
            "name": "ksef throttle: acquire + release (uncontended)",
            "value": round(cost_us, 2),
            "unit": "µs CPU",
            "notes": "sliding windows 1 s / 60 s / 60 min, 50 contexts",
        }
    )
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
