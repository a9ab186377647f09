"""Permission grants, revokes, operations and enforcement over real HTTP (digest §3.5, §11)."""

from __future__ import annotations

import httpx

from fakturnik.base.ksef_numbers import make_internal_id
from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.grants import may_issue_for, permissions_for
from fakturnik.simulator.security import Caller
from fakturnik.simulator.server import SimulatorServer
from tests.simulator import grants_kit as kit


def _caller(context: str, permissions: set[str], context_type: str = "Nip") -> Caller:
    return Caller(
        token_kind="access",
        auth_ref="x",
        context_type=context_type,
        context_value=context,
        subject_type="Nip",
        subject_value=context,
        permissions=frozenset(permissions),
        auth_method="XadesSignature",
        client_ip="127.0.0.1",
    )


# -- the accounting office ------------------------------------------------------------------------


def test_accounting_office_employee_gets_invoice_write_in_client_context(simulator: SimulatorServer) -> None:
    client_nip, office_nip, employee = kit.nip(), kit.nip(), ("Pesel", kit.pesel())
    with kit.client(simulator, kit.token(simulator, client_nip)) as client_a:
        kit.grant(client_a, "entities/grants", kit.entity_grant_body(office_nip, ["InvoiceWrite"], True))
    with kit.client(simulator, kit.token(simulator, office_nip)) as office:
        target = {"type": "Nip", "value": client_nip}
        kit.grant(office, "indirect/grants", kit.indirect_grant_body(employee, ["InvoiceWrite"], target))

    access = kit.token(simulator, client_nip, employee)
    assert kit.token_permissions(simulator, access) == {"InvoiceWrite"}
    # the office's owner may log into the client's context too
    assert permissions_for(simulator.sim, "Nip", client_nip, "Nip", office_nip) == {"InvoiceWrite"}
    # but the employee has nothing in an unrelated context
    assert permissions_for(simulator.sim, "Nip", kit.nip(), *employee) == set()
    # the personal query shows the indirect grant in the client's context
    with kit.client(simulator, access) as c:
        r = c.post("/permissions/query/personal/grants", json={})
        assert r.status_code == 200, r.text
        items = r.json()["permissions"]
        assert [(i["permissionScope"], i["targetIdentifier"]["value"]) for i in items] == [
            ("InvoiceWrite", client_nip)
        ]


def test_employee_without_grant_has_no_rights_and_gets_403(simulator: SimulatorServer) -> None:
    client_nip, stranger = kit.nip(), ("Pesel", kit.pesel())
    access = kit.token(simulator, client_nip, stranger)
    assert kit.token_permissions(simulator, access) == set()
    with kit.client(simulator, access) as c:
        r = c.post("/permissions/query/entities/grants", json={})
    assert r.status_code == 403
    body = r.json()
    assert body["reasonCode"] == "missing-permissions"
    assert body["security"]["requiredAnyOfPermissions"] == ["CredentialsManage", "CredentialsRead"]


def test_selective_indirect_grant_needs_a_delegable_entity_grant(simulator: SimulatorServer) -> None:
    client_nip, office_nip, employee = kit.nip(), kit.nip(), ("Pesel", kit.pesel())
    with kit.client(simulator, kit.token(simulator, client_nip)) as client_a:
        kit.grant(client_a, "entities/grants", kit.entity_grant_body(office_nip, ["InvoiceWrite"], False))
    with kit.client(simulator, kit.token(simulator, office_nip)) as office:
        target = {"type": "Nip", "value": client_nip}
        status = kit.grant(
            office, "indirect/grants", kit.indirect_grant_body(employee, ["InvoiceWrite"], target), expect=440
        )
    assert client_nip in status["details"][0]
    assert permissions_for(simulator.sim, "Nip", client_nip, *employee) == set()


def test_general_indirect_grant_covers_every_delegating_client(simulator: SimulatorServer) -> None:
    office_nip, employee = kit.nip(), ("Pesel", kit.pesel())
    clients = [kit.nip(), kit.nip()]
    for nip in clients:
        with kit.client(simulator, kit.token(simulator, nip)) as c:
            body = kit.entity_grant_body(office_nip, ["InvoiceRead", "InvoiceWrite"], True)
            kit.grant(c, "entities/grants", body)
    with kit.client(simulator, kit.token(simulator, office_nip)) as office:
        body = kit.indirect_grant_body(employee, ["InvoiceRead"], {"type": "AllPartners"})
        kit.grant(office, "indirect/grants", body)
        r = office.post("/permissions/query/entities/grants", json={})
        assert r.status_code == 200
        granters = {i["contextIdentifier"]["value"] for i in r.json()["permissions"]}
        assert granters == set(clients)
    for nip in clients:
        assert permissions_for(simulator.sim, "Nip", nip, *employee) == {"InvoiceRead"}


