"""Helpers of the collective-identifier tests: invoices from A to B registered in the simulator."""

from __future__ import annotations

from typing import Any

from fakturnik.app import Fakturnik
from tests.app.kit import NIP_B, draft

SELLER_ACCOUNT = "61109010140000071219812874"  # the seller's account, on each invoice
BUYER_ACCOUNT = "PL 27 1140 2004 0000 3002 0135 5387"  # the buyer's own, for Elixir-O


def payable_draft(seller: str, net: str, buyer: str = NIP_B) -> dict[str, Any]:
    doc = draft(seller, buyer, net=net, due="2026-12-31")
    doc["Fa"]["Platnosc"]["RachunekBankowy"] = [{"NrRB": SELLER_ACCOUNT, "NazwaBanku": "Bank Przykładowy"}]
    return doc


def issue_registered(fk: Fakturnik, company_id: int, seller: str, nets: list[str]) -> list[int]:
    """Issue invoices to B and wait until KSeF registered each (a worker runs meanwhile)."""
    ids = []
    with fk.running_worker():
        for net in nets:
            ids.append(fk.invoices.issue(company_id, payable_draft(seller, net)).invoice.id)
        for invoice_id in ids:
            assert fk.invoices.wait(company_id, invoice_id, timeout=60).status == "accepted"
    return ids
