"""Checks of a signed ``AuthTokenRequest`` the way KSeF makes them (digest §4 step 2a, §14.2).

Pure functions over bytes and certificates: no simulator state here. The order follows KSeF:
readable XML (21001 / 21217) → exactly one signature (9102 / 9103) → document shape (9101) →
XSD 2.0/2.1 without the signature (21401) → no detached references and a real cryptographic check
with signxml (9105) → a usable certificate (21115). Which certificates are *trusted*, and who the
subject is, is decided by the caller (``routes_auth``) with :func:`certificate_identity`.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree
from signxml.algorithms import DigestAlgorithm, SignatureMethod
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature
from signxml.verifier import SignatureConfiguration, XMLVerifier

from fakturnik.base.xmlsafe import parse_xml, text_value
from fakturnik.errors import FakturnikError, XmlSecurityError
from fakturnik.ksef.crypto import certificate_fingerprint, unb64
from fakturnik.ksef.x500 import fields_of

AUTH_NS_20 = "http://ksef.mf.gov.pl/auth/token/2.0"
AUTH_NS_21 = "http://ksef.mf.gov.pl/auth/token/2.1"
AUTH_NAMESPACES = (AUTH_NS_20, AUTH_NS_21)
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
MAX_AUTH_REQUEST_BYTES = 1_000_000

_ALLOWED_SIGNATURE_METHODS = frozenset(m for m in SignatureMethod if not m.name.startswith(("HMAC", "DSA")))
_ALLOWED_DIGESTS = frozenset(DigestAlgorithm)
_PESEL_RE = re.compile(r"(PNOPL|PESEL).*?(\d{11})")
_NIP_RE = re.compile(r"(TINPL|NIP).*?(\d{10})")
_VATPL_RE = re.compile(r"(VATPL).*?(\d{10})")


class AuthRequestError(Exception):
    """A synchronous 400 of ``POST /auth/xades-signature``: KSeF exception code and details."""

    def __init__(self, code: int, detail: str) -> None:
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail}")


@dataclass(frozen=True)
class AuthTokenRequest:
    """The signed content of an ``AuthTokenRequest`` (read from what the signature covers)."""

    namespace: str
    challenge: str
    context_type: str  # Nip | InternalId | NipVatUe | PeppolId
    context_value: str
    subject_identifier_type: str  # certificateSubject | certificateFingerprint
    allowed_ips: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class VerifiedAuthRequest:
    request: AuthTokenRequest
    certificate: x509.Certificate
    signature_method: str


@dataclass(frozen=True)
class CertificateIdentity:
    """Who a certificate names, read the way KSeF reads qualified certificates (podpis-xades.md)."""

    kind: str  # personal | seal | other
    subject_type: str | None  # Nip | Pesel | None (no recognised identifier)
    subject_value: str | None
    fingerprint: str  # SHA-256 of the DER, 64 uppercase hex
    dn: dict[str, str] = field(default_factory=dict)  # the enrollment-data form of the subject DN


# -- XSD ------------------------------------------------------------------------------------------

_schema_lock = threading.Lock()
_schemas: dict[str, etree.XMLSchema] = {}


def _auth_schema_dir() -> Path:
    candidates = []
    if os.environ.get("FAKTURNIK_AUTH_SCHEMA_DIR"):
        candidates.append(Path(os.environ["FAKTURNIK_AUTH_SCHEMA_DIR"]))
    if os.environ.get("FAKTURNIK_SCHEMA_DIR"):
        candidates.append(Path(os.environ["FAKTURNIK_SCHEMA_DIR"]).parent.parent / "auth" / "schemy")
    if os.environ.get("FAKTURNIK_SHARED_DIR"):
        candidates.append(Path(os.environ["FAKTURNIK_SHARED_DIR"]) / "ksef" / "auth" / "schemy")
    candidates.append(Path("/work/shared/ksef/auth/schemy"))
    for c in candidates:
        if (c / "schemat_auth_v2-1.xsd").is_file():
            return c
    raise FileNotFoundError("auth XSD (schemat_auth_v2-1.xsd) not found; set FAKTURNIK_AUTH_SCHEMA_DIR")


def _load_schema_text() -> bytes:
    return (_auth_schema_dir() / "schemat_auth_v2-1.xsd").read_bytes()


def _local_schema(namespace: str) -> etree.XMLSchema:
    text = _load_schema_text()
    if namespace == AUTH_NS_20:
        text = text.replace(AUTH_NS_21.encode(), AUTH_NS_20.encode())
    tree = etree.fromstring(text, parser=etree.XMLParser(resolve_entities=False))
    for pattern in tree.iter("{http://www.w3.org/2001/XMLSchema}pattern"):
        # .NET-style anchors (NipVatUe, PeppolId) are literal characters in XML Schema regexes
        value = pattern.get("value", "")
        pattern.set("value", value.removeprefix("^").removesuffix("$"))
    return etree.XMLSchema(tree)


def auth_schema(namespace: str) -> etree.XMLSchema:
    """The compiled AuthTokenRequest schema for a namespace.

    Taken from the schema store of :mod:`fakturnik.fa3.schemas` (pinned official files, regex
    dialect fixed in memory). Without a usable store, the 2.1 file is read from
    ``FAKTURNIK_AUTH_SCHEMA_DIR`` / ``$FAKTURNIK_SCHEMA_DIR/../../auth/schemy`` / ../shared and fixed
    the same way: 2.0 differs from 2.1 only in its namespace and the IPv4 patterns (``\\b``, which
    libxml2 refuses), so 2.0 documents are checked with the 2.1 rules under the 2.0 namespace; the
    ``^…$`` anchors of NipVatUe and PeppolId are dropped (XML Schema patterns are anchored already and
    would read them as literal characters, refusing every real identifier).
    """
    with _schema_lock:
        cached = _schemas.get(namespace)
        if cached is not None:
            return cached
        schema: etree.XMLSchema | None = None
        try:
            from fakturnik.fa3.schemas import load_auth_schema

            schema = load_auth_schema("2.0" if namespace == AUTH_NS_20 else "2.1")
        except (ImportError, FakturnikError):
            schema = None
        if schema is None:
            schema = _local_schema(namespace)
        _schemas[namespace] = schema
        return schema


# -- parsing ----------------------------------------------------------------------------------------


def _parse(data: bytes) -> etree._Element:
    try:
        return parse_xml(data, max_bytes=MAX_AUTH_REQUEST_BYTES)
    except XmlSecurityError as exc:
        text = str(exc)
        if "UTF-8" in text or "kodowanie" in text or "BOM" in text:
            raise AuthRequestError(21217, text) from exc
        raise AuthRequestError(21001, text) from exc


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _find_request(root: etree._Element) -> etree._Element:
    """The AuthTokenRequest element: the root (enveloped) or inside ds:Object (enveloping)."""
    if _local(root) == "AuthTokenRequest" and etree.QName(root).namespace in AUTH_NAMESPACES:
        return root
    if etree.QName(root).namespace == DS_NS and _local(root) == "Signature":
        for ns in AUTH_NAMESPACES:
            found = root.find(f"{{{DS_NS}}}Object/{{{ns}}}AuthTokenRequest")
            if found is not None:
                return found
    raise AuthRequestError(
        9101, "Dokument nie jest żądaniem AuthTokenRequest w przestrzeni nazw auth 2.0/2.1."
    )


def _without_signatures(request: etree._Element) -> etree._Element:
    copy = etree.fromstring(etree.tostring(request))
    for sig in copy.findall(f".//{{{DS_NS}}}Signature"):
        parent = sig.getparent()
        if parent is not None:
            parent.remove(sig)
    return copy


def _validate_xsd(request: etree._Element) -> None:
    ns = etree.QName(request).namespace or ""
    schema = auth_schema(ns)
    doc = _without_signatures(request)
    if not schema.validate(doc):
        errors: list[Any] = list(iter(schema.error_log))  # type: ignore[call-overload]
        details = "; ".join(f"wiersz {e.line}: {e.message}" for e in errors[:5])
        raise AuthRequestError(21401, details or "Dokument niezgodny ze schematem.")


def read_request(request: etree._Element) -> AuthTokenRequest:
    """Fields of a (schema-valid) AuthTokenRequest element."""
    ns = etree.QName(request).namespace or ""

    def text(path: str) -> str:
        el = request.find(path.replace("t:", f"{{{ns}}}"))
        return text_value(el).strip() if el is not None else ""

    ctx = request.find(f"{{{ns}}}ContextIdentifier")
    ctx_el = next((c for c in ctx if isinstance(c.tag, str)), None) if ctx is not None else None
    if ctx_el is None:
        raise AuthRequestError(21401, "Brak ContextIdentifier.")
    allowed: dict[str, list[str]] = {}
    policy = request.find(f"{{{ns}}}AuthorizationPolicy/{{{ns}}}AllowedIps")
    if policy is not None:
        for tag, key in (("Ip4Address", "ip4Addresses"), ("Ip4Range", "ip4Ranges"), ("Ip4Mask", "ip4Masks")):
            values = [text_value(e).strip() for e in policy.findall(f"{{{ns}}}{tag}")]
            if values:
                allowed[key] = values
    return AuthTokenRequest(
        namespace=ns,
        challenge=text("t:Challenge"),
        context_type=_local(ctx_el),
        context_value=text_value(ctx_el).strip(),
        subject_identifier_type=text("t:SubjectIdentifierType"),
        allowed_ips=allowed,
    )


# -- signature --------------------------------------------------------------------------------------


def _signing_certificate(signature: etree._Element) -> x509.Certificate:
    certs = signature.findall(f"{{{DS_NS}}}KeyInfo/{{{DS_NS}}}X509Data/{{{DS_NS}}}X509Certificate")
    if not certs:
        raise AuthRequestError(21115, "Podpis nie zawiera certyfikatu (KeyInfo/X509Data/X509Certificate).")
    try:
        return x509.load_der_x509_certificate(unb64("".join(text_value(certs[0]).split())))
    except ValueError as exc:
        raise AuthRequestError(21115, "Nieczytelny certyfikat w podpisie.") from exc


def _check_references(signature: etree._Element, request: etree._Element, enveloping: bool) -> None:
    refs = signature.findall(f"{{{DS_NS}}}SignedInfo/{{{DS_NS}}}Reference")
    if not refs:
        raise AuthRequestError(9105, "Podpis nie zawiera referencji.")
    covers_request = False
    ids = {request.get(a) for a in ("Id", "ID", "id")} - {None}
    if enveloping:
        obj = request.getparent()
        if obj is not None:
            ids |= {obj.get(a) for a in ("Id", "ID", "id")} - {None}
    for ref in refs:
        uri = ref.get("URI")
        if uri is None or (uri and not uri.startswith("#")):
            raise AuthRequestError(9105, "Podpis zewnętrzny (detached) nie jest akceptowany.")
        if (uri == "" and not enveloping) or uri[1:] in ids:
            covers_request = True
    if not covers_request:
        raise AuthRequestError(9105, "Podpis nie obejmuje dokumentu AuthTokenRequest.")


def _check_key(cert: x509.Certificate) -> None:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < 2048:
            raise AuthRequestError(21115, "Klucz RSA certyfikatu krótszy niż 2048 bitów.")
    elif isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.key_size < 256:
            raise AuthRequestError(21115, "Krzywa EC certyfikatu krótsza niż 256 bitów.")
    else:
        raise AuthRequestError(21115, "Nieobsługiwany typ klucza certyfikatu.")


def _signed_request(results: object) -> etree._Element | None:
    """The AuthTokenRequest element as covered by a verified reference (never the raw input)."""
    items = results if isinstance(results, list) else [results]
    for r in items:
        signed = getattr(r, "signed_xml", None)
        if signed is None:
            continue
        if not isinstance(signed, etree._Element):
            continue
        if _local(signed) == "AuthTokenRequest":
            return signed
        for ns in AUTH_NAMESPACES:
            found: etree._Element | None = signed.find(f".//{{{ns}}}AuthTokenRequest")
            if found is not None:
                return found
    return None


def verify_auth_request(data: bytes, *, now: datetime | None = None) -> VerifiedAuthRequest:
    """Parse, validate and cryptographically verify a signed AuthTokenRequest.

    Raises :class:`AuthRequestError` with the KSeF code of the first failed check.
    """
    root = _parse(data)
    signatures = list(root.iter(f"{{{DS_NS}}}Signature"))
    if not signatures:
        raise AuthRequestError(9102, "Dokument nie zawiera podpisu.")
    if len(signatures) > 1:
        raise AuthRequestError(9103, f"Dokument zawiera {len(signatures)} podpisy; dozwolony jest jeden.")
    signature = signatures[0]
    request = _find_request(root)
    enveloping = request is not root
    if not enveloping and signature.getparent() is not root:
        raise AuthRequestError(9101, "Podpis otaczany musi być bezpośrednio w elemencie AuthTokenRequest.")
    _validate_xsd(request)
    _check_references(signature, request, enveloping)
    cert = _signing_certificate(signature)
    _check_key(cert)
    method = signature.find(f"{{{DS_NS}}}SignedInfo/{{{DS_NS}}}SignatureMethod")
    method_uri = method.get("Algorithm", "") if method is not None else ""
    config = SignatureConfiguration(
        require_x509=True,
        location="./" if enveloping else ".//",
        expect_references=True,
        signature_methods=_ALLOWED_SIGNATURE_METHODS,
        digest_algorithms=_ALLOWED_DIGESTS,
        verification_time=now,
    )
    try:
        results = XMLVerifier().verify(
            data,
            x509_cert=cert,
            expect_config=config,
            parser=etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False),
        )
    except InvalidCertificate as exc:
        raise AuthRequestError(21115, f"Certyfikat nieważny: {exc}") from exc
    except (InvalidSignature, InvalidDigest, InvalidInput, ValueError) as exc:
        raise AuthRequestError(9105, f"Weryfikacja podpisu nie powiodła się: {exc}") from exc
    except Exception as exc:  # any other verifier failure (unsupported transform…) is 9105
        raise AuthRequestError(9105, f"Nieobsługiwana konstrukcja podpisu: {type(exc).__name__}.") from exc
    signed = _signed_request(results)
    if signed is None:
        raise AuthRequestError(9105, "Podpis nie obejmuje dokumentu AuthTokenRequest.")
    return VerifiedAuthRequest(read_request(signed), cert, method_uri)


# -- certificate subject ----------------------------------------------------------------------------


def subject_dn(name: x509.Name) -> dict[str, str]:
    """A certificate subject in the field names of ``/certificates/enrollments/data``."""
    return fields_of(name)


def certificate_identity(cert: x509.Certificate) -> CertificateIdentity:
    """Personal certificates (givenName, surname, serialNumber PESEL/NIP, CN, C) name a person;
    seals (O, organizationIdentifier VATPL-…, CN, C, no given name/surname) name an entity; anything
    else has only its fingerprint."""
    dn = subject_dn(cert.subject)
    fingerprint = certificate_fingerprint(cert)
    personal_fields = ("givenName", "surname", "serialNumber", "commonName", "countryName")
    seal_fields = ("organizationName", "organizationIdentifier", "commonName", "countryName")
    if all(f in dn for f in personal_fields):
        serial = dn["serialNumber"]
        m = _PESEL_RE.search(serial)
        if m:
            return CertificateIdentity("personal", "Pesel", m.group(2), fingerprint, dn)
        m = _NIP_RE.search(serial)
        if m:
            return CertificateIdentity("personal", "Nip", m.group(2), fingerprint, dn)
    if all(f in dn for f in seal_fields) and "givenName" not in dn and "surname" not in dn:
        m = _VATPL_RE.search(dn["organizationIdentifier"])
        if m:
            return CertificateIdentity("seal", "Nip", m.group(2), fingerprint, dn)
    return CertificateIdentity("other", None, None, fingerprint, dn)
