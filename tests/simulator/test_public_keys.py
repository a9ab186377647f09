"""GET /security/public-key-certificates: the simulator's MF certificates and real RSA-OAEP-SHA256."""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from fakturnik.ksef.crypto import rsa_oaep_decrypt, rsa_oaep_encrypt
from fakturnik.simulator.server import SimulatorServer


def _certs(server: SimulatorServer) -> list[dict[str, object]]:
    r = httpx.get(f"{server.base_url}/security/public-key-certificates", timeout=10)
    assert r.status_code == 200
    body: list[dict[str, object]] = r.json()
    return body


def test_two_certificates_one_usage_each(simulator: SimulatorServer) -> None:
    certs = _certs(simulator)
    assert sorted(u for c in certs for u in c["usage"]) == ["KsefTokenEncryption", "SymmetricKeyEncryption"]  # type: ignore[attr-defined]
    for item in certs:
        der = base64.b64decode(str(item["certificate"]))
        cert = x509.load_der_x509_certificate(der)
        spki = cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        assert item["publicKeyId"] == base64.b64encode(hashlib.sha256(spki).digest()).decode()
        assert item["certificateId"] == base64.b64encode(hashlib.sha256(der).digest()).decode()
        assert "Ministerstwo Finansów" in cert.subject.rfc4514_string()
        assert str(item["validFrom"]) < str(item["validTo"])


def test_rsa_oaep_round_trip_with_the_published_key(simulator: SimulatorServer) -> None:
    for item in _certs(simulator):
        usage = item["usage"][0]  # type: ignore[index]
        der = base64.b64decode(str(item["certificate"]))
        secret = b"0123456789abcdef0123456789abcdef"
        plain = rsa_oaep_decrypt(
            simulator.sim.keys.by_usage[usage].private_key, rsa_oaep_encrypt(der, secret)
        )
        assert plain == secret


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl missing")
def test_openssl_oaep_sha256_decrypts_in_the_simulator(simulator: SimulatorServer, tmp_path: Path) -> None:
    item = next(c for c in _certs(simulator) if c["usage"] == ["KsefTokenEncryption"])
    cert = x509.load_der_x509_certificate(base64.b64decode(str(item["certificate"])))
    pub = tmp_path / "pub.pem"
    pub.write_bytes(
        cert.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    message = tmp_path / "msg"
    message.write_bytes(b"token|1752236636015")
    out = tmp_path / "enc"
    subprocess.run(
        [
            "openssl",
            "pkeyutl",
            "-encrypt",
            "-pubin",
            "-inkey",
            str(pub),
            "-in",
            str(message),
            "-out",
            str(out),
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            "rsa_oaep_md:sha256",
            "-pkeyopt",
            "rsa_mgf1_md:sha256",
        ],
        check=True,
        capture_output=True,
    )
    key = simulator.sim.keys.by_usage["KsefTokenEncryption"].private_key
    assert rsa_oaep_decrypt(key, out.read_bytes()) == b"token|1752236636015"


def test_keys_survive_a_restart(tmp_path: Path) -> None:
    from fakturnik.simulator.config import SimulatorConfig

    with SimulatorServer(SimulatorConfig(data_dir=tmp_path)) as first:
        ids = sorted(str(c["publicKeyId"]) for c in _certs(first))
    with SimulatorServer(SimulatorConfig(data_dir=tmp_path)) as second:
        assert sorted(str(c["publicKeyId"]) for c in _certs(second)) == ids
