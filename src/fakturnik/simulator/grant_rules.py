"""Prerequisites of each grant kind (digest §11, §14.6): build the permission documents or refuse.

Malformed identifiers are input errors (21405, synchronous); a failed prerequisite (a missing
context role, a broken delegation chain, an inconsistent identifier) ends the asynchronous
operation with the status code KSeF documents, carried by :class:`GrantRefused`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from stdnum.pl import nip as stdnum_nip
from stdnum.pl import pesel as stdnum_pesel

from fakturnik.base.ksef_numbers import is_valid_internal_id
from fakturnik.simulator import permission_models as m
from fakturnik.simulator.core import Simulator
from fakturnik.simulator.errors import ApiError
from fakturnik.simulator.grants import (
    EU_ADMIN_PERMISSIONS,
    GrantRefused,
    Ident,
    Identifier,
    all_grants,
    context_nip,
    ident,
    new_grant,
    roles_of,
    subordinates_of,
)
from fakturnik.simulator.security import Caller

# ISO 3166-1 alpha-2 codes (idDocument.country).
_ISO_PAIRS = (
    "ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBTBVBWBYBZCACCCDCFCGCHCICKCLCMCN"
    "COCRCUCVCWCXCYCZDEDJDKDMDODZECEEEGEHERESETFIFJFKFMFOFRGAGBGDGEGFGGGHGIGLGMGNGPGQGRGSGTGUGWGYHKHM"
    "HNHRHTHUIDIEILIMINIOIQIRISITJEJMJOJPKEKGKHKIKMKNKPKRKWKYKZLALBLCLILKLRLSLTLULVLYMAMCMDMEMFMGMHMK"
    "MLMMMNMOMPMQMRMSMTMUMVMWMXMYMZNANCNENFNGNINLNONPNRNUNZOMPAPEPFPGPHPKPLPMPNPRPSPTPWPYQARERORSRURW"
    "SASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZTCTDTFTGTHTJTKTLTMTNTOTRTTTVTWTZUAUGUMUSUYUZVAVCVEVGVI"
    "VNVUWFWSYEYTZAZMZW"
)
ISO_COUNTRIES = frozenset(_ISO_PAIRS[i : i + 2] for i in range(0, len(_ISO_PAIRS), 2))
_NIP_RE = re.compile(r"^[1-9]((\d[1-9])|([1-9]\d))\d{7}$")
_PESEL_RE = re.compile(m.PESEL_PATTERN)
_FINGERPRINT_RE = re.compile(r"^[0-9A-Fa-f]{64}$")
_PEPPOL_RE = re.compile(r"^P[A-Z]{2}[0-9]{6}$")
_EU_VAT_RE = re.compile(m.EU_VAT_PATTERN)


# -- identifiers ----------------------------------------------------------------------------------


def check_identifier(sim: Simulator, kind: str, value: str, field: str) -> None:
    """Format (and on the prod profile checksum) of a NIP / PESEL / fingerprint / PeppolId → 21405."""
    strict = sim.config.profile == "prod"
    ok = True
    if kind == "Nip":
        ok = bool(_NIP_RE.match(value)) and (not strict or stdnum_nip.is_valid(value))
    elif kind == "Pesel":
        ok = bool(_PESEL_RE.match(value)) and (not strict or stdnum_pesel.is_valid(value))
    elif kind == "Fingerprint":
        ok = bool(_FINGERPRINT_RE.match(value))
    elif kind == "PeppolId":
        ok = bool(_PEPPOL_RE.match(value))
    elif kind == "InternalId":
        ok = (
            len(value) == 16 and bool(_NIP_RE.match(value[:10])) and value[10] == "-" and value[11:].isdigit()
        )
    if not ok:
        raise ApiError(21405, f"{field}: nieprawidłowy identyfikator typu {kind}.")


def check_person_details(subject: Ident, details: m.PersonSubjectDetails | m.EuSubjectDetails) -> None:
    """The details block must match the identifier kind (a fingerprint needs fingerprint details)."""
    kind = details.subjectDetailsType
    by_fp = subject[0] == "Fingerprint"
    if kind == "PersonByIdentifier":
        present = isinstance(details, m.PersonSubjectDetails) and details.personById is not None
        consistent = not by_fp
    elif kind == "PersonByFingerprintWithIdentifier":
        present, consistent = details.personByFpWithId is not None, by_fp
    elif kind == "PersonByFingerprintWithoutIdentifier":
        present, consistent = details.personByFpNoId is not None, by_fp
        if (
            details.personByFpNoId is not None
            and details.personByFpNoId.idDocument.country not in ISO_COUNTRIES
        ):
            raise GrantRefused(400, "idDocument.country: nieznany kod kraju ISO 3166-1 alfa-2.")
    else:  # EntityByFingerprint
        present = isinstance(details, m.EuSubjectDetails) and details.entityByFp is not None
        consistent = by_fp
    if not present:
        raise GrantRefused(410, f"subjectDetails: brak danych dla typu {kind}.")
    if not consistent:
        raise GrantRefused(410, f"subjectDetails: typ {kind} niezgodny z identyfikatorem {subject[0]}.")


def _subject(sim: Simulator, identifier: Identifier) -> Ident:
    """The grant's ``subjectIdentifier`` as (type, value), checked (21405 when malformed)."""
    subject = (identifier.type, identifier.value)
    check_identifier(sim, *subject, "subjectIdentifier")
    return subject


