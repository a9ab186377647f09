"""What the resource routers share: request-model base, problem responses for OpenAPI, examples."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from types import SimpleNamespace
from typing import Annotated, Any, Self, TypeVar

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, TypeAdapter

from fakturnik.web.api.problems import PROBLEM_JSON, ProblemDetails

MAX_ID = 2**63 - 1  # ids are 64-bit integers in the store
CompanyId = Annotated[int, Path(description="Id firmy (z GET /companies).", ge=1, le=MAX_ID)]
"""The ``{company_id}`` of every company route."""


class Body(BaseModel):
    """Request bodies: unknown fields are an error (a typo must not vanish silently)."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    """Answers read from the app's views: ``XOut.of(view)`` takes each field from the view's attribute
    (or property) of that name, nested answers too; ``computed`` gives the fields a view computes by a
    method call."""

    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def of(cls, view: Any, **computed: Any) -> Self:
        if computed:
            view = SimpleNamespace(
                **{name: getattr(view, name, None) for name in cls.model_fields} | computed
            )
        return cls.model_validate(view)


def _problem(description: str) -> dict[str, Any]:
    return {"model": ProblemDetails, "description": description, "content": {PROBLEM_JSON: {}}}


ERRORS: dict[int | str, dict[str, Any]] = {
    400: _problem("Niepoprawne żądanie (np. niepoprawny JSON)."),
    401: _problem("Brak albo nieprawidłowy klucz API / sesja."),
    403: _problem("Rola albo zakres klucza nie pozwala na tę operację."),
    404: _problem("Nie ma takiego obiektu (albo należy do innej firmy)."),
    413: _problem("Treść żądania jest za duża."),
    422: _problem("Niepoprawne pola; `errors` podaje ścieżkę każdego problemu."),
}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {**ERRORS, 409: _problem("Konflikt ze stanem obiektu.")}

XML_ANSWER: dict[str, Any] = {
    "problems": {200: {"content": {"application/xml": {"schema": {"type": "string"}}}, "description": "XML"}},
    "response_class": Response,
}
"""``@route(…, **XML_ANSWER)``: the operation answers an XML document (FA(3), UPO), see :func:`xml`."""


def xml(document: bytes) -> Response:
    return Response(document, media_type="application/xml")


Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


class Routes:
    """The REST operations of one router: ``@route("GET", path, operation_id)`` over a function whose
    docstring is the operation's summary (a paragraph after it, the description).

    The problems an operation documents follow from its method: a read answers ``ERRORS``, a write
    ``WRITE_ERRORS`` (409 too); ``problems`` adds the operation's own (e.g. 502 when KSeF does not
    answer), ``responses`` replaces them. Other keywords (``status_code``, ``response_class``, …) go
    to FastAPI as they are.
    """

    def __init__(self, router: APIRouter) -> None:
        self.router = router

    def __call__(
        self,
        method: str,
        path: str,
        operation_id: str,
        *,
        problems: dict[int | str, dict[str, Any]] | None = None,
        **options: Any,
    ) -> Callable[[Endpoint], Endpoint]:
        base = ERRORS if method == "GET" else WRITE_ERRORS
        options.setdefault("responses", {**base, **(problems or {})})

        def declare(endpoint: Endpoint) -> Endpoint:
            summary, _, description = inspect.cleandoc(endpoint.__doc__ or "").partition("\n\n")
            options.setdefault("summary", " ".join(summary.split()) or None)
            options.setdefault("description", " ".join(description.split()) or None)
            endpoint.__doc__ = None  # else FastAPI would take the whole docstring as the description
            self.router.api_route(path, methods=[method], operation_id=operation_id, **options)(endpoint)
            return endpoint

        return declare


DRAFT_EXAMPLE: dict[str, Any] = {
    "Podmiot1": {
        "DaneIdentyfikacyjne": {"NIP": "5265877635", "Nazwa": "Przykładowa Firma sp. z o.o."},
        "Adres": {"KodKraju": "PL", "AdresL1": "ul. Prosta 1", "AdresL2": "00-001 Warszawa"},
    },
    "Podmiot2": {
        "DaneIdentyfikacyjne": {"NIP": "7740001454", "Nazwa": "Klient S.A."},
        "Adres": {"KodKraju": "PL", "AdresL1": "ul. Długa 2", "AdresL2": "30-001 Kraków"},
    },
    "Fa": {
        "P_1": "2026-12-07",
        "P_2": "AUTO",
        "P_6": "2026-12-07",
        "FaWiersz": [
            {"P_7": "Wdrożenie systemu", "P_8A": "godz.", "P_8B": "12.5", "P_9A": "180.00", "P_12": "23"}
        ],
    },
}


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def fast_json(model: Any, value: Any, status_code: int = 200) -> Response:
    """Serialize a large answer once with pydantic-core (the route declares ``response_model=model``
    for the OpenAPI document; returning a Response skips FastAPI's second validation pass)."""
    adapter = _ADAPTERS.get(model)
    if adapter is None:
        adapter = _ADAPTERS[model] = TypeAdapter(model)
    return Response(adapter.dump_json(value), status_code=status_code, media_type="application/json")
