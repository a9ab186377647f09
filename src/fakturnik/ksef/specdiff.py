"""What changed between two KSeF OpenAPI documents: operations, parameters, fields, enums, limits, errors.

Pure functions over the parsed JSON documents (``json.load`` of the Ministry's ``open-api.json``); texts
(descriptions, summaries, examples) are ignored, so the diff shows only what an integration must act on.
``fakturnik ksef spec-diff OLD NEW`` prints :func:`render` of :func:`diff`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

HTTP_METHODS = ("get", "post", "put", "delete", "patch")
_REF = "#/components/schemas/"
# schema keywords that constrain a value (descriptions and examples are not a contract change)
_CONSTRAINTS = (
    "type",
    "format",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minItems",
    "maxItems",
    "nullable",
    "default",
)
# "| 21405 | Błąd walidacji..." rows of the Ministry's error tables in response descriptions
_ERROR_ROW = re.compile(r"^\|\s*(\d{5})\s*\|", re.MULTILINE)

Kind = Literal["added", "removed", "changed"]
Area = Literal[
    "operation", "parameter", "request", "response", "limit", "permission", "error", "schema", "field", "enum"
]


@dataclass(frozen=True, order=True)
class Change:
    """One difference: ``area`` (what sort of thing), ``where`` (operation or schema), ``what`` (detail)."""

    area: Area
    kind: Kind
    where: str
    what: str = ""

    def line(self) -> str:
        sign = {"added": "+", "removed": "-", "changed": "~"}[self.kind]
        return f"{sign} {self.where}" + (f": {self.what}" if self.what else "")


def operations(spec: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``"METHOD /path"`` → operation object, in document order."""
    return {
        f"{m.upper()} {path}": op
        for path, ops in spec.get("paths", {}).items()
        for m, op in ops.items()
        if m in HTTP_METHODS
    }


