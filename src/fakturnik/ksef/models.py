"""Typed KSeF 2.0 request and response models, field names exactly as in open-api.json.

First generated from the official contract with datamodel-code-generator, then curated: descriptions dropped
(see open-api.json), Base64/URL/aware-datetime types relaxed to ``str``/``datetime`` (Base64 stays text, the
transport never decodes it implicitly), root-model wrappers turned into plain annotated aliases. Every model
ignores unknown properties (the API may add fields) and serializes with :func:`dump`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class KsefModel(BaseModel):
    """Base of every KSeF model: unknown properties ignored, population by field name or alias."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)


def dump(model: BaseModel) -> dict[str, Any]:
    """JSON-ready dict as KSeF expects it: aliases (``from``), no ``None`` members."""
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


Ip4Address = Annotated[
    str,
    Field(
        pattern="^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])$"
    ),
]
Ip4Range = Annotated[
    str,
    Field(
        pattern="^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])-((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])$"
    ),
]
Ip4Mask = Annotated[
    str,
    Field(
        pattern="^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])/(0|[1-9]|[12][0-9]|3[0-2])$"
    ),
]


class AllowedIps(KsefModel):
    ip4Addresses: list[Ip4Address] | None = None
    ip4Ranges: list[Ip4Range] | None = None
    ip4Masks: list[Ip4Mask] | None = None


class ApiError(KsefModel):
    code: int
    description: str
    details: list[str] | None = None


class ApiRateLimitValuesOverride(KsefModel):
    perSecond: int
    perMinute: int
    perHour: int


class ApiRateLimitsOverride(KsefModel):
    onlineSession: ApiRateLimitValuesOverride
    batchSession: ApiRateLimitValuesOverride
    invoiceSend: ApiRateLimitValuesOverride
    invoiceStatus: ApiRateLimitValuesOverride
    sessionList: ApiRateLimitValuesOverride
    sessionInvoiceList: ApiRateLimitValuesOverride
    sessionMisc: ApiRateLimitValuesOverride
    invoiceMetadata: ApiRateLimitValuesOverride
    invoiceExport: ApiRateLimitValuesOverride
    invoiceExportStatus: ApiRateLimitValuesOverride
    invoiceDownload: ApiRateLimitValuesOverride
    other: ApiRateLimitValuesOverride


class AuthenticationMethodInfo(KsefModel):
    category: Literal["XadesSignature", "NationalNode", "Token", "Other"]
    code: str
    displayName: str


class AuthorizationPolicy(KsefModel):
    allowedIps: AllowedIps | None = None


class BadRequestProblemDetails(KsefModel):
    title: str
    status: int
    instance: str
    detail: str
    errors: list[ApiError]
    timestamp: datetime
    traceId: str


class BatchSessionContextLimitsOverride(KsefModel):
    maxInvoiceSizeInMB: Annotated[int, Field(ge=0, le=5)]
    maxInvoiceWithAttachmentSizeInMB: Annotated[int, Field(ge=0, le=10)]
    maxInvoices: Annotated[int, Field(ge=0, le=100000)]


class BatchSessionEffectiveContextLimits(KsefModel):
    maxInvoiceSizeInMB: Annotated[int, Field(ge=0)]
    maxInvoiceWithAttachmentSizeInMB: Annotated[int, Field(ge=0)]
    maxInvoices: Annotated[int, Field(ge=0)]


class CertificateEffectiveSubjectLimits(KsefModel):
    maxCertificates: int | None = None


class CertificateEnrollmentDataResponse(KsefModel):
    commonName: str
    countryName: str
    givenName: str | None = None
    surname: str | None = None
    serialNumber: str | None = None
    uniqueIdentifier: str | None = None
    organizationName: str | None = None
    organizationIdentifier: str | None = None


class CertificateLimit(KsefModel):
    remaining: int
    limit: int


class CertificateLimitsResponse(KsefModel):
    canRequest: bool
    enrollment: CertificateLimit
    certificate: CertificateLimit


class CertificateSubjectLimitsOverride(KsefModel):
    maxCertificates: Annotated[int | None, Field(ge=0)] = None


class CheckAttachmentPermissionStatusResponse(KsefModel):
    isAttachmentAllowed: bool | None = None
    revokedDate: datetime | None = None


CommonSessionStatus = Literal["InProgress", "Succeeded", "Failed", "Cancelled"]


class EffectiveApiRateLimitValues(KsefModel):
    perSecond: int
    perMinute: int
    perHour: int


class EffectiveApiRateLimits(KsefModel):
    onlineSession: EffectiveApiRateLimitValues
    batchSession: EffectiveApiRateLimitValues
    invoiceSend: EffectiveApiRateLimitValues
    invoiceStatus: EffectiveApiRateLimitValues
    sessionList: EffectiveApiRateLimitValues
    sessionInvoiceList: EffectiveApiRateLimitValues
    sessionMisc: EffectiveApiRateLimitValues
    invoiceMetadata: EffectiveApiRateLimitValues
    invoiceExport: EffectiveApiRateLimitValues
    invoiceExportStatus: EffectiveApiRateLimitValues
    invoiceDownload: EffectiveApiRateLimitValues
    other: EffectiveApiRateLimitValues


class EncryptionInfo(KsefModel):
    encryptedSymmetricKey: str
    initializationVector: str
    publicKeyId: Annotated[str | None, Field(max_length=44, min_length=44)] = None


class EnrollmentEffectiveSubjectLimits(KsefModel):
    maxEnrollments: int | None = None


class EnrollmentSubjectLimitsOverride(KsefModel):
    maxEnrollments: Annotated[int | None, Field(ge=0)] = None


class EntityByFingerprintDetails(KsefModel):
    fullName: Annotated[str, Field(max_length=100)]
    address: Annotated[str, Field(max_length=512)]


class EntityDetails(KsefModel):
    fullName: Annotated[str, Field(max_length=90, min_length=5)]


class EuEntityDetails(KsefModel):
    fullName: Annotated[str, Field(max_length=100)]
    address: Annotated[str, Field(max_length=512)]


class EuEntityPermissionsQueryRequest(KsefModel):
    vatUeIdentifier: Annotated[
        str | None,
        Field(
            pattern="^(ATU\\d{8}|BE[01]{1}\\d{9}|BG\\d{9,10}|CY\\d{8}[A-Z]|CZ\\d{8,10}|DE\\d{9}|DK\\d{8}|EE\\d{9}|EL\\d{9}|ES([A-Z]\\d{8}|\\d{8}[A-Z]|[A-Z]\\d{7}[A-Z])|FI\\d{8}|FR[A-Z0-9]{2}\\d{9}|HR\\d{11}|HU\\d{8}|IE(\\d{7}[A-Z]{2}|\\d[A-Z0-9+*]\\d{5}[A-Z])|IT\\d{11}|LT(\\d{9}|\\d{12})|LU\\d{8}|LV\\d{11}|MT\\d{8}|NL[A-Z0-9+*]{12}|PT\\d{9}|RO\\d{2,10}|SE\\d{12}|SI\\d{8}|SK\\d{10}|XI((\\d{9}|\\d{12})|(GD|HA)\\d{3}))$"
        ),
    ] = None
    authorizedFingerprintIdentifier: str | None = None
    permissionTypes: list[Literal["VatUeManage", "InvoiceWrite", "InvoiceRead", "Introspection"]] | None = (
        None
    )


class ExceptionDetails(KsefModel):
    exceptionCode: int | None = None
    exceptionDescription: str | None = None
    details: list[str] | None = None


