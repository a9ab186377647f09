"""Authorizations count only for invoices whose data show the relation (KSeF: "weryfikowana jest
zależność pomiędzy podmiotem a danymi na fakturach"), and they are read per invoice, within a session.

SelfInvoicing lets the buyer issue in the seller's name: the context must be the invoice's buyer.
TaxRepresentative: the context must be the invoice's PodmiotUpowazniony with RolaPU 3.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from lxml import etree

from fakturnik.simulator.server import SimulatorServer
from tests.simulator import grants_kit as kit
from tests.simulator.sessions_kit import Ksef, make_invoice


def _authorize(server: SimulatorServer, seller: str, subject: str, scope: str) -> str:
    """The seller grants ``subject`` the authorization; its permission id."""
    with kit.client(server, kit.token(server, seller)) as c:
        body = {
            "subjectIdentifier": {"type": "Nip", "value": subject},
            "permission": scope,
            "description": f"Upoważnienie {scope}",
            "subjectDetails": {"fullName": "Upoważniony Sp. z o.o."},
        }
        kit.grant(c, "authorizations/grants", body)
        granted = c.post("/permissions/query/authorizations/grants", json={"queryType": "Granted"}).json()
        return str(next(g["id"] for g in granted["authorizationGrants"] if g["authorizationScope"] == scope))


def _revoke(server: SimulatorServer, seller: str, permission_id: str) -> None:
    with kit.client(server, kit.token(server, seller)) as c:
        r = c.delete(f"/permissions/authorizations/grants/{permission_id}")
        assert kit.wait_operation(c, r.json()["referenceNumber"])["code"] == 200


def _with_representative(xml: bytes, nip: str, role: int) -> bytes:
    root = etree.fromstring(xml)
    ns = etree.QName(root).namespace

    def el(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
        child = etree.SubElement(parent, f"{{{ns}}}{name}")
        child.text = text
        return child

    pu = etree.Element(f"{{{ns}}}PodmiotUpowazniony")
    ids = el(pu, "DaneIdentyfikacyjne")
    el(ids, "NIP", nip)
    el(ids, "Nazwa", "Przedstawiciel Podatkowy Sp. z o.o.")
    address = el(pu, "Adres")
    el(address, "KodKraju", "PL")
    el(address, "AdresL1", "ul. Krótka 3, 00-002 Warszawa")
    el(pu, "RolaPU", str(role))
    fa = root.find(f"{{{ns}}}Fa")
    assert fa is not None
    fa.addprevious(pu)
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return data


@pytest.fixture
def parties(simulator: SimulatorServer) -> Iterator[tuple[str, Ksef]]:
    seller, issuer = kit.nip(), kit.nip()
    client = Ksef(simulator, nip=issuer)
    yield seller, client
    client.close()


def test_self_invoicing_counts_only_when_the_context_is_the_buyer(
    simulator: SimulatorServer, parties: tuple[str, Ksef]
) -> None:
    seller, buyer = parties
    ref = buyer.online()
    before = buyer.decided(ref, buyer.send_ok(ref, make_invoice(seller, "SF/1", buyer=buyer.nip)))
    assert before["status"]["code"] == 410
    sentence = f"nie jest uprawniony do wystawienia faktury w imieniu sprzedawcy (NIP: {seller})"
    assert before["status"]["details"] == [f"Kontekst {buyer.nip} {sentence}"]
    grant_id = _authorize(simulator, seller, buyer.nip, "SelfInvoicing")
    # the same open session: the authorization is read per invoice
    ok = buyer.decided(ref, buyer.send_ok(ref, make_invoice(seller, "SF/2", buyer=buyer.nip)))
    assert ok["status"]["code"] == 200 and ok["ksefNumber"].startswith(seller)
    someone_else = buyer.decided(ref, buyer.send_ok(ref, make_invoice(seller, "SF/3", buyer=kit.nip())))
    assert someone_else["status"]["code"] == 410  # the buyer of that invoice is not this context
    _revoke(simulator, seller, grant_id)
    after = buyer.decided(ref, buyer.send_ok(ref, make_invoice(seller, "SF/4", buyer=buyer.nip)))
    assert after["status"]["code"] == 410


def test_tax_representative_counts_only_when_named_with_role_3(
    simulator: SimulatorServer, parties: tuple[str, Ksef]
) -> None:
    seller, representative = parties
    _authorize(simulator, seller, representative.nip, "TaxRepresentative")
    ref = representative.online()
    named = _with_representative(make_invoice(seller, "PP/1"), representative.nip, 3)
    assert representative.decided(ref, representative.send_ok(ref, named))["status"]["code"] == 200
    bailiff = _with_representative(make_invoice(seller, "PP/2"), representative.nip, 2)
    assert representative.decided(ref, representative.send_ok(ref, bailiff))["status"]["code"] == 410
    plain = make_invoice(seller, "PP/3")
    assert representative.decided(ref, representative.send_ok(ref, plain))["status"]["code"] == 410
