"""KSeF verification links: KOD I (every invoice) and KOD II (offline invoices), built and verified.

Digest §10, the Ministry's ``kody-qr.md``:

* KOD I  ``{qr base}/invoice/{seller NIP}/{P_1 as DD-MM-RRRR}/{hash}``
* KOD II ``{qr base}/certificate/{context type}/{context value}/{seller NIP}/{cert serial}/{hash}/{sig}``

``hash`` is the SHA-256 of the invoice file in Base64URL without padding. The KOD II signature covers
the link without ``https://`` and without ``/{sig}``: RSASSA-PSS (SHA-256, MGF1-SHA-256, 32-byte salt,
key >= 2048 bits) or ECDSA P-256 / SHA-256 in IEEE P1363 form (r || s). Only a KSeF certificate of
type Offline may sign. Pure functions; no I/O.
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

from fakturnik.errors import QrSignatureError, VisualError

__all__ = [
    "CONTEXT_TYPES",
    "QR_HOSTS",
    "CertificateLink",
    "InvoiceLink",
    "certificate_link",
    "certificate_type",
    "invoice_hash",
    "invoice_link",
    "parse_link",
    "qr_base",
    "verify_certificate_link",
    "verify_invoice_file",
]

QR_HOSTS: dict[str, str] = {
    "test": "https://qr-test.ksef.mf.gov.pl",
    "demo": "https://qr-demo.ksef.mf.gov.pl",
    "prod": "https://qr.ksef.mf.gov.pl",
}
_ALIASES = {"te": "test", "tr": "demo", "prd": "prod", "production": "prod"}

ContextType = Literal["Nip", "InternalId", "NipVatUe", "PeppolId"]
CONTEXT_TYPES: tuple[str, ...] = ("Nip", "InternalId", "NipVatUe", "PeppolId")

_NIP_RE = re.compile(r"^\d{10}$")
_HASH_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_SERIAL_RE = re.compile(r"^[0-9A-Fa-f]{1,40}$")
_DATE_RE = re.compile(r"^(\d{2})-(\d{2})-(\d{4})$")
_B64URL_RE = re.compile(r"^[A-Za-z0-9_-]+$")
_CONTEXT_VALUE_RE = re.compile(r"^[A-Za-z0-9-]{1,64}$")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def qr_base(environment: str) -> str:
    """``test``/``demo``/``prod`` (or TE/TR/PRD) → the Ministry's QR host; a URL is taken as the base."""
    key = environment.strip().lower()
    key = _ALIASES.get(key, key)
    if key in QR_HOSTS:
        return QR_HOSTS[key]
    parts = urlsplit(environment.strip())
    if parts.scheme in ("http", "https") and parts.netloc:
        return environment.strip().rstrip("/")
    raise VisualError(
        f"Nieznane środowisko KSeF {environment!r} dla kodów QR; dostępne: test, demo, prod albo adres URL."
    )


def invoice_hash(xml: bytes) -> str:
    """SHA-256 of the invoice file, Base64URL without padding (43 characters)."""
    return b64url(hashlib.sha256(xml).digest())


def _check_nip(nip: str, field: str = "NIP sprzedawcy") -> None:
    if not _NIP_RE.match(nip):
        raise VisualError(f"{field} {nip!r} musi mieć 10 cyfr.")


def _check_hash(value: str) -> None:
    if not _HASH_RE.match(value):
        raise VisualError("Skrót faktury musi być SHA-256 w Base64URL bez dopełnienia (43 znaki).")


@dataclass(frozen=True)
class InvoiceLink:
    """KOD I: where a buyer checks that KSeF holds this very file."""

    base: str
    seller_nip: str
    issue_date: date
    hash: str

    @property
    def url(self) -> str:
        return f"{self.base}/invoice/{self.seller_nip}/{self.issue_date:%d-%m-%Y}/{self.hash}"


