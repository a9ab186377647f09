"""Collective identifiers in the product, against the simulator: the seller makes one for a buyer's
unpaid invoices, the buyer sees it and exports the payment list (CSV, Elixir-O)."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from fakturnik.app import Fakturnik
from fakturnik.base.ksef_numbers import is_valid_collective_identifier
from fakturnik.errors import ConflictError, InputError, PermissionDeniedError
from tests.app.conftest import company_id
from tests.app.kit import NIP_A, NIP_B, user_with_role
from tests.collective.kit import BUYER_ACCOUNT, SELLER_ACCOUNT, issue_registered


def test_one_identifier_for_a_buyers_unpaid_invoices_then_the_buyers_payment_list(fk_sim: Fakturnik) -> None:
    a = company_id(fk_sim, NIP_A)
    b = fk_sim.companies.add(NIP_B, "Nabywca", environment="local", bank_account=BUYER_ACCOUNT).id
    ids = issue_registered(fk_sim, a, NIP_A, ["100.00", "200.00", "300.00", "50.00"])
    fk_sim.invoices.record_payment(a, ids[0], Decimal("23.00"))  # partly paid: the rest is due
    fk_sim.invoices.record_payment(a, ids[3])  # paid in full: not due any more

    dues = fk_sim.collective.dues(a)
    assert [d.buyer_id for d in dues] == [NIP_B]
    assert [i.invoice_id for i in dues[0].invoices] == ids[:3]
    assert dues[0].total == Decimal("123.00") + Decimal("246.00") + Decimal("369.00") - Decimal("23.00")
    assert dues[0].currency == "PLN"

    made = fk_sim.collective.create(a, NIP_B)
    assert is_valid_collective_identifier(made.number) and made.number.startswith(NIP_A + "-IZ")
    assert made.amount == dues[0].total and made.currency == "PLN"
    assert made.invoice_ids == tuple(ids[:3]) and len(made.ksef_numbers) == 3
    assert fk_sim.collective.created(a) == [made]
    assert fk_sim.collective.get(a, made.number) == made
    only_two = fk_sim.collective.create(a, NIP_B, invoice_ids=ids[1:3])
    assert only_two.amount == Decimal("615.00") and only_two.invoice_ids == tuple(ids[1:3])
    with pytest.raises(InputError, match="niezapłaconymi"):
        fk_sim.collective.create(a, NIP_B, invoice_ids=[ids[3]])  # paid: not in a transfer any more

    assert fk_sim.ksef.sync(b).new == 4
    seen = fk_sim.collective.received(b)
    assert [v.number for v in seen] == [only_two.number, made.number]  # newest first
    view = seen[1]
    assert view.seller_nip == NIP_A and view.amount == made.amount and view.currency == "PLN"
    received_ids = {r.ksef_number: r.id for r in fk_sim.received.list(b).items}
    assert {i.invoice_id for i in view.invoices} == {received_ids[n] for n in made.ksef_numbers}

    listing = fk_sim.collective.payment_list(b, identifiers=[made.number])
    text = listing.content.decode("utf-8-sig")
    assert listing.transfers == 1 and listing.total == made.amount
    assert made.number in text and SELLER_ACCOUNT in text
    assert f"{made.amount:.2f}".replace(".", ",") in text
    elixir = fk_sim.collective.payment_list(b, identifiers=[made.number], format="elixir")
    line = elixir.content.decode("cp1250")
    assert line.startswith("110,") and made.number in line and SELLER_ACCOUNT in line
    assert str(int(made.amount * 100)) in line and elixir.filename.endswith(".txt")

    two = [received_ids[n] for n in made.ksef_numbers[:2]]
    by_numbers = fk_sim.collective.payment_list(b, invoice_ids=two).content.decode("utf-8-sig")
    assert all(n in by_numbers for n in made.ksef_numbers[:2])  # the KSeF numbers are the title

    assert fk_sim.collective.created(b) == []  # the seller's identifiers are not the buyer's own
    with pytest.raises(Exception, match="nie ma"):
        fk_sim.collective.get(b, made.number)


@pytest.mark.parametrize("code", [71004])
def test_ksef_refusals_are_said_in_polish_and_nothing_is_kept(fk_sim: Fakturnik, code: int) -> None:
    a = company_id(fk_sim, NIP_A)
    fk_sim.companies.add(NIP_B, "Nabywca", environment="local")
    issue_registered(fk_sim, a, NIP_A, ["10.00"])
    assert fk_sim.simulator is not None
    admin = fk_sim.simulator.root_url + "/admin/faults"
    httpx.post(admin, json={"collectiveError": code}, timeout=10).raise_for_status()
    with pytest.raises(ConflictError) as refused:
        fk_sim.collective.create(a, NIP_B)
    assert str(refused.value) == f"KSeF odrzucił operację na identyfikatorze zbiorczym (kod {code})"
    assert fk_sim.collective.created(a) == []
    assert fk_sim.collective.create(a, NIP_B).amount == Decimal("12.30")  # the fault was one call


def test_who_may_create_and_what_is_refused_before_ksef(fk: Fakturnik) -> None:
    a = company_id(fk, NIP_A)
    viewer = user_with_role(fk, a, "podglad@firma.pl", "viewer")
    with pytest.raises(PermissionDeniedError):
        fk.acting_as(viewer).collective.create(a, NIP_B)
    assert fk.acting_as(viewer).collective.created(a) == []  # reading is allowed
    with pytest.raises(InputError, match="nie ma niezapłaconych"):
        fk.collective.create(a, NIP_B)
    erp = fk.api_keys.authenticate(fk.api_keys.create(a, "ERP", ["invoices:write"]).token)
    with pytest.raises(InputError, match="nie ma niezapłaconych"):  # the write scope may create
        fk.acting_as(erp).collective.create(a, NIP_B)
    with pytest.raises(InputError):
        fk.collective.payment_list(a)
    with pytest.raises(InputError):
        fk.collective.payment_list(a, invoice_ids=[1], format="pdf")  # type: ignore[arg-type]
