"""Self-billing issuing through the front door: the buyer issues in the seller's name (no KSeF here).

The seller's own invoices and the self-billed ones live side by side in one company's books: a
series per seller, the duplicate check per (seller, kind, number) as KSeF counts it, and every other
foreign seller refused with a precise Polish error before anything is stored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fakturnik.app import Fakturnik
from fakturnik.base.warsaw import warsaw_today
from fakturnik.base.xmlsafe import parse_xml
from fakturnik.engine.context import EngineContext
from fakturnik.engine.issuing import issue
from fakturnik.engine.on_behalf import SELF_BILLING, TAX_REPRESENTATIVE, issued_for
from fakturnik.errors import ConflictError, DuplicateNumberError, EngineError, InputError
from fakturnik.store.models import AuditEntry, NumberingSeries
from tests.app.kit import NIP_A, NIP_B, draft

SELLER = "5213017228"  # the supplier who authorised the company (NIP_A) to self-bill
YEAR = warsaw_today().year


def self_billed(
    seller: str = SELLER, *, number: str | None = None, buyer: str | None = None
) -> dict[str, Any]:
    """A self-billing draft: the seller in Podmiot1, P_17 = 1, the company (buyer) left to the defaults."""
    body = draft(seller=seller, number=number)
    del body["Podmiot2"]
    if buyer is not None:
        body["Podmiot2"] = {"DaneIdentyfikacyjne": {"NIP": buyer, "Nazwa": "Ktoś Inny"}}
    body["Fa"]["Adnotacje"] = {"P_17": 1}
    return body


def test_the_buyer_issues_in_the_sellers_name_from_a_series_kept_for_that_seller(fk_db: Fakturnik) -> None:
    a = fk_db.companies.by_nip(NIP_A).id
    own = fk_db.invoices.issue(a, draft()).invoice
    first = fk_db.invoices.issue(a, self_billed()).invoice
    second = fk_db.invoices.issue(a, self_billed()).invoice
    other = fk_db.invoices.issue(a, self_billed("5261040828")).invoice

    assert own.number == f"FV/{YEAR}/000001"
    assert (first.number, second.number) == (f"SF/{NIP_A}/FV/{YEAR}/000001", f"SF/{NIP_A}/FV/{YEAR}/000002")
    assert other.number == f"SF/{NIP_A}/FV/{YEAR}/000001"  # another seller, its own series
    assert first.seller.nip == SELLER and first.buyer.nip == NIP_A and first.buyer.name == "Firma A"
    xml = fk_db.invoices.xml(a, first.id)
    assert b"<P_17>1</P_17>" in xml and b"<P_16>2</P_16>" in xml  # the rest of Adnotacje completed
    found = issued_for(parse_xml(xml), SELLER, NIP_A)
    assert found is not None and found.role == SELF_BILLING
    # the company's own series is not touched by the self-billed ones
    assert fk_db.invoices.issue(a, draft()).invoice.number == f"FV/{YEAR}/000002"
    with fk_db.ctx.db.transaction() as s:
        keys = {k for (k,) in s.query(NumberingSeries.seller_nip)}
        audit = {e.invoice_id: e.detail for e in s.query(AuditEntry).filter_by(action="invoice.issue")}
    assert keys == {NIP_A, f"{SELLER}/{NIP_A}", f"5261040828/{NIP_A}"}
    assert audit[first.id]["on_behalf"] == "self_billing" and audit[first.id]["seller"] == SELLER
    assert "on_behalf" not in audit[own.id]


def test_a_number_agreed_with_the_seller_is_checked_per_seller_as_ksef_does(fk_db: Fakturnik) -> None:
    a = fk_db.companies.by_nip(NIP_A).id
    fk_db.invoices.issue(a, draft(number="FV/7/2026"))
    # the same number for another seller is another invoice (KSeF: seller NIP + kind + number)
    agreed = fk_db.invoices.issue(a, self_billed(number="FV/7/2026")).invoice
    assert agreed.number == "FV/7/2026" and agreed.seller.nip == SELLER
    with pytest.raises(ConflictError, match="FV/7/2026"):
        fk_db.invoices.issue(a, self_billed(number="FV/7/2026"))
    bulk = fk_db.invoices.issue_many(a, [self_billed(number="SB/1"), self_billed(number="SB/1")])
    assert [i.ok for i in bulk.items] == [True, False]
    assert len(fk_db.invoices.list(a).items) == 3


def test_any_other_foreign_seller_is_refused_with_the_way_to_do_it(fk: Fakturnik) -> None:
    a = fk.companies.by_nip(NIP_A).id
    cases = (
        draft(seller=SELLER),  # no P_17
        self_billed(buyer="5261040828"),  # P_17 = 1, but the company is not the buyer
    )
    for body in cases:
        with pytest.raises(InputError) as err:
            fk.invoices.issue(a, body)
        assert err.value.problems[0].path == "Podmiot1/DaneIdentyfikacyjne/NIP"
        assert f"faktura sprzedawcy {SELLER} nie należy do firmy {NIP_A}" in str(err.value)
        assert "samofakturowanie (Adnotacje/P_17 = 1" in str(err.value)
    assert fk.invoices.list(a).items == ()


def test_the_tax_representative_issues_for_the_taxpayer_it_represents(fk: Fakturnik) -> None:
    a = fk.companies.by_nip(NIP_A).id
    body = draft(seller=SELLER)
    body["PodmiotUpowazniony"] = {
        "DaneIdentyfikacyjne": {"NIP": NIP_A, "Nazwa": "Firma A"},
        "Adres": {"KodKraju": "PL", "AdresL1": "ul. Krótka 3, 00-002 Warszawa"},
        "RolaPU": 3,
    }
    issued = fk.invoices.issue(a, body).invoice
    assert issued.number == f"PP/{NIP_A}/FV/{YEAR}/000001" and issued.seller.nip == SELLER
    body["PodmiotUpowazniony"]["RolaPU"] = 2  # a bailiff is not a representative
    with pytest.raises(InputError):
        fk.invoices.issue(a, body)
    found = issued_for(parse_xml(fk.invoices.xml(a, issued.id)), SELLER, NIP_A)
    assert found is not None and found.role == TAX_REPRESENTATIVE


def test_the_engine_path_takes_self_billed_xml_too(fk: Fakturnik) -> None:
    from fakturnik.app.issuing import with_defaults
    from fakturnik.engine.issuing import json_to_xml

    ctx: EngineContext = fk.ctx
    company = {"DaneIdentyfikacyjne": {"NIP": NIP_B, "Nazwa": "Firma B"}}
    xml = json_to_xml(json.dumps(with_defaults(self_billed(number="AUTO"), company, None)).encode())
    done = issue(ctx, company_nip=NIP_B, xml=xml)
    assert done.number == f"SF/{NIP_B}/FV/{YEAR}/000001"
    with ctx.db.transaction() as s:
        entry = s.query(AuditEntry).filter_by(action="invoice.issue", invoice_id=done.invoice_id).one()
        assert entry.detail["on_behalf"] == "self_billing"
    with pytest.raises(DuplicateNumberError):
        issue(
            ctx, company_nip=NIP_B, xml=xml.replace(b"<P_2>AUTO</P_2>", f"<P_2>{done.number}</P_2>".encode())
        )
    with pytest.raises(EngineError, match="samofakturowanie"):
        issue(ctx, company_nip=NIP_A, xml=xml)  # A is not the buyer of that invoice


def test_self_billing_from_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import secrets

    from fakturnik.cli.main import app
    from fakturnik.vault import ENV_MASTER_KEY

    monkeypatch.setenv(ENV_MASTER_KEY, secrets.token_hex(32))
    data = tmp_path / "data"
    monkeypatch.setenv("FAKTURNIK_DATA_DIR", str(data))
    with Fakturnik.open(data, use_keyring=False) as fk:
        fk.companies.add(NIP_A, "Firma A", environment="test")
    file = tmp_path / "samofaktura.json"
    file.write_text(json.dumps(self_billed()), encoding="utf-8")
    out = CliRunner().invoke(app, ["invoices", "issue", "--company", NIP_A, str(file)])
    assert out.exit_code == 0, out.output
    assert f"SF/{NIP_A}/FV/{YEAR}/000001" in out.output
    file.write_text(json.dumps(draft(seller=SELLER)), encoding="utf-8")
    out = CliRunner().invoke(app, ["invoices", "issue", "--company", NIP_A, str(file)])
    assert out.exit_code == 1 and "samofakturowanie" in out.output


def test_self_billing_by_rest(tmp_path: Path) -> None:
    from tests.web.api.harness import api_server
    from tests.web.api.helpers import make_tenant

    with api_server(tmp_path, worker=False, webhooks=False) as server:
        tenant = make_tenant(server, "wlasciciel@mleczarnia.pl", NIP_A, environment="test")
        api = tenant.api()
        r = api.post(f"/companies/{tenant.company_id}/invoices", json=self_billed())
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["number"] == f"SF/{NIP_A}/FV/{YEAR}/000001"
        assert body["seller"]["nip"] == SELLER and body["buyer"]["nip"] == NIP_A
        r = api.post(f"/companies/{tenant.company_id}/invoices", json=draft(seller=SELLER))
        assert r.status_code == 422, r.text
        assert "samofakturowanie" in r.text and "Podmiot1/DaneIdentyfikacyjne/NIP" in r.text


def test_the_410_explanation_names_the_one_authorization_missing() -> None:
    from fakturnik.engine.refusals import LoginParty, explain_seller_refusal

    party = LoginParty("certificate", NIP_A)
    self_billing = explain_seller_refusal(party, SELLER, "self_billing")
    assert self_billing.startswith("Czeka na uprawnienie w KSeF: ")
    assert (
        f"sprzedawca {SELLER} musi nadać firmie {NIP_A} upoważnienie „samofakturowanie” (SelfInvoicing)"
        in (self_billing)
    )
    representative = explain_seller_refusal(party, SELLER, "tax_representative")
    assert "„przedstawiciel podatkowy” (TaxRepresentative)" in representative
    unknown = explain_seller_refusal(party, SELLER)
    assert "samofakturowania lub przedstawicielstwa podatkowego" in unknown
