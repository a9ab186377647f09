"""Issue 12 item 6 in the product: the company's strictness decides what issuing refuses; received
invoices are never refused, and show their warnings grouped by authority."""

from __future__ import annotations

import pytest

from fakturnik.app import Fakturnik
from fakturnik.base.warsaw import warsaw_today
from fakturnik.errors import InputError, InvoiceValidationError, PermissionDeniedError
from fakturnik.fa3.authority import authority_of
from fakturnik.ksef.crypto import sha256_b64
from fakturnik.store import repo, states
from tests.app.kit import NIP_A, NIP_B, user_with_role
from tests.engine.helpers import sample_invoice


def _amounts_off(seller: str = NIP_A) -> bytes:
    return sample_invoice("FV/S/1", seller_nip=seller).replace(b"<P_13_1>", b"<P_13_1>1", 1)


def test_default_refuses_everything_and_ksef_strictness_only_what_ksef_rejects(fk: Fakturnik) -> None:
    a = fk.companies.by_nip(NIP_A)
    assert a.strictness == "all"  # the default
    with pytest.raises(InvoiceValidationError) as refused:
        fk.invoices.issue(a.id, xml=_amounts_off())
    assert {authority_of(p) for p in refused.value.problems} == {"amounts"}
    assert not fk.invoices.list(a.id).items  # nothing stored

    changed = fk.companies.update(a.id, strictness="ksef")
    assert changed.strictness == "ksef" and fk.companies.get(a.id).strictness == "ksef"
    issued = fk.invoices.issue(a.id, xml=_amounts_off()).invoice
    assert issued.number == "FV/S/1"
    assert "TOTALS_MISMATCH" in {p.code for p in issued.warnings}

    broken = sample_invoice("FV/S/2", seller_nip=NIP_A).replace(b"<P_15>", b"<P_15>x", 1)  # XSD
    with pytest.raises(InvoiceValidationError) as xsd:
        fk.invoices.issue(a.id, xml=broken)
    assert {authority_of(p) for p in xsd.value.problems} == {"ksef"}  # refused under any setting

    many = fk.invoices.issue_many(a.id, [_amounts_off().replace(b"FV/S/1", b"FV/S/3")])
    assert many.ok_count == 1 and "TOTALS_MISMATCH" in {p.code for p in many.items[0].warnings}

    fk.companies.update(a.id, strictness="all")
    with pytest.raises(InvoiceValidationError):
        fk.invoices.issue(a.id, xml=_amounts_off().replace(b"FV/S/1", b"FV/S/4"))
    with pytest.raises(InputError) as bad:
        fk.companies.update(a.id, strictness="luźno")
    assert bad.value.problems[0].path == "strictness"


def test_only_a_company_admin_sets_strictness(fk: Fakturnik) -> None:
    a = fk.companies.by_nip(NIP_A).id
    accountant = user_with_role(fk, a, "ksiegowa@firma.pl", "accountant")
    with pytest.raises(PermissionDeniedError):
        fk.acting_as(accountant).companies.update(a, strictness="ksef")
    assert fk.companies.get(a).strictness == "all"


def test_a_received_invoice_is_kept_and_shows_its_warnings_by_authority(fk: Fakturnik) -> None:
    b = fk.companies.by_nip(NIP_B).id
    xml = sample_invoice("FV/OBCA/1", seller_nip="1234567890", issue_date=warsaw_today()).replace(
        b"<P_13_1>", b"<P_13_1>1", 1
    )  # what KSeF took from a seller: a bad NIP checksum, totals that disagree
    with fk.ctx.db.transaction() as s:
        company = repo.company_by_nip(s, NIP_B)
        inv = repo.add_invoice(
            s,
            company=company,
            direction="received",
            xml=xml,
            sha256=sha256_b64(xml),
            number="FV/OBCA/1",
            seller_nip="1234567890",
            status=states.RECEIVED,
            ksef_number="1234567890-20261207-0123456789AB-CD",
        )
        invoice_id = inv.id
    assert [i.id for i in fk.received.list(b).items] == [invoice_id]  # stored, never refused
    found = fk.received.warnings(b, invoice_id)
    assert found.invoice_id == invoice_id and found.count >= 2
    authorities = [g.authority for g in found.groups]
    assert authorities == sorted(authorities, key=["ksef", "vat_act", "amounts"].index)
    assert {"ksef", "amounts"} <= set(authorities)
    amounts = next(g for g in found.groups if g.authority == "amounts")
    assert amounts.label.startswith("Kwoty") and any(n.code == "TOTALS_MISMATCH" for n in amounts.notes)
    with pytest.raises(Exception, match="nie ma takiej faktury"):
        fk.received.warnings(fk.companies.by_nip(NIP_A).id, invoice_id)  # another company's: not found
