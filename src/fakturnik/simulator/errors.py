"""KSeF error responses: the legacy JSON body, problem-details, 401/403/429 forms (digest §2)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

PROBLEM_JSON = "application/problem+json"

# Descriptions KSeF uses for the codes the simulator raises (digest §7).
DESCRIPTIONS: dict[int, str] = {
    9101: "Nieprawidłowy dokument.",
    9102: "Brak podpisu.",
    9103: "Przekroczona liczba dozwolonych podpisów.",
    9105: "Nieprawidłowy podpis.",
    21001: "Nieczytelna treść.",
    21111: "Nieprawidłowe wyzwanie autoryzacyjne.",
    21115: "Nieprawidłowy certyfikat.",
    21117: "Nieprawidłowy identyfikator podmiotu dla wskazanego typu kontekstu.",
    21155: "Przekroczono dozwoloną liczbę faktur w sesji.",
    21157: "Nieprawidłowy rozmiar części pakietu.",
    21161: "Przekroczono dozwoloną liczbę części pakietu.",
    21164: "Faktura o podanym identyfikatorze nie istnieje.",
    21165: "Faktura o podanym numerze KSeF nie jest jeszcze dostępna.",
    21166: "Korekta techniczna niedostępna.",
    21167: "Status faktury nie pozwala na korektę techniczną.",
    21173: "Brak sesji o wskazanym numerze referencyjnym.",
    21175: "Wynik zapytania o podanym identyfikatorze nie istnieje.",
    21178: "Nie znaleziono UPO dla podanych kryteriów.",
    21180: "Status sesji nie pozwala na wykonanie operacji.",
    21184: "Sesja tymczasowo niedostępna.",
    21181: "Nieprawidłowe żądanie eksportu faktur.",
    21182: "Osiągnięto limit trwających eksportów.",
    21183: "Zakres filtrowania wykracza poza dostępny zakres danych.",
    21205: "Pakiet nie może być pusty.",
    21208: "Czas oczekiwania na requesty upload lub finish został przekroczony.",
    21217: "Nieprawidłowe kodowanie znaków.",
    21301: "Brak autoryzacji.",
    21304: "Brak uwierzytelnienia.",
    21308: "Próba wykorzystania metod autoryzacyjnych osoby zmarłej.",
    21401: "Dokument nie jest zgodny ze schemą (xsd).",
    21402: "Nieprawidłowy rozmiar pliku.",
    21403: "Nieprawidłowy skrót pliku.",
    21405: "Błąd walidacji danych wejściowych.",
    21406: "Konflikt podpisu i typu uwierzytelnienia.",
    21418: "Przekazany token kontynuacji ma nieprawidłowy format.",
    21470: "Przesłany identyfikator klucza jest nieznany lub wskazuje na wycofany klucz.",
    25001: "Brak możliwości pobrania danych do CSR dla wykorzystanego sposobu uwierzytelnienia.",
    25002: "Brak możliwości złożenia wniosku certyfikacyjnego dla wykorzystanego sposobu uwierzytelnienia.",
    25003: "Dane w CSR nie zgadzają się z danymi w użytym wektorze uwierzytelniającym.",
    25004: "Niepoprawny format CSR lub niepoprawny podpis CSR.",
    25005: "Wniosek certyfikacyjny o podanym numerze referencyjnym nie istnieje.",
    25006: "Osiągnięto limit możliwych do złożenia wniosków certyfikacyjnych.",
    25007: "Osiągnięto limit dopuszczalnej liczby posiadanych certyfikatów.",
    25008: "Certyfikat o podanym numerze seryjnym nie istnieje.",
    25009: "Nie można odwołać wskazanego certyfikatu, ponieważ jest już odwołany, zablokowany lub nieważny.",
    25010: "Nieprawidłowy typ lub długość klucza.",
    25011: "Nieprawidłowy algorytm podpisu CSR.",
    26001: "Nie można nadać tokenowi uprawnień których nie posiadasz.",
    26002: "Nie można wygenerować tokena dla obecnego typu kontekstu.",
    30001: "Podmiot lub uprawnienie już istnieje.",
}


def _now_iso(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).astimezone(UTC).isoformat().replace("+00:00", "Z")


class ApiError(Exception):
    """Raise from any handler to answer with a KSeF 400-style (or other status) error."""

    def __init__(
        self,
        code: int,
        details: list[str] | str | None = None,
        *,
        status: int = 400,
        description: str | None = None,
    ) -> None:
        self.code = code
        self.status = status
        self.description = description or DESCRIPTIONS.get(code, "Błąd.")
        self.details = [details] if isinstance(details, str) else list(details or [])
        super().__init__(f"{code} {self.description} {self.details}")


class UnauthorizedError(Exception):
    """401: bearer missing, invalid, expired or of the wrong kind."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


