"""KSeF 2.0 API: authentication (digest §3.1, §4, §14.2) and the public encryption keys (§3.8).

The state behind them lives in :mod:`fakturnik.simulator.auth_ops`. Submissions are judged at once: problems
KSeF reports synchronously are 400s, the others become the operation's final status (415, 450,
460, 470, 480), visible through ``GET /auth/{ref}`` exactly as KSeF shows them.
"""

from __future__ import annotations

import binascii
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from fakturnik.base.ksef_numbers import make_reference_number
from fakturnik.ksef.crypto import rsa_oaep_decrypt, sha256_b64, unb64
from fakturnik.simulator.auth_ops import (
    AUTH_RETENTION,
    METHOD_KSEF_CERT,
    METHOD_PEPPOL,
    METHOD_SEAL,
    METHOD_SIGNATURE,
    METHOD_TOKEN,
    NO_PERMISSIONS,
    check_subject_context,
    check_token_still_active,
    claims_of,
    consume_challenge,
    effective_status,
    find_ksef_token,
    iso,
    parse_dt,
    prune_challenges,
    revoke_operation,
    start_operation,
    status_body,
    subject_checks,
    subject_of,
)
from fakturnik.simulator.core import Sim, sim_of
from fakturnik.simulator.errors import ApiError, UnauthorizedError, gone
from fakturnik.simulator.paging import Continuation, page
from fakturnik.simulator.security import (
    ACCESS_TTL,
    REFRESH_TTL,
    Caller,
    caller_from_request,
    client_ip,
    public,
    require,
)
from fakturnik.simulator.xades_verify import (
    AuthRequestError,
    certificate_identity,
    verify_auth_request,
)

router = APIRouter()

# -- public keys -------------------------------------------------------------------------------------


@router.get("/security/public-key-certificates", dependencies=[Depends(public)])
def public_key_certificates(sim: Sim) -> list[dict[str, object]]:
    return sim.keys.public_key_certificates()


# -- challenge -----------------------------------------------------------------------------------------


@router.post("/auth/challenge", dependencies=[Depends(public)])
def auth_challenge(request: Request) -> dict[str, object]:
    sim = sim_of(request)
    now = sim.now()
    prune_challenges(sim)
    ref = make_reference_number("CR", now.date())
    ms = int(now.timestamp() * 1000)
    ip = client_ip(request)
    sim.state.put(
        "challenge",
        ref,
        {"challenge": ref, "timestamp": iso(now), "timestampMs": ms, "clientIp": ip, "used": False},
    )
    return {"challenge": ref, "timestamp": iso(now), "timestampMs": ms, "clientIp": ip}


# -- operations ----------------------------------------------------------------------------------------


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
        status, details, perms = subject_checks(sim, ctx.type, ctx.value, author["type"], author["value"])
        perms = sorted(set(perms) & set(token_doc["requestedPermissions"]))
        if status == 200 and not perms:
            status, details = 415, [NO_PERMISSIONS]
        token_doc["lastUseDate"] = sim.now().isoformat()
        sim.state.put("ksef_token", token_doc["referenceNumber"], token_doc)
    return start_operation(
        sim,
        client_ip(request),
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
    subject_type, subject_value = subject_of(
        identity, trust.record, req.subject_identifier_type, req.context_type
    )
    check_subject_context(req.context_type, subject_type)
    if trust.failure is not None:
        status, details, perms = 460, [trust.failure], list[str]()
    else:
        status, details, perms = subject_checks(
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
        client_ip(request),
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
            # the UPO names the signed auth document by its hash (SkrotDokumentuUwierzytelniajacego)
            "authDocumentHash": sha256_b64(data),
        },
    )


# -- status, redeem, refresh -----------------------------------------------------------------------------


@router.get("/auth/sessions")
def auth_sessions(
    sim: Sim,
    caller: Annotated[Caller, Depends(require("other"))],
    page_size: Annotated[int, Query(ge=10, le=100, alias="pageSize")] = 10,
    continuation: Continuation = None,
) -> dict[str, Any]:
    now = sim.now()
    items = [
        d
        for d in sim.state.all("auth")
        if d.get("contextType") == caller.context_type
        and d.get("contextValue") == caller.context_value
        and d.get("status") == 200
        and d.get("redeemed")
        and not d.get("revoked")
        and (not d.get("refreshTokenValidUntil") or parse_dt(d["refreshTokenValidUntil"]) > now)
    ]
    items.sort(key=lambda d: d["startDate"], reverse=True)
    return page(
        "items",
        items,
        page_size,
        continuation,
        lambda d: {
            **status_body(d),
            "referenceNumber": d["referenceNumber"],
            "isCurrent": d["referenceNumber"] == caller.auth_ref,
        },
    )


@router.delete("/auth/sessions/current", status_code=204)
def revoke_current(
    sim: Sim, caller: Annotated[Caller, Depends(require("other", kinds=("access", "refresh")))]
) -> Response:
    revoke_operation(sim, caller.auth_ref)
    return Response(status_code=204)


@router.delete("/auth/sessions/{referenceNumber}", status_code=204)
def revoke_session(
    reference_number: Annotated[str, Path(alias="referenceNumber")],
    sim: Sim,
    caller: Annotated[Caller, Depends(require("other"))],
) -> Response:
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


@router.get("/auth/{referenceNumber}", dependencies=[Depends(public)])
def auth_status(
    reference_number: Annotated[str, Path(alias="referenceNumber")], request: Request
) -> Response:
    sim = sim_of(request)
    _, doc = _operation_of(request, reference_number)
    if sim.now() - parse_dt(doc["startDate"]) > AUTH_RETENTION:
        return gone(request, sim.now())
    return JSONResponse(status_body(doc, sim.now()))


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
        check_token_still_active(sim, doc)
        claims = claims_of(doc, list(doc.get("permissions") or []))
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
    check_token_still_active(sim, doc)
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
    access, access_exp = sim.tokens.issue("access", claims_of(doc, sorted(perms)), ACCESS_TTL)
    doc["lastTokenRefreshDate"] = iso(sim.now())
    sim.state.put("auth", caller.auth_ref, doc)
    return {"accessToken": {"token": access, "validUntil": iso(access_exp)}}
