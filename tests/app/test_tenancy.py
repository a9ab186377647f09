"""Tenancy at the service level: an actor of company B never sees or changes company A's objects."""

from __future__ import annotations

import pytest

from fakturnik.app import Actor, Fakturnik, InvoiceFilter
from fakturnik.app.access import ROLE_ACTIONS, SCOPE_ACTIONS, Action, Role, allowed_actions
from fakturnik.errors import NotFoundError, PermissionDeniedError
from tests.app.conftest import company_id
from tests.app.kit import NIP_A, NIP_B, draft, user_with_role


def _a_objects(fk: Fakturnik) -> dict[str, int]:
    a = company_id(fk, NIP_A)
    inv = fk.invoices.issue(a, draft()).invoice
    contractor = fk.contractors.create(a, "9166568761", "Klient S.A.")
    product = fk.products.create(a, "Usługa", "100")
    key = fk.api_keys.create(a, "ERP A", ["invoices:read"]).key
    return {
        "company": a,
        "invoice": inv.id,
        "contractor": contractor.id,
        "product": product.id,
        "key": key.id,
    }


def _every_call(svc: object, o: dict[str, int]) -> list[tuple[str, object]]:
    a, i = o["company"], o["invoice"]
    s = svc  # type: ignore[assignment]
    return [
        ("companies.get", lambda: s.companies.get(a)),  # type: ignore[attr-defined]
        ("companies.update", lambda: s.companies.update(a, name="X")),  # type: ignore[attr-defined]
        ("companies.configure_ksef", lambda: s.companies.configure_ksef(a, "demo")),  # type: ignore[attr-defined]
        ("companies.set_ksef_token", lambda: s.companies.set_ksef_token(a, "tok")),  # type: ignore[attr-defined]
        ("companies.credential", lambda: s.companies.credential(a)),  # type: ignore[attr-defined]
        ("invoices.issue", lambda: s.invoices.issue(a, draft())),  # type: ignore[attr-defined]
        ("invoices.issue_many", lambda: s.invoices.issue_many(a, [draft()])),  # type: ignore[attr-defined]
        ("invoices.preview", lambda: s.invoices.preview(a, draft())),  # type: ignore[attr-defined]
        ("invoices.get", lambda: s.invoices.get(a, i)),  # type: ignore[attr-defined]
        ("invoices.list", lambda: s.invoices.list(a, InvoiceFilter())),  # type: ignore[attr-defined]
        ("invoices.history", lambda: s.invoices.history(a, i)),  # type: ignore[attr-defined]
        ("invoices.xml", lambda: s.invoices.xml(a, i)),  # type: ignore[attr-defined]
        ("invoices.upo", lambda: s.invoices.upo(a, i)),  # type: ignore[attr-defined]
        ("invoices.session_upo", lambda: s.invoices.session_upo(a, i)),  # type: ignore[attr-defined]
        ("invoices.session_upo_xml", lambda: s.invoices.session_upo_xml(a, i)),  # type: ignore[attr-defined]
        ("invoices.session_upo_pdf", lambda: s.invoices.session_upo_pdf(a, i)),  # type: ignore[attr-defined]
        ("invoices.draft_of", lambda: s.invoices.draft_of(a, i)),  # type: ignore[attr-defined]
        ("invoices.correction_draft", lambda: s.invoices.correction_draft(a, i)),  # type: ignore[attr-defined]
        ("invoices.record_payment", lambda: s.invoices.record_payment(a, i)),  # type: ignore[attr-defined]
        ("invoices.send_now", lambda: s.invoices.send_now(a, [i])),  # type: ignore[attr-defined]
        ("invoices.company_of", lambda: s.invoices.company_of(i)),  # type: ignore[attr-defined]
        ("received.list", lambda: s.received.list(a)),  # type: ignore[attr-defined]
        ("ksef.availability", lambda: s.ksef.availability(a)),  # type: ignore[attr-defined]
        ("ksef.start_outage", lambda: s.ksef.start_outage(a)),  # type: ignore[attr-defined]
        ("ksef.sync", lambda: s.ksef.sync(a)),  # type: ignore[attr-defined]
        ("accounts.members", lambda: s.accounts.members(a)),  # type: ignore[attr-defined]
        ("accounts.invite", lambda: s.accounts.invite(a, "x@example.com", "owner")),  # type: ignore[attr-defined]
        ("api_keys.list", lambda: s.api_keys.list(a)),  # type: ignore[attr-defined]
        ("api_keys.create", lambda: s.api_keys.create(a, "k", ["company:admin"])),  # type: ignore[attr-defined]
        ("api_keys.revoke", lambda: s.api_keys.revoke(a, o["key"])),  # type: ignore[attr-defined]
        ("contractors.get", lambda: s.contractors.get(a, o["contractor"])),  # type: ignore[attr-defined]
        ("contractors.list", lambda: s.contractors.list(a)),  # type: ignore[attr-defined]
        ("contractors.update", lambda: s.contractors.update(a, o["contractor"], name="X")),  # type: ignore[attr-defined]
        ("contractors.delete", lambda: s.contractors.delete(a, o["contractor"])),  # type: ignore[attr-defined]
        ("products.get", lambda: s.products.get(a, o["product"])),  # type: ignore[attr-defined]
        ("products.update", lambda: s.products.update(a, o["product"], name="X")),  # type: ignore[attr-defined]
        ("products.delete", lambda: s.products.delete(a, o["product"])),  # type: ignore[attr-defined]
        ("series.list", lambda: s.series.list(a)),  # type: ignore[attr-defined]
        ("series.set", lambda: s.series.set(a, "VAT", "X/{yyyy}/{seq}")),  # type: ignore[attr-defined]
        ("audit.list", lambda: s.audit.list(a)),  # type: ignore[attr-defined]
        ("companies.by_nip", lambda: s.companies.by_nip(NIP_A)),  # type: ignore[attr-defined]
        ("invoices.correct", lambda: s.invoices.correct(a, i, draft())),  # type: ignore[attr-defined]
        ("invoices.duplicate_draft", lambda: s.invoices.duplicate_draft(a, i)),  # type: ignore[attr-defined]
        ("invoices.clear_payment", lambda: s.invoices.clear_payment(a, i)),  # type: ignore[attr-defined]
        ("invoices.wait", lambda: s.invoices.wait(a, i, timeout=0)),  # type: ignore[attr-defined]
        ("received.get", lambda: s.received.get(a, i)),  # type: ignore[attr-defined]
        ("received.xml", lambda: s.received.xml(a, i)),  # type: ignore[attr-defined]
        ("received.history", lambda: s.received.history(a, i)),  # type: ignore[attr-defined]
        ("received.upo", lambda: s.received.upo(a, i)),  # type: ignore[attr-defined]
        ("received.session_upo", lambda: s.received.session_upo(a, i)),  # type: ignore[attr-defined]
        ("received.session_upo_xml", lambda: s.received.session_upo_xml(a, i)),  # type: ignore[attr-defined]
        ("received.session_upo_pdf", lambda: s.received.session_upo_pdf(a, i)),  # type: ignore[attr-defined]
        ("received.draft_of", lambda: s.received.draft_of(a, i)),  # type: ignore[attr-defined]
        ("received.mark_booked", lambda: s.received.mark_booked(a, i)),  # type: ignore[attr-defined]
        ("received.warnings", lambda: s.received.warnings(a, i)),  # type: ignore[attr-defined]
        ("received.record_payment", lambda: s.received.record_payment(a, i)),  # type: ignore[attr-defined]
        ("received.clear_payment", lambda: s.received.clear_payment(a, i)),  # type: ignore[attr-defined]
        ("received.company_of", lambda: s.received.company_of(i)),  # type: ignore[attr-defined]
        ("ksef.check_connection", lambda: s.ksef.check_connection(a)),  # type: ignore[attr-defined]
        ("ksef.end_outage", lambda: s.ksef.end_outage(a)),  # type: ignore[attr-defined]
        ("accounts.invitations", lambda: s.accounts.invitations(a)),  # type: ignore[attr-defined]
        ("accounts.set_role", lambda: s.accounts.set_role(a, 1, "viewer")),  # type: ignore[attr-defined]
        ("accounts.remove_member", lambda: s.accounts.remove_member(a, 1)),  # type: ignore[attr-defined]
        ("accounts.revoke_invitation", lambda: s.accounts.revoke_invitation(a, 1)),  # type: ignore[attr-defined]
        ("contractors.create", lambda: s.contractors.create(a, "", "X")),  # type: ignore[attr-defined]
        ("contractors.search", lambda: s.contractors.search(a, "K")),  # type: ignore[attr-defined]
        ("contractors.by_nip", lambda: s.contractors.by_nip(a, "9166568761")),  # type: ignore[attr-defined]
        ("contractors.lookup_nip", lambda: s.contractors.lookup_nip(a, "9166568761")),  # type: ignore[attr-defined]
        ("contractors.create_from_white_list", lambda: s.contractors.create_from_white_list(a, "9166568761")),  # type: ignore[attr-defined]
        ("products.create", lambda: s.products.create(a, "X", "1")),  # type: ignore[attr-defined]
        ("products.list", lambda: s.products.list(a)),  # type: ignore[attr-defined]
        ("products.search", lambda: s.products.search(a, "U")),  # type: ignore[attr-defined]
        ("series.preview", lambda: s.series.preview(a)),  # type: ignore[attr-defined]
        ("invoices.html", lambda: s.invoices.html(a, i)),  # type: ignore[attr-defined]
        ("invoices.pdf", lambda: s.invoices.pdf(a, i)),  # type: ignore[attr-defined]
        ("invoices.upo_pdf", lambda: s.invoices.upo_pdf(a, i)),  # type: ignore[attr-defined]
        ("received.html", lambda: s.received.html(a, i)),  # type: ignore[attr-defined]
        ("received.pdf", lambda: s.received.pdf(a, i)),  # type: ignore[attr-defined]
        ("received.upo_pdf", lambda: s.received.upo_pdf(a, i)),  # type: ignore[attr-defined]
        ("companies.set_certificate", lambda: s.companies.set_certificate(a, b"x", b"y")),  # type: ignore[attr-defined]
        ("companies.set_pkcs12", lambda: s.companies.set_pkcs12(a, b"x", "p")),  # type: ignore[attr-defined]
        ("collective.dues", lambda: s.collective.dues(a)),  # type: ignore[attr-defined]
        ("collective.create", lambda: s.collective.create(a, "9166568761")),  # type: ignore[attr-defined]
        ("collective.created", lambda: s.collective.created(a)),  # type: ignore[attr-defined]
        ("collective.get", lambda: s.collective.get(a, "x")),  # type: ignore[attr-defined]
        ("collective.received", lambda: s.collective.received(a)),  # type: ignore[attr-defined]
        ("collective.payment_list", lambda: s.collective.payment_list(a, invoice_ids=[i])),  # type: ignore[attr-defined]
    ]