def test_revoking_the_entity_grant_ends_the_indirect_rights(simulator: SimulatorServer) -> None:
    client_nip, office_nip, employee = kit.nip(), kit.nip(), ("Pesel", kit.pesel())
    with kit.client(simulator, kit.token(simulator, client_nip)) as client_a:
        kit.grant(client_a, "entities/grants", kit.entity_grant_body(office_nip, ["InvoiceWrite"], True))
        with kit.client(simulator, kit.token(simulator, office_nip)) as office:
            target = {"type": "Nip", "value": client_nip}
            kit.grant(office, "indirect/grants", kit.indirect_grant_body(employee, ["InvoiceWrite"], target))
        assert permissions_for(simulator.sim, "Nip", client_nip, *employee) == {"InvoiceWrite"}
        r = client_a.post(
            "/permissions/query/persons/grants", json={"queryType": "PermissionsInCurrentContext"}
        )
        entity = [i for i in r.json()["permissions"] if i["authorizedIdentifier"]["value"] == office_nip]
        assert len(entity) == 1
        rv = client_a.delete(f"/permissions/common/grants/{entity[0]['id']}")
        assert rv.status_code == 202
        assert kit.wait_operation(client_a, rv.json()["referenceNumber"])["code"] == 200
    assert permissions_for(simulator.sim, "Nip", client_nip, *employee) == set()
    # the office still lists its indirect grant, now inactive
    with kit.client(simulator, kit.token(simulator, office_nip)) as office:
        query = {"queryType": "PermissionsGrantedInCurrentContext"}
        listed = office.post("/permissions/query/persons/grants", json=query).json()["permissions"]
        assert [(i["permissionScope"], i["permissionState"]) for i in listed] == [
            ("InvoiceWrite", "Inactive")
        ]
        active = office.post("/permissions/query/persons/grants", json=query | {"permissionState": "Active"})
        assert active.json()["permissions"] == []


def test_real_xades_login_as_accounting_office_employee(simulator: SimulatorServer) -> None:
    """The auth engineer's login path calls permissions_for: no grant → 415, with a grant → 200."""
    from tests.simulator import xades_helpers as xh

    client_nip, office_nip, employee_nip = kit.nip(), kit.nip(), kit.nip()
    identity = xh.person(employee_nip)
    with kit.client(simulator) as anon:
        refused = xh.xades_login(anon, identity, client_nip)
        assert refused["status"]["status"]["code"] == 415
    with kit.client(simulator, kit.token(simulator, client_nip)) as client_a:
        kit.grant(client_a, "entities/grants", kit.entity_grant_body(office_nip, ["InvoiceWrite"], True))
    with kit.client(simulator, kit.token(simulator, office_nip)) as office:
        target = {"type": "Nip", "value": client_nip}
        body = kit.indirect_grant_body(("Nip", employee_nip), ["InvoiceWrite"], target)
        kit.grant(office, "indirect/grants", body)
    with kit.client(simulator) as anon:
        ok = xh.xades_login(anon, identity, client_nip)
    assert ok["status"]["status"]["code"] == 200, ok["status"]
    access = ok["tokens"]["accessToken"]["token"]
    assert kit.token_permissions(simulator, access) == {"InvoiceWrite"}
    with kit.client(simulator, access) as c:
        r = c.post("/permissions/query/persons/grants", json={"queryType": "PermissionsInCurrentContext"})
        assert r.status_code == 403 and r.json()["reasonCode"] == "missing-permissions"


# -- persons --------------------------------------------------------------------------------------


