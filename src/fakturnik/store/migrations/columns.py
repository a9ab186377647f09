"""What every migration spells the same way: the id type and the names of keys, references and indexes.

A released migration's effect is frozen, so each helper builds exactly what the migrations wrote out
before it existed (the names follow ``store.models``' naming convention). A new need is a new helper,
never a change to what an old one builds.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
"""A row id: BIGINT, and INTEGER on SQLite so that the primary key is its rowid."""

# ix_invoices_cover as 0003_app made it (0007_fe7 widens it, and makes it again on downgrade): the
# list's keys, then what a row of the list shows and searches
_COVER_KEYS = ["company_id", "direction", "id"]
_COVER_SHOWN = ["number", "ksef_number", "buyer_name", "buyer_id", "seller_name", "seller_nip", "status"]
INVOICES_COVER_0003 = [*_COVER_KEYS, *_COVER_SHOWN, "issue_date", "currency", "gross"]


def primary_key(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    """The primary key of ``table`` over ``columns`` (``id`` when none are named)."""
    return sa.PrimaryKeyConstraint(*(columns or ("id",)), name=op.f(f"pk_{table}"))


def id_key(table: str) -> tuple[sa.Column[Any], sa.PrimaryKeyConstraint]:
    """The ``id`` column of ``table`` and its primary key."""
    return sa.Column("id", ID, nullable=False), primary_key(table)


def foreign_key(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    """``table.column`` refers to ``target.id``."""
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def reference(
    table: str, column: str, target: str, *, nullable: bool = False
) -> tuple[sa.Column[Any], sa.ForeignKeyConstraint]:
    """An id column of ``table`` referring to ``target.id``, with its foreign key."""
    return sa.Column(column, ID, nullable=nullable), foreign_key(table, column, target)


def company_keys(table: str) -> tuple[sa.Column[Any] | sa.Constraint, ...]:
    """The ``id`` key and the ``company_id`` reference of a table whose rows belong to one company."""
    return (*id_key(table), *reference(table, "company_id", "companies"))


def unique(table: str, column: str) -> sa.UniqueConstraint:
    """``column`` is unique in ``table``."""
    return sa.UniqueConstraint(column, name=op.f(f"uq_{table}_{column}"))


def index(table: str, column: str) -> None:
    """Index ``table.column`` under the conventional name ``ix_<table>_<column>``."""
    op.create_index(op.f(f"ix_{table}_{column}"), table, [column])
