"""The X.500 names of KSeF certificates: the one table of enrollment-data fields and their attributes.

``GET /certificates/enrollments/data`` names a certificate subject's attributes by field
(``commonName``, ``organizationIdentifier`` ...); a CSR (``ksef.csr``), the simulator's certificate
authority (``simulator.ca``) and its reading of a signer's certificate (``simulator.xades_verify``)
all translate through :data:`DN_FIELDS` and the two functions below.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID, ObjectIdentifier

__all__ = ["DN_FIELDS", "ORGANIZATION_IDENTIFIER", "UNIQUE_IDENTIFIER", "fields_of", "name_of"]

ORGANIZATION_IDENTIFIER: ObjectIdentifier = NameOID.ORGANIZATION_IDENTIFIER  # 2.5.4.97 (VATPL-…)
UNIQUE_IDENTIFIER: ObjectIdentifier = NameOID.X500_UNIQUE_IDENTIFIER  # 2.5.4.45

DN_FIELDS: dict[str, ObjectIdentifier] = {
    "commonName": NameOID.COMMON_NAME,
    "countryName": NameOID.COUNTRY_NAME,
    "givenName": NameOID.GIVEN_NAME,
    "surname": NameOID.SURNAME,
    "serialNumber": NameOID.SERIAL_NUMBER,
    "uniqueIdentifier": UNIQUE_IDENTIFIER,
    "organizationName": NameOID.ORGANIZATION_NAME,
    "organizationIdentifier": ORGANIZATION_IDENTIFIER,
}
"""Enrollment-data field → X.500 attribute, in the order KSeF lists them."""


def name_of(fields: Mapping[str, Any]) -> x509.Name:
    """The subject with every non-empty known field, in the order given (unknown fields left out).

    ``x500UniqueIdentifier`` too goes as a UTF8String: KSeF hands it out as text, and the official
    clients put the text into the CSR unchanged.
    """
    return x509.Name(
        [
            x509.NameAttribute(DN_FIELDS[key], str(value))
            for key, value in fields.items()
            if key in DN_FIELDS and value not in (None, "")
        ]
    )


def fields_of(name: x509.Name) -> dict[str, str]:
    """A subject in enrollment-data fields: the first value of each known attribute, in table order."""
    out: dict[str, str] = {}
    for key, oid in DN_FIELDS.items():
        found = name.get_attributes_for_oid(oid)
        if found:
            value = found[0].value
            out[key] = value if isinstance(value, str) else value.decode("utf-8", "replace")
    return out
