"""``KsefClient``: one typed method per operation of the KSeF 2.0 API (open-api.json).

Each method is tagged with :func:`operation` (HTTP method, path template, rate-limit group of digest §8),
so a test can prove that every operation of the contract has its method and the throttle sees the right
group; the tag is also what the method sends (``self._call(KsefClient.method, *path segments, ...)``), so the
two cannot differ. Methods only translate between models and HTTP: waiting, encryption and paging live in
``sessions``, ``batch`` and ``exports``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from urllib.parse import quote

from fakturnik.base.lazy import lazy_import
from fakturnik.ksef.transport import TokenKind, Transport

if TYPE_CHECKING:
    import httpx
    from pydantic import BaseModel, TypeAdapter

    from fakturnik.ksef import model_base
    from fakturnik.ksef import models as m
else:  # the models (pydantic) load with the first call, not with ``import``
    m = lazy_import("fakturnik.ksef.models")
    model_base = lazy_import("fakturnik.ksef.model_base")

Group = Literal[
    "onlineSession",
    "onlineSessionClose",
    "invoiceSend",
    "batchSession",
    "batchSessionClose",
    "invoiceStatus",
    "sessionList",
    "sessionInvoiceList",
    "sessionMisc",
    "invoiceMetadata",
    "invoiceExport",
    "invoiceExportStatus",
    "invoiceDownload",
    "collectiveIdentifier",
    "other",
]


@dataclass(frozen=True)
class Operation:
    """Where a client method goes: ``method`` + ``path`` template of open-api.json, rate-limit ``group``."""

    method: str
    path: str
    group: Group = "other"
    public: bool = False


F = TypeVar("F", bound=Callable[..., Any])
M = TypeVar("M", bound="BaseModel")

OPERATION_ATTR = "__ksef_operation__"


def operation(method: str, path: str, group: Group = "other", *, public: bool = False) -> Callable[[F], F]:
    def mark(fn: F) -> F:
        setattr(fn, OPERATION_ATTR, Operation(method, path, group, public))
        return fn

    return mark


def operations_of(cls: type) -> dict[tuple[str, str], tuple[str, Operation]]:
    """``(METHOD, path) -> (method name, Operation)`` for every tagged method of ``cls``."""
    found: dict[tuple[str, str], tuple[str, Operation]] = {}
    for name in dir(cls):
        op = getattr(getattr(cls, name, None), OPERATION_ATTR, None)
        if isinstance(op, Operation):
            found[(op.method, op.path)] = (name, op)
    return found


def _features(names: Sequence[str]) -> dict[str, str] | None:
    """The ``X-KSeF-Feature`` header (API 2.8.0) for the named features, or none."""
    return {"X-KSeF-Feature": ", ".join(names)} if names else None


def _seg(value: str) -> str:
    return quote(value, safe="")


_PLACEHOLDER = re.compile(r"\{\w+\}")


def _fill(template: str, segments: Sequence[str]) -> str:
    """``/sessions/{referenceNumber}`` with its placeholders replaced by ``segments``, in order, quoted."""
    values = iter(segments)
    path = _PLACEHOLDER.sub(lambda _: _seg(next(values)), template)
    if next(values, None) is not None:
        raise TypeError(f"more path segments than {template} takes")
    return path


@dataclass(frozen=True)
class XmlDocument:
    """An XML body KSeF returned (invoice, UPO) with its ``x-ms-meta-hash`` when given."""

    content: bytes
    sha256_b64: str | None

    def __repr__(self) -> str:
        return f"XmlDocument({len(self.content)} bytes, sha256={self.sha256_b64})"


@dataclass(frozen=True)
class Page:
    """Paging arguments; ``None`` leaves the server default."""

    page_offset: int | None = None
    page_size: int | None = None

    def params(self) -> dict[str, int]:
        out: dict[str, int] = {}
        if self.page_offset is not None:
            out["pageOffset"] = self.page_offset
        if self.page_size is not None:
            out["pageSize"] = self.page_size
        return out


@cache
def _public_keys_adapter() -> TypeAdapter[list[m.PublicKeyCertificate]]:
    from pydantic import TypeAdapter

    return TypeAdapter(list[m.PublicKeyCertificate])


class KsefClient:
    """Typed KSeF 2.0 API. Construct with a :class:`~fakturnik.ksef.transport.Transport`."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> KsefClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- plumbing ------------------------------------------------------------------------------------

    def _call(
        self,
        tagged: Callable[..., Any],
        *segments: str,
        auth: TokenKind | None = None,
        bearer: str | None = None,
        body: BaseModel | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        """Send the operation of ``tagged`` (a method tagged with :func:`operation`: its HTTP method, path and
        rate-limit group): ``segments`` fill the path's ``{...}`` in order, each quoted; a public operation
        sends no bearer unless ``auth`` says otherwise."""
        op: Operation = getattr(tagged, OPERATION_ATTR)
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        return self.transport.request(
            op.method,
            _fill(op.path, segments),
            group=op.group,
            token=auth or ("none" if op.public else "access"),
            bearer=bearer,
            idempotent=idempotent,
            params=clean or None,
            json=m.dump(body) if body is not None else None,
            content=content,
            headers=dict(headers) if headers else None,
        )

    @staticmethod
    def _parse(model: type[M], response: httpx.Response) -> M:
        parsed = model.model_validate_json(response.content)
        model_base.note_unknown(parsed)  # a newer KSeF: logged once, never a crash
        return parsed

    @staticmethod
    def _xml(response: httpx.Response) -> XmlDocument:
        return XmlDocument(response.content, response.headers.get("x-ms-meta-hash"))

    @staticmethod
    def _continuation(token: str | None) -> dict[str, str] | None:
        return {"x-continuation-token": token} if token else None

    # --- authentication (§3.1) ------------------------------------------------------------------------

    @operation("POST", "/auth/challenge", public=True)
    def auth_challenge(self) -> m.AuthenticationChallengeResponse:
        r = self._call(KsefClient.auth_challenge, auth="none", idempotent=True)
        return self._parse(m.AuthenticationChallengeResponse, r)

    @operation("POST", "/auth/xades-signature", public=True)
    def auth_xades_signature(
        self, signed_xml: bytes, *, verify_certificate_chain: bool | None = None
    ) -> m.AuthenticationInitResponse:
        params = (
            None if verify_certificate_chain is None else {"verifyCertificateChain": verify_certificate_chain}
        )
        r = self._call(
            KsefClient.auth_xades_signature,
            auth="none",
            content=signed_xml,
            params=params,
            headers={"Content-Type": "application/xml"},
        )
        return self._parse(m.AuthenticationInitResponse, r)

    @operation("POST", "/auth/ksef-token", public=True)
    def auth_ksef_token(self, request: m.InitTokenAuthenticationRequest) -> m.AuthenticationInitResponse:
        r = self._call(KsefClient.auth_ksef_token, auth="none", body=request)
        return self._parse(m.AuthenticationInitResponse, r)

    @operation("GET", "/auth/{referenceNumber}")
    def auth_status(
        self, reference_number: str, authentication_token: str
    ) -> m.AuthenticationOperationStatusResponse:
        r = self._call(
            KsefClient.auth_status, reference_number, auth="operation", bearer=authentication_token
        )
        return self._parse(m.AuthenticationOperationStatusResponse, r)

    @operation("POST", "/auth/token/redeem")
    def auth_token_redeem(self, authentication_token: str) -> m.AuthenticationTokensResponse:
        r = self._call(KsefClient.auth_token_redeem, auth="operation", bearer=authentication_token)
        return self._parse(m.AuthenticationTokensResponse, r)

    @operation("POST", "/auth/token/refresh")
    def auth_token_refresh(self, refresh_token: str | None = None) -> m.AuthenticationTokenRefreshResponse:
        r = self._call(KsefClient.auth_token_refresh, auth="refresh", bearer=refresh_token)
        return self._parse(m.AuthenticationTokenRefreshResponse, r)

    @operation("GET", "/auth/sessions")
    def auth_sessions(
        self, *, page_size: int | None = None, continuation_token: str | None = None
    ) -> m.AuthenticationListResponse:
        r = self._call(
            KsefClient.auth_sessions,
            params={"pageSize": page_size},
            headers=self._continuation(continuation_token),
        )
        return self._parse(m.AuthenticationListResponse, r)

    def iter_auth_sessions(self, page_size: int | None = None) -> Iterator[m.AuthenticationListItem]:
        token: str | None = None
        while True:
            page = self.auth_sessions(page_size=page_size, continuation_token=token)
            yield from page.items
            token = page.continuationToken
            if not token:
                return

    @operation("DELETE", "/auth/sessions/current")
    def auth_session_revoke_current(self, refresh_token: str | None = None) -> None:
        self._call(KsefClient.auth_session_revoke_current, auth="refresh", bearer=refresh_token)

    @operation("DELETE", "/auth/sessions/{referenceNumber}")
    def auth_session_revoke(self, reference_number: str) -> None:
        self._call(KsefClient.auth_session_revoke, reference_number)

    # --- public keys (§3.8) ---------------------------------------------------------------------------

    @operation("GET", "/security/public-key-certificates", public=True)
    def public_key_certificates(self) -> list[m.PublicKeyCertificate]:
        r = self._call(KsefClient.public_key_certificates, auth="none")
        return _public_keys_adapter().validate_json(r.content)

    # --- online and batch sessions (§3.2) -------------------------------------------------------------

    @operation("POST", "/sessions/online", "onlineSession")
    def open_online_session(
        self, request: m.OpenOnlineSessionRequest, *, features: Sequence[str] = ()
    ) -> m.OpenOnlineSessionResponse:
        """``features``: ``X-KSeF-Feature`` values (2.8.0), e.g. ``subject-identifier-validation`` on TEST."""
        r = self._call(KsefClient.open_online_session, body=request, headers=_features(features))
        return self._parse(m.OpenOnlineSessionResponse, r)

    @operation("POST", "/sessions/online/{referenceNumber}/invoices", "invoiceSend")
    def send_invoice(self, reference_number: str, request: m.SendInvoiceRequest) -> m.SendInvoiceResponse:
        r = self._call(KsefClient.send_invoice, reference_number, body=request)
        return self._parse(m.SendInvoiceResponse, r)

    @operation("POST", "/sessions/online/{referenceNumber}/close", "onlineSessionClose")
    def close_online_session(self, reference_number: str) -> None:
        self._call(KsefClient.close_online_session, reference_number)

    @operation("POST", "/sessions/batch", "batchSession")
    def open_batch_session(
        self, request: m.OpenBatchSessionRequest, *, features: Sequence[str] = ()
    ) -> m.OpenBatchSessionResponse:
        r = self._call(KsefClient.open_batch_session, body=request, headers=_features(features))
        return self._parse(m.OpenBatchSessionResponse, r)

    @operation("POST", "/sessions/batch/{referenceNumber}/close", "batchSessionClose")
    def close_batch_session(self, reference_number: str) -> None:
        self._call(KsefClient.close_batch_session, reference_number)

    def upload_batch_part(self, upload: m.PartUploadRequest, encrypted_part: bytes) -> None:
        """Send one encrypted part to its pre-signed URL (no bearer, not throttled; PUT is repeatable)."""
        self.transport.absolute(
            upload.method,
            upload.url,
            content=encrypted_part,
            headers={k: v for k, v in upload.headers.items() if v is not None},
            idempotent=True,
        )

    # --- session status and UPO (§3.3) ----------------------------------------------------------------

    @operation("GET", "/sessions", "sessionList")
    def list_sessions(
        self,
        session_type: Literal["Online", "Batch"],
        *,
        reference_number: str | None = None,
        date_created_from: str | None = None,
        date_created_to: str | None = None,
        date_closed_from: str | None = None,
        date_closed_to: str | None = None,
        date_modified_from: str | None = None,
        date_modified_to: str | None = None,
        statuses: list[str] | None = None,
        page_size: int | None = None,
        continuation_token: str | None = None,
    ) -> m.SessionsQueryResponse:
        params: dict[str, Any] = {
            "sessionType": session_type,
            "referenceNumber": reference_number,
            "dateCreatedFrom": date_created_from,
            "dateCreatedTo": date_created_to,
            "dateClosedFrom": date_closed_from,
            "dateClosedTo": date_closed_to,
            "dateModifiedFrom": date_modified_from,
            "dateModifiedTo": date_modified_to,
            "statuses": statuses,
            "pageSize": page_size,
        }
        r = self._call(
            KsefClient.list_sessions, params=params, headers=self._continuation(continuation_token)
        )
        return self._parse(m.SessionsQueryResponse, r)

    def iter_sessions(
        self, session_type: Literal["Online", "Batch"], *, page_size: int = 1000, **filters: Any
    ) -> Iterator[m.SessionsQueryResponseItem]:
        """Every session matching the filters of :meth:`list_sessions`, following continuation tokens."""
        token: str | None = None
        while True:
            page = self.list_sessions(session_type, page_size=page_size, continuation_token=token, **filters)
            yield from page.sessions
            token = page.continuationToken
            if not token:
                return

    @operation("GET", "/sessions/{referenceNumber}", "sessionMisc")
    def session_status(self, reference_number: str) -> m.SessionStatusResponse:
        r = self._call(KsefClient.session_status, reference_number)
        return self._parse(m.SessionStatusResponse, r)

    @operation("GET", "/sessions/{referenceNumber}/invoices", "sessionInvoiceList")
    def session_invoices(
        self, reference_number: str, *, page_size: int | None = None, continuation_token: str | None = None
    ) -> m.SessionInvoicesResponse:
        r = self._call(
            KsefClient.session_invoices,
            reference_number,
            params={"pageSize": page_size},
            headers=self._continuation(continuation_token),
        )
        return self._parse(m.SessionInvoicesResponse, r)

    @operation("GET", "/sessions/{referenceNumber}/invoices/failed", "sessionInvoiceList")
    def session_failed_invoices(
        self, reference_number: str, *, page_size: int | None = None, continuation_token: str | None = None
    ) -> m.SessionInvoicesResponse:
        r = self._call(
            KsefClient.session_failed_invoices,
            reference_number,
            params={"pageSize": page_size},
            headers=self._continuation(continuation_token),
        )
        return self._parse(m.SessionInvoicesResponse, r)

    def iter_session_invoices(
        self, reference_number: str, *, failed_only: bool = False, page_size: int = 1000
    ) -> Iterator[m.SessionInvoiceStatusResponse]:
        """Every invoice of a session, following continuation tokens."""
        fetch = self.session_failed_invoices if failed_only else self.session_invoices
        token: str | None = None
        while True:
            page = fetch(reference_number, page_size=page_size, continuation_token=token)
            yield from page.invoices
            token = page.continuationToken
            if not token:
                return

    @operation("GET", "/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}", "invoiceStatus")
    def session_invoice_status(
        self, reference_number: str, invoice_reference_number: str
    ) -> m.SessionInvoiceStatusResponse:
        return self._parse(
            m.SessionInvoiceStatusResponse,
            self._call(KsefClient.session_invoice_status, reference_number, invoice_reference_number),
        )

    @operation("GET", "/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}/upo", "sessionMisc")
    def invoice_upo(self, reference_number: str, invoice_reference_number: str) -> XmlDocument:
        return self._xml(self._call(KsefClient.invoice_upo, reference_number, invoice_reference_number))

    @operation("GET", "/sessions/{referenceNumber}/invoices/ksef/{ksefNumber}/upo", "sessionMisc")
    def invoice_upo_by_ksef_number(self, reference_number: str, ksef_number: str) -> XmlDocument:
        return self._xml(self._call(KsefClient.invoice_upo_by_ksef_number, reference_number, ksef_number))

    @operation("GET", "/sessions/{referenceNumber}/upo/{upoReferenceNumber}", "sessionMisc")
    def session_upo(self, reference_number: str, upo_reference_number: str) -> XmlDocument:
        return self._xml(self._call(KsefClient.session_upo, reference_number, upo_reference_number))

    def download_url(self, url: str) -> XmlDocument:
        """GET a pre-signed link (UPO, export part): no bearer, not throttled."""
        return self._xml(self.transport.absolute("GET", url))

    # --- invoices (§3.4) ------------------------------------------------------------------------------

    @operation("GET", "/invoices/ksef/{ksefNumber}", "invoiceDownload")
    def download_invoice(self, ksef_number: str) -> XmlDocument:
        return self._xml(self._call(KsefClient.download_invoice, ksef_number))

    @operation("POST", "/invoices/query/metadata", "invoiceMetadata")
    def query_invoice_metadata(
        self,
        filters: m.InvoiceQueryFilters,
        *,
        sort_order: Literal["Asc", "Desc"] | None = None,
        page_offset: int | None = None,
        page_size: int | None = None,
    ) -> m.QueryInvoicesMetadataResponse:
        params = {"sortOrder": sort_order, "pageOffset": page_offset, "pageSize": page_size}
        r = self._call(KsefClient.query_invoice_metadata, body=filters, params=params, idempotent=True)
        return self._parse(m.QueryInvoicesMetadataResponse, r)

    @operation("POST", "/invoices/exports", "invoiceExport")
    def start_export(self, request: m.InvoiceExportRequest) -> m.ExportInvoicesResponse:
        r = self._call(KsefClient.start_export, body=request)
        return self._parse(m.ExportInvoicesResponse, r)

    @operation("GET", "/invoices/exports/{referenceNumber}", "invoiceExportStatus")
    def export_status(self, reference_number: str) -> m.InvoiceExportStatusResponse:
        r = self._call(KsefClient.export_status, reference_number)
        return self._parse(m.InvoiceExportStatusResponse, r)

    # --- permissions (§3.5) ---------------------------------------------------------------------------

    def _grant(self, tagged: Callable[..., Any], body: BaseModel) -> m.PermissionsOperationResponse:
        return self._parse(m.PermissionsOperationResponse, self._call(tagged, body=body))

    @operation("POST", "/permissions/persons/grants")
    def grant_person_permissions(
        self, request: m.PersonPermissionsGrantRequest
    ) -> m.PermissionsOperationResponse:
        return self._grant(KsefClient.grant_person_permissions, request)

    @operation("POST", "/permissions/entities/grants")
    def grant_entity_permissions(
        self, request: m.EntityPermissionsGrantRequest
    ) -> m.PermissionsOperationResponse:
        return self._grant(KsefClient.grant_entity_permissions, request)

    @operation("POST", "/permissions/authorizations/grants")
    def grant_authorization_permissions(
        self, request: m.EntityAuthorizationPermissionsGrantRequest
    ) -> m.PermissionsOperationResponse:
        return self._grant(KsefClient.grant_authorization_permissions, request)

    @operation("POST", "/permissions/indirect/grants")
    def grant_indirect_permissions(
        self, request: m.IndirectPermissionsGrantRequest
    ) -> m.PermissionsOperationResponse:
        return self._grant(KsefClient.grant_indirect_permissions, request)

    @operation("POST", "/permissions/subunits/grants")
    def grant_subunit_permissions(
        self, request: m.SubunitPermissionsGrantRequest
    ) -> m.PermissionsOperationResponse:
        return self._grant(KsefClient.grant_subunit_permissions, request)

    @operation("POST", "/permissions/eu-entities/administration/grants")
    def grant_eu_entity_administration_permissions(
        self, request: m.EuEntityAdministrationPermissionsGrantRequest
    ) -> m.PermissionsOperationResponse:
        return self._grant(KsefClient.grant_eu_entity_administration_permissions, request)

    @operation("POST", "/permissions/eu-entities/grants")
    def grant_eu_entity_permissions(
        self, request: m.EuEntityPermissionsGrantRequest
    ) -> m.PermissionsOperationResponse:
        return self._grant(KsefClient.grant_eu_entity_permissions, request)

    @operation("DELETE", "/permissions/common/grants/{permissionId}")
    def revoke_common_permission(self, permission_id: str) -> m.PermissionsOperationResponse:
        r = self._call(KsefClient.revoke_common_permission, permission_id)
        return self._parse(m.PermissionsOperationResponse, r)

    @operation("DELETE", "/permissions/authorizations/grants/{permissionId}")
    def revoke_authorization_permission(self, permission_id: str) -> m.PermissionsOperationResponse:
        r = self._call(KsefClient.revoke_authorization_permission, permission_id)
        return self._parse(m.PermissionsOperationResponse, r)

    @operation("GET", "/permissions/operations/{referenceNumber}")
    def permission_operation_status(self, reference_number: str) -> m.PermissionsOperationStatusResponse:
        r = self._call(KsefClient.permission_operation_status, reference_number)
        return self._parse(m.PermissionsOperationStatusResponse, r)

    @operation("GET", "/permissions/attachments/status")
    def attachment_permission_status(self) -> m.CheckAttachmentPermissionStatusResponse:
        r = self._call(KsefClient.attachment_permission_status)
        return self._parse(m.CheckAttachmentPermissionStatusResponse, r)

    def _query(self, tagged: Callable[..., Any], body: BaseModel, model: type[M], page: Page | None) -> M:
        params = (page or Page()).params()
        return self._parse(model, self._call(tagged, body=body, params=params, idempotent=True))

    @operation("POST", "/permissions/query/personal/grants")
    def query_personal_permissions(
        self, request: m.PersonalPermissionsQueryRequest, page: Page | None = None
    ) -> m.QueryPersonalPermissionsResponse:
        return self._query(
            KsefClient.query_personal_permissions, request, m.QueryPersonalPermissionsResponse, page
        )

    @operation("POST", "/permissions/query/persons/grants")
    def query_person_permissions(
        self, request: m.PersonPermissionsQueryRequest, page: Page | None = None
    ) -> m.QueryPersonPermissionsResponse:
        return self._query(
            KsefClient.query_person_permissions, request, m.QueryPersonPermissionsResponse, page
        )

    @operation("POST", "/permissions/query/subunits/grants")
    def query_subunit_permissions(
        self, request: m.SubunitPermissionsQueryRequest, page: Page | None = None
    ) -> m.QuerySubunitPermissionsResponse:
        return self._query(
            KsefClient.query_subunit_permissions, request, m.QuerySubunitPermissionsResponse, page
        )

    @operation("POST", "/permissions/query/entities/grants")
    def query_entity_permissions(
        self, request: m.EntityPermissionsQueryRequest, page: Page | None = None
    ) -> m.QueryEntityPermissionsResponse:
        return self._query(
            KsefClient.query_entity_permissions, request, m.QueryEntityPermissionsResponse, page
        )

    @operation("GET", "/permissions/query/entities/roles")
    def query_entity_roles(self, page: Page | None = None) -> m.QueryEntityRolesResponse:
        r = self._call(KsefClient.query_entity_roles, params=(page or Page()).params())
        return self._parse(m.QueryEntityRolesResponse, r)

    @operation("POST", "/permissions/query/subordinate-entities/roles")
    def query_subordinate_entity_roles(
        self, request: m.SubordinateEntityRolesQueryRequest, page: Page | None = None
    ) -> m.QuerySubordinateEntityRolesResponse:
        return self._query(
            KsefClient.query_subordinate_entity_roles, request, m.QuerySubordinateEntityRolesResponse, page
        )

    @operation("POST", "/permissions/query/authorizations/grants")
    def query_authorization_permissions(
        self, request: m.EntityAuthorizationPermissionsQueryRequest, page: Page | None = None
    ) -> m.QueryEntityAuthorizationPermissionsResponse:
        return self._query(
            KsefClient.query_authorization_permissions,
            request,
            m.QueryEntityAuthorizationPermissionsResponse,
            page,
        )

    @operation("POST", "/permissions/query/eu-entities/grants")
    def query_eu_entity_permissions(
        self, request: m.EuEntityPermissionsQueryRequest, page: Page | None = None
    ) -> m.QueryEuEntityPermissionsResponse:
        return self._query(
            KsefClient.query_eu_entity_permissions, request, m.QueryEuEntityPermissionsResponse, page
        )

    # --- KSeF tokens (§3.6) ---------------------------------------------------------------------------

    @operation("POST", "/tokens")
    def create_token(self, request: m.GenerateTokenRequest) -> m.GenerateTokenResponse:
        return self._parse(m.GenerateTokenResponse, self._call(KsefClient.create_token, body=request))

    @operation("GET", "/tokens")
    def list_tokens(
        self,
        *,
        statuses: list[str] | None = None,
        description: str | None = None,
        author_identifier: str | None = None,
        author_identifier_type: str | None = None,
        page_size: int | None = None,
        continuation_token: str | None = None,
    ) -> m.QueryTokensResponse:
        params = {
            "status": statuses,
            "description": description,
            "authorIdentifier": author_identifier,
            "authorIdentifierType": author_identifier_type,
            "pageSize": page_size,
        }
        r = self._call(KsefClient.list_tokens, params=params, headers=self._continuation(continuation_token))
        return self._parse(m.QueryTokensResponse, r)

    def iter_tokens(self, **filters: Any) -> Iterator[m.QueryTokensResponseItem]:
        token: str | None = None
        while True:
            page = self.list_tokens(continuation_token=token, **filters)
            yield from page.tokens
            token = page.continuationToken
            if not token:
                return

    @operation("GET", "/tokens/{referenceNumber}")
    def token_status(self, reference_number: str) -> m.TokenStatusResponse:
        return self._parse(m.TokenStatusResponse, self._call(KsefClient.token_status, reference_number))

    @operation("DELETE", "/tokens/{referenceNumber}")
    def revoke_token(self, reference_number: str) -> None:
        self._call(KsefClient.revoke_token, reference_number)

    # --- KSeF certificates (§3.7) ---------------------------------------------------------------------

    @operation("GET", "/certificates/limits")
    def certificate_limits(self) -> m.CertificateLimitsResponse:
        return self._parse(m.CertificateLimitsResponse, self._call(KsefClient.certificate_limits))

    @operation("GET", "/certificates/enrollments/data")
    def certificate_enrollment_data(self) -> m.CertificateEnrollmentDataResponse:
        r = self._call(KsefClient.certificate_enrollment_data)
        return self._parse(m.CertificateEnrollmentDataResponse, r)

    @operation("POST", "/certificates/enrollments")
    def enroll_certificate(self, request: m.EnrollCertificateRequest) -> m.EnrollCertificateResponse:
        r = self._call(KsefClient.enroll_certificate, body=request)
        return self._parse(m.EnrollCertificateResponse, r)

    @operation("GET", "/certificates/enrollments/{referenceNumber}")
    def certificate_enrollment_status(self, reference_number: str) -> m.CertificateEnrollmentStatusResponse:
        r = self._call(KsefClient.certificate_enrollment_status, reference_number)
        return self._parse(m.CertificateEnrollmentStatusResponse, r)

    @operation("POST", "/certificates/retrieve")
    def retrieve_certificates(self, request: m.RetrieveCertificatesRequest) -> m.RetrieveCertificatesResponse:
        r = self._call(KsefClient.retrieve_certificates, body=request, idempotent=True)
        return self._parse(m.RetrieveCertificatesResponse, r)

    @operation("POST", "/certificates/{certificateSerialNumber}/revoke")
    def revoke_certificate(
        self, certificate_serial_number: str, request: m.RevokeCertificateRequest | None = None
    ) -> None:
        self._call(
            KsefClient.revoke_certificate,
            certificate_serial_number,
            body=request or m.RevokeCertificateRequest(),
        )

    @operation("POST", "/certificates/query")
    def query_certificates(
        self, request: m.QueryCertificatesRequest | None = None, page: Page | None = None
    ) -> m.QueryCertificatesResponse:
        return self._query(
            KsefClient.query_certificates,
            request or m.QueryCertificatesRequest(),
            m.QueryCertificatesResponse,
            page,
        )

    # --- collective identifiers (API 2.7.0; digest §15) ----------------------------------------------

    @operation("POST", "/collective-identifiers", "collectiveIdentifier")
    def generate_collective_identifier(
        self, request: m.GenerateCollectiveIdentifierRequest
    ) -> m.GenerateCollectiveIdentifierResponse:
        """One identifier for up to 500 KSeF numbers of one seller (the buyer pays them with one transfer)."""
        r = self._call(KsefClient.generate_collective_identifier, body=request)
        return self._parse(m.GenerateCollectiveIdentifierResponse, r)

    @operation("POST", "/collective-identifiers/query")
    def query_collective_identifiers(
        self,
        request: m.CollectiveIdentifiersQueryRequest,
        *,
        page_size: int | None = None,
        continuation_token: str | None = None,
    ) -> m.CollectiveIdentifiersQueryResponse:
        r = self._call(
            KsefClient.query_collective_identifiers,
            body=request,
            params={"pageSize": page_size},
            headers=self._continuation(continuation_token),
            idempotent=True,
        )
        return self._parse(m.CollectiveIdentifiersQueryResponse, r)

    @operation("GET", "/collective-identifiers/ksef/{ksefNumber}")
    def collective_identifiers_of_invoice(
        self, ksef_number: str, *, page_size: int | None = None, continuation_token: str | None = None
    ) -> m.CollectiveIdentifiersByKsefNumberQueryResponse:
        r = self._call(
            KsefClient.collective_identifiers_of_invoice,
            ksef_number,
            params={"pageSize": page_size},
            headers=self._continuation(continuation_token),
        )
        return self._parse(m.CollectiveIdentifiersByKsefNumberQueryResponse, r)

    @operation("GET", "/collective-identifiers/{collectiveIdentifierNumber}/invoices")
    def collective_identifier_invoices(
        self, identifier: str, *, page_size: int | None = None, continuation_token: str | None = None
    ) -> m.CollectiveIdentifierInvoicesQueryResponse:
        r = self._call(
            KsefClient.collective_identifier_invoices,
            identifier,
            params={"pageSize": page_size},
            headers=self._continuation(continuation_token),
        )
        return self._parse(m.CollectiveIdentifierInvoicesQueryResponse, r)

    @operation("POST", "/collective-identifiers/invoices", "collectiveIdentifier")
    def collective_identifiers_invoices(
        self,
        request: m.CollectiveIdentifierInvoicesQueryRequest,
        *,
        page_size: int | None = None,
        continuation_token: str | None = None,
    ) -> m.CollectiveIdentifierInvoicesQueryResponse:
        """API 2.7.1 (from the changelog): the invoices of up to 10 identifiers, page size up to 500."""
        r = self._call(
            KsefClient.collective_identifiers_invoices,
            body=request,
            params={"pageSize": page_size},
            headers=self._continuation(continuation_token),
            idempotent=True,
        )
        return self._parse(m.CollectiveIdentifierInvoicesQueryResponse, r)

    # --- limits (§3.8) --------------------------------------------------------------------------------

    @operation("GET", "/limits/context")
    def context_limits(self) -> m.EffectiveContextLimits:
        return self._parse(m.EffectiveContextLimits, self._call(KsefClient.context_limits))

    @operation("GET", "/limits/subject")
    def subject_limits(self) -> m.EffectiveSubjectLimits:
        return self._parse(m.EffectiveSubjectLimits, self._call(KsefClient.subject_limits))

    @operation("GET", "/rate-limits")
    def rate_limits(self) -> m.EffectiveApiRateLimits:
        return self._parse(m.EffectiveApiRateLimits, self._call(KsefClient.rate_limits))

    # --- Peppol (§3.8) --------------------------------------------------------------------------------

    @operation("GET", "/peppol/query", public=True)
    def query_peppol_providers(self, page: Page | None = None) -> m.QueryPeppolProvidersResponse:
        r = self._call(KsefClient.query_peppol_providers, auth="none", params=(page or Page()).params())
        return self._parse(m.QueryPeppolProvidersResponse, r)

    # --- test data (§3.8; TEST environment and the simulator only) ------------------------------------

    def _testdata(self, tagged: Callable[..., Any], *segments: str, body: BaseModel | None = None) -> None:
        self._call(tagged, *segments, body=body)

    @operation("PUT", "/testdata/certificates/{serialNumber}")
    def testdata_update_certificate(
        self, serial_number: str, request: m.TestDataUpdateCertificateRequest
    ) -> None:
        """Shorten a KSeF certificate's validity (``validTo`` no later than now's); test environments only."""
        self._testdata(KsefClient.testdata_update_certificate, serial_number, body=request)

    @operation("POST", "/testdata/subject", public=True)
    def testdata_create_subject(self, request: m.SubjectCreateRequest) -> None:
        self._testdata(KsefClient.testdata_create_subject, body=request)

    @operation("POST", "/testdata/subject/remove", public=True)
    def testdata_remove_subject(self, request: m.SubjectRemoveRequest) -> None:
        self._testdata(KsefClient.testdata_remove_subject, body=request)

    @operation("POST", "/testdata/person", public=True)
    def testdata_create_person(self, request: m.PersonCreateRequest) -> None:
        self._testdata(KsefClient.testdata_create_person, body=request)

    @operation("POST", "/testdata/person/remove", public=True)
    def testdata_remove_person(self, request: m.PersonRemoveRequest) -> None:
        self._testdata(KsefClient.testdata_remove_person, body=request)

    @operation("POST", "/testdata/permissions", public=True)
    def testdata_grant_permissions(self, request: m.TestDataPermissionsGrantRequest) -> None:
        self._testdata(KsefClient.testdata_grant_permissions, body=request)

    @operation("POST", "/testdata/permissions/revoke", public=True)
    def testdata_revoke_permissions(self, request: m.TestDataPermissionsRevokeRequest) -> None:
        self._testdata(KsefClient.testdata_revoke_permissions, body=request)

    @operation("POST", "/testdata/attachment", public=True)
    def testdata_allow_attachments(self, request: m.AttachmentPermissionGrantRequest) -> None:
        self._testdata(KsefClient.testdata_allow_attachments, body=request)

    @operation("POST", "/testdata/attachment/revoke", public=True)
    def testdata_revoke_attachments(self, request: m.AttachmentPermissionRevokeRequest) -> None:
        self._testdata(KsefClient.testdata_revoke_attachments, body=request)

    @operation("POST", "/testdata/context/block", public=True)
    def testdata_block_context(self, request: m.BlockContextAuthenticationRequest) -> None:
        self._testdata(KsefClient.testdata_block_context, body=request)

    @operation("POST", "/testdata/context/unblock", public=True)
    def testdata_unblock_context(self, request: m.UnblockContextAuthenticationRequest) -> None:
        self._testdata(KsefClient.testdata_unblock_context, body=request)

    @operation("POST", "/testdata/limits/context/session")
    def testdata_set_session_limits(self, request: m.SetSessionLimitsRequest) -> None:
        self._testdata(KsefClient.testdata_set_session_limits, body=request)

    @operation("DELETE", "/testdata/limits/context/session")
    def testdata_reset_session_limits(self) -> None:
        self._testdata(KsefClient.testdata_reset_session_limits)

    @operation("POST", "/testdata/limits/subject/certificate")
    def testdata_set_subject_limits(self, request: m.SetSubjectLimitsRequest) -> None:
        self._testdata(KsefClient.testdata_set_subject_limits, body=request)

    @operation("DELETE", "/testdata/limits/subject/certificate")
    def testdata_reset_subject_limits(self) -> None:
        self._testdata(KsefClient.testdata_reset_subject_limits)

    @operation("POST", "/testdata/rate-limits")
    def testdata_set_rate_limits(self, request: m.SetRateLimitsRequest) -> None:
        self._testdata(KsefClient.testdata_set_rate_limits, body=request)

    @operation("DELETE", "/testdata/rate-limits")
    def testdata_reset_rate_limits(self) -> None:
        self._testdata(KsefClient.testdata_reset_rate_limits)

    @operation("POST", "/testdata/rate-limits/production")
    def testdata_production_rate_limits(self) -> None:
        self._testdata(KsefClient.testdata_production_rate_limits)
