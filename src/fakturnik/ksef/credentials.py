"""Credentials for KSeF authentication: KSeF tokens and certificate + private key pairs.

Keys are loaded from PKCS#12 or PEM into memory and stay there: nothing here writes a key to disk
except :func:`save_pkcs12`, which always encrypts. Passwords come from an environment variable or a
file (never a command-line argument). ``repr``/``str`` of every object here are redacted, and
loaded secrets are registered with :mod:`fakturnik.ksef.redaction` so they are masked in messages.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from fakturnik.base.nopickle import NoPickle
from fakturnik.errors import KsefAuthError
from fakturnik.ksef.crypto import certificate_fingerprint
from fakturnik.ksef.redaction import register_secret

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


class SecretText(NoPickle):
    """A secret string (KSeF token, password) whose ``repr``/``str`` never show the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not value:
            raise ValueError("empty secret")
        self._value = value
        register_secret(value)

    def reveal(self) -> str:
        """The value itself; call only where it is sent or used cryptographically."""
        return self._value

    def __repr__(self) -> str:
        return "SecretText(<redacted>)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretText) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("SecretText", self._value))


@dataclass(frozen=True)
class KsefTokenCredential:
    """A KSeF token (generated in KSeF for a context; valid until 31 Dec 2026; ``SecretText`` hides it)."""

    token: SecretText

    @classmethod
    def of(cls, token: str) -> KsefTokenCredential:
        return cls(SecretText(token.strip()))


@dataclass(frozen=True, repr=False)
class CertificateCredential:
    """A signing certificate with its private key (RSA ≥ 2048 or EC P-256) and optional chain."""

    certificate: x509.Certificate
    private_key: PrivateKey
    chain: tuple[x509.Certificate, ...] = field(default=())

    def __post_init__(self) -> None:
        public = self.certificate.public_key()
        if isinstance(self.private_key, rsa.RSAPrivateKey):
            if not isinstance(public, rsa.RSAPublicKey) or public.public_numbers() != (
                self.private_key.public_key().public_numbers()
            ):
                raise KsefAuthError("Klucz prywatny nie pasuje do certyfikatu.")
            if self.private_key.key_size < 2048:
                raise KsefAuthError("Klucz RSA musi mieć co najmniej 2048 bitów.")
        elif isinstance(self.private_key, ec.EllipticCurvePrivateKey):
            if not isinstance(public, ec.EllipticCurvePublicKey) or public.public_numbers() != (
                self.private_key.public_key().public_numbers()
            ):
                raise KsefAuthError("Klucz prywatny nie pasuje do certyfikatu.")
            if self.private_key.curve.key_size < 256:
                raise KsefAuthError("Klucz EC musi używać krzywej co najmniej 256-bitowej (P-256).")
        else:  # pragma: no cover - guarded by the type
            raise KsefAuthError("Obsługiwane są tylko klucze RSA i EC.")

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the certificate as 64 uppercase hex (KSeF ``Fingerprint`` identifier)."""
        return certificate_fingerprint(self.certificate)

    @property
    def key_type(self) -> str:
        return "RSA" if isinstance(self.private_key, rsa.RSAPrivateKey) else "EC"

    def __repr__(self) -> str:
        subject = self.certificate.subject.rfc4514_string()
        return f"CertificateCredential(subject={subject!r}, key={self.key_type}, private_key=<redacted>)"


def read_password(*, env: str | None = None, file: Path | str | None = None) -> bytes | None:
    """A password from the environment variable ``env`` or the first line of ``file``; None if neither."""
    if env:
        value = os.environ.get(env)
        if value:
            register_secret(value)
            return value.encode()
    if file:
        text = Path(file).read_text(encoding="utf-8").splitlines()
        value = text[0] if text else ""
        if value:
            register_secret(value)
            return value.encode()
    return None


def _as_bytes(source: bytes | Path | str) -> bytes:
    return source if isinstance(source, bytes) else Path(source).read_bytes()


def _check_key(key: object) -> PrivateKey:
    if isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        return key
    raise KsefAuthError("Obsługiwane są tylko klucze RSA i EC.")


def load_pkcs12(source: bytes | Path | str, password: bytes | None) -> CertificateCredential:
    """Certificate, key and chain from a PKCS#12 (``.p12``/``.pfx``) file or bytes."""
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(_as_bytes(source), password)
    except ValueError:
        raise KsefAuthError("Nie można odczytać pliku PKCS#12 (złe hasło albo uszkodzony plik).") from None
    if key is None or cert is None:
        raise KsefAuthError("Plik PKCS#12 nie zawiera certyfikatu z kluczem prywatnym.")
    return CertificateCredential(cert, _check_key(key), tuple(extra or ()))


