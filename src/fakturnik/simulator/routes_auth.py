"""KSeF 2.0 API: authentication (digest §3.1, §4, §14.2) and the public encryption keys (§3.8).

Auth operations are ``auth`` documents (see :func:`fakturnik.simulator.core.mint_session` for the
fields every operation has; this module adds ``statusDetails``, ``authenticationMethod``,
``methodCode``, ``methodName``, ``allowedIps``, ``certificateSubject``, ``certificateSerial``,
``certificateFingerprint`` and ``lastTokenRefreshDate``). Submissions are judged at once: problems
KSeF reports synchronously are 400s, the others become the operation's final status (415, 450,
460, 470, 480), visible through ``GET /auth/{ref}`` exactly as KSeF shows them.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from fakturnik.ksef.crypto import rsa_oaep_decrypt, sha256, unb64
from fakturnik.ksef.numbers import make_reference_number
from fakturnik.simulator.core import Simulator, sim_of
from fakturnik.simulator.errors import ApiError, UnauthorizedError
from fakturnik.simulator.security import (
    ACCESS_TTL,
    OPERATION_TTL,
    REFRESH_TTL,
    Caller,
    caller_claims,
    caller_from_request,
    client_ip,
    public,
    require,
)
from fakturnik.simulator.xades_verify import (
    AuthRequestError,
    CertificateIdentity,
    certificate_identity,
    verify_auth_request,
)

router = APIRouter()

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


def _parse_dt(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# -- public keys -------------------------------------------------------------------------------------


@router.get("/security/public-key-certificates", dependencies=[Depends(public)])
def public_key_certificates(request: Request) -> list[dict[str, object]]:
    return sim_of(request).keys.public_key_certificates()


# -- challenge -----------------------------------------------------------------------------------------


@router.post("/auth/challenge", dependencies=[Depends(public)])
def auth_challenge(request: Request) -> dict[str, object]:
    sim = sim_of(request)
    now = sim.now()
    _prune_challenges(sim)
    ref = make_reference_number("CR", now.date())
    ms = int(now.timestamp() * 1000)
    ip = client_ip(request)
    sim.state.put(
        "challenge",
        ref,
        {"challenge": ref, "timestamp": iso(now), "timestampMs": ms, "clientIp": ip, "used": False},
    )
    return {"challenge": ref, "timestamp": iso(now), "timestampMs": ms, "clientIp": ip}


def _prune_challenges(sim: Simulator, keep: int = 1000, every: int = 500) -> None:
    """Drop challenges past their 10 minutes now and then, so a long-running simulator stays small."""
    count = sim.state.count("challenge")
    if count < keep or count % every:
        return
    limit = sim.now() - CHALLENGE_TTL
    for doc in sim.state.all("challenge"):
        if _parse_dt(doc["timestamp"]) < limit:
            sim.state.delete("challenge", doc["challenge"])


def consume_challenge(sim: Simulator, challenge: str) -> dict[str, Any]:
    """The challenge document, marked used; 21111 when unknown, used or older than 10 minutes."""
    with sim.state.lock:
        doc = sim.state.get("challenge", challenge)
        if doc is None:
            raise ApiError(21111, f"Wyzwanie {challenge} nie istnieje.")
        if doc.get("used"):
            raise ApiError(21111, f"Wyzwanie {challenge} zostało już wykorzystane.")
        if sim.now() - _parse_dt(doc["timestamp"]) > CHALLENGE_TTL:
            raise ApiError(21111, f"Wyzwanie {challenge} wygasło.")
        doc["used"] = True
        sim.state.put("challenge", challenge, doc)
    return doc


# -- operations ----------------------------------------------------------------------------------------


def _subject_checks(
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
    request: Request,
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
        "clientIp": client_ip(request),
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


def _operation_of(
    request: Request, ref: str, kinds: tuple[str, ...] = ("operation",)
) -> tuple[Caller, dict[str, Any]]:
    sim = sim_of(request)
    caller = caller_from_request(request, kinds)
    if caller.auth_ref != ref:
        raise UnauthorizedError("Token nie dotyczy tej operacji uwierzytelniania.")
    doc = sim.state.get("auth", ref)
    if doc is None:
        raise ApiError(
            21304, f"Operacja uwierzytelniania o numerze referencyjnym {ref} nie została znaleziona."
        )
    return caller, doc


def effective_status(doc: dict[str, Any], now: datetime) -> int:
    """The operation's status; 100 while an ``authDelay`` fault keeps it "in progress"."""
    decided = doc.get("decidedAt")
    if decided and now < _parse_dt(decided):
        return 100
    return int(doc.get("status", 500))


