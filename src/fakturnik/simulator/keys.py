"""The simulator's own key material: the "Ministry" encryption certificates and the KSeF CA.

Generated on first start and persisted in the state (the simulator is a test tool: its private keys
are not user secrets). Each MF certificate has one usage, like the real ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from fakturnik.ksef.crypto import certificate_id, public_key_id
from fakturnik.simulator.state import StateStore

USAGES = ("SymmetricKeyEncryption", "KsefTokenEncryption")


@dataclass(frozen=True)
class KeyPair:
    certificate: x509.Certificate
    private_key: rsa.RSAPrivateKey

    @property
    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def public_key_id(self) -> str:
        return public_key_id(self.certificate)

    @property
    def certificate_id(self) -> str:
        return certificate_id(self.der)


def _self_signed(common_name: str, key: rsa.RSAPrivateKey, *, ca: bool, days: int = 3650) -> x509.Certificate:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Ministerstwo Finansów"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    now = datetime.now(UTC) - timedelta(days=1)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    return builder.sign(key, hashes.SHA256())


def _load_or_create(state: StateStore, kind_key: str, common_name: str, *, ca: bool) -> KeyPair:
    doc = state.get("mf_key", kind_key)
    if doc is not None:
        key = serialization.load_pem_private_key(doc["key"].encode(), password=None)
        cert = x509.load_pem_x509_certificate(doc["cert"].encode())
        assert isinstance(key, rsa.RSAPrivateKey)
        return KeyPair(cert, key)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = _self_signed(common_name, key, ca=ca)
    state.put(
        "mf_key",
        kind_key,
        {
            "key": key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ).decode(),
            "cert": cert.public_bytes(serialization.Encoding.PEM).decode(),
        },
    )
    return KeyPair(cert, key)


class SimulatorKeys:
    """Encryption key pairs by usage and the CA that issues KSeF certificates."""

    def __init__(self, state: StateStore) -> None:
        self.by_usage: dict[str, KeyPair] = {
            usage: _load_or_create(state, usage, f"Ministerstwo Finansów {usage} (symulator)", ca=False)
            for usage in USAGES
        }
        self.ca = _load_or_create(state, "ksef-ca", "KSeF CA (symulator Fakturnik)", ca=True)

    def by_public_key_id(self, key_id: str) -> KeyPair | None:
        for pair in self.by_usage.values():
            if pair.public_key_id == key_id:
                return pair
        return None

    def public_key_certificates(self) -> list[dict[str, object]]:
        """The body of ``GET /security/public-key-certificates``."""
        from fakturnik.ksef.crypto import b64

        out: list[dict[str, object]] = []
        for usage, pair in self.by_usage.items():
            cert = pair.certificate
            out.append(
                {
                    "certificate": b64(pair.der),
                    "certificateId": pair.certificate_id,
                    "publicKeyId": pair.public_key_id,
                    "validFrom": cert.not_valid_before_utc.isoformat().replace("+00:00", "Z"),
                    "validTo": cert.not_valid_after_utc.isoformat().replace("+00:00", "Z"),
                    "usage": [usage],
                }
            )
        return out
