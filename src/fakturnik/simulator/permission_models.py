"""Request bodies of the permission, limit and test-data endpoints, as open-api.json declares them.

A body that breaks these models is answered with 21405 (see ``app.on_validation``). Unknown
properties are ignored, as KSeF does. They are the simulator's own where it checks more than
``ksef.models`` (closed enums, 32-bit bounds, optional groups of an older API); a body the contract's
model checks fully is that model (``SetSessionLimits``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from fakturnik.ksef import models as km

NIP_PATTERN = r"^[1-9]((\d[1-9])|([1-9]\d))\d{7}$"
PESEL_PATTERN = r"^\d{2}(?:0[1-9]|1[0-2]|2[1-9]|3[0-2]|4[1-9]|5[0-2]|6[1-9]|7[0-2]|8[1-9]|9[0-2])\d{7}$"

Description = Annotated[str, Field(min_length=5, max_length=256)]
NipStr = Annotated[str, Field(min_length=10, max_length=10, pattern=NIP_PATTERN)]
PeselStr = Annotated[str, Field(min_length=11, max_length=11, pattern=PESEL_PATTERN)]
PersonPermission = Literal[
    "CredentialsManage",
    "CredentialsRead",
    "InvoiceWrite",
    "InvoiceRead",
    "Introspection",
    "SubunitManage",
    "EnforcementOperations",
    "CollectiveIdentifierManage",  # 2.7.0
]
PersonalPermissionType = Literal[
    "CredentialsManage",
    "CredentialsRead",
    "InvoiceWrite",
    "InvoiceRead",
    "Introspection",
    "SubunitManage",
    "EnforcementOperations",
    "VatUeManage",
    "CollectiveIdentifierManage",  # 2.7.0
]
InvoicePermission = Literal["InvoiceWrite", "InvoiceRead"]
AuthorizationPermission = Literal["SelfInvoicing", "RRInvoicing", "TaxRepresentative", "PefInvoicing"]


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class NipIdent(Body):
    type: Literal["Nip"]
    value: Annotated[str, Field(min_length=10, max_length=10)]


class PersonSubjectIdent(Body):
    type: Literal["Nip", "Pesel", "Fingerprint"]
    value: Annotated[str, Field(min_length=10, max_length=64)]


class AuthorizationSubjectIdent(Body):
    type: Literal["Nip", "PeppolId"]
    value: Annotated[str, Field(min_length=9, max_length=10)]


class ContextIdent(Body):
    type: Literal["Nip", "InternalId"]
    value: Annotated[str, Field(min_length=10, max_length=16)]


class FingerprintIdent(Body):
    type: Literal["Fingerprint"]
    value: Annotated[str, Field(min_length=64, max_length=64)]


class NipVatUeIdent(Body):
    type: Literal["NipVatUe"]
    value: Annotated[str, Field(min_length=15, max_length=25)]


# -- subject details ------------------------------------------------------------------------------


class PersonName(Body):
    firstName: Annotated[str, Field(min_length=2, max_length=30)]
    lastName: Annotated[str, Field(min_length=2, max_length=81)]


class PersonIdentifier(Body):
    type: Literal["Pesel", "Nip"]
    value: Annotated[str, Field(min_length=10, max_length=11)]


class IdDocument(Body):
    type: Annotated[str, Field(max_length=20)]
    number: Annotated[str, Field(max_length=20)]
    country: Annotated[str, Field(min_length=2, max_length=2)]


class PersonByFpWithId(PersonName):
    identifier: PersonIdentifier


class PersonByFpNoId(PersonName):
    birthDate: date
    idDocument: IdDocument


class EntityByFp(Body):
    fullName: Annotated[str, Field(max_length=100)]
    address: Annotated[str, Field(max_length=512)]


class PersonSubjectDetails(Body):
    subjectDetailsType: Literal[
        "PersonByIdentifier", "PersonByFingerprintWithIdentifier", "PersonByFingerprintWithoutIdentifier"
    ]
    personById: PersonName | None = None
    personByFpWithId: PersonByFpWithId | None = None
    personByFpNoId: PersonByFpNoId | None = None


class EuSubjectDetails(Body):
    subjectDetailsType: Literal[
        "PersonByFingerprintWithIdentifier", "PersonByFingerprintWithoutIdentifier", "EntityByFingerprint"
    ]
    personByFpWithId: PersonByFpWithId | None = None
    personByFpNoId: PersonByFpNoId | None = None
    entityByFp: EntityByFp | None = None


class EntityDetails(Body):
    fullName: Annotated[str, Field(min_length=5, max_length=90)]


# -- grants ---------------------------------------------------------------------------------------


class PersonGrantRequest(Body):
    subjectIdentifier: PersonSubjectIdent
    permissions: list[PersonPermission]
    description: Description
    subjectDetails: PersonSubjectDetails


class EntityPermission(Body):
    type: InvoicePermission
    canDelegate: bool = False


class EntityGrantRequest(Body):
    subjectIdentifier: NipIdent
    permissions: list[EntityPermission]
    description: Description
    subjectDetails: EntityDetails


class AuthorizationGrantRequest(Body):
    subjectIdentifier: AuthorizationSubjectIdent
    permission: AuthorizationPermission
    description: Description
    subjectDetails: EntityDetails


class IndirectTarget(Body):
    type: Literal["Nip", "AllPartners", "InternalId"]
    value: Annotated[str, Field(min_length=10, max_length=16)] | None = None


class IndirectGrantRequest(Body):
    subjectIdentifier: PersonSubjectIdent
    targetIdentifier: IndirectTarget | None = None
    permissions: list[InvoicePermission]
    description: Description
    subjectDetails: PersonSubjectDetails


class SubunitGrantRequest(Body):
    subjectIdentifier: PersonSubjectIdent
    contextIdentifier: ContextIdent
    description: Description
    subunitName: Annotated[str, Field(min_length=5, max_length=256)] | None = None
    subjectDetails: PersonSubjectDetails


class EuAdminGrantRequest(Body):
    subjectIdentifier: FingerprintIdent
    contextIdentifier: NipVatUeIdent
    description: Description
    euEntityName: Annotated[str, Field(min_length=5, max_length=256)]
    subjectDetails: EuSubjectDetails
    euEntityDetails: EntityByFp


class EuRepGrantRequest(Body):
    subjectIdentifier: FingerprintIdent
    permissions: list[InvoicePermission]
    description: Description
    subjectDetails: EuSubjectDetails


# -- queries --------------------------------------------------------------------------------------

PermissionState = Literal["Active", "Inactive"]


class PersonalQuery(Body):
    contextIdentifier: ContextIdent | None = None
    targetIdentifier: IndirectTarget | None = None
    permissionTypes: list[PersonalPermissionType] | None = None
    permissionState: PermissionState | None = None


class AuthorIdent(Body):
    type: Literal["Nip", "Pesel", "Fingerprint", "System"]
    value: Annotated[str, Field(min_length=10, max_length=64)] | None = None


class PersonsQuery(Body):
    authorIdentifier: AuthorIdent | None = None
    authorizedIdentifier: PersonSubjectIdent | None = None
    contextIdentifier: ContextIdent | None = None
    targetIdentifier: IndirectTarget | None = None
    permissionTypes: list[PersonPermission] | None = None
    permissionState: PermissionState | None = None
    queryType: Literal["PermissionsInCurrentContext", "PermissionsGrantedInCurrentContext"]


class SubunitsQuery(Body):
    subunitIdentifier: ContextIdent | None = None


class EntitiesQuery(Body):
    contextIdentifier: ContextIdent | None = None


class SubordinatesQuery(Body):
    subordinateEntityIdentifier: NipIdent | None = None


class AuthorizationsQuery(Body):
    authorizingIdentifier: NipIdent | None = None
    authorizedIdentifier: AuthorizationSubjectIdent | None = None
    queryType: Literal["Granted", "Received"]
    permissionTypes: list[AuthorizationPermission] | None = None


EU_VAT_PATTERN = (
    r"^(ATU\d{8}|BE[01]{1}\d{9}|BG\d{9,10}|CY\d{8}[A-Z]|CZ\d{8,10}|DE\d{9}|DK\d{8}|EE\d{9}|EL\d{9}|"
    r"ES([A-Z]\d{8}|\d{8}[A-Z]|[A-Z]\d{7}[A-Z])|FI\d{8}|FR[A-Z0-9]{2}\d{9}|HR\d{11}|HU\d{8}|"
    r"IE(\d{7}[A-Z]{2}|\d[A-Z0-9+*]\d{5}[A-Z])|IT\d{11}|LT(\d{9}|\d{12})|LU\d{8}|LV\d{11}|MT\d{8}|"
    r"NL[A-Z0-9+*]{12}|PT\d{9}|RO\d{2,10}|SE\d{12}|SI\d{8}|SK\d{10}|XI((\d{9}|\d{12})|(GD|HA)\d{3}))$"
)


class EuEntitiesQuery(Body):
    vatUeIdentifier: Annotated[str, Field(pattern=EU_VAT_PATTERN)] | None = None
    authorizedFingerprintIdentifier: str | None = None
    permissionTypes: list[Literal["VatUeManage", "InvoiceWrite", "InvoiceRead", "Introspection"]] | None = (
        None
    )


# -- test data and limits -------------------------------------------------------------------------


class Subunit(Body):
    subjectNip: NipStr
    description: Description


class SubjectCreate(Body):
    subjectNip: NipStr
    subjectType: Literal["EnforcementAuthority", "VatGroup", "JST"]
    subunits: list[Subunit] | None = None
    description: Description
    createdDate: datetime | None = None


class SubjectRemove(Body):
    subjectNip: NipStr


class PersonCreate(Body):
    nip: NipStr
    pesel: PeselStr
    isBailiff: bool
    description: Description
    isDeceased: bool = False
    createdDate: datetime | None = None


class PersonRemove(Body):
    nip: NipStr


class TestDataPermission(Body):
    description: Description
    permissionType: Literal[
        "InvoiceRead",
        "InvoiceWrite",
        "Introspection",
        "CredentialsRead",
        "CredentialsManage",
        "EnforcementOperations",
        "SubunitManage",
        "CollectiveIdentifierManage",  # 2.7.0
    ]


class TestDataPermissionsGrant(Body):
    contextIdentifier: NipIdent
    authorizedIdentifier: PersonSubjectIdent
    permissions: list[TestDataPermission]


class TestDataPermissionsRevoke(Body):
    contextIdentifier: NipIdent
    authorizedIdentifier: PersonSubjectIdent


class AttachmentGrant(Body):
    nip: NipStr


class AttachmentRevoke(Body):
    nip: NipStr
    expectedEndDate: date | None = None


class AuthContextIdent(Body):
    type: Literal["Nip", "InternalId", "NipVatUe", "PeppolId"]
    value: str


class ContextBlock(Body):
    contextIdentifier: AuthContextIdent | None = None


class SetSessionLimits(km.SetSessionLimitsRequest):
    """The contract's body itself: it has no enum to keep closed and declares every bound."""

    model_config = ConfigDict(extra="ignore", defer_build=False)


