"""``X-KSeF-Feature`` (API 2.8.0, from the changelog): behaviour a client switches on per session.

On test environments ``X-KSeF-Feature: subject-identifier-validation`` makes KSeF validate the identifiers of
the parties (NIP checksums), which production always does; an invalid one rejects the invoice. The header is
read when a session opens (online or batch) and kept in the session, so that every invoice of it is
checked alike. Unknown feature names are ignored, as a newer KSeF would ignore ours.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

HEADER = "X-KSeF-Feature"
SUBJECT_IDENTIFIER_VALIDATION = "subject-identifier-validation"
KNOWN = frozenset({SUBJECT_IDENTIFIER_VALIDATION})


def requested(headers: Mapping[str, str]) -> list[str]:
    """The known features named in the request's ``X-KSeF-Feature`` header (comma-separated)."""
    raw = headers.get(HEADER) or headers.get(HEADER.lower()) or ""
    return sorted({name.strip().lower() for name in raw.split(",")} & KNOWN)


def validates_identifiers(profile: str, session: Mapping[str, Any]) -> bool:
    """Production always checks the parties' identifiers; test and demo when the session asked for it."""
    return profile == "prod" or SUBJECT_IDENTIFIER_VALIDATION in (session.get("features") or ())