def test_person_grants_queries_paging_and_revoke(simulator: SimulatorServer) -> None:
    owner = kit.nip()
    people = [("Pesel", kit.pesel()) for _ in range(6)]
    with kit.client(simulator, kit.token(simulator, owner)) as c:
        for p in people:
            kit.grant(c, "persons/grants", kit.person_grant_body(p, ["InvoiceRead", "CredentialsRead"]))
        first = c.post(
            "/permissions/query/persons/grants",
            params={"pageSize": 10},
            json={"queryType": "PermissionsInCurrentContext"},
        ).json()
        second = c.post(
            "/permissions/query/persons/grants",
            params={"pageSize": 10, "pageOffset": 1},
            json={"queryType": "PermissionsInCurrentContext"},
        ).json()
        assert len(first["permissions"]) == 10 and first["hasMore"] is True
        assert len(second["permissions"]) == 2 and second["hasMore"] is False
        items = first["permissions"] + second["permissions"]
        dates = [i["startDate"] for i in items]
        assert dates == sorted(dates, reverse=True)
        assert {i["authorIdentifier"]["value"] for i in items} == {owner}
        granted = c.post(
            "/permissions/query/persons/grants",
            json={"queryType": "PermissionsGrantedInCurrentContext", "permissionTypes": ["InvoiceRead"]},
            params={"pageSize": 100},
        ).json()["permissions"]
        assert len(granted) == 6
        victim = granted[0]
        r = c.delete(f"/permissions/common/grants/{victim['id']}")
        assert kit.wait_operation(c, r.json()["referenceNumber"])["code"] == 200
        who = (victim["authorizedIdentifier"]["type"], victim["authorizedIdentifier"]["value"])
    assert permissions_for(simulator.sim, "Nip", owner, *who) == {"CredentialsRead"}
    assert permissions_for(simulator.sim, "Nip", owner, *people[-1]) in (
        {"InvoiceRead", "CredentialsRead"},
        {"CredentialsRead"},
    )


def test_person_grant_prerequisites_fail_asynchronously(simulator: SimulatorServer) -> None:
    owner = kit.nip()
    with kit.client(simulator, kit.token(simulator, owner)) as c:
        # EnforcementOperations needs the context role EnforcementAuthority / CourtBailiff
        body = kit.person_grant_body(("Pesel", kit.pesel()), ["EnforcementOperations"])
        assert "EnforcementAuthority" in kit.grant(c, "persons/grants", body, expect=430)["details"][0]
        # fingerprint details with a PESEL identifier are inconsistent
        body = kit.person_grant_body(("Pesel", kit.pesel()), ["InvoiceRead"])
        body["subjectDetails"] = kit.fp_details()
        kit.grant(c, "persons/grants", body, expect=410)
        # an unknown ISO country in the identity document
        body = kit.person_grant_body(("Fingerprint", kit.fingerprint()), ["InvoiceRead"])
        body["subjectDetails"]["personByFpNoId"]["idDocument"]["country"] = "XX"
        assert "ISO" in kit.grant(c, "persons/grants", body, expect=400)["details"][0]
        # a fingerprint person grant is fine
        body = kit.person_grant_body(("Fingerprint", kit.fingerprint()), ["InvoiceRead"])
        kit.grant(c, "persons/grants", body)


def test_enforcement_operations_with_the_role(simulator: SimulatorServer) -> None:
    authority = kit.nip()
    with kit.client(simulator) as anon:
        r = anon.post(
            "/testdata/subject",
            json={
                "subjectNip": authority,
                "subjectType": "EnforcementAuthority",
                "description": "Organ egzekucyjny",
            },
        )
        assert r.status_code == 200, r.text
    with kit.client(simulator, kit.token(simulator, authority)) as c:
        officer = ("Pesel", kit.pesel())
        kit.grant(c, "persons/grants", kit.person_grant_body(officer, ["EnforcementOperations"]))
        roles = c.get("/permissions/query/entities/roles").json()
        assert [r["role"] for r in roles["roles"]] == ["EnforcementAuthority"]
    assert permissions_for(simulator.sim, "Nip", authority, *officer) == {"EnforcementOperations"}


