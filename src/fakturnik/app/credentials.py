"""Secrets of people and keys: argon2id password hashes, random tokens stored as SHA-256, TOTP codes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache
from typing import Any

from fakturnik.vault.secret import Secret


@lru_cache(maxsize=1)
def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()  # argon2id, the library's RFC 9106 low-memory profile


def hash_password(password: str) -> str:
    return str(_hasher().hash(password))


def verify_password(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        return bool(_hasher().verify(password_hash, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return bool(_hasher().check_needs_rehash(password_hash))
    except Exception:
        return False


_DUMMY: list[str] = []


def burn_time(password: str) -> None:
    """Spend the time of one verification (unknown e-mail), so timing does not tell who has an account."""
    if not _DUMMY:
        _DUMMY.append(hash_password("fakturnik-dummy-password"))
    verify_password(_DUMMY[0], password)


def key_password(password: bytes | str | Secret | None) -> bytes | None:
    """The password of a private key or PKCS#12 file as bytes (``None``: none given, or empty)."""
    if password is None:
        return None
    if isinstance(password, Secret):
        return password.reveal() or None
    value = password.encode() if isinstance(password, str) else password
    return value or None


def new_token(prefix: str, nbytes: int = 32) -> str:
    """A random bearer token (``prefix_`` + URL-safe base64 of ``nbytes`` random bytes)."""
    return f"{prefix}_{secrets.token_urlsafe(nbytes)}"


def token_hash(token: str) -> str:
    """SHA-256 (hex) of a token: what the store keeps (tokens are random, so no salt or slow hash needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def new_totp_secret() -> str:
    import pyotp

    return str(pyotp.random_base32())


def totp_uri(secret: str, email: str, issuer: str = "Fakturnik") -> str:
    import pyotp

    return str(pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer))


def totp_ok(secret: str, code: str) -> bool:
    import pyotp

    code = (code or "").replace(" ", "")
    return code.isdigit() and len(code) == 6 and bool(pyotp.TOTP(secret).verify(code, valid_window=1))
