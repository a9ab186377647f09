"""One logged-in :class:`~fakturnik.engine.gateway.KsefGateway` per company, made on first use."""

from __future__ import annotations

from collections.abc import Callable

from fakturnik.engine.connect import default_gateway
from fakturnik.engine.context import EngineContext
from fakturnik.engine.gateway import KsefGateway
from fakturnik.store import repo
from fakturnik.store.models import Company

GatewayFactory = Callable[[EngineContext, Company], KsefGateway]


class Gateways:
    def __init__(self, ctx: EngineContext, factory: GatewayFactory = default_gateway) -> None:
        self.ctx = ctx
        self._factory = factory
        self._by_company: dict[int, KsefGateway] = {}

    def __repr__(self) -> str:
        return f"Gateways({len(self._by_company)} companies)"

    def for_company(self, company: Company) -> KsefGateway:
        gateway = self._by_company.get(company.id)
        if gateway is None:
            gateway = self._by_company[company.id] = self._factory(self.ctx, company)
        return gateway

    def get(self, company_id: int) -> KsefGateway | None:
        """The company's gateway if this worker made one (no login on the way)."""
        return self._by_company.get(company_id)

    def for_company_id(self, company_id: int) -> KsefGateway:
        gateway = self._by_company.get(company_id)
        if gateway is None:
            with self.ctx.db.transaction() as s:
                company = repo.company(s, company_id)
            gateway = self.for_company(company)
        return gateway

    def close(self) -> None:
        for gateway in self._by_company.values():
            gateway.close()
        self._by_company.clear()
