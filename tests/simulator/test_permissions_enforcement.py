"""Enforcement end to end: who may send invoices for whom, over HTTP with real online sessions."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from fakturnik.fa3.samples import make_sample_invoice
from fakturnik.fa3.writer import write_invoice
from fakturnik.simulator.server import SimulatorServer
from tests.simulator import grants_kit as kit

ksef_client = pytest.importorskip("ksef_client")
from ksef_client import KsefClient, KsefClientOptions  # noqa: E402
from ksef_client import models as m  # noqa: E402
from ksef_client.services import OnlineSessionWorkflow  # noqa: E402

FORM_CODE = m.FormCode(system_code="FA (3)", schema_version="1-0E", value="FA")


@pytest.fixture
def client(simulator: SimulatorServer) -> Iterator[KsefClient]:
    with KsefClient(KsefClientOptions(base_url=simulator.base_url)) as c:
        yield c


def _send(client: KsefClient, access: str, seller_nip: str, number: str, buyer_nip: str | None = None) -> Any:
    """Open an online session, send one invoice of ``seller_nip`` and return its final status."""
    pem = client.security.get_public_key_certificate_pem(m.PublicKeyCertificateUsage.SYMMETRICKEYENCRYPTION)
    session = OnlineSessionWorkflow(client.sessions).open_session(
        form_code=FORM_CODE, public_certificate=pem, access_token=access
    )
    invoice = make_sample_invoice(seller_nip, number, **({"buyer_nip": buyer_nip} if buyer_nip else {}))
    sent = session.send_invoice(write_invoice(invoice), access_token=access)
    deadline = time.monotonic() + 20
    while True:
        status = client.sessions.get_session_invoice_status(
            session.reference_number, sent.reference_number, access_token=access
        )
        if status.status.code not in (100, 150) or time.monotonic() > deadline:
            return status
        time.sleep(0.05)


def _office_employee(simulator: SimulatorServer, client_nip: str, office_nip: str, delegable: bool) -> str:
    employee = ("Pesel", kit.pesel())
    with kit.client(simulator, kit.token(simulator, client_nip)) as a:
        kit.grant(a, "entities/grants", kit.entity_grant_body(office_nip, ["InvoiceWrite"], delegable))
    with kit.client(simulator, kit.token(simulator, office_nip)) as b:
        body = kit.indirect_grant_body(employee, ["InvoiceWrite"], {"type": "AllPartners"})
        kit.grant(b, "indirect/grants", body)
    return kit.token(simulator, client_nip, employee)


def test_accounting_office_employee_sends_for_the_client(
    simulator: SimulatorServer, client: KsefClient
) -> None:
    client_nip, office_nip = kit.nip(), kit.nip()
    access = _office_employee(simulator, client_nip, office_nip, delegable=True)
    status = _send(client, access, client_nip, "FV/BR/1")
    assert status.status.code == 200, status.status
    assert status.ksef_number.startswith(client_nip + "-")
    # acting in the client's context does not make the employee an issuer for someone else
    other = _send(client, access, kit.nip(), "FV/BR/2")
    assert other.status.code == 410, other.status


def test_employee_without_a_delegable_chain_cannot_open_a_session(simulator: SimulatorServer) -> None:
    client_nip, office_nip = kit.nip(), kit.nip()
    access = _office_employee(simulator, client_nip, office_nip, delegable=False)
    assert kit.token_permissions(simulator, access) == set()
    with kit.client(simulator, access) as c:
        r = c.post(
            "/sessions/online",
            json={
                "formCode": {"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"},
                "encryption": {
                    "encryptedSymmetricKey": "AAAA",
                    "initializationVector": "AAAAAAAAAAAAAAAAAAAAAA==",
                },
            },
        )
    assert r.status_code == 403
    assert r.json()["reasonCode"] == "missing-permissions"


def test_self_invoicing_buyer_sends_for_the_seller(simulator: SimulatorServer, client: KsefClient) -> None:
    seller, buyer = kit.nip(), kit.nip()
    buyer_access = kit.token(simulator, buyer)
    refused = _send(client, buyer_access, seller, "SF/1", buyer)
    assert refused.status.code == 410, refused.status
    with kit.client(simulator, kit.token(simulator, seller)) as s:
        body = {
            "subjectIdentifier": {"type": "Nip", "value": buyer},
            "permission": "SelfInvoicing",
            "description": "Samofakturowanie",
            "subjectDetails": {"fullName": "Nabywca Sp. z o.o."},
        }
        kit.grant(s, "authorizations/grants", body)
    accepted = _send(client, buyer_access, seller, "SF/2", buyer)
    assert accepted.status.code == 200, accepted.status
    assert accepted.ksef_number.startswith(seller + "-")
    # the authorization is for invoices on which the context is the buyer
    assert _send(client, buyer_access, seller, "SF/3").status.code == 410


def test_revoked_grant_is_gone_after_token_refresh(simulator: SimulatorServer) -> None:
    """Rights are frozen into the access token; a refresh takes the permissions in force now, and
    is refused (21301) once none is left."""
    from tests.simulator import xades_helpers as xh

    client_nip, office_nip, employee_nip = kit.nip(), kit.nip(), kit.nip()
    with kit.client(simulator, kit.token(simulator, client_nip)) as a:
        body = kit.entity_grant_body(office_nip, ["InvoiceWrite", "InvoiceRead"], True)
        kit.grant(a, "entities/grants", body)
    with kit.client(simulator, kit.token(simulator, office_nip)) as b:
        body = kit.indirect_grant_body(("Nip", employee_nip), ["InvoiceWrite", "InvoiceRead"], None)
        kit.grant(b, "indirect/grants", body)
        with kit.client(simulator) as anon:
            tokens = xh.xades_login(anon, xh.person(employee_nip), client_nip)["tokens"]
        access = tokens["accessToken"]["token"]
        assert kit.token_permissions(simulator, access) == {"InvoiceWrite", "InvoiceRead"}
        query = {"queryType": "PermissionsGrantedInCurrentContext"}
        granted = {
            i["permissionScope"]: i["id"]
            for i in b.post("/permissions/query/persons/grants", json=query).json()["permissions"]
        }

        def revoke(scope: str) -> None:
            r = b.delete(f"/permissions/common/grants/{granted[scope]}")
            assert kit.wait_operation(b, r.json()["referenceNumber"])["code"] == 200

        with kit.client(simulator, tokens["refreshToken"]["token"]) as c:
            revoke("InvoiceWrite")
            assert kit.token_permissions(simulator, access) == {"InvoiceWrite", "InvoiceRead"}  # frozen
            refreshed = c.post("/auth/token/refresh")
            assert refreshed.status_code == 200, refreshed.text
            assert kit.token_permissions(simulator, refreshed.json()["accessToken"]["token"]) == {
                "InvoiceRead"
            }
            revoke("InvoiceRead")
            refused = c.post("/auth/token/refresh")
    assert refused.status_code == 400
    assert refused.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21301
