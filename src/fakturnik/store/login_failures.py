"""Failed sign-ins counted in the store (table ``login_failures``), so that every ``serve`` process of
one store sees the same attempts. Keys are opaque: ``a:`` + a hash of the e-mail, ``i:`` + an address."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from fakturnik.store.security_models import LoginFailure

KEEP = timedelta(days=1)  # rows older than this are deleted now and then, whatever their key


def record(s: Session, keys: Sequence[str], at: datetime, *, window: timedelta, prune_all: bool) -> None:
    """One failure for each key at ``at``; the keys' failures older than ``window`` go."""
    s.execute(delete(LoginFailure).where(LoginFailure.key.in_(keys), LoginFailure.at <= at - window))
    if prune_all:
        s.execute(delete(LoginFailure).where(LoginFailure.at <= at - max(window, KEEP)))
    s.execute(insert(LoginFailure), [{"key": key, "at": at} for key in keys])


def nth_latest(s: Session, key: str, since: datetime, n: int) -> datetime | None:
    """The time of the ``n``-th most recent failure of ``key`` after ``since`` (None: fewer than n)."""
    return s.scalar(
        select(LoginFailure.at)
        .where(LoginFailure.key == key, LoginFailure.at > since)
        .order_by(LoginFailure.at.desc())
        .offset(n - 1)
        .limit(1)
    )


def forget(s: Session, key: str) -> None:
    s.execute(delete(LoginFailure).where(LoginFailure.key == key))
