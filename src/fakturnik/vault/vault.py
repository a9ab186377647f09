"""Secrets at rest: AES-256-GCM, a fresh nonce per write, name and scope bound as associated data."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from fakturnik.errors import VaultError
from fakturnik.vault.master_key import MasterKey
from fakturnik.vault.secret import Secret

FORMAT = b"fakturnik-vault-v1"
NONCE_BYTES = 12


@dataclass(frozen=True)
class SealedSecret:
    name: str
    scope: str
    nonce: bytes
    ciphertext: bytes
    key_id: str

    def __repr__(self) -> str:
        return f"SealedSecret({self.name!r}, scope={self.scope!r}, {len(self.ciphertext)} bytes)"


class SecretStorage(Protocol):
    """Where sealed secrets live (the store provides a database table)."""

    def save_sealed(self, sealed: SealedSecret) -> None: ...

    def load_sealed(self, name: str) -> SealedSecret | None: ...

    def delete_sealed(self, name: str) -> bool: ...


def associated_data(name: str, scope: str) -> bytes:
    return b"\x00".join((FORMAT, name.encode("utf-8"), scope.encode("utf-8")))


def seal(key: MasterKey, name: str, scope: str, plaintext: bytes) -> SealedSecret:
    nonce = os.urandom(NONCE_BYTES)
    ct = AESGCM(key.material()).encrypt(nonce, plaintext, associated_data(name, scope))
    return SealedSecret(name=name, scope=scope, nonce=nonce, ciphertext=ct, key_id=key.key_id)


def unseal(key: MasterKey, sealed: SealedSecret) -> Secret:
    if sealed.key_id != key.key_id:
        raise VaultError(f"sekret {sealed.name!r} zaszyfrowano innym kluczem głównym")
    try:
        plain = AESGCM(key.material()).decrypt(
            sealed.nonce, sealed.ciphertext, associated_data(sealed.name, sealed.scope)
        )
    except InvalidTag:
        raise VaultError(f"sekret {sealed.name!r} jest uszkodzony lub podmieniony") from None
    return Secret(plain, sealed.name)


class Vault:
    """Put and get secrets by name; plaintext exists only in memory, inside :class:`Secret` values."""

    def __init__(self, key: MasterKey, storage: SecretStorage) -> None:
        self._key = key
        self._storage = storage

    def put(self, name: str, scope: str, value: bytes | str | Secret) -> None:
        plain = (
            value.reveal()
            if isinstance(value, Secret)
            else value.encode()
            if isinstance(value, str)
            else value
        )
        self._storage.save_sealed(seal(self._key, name, scope, plain))

    def get(self, name: str) -> Secret:
        sealed = self._storage.load_sealed(name)
        if sealed is None:
            raise VaultError(f"brak sekretu {name!r} w sejfie")
        return unseal(self._key, sealed)

    def delete(self, name: str) -> bool:
        return self._storage.delete_sealed(name)

    def __repr__(self) -> str:
        return f"Vault(key={self._key!r})"
