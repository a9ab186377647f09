"""Continuation-token paging, as every listing of the KSeF API pages: one codec, one page helper.

A token is opaque to clients; the simulator's holds the offset of the next page. A malformed one is
refused with 21418, as KSeF does.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any

from fastapi import Header

from fakturnik.simulator.errors import ApiError

__all__ = ["Continuation", "decode_continuation", "encode_continuation", "page"]

Continuation = Annotated[str | None, Header(alias="x-continuation-token")]
"""The ``x-continuation-token`` request header of a listing route."""


def encode_continuation(offset: int) -> str:
    return base64.b64encode(json.dumps({"o": offset}).encode()).decode()


def decode_continuation(token: str | None) -> int:
    """Offset from a continuation token made by :func:`encode_continuation`; 21418 when malformed."""
    if not token:
        return 0
    try:
        value = json.loads(base64.b64decode(token, validate=True))
        offset = int(value["o"])
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise ApiError(21418) from exc
    if offset < 0:
        raise ApiError(21418)
    return offset


def page(
    key: str,
    items: Sequence[dict[str, Any]],
    page_size: int,
    token: str | None,
    render: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One page of ``items`` under ``key`` (each rendered by ``render`` when given), with the token of
    the next page when there is one."""
    offset = decode_continuation(token)
    chunk = items[offset : offset + page_size]
    out: dict[str, Any] = {key: [render(d) for d in chunk] if render else list(chunk)}
    if offset + page_size < len(items):
        out["continuationToken"] = encode_continuation(offset + page_size)
    return out
