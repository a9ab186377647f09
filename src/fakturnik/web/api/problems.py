"""RFC 9457 problem details: every error of the REST API in one shape, mapped in one place.

A problem has ``type`` (a stable URI under ``/api/v1/problems/``), ``title``, ``status``, a stable
``code``, a Polish ``detail`` and, for validation, ``errors``: one item per problem with the path the
validator gives (``Fa/FaWiersz[2]/P_12`` for an invoice, ``lines[1]/quantity`` for a request field).
Nothing from the request that may be secret is echoed: values are never copied into messages.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from fakturnik.errors import (
    AuthenticationError,
    ConflictError,
    EngineError,
    FakturnikError,
    InputError,
    InvoiceError,
    InvoiceValidationError,
    KsefError,
    KsefTransportError,
    NotFoundError,
    PermissionDeniedError,
    Problem,
    StoreError,
    VaultError,
)
from fakturnik.fa3.jsonform import field_path

log = logging.getLogger("fakturnik.web")

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "/api/v1/problems/"

_TITLES = {
    400: "Niepoprawne żądanie",
    401: "Wymagane uwierzytelnienie",
    403: "Brak uprawnień",
    404: "Nie znaleziono",
    405: "Metoda niedozwolona",
    406: "Nieobsługiwany format odpowiedzi",
    409: "Konflikt",
    413: "Zbyt duże żądanie",
    415: "Nieobsługiwany typ treści",
    422: "Niepoprawne dane",
    429: "Zbyt wiele prób",
    500: "Błąd serwera",
    502: "Usługa zewnętrzna nie odpowiedziała",
    503: "Usługa niedostępna",
}


# the first match wins: subclasses before their bases
_STATUSES: tuple[tuple[type[FakturnikError], int], ...] = (
    (NotFoundError, 404),
    (PermissionDeniedError, 403),
    (AuthenticationError, 401),
    (ConflictError, 409),
    (InputError, 422),
    (InvoiceError, 422),
    (EngineError, 409),
    (KsefError, 502),
    (StoreError, 500),
    (VaultError, 500),
)
_CODES: tuple[tuple[type[FakturnikError], str], ...] = (
    (InvoiceValidationError, "invoice_invalid"),
    (InvoiceError, "invoice_unreadable"),
    (EngineError, "engine_refused"),
    (KsefError, "ksef_error"),
    (StoreError, "internal"),
    (VaultError, "internal"),
)


class ProblemItem(BaseModel):
    """One problem found in the request: where (path) and what (Polish message)."""

    path: str = Field(description="XML path (FA(3)) or JSON path of the field; empty for the whole document.")
    message: str
    code: str = ""
    severity: str = "error"


class ProblemDetails(BaseModel):
    """RFC 9457 problem details (``application/problem+json``)."""

    type: str = Field(examples=["/api/v1/problems/invoice_invalid"])
    title: str = Field(examples=["Niepoprawne dane"])
    status: int = Field(examples=[422])
    code: str = Field(description="Stable machine-readable code.", examples=["invoice_invalid"])
    detail: str = Field(
        description="What went wrong, in Polish.", examples=["Faktura nie przeszła walidacji."]
    )
    instance: str | None = None
    errors: list[ProblemItem] = Field(default_factory=list)


class ApiProblem(Exception):
    """Raise from a route to answer with a problem; ``headers`` e.g. Retry-After or WWW-Authenticate."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        errors: Sequence[ProblemItem] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}")
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = list(errors)
        self.headers = headers or {}