class ForbiddenProblemDetails(KsefModel):
    title: str
    status: int
    detail: str
    instance: str | None = None
    reasonCode: str
    security: dict[str, Any] | None = None
    traceId: str | None = None
    timestamp: datetime


class FormCode(KsefModel):
    systemCode: str
    schemaVersion: str
    value: str


class GoneProblemDetails(KsefModel):
    title: str
    status: int
    instance: str
    detail: str
    timestamp: datetime
    traceId: str


class IdDocument(KsefModel):
    type: Annotated[str, Field(max_length=20)]
    number: Annotated[str, Field(max_length=20)]
    country: Annotated[str, Field(max_length=2, min_length=2)]


InternalId = Annotated[
    str, Field(max_length=16, min_length=16, pattern="^[1-9]((\\d[1-9])|([1-9]\\d))\\d{7}-\\d{5}$")
]


class InvoiceMetadataBuyerIdentifier(KsefModel):
    type: Literal["Nip", "VatUe", "Other", "None"]
    value: Annotated[str | None, Field(max_length=50)] = None


class InvoiceQueryAmount(KsefModel):
    type: Literal["Brutto", "Netto", "Vat"]
    from_: Annotated[float | None, Field(alias="from")] = None
    to: float | None = None


class InvoiceQueryBuyerIdentifier(KsefModel):
    type: Literal["Nip", "VatUe", "Other", "None"]
    value: Annotated[str | None, Field(max_length=50)] = None


class InvoiceStatusInfo(KsefModel):
    code: int
    description: Annotated[str, Field(min_length=1)]
    details: list[str] | None = None
    extensions: dict[str, str] | None = None


NipVatUe = Annotated[
    str,
    Field(
        pattern="^[1-9]((\\d[1-9])|([1-9]\\d))\\d{7}-(ATU\\d{8}|BE[01]{1}\\d{9}|BG\\d{9,10}|CY\\d{8}[A-Z]|CZ\\d{8,10}|DE\\d{9}|DK\\d{8}|EE\\d{9}|EL\\d{9}|ES([A-Z]\\d{8}|\\d{8}[A-Z]|[A-Z]\\d{7}[A-Z])|FI\\d{8}|FR[A-Z0-9]{2}\\d{9}|HR\\d{11}|HU\\d{8}|IE(\\d{7}[A-Z]{2}|\\d[A-Z0-9+*]\\d{5}[A-Z])|IT\\d{11}|LT(\\d{9}|\\d{12})|LU\\d{8}|LV\\d{11}|MT\\d{8}|NL[A-Z0-9+*]{12}|PT\\d{9}|RO\\d{2,10}|SE\\d{12}|SI\\d{8}|SK\\d{10}|XI((\\d{9}|\\d{12})|(GD|HA)\\d{3}))$"
    ),
]


class OnlineSessionContextLimitsOverride(KsefModel):
    maxInvoiceSizeInMB: Annotated[int, Field(ge=0, le=5)]
    maxInvoiceWithAttachmentSizeInMB: Annotated[int, Field(ge=0, le=10)]
    maxInvoices: Annotated[int, Field(ge=0, le=100000)]


class OnlineSessionEffectiveContextLimits(KsefModel):
    maxInvoiceSizeInMB: Annotated[int, Field(ge=0)]
    maxInvoiceWithAttachmentSizeInMB: Annotated[int, Field(ge=0)]
    maxInvoices: Annotated[int, Field(ge=0)]


class OpenOnlineSessionRequest(KsefModel):
    formCode: FormCode
    encryption: EncryptionInfo


class PartUploadRequest(KsefModel):
    ordinalNumber: Annotated[int, Field(ge=1)]
    method: str
    url: str
    headers: dict[str, str]


class PeppolProvider(KsefModel):
    id: Annotated[str, Field(max_length=9, min_length=9, pattern="^P[A-Z]{2}[0-9]{6}$")]
    name: Annotated[str, Field(max_length=256)]
    dateCreated: datetime


class PermissionsEuEntityDetails(KsefModel):
    fullName: Annotated[str, Field(max_length=100)]
    address: Annotated[str, Field(max_length=512)]


class PermissionsSubjectEntityByFingerprintDetails(KsefModel):
    subjectDetailsType: Literal["EntityByFingerprint"]
    fullName: Annotated[str, Field(max_length=100)]
    address: Annotated[str | None, Field(max_length=512)] = None


class PermissionsSubjectEntityByIdentifierDetails(KsefModel):
    subjectDetailsType: Literal["EntityByIdentifier"]
    fullName: Annotated[str, Field(max_length=100)]


class PermissionsSubjectEntityDetails(KsefModel):
    subjectDetailsType: Literal["EntityByIdentifier", "EntityByFingerprint"]
    fullName: Annotated[str, Field(max_length=100)]
    address: Annotated[str | None, Field(max_length=512)] = None


class PersonByFingerprintWithoutIdentifierDetails(KsefModel):
    firstName: Annotated[str, Field(max_length=30, min_length=2)]
    lastName: Annotated[str, Field(max_length=81, min_length=2)]
    birthDate: date
    idDocument: IdDocument


class PersonDetails(KsefModel):
    firstName: Annotated[str, Field(max_length=30, min_length=2)]
    lastName: Annotated[str, Field(max_length=81, min_length=2)]


class PersonRemoveRequest(KsefModel):
    nip: Annotated[str, Field(max_length=10, min_length=10, pattern="^[1-9]((\\d[1-9])|([1-9]\\d))\\d{7}$")]


class QueryCertificatesRequest(KsefModel):
    certificateSerialNumber: Annotated[
        str | None, Field(max_length=16, min_length=16, pattern="^[0-9A-F]{16}$")
    ] = None
    name: str | None = None
    type: Literal["Authentication", "Offline"] | None = None
    status: Literal["Active", "Blocked", "Revoked", "Expired"] | None = None
    expiresAfter: datetime | None = None


class QueryPeppolProvidersResponse(KsefModel):
    peppolProviders: list[PeppolProvider]
    hasMore: bool


class RetrieveCertificatesListItem(KsefModel):
    certificate: str
    certificateName: str
    certificateSerialNumber: Annotated[str, Field(max_length=16, min_length=16, pattern="^[0-9A-F]{16}$")]
    certificateType: Literal["Authentication", "Offline"]


CertificateSerialNumber = Annotated[str, Field(max_length=16, min_length=16, pattern="^[0-9A-F]{16}$")]


class RetrieveCertificatesRequest(KsefModel):
    certificateSerialNumbers: Annotated[list[CertificateSerialNumber], Field(max_length=10, min_length=1)]


class RetrieveCertificatesResponse(KsefModel):
    certificates: list[RetrieveCertificatesListItem]


RetryAfter = int


class RevokeCertificateRequest(KsefModel):
    revocationReason: Literal["Unspecified", "Superseded", "KeyCompromise"] | None = None


class SendInvoiceResponse(KsefModel):
    referenceNumber: Annotated[str, Field(max_length=36, min_length=36)]


SessionType = Literal["Online", "Batch"]


class SetRateLimitsRequest(KsefModel):
    rateLimits: ApiRateLimitsOverride


class SetSessionLimitsRequest(KsefModel):
    onlineSession: OnlineSessionContextLimitsOverride
    batchSession: BatchSessionContextLimitsOverride


SortOrder = Literal["Asc", "Desc"]


class StatusInfo(KsefModel):
    code: int
    description: Annotated[str, Field(min_length=1)]
    details: list[str] | None = None


