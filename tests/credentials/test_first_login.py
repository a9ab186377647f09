"""First login without any portal (the simulator's test profile): Fakturnik writes the unsigned
AuthTokenRequest, a separate signer (xmlsec1, a test seal made now) signs it, the signed file is
uploaded, the certificates are enrolled from that one session — and background sending then works
without the signed file again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fakturnik.app import Fakturnik
from fakturnik.engine.settings import EngineSettings
from fakturnik.errors import InputError
from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.server import SimulatorServer
from tests.credentials.kit import NIP_A, send_one
from tests.credentials.signer import XMLSEC1, sign_with_xmlsec1
from tests.ksef.identities import seal_credential

pytestmark = pytest.mark.skipif(XMLSEC1 is None, reason="xmlsec1 is not installed")


@pytest.fixture
def nothing_yet(tmp_path: Path) -> Iterator[tuple[Fakturnik, int, str]]:
    """A KSeF (the simulator, test profile) and an installation whose company has no credential at all."""
    server = SimulatorServer(SimulatorConfig(profile="test", rate_limits_enabled=False)).start()
    try:
        with Fakturnik.open(tmp_path / "data", settings=EngineSettings.fast()) as fk:
            cid = fk.companies.add(NIP_A, "Firma A", environment="local", base_url=server.base_url).id
            yield fk, cid, server.base_url
    finally:
        server.stop()


def test_first_login_with_a_file_signed_elsewhere(
    nothing_yet: tuple[Fakturnik, int, str], tmp_path: Path
) -> None:
    fk, cid, _ = nothing_yet
    assert fk.companies.credential(cid) is None
    doctor = {x.check: x.status for x in fk.doctor.check(cid).lines}
    assert doctor["login"] == "error" and doctor["expiry"] == "error"

    unsigned = fk.certificates.login_request(cid)
    assert b"<Signature" not in unsigned and NIP_A.encode() in unsigned
    signed = sign_with_xmlsec1(unsigned, seal_credential(NIP_A, kind="rsa"), tmp_path / "signer")
    assert b"SignatureValue" in signed and not list((tmp_path / "signer").glob("*.key.pem"))

    result = fk.certificates.enroll(cid, signed_request=signed)
    assert result.ok and result.changed, result.message
    assert sorted(c.certificate_type for c in result.certificates if c.active) == [
        "Authentication",
        "Offline",
    ]
    assert fk.companies.credential(cid).kind == "certificate"  # type: ignore[union-attr]
    # the signed file is spent (its challenge is used): it cannot open a second session
    with pytest.raises(InputError, match="podpisany plik"):
        fk.certificates.enroll(cid, signed_request=signed)

    with fk.running_worker():  # from now on everything happens in the background, no file needed
        send_one(fk, cid, "first-1")
        send_one(fk, cid, "first-2")
    health = fk.doctor.check(cid)
    assert health.ok and health.warnings == 0, health.lines


def test_a_file_signed_for_another_company_changes_nothing(
    nothing_yet: tuple[Fakturnik, int, str], tmp_path: Path
) -> None:
    fk, cid, url = nothing_yet
    other = fk.companies.add("7740001454", "Firma B", environment="local", base_url=url)
    signed = sign_with_xmlsec1(
        fk.certificates.login_request(other.id), seal_credential("7740001454", kind="rsa"), tmp_path / "s"
    )
    with pytest.raises(InputError, match="podpisany plik"):
        fk.certificates.enroll(cid, signed_request=signed)
    with pytest.raises(InputError, match="za duży"):
        fk.certificates.enroll(cid, signed_request=b"<a>" + b" " * 1_000_001 + b"</a>")
    with pytest.raises(InputError, match="podpisany plik"):
        fk.certificates.enroll(cid, signed_request=b"<!DOCTYPE x [<!ENTITY e 'x'>]><x>&e;</x>")
    assert fk.certificates.list(cid) == [] and fk.companies.credential(cid) is None
