"""KSeF permissions as input: who may be granted what, checked before anything is sent (pure).

A grant that cannot succeed is refused here with a precise Polish message and nothing changes:
a PESEL or NIP with a bad checksum, a fingerprint that is not 64 hex digits, a grant to oneself,
a right the kind of subject cannot hold (an entity holds only invoice rights), an unknown right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from stdnum.pl import nip as pl_nip
from stdnum.pl import pesel as pl_pesel

from fakturnik.engine.refusals import PERMISSION_LABELS_PL
from fakturnik.errors import InputError, Problem

__all__ = [
    "AUTHORIZATIONS",
    "GRANTABLE",
    "SubjectId",
    "check_not_self",
    "check_permissions",
    "parse_eu_vat",
    "parse_nip",
    "parse_subject",
    "permission_label",
]

SubjectType = Literal["Nip", "Pesel", "Fingerprint"]

# what each kind of grant may carry (the contract's enums)
GRANTABLE: Final[dict[str, tuple[str, ...]]] = {
    "person": (
        "InvoiceWrite",
        "InvoiceRead",
        "CredentialsManage",
        "CredentialsRead",
        "Introspection",
        "SubunitManage",
        "EnforcementOperations",
        "CollectiveIdentifierManage",
    ),
    "entity": ("InvoiceWrite", "InvoiceRead"),
    "indirect": ("InvoiceWrite", "InvoiceRead"),
    "eu_entity": ("InvoiceWrite", "InvoiceRead"),
}
KIND_LABELS_PL: Final = {
    "person": "osoba",
    "entity": "podmiot (np. biuro rachunkowe)",
    "indirect": "pracownik biura (uprawnienie pośrednie)",
    "eu_entity": "podmiot unijny",
    "authorization": "upoważnienie",
    "subunit": "jednostka podrzędna",
}

# authorizations (one right each), by the names people use → KSeF's
AUTHORIZATIONS: Final[dict[str, str]] = {
    "self_billing": "SelfInvoicing",
    "tax_representative": "TaxRepresentative",
    "rr": "RRInvoicing",
    "pef": "PefInvoicing",
}
AUTHORIZATION_LABELS_PL: Final = {
    "SelfInvoicing": "samofakturowanie",
    "TaxRepresentative": "przedstawiciel podatkowy",
    "RRInvoicing": "faktury VAT RR",
    "PefInvoicing": "faktury PEF",
    "CollectiveIdentifierManage": "identyfikatory zbiorcze",
}

_FINGERPRINT = re.compile(r"^[0-9A-Fa-f]{64}$")


@dataclass(frozen=True)
class SubjectId:
    """A subject as KSeF identifies it."""

    type: SubjectType
    value: str

    @property
    def key(self) -> str:
        return f"{self.type}:{self.value}"


def permission_label(permission: str) -> str:
    text = PERMISSION_LABELS_PL.get(permission) or AUTHORIZATION_LABELS_PL.get(permission)
    return f"{text} ({permission})" if text else permission


def parse_nip(value: str, field: str = "nip") -> str:
    """A NIP (dashes and spaces allowed) with a valid checksum, or InputError."""
    digits = re.sub(r"[\s-]", "", str(value or ""))
    if not re.fullmatch(r"\d{10}", digits):
        raise InputError(f"NIP musi mieć 10 cyfr (podano „{value}”)", field)
    if not pl_nip.is_valid(digits):
        raise InputError(f"NIP {digits} ma błędną sumę kontrolną", field)
    return digits


def parse_subject(value: str, field: str = "identifier") -> SubjectId:
    """PESEL (11 digits), NIP (10 digits) or a certificate fingerprint (64 hex digits, SHA-256)."""
    text = re.sub(r"[\s-]", "", str(value or ""))
    if _FINGERPRINT.fullmatch(text):
        return SubjectId("Fingerprint", text.upper())
    if re.fullmatch(r"\d{11}", text):
        if not pl_pesel.is_valid(text):
            raise InputError(f"PESEL {text} ma błędną sumę kontrolną lub datę urodzenia", field)
        return SubjectId("Pesel", text)
    if re.fullmatch(r"\d{10}", text):
        return SubjectId("Nip", parse_nip(text, field))
    raise InputError(
        "podaj PESEL (11 cyfr), NIP (10 cyfr) albo odcisk certyfikatu (SHA-256, 64 znaki szesnastkowe)",
        field,
    )


def check_permissions(
    kind: str, permissions: list[str] | tuple[str, ...], field: str = "permissions"
) -> list[str]:
    """The rights, deduplicated, each one the kind of subject may hold; else InputError naming them."""
    allowed = GRANTABLE[kind]
    chosen = list(dict.fromkeys(str(p) for p in permissions))
    if not chosen:
        raise InputError("wybierz co najmniej jedno uprawnienie", field)
    problems = [
        Problem(
            f"{field}[{i}]",
            f"uprawnienia {permission_label(p)} nie można nadać: {KIND_LABELS_PL[kind]} może otrzymać "
            f"tylko {', '.join(permission_label(a) for a in allowed)}",
            "invalid",
        )
        for i, p in enumerate(chosen)
        if p not in allowed
    ]
    if problems:
        raise InputError(problems)
    return chosen


def check_not_self(subject: SubjectId, company_nip: str, field: str = "identifier") -> None:
    """KSeF refuses a grant to the context itself (status 440): refuse it before asking."""
    if subject.type == "Nip" and subject.value == company_nip:
        raise InputError(f"nie można nadać uprawnień samemu sobie: NIP {company_nip} to ta sama firma", field)


def description_of(description: str | None, default: str) -> str:
    """KSeF wants 5-256 characters."""
    text = (description or "").strip() or default
    if len(text) < 5:
        raise InputError("opis uprawnienia musi mieć co najmniej 5 znaków", "description")
    return text[:256]


def check_person_name(first_name: str | None, last_name: str | None) -> tuple[str, str]:
    first, last = (first_name or "").strip(), (last_name or "").strip()
    problems = []
    if not 2 <= len(first) <= 30:
        problems.append(Problem("first_name", "imię musi mieć od 2 do 30 znaków", "invalid"))
    if not 2 <= len(last) <= 81:
        problems.append(Problem("last_name", "nazwisko musi mieć od 2 do 81 znaków", "invalid"))
    if problems:
        raise InputError(problems)
    return first, last


def check_entity_name(name: str | None, fallback: str) -> str:
    text = (name or "").strip() or fallback
    if not 5 <= len(text) <= 90:
        raise InputError("pełna nazwa podmiotu musi mieć od 5 do 90 znaków", "name")
    return text


def parse_eu_vat(value: str, field: str = "vat_ue") -> str:
    """The EU VAT number of an entity of another member state (``DE123456789``), checked with the
    per-country pattern of the KSeF contract; spaces and dashes are ignored."""
    from pydantic import ValidationError

    from fakturnik.ksef import models as m

    text = re.sub(r"[\s-]", "", str(value or "")).upper()
    if text.startswith("PL"):
        raise InputError("podmiot unijny ma numer VAT UE innego państwa niż Polska (np. DE123456789)", field)
    try:
        m.EuEntityPermissionsQueryRequest(vatUeIdentifier=text)
    except ValidationError:
        raise InputError(
            f"nieprawidłowy numer VAT UE {text!r}: kod kraju i numer według wzoru tego kraju, "
            "np. DE123456789",
            field,
        ) from None
    return text