def test_input_validation_answers_21405(simulator: SimulatorServer) -> None:
    with kit.client(simulator, kit.token(simulator, kit.nip())) as c:
        body = kit.person_grant_body(("Pesel", kit.pesel()), ["InvoiceRead"])
        body["description"] = "abc"
        r = c.post("/permissions/persons/grants", json=body)
        assert r.status_code == 400
        assert r.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21405
        body = kit.person_grant_body(("Pesel", "12345678901234"), ["InvoiceRead"])
        r = c.post("/permissions/persons/grants", json=body, headers={"X-Error-Format": "problem-details"})
        assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"][0]["code"] == 21405
        r = c.post("/permissions/query/personal/grants", params={"pageSize": 5}, json={})
        assert r.status_code == 400
        r = c.post("/permissions/query/persons/grants", json={})
        assert r.status_code == 400
        r = c.get("/permissions/operations/20250101-EG-0000000000-0000000000-00")
        assert r.status_code == 400


def test_protected_endpoints_need_a_bearer(simulator: SimulatorServer) -> None:
    with kit.client(simulator) as anon:
        r = anon.post("/permissions/query/personal/grants", json={})
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")


def test_operation_is_pending_during_processing_delay(simulator_factory: object) -> None:
    server = simulator_factory(SimulatorConfig(rate_limits_enabled=False, processing_delay=0.4))  # type: ignore[operator]
    owner, person = kit.nip(), ("Pesel", kit.pesel())
    with kit.client(server, kit.token(server, owner)) as c:
        r = c.post("/permissions/persons/grants", json=kit.person_grant_body(person, ["InvoiceRead"]))
        ref = r.json()["referenceNumber"]
        assert c.get(f"/permissions/operations/{ref}").json()["status"]["code"] == 100
        assert permissions_for(server.sim, "Nip", owner, *person) == set()
        assert kit.wait_operation(c, ref)["code"] == 200
    assert permissions_for(server.sim, "Nip", owner, *person) == {"InvoiceRead"}


def test_operation_status_is_private_to_its_context(simulator: SimulatorServer) -> None:
    owner = kit.nip()
    with kit.client(simulator, kit.token(simulator, owner)) as c:
        r = c.post(
            "/permissions/persons/grants", json=kit.person_grant_body(("Pesel", kit.pesel()), ["InvoiceRead"])
        )
        ref = r.json()["referenceNumber"]
    with kit.client(simulator, kit.token(simulator, kit.nip())) as other:
        assert other.get(f"/permissions/operations/{ref}").status_code == 400


# -- subunits -------------------------------------------------------------------------------------


def test_internal_id_subunit_administrator(simulator: SimulatorServer) -> None:
    owner, admin = kit.nip(), ("Pesel", kit.pesel())
    unit = make_internal_id(owner, "1234")
    bad = unit[:-1] + str((int(unit[-1]) + 1) % 10)
    with kit.client(simulator, kit.token(simulator, owner)) as c:
        body = {
            "subjectIdentifier": {"type": admin[0], "value": admin[1]},
            "contextIdentifier": {"type": "InternalId", "value": bad},
            "description": "Administrator oddziału",
            "subunitName": "Oddział Kraków",
            "subjectDetails": kit.person_details(),
        }
        assert "kontrolna" in kit.grant(c, "subunits/grants", body, expect=410)["details"][0]
        body["contextIdentifier"]["value"] = unit
        kit.grant(c, "subunits/grants", body)
        listed = c.post("/permissions/query/subunits/grants", json={}).json()["permissions"]
        assert [(i["subunitIdentifier"]["value"], i["subunitName"]) for i in listed] == [
            (unit, "Oddział Kraków")
        ]
    assert permissions_for(simulator.sim, "InternalId", unit, *admin) == {"CredentialsManage"}
    # the subunit administrator manages persons inside the subunit
    with kit.client(simulator, kit.token(simulator, unit, admin, context_type="InternalId")) as sub:
        worker = ("Pesel", kit.pesel())
        kit.grant(sub, "persons/grants", kit.person_grant_body(worker, ["InvoiceWrite"]))
    assert permissions_for(simulator.sim, "InternalId", unit, *worker) == {"InvoiceWrite"}


