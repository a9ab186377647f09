"""Authentication operations as state: challenges, auth documents, statuses, token claims.

Protocol logic behind ``routes_auth`` (digest §3.1, §4, §14.2), free of HTTP. Auth operations are
``auth`` documents (see :func:`fakturnik.simulator.mint.mint_session` for the fields every operation
has; :func:`start_operation` adds ``statusDetails``, ``authenticationMethod``, ``methodCode``,
``methodName``, ``allowedIps``, ``decidedAt`` and, for XAdES, ``certificateSubject``,
``certificateSerial``, ``certificateFingerprint``; refresh adds ``lastTokenRefreshDate``).
"""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta
from typing import Any

from fakturnik.base.ksef_numbers import make_reference_number
from fakturnik.ksef.crypto import sha256
from fakturnik.simulator.core import Simulator
from fakturnik.simulator.errors import ApiError
from fakturnik.simulator.security import OPERATION_TTL, caller_claims
from fakturnik.simulator.xades_verify import CertificateIdentity

CHALLENGE_TTL = timedelta(minutes=10)
AUTH_RETENTION = timedelta(days=7)

STATUS_TEXT: dict[int, str] = {
    100: "Uwierzytelnianie w toku",
    200: "Uwierzytelnianie zakończone sukcesem",
    415: "Uwierzytelnianie zakończone niepowodzeniem",
    425: "Uwierzytelnienie unieważnione",
    450: "Uwierzytelnianie zakończone niepowodzeniem z powodu błędnego tokenu",
    460: "Uwierzytelnianie zakończone niepowodzeniem z powodu błędu certyfikatu",
    470: "Uwierzytelnianie zakończone niepowodzeniem",
    480: "Uwierzytelnienie zablokowane",
    500: "Nieznany błąd",
    550: "Operacja została anulowana przez system",
}
NO_PERMISSIONS = "Brak przypisanych uprawnień"
REVOKED_DETAIL = "Uwierzytelnienie i powiązane refresh tokeny zostały unieważnione przez użytkownika"
DECEASED_DETAIL = "Próba wykorzystania metod autoryzacyjnych osoby zmarłej"
BLOCKED_DETAIL = (
    "Podejrzenie incydentu bezpieczeństwa. "
    "Skontaktuj się z Ministerstwem Finansów przez formularz zgłoszeniowy."
)

# (legacy authenticationMethod, methodInfo code, displayName) by how the subject signed in
METHOD_TOKEN = ("Token", "token.ksef", "Token KSeF")
METHOD_KSEF_CERT = ("InternalCertificate", "xades.ksef-certificate", "Certyfikat KSeF")
METHOD_SEAL = ("QualifiedSeal", "xades.qualified-seal", "Pieczęć kwalifikowana")
METHOD_SIGNATURE = ("QualifiedSignature", "xades.qualified-signature", "Podpis kwalifikowany")
METHOD_PEPPOL = ("PeppolSignature", "xades.peppol-signature", "Podpis dostawcy usług Peppol")


def iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def parse_dt(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def prune_challenges(sim: Simulator, keep: int = 1000, every: int = 500) -> None:
    """Drop challenges past their 10 minutes now and then, so a long-running simulator stays small."""
    count = sim.state.count("challenge")
    if count < keep or count % every:
        return
    limit = sim.now() - CHALLENGE_TTL
    for doc in sim.state.all("challenge"):
        if parse_dt(doc["timestamp"]) < limit:
            sim.state.delete("challenge", doc["challenge"])


def consume_challenge(sim: Simulator, challenge: str) -> dict[str, Any]:
    """The challenge document, marked used; 21111 when unknown, used or older than 10 minutes."""
    with sim.state.lock:
        doc = sim.state.get("challenge", challenge)
        if doc is None:
            raise ApiError(21111, f"Wyzwanie {challenge} nie istnieje.")
        if doc.get("used"):
            raise ApiError(21111, f"Wyzwanie {challenge} zostało już wykorzystane.")
        if sim.now() - parse_dt(doc["timestamp"]) > CHALLENGE_TTL:
            raise ApiError(21111, f"Wyzwanie {challenge} wygasło.")
        doc["used"] = True
        sim.state.put("challenge", challenge, doc)
    return doc


def subject_checks(
    sim: Simulator, context_type: str, context_value: str, subject_type: str, subject_value: str
) -> tuple[int, list[str], list[str]]:
    """Final status of a login whose credentials were fine: (code, details, permissions)."""
    from fakturnik.simulator import grants

    if grants.is_context_blocked(sim, context_value, context_type):
        return 480, [BLOCKED_DETAIL], []
    if grants.is_subject_deceased(sim, subject_type, subject_value):
        return 470, [DECEASED_DETAIL], []
    perms = sorted(grants.permissions_for(sim, context_type, context_value, subject_type, subject_value))
    if not perms:
        return 415, [NO_PERMISSIONS], []
    return 200, [], perms


def start_operation(
    sim: Simulator,
    ip: str,
    *,
    context_type: str,
    context_value: str,
    subject_type: str,
    subject_value: str,
    status: int,
    details: list[str],
    permissions: list[str],
    method: tuple[str, str, str],
    allowed_ips: dict[str, list[str]] | None = None,
    ksef_token_ref: str | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Store the auth operation and return the 202 body ``{referenceNumber, authenticationToken}``."""
    now = sim.now()
    ref = make_reference_number("AU", now.date())
    category = "Token" if method is METHOD_TOKEN else "XadesSignature"
    doc: dict[str, Any] = {
        "referenceNumber": ref,
        "startDate": now.isoformat(),
        "status": status,
        "statusDetails": details,
        "method": category,
        "authenticationMethod": method[0],
        "methodCode": method[1],
        "methodName": method[2],
        "contextType": context_type,
        "contextValue": context_value,
        "subjectType": subject_type,
        "subjectValue": subject_value,
        "permissions": permissions,
        "ksefTokenRef": ksef_token_ref,
        "redeemed": False,
        "revoked": False,
        "refreshTokenValidUntil": None,
        "lastTokenRefreshDate": None,
        "clientIp": ip,
        "allowedIps": allowed_ips or {},
        "decidedAt": (now + timedelta(seconds=sim.faults.auth_delay)).isoformat(),
        **(extra or {}),
    }
    sim.state.put("auth", ref, doc)
    claims = caller_claims(
        auth_ref=ref,
        context_type=context_type,
        context_value=context_value,
        subject_type=subject_type,
        subject_value=subject_value,
        permissions=[],
        auth_method=category,
        ksef_token_ref=ksef_token_ref,
    )
    token, exp = sim.tokens.issue("operation", claims, OPERATION_TTL)
    return {"referenceNumber": ref, "authenticationToken": {"token": token, "validUntil": iso(exp)}}


def effective_status(doc: dict[str, Any], now: datetime) -> int:
    """The operation's status; 100 while an ``authDelay`` fault keeps it "in progress"."""
    decided = doc.get("decidedAt")
    if decided and now < parse_dt(decided):
        return 100
    return int(doc.get("status", 500))


def status_body(doc: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    code = int(doc.get("status", 500)) if now is None else effective_status(doc, now)
    status: dict[str, Any] = {"code": code, "description": STATUS_TEXT.get(code, STATUS_TEXT[500])}
    details = [] if code == 100 else doc.get("statusDetails") or ([REVOKED_DETAIL] if code == 425 else [])
    if details:
        status["details"] = list(details)
    legacy, code_name, display = method_of(doc)
    body: dict[str, Any] = {
        "startDate": doc["startDate"],
        "authenticationMethod": legacy,
        "authenticationMethodInfo": {
            "category": doc.get("method", "XadesSignature"),
            "code": code_name,
            "displayName": display,
        },
        "status": status,
        "isTokenRedeemed": bool(doc.get("redeemed")),
    }
    if doc.get("lastTokenRefreshDate"):
        body["lastTokenRefreshDate"] = doc["lastTokenRefreshDate"]
    if doc.get("refreshTokenValidUntil"):
        body["refreshTokenValidUntil"] = doc["refreshTokenValidUntil"]
    return body


def method_of(doc: dict[str, Any]) -> tuple[str, str, str]:
    if doc.get("authenticationMethod"):
        return (
            str(doc["authenticationMethod"]),
            str(doc.get("methodCode", "")),
            str(doc.get("methodName", "")),
        )
    if doc.get("method") == "Token":
        return METHOD_TOKEN
    return METHOD_SIGNATURE


def find_ksef_token(sim: Simulator, token: str) -> dict[str, Any] | None:
    """The ``ksef_token`` document a presented token belongs to (constant-time secret check)."""
    ref = token.split("|", 1)[0]
    doc = sim.state.get("ksef_token", ref)
    if doc is None:
        return None
    if not hmac.compare_digest(doc.get("secretSha256", ""), sha256(token.encode()).hex()):
        return None
    return doc


def subject_of(
    identity: CertificateIdentity,
    ksef_cert: dict[str, Any] | None,
    subject_identifier_type: str,
    context_type: str,
) -> tuple[str, str]:
    """(subject type, value) by SubjectIdentifierType; KSeF certificates keep their enrolled subject.

    Peppol providers sign with certificates that carry no Polish identifier: in a PeppolId context
    such a certificate is identified by its fingerprint.
    """
    if ksef_cert is not None:
        sid = ksef_cert["subjectIdentifier"]
        return str(sid["type"]), str(sid["value"])
    if subject_identifier_type == "certificateFingerprint" or (
        context_type == "PeppolId" and identity.subject_type is None
    ):
        return "Fingerprint", identity.fingerprint
    if identity.subject_type is None or identity.subject_value is None:
        raise ApiError(
            21406,
            "Certyfikat nie zawiera identyfikatora NIP/PESEL; "
            "użyj SubjectIdentifierType certificateFingerprint.",
        )
    return identity.subject_type, identity.subject_value


def check_subject_context(context_type: str, subject_type: str) -> None:
    if context_type == "NipVatUe" and subject_type != "Fingerprint":
        raise ApiError(21117, "Kontekst NipVatUe wymaga identyfikacji podmiotu odciskiem certyfikatu.")


def revoke_operation(sim: Simulator, ref: str) -> None:
    """Kill the refresh token of an auth operation (status 425); access tokens live until exp."""
    with sim.state.lock:
        doc = sim.state.get("auth", ref)
        if doc is None:
            return
        doc["revoked"] = True
        doc["status"] = 425
        doc["statusDetails"] = [REVOKED_DETAIL]
        sim.state.put("auth", ref, doc)


def check_token_still_active(sim: Simulator, doc: dict[str, Any]) -> None:
    ref = doc.get("ksefTokenRef")
    if doc.get("method") == "Token" and ref:
        token = sim.state.get("ksef_token", ref)
        if token is None or token.get("status") != "Active":
            raise ApiError(21301, "Token KSeF został unieważniony.")


def claims_of(doc: dict[str, Any], permissions: list[str]) -> dict[str, Any]:
    return caller_claims(
        auth_ref=doc["referenceNumber"],
        context_type=doc["contextType"],
        context_value=doc["contextValue"],
        subject_type=doc["subjectType"],
        subject_value=doc["subjectValue"],
        permissions=permissions,
        auth_method=doc.get("method", "XadesSignature"),
        ksef_token_ref=doc.get("ksefTokenRef"),
        allowed_ips=doc.get("allowedIps") or {},
    )
