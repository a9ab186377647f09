"""The documented JSON form of an FA(3) invoice (docs/fa3-json.md).

The JSON form is the model itself: keys are the FA(3) element names (``Podmiot1``, ``Fa``,
``FaWiersz``, ``P_13_1`` ...), nested as in the XML; repeated elements are arrays; amounts and other
decimals are strings (``"100.00"``; numbers are accepted on input); dates are ``YYYY-MM-DD``; markers
(``P_16``, ``StanPrzed`` ...) are integers. Absent elements are absent keys. The same JSON is what the
CLI ``fakturnik fa3 build`` and the REST API accept. A *draft* may leave line values and all totals out:
:func:`invoice_from_draft` computes them, and :func:`xml_from_draft` gives the XML of the result directly.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from fakturnik.errors import InvoiceValidationError, Problem
from fakturnik.fa3.amounts import TaxMethod
from fakturnik.fa3.builder import build_invoice
from fakturnik.fa3.model import Faktura

__all__ = [
    "invoice_from_draft",
    "invoice_from_json",
    "invoice_json_schema",
    "invoice_to_json",
    "invoice_to_json_text",
    "problems_from_validation_error",
    "xml_from_draft",
]

_MESSAGES = {
    "missing": "Brak wymaganego pola.",
    "extra_forbidden": "Nieznane pole (nie występuje w FA(3) w tym miejscu).",
    "literal_error": "Niedozwolona wartość; dozwolone: {expected}.",
    "decimal_parsing": "Oczekiwano liczby dziesiętnej.",
    "decimal_type": "Oczekiwano liczby dziesiętnej.",
    "decimal_bounds": "Liczba ma za dużo cyfr (do 23 przed przecinkiem, 20 po nim) lub jest niedozwolona.",
    "date_from_datetime_parsing": "Oczekiwano daty w formacie RRRR-MM-DD.",
    "date_parsing": "Oczekiwano daty w formacie RRRR-MM-DD.",
    "date_type": "Oczekiwano daty w formacie RRRR-MM-DD.",
    "int_parsing": "Oczekiwano liczby całkowitej.",
    "int_type": "Oczekiwano liczby całkowitej.",
    "string_type": "Oczekiwano tekstu.",
    "list_type": "Oczekiwano listy.",
    "model_type": "Oczekiwano obiektu.",
    "dict_type": "Oczekiwano obiektu.",
}


def field_path(loc: Sequence[int | str]) -> str:
    """A validator location as the paths of problems write it: ``Fa/FaWiersz[2]/P_12`` (indexes 1-based)."""
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int) and parts:
            parts[-1] = f"{parts[-1]}[{item + 1}]"
        else:
            parts.append(str(item))
    return "/".join(parts)


def problems_from_validation_error(exc: ValidationError) -> list[Problem]:
    """pydantic errors as :class:`Problem` s with FA(3) paths (``Fa/FaWiersz[2]/P_12``) and Polish text."""
    problems = []
    for err in exc.errors():
        template = _MESSAGES.get(err["type"])
        ctx = err.get("ctx") or {}
        message = template.format(**ctx) if template else f"Niepoprawna wartość ({err['msg']})."
        problems.append(Problem(path=field_path(err["loc"]), message=message, code=f"json.{err['type']}"))
    return problems


MAX_JSON_BYTES = 10_000_000  # an FA(3) invoice is at most 3 MB of XML; its JSON form is of that order
MAX_JSON_DEPTH = 32  # FA(3) nests about 8 levels deep


def _bad_json(detail: str) -> InvoiceValidationError:
    return InvoiceValidationError([Problem(path="", message=f"Niepoprawny JSON: {detail}", code="json")])


def _depth_exceeds(value: Any, limit: int) -> bool:
    if limit < 0:
        return True
    if isinstance(value, dict):
        return any(_depth_exceeds(v, limit - 1) for v in value.values())
    if isinstance(value, list):
        return any(_depth_exceeds(v, limit - 1) for v in value)
    return False


def read_json_text(data: str | bytes) -> Any:
    """Parse untrusted JSON text: UTF-8 only, bounded size and nesting; anything else raises
    :class:`InvoiceValidationError` with a ``Niepoprawny JSON: …`` message."""
    if len(data) > MAX_JSON_BYTES:
        raise _bad_json(f"dokument ma {len(data)} znaków/bajtów, więcej niż dozwolone {MAX_JSON_BYTES}.")
    if isinstance(data, bytes | bytearray):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _bad_json(f"to nie jest poprawny UTF-8 (bajt {exc.start}).") from None
    try:
        loaded = json.loads(data, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise _bad_json(f"{exc.msg} (wiersz {exc.lineno}).") from None
    except RecursionError:
        raise _bad_json(f"zbyt głębokie zagnieżdżenie (dozwolone {MAX_JSON_DEPTH} poziomy).") from None
    if _depth_exceeds(loaded, MAX_JSON_DEPTH):
        raise _bad_json(f"zbyt głębokie zagnieżdżenie (dozwolone {MAX_JSON_DEPTH} poziomy).")
    return loaded


def _load(data: dict[str, Any] | str | bytes) -> dict[str, Any]:
    if isinstance(data, str | bytes | bytearray):
        loaded = read_json_text(data)
        if not isinstance(loaded, dict):
            raise InvoiceValidationError([Problem(path="", message="Oczekiwano obiektu JSON.", code="json")])
        return loaded
    return data


def invoice_from_json(data: dict[str, Any] | str | bytes) -> Faktura:
    """A complete invoice from its JSON form (nothing computed); problems as InvoiceValidationError."""
    try:
        return Faktura.model_validate(_load(data))
    except ValidationError as exc:
        raise InvoiceValidationError(problems_from_validation_error(exc)) from None


def invoice_from_draft(data: dict[str, Any] | str | bytes, *, method: TaxMethod | None = None) -> Faktura:
    """An invoice from a JSON draft: line values and totals computed, supplied ones checked."""
    try:
        return build_invoice(_load(data), method=method)
    except ValidationError as exc:
        raise InvoiceValidationError(problems_from_validation_error(exc)) from None


def xml_from_draft(data: dict[str, Any] | str | bytes, *, method: TaxMethod | None = None) -> bytes:
    """FA(3) bytes of a JSON draft: ``write_invoice(invoice_from_draft(data))``, through the faster
    :func:`fakturnik.fa3.draft_xml.draft_to_xml` (same bytes, same errors)."""
    from fakturnik.fa3.draft_xml import draft_to_xml

    try:
        return draft_to_xml(_load(data), method=method)
    except ValidationError as exc:
        raise InvoiceValidationError(problems_from_validation_error(exc)) from None


def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            pv = _prune(v)
            if pv is None or pv == [] or pv == {}:
                continue
            out[k] = pv
        return out
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def invoice_to_json(invoice: Faktura) -> dict[str, Any]:
    """The JSON form (a dict of JSON types): absent elements, empty lists and empty extras left out."""
    result: dict[str, Any] = _prune(invoice.model_dump(mode="json"))
    return result


def invoice_to_json_text(invoice: Faktura) -> str:
    """The JSON form as text: UTF-8 characters kept, two-space indent, schema order of keys."""
    return json.dumps(invoice_to_json(invoice), ensure_ascii=False, indent=2) + "\n"


def invoice_json_schema() -> dict[str, Any]:
    """JSON Schema of the JSON form (for the REST API and editors)."""
    return Faktura.model_json_schema()
