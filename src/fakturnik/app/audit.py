"""The audit log of a company: who (user, API key, system) did what, newest first."""

from __future__ import annotations

import builtins

from sqlalchemy import select

from fakturnik.app.access import Action
from fakturnik.app.service import Service
from fakturnik.app.views import AuditView
from fakturnik.errors import InputError
from fakturnik.store.models import AuditEntry


class AuditService(Service):
    def list(
        self,
        company_id: int,
        *,
        limit: int = 100,
        before_id: int | None = None,
        invoice_id: int | None = None,
    ) -> builtins.list[AuditView]:
        if not 1 <= limit <= 1000:
            raise InputError("limit od 1 do 1000", "limit")
        with self._tx() as s:
            self._company(s, company_id, Action.AUDIT_READ)
            q = select(AuditEntry).where(AuditEntry.company_id == company_id)
            if before_id is not None:
                q = q.where(AuditEntry.id < before_id)
            if invoice_id is not None:
                q = q.where(AuditEntry.invoice_id == invoice_id)
            rows = s.scalars(q.order_by(AuditEntry.id.desc()).limit(limit))
            return [
                AuditView(a.id, a.at, a.actor, a.action, a.company_id, a.invoice_id, dict(a.detail or {}))
                for a in rows
            ]
