"""Who is acting: a signed-in user, a company's API key, or the local system (a Python library user).

An :class:`Actor` is resolved by the face that received the request (the REST API from a bearer key,
the web app from a session cookie, the CLI and library as :meth:`Actor.system`) and handed to
:meth:`fakturnik.app.Fakturnik.acting_as`. It is a plain value: no secret, no database row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ActorKind = Literal["user", "api_key", "system"]


@dataclass(frozen=True)
class Actor:
    """The subject of every authorization check (``fakturnik.app.access``) and audit entry."""

    kind: ActorKind
    label: str  # what the audit log shows: "user:7 <ala@firma.pl>", "key:3 (ERP)", "system:cli"
    user_id: int | None = None
    api_key_id: int | None = None
    company_id: int | None = None  # an API key acts for exactly one company
    scopes: frozenset[str] = frozenset()  # an API key's scopes (see access.SCOPES)

    @classmethod
    def system(cls, name: str = "library") -> Actor:
        """The local actor of the CLI, the worker and Python library users: may do everything."""
        return cls(kind="system", label=f"system:{name}")

    @classmethod
    def user(cls, user_id: int, email: str = "") -> Actor:
        return cls(
            kind="user", label=f"user:{user_id} <{email}>" if email else f"user:{user_id}", user_id=user_id
        )

    @classmethod
    def api_key(cls, key_id: int, company_id: int, scopes: frozenset[str], name: str = "") -> Actor:
        label = f"key:{key_id} ({name})" if name else f"key:{key_id}"
        return cls(kind="api_key", label=label, api_key_id=key_id, company_id=company_id, scopes=scopes)

    @property
    def is_system(self) -> bool:
        return self.kind == "system"
