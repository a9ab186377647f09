"""Invoice drafts saved from the web form (table ``invoice_drafts``, migration ``0005_web``).

A draft is what a person typed so far: the form's fields as text (``{"buyer_nip": "...",
"line-0-price": "1 234,56", ...}``), which may still be incomplete or wrong; nothing about it is
checked or sent anywhere until it is issued. Reading needs ``invoices.read``, saving and deleting
``invoices.write``, checked like every other service in ``fakturnik.app.access``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from fakturnik.app.access import Action
from fakturnik.app.service import Service
from fakturnik.errors import InputError
from fakturnik.store.web_models import InvoiceDraft

__all__ = ["MAX_DRAFT_BYTES", "DraftView", "DraftsService"]

MAX_DRAFT_BYTES = 2 * 1024 * 1024
_MISSING = "nie ma takiego szkicu"


@dataclass(frozen=True)
class DraftView:
    id: int
    company_id: int
    kind: str
    title: str
    data: dict[str, Any]
    created_by: str
    updated_at: datetime


def _view(row: InvoiceDraft) -> DraftView:
    return DraftView(
        row.id, row.company_id, row.kind, row.title, dict(row.data), row.created_by, row.updated_at
    )


class DraftsService(Service):
    def save(self, company_id: int, fields: dict[str, str], *, draft_id: int | None = None) -> DraftView:
        """Save a new draft, or replace draft ``draft_id`` of the same company."""
        plain: dict[str, object] = {
            str(k)[:64]: str(v) for k, v in fields.items() if k not in ("csrf", "action", "form_key")
        }
        if len(json.dumps(plain, ensure_ascii=False).encode()) > MAX_DRAFT_BYTES:
            raise InputError("szkic jest za duży", "")
        title = str(plain.get("buyer_name") or plain.get("buyer_nip") or "")[:512]
        kind = str(plain.get("kind") or "VAT")[:16]
        with self._tx() as s:
            if draft_id is not None:
                row = self._owned(s, company_id, Action.INVOICES_WRITE, InvoiceDraft, draft_id, _MISSING)
                row.data, row.title, row.kind = dict(plain), title, kind
            else:
                company = self._company(s, company_id, Action.INVOICES_WRITE)
                row = InvoiceDraft(
                    company_id=company.id, data=plain, title=title, kind=kind, created_by=self.actor.label
                )
                s.add(row)
            s.flush()
            self._audit(s, "draft.save", company_id=company_id, detail={"draft_id": row.id})
            return _view(row)

    def list(self, company_id: int, limit: int = 50) -> list[DraftView]:
        with self._tx() as s:
            company = self._company(s, company_id, Action.INVOICES_READ)
            rows = s.scalars(
                select(InvoiceDraft)
                .where(InvoiceDraft.company_id == company.id)
                .order_by(InvoiceDraft.updated_at.desc())
                .limit(max(1, min(limit, 500)))
            )
            return [_view(r) for r in rows]

    def get(self, company_id: int, draft_id: int) -> DraftView:
        with self._tx() as s:
            return _view(self._owned(s, company_id, Action.INVOICES_READ, InvoiceDraft, draft_id, _MISSING))

    def delete(self, company_id: int, draft_id: int) -> None:
        with self._tx() as s:
            s.delete(self._owned(s, company_id, Action.INVOICES_WRITE, InvoiceDraft, draft_id, _MISSING))
            self._audit(s, "draft.delete", company_id=company_id, detail={"draft_id": draft_id})
