"""Vault: AES-GCM at rest, master key sources, redaction, and no plaintext in the database file."""

from __future__ import annotations

import os
import pickle
import secrets
from pathlib import Path

import pytest

from fakturnik.engine.vault_storage import SqlSecretStorage
from fakturnik.errors import VaultError
from fakturnik.store.db import Database
from fakturnik.store.models import VaultSecret
from fakturnik.vault import ENV_MASTER_KEY, MasterKey, Secret, Vault, load_master_key, seal, unseal
from fakturnik.vault.master_key import encode_key


def _key() -> MasterKey:
    return MasterKey(secrets.token_bytes(32), "test")


def test_secret_is_redacted_everywhere() -> None:
    s = Secret("ksef-token-VERY-SECRET", "company/token")
    for shown in (repr(s), str(s), f"{s}", f"{s!r}", f"{[s]}", repr({"k": s})):
        assert "VERY-SECRET" not in shown
    assert s.reveal_text() == "ksef-token-VERY-SECRET"
    with pytest.raises(TypeError):
        pickle.dumps(s)


def test_seal_uses_fresh_nonces_and_binds_name_and_scope() -> None:
    key = _key()
    a = seal(key, "token", "5265877635", b"value")
    b = seal(key, "token", "5265877635", b"value")
    assert a.nonce != b.nonce and a.ciphertext != b.ciphertext
    assert unseal(key, a).reveal() == b"value"
    moved = type(a)(a.name, "1111111111", a.nonce, a.ciphertext, a.key_id)
    with pytest.raises(VaultError, match="uszkodzony"):
        unseal(key, moved)
    renamed = type(a)("other", a.scope, a.nonce, a.ciphertext, a.key_id)
    with pytest.raises(VaultError):
        unseal(key, renamed)
    with pytest.raises(VaultError, match="innym kluczem"):
        unseal(_key(), a)


def test_master_key_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_MASTER_KEY, raising=False)
    created = load_master_key(tmp_path, use_keyring=False)
    key_file = tmp_path / "master.key"
    assert created.source == "file" and oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert load_master_key(tmp_path, use_keyring=False).key_id == created.key_id
    os.chmod(key_file, 0o644)
    with pytest.raises(VaultError, match="0600"):
        load_master_key(tmp_path, use_keyring=False)
    raw = secrets.token_bytes(32)
    monkeypatch.setenv(ENV_MASTER_KEY, encode_key(raw))
    assert load_master_key(None).source == "env"
    monkeypatch.setenv(ENV_MASTER_KEY, raw.hex())
    assert load_master_key(None).material() == raw
    monkeypatch.setenv(ENV_MASTER_KEY, "too-short")
    with pytest.raises(VaultError) as err:
        load_master_key(None)
    assert "too-short" not in str(err.value)
    assert raw.hex() not in repr(MasterKey(raw, "env"))


def test_database_file_never_holds_the_plaintext(tmp_path: Path) -> None:
    db = Database(data_dir=tmp_path)
    vault = Vault(_key(), SqlSecretStorage(db))
    token = "20261124-EC-0123456789-ABCDEF0123-45|nip-5265877635|" + secrets.token_hex(32)
    pem = "-----BEGIN PRIVATE KEY-----\n" + secrets.token_urlsafe(400) + "\n-----END PRIVATE KEY-----\n"
    vault.put("5265877635/ksef-token", "5265877635", token)
    vault.put("5265877635/key", "5265877635", pem)
    vault.put("5265877635/key", "5265877635", pem)  # overwrite keeps one row
    assert vault.get("5265877635/ksef-token").reveal_text() == token
    assert vault.get("5265877635/key").reveal_text() == pem
    with db.transaction() as s:
        assert s.query(VaultSecret).count() == 2
    db.dispose()
    blob = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    for plain in (token, pem, token.split("|")[-1]):
        assert plain.encode() not in blob
    with pytest.raises(VaultError, match="brak sekretu"):
        Vault(_key(), SqlSecretStorage(Database(data_dir=tmp_path))).get("nope")
