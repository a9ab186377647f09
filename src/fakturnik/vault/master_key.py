"""Where the vault's master key comes from: environment, system keyring, or a 0600 key file."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
import stat
from pathlib import Path

from fakturnik.base.files import private_dir
from fakturnik.errors import VaultError

ENV_MASTER_KEY = "FAKTURNIK_MASTER_KEY"
KEY_FILE_NAME = "master.key"
KEYRING_SERVICE = "fakturnik"
KEYRING_USER = "vault-master-key"
KEY_BYTES = 32


class MasterKey:
    """32 bytes of AES-256 key material plus a non-secret identifier (hash prefix)."""

    __slots__ = ("_key", "source")

    def __init__(self, key: bytes, source: str) -> None:
        if len(key) != KEY_BYTES:
            raise VaultError("klucz główny musi mieć 32 bajty")
        self._key = key
        self.source = source

    @property
    def key_id(self) -> str:
        return hashlib.sha256(b"fakturnik-master-key-id" + self._key).hexdigest()[:16]

    def material(self) -> bytes:
        return self._key

    def __repr__(self) -> str:
        return f"MasterKey(id={self.key_id}, source={self.source!r})"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("master keys are not picklable")


def decode_key(text: str) -> bytes:
    """Accept 64 hex chars or standard/URL-safe Base64 of 32 bytes."""
    value = text.strip()
    try:
        if len(value) == 2 * KEY_BYTES:
            return bytes.fromhex(value)
    except ValueError:
        pass
    try:
        raw = base64.b64decode(
            value + "=" * (-len(value) % 4), altchars=b"-_" if "-" in value or "_" in value else None
        )
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != KEY_BYTES:
        raise VaultError(f"{ENV_MASTER_KEY}: oczekiwano 32 bajtów (64 znaki hex lub Base64)")
    return raw


def encode_key(key: bytes) -> str:
    return base64.b64encode(key).decode("ascii")


def _from_keyring() -> bytes | None:
    try:
        import keyring  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    try:
        value = keyring.get_password(KEYRING_SERVICE, KEYRING_USER)
    except Exception:  # no usable backend on this machine
        return None
    return decode_key(value) if value else None


def _from_file(path: Path, *, create: bool) -> bytes | None:
    if not path.exists():
        if not create:
            return None
        private_dir(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(encode_key(secrets.token_bytes(KEY_BYTES)) + "\n")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise VaultError(f"plik klucza {path} ma zbyt szerokie uprawnienia ({oct(mode)}); wymagane 0600")
    return decode_key(path.read_text(encoding="ascii"))


def load_master_key(
    data_dir: Path | None = None, *, create: bool = True, use_keyring: bool = True
) -> MasterKey:
    """Environment variable first, then the system keyring, then ``<data_dir>/master.key`` (created 0600)."""
    env = os.environ.get(ENV_MASTER_KEY)
    if env:
        return MasterKey(decode_key(env), "env")
    if use_keyring:
        from_keyring = _from_keyring()
        if from_keyring is not None:
            return MasterKey(from_keyring, "keyring")
    if data_dir is not None:
        from_file = _from_file(data_dir / KEY_FILE_NAME, create=create)
        if from_file is not None:
            return MasterKey(from_file, "file")
    raise VaultError(f"brak klucza głównego: ustaw {ENV_MASTER_KEY} albo podaj katalog danych")