def _person(
    sim: Simulator, identifier: Identifier, details: m.PersonSubjectDetails | m.EuSubjectDetails
) -> Ident:
    """The person (or EU entity) a grant names, its identifier and its details checked."""
    subject = _subject(sim, identifier)
    check_person_details(subject, details)
    return subject


def _not_empty(permissions: Sequence[object]) -> None:
    if not permissions:
        raise GrantRefused(400, "permissions: lista uprawnień jest pusta.")


def person_details_json(details: m.PersonSubjectDetails | m.EuSubjectDetails) -> dict[str, Any]:
    """``subjectPersonDetails`` / ``subjectEntityDetails`` as the query endpoints return them."""
    kind = details.subjectDetailsType
    if kind == "EntityByFingerprint" and isinstance(details, m.EuSubjectDetails) and details.entityByFp:
        e = details.entityByFp
        return {"entity": {"subjectDetailsType": kind, "fullName": e.fullName, "address": e.address}}
    out: dict[str, Any] = {"subjectDetailsType": kind}
    if kind == "PersonByIdentifier" and isinstance(details, m.PersonSubjectDetails) and details.personById:
        out |= {"firstName": details.personById.firstName, "lastName": details.personById.lastName}
    elif kind == "PersonByFingerprintWithIdentifier" and details.personByFpWithId:
        p = details.personByFpWithId
        out |= {
            "firstName": p.firstName,
            "lastName": p.lastName,
            "personIdentifier": p.identifier.model_dump(),
        }
    elif details.personByFpNoId:
        q = details.personByFpNoId
        out |= {
            "firstName": q.firstName,
            "lastName": q.lastName,
            "birthDate": q.birthDate.isoformat(),
            "idDocument": q.idDocument.model_dump(),
        }
    return {"person": out}


def _author(caller: Caller) -> Ident:
    return (caller.subject_type, caller.subject_value)


def _context(caller: Caller) -> Ident:
    return (caller.context_type, caller.context_value)


def _granted(
    sim: Simulator,
    caller: Caller,
    kind: str,
    authorized: Ident,
    scopes: Iterable[str],
    description: str,
    *,
    context: Ident | None = None,
    **fields: Any,
) -> list[dict[str, Any]]:
    """One permission document per scope (each once), granted by the caller in its context (or in
    ``context``, the caller's then being the grantor's)."""
    return [
        new_grant(
            kind=kind,
            context=context or _context(caller),
            authorized=authorized,
            author=_author(caller),
            scope=scope,
            description=description,
            now=sim.now(),
            **fields,
        )
        for scope in dict.fromkeys(scopes)
    ]


# -- grant kinds ----------------------------------------------------------------------------------


