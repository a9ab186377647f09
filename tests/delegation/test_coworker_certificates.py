"""A co-worker's own certificate fails: only her invoices wait, named and explained; the others go on.

On the simulator's prod profile (SQLite): KSeF revokes her certificate → her next invoice waits with
"KSeF odrzucił certyfikat osoby …" while a colleague's goes out; she adds a new certificate → the
waiting invoice follows it and goes out under her PESEL. Her certificate removed from the company
while her invoices are queued → they wait with a note saying whose certificate to add again, the
company's own go out; added again → they go out.
"""

from __future__ import annotations

from pathlib import Path

from fakturnik.engine.connect import drop_logins
from fakturnik.simulator.server import SimulatorServer
from fakturnik.store import states
from tests.delegation.test_coworker_login import _subject_of, team
from tests.delegation.world import installation, outbox_entry, wait_for_note


def test_a_revoked_certificate_holds_only_her_invoices_until_she_adds_a_new_one(
    prod_sim: SimulatorServer, tmp_path: Path
) -> None:
    with installation(tmp_path / "firma") as fk:
        crew = team(fk, prod_sim)
        cid, nip = crew.company_id, crew.nip
        with fk.running_worker():
            first = crew.issue(crew.people["ola"], "ola-1")
            assert fk.invoices.wait(cid, first, timeout=60).status == states.ACCEPTED

            # KSeF revokes her certificate; her access token runs out (here: dropped at once)
            serial = _ola_serial(prod_sim, crew.pesels["ola"])
            record = prod_sim.sim.state.get("certificate", serial) or {}
            prod_sim.sim.state.put("certificate", serial, {**record, "status": "Revoked"})
            drop_logins([f"Nip:{nip}"])
            waiting = crew.issue(crew.people["ola"], "ola-2")
            note = wait_for_note(fk, waiting, "Czeka na certyfikat KSeF")
            assert "KSeF odrzucił certyfikat osoby Aleksandra Nowak" in note, note
            assert "nowy, ważny certyfikat KSeF" in note
            other = crew.issue(crew.people["ala"], "ala-1")
            assert fk.invoices.wait(cid, other, timeout=60).status == states.ACCEPTED
            assert fk.invoices.get(cid, waiting).status != states.REJECTED

            # a new certificate: the waiting invoice (queued under the old one) follows it
            crew.add_certificate(prod_sim, "ola")
            fk.invoices.send_now(cid, [waiting])
            assert fk.invoices.wait(cid, waiting, timeout=60).status == states.ACCEPTED
            assert _subject_of(prod_sim, fk, waiting) == (nip, "Pesel", crew.pesels["ola"])


def test_her_certificate_removed_keeps_her_queued_invoices_waiting(
    prod_sim: SimulatorServer, tmp_path: Path
) -> None:
    with installation(tmp_path / "firma") as fk:
        crew = team(fk, prod_sim)
        cid, nip = crew.company_id, crew.nip
        queued = [crew.issue(crew.people["ala"], f"ala-{n}") for n in (1, 2)]
        own = crew.issue(fk, "own-1")
        (cert,) = [c for c in fk.coworkers.certificates(cid) if c.user_id == crew.user_ids["ala"]]
        crew.people["ala"].coworkers.remove_certificate(cid, cert.credential_id)
        # what she issues now goes with the company's seal (she no longer has her own login here)
        later = crew.issue(crew.people["ala"], "ala-3")
        assert outbox_entry(fk, later).credential_id is None
        with fk.running_worker():
            for invoice_id in (own, later):
                assert fk.invoices.wait(cid, invoice_id, timeout=60).status == states.ACCEPTED
                assert _subject_of(prod_sim, fk, invoice_id) == (nip, "Nip", nip)
            for invoice_id in queued:
                note = wait_for_note(fk, invoice_id, "Czeka na certyfikat KSeF")
                assert note.startswith(
                    f"Czeka na certyfikat KSeF: Alicja Kowalska nie ma już w firmie {nip} aktywnego "
                    "certyfikatu KSeF"
                ), note
            crew.add_certificate(prod_sim, "ala")
            fk.invoices.send_now(cid, queued)
            for invoice_id in queued:
                assert fk.invoices.wait(cid, invoice_id, timeout=60).status == states.ACCEPTED
                assert _subject_of(prod_sim, fk, invoice_id) == (nip, "Pesel", crew.pesels["ala"])


def _ola_serial(prod_sim: SimulatorServer, pesel: str) -> str:
    (serial,) = [
        doc["certificateSerialNumber"]
        for doc in prod_sim.sim.state.all("certificate")
        if doc.get("subjectIdentifier") == {"type": "Pesel", "value": pesel}
    ]
    return str(serial)