class EnrollmentOverride(Body):
    maxEnrollments: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = None


class CertificateOverride(Body):
    maxCertificates: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = None


class SetSubjectLimits(Body):
    subjectIdentifierType: Literal["Nip", "Pesel", "Fingerprint"] | None = None
    enrollment: EnrollmentOverride | None = None
    certificate: CertificateOverride | None = None


Int32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]


class RateLimitValues(Body):
    perSecond: Int32
    perMinute: Int32
    perHour: Int32


class RateLimitsOverride(Body):
    onlineSession: RateLimitValues
    batchSession: RateLimitValues
    invoiceSend: RateLimitValues
    invoiceStatus: RateLimitValues
    sessionList: RateLimitValues
    sessionInvoiceList: RateLimitValues
    sessionMisc: RateLimitValues
    invoiceMetadata: RateLimitValues
    invoiceExport: RateLimitValues
    invoiceExportStatus: RateLimitValues
    invoiceDownload: RateLimitValues
    other: RateLimitValues
    # required by 2.7.0 (collectiveIdentifier) and 2.8.0 (the close groups); optional here so that a body
    # written for an older API still switches the groups it names, the others keep their published values
    collectiveIdentifier: RateLimitValues | None = None
    onlineSessionClose: RateLimitValues | None = None
    batchSessionClose: RateLimitValues | None = None


class SetRateLimits(Body):
    rateLimits: RateLimitsOverride