def problem_response(
    status: int,
    code: str,
    detail: str,
    errors: Iterable[ProblemItem] = (),
    *,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ProblemDetails(
        type=TYPE_BASE + code,
        title=_TITLES.get(status, "Błąd"),
        status=status,
        code=code,
        detail=detail,
        instance=instance,
        errors=list(errors),
    )
    return JSONResponse(
        body.model_dump(exclude_none=True), status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


def items_from_problems(problems: Iterable[Problem]) -> list[ProblemItem]:
    return [ProblemItem(path=p.path, message=p.message, code=p.code, severity=p.severity) for p in problems]


_FIELD_MESSAGES = {
    "missing": "Pole jest wymagane.",
    "extra_forbidden": "Nieznane pole.",
    "string_type": "Oczekiwano tekstu.",
    "int_type": "Oczekiwano liczby całkowitej.",
    "int_parsing": "Oczekiwano liczby całkowitej.",
    "bool_type": "Oczekiwano wartości logicznej (true/false).",
    "bool_parsing": "Oczekiwano wartości logicznej (true/false).",
    "decimal_parsing": "Oczekiwano liczby.",
    "decimal_type": "Oczekiwano liczby.",
    "float_parsing": "Oczekiwano liczby.",
    "date_from_datetime_parsing": "Oczekiwano daty w formacie RRRR-MM-DD.",
    "date_parsing": "Oczekiwano daty w formacie RRRR-MM-DD.",
    "date_type": "Oczekiwano daty w formacie RRRR-MM-DD.",
    "datetime_parsing": "Oczekiwano daty i czasu (ISO 8601).",
    "list_type": "Oczekiwano listy.",
    "model_type": "Oczekiwano obiektu.",
    "dict_type": "Oczekiwano obiektu.",
    "model_attributes_type": "Oczekiwano obiektu.",
    "string_too_long": "Tekst jest za długi (najwyżej {max_length} znaków).",
    "string_too_short": "Tekst jest za krótki (co najmniej {min_length} znaków).",
    "too_long": "Za dużo elementów (najwyżej {max_length}).",
    "too_short": "Za mało elementów (co najmniej {min_length}).",
    "greater_than": "Wartość musi być większa niż {gt}.",
    "greater_than_equal": "Wartość musi być co najmniej {ge}.",
    "less_than_equal": "Wartość może wynosić najwyżej {le}.",
    "less_than": "Wartość musi być mniejsza niż {lt}.",
    "literal_error": "Niedozwolona wartość (dozwolone: {expected}).",
    "enum": "Niedozwolona wartość (dozwolone: {expected}).",
    "string_pattern_mismatch": "Niepoprawny format.",
    "value_error": "Niepoprawna wartość.",
    "uuid_parsing": "Oczekiwano identyfikatora UUID.",
    "url_parsing": "Oczekiwano adresu URL.",
    "url_scheme": "Niedozwolony adres URL (dozwolone schematy: {expected_schemes}).",
}


def items_from_validation(errors: Sequence[Any]) -> list[ProblemItem]:
    items = []
    for err in errors:
        loc = list(err.get("loc", ()))
        if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
            where = loc.pop(0)
            prefix = "" if where == "body" else f"{where}:"
        else:
            prefix = ""
        template = _FIELD_MESSAGES.get(err.get("type", ""))
        ctx = err.get("ctx") or {}
        try:
            message = template.format(**ctx) if template else "Niepoprawna wartość."
        except (KeyError, IndexError):
            message = "Niepoprawna wartość."
        if err.get("type") == "value_error" and ctx.get("error") is not None:
            message = str(ctx["error"]).removeprefix("Value error, ")
        items.append(ProblemItem(path=prefix + field_path(loc), message=message, code=f"{err['type']}"))
    return items


def _error_code(exc: FakturnikError) -> str:
    code = getattr(exc, "code", None)
    if isinstance(code, str) and code:
        return code
    for cls, name in _CODES:
        if isinstance(exc, cls):
            return name
    return "error"


# codes whose status is not their class's (a public service the app depends on did not answer)
_CODE_STATUS = {"white_list_unavailable": 502}


def _status_for(exc: FakturnikError) -> int:
    code = getattr(exc, "code", None)
    if isinstance(code, str) and code in _CODE_STATUS:
        return _CODE_STATUS[code]
    for cls, status in _STATUSES:
        if isinstance(exc, cls):
            return status
    return 400


def _server_side(exc: FakturnikError) -> bool:
    return isinstance(exc, StoreError | VaultError)


def install_problem_handlers(app: FastAPI) -> None:
    """Every error the API can give becomes a problem; an unexpected one a 500 without any detail."""

    @app.exception_handler(ApiProblem)
    async def _api_problem(request: Request, exc: ApiProblem) -> JSONResponse:
        return problem_response(exc.status, exc.code, exc.detail, exc.errors, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return problem_response(400, "malformed_json", "Treść żądania nie jest poprawnym JSON.")
        return problem_response(
            422, "invalid_request", "Żądanie zawiera niepoprawne pola.", items_from_validation(errors)
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        status = exc.status_code
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthenticated"}.get(
            status, f"http.{status}"
        )
        detail = exc.detail if isinstance(exc.detail, str) and status != 404 else _TITLES.get(status, "Błąd")
        if status == 404:
            detail = "Nie ma takiego zasobu."
        headers = dict(exc.headers) if exc.headers else None
        return problem_response(status, code, detail, headers=headers)

    @app.exception_handler(InvoiceValidationError)
    async def _invoice(request: Request, exc: InvoiceValidationError) -> JSONResponse:
        return problem_response(
            422,
            _error_code(exc),
            f"Faktura nie przeszła walidacji ({len(exc.problems)} problem(ów)).",
            items_from_problems(exc.problems),
        )

    @app.exception_handler(FakturnikError)
    async def _fakturnik(request: Request, exc: FakturnikError) -> JSONResponse:
        status = _status_for(exc)
        if _server_side(exc):
            log.error("server-side error on %s %s: %s", request.method, request.url.path, type(exc).__name__)
            return problem_response(500, "internal", "Wewnętrzny błąd serwera. Spróbuj ponownie później.")
        if isinstance(exc, KsefError):
            code = "ksef_unavailable" if isinstance(exc, KsefTransportError) else "ksef_error"
            return problem_response(502, code, "KSeF nie wykonał operacji: " + str(exc)[:300])
        problems = getattr(exc, "problems", None)
        items = items_from_problems(problems) if isinstance(problems, list) else []
        # Fakturnik's messages never carry secrets (errors.py); they are Polish for user-facing errors
        return problem_response(status, _error_code(exc), str(exc) or _TITLES.get(status, "Błąd"), items)
