"""Shared test helpers: a KSeF token from the simulator, sample invoices, an engine on a temp dir."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

from fakturnik.base.warsaw import warsaw_today
from fakturnik.engine.companies import add_company
from fakturnik.engine.context import EngineContext, open_context
from fakturnik.engine.fields import fill_template
from fakturnik.engine.settings import EngineSettings
from fakturnik.simulator.mint import mint_session
from fakturnik.simulator.server import SimulatorServer
from fakturnik.vault import Secret
from tests.conftest import SAMPLES_DIR

NIP = "5265877635"
TEMPLATE_FILE = SAMPLES_DIR / "csharp-core__invoice-template-fa-3.xml"


def template() -> bytes:
    return TEMPLATE_FILE.read_bytes()


def sample_invoice(number: str = "AUTO", seller_nip: str = NIP, issue_date: date | None = None) -> bytes:
    return fill_template(
        template(), number=number, seller_nip=seller_nip, issue_date=issue_date or warsaw_today()
    )


def ksef_token(server: SimulatorServer, nip: str = NIP) -> str:
    """A KSeF token created the way a business would: an owner session, then POST /tokens."""
    session = mint_session(
        server.sim, context_type="Nip", context_value=nip, subject_type="Nip", subject_value=nip
    )
    r = httpx.post(
        server.base_url + "/tokens",
        json={"permissions": ["InvoiceWrite", "InvoiceRead"], "description": "fakturnik engine tests"},
        headers={"Authorization": "Bearer " + session["accessToken"]},
        timeout=10,
    )
    r.raise_for_status()
    token: str = r.json()["token"]
    return token


def fast_settings(**overrides: Any) -> EngineSettings:
    return replace(EngineSettings.fast(), **overrides)


def engine(
    tmp_path: Path,
    server: SimulatorServer,
    *,
    url: str | None = None,
    settings: EngineSettings | None = None,
    nip: str = NIP,
    token: str | None = None,
) -> EngineContext:
    ctx = open_context(tmp_path, url, settings or fast_settings(), use_keyring=False)
    add_company(
        ctx,
        nip=nip,
        name="Elektrownia S.A.",
        base_url=server.base_url,
        ksef_token=Secret(token or ksef_token(server, nip)),
    )
    return ctx


def stats(server: SimulatorServer) -> dict[str, Any]:
    r = httpx.get(server.root_url + "/admin/stats", timeout=10)
    r.raise_for_status()
    data: dict[str, Any] = r.json()
    return data


def route_count(server: SimulatorServer, method: str, route_suffix: str, status: int | None = None) -> int:
    return sum(
        row["count"]
        for row in stats(server)["byRoute"]
        if row["method"] == method
        and row["route"].endswith(route_suffix)
        and (status is None or row["status"] == status)
    )


def faults(server: SimulatorServer, **body: Any) -> None:
    httpx.post(server.root_url + "/admin/faults", json=body, timeout=10).raise_for_status()


def random_nip() -> str:
    """A valid NIP (checksum) for isolated tests."""
    weights = (6, 5, 7, 2, 3, 4, 5, 6, 7)
    while True:
        digits = [secrets.randbelow(9) + 1] + [secrets.randbelow(10) for _ in range(8)]
        check = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        if check < 10:
            return "".join(map(str, digits)) + str(check)


def utcnow() -> datetime:
    return datetime.now(UTC)


def coworker_with_seal(ctx: EngineContext, nip: str = NIP) -> int:
    """A co-worker of the company with her own certificate (here the company's seal: on the test
    profile it logs in with the owner's rights, through XAdES rather than the token); her user id."""
    from cryptography.hazmat.primitives import serialization

    from fakturnik.engine.companies import PERSON_CERTIFICATE, set_certificate
    from fakturnik.store.models import Credential, User
    from tests.ksef.identities import seal_credential

    seal = seal_credential(nip)
    key_pem = seal.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    cert_pem = seal.certificate.public_bytes(serialization.Encoding.PEM)
    set_certificate(ctx, nip, cert_pem, Secret(key_pem), kind=PERSON_CERTIFICATE)
    with ctx.db.transaction() as s:
        user = User(email="anna@firma.pl", name="Anna Nowak", password_hash="-")
        s.add(user)
        s.flush()
        (row,) = s.query(Credential).filter_by(kind=PERSON_CERTIFICATE).all()
        row.owner_user_id = user.id
        return user.id
