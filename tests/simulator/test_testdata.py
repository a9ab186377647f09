"""The public /testdata endpoints: subjects, persons, permissions, attachments, blocking; Peppol list."""

from __future__ import annotations

from datetime import timedelta

from fakturnik.base.warsaw import warsaw_today
from fakturnik.simulator.grants import (
    attachment_allowed,
    is_context_blocked,
    is_subject_deceased,
    permissions_for,
    register_peppol_provider,
    roles_of,
)
from fakturnik.simulator.server import SimulatorServer
from tests.simulator import grants_kit as kit


def test_subject_create_duplicate_and_remove(simulator: SimulatorServer) -> None:
    group, member = kit.nip(), kit.nip()
    body = {
        "subjectNip": group,
        "subjectType": "VatGroup",
        "description": "Grupa VAT Testowa",
        "subunits": [{"subjectNip": member, "description": "Członek grupy VAT"}],
    }
    with kit.client(simulator) as anon:
        assert anon.post("/testdata/subject", json=body).status_code == 200
        dup = anon.post("/testdata/subject", json=body)
        assert dup.status_code == 400
        assert dup.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 30001
        assert [r["role"] for r in roles_of(simulator.sim, group)] == ["VatGroupUnit"]
        assert [r["role"] for r in roles_of(simulator.sim, member)] == ["VatGroupSubUnit"]
        assert anon.post("/testdata/subject/remove", json={"subjectNip": group}).status_code == 200
        assert roles_of(simulator.sim, member) == []
        bad = anon.post("/testdata/subject", json=dict(body, subjectType="Bank"))
        assert bad.status_code == 400


def test_vat_group_first_admin_is_seeded_by_testdata_permissions(simulator: SimulatorServer) -> None:
    group, admin = kit.nip(), ("Pesel", kit.pesel())
    with kit.client(simulator) as anon:
        anon.post(
            "/testdata/subject",
            json={"subjectNip": group, "subjectType": "VatGroup", "description": "Grupa VAT"},
        )
        r = anon.post(
            "/testdata/permissions",
            json={
                "contextIdentifier": {"type": "Nip", "value": group},
                "authorizedIdentifier": {"type": admin[0], "value": admin[1]},
                "permissions": [
                    {"permissionType": "CredentialsManage", "description": "Administrator grupy"},
                    {"permissionType": "InvoiceWrite", "description": "Wystawianie faktur"},
                ],
            },
        )
        assert r.status_code == 200, r.text
    assert permissions_for(simulator.sim, "Nip", group, *admin) == {"CredentialsManage", "InvoiceWrite"}
    with kit.client(simulator, kit.token(simulator, group, admin)) as c:
        listed = c.post(
            "/permissions/query/persons/grants",
            json={"queryType": "PermissionsInCurrentContext", "authorIdentifier": {"type": "System"}},
        ).json()["permissions"]
        assert {i["permissionScope"] for i in listed} == {"CredentialsManage", "InvoiceWrite"}
        assert all(i["authorIdentifier"] == {"type": "System"} for i in listed)
    with kit.client(simulator) as anon:
        r = anon.post(
            "/testdata/permissions/revoke",
            json={
                "contextIdentifier": {"type": "Nip", "value": group},
                "authorizedIdentifier": {"type": admin[0], "value": admin[1]},
            },
        )
        assert r.status_code == 200
    assert permissions_for(simulator.sim, "Nip", group, *admin) == set()


def test_person_is_owner_by_pesel_and_bailiff_has_a_role(simulator: SimulatorServer) -> None:
    nip, pesel = kit.nip(), kit.pesel()
    body = {"nip": nip, "pesel": pesel, "isBailiff": True, "description": "Komornik testowy"}
    with kit.client(simulator) as anon:
        assert anon.post("/testdata/person", json=body).status_code == 200
        assert anon.post("/testdata/person", json=body).status_code == 400
    perms = permissions_for(simulator.sim, "Nip", nip, "Pesel", pesel)
    assert {"InvoiceWrite", "CredentialsManage", "EnforcementOperations"} <= perms
    assert [r["role"] for r in roles_of(simulator.sim, nip)] == ["CourtBailiff"]
    assert not is_subject_deceased(simulator.sim, "Pesel", pesel)
    with kit.client(simulator) as anon:
        assert anon.post("/testdata/person/remove", json={"nip": nip}).status_code == 200
    assert permissions_for(simulator.sim, "Nip", nip, "Pesel", pesel) == set()


def test_deceased_person_is_refused_at_login(simulator: SimulatorServer) -> None:
    from tests.simulator import xades_helpers as xh

    nip, pesel = kit.nip(), kit.pesel()
    body = {"nip": nip, "pesel": pesel, "isBailiff": False, "description": "Osoba zmarła", "isDeceased": True}
    with kit.client(simulator) as anon:
        assert anon.post("/testdata/person", json=body).status_code == 200
        assert is_subject_deceased(simulator.sim, "Nip", nip)
        result = xh.xades_login(anon, xh.person(nip), nip)
    assert result["status"]["status"]["code"] == 470