# Methods that take no company of A: they act on the actor itself or the installation, and are
# tested on their own (accounts, keys, white list without a company).
NOT_COMPANY_SCOPED = {
    "companies.add",
    "companies.list",
    "invoices.issue",  # covered above (name collision with received's refusal)
    "received.issue",
    "received.issue_many",
    "received.correct",
    "received.preview",
    "received.send_now",
    "received.correction_draft",
    "received.duplicate_draft",
    "received.wait",
    "ksef.outbox",
    "accounts.register_user",
    "accounts.authenticate",
    "accounts.needs_totp",
    "accounts.me",
    "accounts.change_password",
    "accounts.set_password",
    "accounts.user_by_email",
    "accounts.enable_totp",
    "accounts.confirm_totp",
    "accounts.disable_totp",
    "accounts.create_session",
    "accounts.actor_for_session",
    "accounts.end_session",
    "accounts.end_all_sessions",
    "accounts.purge_expired_sessions",
    "accounts.companies_of",
    "accounts.role_in",
    "accounts.add_member",
    "accounts.invitation",
    "accounts.accept_invitation",
    "api_keys.authenticate",
    "contractors.white_list_lookup",
}


def test_every_public_service_method_is_in_the_tenancy_enumeration() -> None:
    from fakturnik.app.accounts import AccountsService
    from fakturnik.app.api_keys import ApiKeysService
    from fakturnik.app.audit import AuditService
    from fakturnik.app.collective import CollectiveService
    from fakturnik.app.companies import CompaniesService
    from fakturnik.app.contractors import ContractorsService
    from fakturnik.app.invoices import InvoicesService
    from fakturnik.app.ksef_ops import KsefService
    from fakturnik.app.products import ProductsService
    from fakturnik.app.received import ReceivedService
    from fakturnik.app.series import SeriesService

    services = {
        "companies": CompaniesService,
        "invoices": InvoicesService,
        "received": ReceivedService,
        "ksef": KsefService,
        "accounts": AccountsService,
        "api_keys": ApiKeysService,
        "contractors": ContractorsService,
        "products": ProductsService,
        "series": SeriesService,
        "audit": AuditService,
        "collective": CollectiveService,
    }
    covered = {
        name
        for name, _ in _every_call(
            object(), {k: 0 for k in ("company", "invoice", "contractor", "product", "key")}
        )
    }
    public = {
        f"{label}.{name}"
        for label, cls in services.items()
        for name in dir(cls)
        if not name.startswith("_") and callable(getattr(cls, name)) and name not in ("ctx", "direction")
    }
    missing = public - covered - NOT_COMPANY_SCOPED
    assert not missing, f"add these to the tenancy enumeration: {sorted(missing)}"