class SubjectRemoveRequest(KsefModel):
    subjectNip: Annotated[
        str, Field(max_length=10, min_length=10, pattern="^[1-9]((\\d[1-9])|([1-9]\\d))\\d{7}$")
    ]


class Subunit(KsefModel):
    subjectNip: Annotated[
        str, Field(max_length=10, min_length=10, pattern="^[1-9]((\\d[1-9])|([1-9]\\d))\\d{7}$")
    ]
    description: Annotated[str, Field(max_length=256, min_length=5)]


SystemWarning = str


class TokenAuthorIdentifierTypeIdentifier(KsefModel):
    type: Literal["Nip", "Pesel", "Fingerprint"]
    value: str


class TokenContextIdentifierTypeIdentifier(KsefModel):
    type: Literal["Nip", "InternalId", "NipVatUe", "PeppolId"]
    value: str


class TokenInfo(KsefModel):
    token: str
    validUntil: datetime


class TokenStatusResponse(KsefModel):
    referenceNumber: Annotated[str, Field(max_length=36, min_length=36)]
    authorIdentifier: TokenAuthorIdentifierTypeIdentifier
    contextIdentifier: TokenContextIdentifierTypeIdentifier
    description: Annotated[str, Field(max_length=256, min_length=5)]
    requestedPermissions: list[
        Literal[
            "InvoiceRead",
            "InvoiceWrite",
            "CredentialsRead",
            "CredentialsManage",
            "SubunitManage",
            "EnforcementOperations",
            "Introspection",
        ]
    ]
    dateCreated: datetime
    lastUseDate: datetime | None = None
    status: Literal["Pending", "Active", "Revoking", "Revoked", "Failed"]
    statusDetails: list[str] | None = None


class TooManyRequestsProblemDetails(KsefModel):
    title: str
    status: int
    instance: str
    detail: str
    timestamp: datetime
    traceId: str


class Status(KsefModel):
    code: int
    description: str
    details: list[str]


class TooManyRequestsResponse(KsefModel):
    status: Status


class UnauthorizedProblemDetails(KsefModel):
    title: str
    status: int
    detail: str
    instance: str | None = None
    traceId: str | None = None
    timestamp: datetime


class UpoPageResponse(KsefModel):
    referenceNumber: Annotated[str, Field(max_length=36, min_length=36)]
    downloadUrl: str
    downloadUrlExpirationDate: datetime


class UpoResponse(KsefModel):
    pages: list[UpoPageResponse]


class AttachmentPermissionGrantRequest(KsefModel):
    nip: Annotated[str, Field(max_length=10, min_length=10, pattern="^[1-9]((\\d[1-9])|([1-9]\\d))\\d{7}$")]


class AttachmentPermissionRevokeRequest(KsefModel):
    nip: Annotated[str, Field(max_length=10, min_length=10, pattern="^[1-9]((\\d[1-9])|([1-9]\\d))\\d{7}$")]
    expectedEndDate: date | None = None


class AuthenticationChallengeResponse(KsefModel):
    challenge: Annotated[str, Field(max_length=36, min_length=36)]
    timestamp: datetime
    timestampMs: int
    clientIp: str


class AuthenticationContextIdentifier(KsefModel):
    type: Literal["Nip", "InternalId", "NipVatUe", "PeppolId"]
    value: str


class AuthenticationInitResponse(KsefModel):
    referenceNumber: Annotated[str, Field(max_length=36, min_length=36)]
    authenticationToken: TokenInfo


class AuthenticationListItem(KsefModel):
    startDate: datetime
    authenticationMethod: Annotated[
        Literal[
            "Token",
            "TrustedProfile",
            "InternalCertificate",
            "QualifiedSignature",
            "QualifiedSeal",
            "PersonalSignature",
            "PeppolSignature",
        ],
        Field(deprecated=True),
    ]
    authenticationMethodInfo: AuthenticationMethodInfo
    status: StatusInfo
    isTokenRedeemed: bool | None = None
    lastTokenRefreshDate: datetime | None = None
    refreshTokenValidUntil: datetime | None = None
    referenceNumber: Annotated[str, Field(max_length=36, min_length=36)]
    isCurrent: bool | None = None


class AuthenticationListResponse(KsefModel):
    continuationToken: str | None = None
    items: list[AuthenticationListItem]


class AuthenticationOperationStatusResponse(KsefModel):
    startDate: datetime
    authenticationMethod: Annotated[
        Literal[
            "Token",
            "TrustedProfile",
            "InternalCertificate",
            "QualifiedSignature",
            "QualifiedSeal",
            "PersonalSignature",
            "PeppolSignature",
        ],
        Field(deprecated=True),
    ]
    authenticationMethodInfo: AuthenticationMethodInfo
    status: StatusInfo
    isTokenRedeemed: bool | None = None
    lastTokenRefreshDate: datetime | None = None
    refreshTokenValidUntil: datetime | None = None


class AuthenticationTokenRefreshResponse(KsefModel):
    accessToken: TokenInfo


class AuthenticationTokensResponse(KsefModel):
    accessToken: TokenInfo
    refreshToken: TokenInfo


class BatchFilePartInfo(KsefModel):
    ordinalNumber: Annotated[int, Field(ge=1)]
    fileSize: Annotated[int, Field(ge=1)]
    fileHash: Annotated[str, Field(max_length=44, min_length=44)]


class CertificateEnrollmentStatusResponse(KsefModel):
    requestDate: datetime
    status: StatusInfo
    certificateSerialNumber: Annotated[
        str | None, Field(max_length=16, min_length=16, pattern="^[0-9A-F]{16}$")
    ] = None


class CertificateSubjectIdentifier(KsefModel):
    type: Literal["Nip", "Pesel", "Fingerprint"]
    value: Annotated[str, Field(max_length=64, min_length=10)]


class EffectiveContextLimits(KsefModel):
    onlineSession: OnlineSessionEffectiveContextLimits
    batchSession: BatchSessionEffectiveContextLimits


class EffectiveSubjectLimits(KsefModel):
    enrollment: EnrollmentEffectiveSubjectLimits | None = None
    certificate: CertificateEffectiveSubjectLimits | None = None


class EnrollCertificateRequest(KsefModel):
    certificateName: Annotated[
        str, Field(max_length=100, min_length=5, pattern="^[a-zA-Z0-9_\\-\\ ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]+$")
    ]
    certificateType: Literal["Authentication", "Offline"]
    csr: str
    validFrom: datetime | None = None


class EnrollCertificateResponse(KsefModel):
    referenceNumber: Annotated[str, Field(max_length=36, min_length=36)]
    timestamp: datetime


class EntityAuthorizationPermissionsSubjectIdentifier(KsefModel):
    type: Literal["Nip", "PeppolId"]
    value: Annotated[str, Field(max_length=10, min_length=9)]


class EntityAuthorizationsAuthorIdentifier(KsefModel):
    type: Literal["Nip", "Pesel", "Fingerprint"]
    value: Annotated[str, Field(max_length=64, min_length=10)]


class EntityAuthorizationsAuthorizedEntityIdentifier(KsefModel):
    type: Literal["Nip", "PeppolId"]
    value: Annotated[str, Field(max_length=10, min_length=9)]


class EntityAuthorizationsAuthorizingEntityIdentifier(KsefModel):
    type: Literal["Nip"]
    value: Annotated[str, Field(max_length=10, min_length=10)]


class EntityPermission(KsefModel):
    type: Literal["InvoiceWrite", "InvoiceRead"]
    canDelegate: bool | None = None


class EntityPermissionsContextIdentifier(KsefModel):
    type: Literal["Nip", "InternalId"]
    value: Annotated[str, Field(max_length=16, min_length=10)]