def status_body(doc: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    code = int(doc.get("status", 500)) if now is None else effective_status(doc, now)
    status: dict[str, Any] = {"code": code, "description": STATUS_TEXT.get(code, STATUS_TEXT[500])}
    details = [] if code == 100 else doc.get("statusDetails") or ([REVOKED_DETAIL] if code == 425 else [])
    if details:
        status["details"] = list(details)
    legacy, code_name, display = _method_of(doc)
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


def _method_of(doc: dict[str, Any]) -> tuple[str, str, str]:
    if doc.get("authenticationMethod"):
        return (
            str(doc["authenticationMethod"]),
            str(doc.get("methodCode", "")),
            str(doc.get("methodName", "")),
        )
    if doc.get("method") == "Token":
        return METHOD_TOKEN
    return METHOD_SIGNATURE


# -- KSeF token ----------------------------------------------------------------------------------------


class ContextIdentifier(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: Literal["Nip", "InternalId", "NipVatUe", "PeppolId"]
    value: str = Field(min_length=1, max_length=64)


class AllowedIps(BaseModel):
    model_config = ConfigDict(extra="ignore")
    ip4Addresses: list[str] | None = Field(default=None, max_length=10)
    ip4Ranges: list[str] | None = Field(default=None, max_length=10)
    ip4Masks: list[str] | None = Field(default=None, max_length=10)


class AuthorizationPolicy(BaseModel):
    model_config = ConfigDict(extra="ignore")
    allowedIps: AllowedIps | None = None


class InitTokenAuthenticationRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    challenge: str = Field(min_length=36, max_length=36)
    contextIdentifier: ContextIdentifier
    encryptedToken: str = Field(min_length=1)
    publicKeyId: str | None = Field(default=None, min_length=44, max_length=44)
    authorizationPolicy: AuthorizationPolicy | None = None


def _policy_dict(policy: AuthorizationPolicy | None) -> dict[str, list[str]]:
    if policy is None or policy.allowedIps is None:
        return {}
    ips = policy.allowedIps
    out = {"ip4Addresses": ips.ip4Addresses, "ip4Ranges": ips.ip4Ranges, "ip4Masks": ips.ip4Masks}
    return {k: list(v) for k, v in out.items() if v}


def find_ksef_token(sim: Simulator, token: str) -> dict[str, Any] | None:
    """The ``ksef_token`` document a presented token belongs to (constant-time secret check)."""
    ref = token.split("|", 1)[0]
    doc = sim.state.get("ksef_token", ref)
    if doc is None:
        return None
    if not hmac.compare_digest(doc.get("secretSha256", ""), sha256(token.encode()).hex()):
        return None
    return doc


@router.post("/auth/ksef-token", status_code=202, dependencies=[Depends(public)])
def auth_ksef_token(body: InitTokenAuthenticationRequest, request: Request) -> dict[str, Any]:
    sim = sim_of(request)
    pair = sim.keys.by_usage["KsefTokenEncryption"]
    if body.publicKeyId is not None and body.publicKeyId != pair.public_key_id:
        raise ApiError(21470, f"Klucz o identyfikatorze {body.publicKeyId} nie jest wspierany.")
    challenge = consume_challenge(sim, body.challenge)
    ctx = body.contextIdentifier
    failure: str | None = None
    token_doc: dict[str, Any] | None = None
    try:
        plain = rsa_oaep_decrypt(pair.private_key, unb64(body.encryptedToken)).decode("utf-8")
        token, _, ts = plain.rpartition("|")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        failure = "Nieprawidłowy token"
        token, ts = "", ""
    if failure is None and ts != str(challenge["timestampMs"]):
        failure = "Nieprawidłowy czas tokena"
    if failure is None:
        token_doc = find_ksef_token(sim, token)
        if token_doc is None:
            failure = "Nieprawidłowy token"
        elif token_doc["status"] in ("Revoked", "Revoking"):
            failure = "Token unieważniony"
        elif token_doc["status"] != "Active":
            failure = "Token nieaktywny"
        elif (token_doc["contextIdentifier"]["type"], token_doc["contextIdentifier"]["value"]) != (
            ctx.type,
            ctx.value,
        ):
            failure = "Nieprawidłowy token"
    author = token_doc["authorIdentifier"] if token_doc else {"type": "Nip", "value": ""}
    if failure is not None or token_doc is None:
        status, details, perms = 450, [failure or "Nieprawidłowy token"], list[str]()
    else:
        status, details, perms = _subject_checks(sim, ctx.type, ctx.value, author["type"], author["value"])
        perms = sorted(set(perms) & set(token_doc["requestedPermissions"]))
        if status == 200 and not perms:
            status, details = 415, [NO_PERMISSIONS]
        token_doc["lastUseDate"] = sim.now().isoformat()
        sim.state.put("ksef_token", token_doc["referenceNumber"], token_doc)
    return start_operation(
        sim,
        request,
        context_type=ctx.type,
        context_value=ctx.value,
        subject_type=author["type"],
        subject_value=author["value"],
        status=status,
        details=details,
        permissions=perms,
        method=METHOD_TOKEN,
        allowed_ips=_policy_dict(body.authorizationPolicy),
        ksef_token_ref=token_doc["referenceNumber"] if token_doc else None,
    )


# -- XAdES ---------------------------------------------------------------------------------------------


def _subject_of(
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


def _check_subject_context(context_type: str, subject_type: str) -> None:
    if context_type == "NipVatUe" and subject_type != "Fingerprint":
        raise ApiError(21117, "Kontekst NipVatUe wymaga identyfikacji podmiotu odciskiem certyfikatu.")


@router.post("/auth/xades-signature", status_code=202, dependencies=[Depends(public)])
async def auth_xades_signature(
    request: Request,
    verify_certificate_chain: Annotated[bool | None, Query(alias="verifyCertificateChain")] = None,
) -> dict[str, Any]:
    from fakturnik.simulator import ca

    sim = sim_of(request)
    data = await request.body()
    try:
        verified = verify_auth_request(data, now=sim.now())
    except AuthRequestError as exc:
        raise ApiError(exc.code, exc.detail) from exc
    req = verified.request
    consume_challenge(sim, req.challenge)
    identity = certificate_identity(verified.certificate)
    trust = ca.certificate_trust(sim, verified.certificate, verify_chain=bool(verify_certificate_chain))
    subject_type, subject_value = _subject_of(
        identity, trust.record, req.subject_identifier_type, req.context_type
    )
    _check_subject_context(req.context_type, subject_type)
    if trust.failure is not None:
        status, details, perms = 460, [trust.failure], list[str]()
    else:
        status, details, perms = _subject_checks(
            sim, req.context_type, req.context_value, subject_type, subject_value
        )
    if trust.record is not None:
        method = METHOD_KSEF_CERT
    elif req.context_type == "PeppolId":
        method = METHOD_PEPPOL
    else:
        method = METHOD_SEAL if identity.kind == "seal" else METHOD_SIGNATURE
    if status == 200 and req.context_type == "PeppolId":
        from fakturnik.simulator import grants

        name = identity.dn.get("organizationName") or identity.dn.get("commonName") or req.context_value
        grants.register_peppol_provider(sim, req.context_value, name)
    if status == 200 and trust.record is not None:
        ca.mark_used(sim, trust.record)
    dn = dict(trust.record["subjectDn"]) if trust.record is not None else identity.dn
    return start_operation(
        sim,
        request,
        context_type=req.context_type,
        context_value=req.context_value,
        subject_type=subject_type,
        subject_value=subject_value,
        status=status,
        details=details,
        permissions=perms,
        method=method,
        allowed_ips=req.allowed_ips,
        extra={
            "certificateSubject": dn,
            "certificateFingerprint": identity.fingerprint,
            "certificateSerial": trust.record["certificateSerialNumber"] if trust.record else None,
        },
    )


# -- status, redeem, refresh -----------------------------------------------------------------------------


@router.get("/auth/sessions")
def auth_sessions(
    request: Request,
    caller: Annotated[Caller, Depends(require("other"))],
    page_size: Annotated[int, Query(ge=10, le=100, alias="pageSize")] = 10,
    continuation: Annotated[str | None, Header(alias="x-continuation-token")] = None,
) -> dict[str, Any]:
    sim = sim_of(request)
    now = sim.now()
    offset = decode_continuation(continuation)
    items = [
        d
        for d in sim.state.all("auth")
        if d.get("contextType") == caller.context_type
        and d.get("contextValue") == caller.context_value
        and d.get("status") == 200
        and d.get("redeemed")
        and not d.get("revoked")
        and (not d.get("refreshTokenValidUntil") or _parse_dt(d["refreshTokenValidUntil"]) > now)
    ]
    items.sort(key=lambda d: d["startDate"], reverse=True)
    page = items[offset : offset + page_size]
    out = [
        {
            **status_body(d),
            "referenceNumber": d["referenceNumber"],
            "isCurrent": d["referenceNumber"] == caller.auth_ref,
        }
        for d in page
    ]
    body: dict[str, Any] = {"items": out}
    if offset + page_size < len(items):
        body["continuationToken"] = encode_continuation(offset + page_size)
    return body


def encode_continuation(offset: int) -> str:
    return base64.b64encode(json.dumps({"o": offset}).encode()).decode()


def decode_continuation(token: str | None) -> int:
    """Offset from a continuation token made by :func:`encode_continuation`; 21418 when malformed."""
    if not token:
        return 0
    try:
        value = json.loads(base64.b64decode(token, validate=True))
        offset = int(value["o"])
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise ApiError(21418) from exc
    if offset < 0:
        raise ApiError(21418)
    return offset


@router.delete("/auth/sessions/current", status_code=204)
def revoke_current(
    request: Request, caller: Annotated[Caller, Depends(require("other", kinds=("access", "refresh")))]
) -> Response:
    revoke_operation(sim_of(request), caller.auth_ref)
    return Response(status_code=204)


@router.delete("/auth/sessions/{referenceNumber}", status_code=204)
def revoke_session(
    reference_number: Annotated[str, Path(alias="referenceNumber")],
    request: Request,
    caller: Annotated[Caller, Depends(require("other"))],
) -> Response:
    sim = sim_of(request)
    doc = sim.state.get("auth", reference_number)
    if doc is None or (doc.get("contextType"), doc.get("contextValue")) != (
        caller.context_type,
        caller.context_value,
    ):
        raise ApiError(
            21304,
            f"Operacja uwierzytelniania o numerze referencyjnym {reference_number} nie została znaleziona.",
        )
    revoke_operation(sim, reference_number)
    return Response(status_code=204)


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


@router.get("/auth/{referenceNumber}", dependencies=[Depends(public)])
def auth_status(
    reference_number: Annotated[str, Path(alias="referenceNumber")], request: Request
) -> Response:
    sim = sim_of(request)
    _, doc = _operation_of(request, reference_number)
    if sim.now() - _parse_dt(doc["startDate"]) > AUTH_RETENTION:
        return gone(request)
    return JSONResponse(status_body(doc, sim.now()))


def gone(request: Request) -> Response:
    body = {
        "title": "Gone",
        "status": 410,
        "instance": request.url.path,
        "detail": "Operacja wygasła i nie jest już dostępna.",
        "timestamp": iso(sim_of(request).now()),
        "traceId": binascii.hexlify(sha256(request.url.path.encode())[:16]).decode(),
    }
    return JSONResponse(body, status_code=410, media_type="application/problem+json")


def _check_token_still_active(sim: Simulator, doc: dict[str, Any]) -> None:
    ref = doc.get("ksefTokenRef")
    if doc.get("method") == "Token" and ref:
        token = sim.state.get("ksef_token", ref)
        if token is None or token.get("status") != "Active":
            raise ApiError(21301, "Token KSeF został unieważniony.")


def _claims_of(doc: dict[str, Any], permissions: list[str]) -> dict[str, Any]:
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


@router.post("/auth/token/redeem", dependencies=[Depends(public)])
def redeem(request: Request) -> dict[str, Any]:
    sim = sim_of(request)
    caller = caller_from_request(request, ("operation",))
    with sim.state.lock:
        doc = sim.state.get("auth", caller.auth_ref)
        if doc is None:
            raise ApiError(
                21304,
                f"Operacja uwierzytelniania {caller.auth_ref} nie została znaleziona.",
            )
        if doc.get("redeemed"):
            raise ApiError(
                21301, f"Tokeny dla operacji uwierzytelniania {caller.auth_ref} zostały już pobrane."
            )
        status = effective_status(doc, sim.now())
        if status != 200:
            raise ApiError(21301, f"Status uwierzytelniania ({status}) nie pozwala na pobranie tokenów.")
        _check_token_still_active(sim, doc)
        claims = _claims_of(doc, list(doc.get("permissions") or []))
        access, access_exp = sim.tokens.issue("access", claims, ACCESS_TTL)
        refresh, refresh_exp = sim.tokens.issue("refresh", claims, REFRESH_TTL)
        doc["redeemed"] = True
        doc["refreshTokenValidUntil"] = iso(refresh_exp)
        sim.state.put("auth", caller.auth_ref, doc)
    return {
        "accessToken": {"token": access, "validUntil": iso(access_exp)},
        "refreshToken": {"token": refresh, "validUntil": iso(refresh_exp)},
    }


@router.post("/auth/token/refresh", dependencies=[Depends(public)])
def refresh_token(request: Request) -> dict[str, Any]:
    from fakturnik.simulator import grants

    sim = sim_of(request)
    caller = caller_from_request(request, ("refresh",))
    doc = sim.state.get("auth", caller.auth_ref)
    if doc is None:
        raise ApiError(
            21304,
            f"Operacja uwierzytelniania o numerze referencyjnym {caller.auth_ref} nie została znaleziona.",
        )
    if doc.get("status") != 200:
        raise ApiError(
            21301,
            f"Status uwierzytelniania ({doc.get('status')}) nie pozwala na odświeżenie tokenu dostępowego.",
        )
    _check_token_still_active(sim, doc)
    if grants.is_subject_deceased(sim, doc["subjectType"], doc["subjectValue"]):
        raise ApiError(21308)
    if doc.get("minted"):  # mint_session froze the permissions it was given
        perms = set(doc.get("permissions") or [])
    else:
        perms = set(
            grants.permissions_for(
                sim, doc["contextType"], doc["contextValue"], doc["subjectType"], doc["subjectValue"]
            )
        )
    if doc.get("method") == "Token" and doc.get("ksefTokenRef"):
        token = sim.state.get("ksef_token", doc["ksefTokenRef"]) or {}
        perms &= set(token.get("requestedPermissions") or [])
    if not perms:
        raise ApiError(21301, "Podmiot utracił uprawnienia w kontekście.")
    access, access_exp = sim.tokens.issue("access", _claims_of(doc, sorted(perms)), ACCESS_TTL)
    doc["lastTokenRefreshDate"] = iso(sim.now())
    sim.state.put("auth", caller.auth_ref, doc)
    return {"accessToken": {"token": access, "validUntil": iso(access_exp)}}