def test_jst_subordinate_entity_administrator(simulator: SimulatorServer) -> None:
    parent, member, other, admin = kit.nip(), kit.nip(), kit.nip(), ("Pesel", kit.pesel())
    body = {
        "subjectIdentifier": {"type": admin[0], "value": admin[1]},
        "contextIdentifier": {"type": "Nip", "value": member},
        "description": "Administrator jednostki",
        "subjectDetails": kit.person_details(),
    }
    with kit.client(simulator, kit.token(simulator, parent)) as c:
        kit.grant(c, "subunits/grants", body, expect=430)
        r = c.post(
            "/testdata/subject",
            json={
                "subjectNip": parent,
                "subjectType": "JST",
                "description": "Gmina Testowa",
                "subunits": [{"subjectNip": member, "description": "Szkoła Podstawowa"}],
            },
        )
        assert r.status_code == 200, r.text
        kit.grant(c, "subunits/grants", body)
        body["contextIdentifier"]["value"] = other
        kit.grant(c, "subunits/grants", body, expect=440)
        subs = c.post("/permissions/query/subordinate-entities/roles", json={}).json()["roles"]
        assert [(s["subordinateEntityIdentifier"]["value"], s["role"]) for s in subs] == [
            (member, "LocalGovernmentSubUnit")
        ]
    assert permissions_for(simulator.sim, "Nip", member, *admin) == {"CredentialsManage"}
    with kit.client(simulator, kit.token(simulator, member)) as m:
        roles = m.get("/permissions/query/entities/roles").json()["roles"]
        assert roles[0]["role"] == "LocalGovernmentSubUnit"
        assert roles[0]["parentEntityIdentifier"] == {"type": "Nip", "value": parent}
    # a member of a JST may issue invoices whose Podmiot1 is the JST
    assert may_issue_for(simulator.sim, _caller(member, {"InvoiceWrite"}), parent)


# -- EU entities ----------------------------------------------------------------------------------


def test_eu_entity_administrator_and_representative(simulator: SimulatorServer) -> None:
    owner, admin_fp, rep_fp = kit.nip(), kit.fingerprint(), kit.fingerprint()
    nip_vat_ue = f"{owner}-DE123456789"
    body = {
        "subjectIdentifier": {"type": "Fingerprint", "value": admin_fp},
        "contextIdentifier": {"type": "NipVatUe", "value": f"{kit.nip()}-DE123456789"},
        "description": "Administrator podmiotu unijnego",
        "euEntityName": "Muster GmbH, Berlin",
        "subjectDetails": kit.fp_details(),
        "euEntityDetails": {"fullName": "Muster GmbH", "address": "Unter den Linden 1, Berlin"},
    }
    with kit.client(simulator, kit.token(simulator, owner)) as c:
        kit.grant(c, "eu-entities/administration/grants", body, expect=440)
        body["contextIdentifier"]["value"] = nip_vat_ue
        kit.grant(c, "eu-entities/administration/grants", body)
        listed = c.post(
            "/permissions/query/eu-entities/grants", json={"vatUeIdentifier": "DE123456789"}
        ).json()
        assert {i["permissionScope"] for i in listed["permissions"]} == {
            "VatUeManage",
            "InvoiceWrite",
            "InvoiceRead",
            "Introspection",
        }
        # EU grants are for NipVatUe contexts only
        r = c.post("/permissions/eu-entities/grants", json={})
        assert r.status_code == 403
    assert permissions_for(simulator.sim, "NipVatUe", nip_vat_ue, "Fingerprint", admin_fp) == {
        "VatUeManage",
        "InvoiceWrite",
        "InvoiceRead",
        "Introspection",
    }
    admin_token = kit.token(simulator, nip_vat_ue, ("Fingerprint", admin_fp), context_type="NipVatUe")
    with kit.client(simulator, admin_token) as eu:
        rep = {
            "subjectIdentifier": {"type": "Fingerprint", "value": rep_fp},
            "permissions": ["InvoiceWrite"],
            "description": "Reprezentant podmiotu unijnego",
            "subjectDetails": {
                "subjectDetailsType": "EntityByFingerprint",
                "entityByFp": {"fullName": "Muster Services GmbH", "address": "Berlin"},
            },
        }
        kit.grant(eu, "eu-entities/grants", rep)
        listed = eu.post(
            "/permissions/query/eu-entities/grants", json={"authorizedFingerprintIdentifier": rep_fp}
        )
        items = listed.json()["permissions"]
        assert [(i["permissionScope"], i["euEntityName"]) for i in items] == [
            ("InvoiceWrite", "Muster GmbH, Berlin")
        ]
        assert items[0]["subjectEntityDetails"]["fullName"] == "Muster Services GmbH"
    assert permissions_for(simulator.sim, "NipVatUe", nip_vat_ue, "Fingerprint", rep_fp) == {"InvoiceWrite"}


