"""The simulator's verification pages answer what a buyer's scan asks: KOD I and KOD II end to end."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from fakturnik.ksef.enrollment import enroll_certificate
from fakturnik.ksef.environments import local
from fakturnik.ksef.sessions import Poller
from fakturnik.ksef.verification_links import certificate_link, invoice_link
from tests.ksef.clientkit import client_for
from tests.ksef.identities import random_nip
from tests.visual.certs import make_certificate, make_key

XML = b"<Faktura>not sent</Faktura>"


@pytest.fixture
def offline(simulator: Any) -> tuple[str, Any]:
    nip = random_nip()
    enrolled = enroll_certificate(
        client_for(simulator, nip), "Offline", "Offline", poller=Poller(timeout=60, initial=0.05)
    )
    return nip, enrolled.credential


def test_kod2_signed_with_an_enrolled_offline_certificate_is_valid(simulator: Any, offline: Any) -> None:
    nip, cred = offline
    qr = local(simulator.base_url).qr_url
    link = certificate_link(
        qr, context_type="Nip", context_value=nip, seller_nip=nip, xml=XML,
        certificate=cred.certificate, private_key=cred.private_key,
    )  # fmt: skip
    answer = httpx.get(link, timeout=10).json()
    assert answer["valid"] is True, answer
    html = httpx.get(link, headers={"Accept": "text/html"}, timeout=10).text
    assert "Wynik pozytywny" in html
    # Another seller: the context has no right to invoice for it.
    other = certificate_link(
        qr, context_type="Nip", context_value=nip, seller_nip="1111111111", xml=XML,
        certificate=cred.certificate, private_key=cred.private_key,
    )  # fmt: skip
    answer = httpx.get(other, timeout=10).json()
    assert answer["valid"] is False and any("sprzedawcy" in r for r in answer["reasons"])


def test_kod2_with_a_certificate_ksef_never_issued_or_a_forged_signature(
    simulator: Any, offline: Any
) -> None:
    nip, cred = offline
    qr = local(simulator.base_url).qr_url
    key = make_key("ec")
    stranger = certificate_link(
        qr, context_type="Nip", context_value=nip, seller_nip=nip, xml=XML,
        certificate=make_certificate(key, serial=0x7777), private_key=key,
    )  # fmt: skip
    answer = httpx.get(stranger, timeout=10).json()
    assert answer["valid"] is False and "numerze seryjnym" in answer["reasons"][0]
    good = certificate_link(
        qr, context_type="Nip", context_value=nip, seller_nip=nip, xml=XML,
        certificate=cred.certificate, private_key=cred.private_key,
    )  # fmt: skip
    head, _, sig = good.rpartition("/")
    forged = head + "/" + ("A" if sig[0] != "A" else "B") + sig[1:]
    answer = httpx.get(forged, timeout=10).json()
    assert answer["valid"] is False and any("Podpis" in r for r in answer["reasons"])


def test_kod2_of_a_revoked_certificate_is_refused(simulator: Any, offline: Any) -> None:
    nip, cred = offline
    client = client_for(simulator, nip)
    serial = format(cred.certificate.serial_number, "016X")
    client.revoke_certificate(serial)
    link = certificate_link(
        local(simulator.base_url).qr_url, context_type="Nip", context_value=nip, seller_nip=nip, xml=XML,
        certificate=cred.certificate, private_key=cred.private_key,
    )  # fmt: skip
    answer = httpx.get(link, timeout=10).json()
    assert answer["valid"] is False and any("aktywny" in r for r in answer["reasons"])


def test_kod1_of_an_unknown_file_and_a_malformed_link(simulator: Any) -> None:
    qr = local(simulator.base_url).qr_url
    answer = httpx.get(invoice_link(qr, "1111111111", date(2026, 12, 7), XML), timeout=10).json()
    assert answer["valid"] is False
    r = httpx.get(qr + "/invoice/1111111111/2026-12-07/" + "A" * 43, timeout=10)
    assert r.status_code == 400 and "DD-MM-RRRR" in r.json()["reasons"][0]
