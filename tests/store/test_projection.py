"""The one projection of rows into plain records (store/projection.py): the read models of the
application, the engine's claimed entries and login credentials."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from fakturnik.store.projection import project


@dataclass(frozen=True)
class View:
    id: int
    name: str
    tags: tuple[str, ...]
    pending: int = 0


def test_fields_come_from_the_row_unless_given() -> None:
    row = SimpleNamespace(id=7, name="Firma", tags=["a", "b"], secret="never copied")
    view = project(View, row, tags=tuple(row.tags))
    assert view == View(7, "Firma", ("a", "b"))


def test_a_default_the_row_lacks_stays_and_a_row_value_wins_over_it() -> None:
    assert project(View, SimpleNamespace(id=1, name="", tags=()), pending=3).pending == 3
    assert project(View, SimpleNamespace(id=1, name="", tags=())).pending == 0
    assert project(View, SimpleNamespace(id=1, name="", tags=(), pending=5)).pending == 5


def test_a_view_that_does_not_match_its_row_fails_at_once() -> None:
    with pytest.raises(AttributeError):
        project(View, SimpleNamespace(id=1, tags=()))
    with pytest.raises(TypeError):
        project(View, SimpleNamespace(id=1, name="", tags=()), unknown=1)


def test_the_engine_records_copy_their_rows() -> None:
    from datetime import UTC, datetime

    from fakturnik.engine.connect import LoginCredential
    from fakturnik.engine.jobs import Job
    from fakturnik.store.models import Credential, OutboxEntry

    at = datetime(2026, 12, 1, tzinfo=UTC)
    entry = OutboxEntry(
        id=7, invoice_id=3, company_id=2, state="queued", urgent=True, offline_mode=False,
        invoice_hash="h", attempts=1, session_ref="s", session_kind="online", invoice_ref="i",
        send_started_at=at, created_at=at, credential_id=5,
    )  # fmt: skip
    job = Job.of(entry)
    assert all(getattr(job, name) == getattr(entry, name) for name in Job.__dataclass_fields__)
    row = Credential(
        id=4, company_id=2, kind="office", secret_name="n", office_company_id=9, owner_user_id=None
    )
    assert LoginCredential.of(row) == LoginCredential(4, 2, "office", "n", 9, None)