class EntityPermissionsQueryRequest(KsefModel):
    contextIdentifier: EntityPermissionsContextIdentifier | None = None


class EntityPermissionsSubjectIdentifier(KsefModel):
    type: Literal["Nip"]
    value: Annotated[str, Field(max_length=10, min_length=10)]


class EntityPermissionsSubordinateEntityIdentifier(KsefModel):
    type: Literal["Nip"]
    value: Annotated[str, Field(max_length=10, min_length=10)]


class EntityRolesParentEntityIdentifier(KsefModel):
    type: Literal["Nip"]
    value: Annotated[str, Field(max_length=10, min_length=10)]


class EuEntityAdministrationPermissionsContextIdentifier(KsefModel):
    type: Literal["NipVatUe"]
    value: Annotated[str, Field(max_length=25, min_length=15)]


class EuEntityAdministrationPermissionsSubjectIdentifier(KsefModel):
    type: Literal["Fingerprint"]
    value: Annotated[str, Field(max_length=64, min_length=64)]


class EuEntityPermissionsAuthorIdentifier(KsefModel):
    type: Literal["Nip", "Pesel", "Fingerprint"]
    value: Annotated[str, Field(max_length=64, min_length=10)]


class EuEntityPermissionsSubjectIdentifier(KsefModel):
    type: Literal["Fingerprint"]
    value: Annotated[str, Field(max_length=64, min_length=64)]


class ExceptionInfo(KsefModel):
    exceptionDetailList: list[ExceptionDetails] | None = None
    referenceNumber: Annotated[str | None, Field(max_length=36, min_length=36)] = None
    serviceCode: str | None = None
    serviceCtx: str | None = None
    serviceName: str | None = None
    timestamp: datetime | None = None


class ExceptionResponse(KsefModel):
    exception: ExceptionInfo | None = None


class ExportInvoicesResponse(KsefModel):
    referenceNumber: Annotated[str, Field(max_length=36, min_length=36)]


class GenerateTokenRequest(KsefModel):
    permissions: list[
        Literal[
            "InvoiceRead",
            "InvoiceWrite",
            "CredentialsRead",
            "CredentialsManage",
            "SubunitManage",
            "EnforcementOperations",
            "Introspection",
        ]
    ]
    description: Annotated[str, Field(max_length=256, min_length=5)]


class GenerateTokenResponse(KsefModel):
    referenceNumber: Annotated[str, Field(max_length=36, min_length=36)]
    token: Annotated[str, Field(max_length=160)]


class IndirectPermissionsSubjectIdentifier(KsefModel):
    type: Literal["Nip", "Pesel", "Fingerprint"]
    value: Annotated[str, Field(max_length=64, min_length=10)]


class IndirectPermissionsTargetIdentifier(KsefModel):
    type: Literal["Nip", "AllPartners", "InternalId"]
    value: Annotated[str | None, Field(max_length=16, min_length=10)] = None


class InitTokenAuthenticationRequest(KsefModel):
    challenge: Annotated[str, Field(max_length=36, min_length=36)]
    contextIdentifier: AuthenticationContextIdentifier
    encryptedToken: str
    publicKeyId: Annotated[str | None, Field(max_length=44, min_length=44)] = None
    authorizationPolicy: AuthorizationPolicy | None = None


class InvoiceMetadataAuthorizedSubject(KsefModel):
    nip: Annotated[str, Field(max_length=10, min_length=10, pattern="^[1-9]((\\d[1-9])|([1-9]\\d))\\d{7}$")]
    name: Annotated[str | None, Field(max_length=512)] = None
    role: int


class InvoiceMetadataBuyer(KsefModel):
    identifier: InvoiceMetadataBuyerIdentifier
    name: Annotated[str | None, Field(max_length=512)] = None


class InvoiceMetadataSeller(KsefModel):
    nip: Annotated[str, Field(max_length=10, min_length=10, pattern="^[1-9]((\\d[1-9])|([1-9]\\d))\\d{7}$")]
    name: Annotated[str | None, Field(max_length=512)] = None


class InvoiceMetadataThirdSubjectIdentifier(KsefModel):
    type: Literal["Nip", "InternalId", "VatUe", "Other", "None"]
    value: Annotated[str | None, Field(max_length=50)] = None


class InvoicePackagePart(KsefModel):
    ordinalNumber: Annotated[int, Field(ge=1)]
    partName: Annotated[str, Field(max_length=100)]
    method: str
    url: str
    partSize: Annotated[int, Field(ge=1)]
    partHash: Annotated[str, Field(max_length=44, min_length=44)]
    encryptedPartSize: Annotated[int, Field(ge=1)]
    encryptedPartHash: Annotated[str, Field(max_length=44, min_length=44)]
    expirationDate: datetime


class InvoiceQueryDateRange(KsefModel):
    dateType: Literal["Issue", "Invoicing", "PermanentStorage"]
    from_: Annotated[datetime, Field(alias="from")]
    to: datetime | None = None
    restrictToPermanentStorageHwmDate: bool | None = None


class InvoiceQueryFilters(KsefModel):
    subjectType: Literal["Subject1", "Subject2", "Subject3", "SubjectAuthorized"]
    dateRange: InvoiceQueryDateRange
    ksefNumber: Annotated[
        str | None,
        Field(
            max_length=36,
            min_length=35,
            pattern="^([1-9](\\d[1-9]|[1-9]\\d)\\d{7})-(20[2-9][0-9]|2[1-9]\\d{2}|[3-9]\\d{3})(0[1-9]|1[0-2])(0[1-9]|[12]\\d|3[01])-([0-9A-F]{6})-?([0-9A-F]{6})-([0-9A-F]{2})$",
        ),
    ] = None
    invoiceNumber: Annotated[str | None, Field(max_length=256)] = None
    amount: InvoiceQueryAmount | None = None
    sellerNip: Annotated[
        str | None, Field(max_length=10, min_length=10, pattern="^[1-9]((\\d[1-9])|([1-9]\\d))\\d{7}$")
    ] = None
    buyerIdentifier: InvoiceQueryBuyerIdentifier | None = None
    currencyCodes: (
        list[
            Literal[
                "AED",
                "AFN",
                "ALL",
                "AMD",
                "ANG",
                "AOA",
                "ARS",
                "AUD",
                "AWG",
                "AZN",
                "BAM",
                "BBD",
                "BDT",
                "BGN",
                "BHD",
                "BIF",
                "BMD",
                "BND",
                "BOB",
                "BOV",
                "BRL",
                "BSD",
                "BTN",
                "BWP",
                "BYN",
                "BZD",
                "CAD",
                "CDF",
                "CHE",
                "CHF",
                "CHW",
                "CLF",
                "CLP",
                "CNY",
                "COP",
                "COU",
                "CRC",
                "CUC",
                "CUP",
                "CVE",
                "CZK",
                "DJF",
                "DKK",
                "DOP",
                "DZD",
                "EGP",
                "ERN",
                "ETB",
                "EUR",
                "FJD",
                "FKP",
                "GBP",
                "GEL",
                "GGP",
                "GHS",
                "GIP",
                "GMD",
                "GNF",
                "GTQ",
                "GYD",
                "HKD",
                "HNL",
                "HRK",
                "HTG",
                "HUF",
                "IDR",
                "ILS",
                "IMP",
                "INR",
                "IQD",
                "IRR",
                "ISK",
                "JEP",
                "JMD",
                "JOD",
                "JPY",
                "KES",
                "KGS",
                "KHR",
                "KMF",
                "KPW",
                "KRW",
                "KWD",
                "KYD",
                "KZT",
                "LAK",
                "LBP",
                "LKR",
                "LRD",
                "LSL",
                "LYD",
                "MAD",
                "MDL",
                "MGA",
                "MKD",
                "MMK",
                "MNT",
                "MOP",
                "MRU",
                "MUR",
                "MVR",
                "MWK",
                "MXN",
                "MXV",
                "MYR",
                "MZN",
                "NAD",
                "NGN",
                "NIO",
                "NOK",
                "NPR",
                "NZD",
                "OMR",
                "PAB",
                "PEN",
                "PGK",
                "PHP",
                "PKR",
                "PLN",
                "PYG",
                "QAR",
                "RON",
                "RSD",
                "RUB",
                "RWF",
                "SAR",
                "SBD",
                "SCR",
                "SDG",
                "SEK",
                "SGD",
                "SHP",
                "SLL",
                "SOS",
                "SRD",
                "SSP",
                "STN",
                "SVC",
                "SYP",
                "SZL",
                "THB",
                "TJS",
                "TMT",
                "TND",
                "TOP",
                "TRY",
                "TTD",
                "TWD",
                "TZS",
                "UAH",
                "UGX",
                "USD",
                "USN",
                "UYI",
                "UYU",
                "UYW",
                "UZS",
                "VES",
                "VND",
                "VUV",
                "WST",
                "XAF",
                "XAG",
                "XAU",
                "XBA",
                "XBB",
                "XBC",
                "XBD",
                "XCD",
                "XCG",
                "XDR",
                "XOF",
                "XPD",
                "XPF",
                "XPT",
                "XSU",
                "XUA",
                "XXX",
                "YER",
                "ZAR",
                "ZMW",
                "ZWL",
            ]
        ]
        | None
    ) = None
    invoicingMode: Literal["Online", "Offline"] | None = None
    isSelfInvoicing: bool | None = None
    formType: Literal["FA", "PEF", "FA_RR"] | None = None
    invoiceTypes: (
        list[
            Literal[
                "Vat",
                "Zal",
                "Kor",
                "Roz",
                "Upr",
                "KorZal",
                "KorRoz",
                "VatPef",
                "VatPefSp",
                "KorPef",
                "VatRr",
                "KorVatRr",
            ]
        ]
        | None
    ) = None
    hasAttachment: bool | None = None


