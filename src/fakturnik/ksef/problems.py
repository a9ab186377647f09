"""KSeF error responses → :mod:`fakturnik.errors` exceptions, as pure functions (digest §2).

Understood forms: the legacy ``{"exception": {"exceptionDetailList": [...]}}`` body, RFC 9457
``application/problem+json`` (``errors[{code, description, details}]``, ``reasonCode`` on 403) and the
429 ``{"status": {"code", "description", "details"}}`` body. Anything else becomes a generic error
with the HTTP reason phrase; response bodies that are not JSON are never copied into messages.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

from fakturnik.errors import (
    COLLECTIVE_UNPUBLISHED_CODES,
    KsefApiError,
    KsefCollectiveIdentifierError,
    KsefExceptionDetail,
    KsefRateLimitError,
    KsefServerError,
    KsefSessionUnavailableError,
)
from fakturnik.ksef.redaction import redact

_MAX_MESSAGE = 600


@dataclass(frozen=True)
class ParsedError:
    title: str
    details: list[KsefExceptionDetail] = field(default_factory=list)
    reason_code: str | None = None


def _as_details(raw: Any) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, list):
        return [redact(str(x)) for x in raw]
    return [redact(str(raw))]


def _code(raw: Any) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def parse_error_json(status: int, body: Any, reason_phrase: str = "") -> ParsedError:
    """Interpret a decoded JSON error body (any of the KSeF forms)."""
    if not isinstance(body, Mapping):
        return ParsedError(reason_phrase or f"HTTP {status}")
    legacy = body.get("exception")
    if isinstance(legacy, Mapping):
        items = legacy.get("exceptionDetailList") or []
        details = [
            KsefExceptionDetail(
                _code(i.get("exceptionCode")),
                redact(str(i.get("exceptionDescription") or "")),
                _as_details(i.get("details")),
            )
            for i in items
            if isinstance(i, Mapping)
        ]
        return ParsedError(reason_phrase or f"HTTP {status}", details)
    status_block = body.get("status")
    if isinstance(status_block, Mapping) and "description" in status_block:  # the 429 form
        desc = redact(str(status_block.get("description") or ""))
        return ParsedError(
            desc or reason_phrase,
            [
                KsefExceptionDetail(
                    _code(status_block.get("code")), desc, _as_details(status_block.get("details"))
                )
            ],
        )
    details = [
        KsefExceptionDetail(
            _code(e.get("code")), redact(str(e.get("description") or "")), _as_details(e.get("details"))
        )
        for e in (body.get("errors") or [])
        if isinstance(e, Mapping)
    ]
    title = str(body.get("title") or reason_phrase or f"HTTP {status}")
    detail = body.get("detail")
    if detail and not details and str(detail) != title:
        details = [KsefExceptionDetail(None, redact(str(detail)), [])]
    reason = body.get("reasonCode")
    return ParsedError(title, details, str(reason) if reason else None)


def parse_error_content(
    status: int, content_type: str, content: bytes, reason_phrase: str = ""
) -> ParsedError:
    """Interpret raw response bytes; non-JSON bodies yield only the status line."""
    if "json" in content_type.lower() and content:
        try:
            body = json.loads(content)
        except ValueError:
            body = None
        return parse_error_json(status, body, reason_phrase)
    return ParsedError(reason_phrase or f"HTTP {status}")


def describe(parsed: ParsedError) -> str:
    """One-line message: title, then ``code description (details)`` per detail; redacted, capped."""
    parts = []
    for d in parsed.details:
        text = f"{d.code} {d.description}" if d.code is not None else d.description
        if d.details:
            text += " (" + "; ".join(d.details[:5]) + ")"
        parts.append(text.strip())
    message = parsed.title
    if parts:
        message += ": " + " | ".join(parts)
    if parsed.reason_code:
        message += f" [reasonCode={parsed.reason_code}]"
    message = redact(message)
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 1] + "…"


def parse_retry_after(value: str | None, default: float = 1.0) -> float:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date); ``default`` when absent/bad."""
    if not value:
        return default
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        from datetime import UTC, datetime

        when = parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return default


def error_for(
    status: int,
    content_type: str,
    content: bytes,
    *,
    reason_phrase: str = "",
    retry_after: str | None = None,
    outcome_unknown: bool = False,
) -> KsefApiError:
    """The exception for a non-2xx KSeF response."""
    parsed = parse_error_content(status, content_type, content, reason_phrase)
    message = describe(parsed)
    if status == 429:
        return KsefRateLimitError(message, parse_retry_after(retry_after), parsed.details)
    if status >= 500:
        return KsefServerError(status, message, parsed.details, outcome_unknown=outcome_unknown)
    if any(d.code == KsefSessionUnavailableError.CODE for d in parsed.details):
        return KsefSessionUnavailableError(status, message, parsed.details, reason_code=parsed.reason_code)
    if any(d.code in COLLECTIVE_UNPUBLISHED_CODES for d in parsed.details):
        return KsefCollectiveIdentifierError(status, message, parsed.details, reason_code=parsed.reason_code)
    return KsefApiError(status, message, parsed.details, reason_code=parsed.reason_code)


def parse_system_warnings(value: str) -> list[str]:
    """``X-System-Warning: [code]: message | [code]: message`` → individual warnings."""
    return [part.strip() for part in value.split(" | ") if part.strip()]
