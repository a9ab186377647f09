"""The kinds of KSeF grant a company makes: one table the REST API, the CLI and the web page read.

A row names the ``fk.permissions`` method that makes the grant, the keyword fields it takes after the
company id (in the order of the method's parameters) and what the grant is, in Polish. The faces add
only what is theirs (the REST body model and path, the CLI command's options, the form's field names)
and send every grant through :func:`grant`, so a new kind of grant is one row here and one per face.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from fakturnik.app.permissions import OperationView, PermissionsService


@dataclass(frozen=True)
class GrantKind:
    """``key``: ``person``, ``entity``, … (also :attr:`GrantView.kind` once KSeF lists the grant);
    ``method``: the :class:`PermissionsService` method that makes it; ``fields``: that method's keyword
    parameters after the company id, the subject first; ``title``: what the grant is, in Polish (the REST
    operation's summary)."""

    key: str
    method: str
    fields: tuple[str, ...]
    title: str


GRANT_KINDS: dict[str, GrantKind] = {
    kind.key: kind
    for kind in (
        GrantKind(
            "person",
            "grant_person",
            ("identifier", "permissions", "first_name", "last_name", "description"),
            "Nadaj uprawnienia osobie (PESEL, NIP, odcisk certyfikatu)",
        ),
        GrantKind(
            "entity",
            "grant_entity",
            ("nip", "permissions", "can_delegate", "name", "description"),
            "Nadaj uprawnienia podmiotowi (np. biuru rachunkowemu)",
        ),
        GrantKind(
            "office",
            "grant_office",
            ("office_nip", "permissions", "name"),
            "Nadaj biuru rachunkowemu wystawianie i odbiór faktur, z prawem przekazania pracownikom",
        ),
        GrantKind(
            "authorization",
            "grant_authorization",
            ("nip", "kind", "name", "description"),
            "Nadaj upoważnienie (samofakturowanie, przedstawiciel podatkowy, VAT RR, PEF)",
        ),
        GrantKind(
            "indirect",
            "grant_indirect",
            ("identifier", "permissions", "client_nip", "first_name", "last_name", "description"),
            "Biuro: przekaż uprawnienia klientów pracownikowi (uprawnienie pośrednie)",
        ),
        GrantKind(
            "subunit",
            "grant_subunit_admin",
            ("identifier", "subunit", "subunit_name", "first_name", "last_name", "description"),
            "Nadaj administratora jednostki podrzędnej",
        ),
        GrantKind(
            "eu_entity",
            "grant_eu_entity",
            ("fingerprint", "permissions", "name", "address", "description"),
            "Nadaj uprawnienia podmiotowi unijnemu (odcisk certyfikatu)",
        ),
        GrantKind(
            "eu_admin",
            "grant_eu_admin",
            ("fingerprint", "vat_ue", "name", "address", "description"),
            "Nadaj administratora podmiotu unijnego (odcisk certyfikatu; KSeF tworzy kontekst NIP-VAT UE)",
        ),
    )
}


def grant(
    service: PermissionsService, kind: str, company_id: int, fields: Mapping[str, Any]
) -> OperationView:
    """Make a grant of ``kind`` in the company with ``fields`` (a subset of the row's ``fields``)."""
    row = GRANT_KINDS[kind]
    unknown = sorted(set(fields) - set(row.fields))
    if unknown:
        raise TypeError(f"{row.method} takes no {', '.join(unknown)}")
    return cast("OperationView", getattr(service, row.method)(company_id, **fields))
