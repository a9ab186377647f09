"""Database storage for sealed vault secrets (ciphertext only; the store never sees a key)."""

from __future__ import annotations

from datetime import UTC, datetime

from fakturnik.store.db import Database
from fakturnik.store.models import VaultSecret
from fakturnik.vault import SealedSecret


class SqlSecretStorage:
    """Implements :class:`fakturnik.vault.SecretStorage` on the ``vault_secrets`` table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def save_sealed(self, sealed: SealedSecret) -> None:
        with self._db.transaction() as s:
            row = s.get(VaultSecret, sealed.name)
            if row is None:
                row = VaultSecret(name=sealed.name)
                s.add(row)
            row.scope, row.nonce, row.ciphertext = sealed.scope, sealed.nonce, sealed.ciphertext
            row.key_id, row.updated_at = sealed.key_id, datetime.now(UTC)

    def load_sealed(self, name: str) -> SealedSecret | None:
        with self._db.transaction() as s:
            row = s.get(VaultSecret, name)
            if row is None:
                return None
            return SealedSecret(row.name, row.scope, row.nonce, row.ciphertext, row.key_id)

    def delete_sealed(self, name: str) -> bool:
        with self._db.transaction() as s:
            row = s.get(VaultSecret, name)
            if row is None:
                return False
            s.delete(row)
            return True