class OpenBatchSessionResponse(KsefModel):
    referenceNumber: Annotated[str, Field(max_length=36, min_length=36)]
    partUploadRequests: list[PartUploadRequest]


class OpenOnlineSessionResponse(KsefModel):
    referenceNumber: Annotated[str, Field(max_length=36, min_length=36)]
    validUntil: datetime


class PermissionsOperationResponse(KsefModel):
    referenceNumber: Annotated[str, Field(max_length=36, min_length=36)]


class PermissionsOperationStatusResponse(KsefModel):
    status: StatusInfo


class PersonCreateRequest(KsefModel):
    nip: Annotated[str, Field(max_length=10, min_length=10, pattern="^[1-9]((\\d[1-9])|([1-9]\\d))\\d{7}$")]
    pesel: Annotated[
        str,
        Field(
            max_length=11,
            min_length=11,
            pattern="^\\d{2}(?:0[1-9]|1[0-2]|2[1-9]|3[0-2]|4[1-9]|5[0-2]|6[1-9]|7[0-2]|8[1-9]|9[0-2])\\d{7}$",
        ),
    ]
    isBailiff: bool
    description: Annotated[str, Field(max_length=256, min_length=5)]
    isDeceased: bool | None = None
    createdDate: datetime | None = None


class PersonIdentifier(KsefModel):
    type: Literal["Pesel", "Nip"]
    value: Annotated[str, Field(max_length=11, min_length=10)]


class PersonPermissionsAuthorIdentifier(KsefModel):
    type: Literal["Nip", "Pesel", "Fingerprint", "System"]
    value: Annotated[str | None, Field(max_length=64, min_length=10)] = None


class PersonPermissionsAuthorizedIdentifier(KsefModel):
    type: Literal["Nip", "Pesel", "Fingerprint"]
    value: Annotated[str, Field(max_length=64, min_length=10)]


class PersonPermissionsContextIdentifier(KsefModel):
    type: Literal["Nip", "InternalId"]
    value: Annotated[str, Field(max_length=16, min_length=10)]


class PersonPermissionsSubjectIdentifier(KsefModel):
    type: Literal["Nip", "Pesel", "Fingerprint"]
    value: Annotated[str, Field(max_length=64, min_length=10)]


class PersonPermissionsTargetIdentifier(KsefModel):
    type: Literal["Nip", "AllPartners", "InternalId"]
    value: Annotated[str | None, Field(max_length=16, min_length=10)] = None


class PersonalPermissionsAuthorizedIdentifier(KsefModel):
    type: Literal["Nip", "Pesel", "Fingerprint"]
    value: Annotated[str, Field(max_length=64, min_length=10)]


class PersonalPermissionsContextIdentifier(KsefModel):
    type: Literal["Nip", "InternalId"]
    value: Annotated[str, Field(max_length=16, min_length=10)]


class PersonalPermissionsTargetIdentifier(KsefModel):
    type: Literal["Nip", "AllPartners", "InternalId"]
    value: Annotated[str | None, Field(max_length=16, min_length=10)] = None


class PublicKeyCertificate(KsefModel):
    certificate: str
    certificateId: str
    publicKeyId: str
    validFrom: datetime
    validTo: datetime
    usage: list[Literal["KsefTokenEncryption", "SymmetricKeyEncryption"]]


class QueryTokensResponseItem(KsefModel):
    referenceNumber: Annotated[str, Field(max_length=36, min_length=36)]
    authorIdentifier: TokenAuthorIdentifierTypeIdentifier
    contextIdentifier: TokenContextIdentifierTypeIdentifier
    description: Annotated[str, Field(max_length=256, min_length=5)]
    requestedPermissions: list[
        Literal[
            "InvoiceRead",
            "InvoiceWrite",
            "CredentialsRead",
            "CredentialsManage",
            "SubunitManage",
            "EnforcementOperations",
            "Introspection",
        ]
    ]
    dateCreated: datetime
    lastUseDate: datetime | None = None
    status: Literal["Pending", "Active", "Revoking", "Revoked", "Failed"]
    statusDetails: list[str] | None = None


class SendInvoiceRequest(KsefModel):
    invoiceHash: Annotated[str, Field(max_length=44, min_length=44)]
    invoiceSize: Annotated[int, Field(ge=1)]
    encryptedInvoiceHash: Annotated[str, Field(max_length=44, min_length=44)]
    encryptedInvoiceSize: Annotated[int, Field(ge=1)]
    encryptedInvoiceContent: str
    offlineMode: bool | None = False
    hashOfCorrectedInvoice: Annotated[str | None, Field(max_length=44, min_length=44)] = None


class SessionInvoiceStatusResponse(KsefModel):
    ordinalNumber: Annotated[int, Field(ge=1)]
    invoiceNumber: Annotated[str | None, Field(max_length=256)] = None
    ksefNumber: Annotated[
        str | None,
        Field(
            max_length=36,
            min_length=35,
            pattern="^([1-9](\\d[1-9]|[1-9]\\d)\\d{7})-(20[2-9][0-9]|2[1-9]\\d{2}|[3-9]\\d{3})(0[1-9]|1[0-2])(0[1-9]|[12]\\d|3[01])-([0-9A-F]{6})-?([0-9A-F]{6})-([0-9A-F]{2})$",
        ),
    ] = None
    referenceNumber: Annotated[str, Field(max_length=36, min_length=36)]
    invoiceHash: Annotated[str, Field(max_length=44, min_length=44)]
    invoiceFileName: Annotated[str | None, Field(max_length=128)] = None
    acquisitionDate: datetime | None = None
    invoicingDate: datetime
    permanentStorageDate: datetime | None = None
    upoDownloadUrl: str | None = None
    upoDownloadUrlExpirationDate: datetime | None = None
    invoicingMode: Literal["Online", "Offline"] | None = None
    status: InvoiceStatusInfo