def person_grants(sim: Simulator, caller: Caller, req: m.PersonGrantRequest) -> list[dict[str, Any]]:
    subject = _person(sim, req.subjectIdentifier, req.subjectDetails)
    _not_empty(req.permissions)
    if "EnforcementOperations" in req.permissions:
        nip = context_nip(caller.context_type, caller.context_value) or ""
        if not {"EnforcementAuthority", "CourtBailiff"} & {r["role"] for r in roles_of(sim, nip)}:
            raise GrantRefused(
                430, "EnforcementOperations wymaga roli EnforcementAuthority lub CourtBailiff kontekstu."
            )
    extra = person_details_json(req.subjectDetails)
    return _granted(sim, caller, "person", subject, req.permissions, req.description, extra=extra)


def entity_grants(sim: Simulator, caller: Caller, req: m.EntityGrantRequest) -> list[dict[str, Any]]:
    subject = _subject(sim, req.subjectIdentifier)  # a NIP
    if subject[1] == context_nip(caller.context_type, caller.context_value):
        raise GrantRefused(440, "Podmiot nie może nadać uprawnień samemu sobie.")
    _not_empty(req.permissions)
    entity = {"entity": {"subjectDetailsType": "EntityByIdentifier", "fullName": req.subjectDetails.fullName}}
    return [
        new_grant(
            kind="entity",
            context=_context(caller),
            authorized=subject,
            author=_author(caller),
            scope=p.type,
            can_delegate=p.canDelegate,
            description=req.description,
            now=sim.now(),
            extra=entity,
        )
        for p in req.permissions
    ]


def authorization_grant(
    sim: Simulator, caller: Caller, req: m.AuthorizationGrantRequest
) -> list[dict[str, Any]]:
    subject = _subject(sim, req.subjectIdentifier)
    if (req.permission == "PefInvoicing") != (subject[0] == "PeppolId"):
        raise GrantRefused(450, "PefInvoicing nadaje się wyłącznie dostawcy Peppol (PeppolId) i tylko jemu.")
    if subject[0] == "PeppolId" and sim.state.get("peppol_provider", subject[1]) is None:
        raise GrantRefused(410, "Nieznany dostawca usług Peppol.")
    if subject == ("Nip", caller.context_value):
        raise GrantRefused(440, "Podmiot nie może nadać uprawnień samemu sobie.")
    entity = {"entity": {"subjectDetailsType": "EntityByIdentifier", "fullName": req.subjectDetails.fullName}}
    return _granted(sim, caller, "authorization", subject, [req.permission], req.description, extra=entity)


def indirect_grants(sim: Simulator, caller: Caller, req: m.IndirectGrantRequest) -> list[dict[str, Any]]:
    subject = _person(sim, req.subjectIdentifier, req.subjectDetails)
    _not_empty(req.permissions)
    target: dict[str, Any] = {"type": "AllPartners"}
    if req.targetIdentifier is not None and req.targetIdentifier.type != "AllPartners":
        t = req.targetIdentifier
        if not t.value:
            raise GrantRefused(410, "targetIdentifier: brak wartości identyfikatora klienta.")
        if t.type == "InternalId" and not is_valid_internal_id(t.value):
            raise GrantRefused(
                410, "targetIdentifier: nieprawidłowa suma kontrolna identyfikatora wewnętrznego."
            )
        if t.type == "Nip":
            check_identifier(sim, "Nip", t.value, "targetIdentifier")
        target = {"type": t.type, "value": t.value}
        grants = all_grants(sim)
        for p in req.permissions:
            if not any(
                g["kind"] == "entity"
                and ident(g["context"]) == (t.type, t.value)
                and g["authorized"]["value"] == caller.context_value
                and g["scope"] == p
                and g["canDelegate"]
                for g in grants
            ):
                raise GrantRefused(
                    440,
                    f"Klient {t.value} nie nadał uprawnienia {p} z prawem do dalszego przekazywania.",
                )
    extra = person_details_json(req.subjectDetails)
    return _granted(
        sim, caller, "indirect", subject, req.permissions, req.description, target=target, extra=extra
    )