def load_pem(
    certificate: bytes | Path | str, private_key: bytes | Path | str, password: bytes | None = None
) -> CertificateCredential:
    """Certificate (PEM or DER, first one is the signer, the rest the chain) and a PEM/DER key."""
    cert_data = _as_bytes(certificate)
    try:
        if b"-----BEGIN" in cert_data:
            certs = x509.load_pem_x509_certificates(cert_data)
        else:
            certs = [x509.load_der_x509_certificate(cert_data)]
    except ValueError:
        raise KsefAuthError("Nie można odczytać certyfikatu.") from None
    key_data = _as_bytes(private_key)
    try:
        if b"-----BEGIN" in key_data:
            key = serialization.load_pem_private_key(key_data, password)
        else:
            key = serialization.load_der_private_key(key_data, password)
    except (ValueError, TypeError):
        raise KsefAuthError("Nie można odczytać klucza prywatnego (złe hasło albo zły format).") from None
    return CertificateCredential(certs[0], _check_key(key), tuple(certs[1:]))


def save_pkcs12(credential: CertificateCredential, password: bytes, name: str = "KSeF") -> bytes:
    """The credential as password-protected PKCS#12 bytes (AES-256, PBKDF2)."""
    if not password:
        raise KsefAuthError("Plik PKCS#12 wymaga hasła.")
    encryption = serialization.BestAvailableEncryption(password)
    return pkcs12.serialize_key_and_certificates(
        name.encode(),
        credential.private_key,
        credential.certificate,
        list(credential.chain) or None,
        encryption,
    )


def credential_from_env(
    prefix: str = "FAKTURNIK_KSEF_",
) -> CertificateCredential | KsefTokenCredential | None:
    """Credentials named by environment variables (values are paths or the token itself).

    ``{prefix}PKCS12`` (+ ``{prefix}PKCS12_PASSWORD`` or ``{prefix}PKCS12_PASSWORD_FILE``), or
    ``{prefix}CERT`` + ``{prefix}KEY`` (+ ``{prefix}KEY_PASSWORD[_FILE]``), or ``{prefix}TOKEN`` /
    ``{prefix}TOKEN_FILE``. None when nothing is configured.
    """
    env = os.environ
    if env.get(prefix + "PKCS12"):
        password = read_password(
            env=prefix + "PKCS12_PASSWORD", file=env.get(prefix + "PKCS12_PASSWORD_FILE")
        )
        return load_pkcs12(Path(env[prefix + "PKCS12"]), password)
    if env.get(prefix + "CERT") and env.get(prefix + "KEY"):
        password = read_password(env=prefix + "KEY_PASSWORD", file=env.get(prefix + "KEY_PASSWORD_FILE"))
        return load_pem(Path(env[prefix + "CERT"]), Path(env[prefix + "KEY"]), password)
    if env.get(prefix + "TOKEN"):
        return KsefTokenCredential.of(env[prefix + "TOKEN"])
    if env.get(prefix + "TOKEN_FILE"):
        lines = Path(env[prefix + "TOKEN_FILE"]).read_text(encoding="utf-8").splitlines()
        if lines and lines[0].strip():
            return KsefTokenCredential.of(lines[0])
    return None