class SessionInvoicesResponse(KsefModel):
    continuationToken: str | None = None
    invoices: list[SessionInvoiceStatusResponse]


class SessionStatusResponse(KsefModel):
    status: StatusInfo
    dateCreated: datetime
    dateUpdated: datetime
    validUntil: datetime | None = None
    upo: UpoResponse | None = None
    invoiceCount: Annotated[int | None, Field(ge=0)] = None
    successfulInvoiceCount: Annotated[int | None, Field(ge=0)] = None
    failedInvoiceCount: Annotated[int | None, Field(ge=0)] = None


class SessionsQueryResponseItem(KsefModel):
    referenceNumber: Annotated[str, Field(max_length=36, min_length=36)]
    status: StatusInfo
    dateCreated: datetime
    dateUpdated: datetime
    validUntil: datetime | None = None
    totalInvoiceCount: Annotated[int, Field(ge=0)]
    successfulInvoiceCount: Annotated[int, Field(ge=0)]
    failedInvoiceCount: Annotated[int, Field(ge=0)]


class SetSubjectLimitsRequest(KsefModel):
    subjectIdentifierType: Literal["Nip", "Pesel", "Fingerprint"] | None = None
    enrollment: EnrollmentSubjectLimitsOverride | None = None
    certificate: CertificateSubjectLimitsOverride | None = None


class SubjectCreateRequest(KsefModel):
    subjectNip: Annotated[
        str, Field(max_length=10, min_length=10, pattern="^[1-9]((\\d[1-9])|([1-9]\\d))\\d{7}$")
    ]
    subjectType: Literal["EnforcementAuthority", "VatGroup", "JST"]
    subunits: list[Subunit] | None = None
    description: Annotated[str, Field(max_length=256, min_length=5)]
    createdDate: datetime | None = None


class SubordinateEntityRolesQueryRequest(KsefModel):
    subordinateEntityIdentifier: EntityPermissionsSubordinateEntityIdentifier | None = None


class SubordinateRoleSubordinateEntityIdentifier(KsefModel):
    type: Literal["Nip"]
    value: Annotated[str, Field(max_length=10, min_length=10)]


class SubunitPermissionsAuthorIdentifier(KsefModel):
    type: Literal["Nip", "Pesel", "Fingerprint"]
    value: Annotated[str, Field(max_length=64, min_length=10)]


class SubunitPermissionsAuthorizedIdentifier(KsefModel):
    type: Literal["Nip", "Pesel", "Fingerprint"]
    value: Annotated[str, Field(max_length=64, min_length=10)]


class SubunitPermissionsContextIdentifier(KsefModel):
    type: Literal["InternalId", "Nip"]
    value: Annotated[str, Field(max_length=16, min_length=10)]


class SubunitPermissionsSubjectIdentifier(KsefModel):
    type: Literal["Nip", "Pesel", "Fingerprint"]
    value: Annotated[str, Field(max_length=64, min_length=10)]


class SubunitPermissionsSubunitIdentifier(KsefModel):
    type: Literal["InternalId", "Nip"]
    value: Annotated[str, Field(max_length=16, min_length=10)]


class TestDataAuthenticationContextIdentifier(KsefModel):
    value: str
    type: Literal["Nip", "InternalId", "NipVatUe", "PeppolId"]


class TestDataAuthorizedIdentifier(KsefModel):
    type: Literal["Nip", "Pesel", "Fingerprint"]
    value: Annotated[str, Field(max_length=64, min_length=10)]


class TestDataContextIdentifier(KsefModel):
    type: Literal["Nip"]
    value: Annotated[str, Field(max_length=10, min_length=10)]


class TestDataPermission(KsefModel):
    description: Annotated[str, Field(max_length=256, min_length=5)]
    permissionType: Literal[
        "InvoiceRead",
        "InvoiceWrite",
        "Introspection",
        "CredentialsRead",
        "CredentialsManage",
        "EnforcementOperations",
        "SubunitManage",
    ]


class TestDataPermissionsGrantRequest(KsefModel):
    contextIdentifier: TestDataContextIdentifier
    authorizedIdentifier: TestDataAuthorizedIdentifier
    permissions: list[TestDataPermission]


class TestDataPermissionsRevokeRequest(KsefModel):
    contextIdentifier: TestDataContextIdentifier
    authorizedIdentifier: TestDataAuthorizedIdentifier


class UnblockContextAuthenticationRequest(KsefModel):
    contextIdentifier: TestDataAuthenticationContextIdentifier | None = None


class BatchFileInfo(KsefModel):
    fileSize: Annotated[int, Field(ge=1, le=5000000000)]
    fileHash: Annotated[str, Field(max_length=44, min_length=44)]
    compressionType: Literal["Zip", "TarGz"] | None = None
    fileParts: Annotated[list[BatchFilePartInfo], Field(max_length=50, min_length=1)]


class BlockContextAuthenticationRequest(KsefModel):
    contextIdentifier: TestDataAuthenticationContextIdentifier | None = None


class CertificateListItem(KsefModel):
    certificateSerialNumber: Annotated[str, Field(max_length=16, min_length=16, pattern="^[0-9A-F]{16}$")]
    name: Annotated[str, Field(max_length=100)]
    type: Literal["Authentication", "Offline"]
    commonName: str
    status: Literal["Active", "Blocked", "Revoked", "Expired"]
    subjectIdentifier: CertificateSubjectIdentifier
    validFrom: datetime
    validTo: datetime
    lastUseDate: datetime | None = None
    requestDate: datetime


class EntityAuthorizationGrant(KsefModel):
    id: Annotated[str, Field(max_length=36, min_length=36)]
    authorIdentifier: EntityAuthorizationsAuthorIdentifier | None = None
    authorizedEntityIdentifier: EntityAuthorizationsAuthorizedEntityIdentifier
    authorizingEntityIdentifier: EntityAuthorizationsAuthorizingEntityIdentifier
    authorizationScope: Literal["SelfInvoicing", "TaxRepresentative", "RRInvoicing", "PefInvoicing"]
    description: Annotated[str, Field(max_length=256, min_length=5)]
    subjectEntityDetails: PermissionsSubjectEntityByIdentifierDetails | None = None
    startDate: datetime


class EntityAuthorizationPermissionsGrantRequest(KsefModel):
    subjectIdentifier: EntityAuthorizationPermissionsSubjectIdentifier
    permission: Literal["SelfInvoicing", "RRInvoicing", "TaxRepresentative", "PefInvoicing"]
    description: Annotated[str, Field(max_length=256, min_length=5)]
    subjectDetails: EntityDetails


class EntityAuthorizationPermissionsQueryRequest(KsefModel):
    authorizingIdentifier: EntityAuthorizationsAuthorizingEntityIdentifier | None = None
    authorizedIdentifier: EntityAuthorizationsAuthorizedEntityIdentifier | None = None
    queryType: Literal["Granted", "Received"]
    permissionTypes: (
        list[Literal["SelfInvoicing", "TaxRepresentative", "RRInvoicing", "PefInvoicing"]] | None
    ) = None


