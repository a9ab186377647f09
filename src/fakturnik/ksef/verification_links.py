"""KSeF verification links: KOD I (every invoice) and KOD II (offline invoices), and their verifier.

Pure functions (digest §10, the Ministry's ``kody-qr.md``):

* KOD I  ``{qr base}/invoice/{seller NIP}/{P_1 as DD-MM-RRRR}/{hash}``
* KOD II ``{qr base}/certificate/{context type}/{context value}/{seller NIP}/{serial}/{hash}/{signature}``

``hash`` is the SHA-256 of the invoice file, Base64URL without padding (43 characters). The KOD II
signature covers the UTF-8 link without ``https://`` (or ``http://``) and without ``/{signature}``:
RSASSA-PSS (SHA-256, MGF1-SHA-256, 32-byte salt) for RSA keys of at least 2048 bits, ECDSA P-256 with
SHA-256 for EC keys, written in IEEE P1363 form (r‖s, 64 bytes; DER is accepted when verifying). Only
a KSeF certificate of type Offline may sign: KSeF marks it with the nonRepudiation key usage, an
Authentication certificate with digitalSignature.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from fakturnik.errors import VisualError
from fakturnik.ksef.crypto import certificate_serial

__all__ = [
    "CONTEXT_TYPES",
    "CertificateLink",
    "InvoiceLink",
    "certificate_link",
    "certificate_type",
    "file_hash",
    "invoice_link",
    "invoice_link_for_hash",
    "parse_link",
    "verify_certificate_link",
]

ContextType = Literal["Nip", "InternalId", "NipVatUe", "PeppolId"]
CONTEXT_TYPES: tuple[str, ...] = ("Nip", "InternalId", "NipVatUe", "PeppolId")
_NIP = re.compile(r"^\d{10}$")
_HASH = re.compile(r"^[A-Za-z0-9_-]{43}$")
_SERIAL = re.compile(r"^[0-9A-Fa-f]{1,40}$")
_B64URL = re.compile(r"^[A-Za-z0-9_-]+$")
_PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    if not _B64URL.match(text):
        raise VisualError("Podpis w linku KOD II nie jest w Base64URL.")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def file_hash(xml: bytes) -> str:
    """SHA-256 of the invoice file, Base64URL without padding (what both codes carry)."""
    return _b64url(hashlib.sha256(xml).digest())


def _base(qr_base: str) -> str:
    base = qr_base.rstrip("/")
    if not base.startswith(("https://", "http://")):
        raise VisualError(f"Adres weryfikacji QR musi zaczynać się od https:// (jest: {qr_base!r}).")
    return base


def _nip(nip: str, what: str) -> str:
    if not _NIP.match(nip):
        raise VisualError(f"{what} musi mieć 10 cyfr (jest: {nip!r}).")
    return nip


def invoice_link(qr_base: str, seller_nip: str, issue_date: date, xml: bytes) -> str:
    """KOD I for an invoice file: seller NIP, issue date (P_1) and the file's hash."""
    return invoice_link_for_hash(qr_base, seller_nip, issue_date, file_hash(xml))


def invoice_link_for_hash(qr_base: str, seller_nip: str, issue_date: date, digest: str) -> str:
    """KOD I from an already computed file hash (Base64URL SHA-256, no padding)."""
    nip = _nip(seller_nip, "NIP sprzedawcy")
    if not _HASH.match(digest):
        raise VisualError("Skrót faktury musi być SHA-256 w Base64URL bez dopełnienia (43 znaki).")
    return f"{_base(qr_base)}/invoice/{nip}/{issue_date:%d-%m-%Y}/{digest}"


def certificate_type(cert: x509.Certificate) -> Literal["Offline", "Authentication", "unknown"]:
    """The KSeF certificate type, read from its key usage (Offline = nonRepudiation only)."""
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return "unknown"
    if usage.content_commitment and not usage.digital_signature:
        return "Offline"
    if usage.digital_signature:
        return "Authentication"
    return "unknown"


def _signed_part(link: str) -> bytes:
    parts = urlsplit(link)
    return (parts.netloc + parts.path).encode("utf-8")


