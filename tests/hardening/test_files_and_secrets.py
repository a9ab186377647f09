"""Data directories 0700, databases (with WAL), key files 0600; secret holders refuse pickling."""

from __future__ import annotations

import copy
import os
import pickle
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fakturnik.base.files import private_dir, private_file
from fakturnik.ksef.auth import BearerToken
from fakturnik.ksef.credentials import SecretText
from fakturnik.ksef.crypto import SymmetricKey
from fakturnik.simulator.state import StateStore
from fakturnik.store.db import Database
from fakturnik.vault.secret import Secret


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def _loose_umask() -> object:
    """The user's umask is 022 here: the program must not rely on it."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_store_database_and_its_wal_are_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    db = Database(data_dir=data)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS t (x)")
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
    assert _mode(data) == 0o700
    files = [p for p in data.iterdir() if p.name.startswith("fakturnik")]
    assert any(p.name.endswith("-wal") for p in files), files
    for path in files:
        assert _mode(path) == 0o600, path
    db.engine.dispose()


def test_engine_data_dir_and_master_key_are_private(tmp_path: Path) -> None:
    from fakturnik.engine.context import open_context

    ctx = open_context(tmp_path / "engine", use_keyring=False)
    for path in [tmp_path / "engine", *(tmp_path / "engine").iterdir()]:
        assert _mode(path) & 0o077 == 0, path
    ctx.db.engine.dispose()


def test_simulator_database_is_private(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "sim")
    store.put("k", "a", {"x": 1})
    assert _mode(tmp_path / "sim") == 0o700
    for path in (tmp_path / "sim").iterdir():
        assert _mode(path) == 0o600, path


def test_existing_wide_directory_and_file_are_narrowed(tmp_path: Path) -> None:
    d = tmp_path / "wide"
    d.mkdir(mode=0o755)
    f = d / "db"
    f.write_bytes(b"")
    f.chmod(0o644)
    private_dir(d)
    private_file(f)
    assert (_mode(d), _mode(f)) == (0o700, 0o600)


SECRETS = [
    lambda: Secret(b"k"),
    lambda: SecretText("token-value"),
    lambda: BearerToken("eyJ.secret.jwt", datetime(2030, 1, 1, tzinfo=UTC)),
    lambda: SymmetricKey(b"k" * 32, b"i" * 16),
]


@pytest.mark.parametrize("make", SECRETS, ids=["Secret", "SecretText", "BearerToken", "SymmetricKey"])
def test_secret_types_refuse_pickling(make: object) -> None:
    value = make()  # type: ignore[operator]
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        with pytest.raises(TypeError, match="sekret"):
            pickle.dumps(value, protocol=protocol)
    assert copy.deepcopy(value) is value
    assert copy.copy(value) is value
