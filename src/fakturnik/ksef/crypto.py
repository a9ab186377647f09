"""KSeF 2.0 cryptography as pure functions (digest §5): AES-256-CBC, RSA-OAEP-SHA256, hashes.

Shared by the client and the simulator so that both speak exactly the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import MGF1, OAEP
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from fakturnik.base.nopickle import NoPickle

AES_KEY_SIZE = 32
AES_BLOCK = 16


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def b64url_nopad(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def sha256_b64(data: bytes) -> str:
    """The ``Sha256HashBase64`` form KSeF uses for invoice, part and file hashes (44 chars)."""
    return b64(sha256(data))


@dataclass(frozen=True)
class SymmetricKey(NoPickle):
    """A session's AES-256 key and IV. ``repr`` never shows the key."""

    key: bytes
    iv: bytes

    def __repr__(self) -> str:
        return "SymmetricKey(key=<redacted>, iv=<redacted>)"

    @classmethod
    def generate(cls) -> SymmetricKey:
        return cls(os.urandom(AES_KEY_SIZE), os.urandom(AES_BLOCK))


def aes_cbc_encrypt(key: SymmetricKey, plaintext: bytes) -> bytes:
    """AES-256-CBC with PKCS#7 padding, IV not prepended (as the official clients do)."""
    padder = padding.PKCS7(128).padder()
    data = padder.update(plaintext) + padder.finalize()
    enc = Cipher(algorithms.AES(key.key), modes.CBC(key.iv)).encryptor()
    return enc.update(data) + enc.finalize()


def aes_cbc_decrypt(key: SymmetricKey, ciphertext: bytes) -> bytes:
    """Inverse of :func:`aes_cbc_encrypt`; raises ``ValueError`` on bad length or padding."""
    if len(ciphertext) % AES_BLOCK:
        raise ValueError("ciphertext length is not a multiple of the AES block size")
    dec = Cipher(algorithms.AES(key.key), modes.CBC(key.iv)).decryptor()
    data = dec.update(ciphertext) + dec.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(data) + unpadder.finalize()


def encrypted_size(plain_size: int) -> int:
    return AES_BLOCK * (plain_size // AES_BLOCK + 1)


_OAEP = OAEP(mgf=MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


def _public_key(cert_or_key: x509.Certificate | rsa.RSAPublicKey | bytes) -> rsa.RSAPublicKey:
    if isinstance(cert_or_key, bytes):
        cert_or_key = x509.load_der_x509_certificate(cert_or_key)
    key = cert_or_key.public_key() if isinstance(cert_or_key, x509.Certificate) else cert_or_key
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("KSeF encryption certificates carry RSA keys")
    return key


def rsa_oaep_encrypt(cert_or_key: x509.Certificate | rsa.RSAPublicKey | bytes, data: bytes) -> bytes:
    """RSAES-OAEP with SHA-256 and MGF1-SHA-256, empty label (key wrap and token encryption)."""
    return _public_key(cert_or_key).encrypt(data, _OAEP)


def rsa_oaep_decrypt(private_key: rsa.RSAPrivateKey, data: bytes) -> bytes:
    return private_key.decrypt(data, _OAEP)


def certificate_id(cert_der: bytes) -> str:
    """``certificateId``: base64 SHA-256 of the certificate DER."""
    return sha256_b64(cert_der)


def public_key_id(cert: x509.Certificate) -> str:
    """``publicKeyId``: base64 SHA-256 of the SubjectPublicKeyInfo DER."""
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return sha256_b64(spki)


def certificate_fingerprint(cert: x509.Certificate) -> str:
    """KSeF ``Fingerprint`` identifier: SHA-256 of the certificate DER as 64 uppercase hex."""
    return cert.fingerprint(hashes.SHA256()).hex().upper()


def serial_hex(serial: int) -> str:
    """A certificate serial number as KSeF writes it (``certificateSerialNumber``, the KOD II link):
    upper-case hex, zero-padded to 16 digits."""
    return f"{serial:016X}"


def certificate_serial(cert: x509.Certificate) -> str:
    """``cert``'s serial number as KSeF writes it (:func:`serial_hex`)."""
    return serial_hex(cert.serial_number)
