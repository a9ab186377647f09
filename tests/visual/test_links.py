"""KOD I / KOD II links: the format, the signatures (checked independently), the verifier."""

from __future__ import annotations

import base64
import hashlib
from datetime import date

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from fakturnik.errors import VisualError
from fakturnik.ksef.verification_links import (
    CertificateLink,
    InvoiceLink,
    certificate_link,
    certificate_type,
    file_hash,
    invoice_link,
    invoice_link_for_hash,
    parse_link,
    verify_certificate_link,
)
from tests.visual.certs import make_certificate, make_key

QR = "https://qr-test.ksef.mf.gov.pl"
XML = b'<?xml version="1.0" encoding="UTF-8"?><Faktura>example</Faktura>'


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_kod1_is_seller_date_and_unpadded_base64url_sha256() -> None:
    link = invoice_link(QR, "1111111111", date(2026, 2, 1), XML)
    digest = _b64url(hashlib.sha256(XML).digest())
    assert link == f"https://qr-test.ksef.mf.gov.pl/invoice/1111111111/01-02-2026/{digest}"
    assert len(digest) == 43 and "=" not in digest
    parsed = parse_link(link)
    assert isinstance(parsed, InvoiceLink)
    assert parsed.seller_nip == "1111111111" and parsed.issue_date == date(2026, 2, 1)
    assert parsed.matches(XML) and not parsed.matches(XML + b" ")


@pytest.mark.parametrize(
    "base",
    ["https://ksef-test.mf.gov.pl/client-app", "https://qr-test.ksef.mf.gov.pl"],
    ids=["2025-07-edition", "current-edition"],
)
def test_kod1_reproduces_the_ministry_example(base: str) -> None:
    # kody-qr.md (CIRFMF/ksef-docs): date 01-02-2026, seller 1111111111, the hash below, and the link
    # it gives on the test environment; the first edition's base was the client app, the current one
    # is the QR host.
    digest = "UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE"
    expected = f"{base}/invoice/1111111111/01-02-2026/{digest}"
    assert invoice_link_for_hash(base, "1111111111", date(2026, 2, 1), digest) == expected
    parsed = parse_link(expected)
    assert isinstance(parsed, InvoiceLink)
    assert (parsed.base, parsed.seller_nip, parsed.issue_date, parsed.hash) == (
        base, "1111111111", date(2026, 2, 1), digest,
    )  # fmt: skip


@pytest.mark.parametrize(
    "host",
    ["ksef-test.mf.gov.pl/client-app", "qr-test.ksef.mf.gov.pl"],
    ids=["2025-07-edition", "current-edition"],
)
def test_kod2_example_signed_part_is_what_the_ministry_signs(host: str) -> None:
    # kody-qr.md: the signed string is the link without https:// and without /{signature}.
    path = (
        "certificate/Nip/1111111111/1111111111/01F20A5D352AE590/UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE"
    )
    signed = f"{host}/{path}"
    parsed = parse_link("https://" + signed + "/" + "A" * 342)
    assert isinstance(parsed, CertificateLink)
    assert parsed.signed == signed.encode()
    assert (parsed.context_type, parsed.context_value, parsed.seller_nip, parsed.serial) == (
        "Nip",
        "1111111111",
        "1111111111",
        "01F20A5D352AE590",
    )


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_kod2_signature_verifies_independently(kind: str) -> None:
    key = make_key(kind)
    cert = make_certificate(key)
    link = certificate_link(
        QR, context_type="Nip", context_value="1111111111", seller_nip="1111111111", xml=XML,
        certificate=cert, private_key=key,
    )  # fmt: skip
    head, _, sig = link.rpartition("/")
    assert head == f"{QR}/certificate/Nip/1111111111/1111111111/0123456789ABCDEF/{file_hash(XML)}"
    signed = head.removeprefix("https://").encode()
    raw = base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4))
    public = cert.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        public.verify(
            raw, signed, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256()
        )
    else:
        assert isinstance(public, ec.EllipticCurvePublicKey)
        assert len(raw) == 64  # IEEE P1363 r||s
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        public.verify(der, signed, ec.ECDSA(hashes.SHA256()))
    parsed = parse_link(link)
    assert isinstance(parsed, CertificateLink)
    verify_certificate_link(parsed, cert)
    assert parsed.matches(XML)