def schemas(spec: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = spec.get("components", {}).get("schemas", {})
    return found


def _type_of(node: Mapping[str, Any]) -> str:
    """A short text of a schema: ``$ref`` name, ``array of X``, or the constraints that define it."""
    if "$ref" in node:
        return str(node["$ref"]).removeprefix(_REF)
    if node.get("allOf"):
        inner = " & ".join(_type_of(n) for n in node["allOf"])
        extra = _constraints(node)
        return inner + (f" {extra}" if extra else "")
    if node.get("type") == "array":
        return f"array of {_type_of(node.get('items', {}))}" + (
            f" {_constraints(node, skip=('type',))}" if _constraints(node, skip=("type",)) else ""
        )
    if "enum" in node:
        return "enum"
    return _constraints(node) or "any"


def _constraints(node: Mapping[str, Any], skip: Iterable[str] = ()) -> str:
    parts = [f"{k}={node[k]!r}" for k in _CONSTRAINTS if k in node and k not in skip]
    return " ".join(parts)


def _pairs(old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[tuple[str, Any, Any]]:
    """(key, old value or None, new value or None) over the union of keys: new order, then removed ones."""
    for key in new:
        yield key, old.get(key), new[key]
    for key in old:
        if key not in new:
            yield key, old[key], None


def _set_diff(area: Area, where: str, label: str, old: Iterable[Any], new: Iterable[Any]) -> list[Change]:
    before, after = set(old), set(new)
    out = [Change(area, "added", where, f"{label} {v}") for v in sorted(after - before, key=str)]
    out += [Change(area, "removed", where, f"{label} {v}") for v in sorted(before - after, key=str)]
    return out


def error_codes(op: Mapping[str, Any]) -> dict[str, set[int]]:
    """Status → KSeF error codes listed in that response's description table."""
    out: dict[str, set[int]] = {}
    for status, resp in (op.get("responses") or {}).items():
        codes = {int(c) for c in _ERROR_ROW.findall(str(resp.get("description", "")))}
        if codes:
            out[status] = codes
    return out


def _body_type(op: Mapping[str, Any]) -> str | None:
    content = (op.get("requestBody") or {}).get("content") or {}
    for ctype, media in content.items():
        return f"{ctype} {_type_of(media.get('schema') or {})}"
    return None


def _response_types(op: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for status, resp in (op.get("responses") or {}).items():
        content = resp.get("content") or {}
        shapes = sorted(f"{c} {_type_of(mt.get('schema') or {})}" for c, mt in content.items())
        out[status] = ", ".join(shapes) or "(no body)"
    return out


def diff_operation(key: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    out: list[Change] = []
    params_old = {f"{p.get('in')}:{p.get('name')}": p for p in old.get("parameters", [])}
    params_new = {f"{p.get('in')}:{p.get('name')}": p for p in new.get("parameters", [])}
    for name, a, b in _pairs(params_old, params_new):
        if a is None:
            out.append(Change("parameter", "added", key, f"{name} {_type_of(b.get('schema', {}))}"))
        elif b is None:
            out.append(Change("parameter", "removed", key, name))
        else:
            ta, tb = _type_of(a.get("schema", {})), _type_of(b.get("schema", {}))
            if ta != tb or bool(a.get("required")) != bool(b.get("required")):
                out.append(Change("parameter", "changed", key, f"{name}: {ta} → {tb}"))
    ba, bb = _body_type(old), _body_type(new)
    if ba != bb:
        out.append(Change("request", "changed", key, f"body {ba} → {bb}"))
    for status, a, b in _pairs(_response_types(old), _response_types(new)):
        if a is None:
            out.append(Change("response", "added", key, f"{status} {b}"))
        elif b is None:
            out.append(Change("response", "removed", key, f"{status}"))
        elif a != b:
            out.append(Change("response", "changed", key, f"{status}: {a} → {b}"))
    la, lb = old.get("x-rate-limits"), new.get("x-rate-limits")
    if la != lb:
        out.append(Change("limit", "changed", key, f"x-rate-limits {la} → {lb}"))
    out += _set_diff(
        "permission",
        key,
        "permission",
        old.get("x-required-permissions", []),
        new.get("x-required-permissions", []),
    )
    ea, eb = error_codes(old), error_codes(new)
    for status in sorted(set(ea) | set(eb)):
        out += _set_diff("error", key, f"{status} error", ea.get(status, set()), eb.get(status, set()))
    return out


def _properties(node: Mapping[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = dict(node.get("properties") or {})
    for part in node.get("allOf") or []:
        props.update(part.get("properties") or {})
    return props


def diff_schema(name: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    out = _set_diff("enum", name, "value", old.get("enum", []), new.get("enum", []))
    for prop, a, b in _pairs(_properties(old), _properties(new)):
        if a is None:
            out.append(Change("field", "added", name, f"{prop} {_type_of(b)}"))
        elif b is None:
            out.append(Change("field", "removed", name, prop))
        elif _type_of(a) != _type_of(b) or a.get("enum") != b.get("enum"):
            out.append(Change("field", "changed", name, f"{prop}: {_type_of(a)} → {_type_of(b)}"))
        else:
            out += _set_diff("enum", f"{name}.{prop}", "value", a.get("enum", []), b.get("enum", []))
    out += _set_diff("field", name, "required", old.get("required", []), new.get("required", []))
    ca, cb = _constraints(old, skip=("type",)), _constraints(new, skip=("type",))
    if ca != cb and not (old.get("properties") or new.get("properties")):
        out.append(Change("schema", "changed", name, f"{ca or '-'} → {cb or '-'}"))
    return out


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Every contract difference from ``old`` to ``new`` (two parsed OpenAPI documents)."""
    out: list[Change] = []
    ops_old, ops_new = operations(old), operations(new)
    for key, a, b in _pairs(ops_old, ops_new):
        if a is None:
            limits = b.get("x-rate-limits")
            out.append(Change("operation", "added", key, f"x-rate-limits {limits}" if limits else ""))
        elif b is None:
            out.append(Change("operation", "removed", key))
        else:
            out += diff_operation(key, a, b)
    sch_old, sch_new = schemas(old), schemas(new)
    for name, a, b in _pairs(sch_old, sch_new):
        if a is None:
            out.append(Change("schema", "added", name))
        elif b is None:
            out.append(Change("schema", "removed", name))
        else:
            out += diff_schema(name, a, b)
    return out


_TITLES: dict[Area, str] = {
    "operation": "Operations",
    "parameter": "Parameters",
    "request": "Request bodies",
    "response": "Responses",
    "limit": "Rate limits",
    "permission": "Required permissions",
    "error": "Error codes",
    "schema": "Schemas",
    "field": "Fields",
    "enum": "Enum values",
}


def render(changes: list[Change], old_version: str = "old", new_version: str = "new") -> str:
    """Plain text, one section per area, ``+`` added, ``-`` removed, ``~`` changed."""
    lines = [f"KSeF API {old_version} → {new_version}: {len(changes)} changes"]
    for area, title in _TITLES.items():
        rows = [c for c in changes if c.area == area]
        if rows:
            lines += ["", f"{title} ({len(rows)})"] + [f"  {c.line()}" for c in rows]
    return "\n".join(lines) + "\n"


def version(spec: Mapping[str, Any]) -> str:
    return str(spec.get("info", {}).get("version", "?"))
