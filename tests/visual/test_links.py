"""KOD I / KOD II: the Ministry's examples, our signatures checked independently, refusals."""

from __future__ import annotations

import base64
import hashlib
from datetime import date

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from fakturnik.errors import QrSignatureError, VisualError
from fakturnik.visual.links import (
    CertificateLink,
    certificate_link,
    invoice_hash,
    invoice_link,
    parse_link,
    qr_base,
    verify_certificate_link,
    verify_invoice_file,
)
from tests.visual.conftest import make_cert

MINISTRY_HASH = "UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE"


def _unb64(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def test_kod1_ministry_example_reproduced() -> None:
    # kody-qr.md: NIP 1111111111, issued 01-02-2026, hash UtQp9...
    link = invoice_link(qr_base("test"), "1111111111", date(2026, 2, 1), MINISTRY_HASH)
    assert link.url == f"https://qr-test.ksef.mf.gov.pl/invoice/1111111111/01-02-2026/{MINISTRY_HASH}"
    assert parse_link(link.url) == link


def test_hosts_per_environment() -> None:
    assert qr_base("prd") == "https://qr.ksef.mf.gov.pl"
    assert qr_base("TR") == "https://qr-demo.ksef.mf.gov.pl"
    assert qr_base("http://127.0.0.1:8080/qr/") == "http://127.0.0.1:8080/qr"
    with pytest.raises(VisualError):
        qr_base("nowhere")


def test_hash_is_base64url_unpadded_sha256() -> None:
    data = b"<Faktura/>"
    assert invoice_hash(data) == base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    assert len(invoice_hash(data)) == 43
    link = invoice_link("https://q", "1111111111", date(2026, 2, 1), data)
    assert verify_invoice_file(link, data) and not verify_invoice_file(link, data + b" ")


def test_kod2_signed_data_matches_ministry_format(rsa_key) -> None:  # type: ignore[no-untyped-def]
    cert = make_cert(rsa_key)
    link = certificate_link(
        "https://ksef-test.mf.gov.pl/client-app",
        context_type="Nip",
        context_value="1111111111",
        seller_nip="1111111111",
        certificate=cert,
        private_key=rsa_key,
        xml_or_hash=MINISTRY_HASH,
    )
    # the example in kody-qr.md, signed part (without https:// and without /{signature})
    assert link.signed_data == (
        "ksef-test.mf.gov.pl/client-app/certificate/Nip/1111111111/1111111111/01F20A5D352AE590/"
        + MINISTRY_HASH
    )
    parsed = parse_link(link.url)
    assert isinstance(parsed, CertificateLink) and parsed == link
    verify_certificate_link(parsed, cert)


def test_rsa_pss_signature_verified_independently(rsa_key) -> None:  # type: ignore[no-untyped-def]
    cert = make_cert(rsa_key)
    link = certificate_link(
        qr_base("test"),
        context_type="Nip",
        context_value="1111111111",
        seller_nip="1111111111",
        certificate=cert,
        private_key=rsa_key,
        xml_or_hash=b"<x/>",
    )
    rsa_key.public_key().verify(
        _unb64(link.signature),
        link.signed_data.encode(),
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
        hashes.SHA256(),
    )


def test_ecdsa_p1363_signature_verified_independently(ec_key) -> None:  # type: ignore[no-untyped-def]
    cert = make_cert(ec_key)
    link = certificate_link(
        qr_base("test"),
        context_type="Nip",
        context_value="1111111111",
        seller_nip="1111111111",
        certificate=cert,
        private_key=ec_key,
        xml_or_hash=b"<x/>",
    )
    raw = _unb64(link.signature)
    assert len(raw) == 64
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    ec_key.public_key().verify(der, link.signed_data.encode(), ec.ECDSA(hashes.SHA256()))
    verify_certificate_link(link, cert)


def test_tampered_link_fails(ec_key) -> None:  # type: ignore[no-untyped-def]
    cert = make_cert(ec_key)
    link = certificate_link(
        qr_base("test"),
        context_type="Nip",
        context_value="1111111111",
        seller_nip="1111111111",
        certificate=cert,
        private_key=ec_key,
        xml_or_hash=b"<x/>",
    )
    forged = parse_link(link.url.replace("/1111111111/1111111111/", "/1111111111/2222222222/"))
    assert isinstance(forged, CertificateLink)
    with pytest.raises(QrSignatureError):
        verify_certificate_link(forged, cert)


def test_authentication_certificate_refused(rsa_key) -> None:  # type: ignore[no-untyped-def]
    cert = make_cert(rsa_key, offline=False)
    with pytest.raises(QrSignatureError, match="Offline"):
        certificate_link(
            qr_base("test"),
            context_type="Nip",
            context_value="1111111111",
            seller_nip="1111111111",
            certificate=cert,
            private_key=rsa_key,
            xml_or_hash=b"<x/>",
        )
    with pytest.raises(QrSignatureError):
        certificate_link(
            qr_base("test"),
            context_type="Nip",
            context_value="1111111111",
            seller_nip="1111111111",
            certificate=make_cert(rsa_key),
            private_key=rsa_key,
            xml_or_hash=b"<x/>",
            declared_type="Authentication",
        )


@pytest.mark.parametrize(
    "url",
    [
        "ftp://x/invoice/1111111111/01-02-2026/" + MINISTRY_HASH,
        "https://x/invoice/111/01-02-2026/" + MINISTRY_HASH,
        "https://x/invoice/1111111111/2026-02-01/" + MINISTRY_HASH,
        "https://x/invoice/1111111111/31-02-2026/" + MINISTRY_HASH,
        "https://x/invoice/1111111111/01-02-2026/short",
        "https://x/certificate/Foo/1/1111111111/AB/" + MINISTRY_HASH + "/sig",
        "https://x/other",
    ],
)
def test_malformed_links_are_clear_errors(url: str) -> None:
    with pytest.raises(VisualError):
        parse_link(url)
