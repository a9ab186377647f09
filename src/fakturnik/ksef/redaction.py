"""Keep secrets out of logs, reprs and exception texts.

Two defences: known secret values registered by the code that holds them (KSeF tokens, passwords)
are masked wherever they appear, and anything shaped like a bearer JWT is masked regardless.
"""

from __future__ import annotations

import re
import threading

REDACTED = "<redacted>"
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)(bearer\s+)\S+")
_PEM = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S)

_secrets: set[str] = set()
_lock = threading.Lock()
_MIN_SECRET_LEN = 8


def register_secret(value: str | bytes | None) -> None:
    """Remember a secret so that :func:`redact` masks it (short values are ignored: too noisy)."""
    if value is None:
        return
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    if len(text) >= _MIN_SECRET_LEN:
        with _lock:
            _secrets.add(text)


def forget_secret(value: str | None) -> None:
    if value is not None:
        with _lock:
            _secrets.discard(value)


def redact(text: str) -> str:
    """``text`` with registered secrets, JWTs, bearer values and PEM private keys masked."""
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = _PEM.sub(REDACTED, text)
    text = _BEARER.sub(lambda m: m.group(1) + REDACTED, text)
    return _JWT.sub(REDACTED, text)