def test_kod2_tampered_or_foreign_certificate_is_refused() -> None:
    key = make_key("ec")
    cert = make_certificate(key)
    link = certificate_link(
        QR, context_type="Nip", context_value="1111111111", seller_nip="1111111111", xml=XML,
        certificate=cert, private_key=key,
    )  # fmt: skip
    tampered = parse_link(link.replace("/Nip/1111111111/1111111111/", "/Nip/1111111111/2222222222/"))
    assert isinstance(tampered, CertificateLink)
    with pytest.raises(VisualError, match="Podpis"):
        verify_certificate_link(tampered, cert)
    other = make_certificate(make_key("ec"), serial=0x0123456789ABCDEF)
    parsed = parse_link(link)
    assert isinstance(parsed, CertificateLink)
    with pytest.raises(VisualError, match="Podpis"):
        verify_certificate_link(parsed, other)
    with pytest.raises(VisualError, match="seryjny"):
        verify_certificate_link(parsed, make_certificate(key, serial=7))


def test_authentication_certificate_may_not_sign_kod2() -> None:
    key = make_key("rsa")
    cert = make_certificate(key, "Authentication")
    assert certificate_type(cert) == "Authentication"
    with pytest.raises(VisualError, match="Offline"):
        certificate_link(
            QR, context_type="Nip", context_value="1111111111", seller_nip="1111111111", xml=XML,
            certificate=cert, private_key=key,
        )  # fmt: skip


def test_small_rsa_key_and_mismatched_key_are_refused() -> None:
    key = make_key("rsa")
    cert = make_certificate(key)
    with pytest.raises(VisualError, match="nie pasuje"):
        certificate_link(
            QR, context_type="Nip", context_value="1", seller_nip="1111111111", xml=XML,
            certificate=cert, private_key=make_key("rsa"),
        )  # fmt: skip
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(VisualError, match="2048"):
        certificate_link(
            QR, context_type="Nip", context_value="1", seller_nip="1111111111", xml=XML,
            certificate=make_certificate(small), private_key=small,
        )  # fmt: skip


@pytest.mark.parametrize(
    "link",
    [
        "",
        "ftp://x/invoice/1111111111/01-02-2026/" + "A" * 43,
        QR + "/invoice/111/01-02-2026/" + "A" * 43,
        QR + "/invoice/1111111111/2026-02-01/" + "A" * 43,
        QR + "/invoice/1111111111/31-02-2026/" + "A" * 43,
        QR + "/invoice/1111111111/01-02-2026/short",
        QR + "/invoice/1111111111/01-02-2026/" + "A" * 43 + "?x=1",
        QR + "/certificate/Foo/1/1111111111/0A/" + "A" * 43 + "/sig",
        QR + "/certificate/Nip/1/1111111111/XYZ/" + "A" * 43 + "/sig",
        QR + "/certificate/Nip/1/1111111111/0A/" + "A" * 43 + "/s+g",
        QR + "/something/else",
        "https://x/" + "a" * 3000,
    ],
)
def test_malformed_links_are_refused_with_a_reason(link: str) -> None:
    with pytest.raises(VisualError):
        parse_link(link)


def test_invalid_inputs_to_link_builders() -> None:
    with pytest.raises(VisualError, match="NIP"):
        invoice_link(QR, "12", date(2026, 1, 1), XML)
    with pytest.raises(VisualError, match="https"):
        invoice_link("qr.example", "1111111111", date(2026, 1, 1), XML)
    key = make_key("ec")
    with pytest.raises(VisualError, match="kontekstu"):
        certificate_link(
            QR, context_type="Pesel", context_value="1", seller_nip="1111111111", xml=XML,
            certificate=make_certificate(key), private_key=key,
        )  # fmt: skip
