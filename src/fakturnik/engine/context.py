"""What every engine part needs: the database, the vault, the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fakturnik.base.files import private_dir
from fakturnik.engine.settings import EngineSettings
from fakturnik.engine.vault_storage import SqlSecretStorage
from fakturnik.store.db import Database, default_data_dir
from fakturnik.vault import Vault, load_master_key


@dataclass
class EngineContext:
    db: Database
    vault: Vault
    settings: EngineSettings = field(default_factory=EngineSettings)
    data_dir: Path | None = None

    def close(self) -> None:
        self.db.dispose()


def open_context(
    data_dir: Path | None = None,
    database_url: str | None = None,
    settings: EngineSettings | None = None,
    *,
    use_keyring: bool = True,
) -> EngineContext:
    """Open (and migrate) the database and the vault of a data directory."""
    directory = private_dir(data_dir or default_data_dir())
    db = Database(database_url, data_dir=directory)
    vault = Vault(load_master_key(directory, use_keyring=use_keyring), SqlSecretStorage(db))
    return EngineContext(db=db, vault=vault, settings=settings or EngineSettings(), data_dir=directory)
