"""The one projection of rows into read models (app/projection.py)."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from fakturnik.app.projection import project


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
