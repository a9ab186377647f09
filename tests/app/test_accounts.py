"""Users, sign-in, TOTP, sessions, memberships, invitations, API keys."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from fakturnik.app import Actor, Fakturnik
from fakturnik.errors import (
    AuthenticationError,
    ConflictError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
)
from fakturnik.store.models import ApiKey, User, UserSession
from tests.app.conftest import company_id
from tests.app.kit import NIP_A, NIP_B

PASSWORD = "bardzo-tajne-hasło"


def test_register_and_authenticate_with_argon2id(fk_db: Fakturnik) -> None:
    user = fk_db.accounts.register_user("Ala@Firma.PL", PASSWORD, "Ala")
    assert user.email == "ala@firma.pl"
    actor = fk_db.accounts.authenticate("ala@firma.pl", PASSWORD)
    assert actor.kind == "user" and actor.user_id == user.id
    with fk_db.ctx.db.transaction() as s:
        stored = s.scalar(select(User.password_hash).where(User.id == user.id))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    for email, password in (
        ("ala@firma.pl", "złe-hasło-123"),
        ("nikt@firma.pl", PASSWORD),
        ("zły", PASSWORD),
    ):
        with pytest.raises(AuthenticationError) as err:
            fk_db.accounts.authenticate(email, password)
        assert str(err.value) == "nieprawidłowy e-mail, hasło lub kod"
    with pytest.raises(ConflictError):
        fk_db.accounts.register_user("ala@firma.pl", PASSWORD)
    with pytest.raises(InputError):
        fk_db.accounts.register_user("ola@firma.pl", "krótkie")
    with pytest.raises(PermissionDeniedError):
        fk_db.acting_as(actor).accounts.register_user("ola@firma.pl", PASSWORD)


def test_totp_second_factor(fk: Fakturnik) -> None:
    user = fk.accounts.register_user("ala@firma.pl", PASSWORD)
    me = fk.acting_as(Actor.user(user.id, user.email))
    uri = me.accounts.enable_totp()
    secret = pyotp.parse_uri(uri).secret
    fk.accounts.authenticate("ala@firma.pl", PASSWORD)  # not enforced before confirmation
    with pytest.raises(InputError):
        me.accounts.confirm_totp("000000")
    me.accounts.confirm_totp(pyotp.TOTP(secret).now())
    assert fk.accounts.needs_totp("ala@firma.pl")
    with pytest.raises(AuthenticationError):
        fk.accounts.authenticate("ala@firma.pl", PASSWORD)
    assert fk.accounts.authenticate("ala@firma.pl", PASSWORD, pyotp.TOTP(secret).now()).user_id == user.id
    me.accounts.disable_totp(PASSWORD)
    fk.accounts.authenticate("ala@firma.pl", PASSWORD)


def test_sessions_store_only_a_hash_and_end(fk_db: Fakturnik) -> None:
    user = fk_db.accounts.register_user("ala@firma.pl", PASSWORD)
    created = fk_db.accounts.create_session(user.id)
    assert created.token not in repr(created)
    assert fk_db.accounts.actor_for_session(created.token) == Actor.user(user.id, "ala@firma.pl")
    with fk_db.ctx.db.transaction() as s:
        hashes = list(s.scalars(select(UserSession.token_hash)))
    assert created.token not in hashes and len(hashes[0]) == 64
    fk_db.accounts.end_session(created.token)
    assert fk_db.accounts.actor_for_session(created.token) is None
    expired = fk_db.accounts.create_session(user.id, ttl=timedelta(seconds=-1))
    assert fk_db.accounts.actor_for_session(expired.token) is None
    assert fk_db.accounts.actor_for_session("nonsense") is None
    other = fk_db.accounts.register_user("ola@firma.pl", PASSWORD)
    with pytest.raises(PermissionDeniedError):
        fk_db.acting_as(Actor.user(user.id)).accounts.create_session(other.id)
    s1 = fk_db.accounts.create_session(user.id)
    fk_db.acting_as(Actor.user(user.id)).accounts.change_password(PASSWORD, "nowe-bardzo-tajne")
    assert fk_db.accounts.actor_for_session(s1.token) is None


def test_company_added_by_a_user_makes_them_owner_and_invitations(fk: Fakturnik) -> None:
    owner_view = fk.accounts.register_user("wlasciciel@firma.pl", PASSWORD)
    owner = fk.acting_as(Actor.user(owner_view.id, owner_view.email))
    company = owner.companies.add("1181994512", "Nowa firma", environment="test")
    assert company.role == "owner"
    assert [m.role for m in owner.accounts.companies_of()] == ["owner"]
    invited = owner.accounts.invite(company.id, "ksiegowa@biuro.pl", "accountant")
    assert invited.token not in repr(invited)
    assert fk.accounts.invitation(invited.token).email == "ksiegowa@biuro.pl"
    actor = fk.accounts.accept_invitation(invited.token, password=PASSWORD, name="Ewa")
    member = fk.acting_as(actor)
    assert [(m.company_id, m.role) for m in member.accounts.companies_of()] == [(company.id, "accountant")]
    with pytest.raises(NotFoundError):
        fk.accounts.accept_invitation(invited.token, password=PASSWORD)  # used
    assert {m.email: m.role for m in owner.accounts.members(company.id)} == {
        "wlasciciel@firma.pl": "owner",
        "ksiegowa@biuro.pl": "accountant",
    }
    owner.accounts.set_role(company.id, actor.user_id, "viewer")  # type: ignore[arg-type]
    assert member.accounts.role_in(company.id) == "viewer"
    with pytest.raises(ConflictError):
        owner.accounts.set_role(company.id, owner_view.id, "viewer")  # the last owner stays
    with pytest.raises(InputError):
        owner.accounts.invite(company.id, "x@biuro.pl", "admin")
    owner.accounts.remove_member(company.id, actor.user_id)  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        member.companies.get(company.id)


def test_an_existing_user_accepts_with_their_password(fk: Fakturnik) -> None:
    a, b = company_id(fk, NIP_A), company_id(fk, NIP_B)
    user = fk.accounts.register_user("biuro@rachunki.pl", PASSWORD)
    fk.accounts.add_member(a, user.id, "accountant")
    invitation = fk.accounts.invite(b, "biuro@rachunki.pl", "accountant")
    with pytest.raises(AuthenticationError):
        fk.accounts.accept_invitation(invitation.token, password="złe-hasło-1234")
    actor = fk.accounts.accept_invitation(invitation.token, password=PASSWORD)
    assert sorted(m.company_id for m in fk.acting_as(actor).accounts.companies_of()) == sorted([a, b])


def test_api_keys_shown_once_stored_hashed_revocable_with_last_use(fk_db: Fakturnik) -> None:
    a = company_id(fk_db, NIP_A)
    created = fk_db.api_keys.create(a, "ERP", ["invoices:write", "invoices:read"])
    assert created.token.startswith("fk_") and created.token not in repr(created)
    assert created.key.scopes == ("invoices:read", "invoices:write")
    with fk_db.ctx.db.transaction() as s:
        stored = s.scalars(select(ApiKey.token_hash)).all()
    assert created.token not in stored
    actor = fk_db.api_keys.authenticate(created.token)
    assert actor.company_id == a and actor.scopes == frozenset({"invoices:write", "invoices:read"})
    listed = fk_db.api_keys.list(a)
    assert listed[0].last_used_at is not None and not hasattr(listed[0], "token")
    fk_db.api_keys.revoke(a, created.key.id)
    with pytest.raises(AuthenticationError):
        fk_db.api_keys.authenticate(created.token)
    for bad in ("", "fk_nonsense", "x" * 500):
        with pytest.raises(AuthenticationError):
            fk_db.api_keys.authenticate(bad)
    with pytest.raises(InputError):
        fk_db.api_keys.create(a, "x", ["everything"])


def test_audit_records_the_actor_of_every_write(fk: Fakturnik) -> None:
    a = company_id(fk, NIP_A)
    user = fk.accounts.register_user("ala@firma.pl", PASSWORD)
    fk.accounts.add_member(a, user.id, "owner")
    ala = fk.acting_as(Actor.user(user.id, user.email))
    ala.products.create(a, "Usługa", "10")
    key = fk.api_keys.authenticate(ala.api_keys.create(a, "ERP", ["invoices:write"]).token)
    from tests.app.kit import draft

    fk.acting_as(key).invoices.issue(a, draft())
    entries = [(e.actor, e.action) for e in fk.audit.list(a)]
    assert (key.label, "invoice.issue") in entries
    assert (ala.actor.label, "api_key.create") in entries
    assert (ala.actor.label, "product.create") in entries
