"""People: users (argon2id passwords, optional TOTP), sign-in sessions, memberships, invitations.

Session tokens and invitation tokens are random and stored only as their SHA-256; TOTP secrets are
kept in the vault. Authentication failures all say the same thing (no account enumeration).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fakturnik.app import credentials as cr
from fakturnik.app.access import Action, Role, require_system
from fakturnik.app.actor import Actor
from fakturnik.app.service import Service
from fakturnik.app.views import InvitationCreated, InvitationView, MembershipView, SessionCreated, UserView
from fakturnik.errors import (
    AuthenticationError,
    ConflictError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
)
from fakturnik.store import repo
from fakturnik.store.models import Company, Invitation, Membership, User, UserSession

SESSION_TTL = timedelta(days=14)
INVITATION_TTL = timedelta(days=7)
SEEN_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often per session
MIN_PASSWORD = 10
_EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")
BAD_LOGIN = "nieprawidłowy e-mail, hasło lub kod"


def _now() -> datetime:
    return datetime.now(UTC)


def normalize_email(email: str) -> str:
    value = (email or "").strip().lower()
    if not _EMAIL.match(value) or len(value) > 320:
        raise InputError("niepoprawny adres e-mail", "email")
    return value


def check_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise InputError(f"hasło musi mieć co najmniej {MIN_PASSWORD} znaków", "password")
    if len(password) > 1024:
        raise InputError("hasło jest za długie (najwyżej 1024 znaki)", "password")


def user_view(u: User) -> UserView:
    return UserView(u.id, u.email, u.name, u.totp_enabled, u.created_at, u.active)


def _role(role: str) -> str:
    try:
        return Role(role).value
    except ValueError:
        raise InputError("rola: owner, accountant, issuer albo viewer", "role") from None


class AccountsService(Service):
    # --- users ------------------------------------------------------------------------------------

    def register_user(self, email: str, password: str, name: str = "") -> UserView:
        """Create a user account (the system actor only: setup, demo, CLI; others join by invitation)."""
        require_system(self.actor)
        email = normalize_email(email)
        check_password(password)
        password_hash = cr.hash_password(password)
        try:
            with self._tx() as s:
                user = User(email=email, name=name.strip()[:256], password_hash=password_hash)
                s.add(user)
                s.flush()
                self._audit(s, "user.register", detail={"user_id": user.id, "email": email})
                return user_view(user)
        except IntegrityError:
            raise ConflictError("konto o tym adresie e-mail już istnieje") from None

    def authenticate(self, email: str, password: str, totp: str | None = None) -> Actor:
        """Check e-mail + password (+ TOTP code when enabled) → the user's Actor.

        Every failure raises the same :class:`AuthenticationError`; throttling is the face's job
        (web.security), which calls this.
        """
        try:
            email = normalize_email(email)
        except InputError:
            cr.burn_time(password or "")
            raise AuthenticationError(BAD_LOGIN) from None
        with self._tx() as s:  # read, then check outside the transaction (argon2 takes time)
            user = s.scalar(select(User).where(User.email == email))
            found = (
                (user.id, user.password_hash, user.totp_enabled, user.totp_secret_name)
                if user and user.active
                else None
            )
        if found is None:
            cr.burn_time(password or "")
            raise AuthenticationError(BAD_LOGIN)
        user_id, password_hash, totp_enabled, totp_name = found
        if not cr.verify_password(password_hash, password or ""):
            raise AuthenticationError(BAD_LOGIN)
        if totp_enabled:
            secret = self.ctx.vault.get(totp_name).reveal_text() if totp_name else ""
            if not totp or not secret or not cr.totp_ok(secret, totp):
                raise AuthenticationError(BAD_LOGIN)
        rehash = cr.hash_password(password) if cr.needs_rehash(password_hash) else None
        actor = Actor.user(user_id, email)
        with self._tx() as s:
            user = s.get(User, user_id)
            if user is None or not user.active:
                raise AuthenticationError(BAD_LOGIN)
            if rehash is not None:
                user.password_hash = rehash
            user.last_login_at = _now()
            self._audit_as(s, actor, "user.login")
        return actor

    def needs_totp(self, email: str) -> bool:
        """Whether the sign-in form should ask for a TOTP code (only after a correct password)."""
        try:
            email = normalize_email(email)
        except InputError:
            return False
        with self._tx() as s:
            return bool(s.scalar(select(User.totp_enabled).where(User.email == email)))

    def _audit_as(self, s: Session, actor: Actor, action: str, **detail: object) -> None:
        from fakturnik.store import repo

        repo.audit(s, actor.label, action, detail=dict(detail))

    def _me(self, s: Session) -> User:
        if self.actor.kind != "user" or self.actor.user_id is None:
            raise PermissionDeniedError("operacja tylko dla zalogowanego użytkownika")
        user = s.get(User, self.actor.user_id)
        if user is None or not user.active:
            raise AuthenticationError("konto nie istnieje lub zostało wyłączone")
        return user

    def me(self) -> UserView:
        with self._tx() as s:
            return user_view(self._me(s))

    def change_password(self, old: str, new: str) -> None:
        """Change the signed-in user's password; every other session of the user ends."""
        check_password(new)
        with self._tx() as s:
            user = self._me(s)
            if not cr.verify_password(user.password_hash, old or ""):
                raise AuthenticationError("obecne hasło jest nieprawidłowe")
            user.password_hash = cr.hash_password(new)
            s.execute(delete(UserSession).where(UserSession.user_id == user.id))
            self._audit(s, "user.password_changed", detail={"user_id": user.id})

    def set_password(self, user_id: int, password: str) -> None:
        """Reset a user's password (system actor: the CLI's account recovery)."""
        require_system(self.actor)
        check_password(password)
        with self._tx() as s:
            user = s.get(User, user_id)
            if user is None:
                raise NotFoundError("nie ma takiego użytkownika")
            user.password_hash = cr.hash_password(password)
            s.execute(delete(UserSession).where(UserSession.user_id == user.id))
            self._audit(s, "user.password_reset", detail={"user_id": user.id})

    def user_by_email(self, email: str) -> UserView:
        require_system(self.actor)
        with self._tx() as s:
            user = s.scalar(select(User).where(User.email == normalize_email(email)))
            if user is None:
                raise NotFoundError("nie ma takiego użytkownika")
            return user_view(user)

    # --- TOTP -------------------------------------------------------------------------------------

    def _totp_name(self, user_id: int) -> str:
        return f"user/{user_id}/totp"

    def enable_totp(self) -> str:
        """Start TOTP enrolment for the signed-in user: returns the otpauth:// URI (for a QR code).

        The second factor is enforced only after :meth:`confirm_totp` with a code from the app.
        """
        with self._tx() as s:
            user = self._me(s)
            user_id, email = user.id, user.email
        secret = cr.new_totp_secret()
        name = self._totp_name(user_id)
        self.ctx.vault.put(name, f"user/{user_id}", secret)
        with self._tx() as s:
            user = self._me(s)
            user.totp_secret_name = name
            user.totp_enabled = False
            self._audit(s, "user.totp_started", detail={"user_id": user_id})
        return cr.totp_uri(secret, email)

    def confirm_totp(self, code: str) -> None:
        with self._tx() as s:
            name = self._me(s).totp_secret_name
        secret = self.ctx.vault.get(name).reveal_text() if name else ""
        if not secret or not cr.totp_ok(secret, code):
            raise InputError("nieprawidłowy kod z aplikacji", "code")
        with self._tx() as s:
            user = self._me(s)
            user.totp_enabled = True
            self._audit(s, "user.totp_enabled", detail={"user_id": user.id})

    def disable_totp(self, password: str) -> None:
        with self._tx() as s:
            user = self._me(s)
            if not cr.verify_password(user.password_hash, password or ""):
                raise AuthenticationError("hasło jest nieprawidłowe")
            user.totp_enabled = False
            name, user.totp_secret_name = user.totp_secret_name, None
            self._audit(s, "user.totp_disabled", detail={"user_id": user.id})
        if name:
            self.ctx.vault.delete(name)

    # --- sessions ---------------------------------------------------------------------------------

    def create_session(self, user_id: int | None = None, ttl: timedelta = SESSION_TTL) -> SessionCreated:
        """A new sign-in session for the signed-in user (or any user, as the system actor)."""
        if user_id is None:
            if self.actor.user_id is None:
                raise PermissionDeniedError("operacja tylko dla zalogowanego użytkownika")
            user_id = self.actor.user_id
        elif not self.actor.is_system and self.actor.user_id != user_id:
            raise PermissionDeniedError("nie można otworzyć sesji innego użytkownika")
        token = cr.new_token("fks")
        now = _now()
        with self._tx() as s:
            user = s.get(User, user_id)
            if user is None or not user.active:
                raise AuthenticationError("konto nie istnieje lub zostało wyłączone")
            s.add(
                UserSession(
                    token_hash=cr.token_hash(token),
                    user_id=user_id,
                    created_at=now,
                    expires_at=now + ttl,
                    last_seen_at=now,
                )
            )
            return SessionCreated(token=token, user=user_view(user), expires_at=now + ttl)

    def actor_for_session(self, token: str) -> Actor | None:
        """The Actor of a valid session token (None when unknown, expired or ended); refreshes last_seen."""
        if not token or len(token) > 200:
            return None
        now = _now()
        with self._tx() as s:
            row = s.execute(
                select(UserSession, User)
                .join(User, User.id == UserSession.user_id)
                .where(UserSession.token_hash == cr.token_hash(token))
            ).first()
            if row is None:
                return None
            session, user = row
            if session.expires_at <= now or not user.active:
                s.delete(session)
                return None
            if now - session.last_seen_at > SEEN_EVERY:
                session.last_seen_at = now
            return Actor.user(user.id, user.email)

    def end_session(self, token: str) -> None:
        with self._tx() as s:
            s.execute(delete(UserSession).where(UserSession.token_hash == cr.token_hash(token or "")))

    def end_all_sessions(self, user_id: int | None = None) -> int:
        target = user_id if user_id is not None else self.actor.user_id
        if target is None or (not self.actor.is_system and target != self.actor.user_id):
            raise PermissionDeniedError("nie można zakończyć sesji innego użytkownika")
        with self._tx() as s:
            result = s.execute(delete(UserSession).where(UserSession.user_id == target))
            self._audit(s, "user.sessions_ended", detail={"user_id": target})
            return int(getattr(result, "rowcount", 0))

    def purge_expired_sessions(self) -> int:
        with self._tx() as s:
            result = s.execute(delete(UserSession).where(UserSession.expires_at <= _now()))
            return int(getattr(result, "rowcount", 0))

    # --- memberships ------------------------------------------------------------------------------

    def companies_of(self) -> list[MembershipView]:
        """The signed-in user's companies with the role in each (for the company switcher)."""
        with self._tx() as s:
            user = self._me(s)
            rows = s.execute(
                select(Membership, Company)
                .join(Company, Company.id == Membership.company_id)
                .where(Membership.user_id == user.id)
                .order_by(Company.name, Company.id)
            ).all()
            return [MembershipView(c.id, c.nip, c.name, user.id, user.email, m.role) for m, c in rows]

    def role_in(self, company_id: int) -> str | None:
        if self.actor.kind != "user" or self.actor.user_id is None:
            return None
        with self._tx() as s:
            return s.scalar(
                select(Membership.role).where(
                    Membership.user_id == self.actor.user_id, Membership.company_id == company_id
                )
            )

    def members(self, company_id: int) -> list[MembershipView]:
        with self._tx() as s:
            company = self._company(s, company_id, Action.COMPANY_VIEW)
            rows = s.execute(
                select(Membership, User)
                .join(User, User.id == Membership.user_id)
                .where(Membership.company_id == company.id)
                .order_by(User.email)
            ).all()
            return [
                MembershipView(company.id, company.nip, company.name, u.id, u.email, m.role) for m, u in rows
            ]

    def add_member(self, company_id: int, user_id: int, role: str) -> MembershipView:
        """Give an existing user a role in the company (system actor; people use invitations)."""
        require_system(self.actor)
        role = _role(role)
        with self._tx() as s:
            company = self._company(s, company_id, Action.MEMBERS_MANAGE)
            user = s.get(User, user_id)
            if user is None:
                raise NotFoundError("nie ma takiego użytkownika")
            repo.set_membership(s, user_id, company.id, role)
            self._audit(s, "member.add", company_id=company.id, detail={"user_id": user_id, "role": role})
            return MembershipView(company.id, company.nip, company.name, user.id, user.email, role)

    def set_role(self, company_id: int, user_id: int, role: str) -> MembershipView:
        role = _role(role)
        with self._tx() as s:
            company, membership = self._member(s, company_id, user_id)
            if membership.role == Role.OWNER and role != Role.OWNER:
                self._keep_an_owner(s, company.id)
            membership.role = role
            user = s.get(User, user_id)
            assert user is not None
            self._audit(s, "member.role", company_id=company.id, detail={"user_id": user_id, "role": role})
            return MembershipView(company.id, company.nip, company.name, user.id, user.email, role)

    def _member(self, s: Session, company_id: int, user_id: int) -> tuple[Company, Membership]:
        """The company (after the members-manage check) and the user's membership in it."""
        company = self._company(s, company_id, Action.MEMBERS_MANAGE)
        membership = s.scalar(
            select(Membership).where(Membership.user_id == user_id, Membership.company_id == company.id)
        )
        if membership is None:
            raise NotFoundError("ten użytkownik nie należy do firmy")
        return company, membership

    def _keep_an_owner(self, s: Session, company_id: int) -> None:
        owners = s.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.company_id == company_id, Membership.role == Role.OWNER.value)
        )
        if (owners or 0) <= 1:
            raise ConflictError("firma musi mieć co najmniej jednego właściciela")

    def remove_member(self, company_id: int, user_id: int) -> None:
        with self._tx() as s:
            company, membership = self._member(s, company_id, user_id)
            if membership.role == Role.OWNER:
                self._keep_an_owner(s, company.id)
            s.delete(membership)
            self._audit(s, "member.remove", company_id=company.id, detail={"user_id": user_id})

    # --- invitations ------------------------------------------------------------------------------

    def invite(self, company_id: int, email: str, role: str) -> InvitationCreated:
        """Invite someone by e-mail with a role; the token (for the link) is returned once."""
        email = normalize_email(email)
        role = _role(role)
        token = cr.new_token("fki")
        now = _now()
        with self._tx() as s:
            company = self._company(s, company_id, Action.MEMBERS_MANAGE)
            inv = Invitation(
                company_id=company.id,
                email=email,
                role=role,
                token_hash=cr.token_hash(token),
                invited_by=self.actor.label,
                created_at=now,
                expires_at=now + INVITATION_TTL,
            )
            s.add(inv)
            s.flush()
            self._audit(s, "member.invite", company_id=company.id, detail={"email": email, "role": role})
            return InvitationCreated(invitation=_invitation_view(inv), token=token)

    def invitations(self, company_id: int) -> list[InvitationView]:
        with self._tx() as s:
            company = self._company(s, company_id, Action.MEMBERS_MANAGE)
            rows = s.scalars(
                select(Invitation).where(Invitation.company_id == company.id).order_by(Invitation.id.desc())
            )
            return [_invitation_view(i) for i in rows]

    def revoke_invitation(self, company_id: int, invitation_id: int) -> None:
        with self._tx() as s:
            missing = "nie ma takiego zaproszenia"
            inv = self._owned(
                s, company_id, Action.MEMBERS_MANAGE, Invitation, invitation_id, missing, accepted_at=None
            )
            s.delete(inv)
            self._audit(s, "member.invite_revoked", company_id=company_id, detail={"email": inv.email})

    def invitation(self, token: str) -> InvitationView:
        """An open invitation by its token (the page the link leads to)."""
        with self._tx() as s:
            return _invitation_view(self._open_invitation(s, token))

    def _open_invitation(self, s: Session, token: str) -> Invitation:
        inv = s.scalar(select(Invitation).where(Invitation.token_hash == cr.token_hash(token or "")))
        if inv is None or inv.accepted_at is not None or inv.expires_at <= _now():
            raise NotFoundError("zaproszenie nie istnieje, wygasło albo zostało już przyjęte")
        return inv

    def accept_invitation(self, token: str, password: str | None = None, name: str = "") -> Actor:
        """Accept an invitation: an existing account (the signed-in user, or by e-mail + ``password``)
        joins the company; a new e-mail creates the account with ``password``."""
        with self._tx() as s:
            inv = self._open_invitation(s, token)
            user = s.scalar(select(User).where(User.email == inv.email))
            if self.actor.kind == "user":
                me = self._me(s)
                if me.email != inv.email:
                    raise PermissionDeniedError("zaproszenie jest dla innego adresu e-mail")
                user = me
            elif user is not None:
                if password is None or not cr.verify_password(user.password_hash, password):
                    raise AuthenticationError(BAD_LOGIN)
            else:
                if password is None:
                    raise InputError("ustaw hasło do nowego konta", "password")
                check_password(password)
                user = User(
                    email=inv.email, name=name.strip()[:256], password_hash=cr.hash_password(password)
                )
                s.add(user)
                s.flush()
            repo.set_membership(s, user.id, inv.company_id, inv.role)
            inv.accepted_at = _now()
            actor = Actor.user(user.id, user.email)
            repo.audit(s, actor.label, "member.joined", company_id=inv.company_id, detail={"role": inv.role})
            return actor


def _invitation_view(i: Invitation) -> InvitationView:
    return InvitationView(i.id, i.company_id, i.email, i.role, i.created_at, i.expires_at, i.accepted_at)
