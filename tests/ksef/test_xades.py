"""AuthTokenRequest documents: XSD-valid unsigned requests, XAdES signatures that verify (RSA, EC)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID, ObjectIdentifier
from lxml import etree
from signxml.xades.xades import XAdESVerifier

from fakturnik.base.ksef_numbers import make_internal_id
from fakturnik.errors import KsefAuthError, KsefError
from fakturnik.ksef.context import ContextIdentifier
from fakturnik.ksef.xades import (
    AUTH_NS,
    DS_NS,
    AllowedIps,
    build_auth_request,
    dotnet_distinguished_name,
    is_signed,
    read_auth_request,
    sign_auth_request,
    sign_new_auth_request,
    write_unsigned_auth_request,
)
from fakturnik.simulator.xades_verify import auth_schema, verify_auth_request
from tests.conftest import SHARED
from tests.ksef.identities import person_credential, random_nip, seal_credential

CHALLENGE = "20250625-CR-20F5EE4000-DA48AE4124-46"
XADES_NS = "http://uri.etsi.org/01903/v1.3.2#"


def _schema() -> etree.XMLSchema:
    # the official 2.0 XSD uses regex syntax libxml2 refuses; the simulator compiles it with the 2.1
    # rules (see auth_schema) – the same check KSeF's own validation makes
    assert (SHARED / "ksef" / "auth" / "schemy" / "schemat_auth_v2-0.xsd").exists()
    return auth_schema(AUTH_NS)


@pytest.mark.parametrize(
    "context",
    [
        ContextIdentifier.nip("5265877635"),
        ContextIdentifier.internal_id(make_internal_id("5265877635", "0001")),
        ContextIdentifier.nip_vat_ue("5265877635-DE123456789"),
        ContextIdentifier.peppol_id("PPL123456"),
    ],
)
def test_unsigned_request_is_schema_valid(context: ContextIdentifier) -> None:
    ips = AllowedIps(addresses=("192.168.0.1",), ranges=("10.0.0.1-10.0.0.9",), masks=("172.16.0.0/12",))
    xml = write_unsigned_auth_request(context, CHALLENGE, allowed_ips=ips)
    assert xml.startswith(b"<?xml")
    _schema().assertValid(etree.fromstring(xml))
    back = read_auth_request(xml)
    assert back.context == context and back.challenge == CHALLENGE and back.allowed_ips == ips
    assert not is_signed(xml)


@pytest.mark.parametrize(
    ("who", "kind", "algorithm"),
    [
        ("person", "rsa", "rsa-sha256"),
        ("person", "ec", "ecdsa-sha256"),
        ("seal", "ec", "ecdsa-sha256"),
        ("seal", "rsa", "rsa-sha256"),
    ],
)
def test_signature_is_enveloped_xades_and_verifies(who: str, kind: str, algorithm: str) -> None:
    nip = random_nip()
    cred = person_credential(nip, kind) if who == "person" else seal_credential(nip, kind)
    signed = sign_new_auth_request(cred, ContextIdentifier.nip(nip), CHALLENGE)
    root = etree.fromstring(signed)
    assert etree.QName(root).localname == "AuthTokenRequest"  # enveloped: the request stays the root
    signature = root.find(f"{{{DS_NS}}}Signature")
    assert signature is not None
    method = signature.find(f"{{{DS_NS}}}SignedInfo/{{{DS_NS}}}SignatureMethod")
    assert method is not None and method.get("Algorithm", "").endswith(algorithm)
    props = signature.find(f".//{{{XADES_NS}}}SignedSignatureProperties")
    assert props is not None
    signing_time = props.findtext(f"{{{XADES_NS}}}SigningTime")
    assert signing_time and datetime.fromisoformat(signing_time) < datetime.now(UTC)
    # the official client's profile: SigningCertificate (v1) with the SHA-256 digest and IssuerSerial
    cert_node = props.find(f"{{{XADES_NS}}}SigningCertificate/{{{XADES_NS}}}Cert")
    assert cert_node is not None
    digest = cert_node.findtext(f"{{{XADES_NS}}}CertDigest/{{{DS_NS}}}DigestValue")
    assert digest == base64.b64encode(cred.certificate.fingerprint(hashes.SHA256())).decode()
    issuer = cert_node.findtext(f"{{{XADES_NS}}}IssuerSerial/{{{DS_NS}}}X509IssuerName")
    assert issuer == dotnet_distinguished_name(cred.certificate.issuer)
    serial = cert_node.findtext(f"{{{XADES_NS}}}IssuerSerial/{{{DS_NS}}}X509SerialNumber")
    assert serial == str(cred.certificate.serial_number)
    # every reference names its canonicalization explicitly
    for reference in signature.iter(f"{{{DS_NS}}}Reference"):
        algorithms = [t.get("Algorithm") for t in reference.iter(f"{{{DS_NS}}}Transform")]
        assert "http://www.w3.org/2001/10/xml-exc-c14n#" in algorithms
    # a standard XAdES verifier and the simulator's KSeF-like checks both accept it
    XAdESVerifier().verify(signed, x509_cert=cred.certificate, expect_references=3)
    verified = verify_auth_request(signed)
    assert verified.request.challenge == CHALLENGE
    assert is_signed(signed)
    assert read_auth_request(signed).context.value == nip


# signxml warns about a certificate of its own CA bundle
@pytest.mark.filterwarnings("ignore::cryptography.utils.CryptographyDeprecationWarning")
def test_tampered_signature_is_rejected() -> None:
    nip = random_nip()
    signed = sign_new_auth_request(person_credential(nip), ContextIdentifier.nip(nip), CHALLENGE)
    tampered = signed.replace(f"<Nip>{nip}</Nip>".encode(), f"<Nip>{random_nip()}</Nip>".encode())
    assert tampered != signed
    with pytest.raises(Exception):  # noqa: B017 - signxml raises its own InvalidDigest
        XAdESVerifier().verify(tampered, expect_references=3)


def test_sign_accepts_bytes_written_for_a_person() -> None:
    nip = random_nip()
    unsigned = write_unsigned_auth_request(ContextIdentifier.nip(nip), CHALLENGE, "certificateFingerprint")
    signed = sign_auth_request(unsigned, seal_credential(nip))
    assert read_auth_request(signed).subject_type == "certificateFingerprint"


def test_read_rejects_other_documents() -> None:
    with pytest.raises(KsefAuthError):
        read_auth_request(b"<Faktura/>")
    with pytest.raises(KsefAuthError):
        read_auth_request(b"<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>")
    root = build_auth_request(ContextIdentifier.nip("5265877635"), CHALLENGE)
    ctx = root.find(f"{{{AUTH_NS}}}ContextIdentifier")
    assert ctx is not None
    ctx[0].text = "123"
    with pytest.raises(KsefAuthError):
        read_auth_request(etree.tostring(root))


@pytest.mark.parametrize(
    ("kind", "value"), [("Nip", "0123456789"), ("InternalId", "5265877635-00010"), ("NipVatUe", "5265877635")]
)
def test_context_identifier_validation(kind: str, value: str) -> None:
    with pytest.raises(KsefError):
        ContextIdentifier(kind, value)  # type: ignore[arg-type]


def test_context_parse() -> None:
    assert ContextIdentifier.parse("Nip:5265877635") == ContextIdentifier.nip("5265877635")
    assert ContextIdentifier.parse("5265877635-DE123456789").type == "NipVatUe"
    assert ContextIdentifier.parse("PPL123456").type == "PeppolId"
    assert ContextIdentifier.nip("5265877635").as_json() == {"type": "Nip", "value": "5265877635"}


def test_issuer_name_is_written_the_way_dotnet_prints_it() -> None:
    """KSeF compares ``X509IssuerName`` with .NET's ``X509Certificate2.Issuer``: last RDN first."""
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
            x509.NameAttribute(NameOID.COMMON_NAME, "A R"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, "TINPL-1192154885"),
            x509.NameAttribute(NameOID.SURNAME, "R"),
            x509.NameAttribute(NameOID.GIVEN_NAME, "A"),
        ]
    )
    assert dotnet_distinguished_name(name) == "G=A, SN=R, SERIALNUMBER=TINPL-1192154885, CN=A R, C=PL"
    seal = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'Firma "Alfa", sp. z o.o.'),
            x509.NameAttribute(ObjectIdentifier("2.5.4.97"), "VATPL-5265877635"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Alfa"),
        ]
    )
    assert (
        dotnet_distinguished_name(seal)
        == 'CN=Alfa, OID.2.5.4.97=VATPL-5265877635, O="Firma ""Alfa"", sp. z o.o.", C=PL'
    )
