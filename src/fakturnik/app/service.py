"""What every service shares: one transaction per command, the access check, the audit entry."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from sqlalchemy.orm import Session

from fakturnik.app.access import Action, authorize
from fakturnik.app.actor import Actor
from fakturnik.errors import NotFoundError
from fakturnik.store import repo
from fakturnik.store.models import Base, Company

if TYPE_CHECKING:
    from fakturnik.app.whitelist import WhiteListClient
    from fakturnik.engine.context import EngineContext
    from fakturnik.simulator.server import SimulatorServer


Row = TypeVar("Row", bound=Base)


class App(Protocol):
    """What a service needs of the installation (``core.Fakturnik``; a protocol, so that ``core`` may
    import the services without a circle)."""

    ctx: EngineContext
    simulator: SimulatorServer | None

    def acting_as(self, actor: Actor) -> Any: ...

    def white_list(self) -> WhiteListClient: ...


class Service:
    def __init__(self, app: App, actor: Actor) -> None:
        self.app = app
        self.actor = actor

    @property
    def ctx(self) -> Any:
        return self.app.ctx

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        """One command = one transaction (commit at the end, rollback on any error)."""
        with self.app.ctx.db.transaction() as s:
            yield s

    def _company(self, s: Session, company_id: int, action: Action) -> Company:
        """The company, after checking that the actor may do ``action`` in it."""
        if type(company_id) is not int:
            raise NotFoundError("nie ma takiej firmy")
        authorize(s, self.actor, company_id, action)
        company = s.get(Company, company_id)
        if company is None:
            raise NotFoundError("nie ma takiej firmy")
        return company

    def _owned(
        self,
        s: Session,
        company_id: int,
        action: Action,
        model: type[Row],
        row_id: object,
        missing: str,
        **match: object,
    ) -> Row:
        """Row ``row_id`` of ``model``, after the access check, if it belongs to the company and has the
        attribute values of ``match``; else :class:`NotFoundError` with ``missing`` (Polish)."""
        self._company(s, company_id, action)
        row = s.get(model, row_id) if type(row_id) is int else None
        wanted = {"company_id": company_id, **match}
        if row is None or any(getattr(row, name) != value for name, value in wanted.items()):
            raise NotFoundError(missing)
        return row

    def _audit(
        self,
        s: Session,
        action: str,
        *,
        company_id: int | None = None,
        invoice_id: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        repo.audit(s, self.actor.label, action, company_id=company_id, invoice_id=invoice_id, detail=detail)