# -- authorizations -------------------------------------------------------------------------------


def test_self_invoicing_authorization_lets_the_buyer_issue_for_the_seller(simulator: SimulatorServer) -> None:
    seller, buyer = kit.nip(), kit.nip()
    body = {
        "subjectIdentifier": {"type": "Nip", "value": buyer},
        "permission": "SelfInvoicing",
        "description": "Samofakturowanie",
        "subjectDetails": {"fullName": "Nabywca Sp. z o.o."},
    }
    assert not may_issue_for(simulator.sim, _caller(buyer, {"InvoiceWrite"}), seller)
    with kit.client(simulator, kit.token(simulator, seller)) as c:
        kit.grant(c, "authorizations/grants", body)
        wrong = dict(body, permission="PefInvoicing")
        kit.grant(c, "authorizations/grants", wrong, expect=450)
        granted = c.post("/permissions/query/authorizations/grants", json={"queryType": "Granted"}).json()
        assert [g["authorizationScope"] for g in granted["authorizationGrants"]] == ["SelfInvoicing"]
        grant_id = granted["authorizationGrants"][0]["id"]
    with kit.client(simulator, kit.token(simulator, buyer)) as b:
        received = b.post("/permissions/query/authorizations/grants", json={"queryType": "Received"}).json()
        assert received["authorizationGrants"][0]["authorizingEntityIdentifier"]["value"] == seller
    assert may_issue_for(simulator.sim, _caller(buyer, {"InvoiceWrite"}), seller)
    assert not may_issue_for(simulator.sim, _caller(buyer, {"InvoiceRead"}), seller)
    with kit.client(simulator, kit.token(simulator, seller)) as c:
        r = c.delete(f"/permissions/authorizations/grants/{grant_id}")
        assert kit.wait_operation(c, r.json()["referenceNumber"])["code"] == 200
    assert not may_issue_for(simulator.sim, _caller(buyer, {"InvoiceWrite"}), seller)


def test_may_issue_for_own_context(simulator: SimulatorServer) -> None:
    seller = kit.nip()
    assert may_issue_for(simulator.sim, _caller(seller, {"InvoiceWrite"}), seller)
    unit = make_internal_id(seller, "0001")
    assert may_issue_for(simulator.sim, _caller(unit, {"InvoiceWrite"}, "InternalId"), seller)
    assert not may_issue_for(simulator.sim, _caller(seller, {"InvoiceWrite"}), kit.nip())


def test_grants_survive_a_restart(tmp_path: object, simulator_factory: object) -> None:
    from pathlib import Path

    data = Path(str(tmp_path))
    owner, person = kit.nip(), ("Pesel", kit.pesel())
    server = simulator_factory(SimulatorConfig(data_dir=data, rate_limits_enabled=False))  # type: ignore[operator]
    with kit.client(server, kit.token(server, owner)) as c:
        kit.grant(c, "persons/grants", kit.person_grant_body(person, ["InvoiceRead"]))
    server.stop()
    again = simulator_factory(SimulatorConfig(data_dir=data, rate_limits_enabled=False))  # type: ignore[operator]
    assert permissions_for(again.sim, "Nip", owner, *person) == {"InvoiceRead"}
    with httpx.Client(base_url=again.base_url) as anon:
        assert anon.get("/peppol/query").status_code == 200


def test_operation_status_is_gone_after_30_days(simulator: SimulatorServer) -> None:
    from datetime import timedelta

    from tests.simulator.spec_check import assert_matches_spec

    with kit.client(simulator, kit.token(simulator, kit.nip())) as c:
        r = c.post(
            "/permissions/persons/grants", json=kit.person_grant_body(("Pesel", kit.pesel()), ["InvoiceRead"])
        )
        ref = r.json()["referenceNumber"]
        op = simulator.sim.state.get("permission_op", ref)
        assert op is not None
        op["created"] = (simulator.sim.now() - timedelta(days=31)).isoformat()
        simulator.sim.state.put("permission_op", ref, op)
        gone = c.get(f"/permissions/operations/{ref}")
    assert gone.status_code == 410
    assert gone.headers["content-type"].startswith("application/problem+json")
    assert_matches_spec("GET", "/permissions/operations/{referenceNumber}", 410, gone.json())
