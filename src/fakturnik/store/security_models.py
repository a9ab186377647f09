"""Store tables shared by every process of one store for counting (migration ``0006_r14``).

* ``throttle_slots`` / ``throttle_blocks``: the KSeF throttle's books when PostgreSQL is the store
  (:mod:`fakturnik.store.throttle_books`), so that workers on several machines behind one IP share
  KSeF's limits. Times are the database's clock in seconds since the epoch.
* ``login_failures``: failed sign-ins per account (a hash of the e-mail) and per client address, so
  that every ``serve`` process counts the same attempts (:mod:`fakturnik.store.login_failures`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Double, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from fakturnik.store.models import Base, Id


class ThrottleSlot(Base):
    __tablename__ = "throttle_slots"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    key: Mapped[str] = mapped_column(String(300))  # "counter|context" of one KSeF deployment
    host: Mapped[str] = mapped_column(String(200))  # machine and boot of the reserving process
    owner: Mapped[str] = mapped_column(String(64))  # "pid:start time" on that host
    reserved: Mapped[float] = mapped_column(Double)
    done: Mapped[float | None] = mapped_column(Double)  # the response arrived; NULL while in flight

    __table_args__ = (Index("ix_throttle_slots_key_done", "key", "done"),)


class ThrottleBlock(Base):
    __tablename__ = "throttle_blocks"
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    until: Mapped[float] = mapped_column(Double)


class LoginFailure(Base):
    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    key: Mapped[str] = mapped_column(String(80))  # "a:" + SHA-256 of the e-mail, or "i:" + address
    at: Mapped[datetime]

    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)
