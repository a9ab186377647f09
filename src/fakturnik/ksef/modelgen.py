"""Generate ``ksef/models.py`` from the KSeF OpenAPI document (the contract of record).

``python -m fakturnik.ksef.modelgen ../shared/ksef/open-api-2.7.0.json > src/fakturnik/ksef/models.py``

Every schema of ``components.schemas`` becomes, under its own name: an object → a ``KsefModel`` class (field
names exactly as in the contract, ``from`` → ``from_`` with an alias), an enum → an *open* ``Literal`` alias
(unknown members are kept as strings and logged once, see ``models_base``), a constrained string or number →
an ``Annotated`` alias. Texts are dropped (read the contract). Curation is data in :mod:`model_overrides`
(names of inline objects, fields KSeF added after the document, relaxed types), never a hand edit of the
output; ``tests/ksef/test_modelgen.py`` fails when the committed models differ from what this makes.
"""

from __future__ import annotations

import json
import keyword
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fakturnik.ksef import model_overrides as ov

_REF = "#/components/schemas/"


def _ref_name(node: Mapping[str, Any]) -> str | None:
    if "$ref" in node:
        return str(node["$ref"]).removeprefix(_REF)
    parts = node.get("allOf") or []
    if len(parts) == 1 and "$ref" in parts[0]:
        return str(parts[0]["$ref"]).removeprefix(_REF)
    return None


def _literal(values: list[Any]) -> str:
    return "Literal[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in values) + "]"


def _field_args(node: Mapping[str, Any]) -> list[str]:
    """pydantic ``Field`` constraints of a schema node (strings and numbers)."""
    args: list[str] = []
    kind = node.get("type")
    if kind == "string":
        if "maxLength" in node:
            args.append(f"max_length={node['maxLength']}")
        if "minLength" in node:
            args.append(f"min_length={node['minLength']}")
        if "pattern" in node:
            args.append(f"pattern={json.dumps(node['pattern'])}")
    elif kind in ("integer", "number"):
        if "minimum" in node:
            args.append(("gt" if node.get("exclusiveMinimum") is True else "ge") + f"={node['minimum']}")
        if "maximum" in node:
            args.append(("lt" if node.get("exclusiveMaximum") is True else "le") + f"={node['maximum']}")
    elif kind == "array":
        if "minItems" in node:
            args.append(f"min_length={node['minItems']}")
        if "maxItems" in node:
            args.append(f"max_length={node['maxItems']}")
    return args


