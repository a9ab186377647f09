"""Numbering series: a pattern per invoice kind (``FV/{yyyy}/{mm}/{seq}``), reset yearly, monthly or never."""

from __future__ import annotations

from datetime import date
from typing import Literal

from sqlalchemy import select

from fakturnik.app.access import Action
from fakturnik.app.service import Service
from fakturnik.app.views import SeriesView
from fakturnik.errors import InputError, StoreError
from fakturnik.store import repo
from fakturnik.store.models import NumberingConfig, NumberingSeries

KINDS = ("VAT", "KOR", "ZAL", "ROZ", "UPR", "KOR_ZAL", "KOR_ROZ")
Reset = Literal["yearly", "monthly", "never"]


def _preview(s: object, company_nip: str, kind: str, pattern: str, reset: str, on: date) -> str:
    year, month = repo.series_key(reset, on.year, on.month)
    value = s.scalar(  # type: ignore[attr-defined]
        select(NumberingSeries.next_value).where(
            NumberingSeries.seller_nip == company_nip,
            NumberingSeries.kind == kind,
            NumberingSeries.year == year,
            NumberingSeries.month == month,
        )
    )
    return repo.format_number(pattern, year=on.year, month=on.month, seq=int(value or 1), kind=kind)


class SeriesService(Service):
    def list(self, company_id: int, on: date | None = None) -> list[SeriesView]:
        """Every kind's series (configured, or the default yearly one) with the next number it gives."""
        from fakturnik.app.invoices import today_pl

        day = on or today_pl()
        with self._tx() as s:
            company = self._company(s, company_id, Action.SERIES_READ)
            configs = {
                c.kind: c
                for c in s.scalars(select(NumberingConfig).where(NumberingConfig.company_id == company.id))
            }
            out = []
            for kind in KINDS:
                c = configs.get(kind)
                pattern = c.pattern if c else repo.default_pattern(kind)
                reset: Reset = c.reset if c else "yearly"  # type: ignore[assignment]
                out.append(
                    SeriesView(
                        id=c.id if c else 0,
                        company_id=company.id,
                        kind=kind,
                        pattern=pattern,
                        reset=reset,
                        next_number_preview=_preview(s, company.nip, kind, pattern, reset, day),
                    )
                )
            return out

    def set(self, company_id: int, kind: str, pattern: str, reset: Reset = "yearly") -> SeriesView:
        """Set the pattern of a kind's series; tokens ``{yyyy}`` ``{yy}`` ``{mm}`` ``{seq}`` ``{seq:06d}``.

        A pattern without the year (or month, for a monthly reset) would repeat numbers, so it is refused.
        """
        from fakturnik.app.invoices import today_pl

        if kind not in KINDS:
            raise InputError(f"rodzaj faktury: {', '.join(KINDS)}", "kind")
        if reset not in ("yearly", "monthly", "never"):
            raise InputError("zerowanie: yearly, monthly albo never", "reset")
        pattern = (pattern or "").strip()
        if not pattern or len(pattern) > 128:
            raise InputError("wzór: od 1 do 128 znaków", "pattern")
        try:
            repo.check_pattern(pattern)
        except StoreError as exc:
            raise InputError(str(exc), "pattern") from None
        has_year = "{yyyy}" in pattern or "{yy}" in pattern or "{year}" in pattern
        if reset in ("yearly", "monthly") and not has_year:
            raise InputError("numer zerowany co rok/miesiąc musi zawierać rok ({yyyy} albo {yy})", "pattern")
        if reset == "monthly" and "{mm}" not in pattern:
            raise InputError("numer zerowany co miesiąc musi zawierać miesiąc ({mm})", "pattern")
        with self._tx() as s:
            company = self._company(s, company_id, Action.SERIES_WRITE)
            c = repo.numbering_config(s, company.id, kind)
            if c is None:
                c = NumberingConfig(company_id=company.id, kind=kind, pattern=pattern, reset=reset)
                s.add(c)
            else:
                c.pattern, c.reset = pattern, reset
            s.flush()
            self._audit(
                s,
                "series.set",
                company_id=company.id,
                detail={"kind": kind, "pattern": pattern, "reset": reset},
            )
            return SeriesView(
                id=c.id,
                company_id=company.id,
                kind=kind,
                pattern=pattern,
                reset=reset,
                next_number_preview=_preview(s, company.nip, kind, pattern, reset, today_pl()),
            )

    def preview(self, company_id: int, kind: str = "VAT", on: date | None = None) -> str:
        """The number the next invoice of ``kind`` would get on ``on`` (nothing consumed)."""
        for series in self.list(company_id, on):
            if series.kind == kind:
                return series.next_number_preview
        raise InputError(f"rodzaj faktury: {', '.join(KINDS)}", "kind")
