"""The ``AuthTokenRequest`` document and its enveloped XAdES signature (digest §4 step 2a).

Pure functions over bytes: build the request (namespace ``http://ksef.mf.gov.pl/auth/token/2.0``),
write it unsigned for a person to sign elsewhere (qualified signature, Profil Zaufany), sign it with
a certificate and key (XAdES-BES / BASELINE-B enveloped: SignedProperties with SigningTime and the
SigningCertificate digest; RSA-SHA256 or ECDSA-SHA256), and read a signed file back.
"""

from __future__ import annotations

from base64 import b64encode
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ObjectIdentifier
from lxml import etree
from signxml.algorithms import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureConstructionMethod,
    SignatureMethod,
)
from signxml.util import SigningSettings
from signxml.xades.xades import XAdESDataObjectFormat, XAdESSigner

from fakturnik.base.xmlsafe import parse_xml
from fakturnik.errors import KsefAuthError, XmlSecurityError
from fakturnik.ksef.context import ContextIdentifier, SubjectIdentifierType
from fakturnik.ksef.credentials import CertificateCredential

AUTH_NS = "http://ksef.mf.gov.pl/auth/token/2.0"
AUTH_NS_21 = "http://ksef.mf.gov.pl/auth/token/2.1"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
XADES_NS = "http://uri.etsi.org/01903/v1.3.2#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
SHA256_URI = "http://www.w3.org/2001/04/xmlenc#sha256"
_EXC_C14N = CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0
SIGNING_TIME_BACKDATE = timedelta(minutes=1)  # as the official client: tolerate a server clock behind ours
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


# Short attribute names of .NET's ``X509Certificate2.Issuer`` (what the official client writes into
# ``X509IssuerName`` and what KSeF compares it with); other attributes are written ``OID.<dotted>``.
_DOTNET_NAMES: dict[ObjectIdentifier, str] = {
    NameOID.COMMON_NAME: "CN",
    NameOID.SURNAME: "SN",
    NameOID.SERIAL_NUMBER: "SERIALNUMBER",
    NameOID.COUNTRY_NAME: "C",
    NameOID.LOCALITY_NAME: "L",
    NameOID.STATE_OR_PROVINCE_NAME: "S",
    NameOID.STREET_ADDRESS: "STREET",
    NameOID.ORGANIZATION_NAME: "O",
    NameOID.ORGANIZATIONAL_UNIT_NAME: "OU",
    NameOID.TITLE: "T",
    NameOID.GIVEN_NAME: "G",
    NameOID.INITIALS: "I",
    NameOID.EMAIL_ADDRESS: "E",
    NameOID.DOMAIN_COMPONENT: "DC",
}
_NEEDS_QUOTES = set(',+="\n<>#;')


def _dotnet_value(value: str) -> str:
    if not value or value != value.strip() or any(c in _NEEDS_QUOTES for c in value):
        return '"' + value.replace('"', '""') + '"'
    return value


def dotnet_distinguished_name(name: x509.Name) -> str:
    """``name`` the way .NET prints it (``X500DistinguishedName.Name``): last RDN first, ``", "``.

    ``G=Jan, SN=Kowalski, SERIALNUMBER=TINPL-5265877635, CN=Jan Kowalski, C=PL``
    """
    parts = []
    for rdn in reversed(name.rdns):
        parts.append(
            " + ".join(
                f"{_DOTNET_NAMES.get(a.oid, 'OID.' + a.oid.dotted_string)}={_dotnet_value(str(a.value))}"
                for a in rdn
            )
        )
    return ", ".join(parts)


