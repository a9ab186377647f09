"""The UI's route class: the app's refusals become Polish HTML pages (the API keeps its problem+json)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from fakturnik.errors import AuthenticationError, NotFoundError, PermissionDeniedError
from fakturnik.web.ui.deps import LoginRequired, login_url
from fakturnik.web.ui.templating import render

__all__ = ["UiRoute", "error_page", "ui_router"]


def error_page(request: Request, status: int, title: str, text: str) -> Response:
    if request.headers.get("hx-request"):
        return render(request, "_error_fragment.html", {"title": title, "text": text}, status_code=status)
    from fakturnik.web import security

    context = {"title": title, "text": text, "csrf": security.csrf_token(request), "user": None}
    return render(request, "error.html", context, status_code=status)


class UiRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired as exc:
                if request.headers.get("hx-request"):
                    return Response(status_code=204, headers={"HX-Redirect": login_url(exc.next_url)})
                if exc.next_url == "/kreator":
                    return RedirectResponse(exc.next_url, status_code=303)
                return RedirectResponse(login_url(exc.next_url), status_code=303)
            except AuthenticationError:
                return RedirectResponse("/logowanie", status_code=303)
            except NotFoundError:
                return error_page(
                    request, 404, "Nie znaleziono", "Nie ma takiej strony albo nie masz do niej dostępu."
                )
            except PermissionDeniedError as exc:
                return error_page(request, 403, "Brak uprawnień", f"Nie możesz tego zrobić: {exc}.")

        return guarded


MAX_FORM_FIELDS = 50_000
"""Fields a UI form may post (a big invoice form); the handlers refuse what they cannot take in Polish."""


async def ui_csrf(request: Request) -> None:
    """The security layer's CSRF check, after reading the form with room for a big invoice form
    (Starlette caches it, so the handler and the check see the same fields)."""
    from fakturnik.web import security

    content_type = request.headers.get("content-type", "")
    if request.method in security.UNSAFE_METHODS and content_type.startswith(
        "application/x-www-form-urlencoded"
    ):
        with contextlib.suppress(Exception):  # too big: the check below reads it again and refuses
            await request.form(max_fields=MAX_FORM_FIELDS, max_files=0)
    await security.csrf_protect(request)


def ui_router() -> APIRouter:
    """A router of web pages: Polish error pages, the CSRF check on every unsafe request, and never in the
    REST API's OpenAPI document."""
    return APIRouter(route_class=UiRoute, dependencies=[Depends(ui_csrf)], include_in_schema=False)
