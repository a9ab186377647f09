"""Simulator authentication: signed AuthTokenRequest checks (XSD + signxml verification) per second.

One core, in process, no HTTP: ``verify_auth_request`` on the same signed document, RSA-2048 and
EC P-256 self-signed certificates generated at run time.
"""

from __future__ import annotations

import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import methods
from signxml.algorithms import SignatureMethod
from signxml.signer import XMLSigner

from fakturnik.simulator.xades_verify import verify_auth_request

NS = "http://ksef.mf.gov.pl/auth/token/2.1"
SECONDS = 2.0


def _signed(kind: str) -> bytes:
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = (
        ec.generate_private_key(ec.SECP256R1()) if kind == "ec" else rsa.generate_private_key(65537, 2048)
    )
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.GIVEN_NAME, "Jan"),
            x509.NameAttribute(NameOID.SURNAME, "Kowalski"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, "TINPL-5265877635"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Jan Kowalski"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
        ]
    )
    import datetime as dt

    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    root = etree.fromstring(
        f'<AuthTokenRequest xmlns="{NS}"><Challenge>20250625-CR-20F5EE4000-DA48AE4124-46</Challenge>'
        "<ContextIdentifier><Nip>5265877635</Nip></ContextIdentifier>"
        "<SubjectIdentifierType>certificateSubject</SubjectIdentifierType></AuthTokenRequest>"
    )
    algorithm = SignatureMethod.ECDSA_SHA256 if kind == "ec" else SignatureMethod.RSA_SHA256
    signer = XMLSigner(method=methods.enveloped, signature_algorithm=algorithm, digest_algorithm="sha256")
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return bytes(
        etree.tostring(signer.sign(root, key=pem, cert=[cert]), xml_declaration=True, encoding="utf-8")
    )


def run() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for kind in ("rsa", "ec"):
        doc = _signed(kind)
        verify_auth_request(doc)  # warm-up: compiles the XSD once
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < SECONDS:
            verify_auth_request(doc)
            n += 1
        rate = n / (time.perf_counter() - start)
        rows.append(
            {
                "name": f"simulator: XAdES AuthTokenRequest verification ({kind.upper()})",
                "value": round(rate, 1),
                "unit": "requests/s",
                "notes": "parse + XSD 2.1 + signxml verify, one core, no HTTP",
            }
        )
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
