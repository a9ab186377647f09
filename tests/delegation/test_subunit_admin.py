"""A subunit's administrator, end to end against the simulator on its prod profile.

A company grants, through Fakturnik, a person (PESEL, her own KSeF certificate) the administration
of its internal unit (an ``InternalId`` ``{NIP}-{4 digits}{check}``): followed to 200, listed from
KSeF's answer, she logs in to the unit's context and holds CredentialsManage there, so she can give
the unit's people their rights; revoked, her next login there is refused (415).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from fakturnik.base.ksef_numbers import make_internal_id
from fakturnik.errors import InputError, KsefAuthError
from fakturnik.ksef import models as m
from fakturnik.ksef.auth import AuthManager
from fakturnik.ksef.client import KsefClient
from fakturnik.ksef.context import ContextIdentifier
from fakturnik.ksef.credentials import load_pem
from fakturnik.ksef.environments import local
from fakturnik.ksef.transport import Transport
from fakturnik.simulator.server import SimulatorServer
from tests.delegation.kit import KsefCertificate, ksef_certificate, random_nip, random_pesel
from tests.delegation.world import installation, sealed_company

UNIT_NAME = "Oddział Kraków"


def _login(server: SimulatorServer, cert: KsefCertificate, context: ContextIdentifier) -> AuthManager:
    credential = load_pem(cert.cert_pem, cert.key_pem)
    manager = AuthManager.with_certificate(Transport(local(server.base_url)), context, credential)
    manager.login()
    return manager


def test_the_company_grants_a_subunit_administrator_who_then_manages_the_unit(
    prod_sim: SimulatorServer, tmp_path: Path
) -> None:
    nip, pesel, clerk = random_nip(), random_pesel(), random_pesel()
    admin = ksef_certificate(prod_sim, "Pesel", pesel, "Ewa Kowalska")
    unit = make_internal_id(nip, "0042")
    context = ContextIdentifier("InternalId", unit)
    with installation(tmp_path) as fk:
        company = sealed_company(fk, prod_sim, nip, "Sieć Sklepów S.A.")

        # bad input: refused before anything is sent
        bad = unit[:-1] + str((int(unit[-1]) + 1) % 10)
        for subunit, name, field in ((bad, UNIT_NAME, "subunit"), (unit, "Kr", "subunit_name")):
            with pytest.raises(InputError) as err:
                fk.permissions.grant_subunit_admin(
                    company.id, pesel, subunit, subunit_name=name, first_name="Ewa", last_name="Kowalska"
                )
            assert err.value.problems[0].path == field, err.value
        with pytest.raises(KsefAuthError) as refused:  # no right in the unit yet
            _login(prod_sim, admin, context)
        assert refused.value.status_code == 415

        done = fk.permissions.grant_subunit_admin(
            company.id, pesel, unit, subunit_name=UNIT_NAME, first_name="Ewa", last_name="Kowalska"
        )
        assert done.ok and done.code == 200, done.message
        (listed,) = [g for g in fk.permissions.granted(company.id) if g.kind == "subunit"]
        assert (listed.subject, listed.permission, listed.context, listed.subject_name) == (
            pesel,
            "CredentialsManage",
            f"InternalId:{unit}",
            UNIT_NAME,
        )

        # she logs in to the unit's context with her own certificate and gives a clerk InvoiceWrite there
        manager = _login(prod_sim, admin, context)
        client = KsefClient(manager.api)
        started = client.grant_person_permissions(
            m.PersonPermissionsGrantRequest(
                subjectIdentifier=m.PersonPermissionsSubjectIdentifier(type="Pesel", value=clerk),
                permissions=["InvoiceWrite"],  # type: ignore[list-item]
                description="Wystawianie faktur oddziału",
                subjectDetails=m.PersonPermissionSubjectDetails(
                    subjectDetailsType="PersonByIdentifier",
                    personById=m.PersonDetails(firstName="Jan", lastName="Nowak"),
                ),
            )
        )
        status = client.permission_operation_status(started.referenceNumber).status
        deadline = 50
        while status.code == 100 and deadline:
            time.sleep(0.1)
            deadline -= 1
            status = client.permission_operation_status(started.referenceNumber).status
        assert status.code == 200, status
        client.close()

        revoked = fk.permissions.revoke(company.id, listed.id)
        assert revoked.ok, revoked.message
        assert not [g for g in fk.permissions.granted(company.id) if g.kind == "subunit"]
        with pytest.raises(KsefAuthError) as refused:
            _login(prod_sim, admin, context)
        assert refused.value.status_code == 415


def test_subunit_administrator_and_self_billing_authorization_by_rest(
    prod_sim: SimulatorServer, tmp_path: Path
) -> None:
    from tests.delegation.test_rest import _company
    from tests.web.api.harness import api_server
    from tests.web.api.helpers import sign_in

    nip, buyer_nip, pesel = random_nip(), random_nip(), random_pesel()
    own = ksef_certificate(prod_sim, "Nip", nip, "Sieć Sklepów S.A.")
    unit = make_internal_id(nip, "0007")
    with api_server(tmp_path, worker=False, webhooks=False) as server:
        server.runtime.fk.accounts.register_user(
            "wlasciciel@siec.pl", "hasło-bardzo-tajne", name="Właściciel"
        )
        http, _csrf, _user = sign_in(server, "wlasciciel@siec.pl", "hasło-bardzo-tajne")
        cid = _company(http, nip, "Sieć Sklepów S.A.", prod_sim.base_url, own)
        body = {"identifier": pesel, "subunit": unit[:-1] + str((int(unit[-1]) + 1) % 10)}
        body |= {"subunit_name": UNIT_NAME, "first_name": "Ewa", "last_name": "Kowalska"}
        r = http.post(f"/companies/{cid}/permissions/subunits", json=body)
        assert r.status_code == 422 and "cyfrę kontrolną" in r.text, r.text
        r = http.post(f"/companies/{cid}/permissions/subunits", json=body | {"subunit": unit})
        assert r.status_code == 200 and r.json()["ok"], r.text
        r = http.post(
            f"/companies/{cid}/permissions/authorizations",
            json={"nip": buyer_nip, "kind": "self_billing", "name": "Mleczarnia Nabywca S.A."},
        )
        assert r.status_code == 200 and r.json()["ok"], r.text
        listed = {g["kind"]: g for g in http.get(f"/companies/{cid}/permissions").json()}
        assert listed["subunit"]["context"] == f"InternalId:{unit}" and listed["subunit"]["subject"] == pesel
        assert listed["authorization"]["permission"] == "SelfInvoicing"
        assert listed["authorization"]["subject"] == buyer_nip
        for g in (listed["subunit"], listed["authorization"]):
            flag = "true" if g["kind"] == "authorization" else "false"
            r = http.delete(f"/companies/{cid}/permissions/{g['id']}", params={"authorization": flag})
            assert r.status_code == 200 and r.json()["ok"], r.text
        assert http.get(f"/companies/{cid}/permissions").json() == []
