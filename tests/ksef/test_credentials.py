"""Loading certificates and keys (PKCS#12, PEM, DER), passwords from env/file, redacted reprs."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from fakturnik.errors import KsefAuthError
from fakturnik.ksef.credentials import (
    CertificateCredential,
    KsefTokenCredential,
    SecretText,
    credential_from_env,
    load_pem,
    load_pkcs12,
    read_password,
    save_pkcs12,
)
from tests.ksef.identities import person_credential, random_nip, seal_credential


def _pem(cred: CertificateCredential, password: bytes | None = None) -> tuple[bytes, bytes]:
    enc = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    key = cred.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)
    return cred.certificate.public_bytes(serialization.Encoding.PEM), key


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_pkcs12_round_trip(kind: str, tmp_path: Path) -> None:
    cred = person_credential(random_nip(), kind)
    path = tmp_path / "cert.p12"
    path.write_bytes(save_pkcs12(cred, b"tajne-haslo"))
    loaded = load_pkcs12(path, b"tajne-haslo")
    assert loaded.fingerprint == cred.fingerprint
    assert loaded.key_type == kind.upper()
    with pytest.raises(KsefAuthError):
        load_pkcs12(path, b"zle")
    with pytest.raises(KsefAuthError):
        save_pkcs12(cred, b"")


def test_pem_with_and_without_password(tmp_path: Path) -> None:
    cred = seal_credential(random_nip(), "ec")
    cert, key = _pem(cred, b"pw123456")
    (tmp_path / "c.pem").write_bytes(cert)
    (tmp_path / "k.pem").write_bytes(key)
    assert load_pem(tmp_path / "c.pem", tmp_path / "k.pem", b"pw123456").fingerprint == cred.fingerprint
    with pytest.raises(KsefAuthError):
        load_pem(tmp_path / "c.pem", tmp_path / "k.pem", b"wrong-password")
    cert, key = _pem(cred)
    assert load_pem(cert, key).fingerprint == cred.fingerprint
    der_cert = cred.certificate.public_bytes(serialization.Encoding.DER)
    der_key = cred.private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert load_pem(der_cert, der_key).fingerprint == cred.fingerprint


def test_key_must_match_certificate() -> None:
    a, b = person_credential(random_nip()), person_credential(random_nip())
    with pytest.raises(KsefAuthError):
        CertificateCredential(a.certificate, b.private_key)
    ec_a, ec_b = seal_credential(random_nip()), seal_credential(random_nip())
    with pytest.raises(KsefAuthError):
        CertificateCredential(ec_a.certificate, ec_b.private_key)
    with pytest.raises(KsefAuthError):
        CertificateCredential(a.certificate, ec_b.private_key)


def test_passwords_from_env_and_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_P12_PASSWORD", "z-srodowiska")
    assert read_password(env="TEST_P12_PASSWORD") == b"z-srodowiska"
    secret_file = tmp_path / "password.txt"
    secret_file.write_text("z-pliku\nignored\n", encoding="utf-8")
    assert read_password(env="MISSING_VARIABLE_X", file=secret_file) == b"z-pliku"
    assert read_password() is None


def test_credential_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PKCS12", "CERT", "KEY", "TOKEN", "TOKEN_FILE"):
        monkeypatch.delenv(f"FKT_{name}", raising=False)
    assert credential_from_env("FKT_") is None
    cred = person_credential(random_nip(), "ec")
    (tmp_path / "c.p12").write_bytes(save_pkcs12(cred, b"haslo-p12"))
    (tmp_path / "pw").write_text("haslo-p12\n", encoding="utf-8")
    monkeypatch.setenv("FKT_PKCS12", str(tmp_path / "c.p12"))
    monkeypatch.setenv("FKT_PKCS12_PASSWORD_FILE", str(tmp_path / "pw"))
    loaded = credential_from_env("FKT_")
    assert isinstance(loaded, CertificateCredential) and loaded.fingerprint == cred.fingerprint
    monkeypatch.delenv("FKT_PKCS12")
    (tmp_path / "token").write_text("20250101-EC-ABCDEF0123-ABCDEF0123-AB|sekret\n", encoding="utf-8")
    monkeypatch.setenv("FKT_TOKEN_FILE", str(tmp_path / "token"))
    token = credential_from_env("FKT_")
    assert isinstance(token, KsefTokenCredential)
    assert token.token.reveal().endswith("|sekret")


def test_reprs_are_redacted() -> None:
    cred = person_credential(random_nip(), "rsa")
    text = repr(cred) + str(cred)
    assert "redacted" in text and "PRIVATE KEY" not in text
    token = KsefTokenCredential.of("20250101-EC-ABCDEF0123-ABCDEF0123-AB|bardzo-tajny-token")
    assert "bardzo-tajny-token" not in repr(token) + str(token) + repr(token.token) + f"{token.token}"
    assert SecretText("abcdefgh12") == SecretText("abcdefgh12")
    with pytest.raises(ValueError):
        SecretText("")
