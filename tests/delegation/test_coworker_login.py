"""Each co-worker sends with their own KSeF login, end to end on the simulator's prod profile.

One company with its own KSeF certificate and two co-workers, each with a PESEL grant in the
company's context and her own KSeF certificate (issued by the simulator's CA, as the Ministry
would). What the owner issues goes out with the company's seal; what each co-worker issues goes out
in a session opened by her own certificate — KSeF's session data show her PESEL. When one co-worker
loses her grant, only her invoices wait, with a Polish note naming her; the others go on; granted
again, hers go out. SQLite and PostgreSQL. And an accounting office's client on the office's
credential: the office's invoices under the office's seal, its employee's under her own PESEL.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fakturnik.app import Fakturnik, Services
from fakturnik.simulator.server import SimulatorServer
from fakturnik.store import states
from fakturnik.store.models import KsefSession
from tests.app.kit import draft
from tests.delegation.kit import KsefCertificate, ksef_certificate, random_nip, random_pesel
from tests.delegation.world import (
    coworker,
    installation,
    office_and_client,
    outbox_entry,
    sealed_company,
    wait_for_note,
)


def _subject_of(prod_sim: SimulatorServer, fk: Fakturnik, invoice_id: int) -> tuple[str, str, str]:
    """(context, subject type, subject) of the KSeF session the invoice was accepted in."""
    ref = outbox_entry(fk, invoice_id).session_ref
    doc = prod_sim.sim.state.get("session", ref or "")
    assert doc is not None, ref
    return doc["contextValue"], doc["subjectType"], doc["subjectValue"]


NAMES = {"ala": ("Alicja", "Kowalska"), "ola": ("Aleksandra", "Nowak")}


@dataclass
class Team:
    """A company with its own KSeF seal; two co-workers, each with a PESEL grant and her own certificate."""

    fk: Fakturnik
    company_id: int
    nip: str
    pesels: dict[str, str]
    people: dict[str, Services]  # the services acting as each co-worker
    user_ids: dict[str, int]

    def issue(self, as_whom: Fakturnik | Services, key: str) -> int:
        return as_whom.invoices.issue(self.company_id, draft(seller=self.nip), idempotency_key=key).invoice.id

    def add_certificate(self, prod_sim: SimulatorServer, who: str) -> KsefCertificate:
        first, last = NAMES[who]
        cert = ksef_certificate(prod_sim, "Pesel", self.pesels[who], f"{first} {last}")
        self.people[who].coworkers.add_certificate(
            self.company_id, self.user_ids[who], cert.cert_pem, cert.key_pem
        )
        return cert

    def grant(self, who: str) -> None:
        first, last = NAMES[who]
        granted = self.fk.permissions.grant_person(
            self.company_id, self.pesels[who], ["InvoiceWrite"], first_name=first, last_name=last
        )
        assert granted.ok, granted.message


def team(fk: Fakturnik, prod_sim: SimulatorServer) -> Team:
    company = sealed_company(fk, prod_sim, random_nip(), "Firma Testowa Sp. z o.o.")
    crew = Team(fk, company.id, company.nip, {w: random_pesel() for w in NAMES}, {}, {})
    for who, (first, last) in NAMES.items():
        member = coworker(fk, company.id, f"{who}@firma.pl", f"{first} {last}")
        crew.people[who] = member.services
        crew.user_ids[who] = member.user_id
        crew.add_certificate(prod_sim, who)
        crew.grant(who)
    return crew


def test_each_coworker_sends_with_her_own_certificate(
    prod_sim: SimulatorServer, tmp_path: Path, database_url: str | None
) -> None:
    with installation(tmp_path / "firma", database_url) as fk:
        crew = team(fk, prod_sim)
        cid, nip, pesels, people, issue = crew.company_id, crew.nip, crew.pesels, crew.people, crew.issue
        # the company still logs in with its own seal; each co-worker's invoices name her certificate
        assert fk.companies.credential(cid).kind == "certificate"  # type: ignore[union-attr]

        with fk.running_worker():
            own = issue(fk, "own-1")
            mine = {who: [issue(people[who], f"{who}-{n}") for n in (1, 2)] for who in pesels}
            assert outbox_entry(fk, own).credential_id is None
            assert len({outbox_entry(fk, i).credential_id for ids in mine.values() for i in ids}) == 2
            for invoice_id in [own, *mine["ala"], *mine["ola"]]:
                done = fk.invoices.wait(cid, invoice_id, timeout=60)
                assert done.status == states.ACCEPTED, done
            # KSeF's session data: the owner's invoice under the company's seal, each co-worker's
            # under her own PESEL — never in a session opened by someone else's login
            assert _subject_of(prod_sim, fk, own) == (nip, "Nip", nip)
            for who, ids in mine.items():
                assert {_subject_of(prod_sim, fk, i) for i in ids} == {(nip, "Pesel", pesels[who])}
            with fk.ctx.db.transaction() as s:
                opened = {(r.reference_number, r.credential_id) for r in s.query(KsefSession)}
            assert {c for _, c in opened} == {None} | {
                outbox_entry(fk, i).credential_id for i in mine["ala"]
            } | {outbox_entry(fk, i).credential_id for i in mine["ola"]}

            # Ola loses her grant: her next invoice waits with a note naming her; Ala's and the
            # company's go out meanwhile
            grant = next(
                g
                for g in fk.permissions.granted(cid)
                if g.kind == "person" and g.subject == pesels["ola"] and g.permission == "InvoiceWrite"
            )
            assert fk.permissions.revoke(cid, grant.id).ok
            waiting = issue(people["ola"], "ola-3")
            note = wait_for_note(fk, waiting, "Czeka na uprawnienie w KSeF")
            assert "Aleksandra Nowak" in note and "InvoiceWrite" in note, note
            others = [issue(people["ala"], "ala-3"), issue(fk, "own-2")]
            for invoice_id in others:
                assert fk.invoices.wait(cid, invoice_id, timeout=60).status == states.ACCEPTED
            assert _subject_of(prod_sim, fk, others[0]) == (nip, "Pesel", pesels["ala"])
            assert fk.invoices.get(cid, waiting).status in (states.QUEUED, states.SENDING)

            # granted again: hers goes out, under her own PESEL
            crew.grant("ola")
            fk.invoices.send_now(cid, [waiting])
            assert fk.invoices.wait(cid, waiting, timeout=60).status == states.ACCEPTED
            assert _subject_of(prod_sim, fk, waiting) == (nip, "Pesel", pesels["ola"])


def test_an_office_client_sends_with_the_office_seal_and_the_employee_with_her_own(
    prod_sim: SimulatorServer, tmp_path: Path
) -> None:
    """A client on the office's credential: what the office issues goes under the office's seal, what
    the office's employee issues with her own certificate (an indirect grant) goes under her PESEL."""
    pesel = random_pesel()
    with office_and_client(prod_sim, tmp_path) as world:
        client_fk, office_fk, own, office = world.client_fk, world.office_fk, world.own, world.office
        client = world.client
        client_nip, office_nip = own.nip, office.nip
        as_anna = coworker(
            office_fk, client.id, "anna@biuro.pl", "Anna Nowak", server=prod_sim, pesel=pesel
        ).services
        assert office_fk.companies.credential(client.id).kind == "office"  # type: ignore[union-attr]
        assert client_fk.permissions.grant_office(own.id, office_nip).ok
        assert office_fk.permissions.grant_indirect(
            office.id, pesel, ["InvoiceWrite"], client_nip=client_nip, first_name="Anna", last_name="Nowak"
        ).ok

        with office_fk.running_worker():
            by_office = office_fk.invoices.issue(
                client.id, draft(seller=client_nip), idempotency_key="biuro-1"
            ).invoice.id
            by_anna = as_anna.invoices.issue(
                client.id, draft(seller=client_nip), idempotency_key="anna-1"
            ).invoice.id
            for invoice_id in (by_office, by_anna):
                assert office_fk.invoices.wait(client.id, invoice_id, timeout=60).status == states.ACCEPTED
            assert _subject_of(prod_sim, office_fk, by_office) == (client_nip, "Nip", office_nip)
            assert _subject_of(prod_sim, office_fk, by_anna) == (client_nip, "Pesel", pesel)
