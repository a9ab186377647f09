"""The LIKE patterns of every text search (app/filters.py): the user's text is taken literally."""

from __future__ import annotations

from fakturnik.app.filters import like_anywhere, like_prefix


def test_wildcards_and_the_escape_character_are_escaped() -> None:
    assert like_prefix("50%_a\\b") == "50\\%\\_a\\\\b%"
    assert like_anywhere("50%") == "%50\\%%"
    assert like_prefix("") == "%"
