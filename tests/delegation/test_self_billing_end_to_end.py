"""Self-billing end to end against the simulator on its prod profile: status 410 and back.

Two installations, as in life: the seller's Fakturnik (its KSeF certificate; it grants and revokes
the SelfInvoicing authorization) and the buyer's (its own certificate; it issues invoices in the
seller's name and sends them in its own context). Granted → accepted; revoked → the next invoice
gets KSeF status 410 and waits in the queue with the Polish explanation, never rejected, however
many attempts it takes; granted again → it goes out.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from fakturnik.app import Fakturnik
from fakturnik.engine.settings import EngineSettings
from fakturnik.simulator.server import SimulatorServer
from fakturnik.store import states
from tests.app.kit import draft
from tests.delegation.kit import random_nip
from tests.delegation.world import installation, outbox_entry, sealed_company

SELLER_NAME = "Dostawca Mleka Sp. z o.o."
BUYER_NAME = "Mleczarnia Nabywca S.A."
MAX_ATTEMPTS = 2  # a wait for a grant must outlast this many sends
SETTINGS = replace(EngineSettings.fast(), max_attempts=MAX_ATTEMPTS, backoff_cap=0.5)


def self_billed(seller_nip: str, key: str) -> dict[str, Any]:
    body = draft(seller=seller_nip)
    body["Podmiot1"]["DaneIdentyfikacyjne"]["Nazwa"] = SELLER_NAME
    del body["Podmiot2"]  # the buyer issuing it: the company itself
    body["Fa"]["Adnotacje"] = {"P_17": 1}
    body["Fa"]["FaWiersz"][0]["P_7"] = f"Mleko surowe, dostawa {key}"
    return body


def _outbox(fk: Fakturnik, invoice_id: int) -> tuple[str, str | None, int]:
    entry = outbox_entry(fk, invoice_id)
    return entry.state, entry.last_error, entry.attempts


def _wait_for_attempts(fk: Fakturnik, invoice_id: int, attempts: int, timeout: float = 60.0) -> str:
    """Until the engine has sent the invoice ``attempts`` times and noted why it waits."""
    deadline = time.monotonic() + timeout
    state, note, tried = _outbox(fk, invoice_id)
    while time.monotonic() < deadline:
        state, note, tried = _outbox(fk, invoice_id)
        assert state != states.REJECTED, note
        if tried >= attempts and state == states.QUEUED and note and note.startswith("Czeka na uprawnienie"):
            return note
        time.sleep(0.1)
    raise AssertionError(f"still {state} after {tried} attempts; last note {note!r}")


def test_seller_grants_self_billing_revokes_and_grants_again(
    prod_sim: SimulatorServer, tmp_path: Path, database_url: str | None
) -> None:
    with (
        installation(tmp_path / "sprzedawca", settings=SETTINGS) as seller_fk,
        installation(tmp_path / "nabywca", database_url, SETTINGS) as buyer_fk,
    ):
        seller = sealed_company(seller_fk, prod_sim, random_nip(), SELLER_NAME)
        buyer = sealed_company(buyer_fk, prod_sim, random_nip(), BUYER_NAME)
        seller_nip, buyer_nip = seller.nip, buyer.nip

        # 1. the seller authorises the buyer to self-bill, through Fakturnik (followed to the end)
        granted = seller_fk.permissions.grant_authorization(
            seller.id, buyer_nip, "self_billing", name=BUYER_NAME
        )
        assert granted.ok, granted.message
        (given,) = [g for g in seller_fk.permissions.granted(seller.id) if g.kind == "authorization"]
        assert (given.subject, given.permission) == (buyer_nip, "SelfInvoicing")
        received = buyer_fk.permissions.received(buyer.id).authorizations
        assert [(g.permission, g.context) for g in received] == [("SelfInvoicing", f"Nip:{seller_nip}")]

        with buyer_fk.running_worker():
            first = buyer_fk.invoices.issue(buyer.id, self_billed(seller_nip, "1")).invoice
            assert first.number.startswith(f"SF/{buyer_nip}/FV/")
            done = buyer_fk.invoices.wait(buyer.id, first.id, timeout=60)
            assert done.status == states.ACCEPTED, done
            # KSeF numbers it in the seller's name; the session was the buyer's own
            assert done.ksef_number and done.ksef_number.startswith(seller_nip)
            sessions = {(d["contextValue"], d["subjectValue"]) for d in prod_sim.sim.state.all("session")}
            assert sessions == {(buyer_nip, buyer_nip)}

            # 2. the seller revokes: the next invoice gets 410 and waits, attempts never used up
            revoked = seller_fk.permissions.revoke(seller.id, given.id, authorization=True)
            assert revoked.ok, revoked.message
            second = buyer_fk.invoices.issue(buyer.id, self_billed(seller_nip, "2")).invoice
            note = _wait_for_attempts(buyer_fk, second.id, MAX_ATTEMPTS + 1)
            assert note.startswith(f"Czeka na uprawnienie w KSeF: kontekst {buyer_nip} nie może")
            assert (
                f"sprzedawca {seller_nip} musi nadać firmie {buyer_nip} upoważnienie "
                "„samofakturowanie” (SelfInvoicing)"
            ) in note
            view = buyer_fk.invoices.get(buyer.id, second.id)
            assert view.status in (states.QUEUED, states.SENDING) and view.ksef_number is None
            statuses = [
                inv["status"]["code"]
                for inv in prod_sim.sim.state.all("invoice")
                if inv.get("invoiceNumber") == second.number
            ]
            assert statuses and set(statuses) == {410}

            # 3. granted again: the waiting invoice goes out
            again = seller_fk.permissions.grant_authorization(
                seller.id, buyer_nip, "self_billing", name=BUYER_NAME
            )
            assert again.ok, again.message
            buyer_fk.invoices.send_now(buyer.id, [second.id])
            done = buyer_fk.invoices.wait(buyer.id, second.id, timeout=60)
            assert done.status == states.ACCEPTED, done
            assert done.ksef_number and done.ksef_number.startswith(seller_nip)