class EntityPermissionItem(KsefModel):
    id: Annotated[str, Field(max_length=36, min_length=36)]
    contextIdentifier: EntityPermissionsContextIdentifier
    permissionScope: Literal["InvoiceWrite", "InvoiceRead"]
    description: Annotated[str, Field(max_length=256, min_length=5)]
    startDate: datetime
    canDelegate: bool


class EntityPermissionsGrantRequest(KsefModel):
    subjectIdentifier: EntityPermissionsSubjectIdentifier
    permissions: list[EntityPermission]
    description: Annotated[str, Field(max_length=256, min_length=5)]
    subjectDetails: EntityDetails


class EntityRole(KsefModel):
    parentEntityIdentifier: EntityRolesParentEntityIdentifier | None = None
    role: Literal[
        "CourtBailiff",
        "EnforcementAuthority",
        "LocalGovernmentUnit",
        "LocalGovernmentSubUnit",
        "VatGroupUnit",
        "VatGroupSubUnit",
    ]
    description: Annotated[str, Field(max_length=256, min_length=5)]
    startDate: datetime


class InvoiceExportRequest(KsefModel):
    encryption: EncryptionInfo
    onlyMetadata: bool | None = False
    filters: InvoiceQueryFilters
    compressionType: Literal["Zip", "TarGz"] | None = None


class InvoiceMetadataThirdSubject(KsefModel):
    identifier: InvoiceMetadataThirdSubjectIdentifier
    name: Annotated[str | None, Field(max_length=512)] = None
    role: int


class InvoicePackage(KsefModel):
    invoiceCount: Annotated[int, Field(ge=0, le=10000)]
    size: Annotated[int, Field(ge=0)]
    parts: list[InvoicePackagePart]
    isTruncated: bool
    lastIssueDate: date | None = None
    lastInvoicingDate: datetime | None = None
    lastPermanentStorageDate: datetime | None = None
    permanentStorageHwmDate: datetime | None = None


class OpenBatchSessionRequest(KsefModel):
    formCode: FormCode
    batchFile: BatchFileInfo
    encryption: EncryptionInfo
    offlineMode: bool | None = False


class PermissionsSubjectPersonByFingerprintDetails(KsefModel):
    subjectDetailsType: Literal["PersonByFingerprintWithIdentifier", "PersonByFingerprintWithoutIdentifier"]
    firstName: Annotated[str, Field(max_length=30, min_length=2)]
    lastName: Annotated[str, Field(max_length=81, min_length=2)]
    personIdentifier: PersonIdentifier | None = None
    birthDate: date | None = None
    idDocument: IdDocument | None = None


class PermissionsSubjectPersonDetails(KsefModel):
    subjectDetailsType: Literal[
        "PersonByIdentifier", "PersonByFingerprintWithIdentifier", "PersonByFingerprintWithoutIdentifier"
    ]
    firstName: Annotated[str, Field(max_length=30, min_length=2)]
    lastName: Annotated[str, Field(max_length=81, min_length=2)]
    personIdentifier: PersonIdentifier | None = None
    birthDate: date | None = None
    idDocument: IdDocument | None = None


class PersonByFingerprintWithIdentifierDetails(KsefModel):
    firstName: Annotated[str, Field(max_length=30, min_length=2)]
    lastName: Annotated[str, Field(max_length=81, min_length=2)]
    identifier: PersonIdentifier


class PersonPermission(KsefModel):
    id: Annotated[str, Field(max_length=36, min_length=36)]
    authorizedIdentifier: PersonPermissionsAuthorizedIdentifier
    contextIdentifier: PersonPermissionsContextIdentifier | None = None
    targetIdentifier: PersonPermissionsTargetIdentifier | None = None
    authorIdentifier: PersonPermissionsAuthorIdentifier
    permissionScope: Literal[
        "CredentialsManage",
        "CredentialsRead",
        "InvoiceWrite",
        "InvoiceRead",
        "Introspection",
        "SubunitManage",
        "EnforcementOperations",
    ]
    description: Annotated[str, Field(max_length=256, min_length=5)]
    subjectPersonDetails: PermissionsSubjectPersonDetails | None = None
    subjectEntityDetails: PermissionsSubjectEntityDetails | None = None
    permissionState: Literal["Active", "Inactive"]
    startDate: datetime
    canDelegate: bool


class PersonPermissionSubjectDetails(KsefModel):
    subjectDetailsType: Literal[
        "PersonByIdentifier", "PersonByFingerprintWithIdentifier", "PersonByFingerprintWithoutIdentifier"
    ]
    personById: PersonDetails | None = None
    personByFpWithId: PersonByFingerprintWithIdentifierDetails | None = None
    personByFpNoId: PersonByFingerprintWithoutIdentifierDetails | None = None


class PersonPermissionsGrantRequest(KsefModel):
    subjectIdentifier: PersonPermissionsSubjectIdentifier
    permissions: list[
        Literal[
            "CredentialsManage",
            "CredentialsRead",
            "InvoiceWrite",
            "InvoiceRead",
            "Introspection",
            "SubunitManage",
            "EnforcementOperations",
        ]
    ]
    description: Annotated[str, Field(max_length=256, min_length=5)]
    subjectDetails: PersonPermissionSubjectDetails


class PersonPermissionsQueryRequest(KsefModel):
    authorIdentifier: PersonPermissionsAuthorIdentifier | None = None
    authorizedIdentifier: PersonPermissionsAuthorizedIdentifier | None = None
    contextIdentifier: PersonPermissionsContextIdentifier | None = None
    targetIdentifier: PersonPermissionsTargetIdentifier | None = None
    permissionTypes: (
        list[
            Literal[
                "CredentialsManage",
                "CredentialsRead",
                "InvoiceWrite",
                "InvoiceRead",
                "Introspection",
                "SubunitManage",
                "EnforcementOperations",
            ]
        ]
        | None
    ) = None
    permissionState: Literal["Active", "Inactive"] | None = None
    queryType: Literal["PermissionsInCurrentContext", "PermissionsGrantedInCurrentContext"]


class PersonalPermission(KsefModel):
    id: Annotated[str, Field(max_length=36, min_length=36)]
    contextIdentifier: PersonalPermissionsContextIdentifier | None = None
    authorizedIdentifier: PersonalPermissionsAuthorizedIdentifier | None = None
    targetIdentifier: PersonalPermissionsTargetIdentifier | None = None
    permissionScope: Literal[
        "CredentialsManage",
        "CredentialsRead",
        "InvoiceWrite",
        "InvoiceRead",
        "Introspection",
        "SubunitManage",
        "EnforcementOperations",
        "VatUeManage",
    ]
    description: Annotated[str, Field(max_length=256, min_length=5)]
    subjectPersonDetails: PermissionsSubjectPersonDetails | None = None
    subjectEntityDetails: PermissionsSubjectEntityDetails | None = None
    permissionState: Literal["Active", "Inactive"]
    startDate: datetime
    canDelegate: bool


class PersonalPermissionsQueryRequest(KsefModel):
    contextIdentifier: PersonalPermissionsContextIdentifier | None = None
    targetIdentifier: PersonalPermissionsTargetIdentifier | None = None
    permissionTypes: (
        list[
            Literal[
                "CredentialsManage",
                "CredentialsRead",
                "InvoiceWrite",
                "InvoiceRead",
                "Introspection",
                "SubunitManage",
                "EnforcementOperations",
                "VatUeManage",
            ]
        ]
        | None
    ) = None
    permissionState: Literal["Active", "Inactive"] | None = None