@dataclass(frozen=True)
class CertificateLink:
    """KOD II: the issuer's Offline certificate vouches for an offline invoice."""

    base: str
    context_type: str
    context_value: str
    seller_nip: str
    serial: str
    hash: str
    signature: str

    @property
    def signed_data(self) -> str:
        """What is signed: the link without its scheme and without ``/{signature}``."""
        return _strip_scheme(self.unsigned_url)

    @property
    def unsigned_url(self) -> str:
        return (
            f"{self.base}/certificate/{self.context_type}/{self.context_value}/"
            f"{self.seller_nip}/{self.serial}/{self.hash}"
        )

    @property
    def url(self) -> str:
        return f"{self.unsigned_url}/{self.signature}"


def _strip_scheme(url: str) -> str:
    for scheme in ("https://", "http://"):
        if url.startswith(scheme):
            return url[len(scheme) :]
    return url


def invoice_link(base: str, seller_nip: str, issue_date: date, xml_or_hash: bytes | str) -> InvoiceLink:
    """KOD I for an invoice file (bytes) or its Base64URL hash (str)."""
    _check_nip(seller_nip)
    digest = invoice_hash(xml_or_hash) if isinstance(xml_or_hash, bytes) else xml_or_hash
    _check_hash(digest)
    return InvoiceLink(base.rstrip("/"), seller_nip, issue_date, digest)


def certificate_type(certificate: x509.Certificate) -> str | None:
    """``Offline`` or ``Authentication`` from the KSeF certificate's key usage, None when unknown.

    KSeF issues Authentication certificates with digitalSignature and Offline certificates with
    nonRepudiation (contentCommitment) only.
    """
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None
    if usage.digital_signature:
        return "Authentication"
    if usage.content_commitment:
        return "Offline"
    return None