class ForbiddenError(Exception):
    """403 with a ``reasonCode`` and optional ``security`` block."""

    def __init__(self, reason_code: str, detail: str, security: dict[str, Any] | None = None) -> None:
        self.reason_code = reason_code
        self.detail = detail
        self.security = security
        super().__init__(detail)


class RateLimitedError(Exception):
    """429 with Retry-After seconds."""

    def __init__(self, retry_after: int, detail: str) -> None:
        self.retry_after = retry_after
        self.detail = detail
        super().__init__(detail)


def problem(
    request: Request,
    status: int,
    title: str,
    detail: str,
    *,
    at: datetime | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem-details answer as KSeF writes them: what and where, then when (``at``, default now)
    and a trace id; ``extra`` members go between."""
    body: dict[str, Any] = {"title": title, "status": status, "detail": detail, "instance": request.url.path}
    body |= extra
    body["timestamp"] = _now_iso(at)
    body["traceId"] = uuid.uuid4().hex
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _wants_problem(request: Request) -> bool:
    return request.headers.get("x-error-format", "").lower() == "problem-details"


def api_error_response(request: Request, exc: ApiError) -> Response:
    if _wants_problem(request):
        title = "Bad Request" if exc.status == 400 else "Error"
        errors = [{"code": exc.code, "description": exc.description, "details": exc.details}]
        return problem(request, exc.status, title, exc.description, errors=errors)
    body = {
        "exception": {
            "exceptionDetailList": [
                {"exceptionCode": exc.code, "exceptionDescription": exc.description, "details": exc.details}
            ],
            "referenceNumber": None,
            "serviceCode": uuid.uuid4().hex,
            "serviceCtx": "srvSIM",
            "serviceName": "fakturnik-simulator",
            "timestamp": _now_iso(),
        }
    }
    return JSONResponse(body, status_code=exc.status)


def unauthorized_response(request: Request, exc: UnauthorizedError) -> Response:
    return problem(request, 401, "Unauthorized", exc.detail)


def forbidden_response(request: Request, exc: ForbiddenError) -> Response:
    security: dict[str, Any] = {} if exc.security is None else {"security": exc.security}
    return problem(request, 403, "Forbidden", exc.detail, reasonCode=exc.reason_code, **security)


def rate_limited_response(request: Request, exc: RateLimitedError) -> Response:
    headers = {"Retry-After": str(exc.retry_after)}
    if _wants_problem(request):
        return problem(request, 429, "Too Many Requests", exc.detail, headers=headers)
    body = {"status": {"code": 429, "description": "Too Many Requests", "details": [exc.detail]}}
    return JSONResponse(body, status_code=429, headers=headers)


def gone(request: Request, at: datetime | None = None) -> JSONResponse:
    """410 for an operation whose status is no longer kept (``GoneProblemDetails``); ``at``: the
    simulator's clock when the route reads it."""
    return problem(request, 410, "Gone", "Operacja wygasła i nie jest już dostępna.", at=at)
