"""Accounting office end to end against the simulator on its prod profile (real HTTP, real crypto).

Two installations, as in life: the client's Fakturnik (its own KSeF certificate, with which it grants
and revokes) and the office's Fakturnik (the office's certificate, the client company, the office's
employee). A grant made through Fakturnik lets the office send for the client; a revoke leaves the
next invoice queued with a Polish explanation of who must grant what; a new grant lets it go out.
"""

from __future__ import annotations

from pathlib import Path

from fakturnik.app import Fakturnik
from fakturnik.simulator.server import SimulatorServer
from fakturnik.store import states
from fakturnik.store.models import VaultSecret
from tests.app.kit import draft
from tests.delegation.kit import random_pesel
from tests.delegation.world import coworker, office_and_client, wait_for_note


def _issue(fk: Fakturnik, company_id: int, seller: str, n: int) -> int:
    return fk.invoices.issue(company_id, draft(seller=seller), idempotency_key=f"e2e-{n}").invoice.id


def test_client_grants_the_office_then_revokes_and_grants_again(
    prod_sim: SimulatorServer, tmp_path: Path, database_url: str | None
) -> None:
    with office_and_client(prod_sim, tmp_path, database_url) as world:
        client_fk, office_fk, own, office = world.client_fk, world.office_fk, world.own, world.office
        client_nip, office_nip, office_cert = own.nip, office.nip, office.cert
        client = world.client
        assert office_fk.companies.credential(client.id).kind == "office"  # type: ignore[union-attr]

        # 1. the client grants the office invoice rights through Fakturnik (followed to the end)
        granted = client_fk.permissions.grant_office(own.id, office_nip, name="Biuro Rachunkowe Sp. z o.o.")
        assert granted.ok, granted.message
        listed = client_fk.permissions.granted(own.id)
        assert {(g.kind, g.subject, g.permission, g.can_delegate) for g in listed} >= {
            ("entity", office_nip, "InvoiceWrite", True),
            ("entity", office_nip, "InvoiceRead", True),
        }
        # the office sees what its client granted it
        by_client = office_fk.permissions.received(office.id).by_client()
        assert {g.permission for g in by_client[client_nip]} == {"InvoiceRead", "InvoiceWrite"}

        with office_fk.running_worker():
            first = _issue(office_fk, client.id, client_nip, 1)
            done = office_fk.invoices.wait(client.id, first, timeout=60)
            assert done.status == states.ACCEPTED, done
            assert done.ksef_number and done.ksef_number.startswith(client_nip)
            # KSeF saw the office's seal log in to the client's context
            sessions = prod_sim.sim.state.all("session")
            assert {(d["contextValue"], d["subjectType"], d["subjectValue"]) for d in sessions} == {
                (client_nip, "Nip", office_nip)
            }

            # 2. the client revokes: the next invoice waits, and the office reads who must grant what
            write = next(g for g in listed if g.kind == "entity" and g.permission == "InvoiceWrite")
            revoked = client_fk.permissions.revoke(own.id, write.id)
            assert revoked.ok, revoked.message
            second = _issue(office_fk, client.id, client_nip, 2)
            note = wait_for_note(office_fk, second)
            assert f"Klient {client_nip} musi nadać biuru {office_nip} uprawnienie" in note
            assert "InvoiceWrite" in note
            assert office_fk.invoices.get(client.id, second).status in (states.QUEUED, states.SENDING)
            console = office_fk.offices.console(office.id)
            (row,) = console.clients
            assert row.nip == client_nip and row.credential_kind == "office"
            assert row.rights == ("InvoiceRead",) and row.queued == 1
            assert row.waiting_reason and client_nip in row.waiting_reason

            # 3. granted again: the waiting invoice goes out by itself
            again = client_fk.permissions.grant_office(
                own.id, office_nip, ["InvoiceWrite"], name="Biuro Rachunkowe"
            )
            assert again.ok, again.message
            office_fk.invoices.send_now(client.id, [second])
            done = office_fk.invoices.wait(client.id, second, timeout=60)
            assert done.status == states.ACCEPTED, done

        # no secret was copied: the office's installation holds the office's certificate only
        with office_fk.ctx.db.transaction() as s:
            names = sorted(n for (n,) in s.query(VaultSecret.name))
        assert names == [f"company/{office_nip}/certificate.cert", f"company/{office_nip}/certificate.key"]
        blob = b"".join(p.read_bytes() for p in (tmp_path / "biuro").rglob("*") if p.is_file())
        assert office_cert.key_pem not in blob and b"PRIVATE KEY" not in blob


def test_office_employee_with_an_indirect_grant_issues_for_the_client(
    prod_sim: SimulatorServer, tmp_path: Path
) -> None:
    pesel = random_pesel()
    with office_and_client(prod_sim, tmp_path, on_office=False) as world:
        client_fk, office_fk, own, office = world.client_fk, world.office_fk, world.own, world.office
        client_nip, office_nip = own.nip, office.nip
        client = world.client

        # the office's employee: a user of the office's Fakturnik, a member of the client company,
        # logging in to KSeF with her own KSeF certificate
        as_anna = coworker(
            office_fk, client.id, "anna@biuro.pl", "Anna Nowak", server=prod_sim, pesel=pesel
        ).services
        assert office_fk.companies.credential(client.id).kind == "person_certificate"  # type: ignore[union-attr]

        # the client grants the office delegable rights; the office passes InvoiceWrite on to Anna
        assert client_fk.permissions.grant_office(own.id, office_nip).ok
        indirect = office_fk.permissions.grant_indirect(
            office.id, pesel, ["InvoiceWrite"], client_nip=client_nip, first_name="Anna", last_name="Nowak"
        )
        assert indirect.ok, indirect.message
        mine = office_fk.permissions.granted(office.id)
        assert any(
            g.kind == "indirect" and g.subject == pesel and g.target == f"Nip:{client_nip}" for g in mine
        )

        with office_fk.running_worker():
            first = as_anna.invoices.issue(
                client.id, draft(seller=client_nip), idempotency_key="anna-1"
            ).invoice
            done = as_anna.invoices.wait(client.id, first.id, timeout=60)
            assert done.status == states.ACCEPTED, done
            assert "anna@biuro.pl" in (as_anna.coworkers.issued_by(client.id, first.id) or "")
            # KSeF too knows who sent it: the session was opened by Anna (her PESEL) in the client's context
            subjects = {
                (d["contextValue"], d["subjectType"], d["subjectValue"])
                for d in prod_sim.sim.state.all("session")
            }
            assert subjects == {(client_nip, "Pesel", pesel)}

            # the client withdraws the office's right: Anna's indirect grant stops working
            write = next(
                g
                for g in client_fk.permissions.granted(own.id)
                if g.kind == "entity" and g.permission == "InvoiceWrite"
            )
            assert client_fk.permissions.revoke(own.id, write.id).ok
            second = as_anna.invoices.issue(
                client.id, draft(seller=client_nip), idempotency_key="anna-2"
            ).invoice
            note = wait_for_note(office_fk, second.id)
            assert f"Klient {client_nip} musi nadać osobie Anna Nowak uprawnienie" in note
            assert as_anna.invoices.get(client.id, second.id).status != states.REJECTED

            assert client_fk.permissions.grant_office(own.id, office_nip).ok
            as_anna.invoices.send_now(client.id, [second.id])
            assert as_anna.invoices.wait(client.id, second.id, timeout=60).status == states.ACCEPTED