class KsefXadesSigner(XAdESSigner):  # type: ignore[misc]
    """signxml's XAdES signer shaped like the official KSeF client's signatures.

    * ``SigningCertificate`` with the SHA-256 ``CertDigest`` and ``IssuerSerial`` (issuer name as
      .NET prints it, serial in decimal) instead of signxml's ``SigningCertificateV2``;
    * ``SigningTime`` a minute in the past;
    * an explicit exclusive-C14N ``Transform`` on the SignedProperties and KeyInfo references
      (signxml writes none there, which makes verifiers fall back to inclusive C14N 1.0).
    """

    def add_signing_time(
        self,
        signed_signature_properties: etree._Element,
        sig_root: etree._Element,
        signing_settings: SigningSettings,
    ) -> None:
        node = etree.SubElement(signed_signature_properties, f"{{{XADES_NS}}}SigningTime")
        node.text = (datetime.now(UTC) - SIGNING_TIME_BACKDATE).isoformat(timespec="seconds")

    def add_signing_certificate(
        self,
        signed_signature_properties: etree._Element,
        sig_root: etree._Element,
        signing_settings: SigningSettings,
    ) -> None:
        chain = signing_settings.cert_chain or []
        cert = chain[0]
        assert isinstance(cert, x509.Certificate)
        x, ds = f"{{{XADES_NS}}}", f"{{{DS_NS}}}"
        signing_certificate = etree.SubElement(signed_signature_properties, x + "SigningCertificate")
        cert_node = etree.SubElement(signing_certificate, x + "Cert")
        digest = etree.SubElement(cert_node, x + "CertDigest")
        etree.SubElement(digest, ds + "DigestMethod", Algorithm=SHA256_URI)
        etree.SubElement(digest, ds + "DigestValue").text = b64encode(
            cert.fingerprint(hashes.SHA256())
        ).decode()
        issuer_serial = etree.SubElement(cert_node, x + "IssuerSerial")
        etree.SubElement(issuer_serial, ds + "X509IssuerName").text = dotnet_distinguished_name(cert.issuer)
        etree.SubElement(issuer_serial, ds + "X509SerialNumber").text = str(cert.serial_number)

    def _add_reference_to_signed_info(
        self, sig_root: etree._Element, node_to_reference: etree._Element, **attrs: str
    ) -> None:
        ds = f"{{{DS_NS}}}"
        signed_info = sig_root.find(ds + "SignedInfo")
        assert signed_info is not None
        reference = etree.SubElement(signed_info, ds + "Reference", URI=f"#{node_to_reference.get('Id')}")
        for name, value in attrs.items():
            reference.set(name, value)
        transforms = etree.SubElement(reference, ds + "Transforms")
        etree.SubElement(transforms, ds + "Transform", Algorithm=EXC_C14N)
        etree.SubElement(reference, ds + "DigestMethod", Algorithm=self.digest_alg.value)
        canonical = self._c14n(node_to_reference, algorithm=_EXC_C14N)
        digest = self._get_digest(canonical, algorithm=self.digest_alg)
        etree.SubElement(reference, ds + "DigestValue").text = b64encode(digest).decode()


def _signature_method(credential: CertificateCredential) -> SignatureMethod:
    if isinstance(credential.private_key, ec.EllipticCurvePrivateKey):
        return SignatureMethod.ECDSA_SHA256
    return SignatureMethod.RSA_SHA256


def sign_auth_request(document: bytes | etree._Element, credential: CertificateCredential) -> bytes:
    """Sign an ``AuthTokenRequest`` with an enveloped XAdES-BES signature; returns the signed XML bytes.

    RSA-SHA256 or ECDSA-SHA256 (raw R‖S), SHA-256 digests, exclusive C14N, the document reference
    with the enveloped-signature transform – the profile of the official KSeF client.
    """
    root = parse_xml(document, max_bytes=MAX_AUTH_REQUEST_BYTES) if isinstance(document, bytes) else document
    signer = KsefXadesSigner(
        method=SignatureConstructionMethod.enveloped,
        signature_algorithm=_signature_method(credential),
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=_EXC_C14N,
        data_object_format=XAdESDataObjectFormat(Description="KSeF AuthTokenRequest", MimeType="text/xml"),
    )
    chain = [credential.certificate, *credential.chain]
    # X509Data only, like the official client (ECKeyValue is XMLDSig 1.1: not every validator knows it)
    signed = signer.sign(root, key=credential.private_key, cert=chain, always_add_key_value=False)
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
