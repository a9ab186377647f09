"""fk.permissions against the prod profile: persons, authorizations, refusals, roles, nothing half-done."""

from __future__ import annotations

from pathlib import Path

import pytest

from fakturnik.app import Actor, Fakturnik
from fakturnik.errors import ConflictError, InputError, PermissionDeniedError
from fakturnik.simulator.server import SimulatorServer
from fakturnik.store.models import AuditEntry
from tests.delegation.kit import ksef_certificate, random_nip, random_pesel
from tests.delegation.world import installation


def _audit_count(fk: Fakturnik) -> int:
    with fk.ctx.db.transaction() as s:
        return s.query(AuditEntry).filter(AuditEntry.action.like("permission.%")).count()


def test_persons_authorizations_refusals_and_roles(prod_sim: SimulatorServer, tmp_path: Path) -> None:
    nip, partner, pesel = random_nip(), random_nip(), random_pesel()
    cert = ksef_certificate(prod_sim, "Nip", nip, "Firma Testowa Sp. z o.o.")
    partner_cert = ksef_certificate(prod_sim, "Nip", partner, "Partner Sp. z o.o.")
    with installation(tmp_path) as fk:
        company = fk.companies.add(nip, "Firma Testowa Sp. z o.o.", "local", prod_sim.base_url).id
        other = fk.companies.add(partner, "Partner Sp. z o.o.", "local", prod_sim.base_url).id

        # a company without a credential of its own cannot manage permissions: said, nothing sent
        with pytest.raises(ConflictError, match="nie ma własnego certyfikatu"):
            fk.permissions.granted(company)
        fk.companies.set_certificate(company, cert.cert_pem, cert.key_pem)
        fk.companies.set_certificate(other, partner_cert.cert_pem, partner_cert.key_pem)

        person = fk.permissions.grant_person(
            company, pesel, ["InvoiceRead", "CredentialsRead"], first_name="Jan", last_name="Kowalski"
        )
        assert person.ok and person.done and person.reference.startswith("20")
        assert person.message == "operacja zakończona powodzeniem"
        grants = {(g.kind, g.subject_type, g.subject, g.permission) for g in fk.permissions.granted(company)}
        assert grants == {
            ("person", "Pesel", pesel, "InvoiceRead"),
            ("person", "Pesel", pesel, "CredentialsRead"),
        }
        named = next(g for g in fk.permissions.granted(company) if g.permission == "InvoiceRead")
        assert named.subject_name == "Jan Kowalski" and named.permission_label.startswith(
            "przeglądanie faktur"
        )

        auth = fk.permissions.grant_authorization(company, partner, "self_billing", name="Partner Sp. z o.o.")
        assert auth.ok, auth.message
        given = [g for g in fk.permissions.granted(company) if g.kind == "authorization"]
        assert [(g.permission, g.subject) for g in given] == [("SelfInvoicing", partner)]
        assert [(g.permission, g.context) for g in fk.permissions.received(other).authorizations] == [
            ("SelfInvoicing", f"Nip:{nip}")
        ]
        assert fk.permissions.revoke(company, given[0].id, authorization=True).ok
        assert not [g for g in fk.permissions.granted(company) if g.kind == "authorization"]

        # KSeF's refusal comes back as a finished, failed operation with a Polish message
        refused = fk.permissions.revoke(company, "00000000-0000-0000-0000-000000000000")
        assert refused.done and not refused.ok and refused.code == 400 and "KSeF odrzucił" in refused.message
        assert fk.permissions.operation(company, person.reference).ok

        # bad input never reaches KSeF and leaves no trace
        before = _audit_count(fk)
        for call in (
            lambda: fk.permissions.grant_person(
                company, "0" * 11, ["InvoiceRead"], first_name="A", last_name="B"
            ),
            lambda: fk.permissions.grant_person(
                company, pesel, ["InvoiceRead"], first_name="J", last_name="K"
            ),
            lambda: fk.permissions.grant_person(
                company, pesel, ["VatUeManage"], first_name="Jan", last_name="Nowak"
            ),
            lambda: fk.permissions.grant_entity(company, nip),
            lambda: fk.permissions.grant_indirect(company, nip, first_name="Jan", last_name="Nowak"),
            lambda: fk.permissions.grant_authorization(company, partner, "cokolwiek"),
            lambda: fk.permissions.revoke(company, ""),
        ):
            with pytest.raises(InputError):
                call()
        assert _audit_count(fk) == before
        assert len(fk.permissions.granted(company)) == 2

        # roles: an accountant reads, only the owner grants; a stranger does not see the company
        accountant = fk.accounts.register_user("ksiegowa@firma.pl", "hasło-bardzo-tajne", "Księgowa")
        fk.accounts.add_member(company, accountant.id, "accountant")
        as_accountant = fk.acting_as(Actor.user(accountant.id, "ksiegowa@firma.pl"))
        assert len(as_accountant.permissions.granted(company)) == 2
        with pytest.raises(PermissionDeniedError):
            as_accountant.permissions.grant_office(company, partner)
        with pytest.raises(PermissionDeniedError):
            as_accountant.permissions.revoke(company, named.id)
        assert len(fk.permissions.granted(company)) == 2
