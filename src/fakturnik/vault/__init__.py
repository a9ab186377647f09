"""Fakturnik vault: KSeF tokens, certificates and private keys encrypted at rest (AES-256-GCM)."""

from fakturnik.vault.master_key import ENV_MASTER_KEY, MasterKey, load_master_key
from fakturnik.vault.secret import Secret
from fakturnik.vault.vault import SealedSecret, SecretStorage, Vault, seal, unseal

__all__ = [
    "ENV_MASTER_KEY",
    "MasterKey",
    "SealedSecret",
    "Secret",
    "SecretStorage",
    "Vault",
    "load_master_key",
    "seal",
    "unseal",
]