def _sign(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < 2048:
            raise VisualError("Klucz RSA certyfikatu offline musi mieć co najmniej 2048 bitów.")
        return key.sign(data, _PSS, hashes.SHA256())
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise VisualError("Klucz EC certyfikatu offline musi być na krzywej P-256.")
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    raise VisualError("Obsługiwane są tylko klucze RSA i EC (P-256).")


def certificate_link(
    qr_base: str,
    *,
    context_type: str,
    context_value: str,
    seller_nip: str,
    xml: bytes,
    certificate: x509.Certificate,
    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
) -> str:
    """KOD II for an offline invoice, signed with the private key of a KSeF Offline certificate."""
    if context_type not in CONTEXT_TYPES:
        raise VisualError(f"Nieznany typ kontekstu {context_type!r}; dozwolone: {', '.join(CONTEXT_TYPES)}.")
    if not context_value or "/" in context_value or len(context_value) > 64:
        raise VisualError("Identyfikator kontekstu jest pusty, za długi lub zawiera '/'.")
    kind = certificate_type(certificate)
    if kind != "Offline":
        raise VisualError(
            "KOD II podpisuje się wyłącznie certyfikatem KSeF typu Offline; "
            f"podany certyfikat jest typu {kind}."
        )
    public = certificate.public_key()
    if not isinstance(public, rsa.RSAPublicKey | ec.EllipticCurvePublicKey) or (
        public.public_numbers() != private_key.public_key().public_numbers()
    ):
        raise VisualError("Klucz prywatny nie pasuje do certyfikatu offline.")
    nip = _nip(seller_nip, "NIP sprzedawcy")
    unsigned = (
        f"{_base(qr_base)}/certificate/{context_type}/{context_value}/{nip}/"
        f"{certificate_serial(certificate)}/{file_hash(xml)}"
    )
    return f"{unsigned}/{_b64url(_sign(private_key, _signed_part(unsigned)))}"


class _HashLink:
    """What both codes carry: the SHA-256 of the invoice file (Base64URL)."""

    hash: str

    def matches(self, xml: bytes) -> bool:
        """The link names this very file."""
        return file_hash(xml) == self.hash


@dataclass(frozen=True)
class InvoiceLink(_HashLink):
    """A parsed KOD I."""

    base: str
    seller_nip: str
    issue_date: date
    hash: str


@dataclass(frozen=True)
class CertificateLink(_HashLink):
    """A parsed KOD II; ``signed`` is the exact byte string the signature covers."""

    base: str
    context_type: str
    context_value: str
    seller_nip: str
    serial: str
    hash: str
    signature: str
    signed: bytes


def parse_link(link: str) -> InvoiceLink | CertificateLink:
    """Read a KOD I or KOD II link; a malformed one raises :class:`VisualError` saying what is wrong."""
    if len(link) > 2048:
        raise VisualError("Link jest za długi, by był kodem KSeF.")
    parts = urlsplit(link.strip())
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment:
        raise VisualError(
            "To nie jest link weryfikacyjny KSeF (oczekiwano https://…/invoice/… lub /certificate/…)."
        )
    segments = parts.path.split("/")
    for i, word in enumerate(segments):
        if word == "invoice" and len(segments) - i == 4:
            prefix = "/".join(segments[:i])
            nip, day, digest = segments[i + 1 :]
            _nip(nip, "NIP sprzedawcy w linku")
            try:
                d, m, y = (int(x) for x in day.split("-"))
                issued = date(y, m, d)
            except ValueError:
                raise VisualError(f"Data w linku KOD I ma mieć postać DD-MM-RRRR (jest: {day!r}).") from None
            if not _HASH.match(digest):
                raise VisualError("Skrót w linku KOD I nie jest SHA-256 w Base64URL (43 znaki).")
            return InvoiceLink(f"{parts.scheme}://{parts.netloc}{prefix}", nip, issued, digest)
        if word == "certificate" and len(segments) - i == 7:
            prefix = "/".join(segments[:i])
            ctype, cvalue, nip, serial, digest, signature = segments[i + 1 :]
            if ctype not in CONTEXT_TYPES:
                raise VisualError(f"Nieznany typ kontekstu w linku KOD II: {ctype!r}.")
            _nip(nip, "NIP sprzedawcy w linku")
            if not _SERIAL.match(serial):
                raise VisualError("Numer seryjny certyfikatu w linku KOD II nie jest szesnastkowy.")
            if not _HASH.match(digest):
                raise VisualError("Skrót w linku KOD II nie jest SHA-256 w Base64URL (43 znaki).")
            _unb64url(signature)
            unsigned_path = parts.path[: len(parts.path) - len(signature) - 1]
            return CertificateLink(
                f"{parts.scheme}://{parts.netloc}{prefix}",
                ctype,
                cvalue,
                nip,
                serial.upper(),
                digest,
                signature,
                (parts.netloc + unsigned_path).encode("utf-8"),
            )
    raise VisualError("To nie jest link weryfikacyjny KSeF (oczekiwano …/invoice/… lub …/certificate/…).")


def verify_certificate_link(link: CertificateLink, certificate: x509.Certificate) -> None:
    """Check a KOD II signature (and serial) against a certificate; raises :class:`VisualError` if wrong."""
    if certificate_serial(certificate).lstrip("0") != link.serial.lstrip("0"):
        raise VisualError("Numer seryjny w linku KOD II nie jest numerem tego certyfikatu.")
    signature = _unb64url(link.signature)
    key = certificate.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, link.signed, _PSS, hashes.SHA256())
        elif isinstance(key, ec.EllipticCurvePublicKey):
            if len(signature) == 64:
                signature = encode_dss_signature(
                    int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
                )
            key.verify(signature, link.signed, ec.ECDSA(hashes.SHA256()))
        else:
            raise VisualError("Certyfikat ma klucz innego rodzaju niż RSA lub EC.")
    except InvalidSignature:
        raise VisualError("Podpis w linku KOD II jest nieprawidłowy dla tego certyfikatu.") from None
