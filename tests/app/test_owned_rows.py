"""A row of a company is reached only through that company (Service._owned), whatever the service."""

from __future__ import annotations

import pytest

from fakturnik.app import Fakturnik
from fakturnik.errors import NotFoundError
from tests.app.conftest import company_id
from tests.app.kit import NIP_A, NIP_B, draft


def test_another_company_s_row_is_not_found_by_id(fk: Fakturnik) -> None:
    a, b = company_id(fk, NIP_A), company_id(fk, NIP_B)
    saved = fk.drafts.save(a, {"buyer_name": "Klient"})
    key = fk.api_keys.create(a, "ERP", ["invoices:read"]).key
    contractor = fk.contractors.create(a, "9166568761", "Klient S.A.")
    product = fk.products.create(a, "Usługa", "100")
    assert fk.drafts.get(a, saved.id).title == "Klient"
    for reach in (
        lambda: fk.drafts.get(b, saved.id),
        lambda: fk.drafts.delete(b, saved.id),
        lambda: fk.api_keys.revoke(b, key.id),
        lambda: fk.contractors.get(b, contractor.id),
        lambda: fk.products.delete(b, product.id),
        lambda: fk.drafts.get(a, "1"),  # type: ignore[arg-type]  # an id that is not an int
    ):
        with pytest.raises(NotFoundError):
            reach()
    assert fk.drafts.get(a, saved.id).id == saved.id  # nothing was deleted by the refused calls
    assert fk.products.get(a, product.id).name == "Usługa"


def test_the_match_narrows_the_row(fk: Fakturnik) -> None:
    """An issued VAT invoice is not an advance invoice; an accepted invitation cannot be revoked."""
    a = company_id(fk, NIP_A)
    vat = fk.invoices.issue(a, draft()).invoice
    with pytest.raises(NotFoundError, match="zaliczkowej"):
        fk.advances.get(a, vat.id)
    invited = fk.accounts.invite(a, "ala@example.com", "viewer")
    fk.accounts.accept_invitation(invited.token, name="Ala", password="hasło-bardzo-tajne")
    with pytest.raises(NotFoundError, match="zaproszenia"):
        fk.accounts.revoke_invitation(a, invited.invitation.id)
