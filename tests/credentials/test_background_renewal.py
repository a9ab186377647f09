"""`fakturnik serve`'s background round renews a KSeF certificate that KSeF has shortened into the margin,
with nobody asking (the server's own threads, the embedded simulator)."""

from __future__ import annotations

import os
import secrets
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from fakturnik.ksef import models as m
from fakturnik.ksef.enrollment import enroll_certificate
from fakturnik.ksef.sessions import Poller
from tests.credentials.kit import NIP_A, owner_client
from tests.web.api.harness import api_server

os.environ.setdefault("FAKTURNIK_MASTER_KEY", secrets.token_hex(32))


def test_the_server_renews_in_the_background(tmp_path: Path) -> None:
    with api_server(tmp_path, env="local", worker=True, webhooks=False, recurring_interval_s=0.2) as server:
        fk = server.runtime.fk
        cid = fk.companies.add(NIP_A, "Firma A", environment="local").id
        client = owner_client(fk)
        enrolled = enroll_certificate(
            client, "Portal certyfikat", "Authentication", poller=Poller(timeout=30)
        )
        soon = datetime.now(UTC).replace(microsecond=0) + timedelta(days=5)
        client.testdata_update_certificate(
            enrolled.serial_number, m.TestDataUpdateCertificateRequest(validTo=soon)
        )
        client.close()
        cred = enrolled.credential
        fk.companies.set_certificate(
            cid,
            cred.certificate.public_bytes(serialization.Encoding.PEM),
            cred.private_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            active = fk.companies.credential(cid)
            if active is not None and int(active.serial or "0", 16) != int(enrolled.serial_number, 16):
                break
            time.sleep(0.2)
        else:
            raise AssertionError("the background round did not renew the certificate")
        certs = {c.serial: c for c in fk.certificates.list(cid)}
        assert certs[enrolled.serial_number].valid_to == soon and not certs[enrolled.serial_number].active
        assert certs[active.serial].replaces_id == certs[enrolled.serial_number].id
        entries = [a.action for a in fk.audit.list(cid)]
        assert "certificate.renew" in entries