def test_attachment_consent_switches(simulator: SimulatorServer) -> None:
    owner = kit.nip()
    with kit.client(simulator, kit.token(simulator, owner)) as c:
        assert c.get("/permissions/attachments/status").json() == {"isAttachmentAllowed": False}
        assert c.post("/testdata/attachment", json={"nip": owner}).status_code == 200
        assert c.get("/permissions/attachments/status").json() == {"isAttachmentAllowed": True}
        assert attachment_allowed(simulator.sim, owner)
        later = (warsaw_today() + timedelta(days=3)).isoformat()
        assert (
            c.post("/testdata/attachment/revoke", json={"nip": owner, "expectedEndDate": later}).status_code
            == 200
        )
        status = c.get("/permissions/attachments/status").json()
        assert status["isAttachmentAllowed"] is True and status["revokedDate"].startswith(later)
        assert c.post("/testdata/attachment/revoke", json={"nip": owner}).status_code == 200
        assert c.get("/permissions/attachments/status").json()["isAttachmentAllowed"] is False
    assert not attachment_allowed(simulator.sim, owner)


def test_blocked_context_ends_authentication_with_480(simulator: SimulatorServer) -> None:
    from tests.simulator import xades_helpers as xh

    owner = kit.nip()
    ctx = {"contextIdentifier": {"type": "Nip", "value": owner}}
    with kit.client(simulator) as anon:
        assert anon.post("/testdata/context/block", json=ctx).status_code == 200
        assert is_context_blocked(simulator.sim, owner)
        assert is_context_blocked(simulator.sim, owner, "Nip")
        assert not is_context_blocked(simulator.sim, owner, "InternalId")
        assert xh.xades_login(anon, xh.person(owner), owner)["status"]["status"]["code"] == 480
        assert anon.post("/testdata/context/unblock", json=ctx).status_code == 200
        assert not is_context_blocked(simulator.sim, owner)
        assert xh.xades_login(anon, xh.person(owner), owner)["status"]["status"]["code"] == 200
        assert anon.post("/testdata/context/block", json={}).status_code == 400


def test_peppol_providers_are_listed_newest_first_with_paging(simulator: SimulatorServer) -> None:
    for i in range(12):
        register_peppol_provider(simulator.sim, f"PPL{i:06d}", f"Dostawca {i}")
    register_peppol_provider(simulator.sim, "PPL000000", "Duplikat")
    with kit.client(simulator) as anon:
        first = anon.get("/peppol/query").json()
        second = anon.get("/peppol/query", params={"pageOffset": 1}).json()
        assert len(first["peppolProviders"]) == 10 and first["hasMore"] is True
        assert len(second["peppolProviders"]) == 2 and second["hasMore"] is False
        assert first["peppolProviders"][0]["id"] == "PPL000011"
        assert anon.get("/peppol/query", params={"pageSize": 101}).status_code == 400


def test_peppol_provider_context_and_pef_authorization(simulator: SimulatorServer) -> None:
    seller, provider = kit.nip(), "PPL123456"
    assert permissions_for(simulator.sim, "PeppolId", provider, "Fingerprint", kit.fingerprint()) == {
        "PefInvoiceWrite"
    }
    body = {
        "subjectIdentifier": {"type": "PeppolId", "value": provider},
        "permission": "PefInvoicing",
        "description": "Faktury PEF",
        "subjectDetails": {"fullName": "Dostawca Peppol"},
    }
    with kit.client(simulator, kit.token(simulator, seller)) as c:
        kit.grant(c, "authorizations/grants", body, expect=410)  # not registered yet
        register_peppol_provider(simulator.sim, provider, "Dostawca Peppol")
        kit.grant(c, "authorizations/grants", body)
    pef = kit.token(simulator, provider, ("Fingerprint", kit.fingerprint()), context_type="PeppolId")
    with kit.client(simulator, pef) as p:
        got = p.post("/permissions/query/authorizations/grants", json={"queryType": "Received"}).json()
        assert [g["authorizationScope"] for g in got["authorizationGrants"]] == ["PefInvoicing"]


def test_peppol_provider_registers_on_first_login_and_receives_pef_invoicing(
    simulator: SimulatorServer,
) -> None:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    from tests.simulator import xades_helpers as xh

    provider, seller = "PPL654321", kit.nip()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Peppol Access Point Ltd"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Peppol AP"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "BE"),
        ]
    )
    identity = xh.self_signed(name, xh.new_key("ec"))
    with kit.client(simulator) as anon:
        assert anon.get("/peppol/query").json()["peppolProviders"] == []
        login = xh.xades_login(anon, identity, provider, context_type="PeppolId")
        assert login["status"]["status"]["code"] == 200, login["status"]
        listed = anon.get("/peppol/query").json()["peppolProviders"]
        assert [(p["id"], p["name"]) for p in listed] == [(provider, "Peppol Access Point Ltd")]
    access = login["tokens"]["accessToken"]["token"]
    assert kit.token_permissions(simulator, access) == {"PefInvoiceWrite"}
    with kit.client(simulator, kit.token(simulator, seller)) as s:
        body = {
            "subjectIdentifier": {"type": "PeppolId", "value": provider},
            "permission": "PefInvoicing",
            "description": "Faktury PEF przez dostawcę Peppol",
            "subjectDetails": {"fullName": "Peppol Access Point Ltd"},
        }
        kit.grant(s, "authorizations/grants", body)
    with kit.client(simulator, access) as p:
        got = p.post("/permissions/query/authorizations/grants", json={"queryType": "Received"}).json()
        assert [
            (g["authorizingEntityIdentifier"]["value"], g["authorizationScope"])
            for g in got["authorizationGrants"]
        ] == [(seller, "PefInvoicing")]
