"""One logged-in :class:`~fakturnik.engine.gateway.KsefGateway` per login, made on first use.

A login is a company and the credential its entries are sent with (``credential_id``: None = the
company's login credential, else the issuing co-worker's own certificate named by the outbox), so an
invoice never goes out, and a session is never read, with another person's login.
"""

from __future__ import annotations

from collections.abc import Callable

from fakturnik.engine.connect import default_gateway
from fakturnik.engine.context import EngineContext
from fakturnik.engine.gateway import KsefGateway
from fakturnik.store import repo
from fakturnik.store.models import Company

GatewayFactory = Callable[[EngineContext, Company, int | None], KsefGateway]
LoginKey = tuple[int, int | None]  # company id, credential id (None: the company's login credential)


class Gateways:
    def __init__(self, ctx: EngineContext, factory: GatewayFactory = default_gateway) -> None:
        self.ctx = ctx
        self._factory = factory
        self._by_login: dict[LoginKey, KsefGateway] = {}

    def __repr__(self) -> str:
        return f"Gateways({len(self._by_login)} logins)"

    def for_company(self, company: Company, credential_id: int | None = None) -> KsefGateway:
        key = (company.id, credential_id)
        gateway = self._by_login.get(key)
        if gateway is None:
            gateway = self._by_login[key] = self._factory(self.ctx, company, credential_id)
        return gateway

    def get(self, company_id: int, credential_id: int | None = None) -> KsefGateway | None:
        """The login's gateway if this worker made one (no login on the way)."""
        return self._by_login.get((company_id, credential_id))

    def for_company_id(self, company_id: int, credential_id: int | None = None) -> KsefGateway:
        gateway = self._by_login.get((company_id, credential_id))
        if gateway is None:
            with self.ctx.db.transaction() as s:
                company = repo.company(s, company_id)
            gateway = self.for_company(company, credential_id)
        return gateway

    def close(self) -> None:
        for gateway in self._by_login.values():
            gateway.close()
        self._by_login.clear()