class QueryCertificatesResponse(KsefModel):
    certificates: list[CertificateListItem]
    hasMore: bool


class QueryEntityAuthorizationPermissionsResponse(KsefModel):
    authorizationGrants: list[EntityAuthorizationGrant]
    hasMore: bool


class QueryEntityPermissionsResponse(KsefModel):
    permissions: list[EntityPermissionItem]
    hasMore: bool


class QueryEntityRolesResponse(KsefModel):
    roles: list[EntityRole]
    hasMore: bool


class QueryPersonPermissionsResponse(KsefModel):
    permissions: list[PersonPermission]
    hasMore: bool


class QueryPersonalPermissionsResponse(KsefModel):
    permissions: list[PersonalPermission]
    hasMore: bool


class QueryTokensResponse(KsefModel):
    continuationToken: str | None = None
    tokens: list[QueryTokensResponseItem]


class SessionsQueryResponse(KsefModel):
    continuationToken: str | None = None
    sessions: list[SessionsQueryResponseItem]


class SubordinateEntityRole(KsefModel):
    subordinateEntityIdentifier: SubordinateRoleSubordinateEntityIdentifier
    role: Literal["LocalGovernmentSubUnit", "VatGroupSubUnit"]
    description: Annotated[str, Field(max_length=256, min_length=5)]
    startDate: datetime


class SubunitPermission(KsefModel):
    id: Annotated[str, Field(max_length=36, min_length=36)]
    authorizedIdentifier: SubunitPermissionsAuthorizedIdentifier
    subunitIdentifier: SubunitPermissionsSubunitIdentifier
    authorIdentifier: SubunitPermissionsAuthorIdentifier
    permissionScope: Literal["CredentialsManage"]
    description: Annotated[str, Field(max_length=256, min_length=5)]
    subjectPersonDetails: PermissionsSubjectPersonDetails | None = None
    subunitName: Annotated[str | None, Field(max_length=256, min_length=5)] = None
    startDate: datetime


class SubunitPermissionsGrantRequest(KsefModel):
    subjectIdentifier: SubunitPermissionsSubjectIdentifier
    contextIdentifier: SubunitPermissionsContextIdentifier
    description: Annotated[str, Field(max_length=256, min_length=5)]
    subunitName: Annotated[str | None, Field(max_length=256, min_length=5)] = None
    subjectDetails: PersonPermissionSubjectDetails


class SubunitPermissionsQueryRequest(KsefModel):
    subunitIdentifier: SubunitPermissionsSubunitIdentifier | None = None


class EuEntityPermission(KsefModel):
    id: Annotated[str, Field(max_length=36, min_length=36)]
    authorIdentifier: EuEntityPermissionsAuthorIdentifier
    vatUeIdentifier: str
    euEntityName: Annotated[str, Field(max_length=256, min_length=5)]
    authorizedFingerprintIdentifier: Annotated[str, Field(max_length=64, min_length=64)]
    permissionScope: Literal["VatUeManage", "InvoiceWrite", "InvoiceRead", "Introspection"]
    description: Annotated[str, Field(max_length=256, min_length=5)]
    subjectPersonDetails: PermissionsSubjectPersonByFingerprintDetails | None = None
    subjectEntityDetails: PermissionsSubjectEntityByFingerprintDetails | None = None
    euEntityDetails: PermissionsEuEntityDetails | None = None
    startDate: datetime


class EuEntityPermissionSubjectDetails(KsefModel):
    subjectDetailsType: Literal[
        "PersonByFingerprintWithIdentifier", "PersonByFingerprintWithoutIdentifier", "EntityByFingerprint"
    ]
    personByFpWithId: PersonByFingerprintWithIdentifierDetails | None = None
    personByFpNoId: PersonByFingerprintWithoutIdentifierDetails | None = None
    entityByFp: EntityByFingerprintDetails | None = None


class EuEntityPermissionsGrantRequest(KsefModel):
    subjectIdentifier: EuEntityPermissionsSubjectIdentifier
    permissions: list[Literal["InvoiceWrite", "InvoiceRead"]]
    description: Annotated[str, Field(max_length=256, min_length=5)]
    subjectDetails: EuEntityPermissionSubjectDetails


class IndirectPermissionsGrantRequest(KsefModel):
    subjectIdentifier: IndirectPermissionsSubjectIdentifier
    targetIdentifier: IndirectPermissionsTargetIdentifier | None = None
    permissions: list[Literal["InvoiceRead", "InvoiceWrite"]]
    description: Annotated[str, Field(max_length=256, min_length=5)]
    subjectDetails: PersonPermissionSubjectDetails


class InvoiceExportStatusResponse(KsefModel):
    status: StatusInfo
    completedDate: datetime | None = None
    packageExpirationDate: datetime | None = None
    package: InvoicePackage | None = None


class InvoiceMetadata(KsefModel):
    ksefNumber: Annotated[
        str,
        Field(
            max_length=36,
            min_length=35,
            pattern="^([1-9](\\d[1-9]|[1-9]\\d)\\d{7})-(20[2-9][0-9]|2[1-9]\\d{2}|[3-9]\\d{3})(0[1-9]|1[0-2])(0[1-9]|[12]\\d|3[01])-([0-9A-F]{6})-?([0-9A-F]{6})-([0-9A-F]{2})$",
        ),
    ]
    invoiceNumber: Annotated[str, Field(max_length=256)]
    issueDate: date
    invoicingDate: datetime
    acquisitionDate: datetime
    permanentStorageDate: datetime
    seller: InvoiceMetadataSeller
    buyer: InvoiceMetadataBuyer
    netAmount: float
    grossAmount: float
    vatAmount: float
    currency: Annotated[str, Field(max_length=3, min_length=3)]
    invoicingMode: Literal["Online", "Offline"]
    invoiceType: Literal[
        "Vat",
        "Zal",
        "Kor",
        "Roz",
        "Upr",
        "KorZal",
        "KorRoz",
        "VatPef",
        "VatPefSp",
        "KorPef",
        "VatRr",
        "KorVatRr",
    ]
    formCode: FormCode
    isSelfInvoicing: bool
    hasAttachment: bool
    invoiceHash: Annotated[str, Field(max_length=44, min_length=44)]
    hashOfCorrectedInvoice: Annotated[str | None, Field(max_length=44, min_length=44)] = None
    thirdSubjects: list[InvoiceMetadataThirdSubject] | None = None
    authorizedSubject: InvoiceMetadataAuthorizedSubject | None = None


class QueryEuEntityPermissionsResponse(KsefModel):
    permissions: list[EuEntityPermission]
    hasMore: bool


class QueryInvoicesMetadataResponse(KsefModel):
    hasMore: bool
    isTruncated: bool
    permanentStorageHwmDate: datetime | None = None
    invoices: list[InvoiceMetadata]


class QuerySubordinateEntityRolesResponse(KsefModel):
    roles: list[SubordinateEntityRole]
    hasMore: bool


class QuerySubunitPermissionsResponse(KsefModel):
    permissions: list[SubunitPermission]
    hasMore: bool


class EuEntityAdministrationPermissionsGrantRequest(KsefModel):
    subjectIdentifier: EuEntityAdministrationPermissionsSubjectIdentifier
    contextIdentifier: EuEntityAdministrationPermissionsContextIdentifier
    description: Annotated[str, Field(max_length=256, min_length=5)]
    euEntityName: Annotated[str, Field(max_length=256, min_length=5)]
    subjectDetails: EuEntityPermissionSubjectDetails
    euEntityDetails: EuEntityDetails
