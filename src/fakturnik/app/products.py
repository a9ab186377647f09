"""Products and services a company sells: name, unit, net or gross price, VAT rate, GTU, PKWiU/CN."""

from __future__ import annotations

import builtins
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fakturnik.app.access import Action
from fakturnik.app.filters import like_anywhere, like_prefix
from fakturnik.app.projection import project
from fakturnik.app.service import Service
from fakturnik.app.views import ProductView
from fakturnik.errors import InputError
from fakturnik.store.models import Product

VAT_RATES = ("23", "22", "8", "7", "5", "4", "3", "0 KR", "0 WDT", "0 EX", "zw", "oo", "np I", "np II")
GTU = tuple(f"GTU_{i:02d}" for i in range(1, 14))


def _view(p: Product) -> ProductView:
    price = p.price.normalize()
    if p.price != p.price.to_integral() and p.price == p.price.quantize(Decimal("0.01")):
        price = p.price.quantize(Decimal("0.01"))  # 12.50, not 12.5
    return project(ProductView, p, price=price, price_kind="gross" if p.price_kind == "gross" else "net")


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None and key in ("gtu", "pkwiu", "cn"):
            out[key] = None
            continue
        if value is None:
            continue
        if key == "name":
            value = str(value).strip()
            if not value or len(value) > 512:
                raise InputError("nazwa: od 1 do 512 znaków", "name")
        elif key == "unit":
            value = str(value).strip()
            if not value or len(value) > 32:
                raise InputError("jednostka: od 1 do 32 znaków", "unit")
        elif key == "price":
            try:
                value = Decimal(str(value).replace(",", "."))
            except InvalidOperation:
                raise InputError("cena musi być liczbą", "price") from None
            exponent = value.as_tuple().exponent
            if (
                not value.is_finite()
                or value < 0
                or value >= Decimal("1e14")
                or (isinstance(exponent, int) and exponent < -8)
            ):
                raise InputError("cena: liczba nieujemna, najwyżej 8 miejsc po przecinku", "price")
        elif key == "price_kind":
            if value not in ("net", "gross"):
                raise InputError("cena netto (net) albo brutto (gross)", "price_kind")
        elif key == "vat_rate":
            if value not in VAT_RATES:
                raise InputError(f"stawka VAT: jedna z {', '.join(VAT_RATES)}", "vat_rate")
        elif key == "gtu":
            if value not in GTU:
                raise InputError("GTU: GTU_01 … GTU_13", "gtu")
        elif key in ("pkwiu", "cn"):
            value = str(value).strip()[:64] or None
        elif key == "active":
            value = bool(value)
        else:
            raise InputError(f"nieznane pole {key!r}", key)
        out[key] = value
    return out


class ProductsService(Service):
    def create(
        self,
        company_id: int,
        name: str,
        price: Decimal | str,
        *,
        unit: str = "szt.",
        price_kind: str = "net",
        vat_rate: str = "23",
        gtu: str | None = None,
        pkwiu: str | None = None,
        cn: str | None = None,
    ) -> ProductView:
        values = _clean(
            {
                "name": name,
                "price": price,
                "unit": unit,
                "price_kind": price_kind,
                "vat_rate": vat_rate,
                "gtu": gtu,
                "pkwiu": pkwiu,
                "cn": cn,
            }
        )
        with self._tx() as s:
            company = self._company(s, company_id, Action.PRODUCTS_WRITE)
            p = Product(company_id=company.id, **values)
            s.add(p)
            s.flush()
            self._audit(s, "product.create", company_id=company.id, detail={"id": p.id, "name": p.name})
            return _view(p)

    def _get(self, s: Session, company_id: int, product_id: int, action: Action) -> Product:
        return self._owned(s, company_id, action, Product, product_id, "nie ma takiego produktu")

    def get(self, company_id: int, product_id: int) -> ProductView:
        with self._tx() as s:
            return _view(self._get(s, company_id, product_id, Action.PRODUCTS_READ))

    def update(self, company_id: int, product_id: int, **fields: Any) -> ProductView:
        values = _clean(fields)
        with self._tx() as s:
            p = self._get(s, company_id, product_id, Action.PRODUCTS_WRITE)
            for key, value in values.items():
                setattr(p, key, value)
            self._audit(
                s, "product.update", company_id=company_id, detail={"id": p.id, "fields": sorted(fields)}
            )
            s.flush()
            return _view(p)

    def delete(self, company_id: int, product_id: int) -> None:
        with self._tx() as s:
            p = self._get(s, company_id, product_id, Action.PRODUCTS_WRITE)
            s.delete(p)
            self._audit(s, "product.delete", company_id=company_id, detail={"id": product_id})

    def list(
        self, company_id: int, q: str | None = None, *, include_inactive: bool = False
    ) -> builtins.list[ProductView]:
        with self._tx() as s:
            self._company(s, company_id, Action.PRODUCTS_READ)
            query = select(Product).where(Product.company_id == company_id)
            if not include_inactive:
                query = query.where(Product.active.is_(True))
            if q and q.strip():
                pattern = like_anywhere(q.strip())
                query = query.where(Product.name.ilike(pattern, escape="\\"))
            return [
                _view(p) for p in s.scalars(query.order_by(func.lower(Product.name), Product.id).limit(1000))
            ]

    def search(self, company_id: int, prefix: str, limit: int = 10) -> builtins.list[ProductView]:
        """Autocomplete: active products whose name starts with ``prefix``."""
        prefix = (prefix or "").strip()
        if not prefix:
            return []
        like = like_prefix(prefix)
        with self._tx() as s:
            self._company(s, company_id, Action.PRODUCTS_READ)
            rows = s.scalars(
                select(Product)
                .where(
                    Product.company_id == company_id,
                    Product.active.is_(True),
                    Product.name.ilike(like, escape="\\"),
                )
                .order_by(func.lower(Product.name))
                .limit(max(1, min(limit, 50)))
            )
            return [_view(p) for p in rows]
