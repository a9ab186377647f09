"""The ``fakturnik ksef`` session file: access + refresh token, sealed with the vault's master key.

Persistence of a KSeF session lives here, above ``ksef`` (which knows nothing of the store or the
vault) and beside the commands that use it.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from fakturnik.ksef.auth import AuthTokens, BearerToken, parse_time

__all__ = ["load_session", "save_session"]

_SESSION_VAULT_NAME = "ksef-cli-session"


def save_session(path: Path, tokens: AuthTokens, data_dir: Path | None = None) -> None:
    """Write a session (access + refresh token) for later commands, sealed with the vault's master key.

    The file is AES-256-GCM ciphertext (``fakturnik.vault``), owner-only (0600): tokens never rest in
    clear. The master key comes from ``FAKTURNIK_MASTER_KEY``, the keyring or the data directory.
    """
    from fakturnik.store.db import default_data_dir
    from fakturnik.vault.master_key import load_master_key
    from fakturnik.vault.vault import seal

    def token(t: BearerToken) -> dict[str, str]:
        return {"token": t.token, "validUntil": t.valid_until.isoformat()}

    doc = {
        "referenceNumber": tokens.reference_number,
        "access": token(tokens.access),
        "refresh": token(tokens.refresh),
    }
    key = load_master_key(data_dir or default_data_dir())
    sealed = seal(key, _SESSION_VAULT_NAME, str(path.name), json.dumps(doc).encode("utf-8"))
    envelope = {
        "format": "fakturnik-sealed-session-v1",
        "keyId": sealed.key_id,
        "scope": sealed.scope,
        "nonce": base64.b64encode(sealed.nonce).decode("ascii"),
        "ciphertext": base64.b64encode(sealed.ciphertext).decode("ascii"),
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(envelope, f)


def load_session(path: Path, data_dir: Path | None = None) -> AuthTokens:
    """Read a session written by :func:`save_session` (raises ``VaultError`` if it cannot be unsealed)."""
    from fakturnik.store.db import default_data_dir
    from fakturnik.vault.master_key import load_master_key
    from fakturnik.vault.vault import SealedSecret, unseal

    envelope = json.loads(path.read_text(encoding="utf-8"))
    sealed = SealedSecret(
        name=_SESSION_VAULT_NAME,
        scope=str(envelope["scope"]),
        nonce=base64.b64decode(envelope["nonce"]),
        ciphertext=base64.b64decode(envelope["ciphertext"]),
        key_id=str(envelope["keyId"]),
    )
    key = load_master_key(data_dir or default_data_dir(), create=False)
    doc = json.loads(unseal(key, sealed).reveal_text())
    return AuthTokens(
        doc["referenceNumber"],
        BearerToken(doc["access"]["token"], parse_time(doc["access"]["validUntil"])),
        BearerToken(doc["refresh"]["token"], parse_time(doc["refresh"]["validUntil"])),
    )