def _refused(call: object) -> bool:
    try:
        call()  # type: ignore[operator]
    except NotFoundError:
        return True
    return False


@pytest.mark.parametrize("who", ["user", "api_key"])
def test_an_actor_of_company_b_never_reaches_company_a(fk_db: Fakturnik, who: str) -> None:
    objects = _a_objects(fk_db)
    b = company_id(fk_db, NIP_B)
    if who == "user":
        actor = user_with_role(fk_db, b, "owner.b@example.com", "owner")
    else:
        actor = fk_db.api_keys.authenticate(
            fk_db.api_keys.create(
                b, "ERP B", ["invoices:write", "invoices:read", "received:read", "company:admin"]
            ).token
        )
    svc = fk_db.acting_as(actor)
    leaked = [name for name, call in _every_call(svc, objects) if not _refused(call)]
    assert leaked == []
    # what B lists contains nothing of A
    assert [c.nip for c in svc.companies.list()] == [NIP_B]
    assert svc.invoices.list(b).items == ()
    # and A's objects are untouched
    a = objects["company"]
    assert fk_db.companies.get(a).name == "Firma A"
    assert len(fk_db.contractors.list(a)) == 1 and fk_db.products.get(a, objects["product"]).name == "Usługa"
    assert fk_db.invoices.get(a, objects["invoice"]).payment.state == "unpaid"


