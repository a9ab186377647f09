"""A finished, redeemed auth operation in one call: the shortcut tests, the demo and the admin API use."""

from __future__ import annotations

from typing import Any

from fakturnik.base.ksef_numbers import make_reference_number
from fakturnik.simulator.auth_ops import claims_of
from fakturnik.simulator.core import Simulator
from fakturnik.simulator.grants import permissions_for
from fakturnik.simulator.security import ACCESS_TTL, REFRESH_TTL

__all__ = ["mint_session"]


def mint_session(
    sim: Simulator,
    *,
    context_type: str,
    context_value: str,
    subject_type: str,
    subject_value: str,
    permissions: list[str] | None = None,
    auth_method: str = "XadesSignature",
    ksef_token_ref: str | None = None,
    client_ip: str | None = None,
) -> dict[str, str]:
    """Create a finished, redeemed auth operation; returns ``{referenceNumber, accessToken, refreshToken}``.

    The shortcut tests and the admin API use instead of a full challenge/sign/redeem round trip;
    ``permissions=None`` takes what the permission model grants the subject in the context.
    """
    now = sim.now()
    ref = make_reference_number("AU", now.date())
    perms = (
        sorted(permissions)
        if permissions is not None
        else sorted(permissions_for(sim, context_type, context_value, subject_type, subject_value))
    )
    doc: dict[str, Any] = {
        "referenceNumber": ref,
        "startDate": now.isoformat(),
        "status": 200,
        "method": auth_method,
        "contextType": context_type,
        "contextValue": context_value,
        "subjectType": subject_type,
        "subjectValue": subject_value,
        "permissions": perms,
        "ksefTokenRef": ksef_token_ref,
        "redeemed": True,
        "revoked": False,
        "clientIp": client_ip,
        "minted": True,
    }
    claims = claims_of(doc, perms)
    access, _ = sim.tokens.issue("access", claims, ACCESS_TTL)
    refresh, refresh_exp = sim.tokens.issue("refresh", claims, REFRESH_TTL)
    doc["refreshTokenValidUntil"] = refresh_exp.isoformat()
    sim.state.put("auth", ref, doc)
    return {"referenceNumber": ref, "accessToken": access, "refreshToken": refresh}
