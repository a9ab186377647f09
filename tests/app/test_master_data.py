"""Companies and credentials, contractors (with the VAT white list), products, numbering series."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from fakturnik.app import Fakturnik
from fakturnik.app.whitelist_fake import FakeWhiteList
from fakturnik.engine.settings import EngineSettings
from fakturnik.errors import ConflictError, InputError, NotFoundError
from tests.app.conftest import company_id
from tests.app.kit import NIP_A, draft
from tests.ksef.identities import self_signed_between


def _certificate(days: int = 365) -> tuple[bytes, bytes, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, "Firma A"), x509.NameAttribute(NameOID.COUNTRY_NAME, "PL")]
    )
    now = datetime.now(UTC)
    cert = self_signed_between(
        name, key, now - timedelta(days=1), now + timedelta(days=days), serial=0x1234ABCD
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"haslo-klucza"),
    )
    return pem, key_pem, key


def test_companies_add_list_update_and_refusals(fk: Fakturnik) -> None:
    a = company_id(fk, NIP_A)
    assert {c.nip for c in fk.companies.list()} == {NIP_A, "7740001454"}
    with pytest.raises(ConflictError):
        fk.companies.add(NIP_A)
    for bad in ("123", "1234567890", "abcdefghij"):
        with pytest.raises(InputError):
            fk.companies.add(bad)
    with pytest.raises(InputError):
        fk.companies.add("1181994512", environment="mars")
    view = fk.companies.update(a, name="Firma A Sp. z o.o.", bank_account="61 1090 1014 0000 0712 1981 2874")
    assert view.name == "Firma A Sp. z o.o." and view.bank_account == "61109010140000071219812874"
    assert fk.companies.configure_ksef(a, "demo").environment == "demo"


def test_credentials_are_summarised_never_returned(fk: Fakturnik) -> None:
    a = company_id(fk, NIP_A)
    info = fk.companies.set_ksef_token(a, "tajny-token-ksef")
    assert info.kind == "ksef_token" and "tajny" not in repr(fk.companies.get(a))
    pem, key_pem, key = _certificate()
    with pytest.raises(InputError):
        fk.companies.set_certificate(a, pem, key_pem, "złe hasło")
    info = fk.companies.set_certificate(a, pem, key_pem, "haslo-klucza")
    assert (
        info.kind == "certificate"
        and info.serial == "000000001234ABCD"
        and "CN=Firma A" in (info.subject or "")
    )
    assert info.not_after is not None and info.not_after > datetime.now(UTC)
    got = fk.companies.get(a).credential
    assert got is not None and got.fingerprint == info.fingerprint
    assert b"PRIVATE" not in repr(fk.companies.get(a)).encode()
    cert = x509.load_pem_x509_certificate(pem)
    p12 = pkcs12.serialize_key_and_certificates(
        b"k", key, cert, None, serialization.BestAvailableEncryption(b"p12-haslo")
    )
    assert fk.companies.set_pkcs12(a, p12, "p12-haslo").serial == "000000001234ABCD"
    with pytest.raises(InputError):
        fk.companies.set_pkcs12(a, p12, "złe")
    old_pem, old_key, _ = _certificate(days=-1)
    with pytest.raises(InputError):
        fk.companies.set_certificate(a, old_pem, old_key, "haslo-klucza")


@pytest.fixture
def white_list() -> Iterator[FakeWhiteList]:
    subjects = {
        "9166568761": {
            "name": "KLIENT SPÓŁKA AKCYJNA",
            "workingAddress": "UL. DŁUGA 2, 30-001 KRAKÓW",
            "regon": "123456785",
            "accountNumbers": ["61109010140000071219812874"],
        }
    }
    with FakeWhiteList(subjects) as wl:
        yield wl


def test_contractors_crud_search_and_white_list_lookup_cached_for_the_day(
    tmp_path: object, white_list: FakeWhiteList
) -> None:
    with Fakturnik.open(tmp_path, settings=EngineSettings.fast(), white_list_url=white_list.url) as fk:  # type: ignore[arg-type]
        a = fk.companies.add(NIP_A, "Firma A").id
        entry = fk.contractors.lookup_nip(a, "916-656-87-61")
        assert entry.name == "KLIENT SPÓŁKA AKCYJNA" and entry.status_vat == "Czynny"
        assert entry.account_numbers == ("61109010140000071219812874",)
        fk.contractors.lookup_nip(a, "9166568761")
        assert white_list.requests == 1  # the second answer came from the day's cache
        with pytest.raises(NotFoundError):
            fk.contractors.lookup_nip(a, "1181994512")
        with pytest.raises(InputError):
            fk.contractors.lookup_nip(a, "1234567890")
        from fakturnik.app import Actor

        stranger = fk.acting_as(
            Actor.user(fk.accounts.register_user("ala@firma.pl", "hasło-bardzo-tajne").id)
        )
        asked = white_list.requests
        assert stranger.contractors.white_list_lookup("9166568761").name == "KLIENT SPÓŁKA AKCYJNA"
        assert white_list.requests == asked  # the same day's cache
        c = fk.contractors.create_from_white_list(a, "9166568761")
        assert c.address_line1 == "UL. DŁUGA 2" and c.address_line2 == "30-001 KRAKÓW"
        assert c.bank_accounts[0].on_white_list is True
        fk.contractors.create(a, "", "Jan Kowalski", country="PL")
        assert [x.name for x in fk.contractors.search(a, "kli")] == ["KLIENT SPÓŁKA AKCYJNA"]
        assert [x.name for x in fk.contractors.search(a, "9166")] == ["KLIENT SPÓŁKA AKCYJNA"]
        assert fk.contractors.by_nip(a, "9166568761") is not None
        updated = fk.contractors.update(
            a, c.id, email="faktury@klient.pl", bank_accounts=["PL61109010140000071219812874"]
        )
        assert updated.email == "faktury@klient.pl" and updated.bank_accounts[0].number.startswith("6110")
        with pytest.raises(InputError):
            fk.contractors.create(a, "1234567890", "Zły NIP")
        with pytest.raises(InputError):
            fk.contractors.update(a, c.id, password="x")
        fk.contractors.delete(a, c.id)
        assert [x.name for x in fk.contractors.list(a)] == ["Jan Kowalski"]


def test_white_list_unavailable_is_a_clear_error(tmp_path: object) -> None:
    from fakturnik.app.whitelist import WhiteListUnavailableError

    with Fakturnik.open(tmp_path, white_list_url="http://127.0.0.1:9") as fk:  # type: ignore[arg-type]
        a = fk.companies.add(NIP_A, "Firma A").id
        with pytest.raises(WhiteListUnavailableError):
            fk.contractors.lookup_nip(a, "9166568761")


def test_products(fk: Fakturnik) -> None:
    a = company_id(fk, NIP_A)
    p = fk.products.create(
        a, "Wdrożenie", "180.00", unit="godz.", vat_rate="23", gtu="GTU_12", pkwiu="62.01.11.0"
    )
    assert p.price == Decimal("180.00") and p.price_kind == "net"
    g = fk.products.create(a, "Catering", "99,90", price_kind="gross", vat_rate="8")
    assert g.price == Decimal("99.90")
    assert [x.name for x in fk.products.search(a, "wdr")] == ["Wdrożenie"]
    assert fk.products.update(a, p.id, price="200").price == Decimal("200")
    for bad in (
        {"vat_rate": "24"},
        {"gtu": "GTU_99"},
        {"price": "-1"},
        {"price": "abc"},
        {"price_kind": "x"},
    ):
        with pytest.raises(InputError):
            fk.products.update(a, p.id, **bad)
    fk.products.update(a, g.id, active=False)
    assert [x.name for x in fk.products.list(a)] == ["Wdrożenie"]
    fk.products.delete(a, p.id)
    with pytest.raises(NotFoundError):
        fk.products.get(a, p.id)


def test_numbering_series_patterns_and_monthly_reset(fk: Fakturnik) -> None:
    a = company_id(fk, NIP_A)
    series = {s.kind: s for s in fk.series.list(a)}
    assert series["VAT"].pattern == "FV/{year}/{seq:06d}" and series["VAT"].reset == "yearly"
    fk.series.set(a, "VAT", "FV/{yyyy}/{mm}/{seq}", "monthly")
    assert fk.series.preview(a, "VAT", date(2026, 11, 5)) == "FV/2026/11/1"
    numbers = [
        fk.invoices.issue(a, draft(issue_date=day)).invoice.number
        for day in ("2026-11-05", "2026-11-20", "2026-12-01")
    ]
    assert numbers == ["FV/2026/11/1", "FV/2026/11/2", "FV/2026/12/1"]
    assert fk.series.preview(a, "VAT", date(2026, 11, 30)) == "FV/2026/11/3"
    for pattern, reset in (
        ("FV/{seq}", "yearly"),
        ("FV/{yyyy}/{seq}", "monthly"),
        ("FV/{yyyy}", "never"),
        ("{x}{seq}", "never"),
    ):
        with pytest.raises(InputError):
            fk.series.set(a, "VAT", pattern, reset)  # type: ignore[arg-type]
    fk.series.set(a, "VAT", "F-{seq:05d}", "never")
    assert fk.invoices.issue(a, draft(issue_date="2026-12-02")).invoice.number == "F-00001"
