"""Contractors (buyers and sellers a company deals with): CRUD, autocomplete, VAT white-list lookup."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from fakturnik.app.access import Action
from fakturnik.app.filters import like_anywhere, like_prefix
from fakturnik.app.projection import project
from fakturnik.app.service import Service
from fakturnik.app.views import BankAccountView, ContractorView, WhiteListEntry
from fakturnik.errors import InputError, PermissionDeniedError
from fakturnik.store.models import Contractor, WhiteListCache

FIELDS = ("nip", "name", "address_line1", "address_line2", "country", "email", "note")
LIMITS = {
    "nip": 32,
    "name": 512,
    "address_line1": 512,
    "address_line2": 512,
    "country": 2,
    "email": 320,
    "note": 4000,
}


def _view(c: Contractor) -> ContractorView:
    accounts = (
        BankAccountView(str(a.get("number", "")), a.get("on_white_list")) for a in c.bank_accounts or []
    )
    return project(ContractorView, c, bank_accounts=tuple(accounts))


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in FIELDS:
            raise InputError(f"nieznane pole {key!r}", key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise InputError("oczekiwano tekstu", key)
        value = value.strip()
        if len(value) > LIMITS[key]:
            raise InputError(f"najwyżej {LIMITS[key]} znaków", key)
        out[key] = value
    if "nip" in out:
        out["nip"] = out["nip"].replace("-", "").replace(" ", "")
        country = out.get("country", "PL")
        if out["nip"] and country == "PL":
            from stdnum.pl import nip as stdnip

            if not stdnip.is_valid(out["nip"]):
                raise InputError("niepoprawny NIP (10 cyfr z poprawną cyfrą kontrolną)", "nip")
    if "country" in out:
        out["country"] = out["country"].upper()
        if len(out["country"]) != 2 or not out["country"].isalpha():
            raise InputError("kod kraju: dwie litery (PL, DE ...)", "country")
    if "name" in out and not out["name"]:
        raise InputError("nazwa kontrahenta jest wymagana", "name")
    return out


def _accounts(numbers: Sequence[str | dict[str, Any]], known: Sequence[str] = ()) -> list[dict[str, Any]]:
    out = []
    for item in numbers:
        number = item.get("number", "") if isinstance(item, dict) else item
        number = str(number).replace(" ", "").upper()
        if number.startswith("PL"):
            number = number[2:]
        if not (10 <= len(number) <= 34) or not number.isalnum():
            raise InputError("niepoprawny numer rachunku bankowego", "bank_accounts")
        out.append({"number": number, "on_white_list": (number in known) if known else None})
    return out


class ContractorsService(Service):
    def create(
        self,
        company_id: int,
        nip: str,
        name: str,
        address_line1: str = "",
        address_line2: str = "",
        country: str = "PL",
        email: str = "",
        bank_accounts: Sequence[str] = (),
        note: str = "",
    ) -> ContractorView:
        values = _clean(
            {
                "nip": nip,
                "name": name,
                "address_line1": address_line1,
                "address_line2": address_line2,
                "country": country,
                "email": email,
                "note": note,
            }
        )
        with self._tx() as s:
            company = self._company(s, company_id, Action.CONTRACTORS_WRITE)
            c = Contractor(company_id=company.id, bank_accounts=_accounts(bank_accounts), **values)
            s.add(c)
            s.flush()
            self._audit(s, "contractor.create", company_id=company.id, detail={"id": c.id, "nip": c.nip})
            return _view(c)

    def _get(self, s: Session, company_id: int, contractor_id: int, action: Action) -> Contractor:
        return self._owned(s, company_id, action, Contractor, contractor_id, "nie ma takiego kontrahenta")

    def get(self, company_id: int, contractor_id: int) -> ContractorView:
        with self._tx() as s:
            return _view(self._get(s, company_id, contractor_id, Action.CONTRACTORS_READ))

    def update(self, company_id: int, contractor_id: int, **fields: Any) -> ContractorView:
        accounts = fields.pop("bank_accounts", None)
        with self._tx() as s:
            c = self._get(s, company_id, contractor_id, Action.CONTRACTORS_WRITE)
            values = _clean({"country": c.country, **fields})
            for key, value in values.items():
                setattr(c, key, value)
            if accounts is not None:
                c.bank_accounts = _accounts(accounts)
            self._audit(
                s, "contractor.update", company_id=company_id, detail={"id": c.id, "fields": sorted(fields)}
            )
            s.flush()
            return _view(c)

    def delete(self, company_id: int, contractor_id: int) -> None:
        with self._tx() as s:
            c = self._get(s, company_id, contractor_id, Action.CONTRACTORS_WRITE)
            s.delete(c)
            self._audit(
                s, "contractor.delete", company_id=company_id, detail={"id": contractor_id, "nip": c.nip}
            )

    def list(
        self, company_id: int, q: str | None = None, *, limit: int = 50, offset: int = 0
    ) -> builtins.list[ContractorView]:
        if not 1 <= limit <= 500 or offset < 0:
            raise InputError("limit od 1 do 500", "limit")
        with self._tx() as s:
            self._company(s, company_id, Action.CONTRACTORS_READ)
            query = select(Contractor).where(Contractor.company_id == company_id)
            if q and q.strip():
                pattern = like_anywhere(q.strip())
                query = query.where(
                    or_(
                        Contractor.name.ilike(pattern, escape="\\"),
                        Contractor.nip.ilike(pattern, escape="\\"),
                    )
                )
            rows = s.scalars(
                query.order_by(func.lower(Contractor.name), Contractor.id).limit(limit).offset(offset)
            )
            return [_view(c) for c in rows]

    def search(self, company_id: int, prefix: str, limit: int = 10) -> builtins.list[ContractorView]:
        """Autocomplete: contractors whose name or NIP starts with ``prefix``."""
        prefix = (prefix or "").strip()
        if not prefix:
            return []
        like = like_prefix(prefix)
        with self._tx() as s:
            self._company(s, company_id, Action.CONTRACTORS_READ)
            rows = s.scalars(
                select(Contractor)
                .where(
                    Contractor.company_id == company_id,
                    or_(
                        Contractor.name.ilike(like, escape="\\"),
                        Contractor.nip.like(like.replace("-", ""), escape="\\"),
                    ),
                )
                .order_by(func.lower(Contractor.name))
                .limit(max(1, min(limit, 50)))
            )
            return [_view(c) for c in rows]

    def by_nip(self, company_id: int, nip: str) -> ContractorView | None:
        with self._tx() as s:
            self._company(s, company_id, Action.CONTRACTORS_READ)
            c = s.scalar(
                select(Contractor)
                .where(Contractor.company_id == company_id, Contractor.nip == nip.replace("-", "").strip())
                .limit(1)
            )
            return _view(c) if c else None

    def lookup_nip(self, company_id: int, nip: str, on: date | None = None) -> WhiteListEntry:
        """The VAT white list's data for ``nip`` on ``on`` (default today), cached for that day."""
        return self._white_list(nip, on, company_id)

    def white_list_lookup(self, nip: str, on: date | None = None) -> WhiteListEntry:
        """The white list's data for a NIP without a company (the setup wizard's first step).

        For any signed-in user, API key or the system actor; answers are cached for the day like
        :meth:`lookup_nip`.
        """
        if self.actor.kind == "user" and self.actor.user_id is None:
            raise PermissionDeniedError("operacja tylko dla zalogowanego użytkownika")
        return self._white_list(nip, on, None)

    def _white_list(self, nip: str, on: date | None, company_id: int | None) -> WhiteListEntry:
        """The white list's answer, cached for the day; with ``company_id`` only if the actor may read
        that company's contractors."""
        from stdnum.pl import nip as stdnip

        from fakturnik.app.whitelist import entry_from_json
        from fakturnik.base.warsaw import warsaw_today

        nip = (nip or "").replace("-", "").replace(" ", "").strip()
        if not (len(nip) == 10 and nip.isdigit() and stdnip.is_valid(nip)):
            raise InputError("niepoprawny NIP (10 cyfr z poprawną cyfrą kontrolną)", "nip")
        day = on or warsaw_today()
        with self._tx() as s:
            if company_id is not None:
                self._company(s, company_id, Action.CONTRACTORS_READ)
            cached = s.get(WhiteListCache, (nip, day))
            data = dict(cached.data) if cached is not None else None
        if data is None:
            data = self.app.white_list().search_nip(nip, day)
            with self._tx() as s:
                if s.get(WhiteListCache, (nip, day)) is None:
                    s.add(WhiteListCache(nip=nip, day=day, data=data))
        return entry_from_json(data, nip, day)

    def create_from_white_list(self, company_id: int, nip: str) -> ContractorView:
        """A contractor filled from the white list (name, address, accounts marked as listed)."""
        with self._tx() as s:  # the right to write first: nobody else makes us ask the Ministry
            self._company(s, company_id, Action.CONTRACTORS_WRITE)
        entry = self.lookup_nip(company_id, nip)
        line1, _, line2 = entry.address.partition(", ")
        c = self.create(company_id, entry.nip, entry.name, line1, line2, "PL")
        with self._tx() as s:
            row = self._get(s, company_id, c.id, Action.CONTRACTORS_WRITE)
            row.bank_accounts = _accounts(entry.account_numbers, entry.account_numbers)
            s.flush()
            return _view(row)