def _sign(private_key: object, data: bytes) -> bytes:
    if isinstance(private_key, rsa.RSAPrivateKey):
        if private_key.key_size < 2048:
            raise QrSignatureError(
                f"Klucz RSA ma {private_key.key_size} bitów; KOD II wymaga co najmniej 2048."
            )
        return private_key.sign(
            data, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256()
        )
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        if not isinstance(private_key.curve, ec.SECP256R1):
            raise QrSignatureError(f"Klucz EC na krzywej {private_key.curve.name}; KOD II wymaga P-256.")
        r, s = decode_dss_signature(private_key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    raise QrSignatureError("KOD II podpisuje się kluczem RSA (>= 2048 bitów) albo EC P-256.")


def certificate_link(
    base: str,
    *,
    context_type: str,
    context_value: str,
    seller_nip: str,
    certificate: x509.Certificate,
    private_key: object,
    xml_or_hash: bytes | str,
    declared_type: str | None = None,
) -> CertificateLink:
    """KOD II signed with the private key of a KSeF Offline certificate.

    ``declared_type`` is the certificate type KSeF reported (``certificateType``); it overrides the
    key-usage reading. Anything but Offline is refused: an Authentication certificate may not sign.
    """
    kind = declared_type or certificate_type(certificate)
    if kind != "Offline":
        what = kind or "nieznanego typu"
        raise QrSignatureError(
            f"Certyfikat {what} nie może podpisać KODU II; potrzebny certyfikat KSeF typu Offline."
        )
    if context_type not in CONTEXT_TYPES:
        raise VisualError(f"Typ kontekstu {context_type!r}; dozwolone: {', '.join(CONTEXT_TYPES)}.")
    if not _CONTEXT_VALUE_RE.match(context_value):
        raise VisualError(f"Nieprawidłowy identyfikator kontekstu {context_value!r}.")
    _check_nip(seller_nip)
    public = certificate.public_key()
    key_public = getattr(private_key, "public_key", None)
    if key_public is None or key_public().public_numbers() != public.public_numbers():  # type: ignore[attr-defined]
        raise QrSignatureError("Klucz prywatny nie pasuje do certyfikatu Offline.")
    digest = invoice_hash(xml_or_hash) if isinstance(xml_or_hash, bytes) else xml_or_hash
    _check_hash(digest)
    link = CertificateLink(
        base.rstrip("/"),
        context_type,
        context_value,
        seller_nip,
        f"{certificate.serial_number:X}".rjust(16, "0"),
        digest,
        "",
    )
    signature = b64url(_sign(private_key, link.signed_data.encode("utf-8")))
    return CertificateLink(**{**link.__dict__, "signature": signature})


# --- parsing and verification -------------------------------------------------------------------


def parse_link(url: str) -> InvoiceLink | CertificateLink:
    """Read a KOD I or KOD II link back into its parts; a malformed one is a clear error."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise VisualError("Link weryfikacyjny musi być adresem http(s) bez parametrów.")
    segments = parts.path.split("/")
    for marker in ("invoice", "certificate"):
        if marker in segments:
            at = len(segments) - 1 - segments[::-1].index(marker)
            break
    else:
        raise VisualError("To nie jest link KSeF: brak części /invoice/ ani /certificate/.")
    base = f"{parts.scheme}://{parts.netloc}{'/'.join(segments[:at])}"
    rest = segments[at + 1 :]
    if marker == "invoice":
        if len(rest) != 3:
            raise VisualError("KOD I ma postać /invoice/{NIP}/{DD-MM-RRRR}/{skrót}.")
        nip, day, digest = rest
        m = _DATE_RE.match(day)
        if not m:
            raise VisualError(f"Data wystawienia {day!r} musi mieć postać DD-MM-RRRR.")
        try:
            issued = date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        except ValueError as exc:
            raise VisualError(f"Data wystawienia {day!r} nie istnieje.") from exc
        return invoice_link(base, nip, issued, digest)
    if len(rest) != 6:
        raise VisualError(
            "KOD II ma postać /certificate/{typ}/{kontekst}/{NIP}/{numer certyfikatu}/{skrót}/{podpis}."
        )
    ctype, cvalue, nip, serial, digest, signature = rest
    if ctype not in CONTEXT_TYPES:
        raise VisualError(f"Typ kontekstu {ctype!r}; dozwolone: {', '.join(CONTEXT_TYPES)}.")
    if not _CONTEXT_VALUE_RE.match(cvalue):
        raise VisualError(f"Nieprawidłowy identyfikator kontekstu {cvalue!r}.")
    _check_nip(nip)
    if not _SERIAL_RE.match(serial):
        raise VisualError(f"Numer seryjny certyfikatu {serial!r} musi być szesnastkowy.")
    _check_hash(digest)
    if not _B64URL_RE.match(signature) or len(signature) > 1024:
        raise VisualError("Podpis KODU II musi być w Base64URL.")
    return CertificateLink(base, ctype, cvalue, nip, serial, digest, signature)


def verify_invoice_file(link: InvoiceLink | CertificateLink, xml: bytes) -> bool:
    """Does the link's hash belong to this invoice file?"""
    return link.hash == invoice_hash(xml)


def verify_certificate_link(link: CertificateLink, certificate: x509.Certificate) -> None:
    """Check the KOD II signature against the certificate; raise :class:`QrSignatureError` if wrong.

    The serial in the link must be the certificate's. ECDSA accepts P1363 (r || s) and DER.
    """
    if int(link.serial, 16) != certificate.serial_number:
        raise QrSignatureError("Numer seryjny w linku nie jest numerem tego certyfikatu.")
    try:
        signature = _b64url_decode(link.signature)
    except ValueError as exc:
        raise QrSignatureError("Podpis KODU II nie jest poprawnym Base64URL.") from exc
    data = link.signed_data.encode("utf-8")
    public = certificate.public_key()
    try:
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(
                signature,
                data,
                padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
                hashes.SHA256(),
            )
        elif isinstance(public, ec.EllipticCurvePublicKey):
            if len(signature) == 64:
                signature = encode_dss_signature(
                    int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
                )
            public.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        else:
            raise QrSignatureError("Certyfikat ma klucz, którym nie podpisuje się KODU II.")
    except InvalidSignature as exc:
        raise QrSignatureError("Podpis KODU II jest nieprawidłowy.") from exc