def subunit_grant(sim: Simulator, caller: Caller, req: m.SubunitGrantRequest) -> list[dict[str, Any]]:
    subject = _person(sim, req.subjectIdentifier, req.subjectDetails)
    unit = (req.contextIdentifier.type, req.contextIdentifier.value)
    if unit[0] == "InternalId":
        if not is_valid_internal_id(unit[1]):
            raise GrantRefused(
                410, "contextIdentifier: nieprawidłowa suma kontrolna identyfikatora wewnętrznego."
            )
        if unit[1][:10] != caller.context_value:
            raise GrantRefused(440, "Identyfikator wewnętrzny musi zaczynać się od NIP-u kontekstu.")
        if not req.subunitName:
            raise GrantRefused(
                400, "subunitName: nazwa jednostki jest wymagana dla identyfikatora wewnętrznego."
            )
    else:
        check_identifier(sim, "Nip", unit[1], "contextIdentifier")
        roles = {r["role"] for r in roles_of(sim, caller.context_value)}
        if not {"LocalGovernmentUnit", "VatGroupUnit"} & roles:
            raise GrantRefused(430, "Kontekst nie ma roli LocalGovernmentUnit ani VatGroupUnit.")
        members = {
            s["subordinateEntityIdentifier"]["value"] for s in subordinates_of(sim, caller.context_value)
        }
        if unit[1] not in members:
            raise GrantRefused(440, f"Podmiot {unit[1]} nie jest podmiotem podrzędnym kontekstu.")
    extra = person_details_json(req.subjectDetails) | {"subunitName": req.subunitName}
    return _granted(
        sim,
        caller,
        "subunit",
        subject,
        ["CredentialsManage"],
        req.description,
        context=unit,
        grantor_context=_context(caller),
        extra=extra,
    )


def eu_admin_grants(sim: Simulator, caller: Caller, req: m.EuAdminGrantRequest) -> list[dict[str, Any]]:
    subject = _person(sim, req.subjectIdentifier, req.subjectDetails)
    value = req.contextIdentifier.value
    nip, _, vat_ue = value.partition("-")
    if nip != caller.context_value:
        raise GrantRefused(440, "Kontekst złożony musi zaczynać się od NIP-u kontekstu logowania.")
    if not _EU_VAT_RE.match(vat_ue) or vat_ue.startswith("PL"):
        raise GrantRefused(410, "contextIdentifier: nieprawidłowy numer VAT UE.")
    group = str(uuid.uuid4())
    extra = person_details_json(req.subjectDetails) | {
        "euEntityName": req.euEntityName,
        "euEntityDetails": req.euEntityDetails.model_dump(),
    }
    return _granted(
        sim,
        caller,
        "euAdmin",
        subject,
        EU_ADMIN_PERMISSIONS,
        req.description,
        context=("NipVatUe", value),
        grantor_context=_context(caller),
        group_id=group,
        extra=extra,
    )


def eu_rep_grants(sim: Simulator, caller: Caller, req: m.EuRepGrantRequest) -> list[dict[str, Any]]:
    subject = _person(sim, req.subjectIdentifier, req.subjectDetails)
    _not_empty(req.permissions)
    admin = next(
        (g for g in all_grants(sim) if g["kind"] == "euAdmin" and ident(g["context"]) == _context(caller)),
        None,
    )
    eu_extra = {k: admin["extra"].get(k) for k in ("euEntityName", "euEntityDetails")} if admin else {}
    extra = person_details_json(req.subjectDetails) | eu_extra
    return _granted(sim, caller, "euRep", subject, req.permissions, req.description, extra=extra)


REVOCABLE_COMMON = frozenset({"person", "testdata", "entity", "indirect", "subunit", "euAdmin", "euRep"})


def revocable(sim: Simulator, caller: Caller, permission_id: str, kinds: frozenset[str]) -> dict[str, Any]:
    """The grant the caller's context may revoke, or :class:`GrantRefused`."""
    grant = sim.state.get("permission", permission_id)
    if grant is None or grant["kind"] not in kinds:
        raise GrantRefused(400, f"Uprawnienie {permission_id} nie istnieje.")
    here = _context(caller)
    if here not in (ident(grant["context"]), ident(grant.get("grantorContext"))):
        raise GrantRefused(420, "Uprawnienie nie zostało nadane w bieżącym kontekście.")
    return grant
