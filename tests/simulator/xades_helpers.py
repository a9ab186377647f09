"""Test helpers: self-signed certificates (RSA, EC P-256) and signed AuthTokenRequest documents.

Every key is generated at test time and lives only in memory.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID, ObjectIdentifier
from lxml import etree
from signxml.algorithms import SignatureMethod
from signxml.signer import XMLSigner

from fakturnik.ksef.crypto import b64, rsa_oaep_encrypt

AUTH_NS = "http://ksef.mf.gov.pl/auth/token/2.1"
ORG_ID = ObjectIdentifier("2.5.4.97")

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass
class Identity:
    """A certificate with its private key (``repr`` hides the key)."""

    certificate: x509.Certificate
    key: PrivateKey = field(repr=False)

    @property
    def cert_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    @property
    def fingerprint(self) -> str:
        return self.certificate.fingerprint(hashes.SHA256()).hex().upper()


def new_key(kind: str = "rsa") -> PrivateKey:
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def self_signed(
    name: x509.Name, key: PrivateKey, *, days: int = 30, not_before: datetime | None = None
) -> Identity:
    start = not_before or datetime.now(UTC) - timedelta(minutes=5)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return Identity(cert, key)


def person_name(nip: str | None = None, pesel: str | None = None) -> x509.Name:
    serial = f"TINPL-{nip}" if nip else f"PNOPL-{pesel}"
    return x509.Name(
        [
            x509.NameAttribute(NameOID.GIVEN_NAME, "Jan"),
            x509.NameAttribute(NameOID.SURNAME, "Kowalski"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, serial),
            x509.NameAttribute(NameOID.COMMON_NAME, "Jan Kowalski"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
        ]
    )


def seal_name(nip: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Firma Testowa sp. z o.o."),
            x509.NameAttribute(ORG_ID, f"VATPL-{nip}"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Firma Testowa"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
        ]
    )


def person(nip: str, kind: str = "rsa") -> Identity:
    return self_signed(person_name(nip=nip), new_key(kind))


def seal(nip: str, kind: str = "rsa") -> Identity:
    return self_signed(seal_name(nip), new_key(kind))


def auth_token_request(
    challenge: str,
    context_value: str,
    *,
    context_type: str = "Nip",
    subject_type: str = "certificateSubject",
    allowed_ips: dict[str, list[str]] | None = None,
    namespace: str = AUTH_NS,
) -> bytes:
    ns = f"{{{namespace}}}"
    root = etree.Element(f"{ns}AuthTokenRequest", nsmap={None: namespace})  # type: ignore[dict-item]
    etree.SubElement(root, f"{ns}Challenge").text = challenge
    ctx = etree.SubElement(root, f"{ns}ContextIdentifier")
    etree.SubElement(ctx, f"{ns}{context_type}").text = context_value
    etree.SubElement(root, f"{ns}SubjectIdentifierType").text = subject_type
    if allowed_ips:
        ips = etree.SubElement(etree.SubElement(root, f"{ns}AuthorizationPolicy"), f"{ns}AllowedIps")
        for key, tag in (("ip4Addresses", "Ip4Address"), ("ip4Ranges", "Ip4Range"), ("ip4Masks", "Ip4Mask")):
            for v in allowed_ips.get(key, []):
                etree.SubElement(ips, f"{ns}{tag}").text = v
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


def sign(xml: bytes, identity: Identity, *, method: str = "enveloped") -> bytes:
    """Sign with signxml: RSA-SHA256 or ECDSA-SHA256 (raw R‖S), exclusive C14N, X509 in KeyInfo."""
    key = identity.key
    algorithm = (
        SignatureMethod.ECDSA_SHA256
        if isinstance(key, ec.EllipticCurvePrivateKey)
        else SignatureMethod.RSA_SHA256
    )
    signer = XMLSigner(
        method={
            "enveloped": _methods().enveloped,
            "enveloping": _methods().enveloping,
            "detached": _methods().detached,
        }[method],
        signature_algorithm=algorithm,
        digest_algorithm="sha256",
        c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#",
    )
    root = etree.fromstring(xml)
    signed = signer.sign(root, key=identity.key_pem, cert=[identity.certificate])
    return bytes(etree.tostring(signed, xml_declaration=True, encoding="utf-8"))


def _methods() -> Any:
    from signxml import methods

    return methods


# -- HTTP flows --------------------------------------------------------------------------------------


def challenge(client: httpx.Client) -> dict[str, Any]:
    r = client.post("/auth/challenge")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def wait_status(client: httpx.Client, ref: str, op_token: str, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        r = client.get(f"/auth/{ref}", headers={"Authorization": f"Bearer {op_token}"})
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        if body["status"]["code"] != 100 or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


def xades_login(
    client: httpx.Client,
    identity: Identity,
    context_value: str,
    *,
    context_type: str = "Nip",
    subject_type: str = "certificateSubject",
    allowed_ips: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """Full XAdES flow; returns ``{"referenceNumber", "authenticationToken", "status", "tokens"?}``."""
    ch = challenge(client)
    xml = auth_token_request(
        ch["challenge"],
        context_value,
        context_type=context_type,
        subject_type=subject_type,
        allowed_ips=allowed_ips,
    )
    r = client.post(
        "/auth/xades-signature", content=sign(xml, identity), headers={"Content-Type": "application/xml"}
    )
    assert r.status_code == 202, r.text
    init = r.json()
    status = wait_status(client, init["referenceNumber"], init["authenticationToken"]["token"])
    out: dict[str, Any] = {"referenceNumber": init["referenceNumber"], "init": init, "status": status}
    if status["status"]["code"] == 200:
        red = client.post(
            "/auth/token/redeem", headers={"Authorization": f"Bearer {init['authenticationToken']['token']}"}
        )
        assert red.status_code == 200, red.text
        out["tokens"] = red.json()
    return out


def encrypt_ksef_token(client: httpx.Client, token: str, timestamp_ms: int) -> tuple[str, str]:
    """``(encryptedToken, publicKeyId)`` for ``token|timestampMs`` with the KsefTokenEncryption key."""
    certs = client.get("/security/public-key-certificates").json()
    item = next(c for c in certs if "KsefTokenEncryption" in c["usage"])
    der = base64.b64decode(item["certificate"])
    return b64(rsa_oaep_encrypt(der, f"{token}|{timestamp_ms}".encode())), item["publicKeyId"]


def token_login(
    client: httpx.Client, token: str, context_value: str, *, context_type: str = "Nip"
) -> dict[str, Any]:
    ch = challenge(client)
    enc, key_id = encrypt_ksef_token(client, token, ch["timestampMs"])
    body = {
        "challenge": ch["challenge"],
        "contextIdentifier": {"type": context_type, "value": context_value},
        "encryptedToken": enc,
        "publicKeyId": key_id,
    }
    r = client.post("/auth/ksef-token", json=body)
    assert r.status_code == 202, r.text
    init = r.json()
    status = wait_status(client, init["referenceNumber"], init["authenticationToken"]["token"])
    out: dict[str, Any] = {"referenceNumber": init["referenceNumber"], "init": init, "status": status}
    if status["status"]["code"] == 200:
        red = client.post(
            "/auth/token/redeem", headers={"Authorization": f"Bearer {init['authenticationToken']['token']}"}
        )
        assert red.status_code == 200, red.text
        out["tokens"] = red.json()
    return out


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