def test_viewer_reads_but_cannot_write(fk: Fakturnik) -> None:
    objects = _a_objects(fk)
    a = objects["company"]
    viewer = fk.acting_as(user_with_role(fk, a, "viewer@example.com", "viewer"))
    assert viewer.invoices.get(a, objects["invoice"]).id == objects["invoice"]
    assert viewer.companies.get(a).role == "viewer"
    for call in (
        lambda: viewer.invoices.issue(a, draft()),
        lambda: viewer.invoices.record_payment(a, objects["invoice"]),
        lambda: viewer.contractors.create(a, "", "X"),
        lambda: viewer.api_keys.create(a, "k", ["invoices:read"]),
        lambda: viewer.accounts.invite(a, "x@example.com", "viewer"),
        lambda: viewer.companies.set_ksef_token(a, "t"),
    ):
        with pytest.raises(PermissionDeniedError):
            call()


def test_issuer_and_accountant_rights(fk: Fakturnik) -> None:
    objects = _a_objects(fk)
    a = objects["company"]
    issuer = fk.acting_as(user_with_role(fk, a, "issuer@example.com", "issuer"))
    assert issuer.invoices.issue(a, draft()).invoice.status == "queued"
    with pytest.raises(PermissionDeniedError):
        issuer.products.create(a, "X", "1")
    with pytest.raises(PermissionDeniedError):
        issuer.companies.configure_ksef(a, "prod")
    accountant = fk.acting_as(user_with_role(fk, a, "acc@example.com", "accountant"))
    accountant.products.create(a, "X", "1")
    assert accountant.audit.list(a)
    with pytest.raises(PermissionDeniedError):
        accountant.accounts.invite(a, "x@example.com", "viewer")


def test_api_key_scopes(fk: Fakturnik) -> None:
    objects = _a_objects(fk)
    a = objects["company"]
    reader = fk.acting_as(fk.api_keys.authenticate(fk.api_keys.create(a, "r", ["invoices:read"]).token))
    assert reader.invoices.get(a, objects["invoice"]).id == objects["invoice"]
    with pytest.raises(PermissionDeniedError):
        reader.invoices.issue(a, draft())
    with pytest.raises(PermissionDeniedError):
        reader.received.list(a)
    writer = fk.acting_as(fk.api_keys.authenticate(fk.api_keys.create(a, "w", ["invoices:write"]).token))
    writer.invoices.issue(a, draft())
    with pytest.raises(PermissionDeniedError):
        writer.invoices.list(a)
    with pytest.raises(PermissionDeniedError):
        writer.companies.add("1181994512")


def test_the_tables_are_what_the_docs_say() -> None:
    assert ROLE_ACTIONS[Role.OWNER] == frozenset(Action)
    assert ROLE_ACTIONS[Role.VIEWER] < ROLE_ACTIONS[Role.ISSUER] < ROLE_ACTIONS[Role.OWNER]
    assert ROLE_ACTIONS[Role.VIEWER] < ROLE_ACTIONS[Role.ACCOUNTANT]
    assert not any(a.value.endswith((".write", ".manage", ".admin")) for a in ROLE_ACTIONS[Role.VIEWER])
    assert set(SCOPE_ACTIONS) == {"invoices:write", "invoices:read", "received:read", "company:admin"}
    assert allowed_actions(Actor.system(), None) == frozenset(Action)
    assert allowed_actions(Actor.user(1), None) == frozenset()