class Generator:
    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.schemas: dict[str, Any] = dict(spec["components"]["schemas"])
        for name, schema in ov.EXTRA_SCHEMAS.items():
            self.schemas.setdefault(name, schema)
        self.inline: list[tuple[str, Mapping[str, Any]]] = []  # nested object classes to emit

    # --- types ------------------------------------------------------------------------------------

    def base_type(self, node: Mapping[str, Any], owner: str, prop: str) -> str:
        """The Python type of ``node`` without ``None`` and without constraints."""
        override = ov.TYPES.get(f"{owner}.{prop}")
        if override:
            return override
        ref = _ref_name(node)
        if ref:
            return ref
        if "enum" in node:
            return f"Annotated[{_literal(node['enum'])}, OpenEnum({json.dumps(owner + '.' + prop)})]"
        kind = node.get("type")
        if kind == "array":
            return f"list[{self.typed(node.get('items') or {}, owner, prop)}]"
        if kind == "object" or node.get("properties"):
            if node.get("properties"):
                name = ov.INLINE_NAMES.get(f"{owner}.{prop}", owner + prop[:1].upper() + prop[1:])
                self.inline.append((name, node))
                return name
            extra = node.get("additionalProperties")
            value = "str | None" if isinstance(extra, Mapping) and extra.get("type") == "string" else "Any"
            return f"dict[str, {value}]"
        if kind == "string":
            return {"date-time": "datetime", "date": "date"}.get(str(node.get("format")), "str")
        return {"integer": "int", "number": "float", "boolean": "bool"}.get(str(kind), "Any")

    def typed(self, node: Mapping[str, Any], owner: str, prop: str, *, optional: bool = False) -> str:
        """``Annotated[T (| None), Field(...)]`` when the node has constraints, else ``T (| None)``."""
        base = self.base_type(node, owner, prop)
        if node.get("nullable") or optional:
            base += " | None"
        args = [] if _ref_name(node) or f"{owner}.{prop}" in ov.TYPES else _field_args(node)
        return f"Annotated[{base}, Field({', '.join(args)})]" if args else base

    # --- declarations -------------------------------------------------------------------------------

    def alias(self, name: str, schema: Mapping[str, Any]) -> str:
        if "enum" in schema:
            return f"{name} = Annotated[{_literal(schema['enum'])}, OpenEnum({json.dumps(name)})]"
        base = self.base_type(schema, name, "")
        args = _field_args(schema)
        return f"{name} = Annotated[{base}, Field({', '.join(args)})]" if args else f"{name} = {base}"

    def model(self, name: str, schema: Mapping[str, Any]) -> str:
        props: dict[str, Any] = dict(schema.get("properties") or {})
        props.update(ov.EXTRA_FIELDS.get(name, {}))
        required = set(schema.get("required") or [])
        lines = [f"class {name}(KsefModel):"]
        for prop, node in props.items():
            python_name = prop
            if keyword.iskeyword(prop):
                python_name = prop + "_"
            is_required = prop in required
            annotation = self.typed(node, name, prop, optional=not is_required)
            if python_name != prop:
                if annotation.startswith("Annotated[") and "Field(" in annotation:
                    annotation = annotation[:-2] + f", alias={json.dumps(prop)})]"
                    annotation = annotation.replace("Field(, ", "Field(")
                else:
                    annotation = f"Annotated[{annotation}, Field(alias={json.dumps(prop)})]"
            default = "" if is_required else " = None"
            lines.append(f"    {python_name}: {annotation}{default}")
        if len(lines) == 1:
            lines.append("    pass")
        return "\n".join(lines)

    def dependencies(self, schema: Mapping[str, Any]) -> set[str]:
        found: set[str] = set()

        def walk(node: Any) -> None:
            if isinstance(node, Mapping):
                ref = node.get("$ref")
                if isinstance(ref, str):
                    found.add(ref.removeprefix(_REF))
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(schema)
        return found

    def render(self) -> str:
        is_class = {
            n: bool(s.get("properties")) or s.get("type") == "object" for n, s in self.schemas.items()
        }
        aliases = [self.alias(n, s) for n, s in self.schemas.items() if not is_class[n]]
        # classes after the classes they use, so pydantic resolves every annotation at once
        order: list[str] = []
        seen: set[str] = set()

        def visit(name: str) -> None:
            if name in seen or not is_class.get(name):
                return
            seen.add(name)
            for dep in sorted(self.dependencies(self.schemas[name])):
                visit(dep)
            order.append(name)

        for name in self.schemas:
            visit(name)
        blocks: list[str] = []
        for name in order:
            self.inline = []
            body = self.model(name, self.schemas[name])
            while self.inline:  # nested objects go right before their owner
                inline_name, node = self.inline.pop(0)
                blocks.append(self.model(inline_name, node))
            blocks.append(body)
        return "\n".join([ov.HEADER.strip(), "", "", *aliases, "", "", "\n\n\n".join(blocks), ""])


def generate(spec: Mapping[str, Any]) -> str:
    """The text of ``models.py`` for ``spec`` (a parsed OpenAPI document)."""
    return Generator(spec).render()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(
            "usage: python -m fakturnik.ksef.modelgen OPENAPI.json > src/fakturnik/ksef/models.py",
            file=sys.stderr,
        )
        return 2
    sys.stdout.write(generate(json.loads(Path(args[0]).read_text(encoding="utf-8"))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
