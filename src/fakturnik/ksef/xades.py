"""The ``AuthTokenRequest`` document and its enveloped XAdES signature (digest §4 step 2a).

Pure functions over bytes: build the request (namespace ``http://ksef.mf.gov.pl/auth/token/2.0``),
write it unsigned for a person to sign elsewhere (qualified signature, Profil Zaufany), sign it with
a certificate and key (XAdES-BES / BASELINE-B enveloped: SignedProperties with SigningTime and the
SigningCertificate digest; RSA-SHA256 or ECDSA-SHA256), and read a signed file back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import ec
from lxml import etree
from signxml.algorithms import DigestAlgorithm, SignatureConstructionMethod, SignatureMethod
from signxml.xades.xades import XAdESDataObjectFormat, XAdESSigner

from fakturnik.errors import KsefAuthError, XmlSecurityError
from fakturnik.fa3.xmlsafe import parse_xml
from fakturnik.ksef.context import ContextIdentifier, SubjectIdentifierType
from fakturnik.ksef.credentials import CertificateCredential

AUTH_NS = "http://ksef.mf.gov.pl/auth/token/2.0"
AUTH_NS_21 = "http://ksef.mf.gov.pl/auth/token/2.1"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
# Inclusive C14N 1.0: signxml digests the XAdES SignedProperties reference with the signature's
# c14n but writes no Transform for it, so verifiers fall back to C14N 1.0 – exclusive c14n would mismatch.
C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
MAX_AUTH_REQUEST_BYTES = 1_000_000


@dataclass(frozen=True)
class AllowedIps:
    """``AuthorizationPolicy/AllowedIps``: addresses, ``a-b`` ranges and CIDR masks (≤ 10 each)."""

    addresses: tuple[str, ...] = ()
    ranges: tuple[str, ...] = ()
    masks: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if max(len(self.addresses), len(self.ranges), len(self.masks)) > 10:
            raise KsefAuthError("Polityka IP może mieć najwyżej 10 pozycji każdego rodzaju.")

    def as_json(self) -> dict[str, list[str]]:
        return {
            "ip4Addresses": list(self.addresses),
            "ip4Ranges": list(self.ranges),
            "ip4Masks": list(self.masks),
        }


@dataclass(frozen=True)
class AuthRequest:
    """What an ``AuthTokenRequest`` says (read back from a signed file)."""

    challenge: str
    context: ContextIdentifier
    subject_type: str
    allowed_ips: AllowedIps = field(default_factory=AllowedIps)


def build_auth_request(
    context: ContextIdentifier,
    challenge: str,
    subject_type: SubjectIdentifierType = "certificateSubject",
    allowed_ips: AllowedIps | None = None,
) -> etree._Element:
    """The unsigned ``AuthTokenRequest`` element."""
    q = f"{{{AUTH_NS}}}"
    root = etree.Element(q + "AuthTokenRequest", nsmap={None: AUTH_NS})  # type: ignore[dict-item]
    etree.SubElement(root, q + "Challenge").text = challenge
    ctx = etree.SubElement(root, q + "ContextIdentifier")
    etree.SubElement(ctx, q + context.type).text = context.value
    etree.SubElement(root, q + "SubjectIdentifierType").text = subject_type
    if allowed_ips is not None:
        policy = etree.SubElement(root, q + "AuthorizationPolicy")
        ips = etree.SubElement(policy, q + "AllowedIps")
        for tag, values in (
            ("Ip4Address", allowed_ips.addresses),
            ("Ip4Range", allowed_ips.ranges),
            ("Ip4Mask", allowed_ips.masks),
        ):
            for value in values:
                etree.SubElement(ips, q + tag).text = value
    return root


def write_unsigned_auth_request(
    context: ContextIdentifier,
    challenge: str,
    subject_type: SubjectIdentifierType = "certificateSubject",
    allowed_ips: AllowedIps | None = None,
) -> bytes:
    """UTF-8 XML of the unsigned request, ready to be signed elsewhere (enveloped XAdES).

    The challenge is valid for 10 minutes: sign and send the file back within that time.
    """
    root = build_auth_request(context, challenge, subject_type, allowed_ips)
    body: bytes = etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)
    return body


def _signature_method(credential: CertificateCredential) -> SignatureMethod:
    if isinstance(credential.private_key, ec.EllipticCurvePrivateKey):
        return SignatureMethod.ECDSA_SHA256
    return SignatureMethod.RSA_SHA256


def sign_auth_request(document: bytes | etree._Element, credential: CertificateCredential) -> bytes:
    """Sign an ``AuthTokenRequest`` with an enveloped XAdES-BES signature; returns the signed XML bytes."""
    root = parse_xml(document, max_bytes=MAX_AUTH_REQUEST_BYTES) if isinstance(document, bytes) else document
    signer = XAdESSigner(
        method=SignatureConstructionMethod.enveloped,
        signature_algorithm=_signature_method(credential),
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=C14N,
        data_object_format=XAdESDataObjectFormat(Description="KSeF AuthTokenRequest", MimeType="text/xml"),
    )
    chain = [credential.certificate, *credential.chain]
    signed = signer.sign(root, key=credential.private_key, cert=chain)
    body: bytes = etree.tostring(signed, xml_declaration=True, encoding="utf-8")
    return body


def sign_new_auth_request(
    credential: CertificateCredential,
    context: ContextIdentifier,
    challenge: str,
    subject_type: SubjectIdentifierType = "certificateSubject",
    allowed_ips: AllowedIps | None = None,
) -> bytes:
    return sign_auth_request(build_auth_request(context, challenge, subject_type, allowed_ips), credential)


def _text(el: etree._Element | None) -> str:
    return (el.text or "").strip() if el is not None else ""


def read_auth_request(xml: bytes) -> AuthRequest:
    """Challenge, context and subject type of a (signed or unsigned) ``AuthTokenRequest``."""
    try:
        root = parse_xml(xml, max_bytes=MAX_AUTH_REQUEST_BYTES)
    except XmlSecurityError as exc:
        raise KsefAuthError(f"Plik żądania uwierzytelnienia jest nieczytelny: {exc}") from None
    if etree.QName(root).localname != "AuthTokenRequest":  # enveloping: the request sits in ds:Object
        found = [el for ns in (AUTH_NS, AUTH_NS_21) for el in root.iter(f"{{{ns}}}AuthTokenRequest")]
        root = found[0] if found else root
    ns = etree.QName(root).namespace
    if etree.QName(root).localname != "AuthTokenRequest" or ns not in (AUTH_NS, AUTH_NS_21):
        raise KsefAuthError("To nie jest dokument AuthTokenRequest KSeF.")
    q = f"{{{ns}}}"
    ctx_el = root.find(q + "ContextIdentifier")
    child = next(iter(ctx_el), None) if ctx_el is not None else None
    if child is None:
        raise KsefAuthError("Żądanie uwierzytelnienia nie wskazuje kontekstu.")
    try:
        context = ContextIdentifier(etree.QName(child).localname, _text(child))  # type: ignore[arg-type]
    except Exception as exc:
        raise KsefAuthError(str(exc)) from None
    ips = root.find(f"{q}AuthorizationPolicy/{q}AllowedIps")
    allowed = AllowedIps()
    if ips is not None:
        allowed = AllowedIps(
            tuple(_text(e) for e in ips.findall(q + "Ip4Address")),
            tuple(_text(e) for e in ips.findall(q + "Ip4Range")),
            tuple(_text(e) for e in ips.findall(q + "Ip4Mask")),
        )
    return AuthRequest(
        challenge=_text(root.find(q + "Challenge")),
        context=context,
        subject_type=_text(root.find(q + "SubjectIdentifierType")),
        allowed_ips=allowed,
    )


def is_signed(xml: bytes) -> bool:
    """True when the document carries an XML signature (enveloped or enveloping)."""
    root = parse_xml(xml, max_bytes=MAX_AUTH_REQUEST_BYTES)
    return root.find(f".//{{{DS_NS}}}Signature") is not None or etree.QName(root).namespace == DS_NS
