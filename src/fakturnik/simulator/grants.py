"""Who may do what in which context: the simulator's permission model (digest §11).

``permissions_for`` is what authentication uses to decide the rights frozen into a token.
"""

from __future__ import annotations

from fakturnik.simulator.core import Simulator

OWNER_PERMISSIONS = frozenset(
    {
        "InvoiceWrite",
        "InvoiceRead",
        "CredentialsManage",
        "CredentialsRead",
        "Introspection",
        "SubunitManage",
        "EnforcementOperations",
    }
)


def permissions_for(
    sim: Simulator, context_type: str, context_value: str, subject_type: str, subject_value: str
) -> set[str]:
    """The permissions a subject holds in a context right now (empty set: no rights, auth 415).

    Owner: the subject's NIP is the context NIP (or the NIP part of an InternalId context).
    """
    perms: set[str] = set()
    if subject_type == "Nip" and context_type in ("Nip", "InternalId") and context_value[:10] == subject_value:
        perms |= OWNER_PERMISSIONS
    return perms
