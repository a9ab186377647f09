"""API keys of a company: scoped, shown once, stored as SHA-256, revocable, with last-used time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from fakturnik.app import credentials as cr
from fakturnik.app.access import SCOPES, Action
from fakturnik.app.actor import Actor
from fakturnik.app.projection import project
from fakturnik.app.service import Service
from fakturnik.app.views import ApiKeyCreated, ApiKeyView
from fakturnik.errors import AuthenticationError, InputError
from fakturnik.store.models import ApiKey

PREFIX = "fk"
USED_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often


def _view(k: ApiKey) -> ApiKeyView:
    return project(ApiKeyView, k, scopes=tuple(k.scopes.split()))


class ApiKeysService(Service):
    def create(self, company_id: int, name: str, scopes: list[str] | tuple[str, ...]) -> ApiKeyCreated:
        """A new key with ``scopes`` (any of ``invoices:write``, ``invoices:read``, ``received:read``,
        ``company:admin``). The whole key is in the result once and never again."""
        wanted = sorted(set(scopes))
        if not wanted:
            raise InputError("podaj co najmniej jeden zakres uprawnień", "scopes")
        unknown = [x for x in wanted if x not in SCOPES]
        if unknown:
            raise InputError(f"nieznany zakres {unknown[0]!r}; dozwolone: {', '.join(SCOPES)}", "scopes")
        token = cr.new_token(PREFIX)
        with self._tx() as s:
            company = self._company(s, company_id, Action.API_KEYS_MANAGE)
            key = ApiKey(
                company_id=company.id,
                name=(name or "").strip()[:128],
                prefix=token[:10],
                token_hash=cr.token_hash(token),
                scopes=" ".join(wanted),
                created_by=self.actor.label,
            )
            s.add(key)
            s.flush()
            self._audit(
                s, "api_key.create", company_id=company.id, detail={"key_id": key.id, "scopes": wanted}
            )
            return ApiKeyCreated(key=_view(key), token=token)

    def list(self, company_id: int) -> list[ApiKeyView]:
        with self._tx() as s:
            company = self._company(s, company_id, Action.API_KEYS_MANAGE)
            return [
                _view(k)
                for k in s.scalars(select(ApiKey).where(ApiKey.company_id == company.id).order_by(ApiKey.id))
            ]

    def revoke(self, company_id: int, key_id: int) -> ApiKeyView:
        with self._tx() as s:
            key = self._owned(
                s, company_id, Action.API_KEYS_MANAGE, ApiKey, key_id, "nie ma takiego klucza API"
            )
            if key.revoked_at is None:
                key.revoked_at = datetime.now(UTC)
                self._audit(s, "api_key.revoke", company_id=company_id, detail={"key_id": key.id})
            return _view(key)

    def authenticate(self, token: str) -> Actor:
        """The Actor of a bearer key; :class:`AuthenticationError` for unknown or revoked keys."""
        if not token or len(token) > 200 or not token.startswith(PREFIX + "_"):
            raise AuthenticationError("nieprawidłowy klucz API")
        now = datetime.now(UTC)
        with self._tx() as s:
            key = s.scalar(select(ApiKey).where(ApiKey.token_hash == cr.token_hash(token)))
            if key is None or key.revoked_at is not None:
                raise AuthenticationError("nieprawidłowy klucz API")
            if key.last_used_at is None or now - key.last_used_at > USED_EVERY:
                key.last_used_at = now
            return Actor.api_key(key.id, key.company_id, frozenset(key.scopes.split()), key.name)
