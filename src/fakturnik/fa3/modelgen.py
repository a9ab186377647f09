"""Generate :mod:`fakturnik.fa3.model` from the structure of the official FA(3) XSD (a dev-time tool).

``python -m fakturnik.fa3.modelgen src/fakturnik/fa3/model.py`` (then ``ruff format`` the file).
The XSD is read through the schema store (``FAKTURNIK_SCHEMA_DIR``); only its structure is used
(element names, order, repetition, optionality, simple types): no documentation text is copied.

Rules: each complex type becomes a class (named types keep their XSD name, e.g. ``TAdres``;
anonymous ones take the element name, prefixed by the parent's when taken); ``xsd:sequence`` and
``xsd:choice`` are flattened in document order (choice branches become optional fields); an element
repeated or inside a repeated group becomes a list; simple types map to ``str``, ``Decimal``,
``int``, ``date`` or, for enumerations of up to 40 values, ``Literal``; ``xsd:dateTime`` stays text
(kind ``T``) so that it round-trips exactly.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

from lxml import etree

from fakturnik.fa3.schemas import default_store

XS = "{http://www.w3.org/2001/XMLSchema}"
FA3_FILE = "FA/schemat_FA(3)_v1-0E.xsd"
BASE_FILES = (
    "FA/bazowe/StrukturyDanych_v10-0E.xsd",
    "FA/bazowe/ElementarneTypyDanych_v10-0E.xsd",
    "FA/bazowe/KodyKrajow_v10-0E.xsd",
)
MAX_LITERAL = 40
_INTEGER_TYPES = frozenset(
    {
        "int",
        "integer",
        "nonNegativeInteger",
        "positiveInteger",
        "byte",
        "long",
        "short",
        "unsignedByte",
        "unsignedInt",
    }
)
_PY_TYPES = {"s": "str", "d": "Dec", "i": "int", "D": "date", "T": "DateTimeText"}

SimpleKind = tuple[str, list[str] | None]  # (kind, enumeration values)


@dataclass
class FieldSpec:
    name: str
    optional: bool
    repeated: bool
    kind: str
    child: str | None = None
    enum: list[str] | None = None


@dataclass
class AttrSpec:
    name: str
    required: bool
    fixed: str | None
    kind: str
    enum: list[str] | None


@dataclass
class ClassSpec:
    name: str
    doc: str
    path: str = (
        ""  # an anonymous type's element path, e.g. Faktura/Podmiot1/DaneKontaktowe ("" for a named type)
    )
    fields: list[FieldSpec] = field(default_factory=list)
    attrs: list[AttrSpec] = field(default_factory=list)
    text: SimpleKind | None = None


class Generator:
    """Walks the FA(3) schema from ``Faktura`` and collects class specs in dependency order."""

    def __init__(self, fa: etree._Element, bases: list[etree._Element]) -> None:
        self.fa = fa
        self.ctypes = {c.get("name"): c for c in fa.iter(f"{XS}complexType") if c.get("name")}
        self.stypes: dict[tuple[str, str], etree._Element] = {}
        for prefix, doc in [("tns", fa)] + [("etd", b) for b in bases]:
            for s in doc.iter(f"{XS}simpleType"):
                name = s.get("name")
                if name:
                    self.stypes.setdefault((prefix, name), s)
        self.classes: dict[str, ClassSpec] = {}
        self.order: list[str] = []
        self.used: set[str] = set()

    # --- simple types -------------------------------------------------------------------------------

    def simple(self, node: etree._Element, enums: list[str] | None = None) -> SimpleKind:
        restriction = node.find(f"{XS}restriction")
        if restriction is None:  # union or list: text
            return "s", enums
        if enums is None:
            values = [str(e.get("value")) for e in restriction.findall(f"{XS}enumeration")]
            enums = values or None
        base = restriction.get("base")
        if base is None:
            inner = restriction.find(f"{XS}simpleType")
            return self.simple(inner, enums) if inner is not None else ("s", enums)
        return self.named_simple(base, enums)

    def declared_simple(self, node: etree._Element) -> SimpleKind:
        """The simple type of an element or attribute: named (``type=``), inline, or text."""
        named = node.get("type")
        if named:
            return self.named_simple(named)
        inner = node.find(f"{XS}simpleType")
        return self.simple(inner) if inner is not None else ("s", None)

    def named_simple(self, qname: str, enums: list[str] | None = None) -> SimpleKind:
        prefix, _, name = qname.rpartition(":")
        if prefix == "xsd":
            if name == "decimal":
                return "d", enums
            if name in _INTEGER_TYPES:
                return "i", enums
            return {"date": "D", "dateTime": "T"}.get(name, "s"), enums
        return self.simple(self.stypes[(prefix, name)], enums)

    # --- complex types ------------------------------------------------------------------------------

    def flatten(
        self,
        node: etree._Element,
        optional: bool,
        repeated: bool,
        out: list[tuple[etree._Element, bool, bool]],
    ) -> list[tuple[etree._Element, bool, bool]]:
        for child in node:
            if not isinstance(child.tag, str) or child.tag == f"{XS}annotation":
                continue
            opt = optional or child.get("minOccurs", "1") == "0"
            rep = repeated or child.get("maxOccurs", "1") != "1"
            if child.tag == f"{XS}element":
                out.append((child, opt, rep))
            elif child.tag in (f"{XS}sequence", f"{XS}complexContent"):
                self.flatten(child, opt, rep, out)
            elif child.tag == f"{XS}choice":
                self.flatten(child, True, rep, out)
            elif child.tag == f"{XS}extension":
                base = child.get("base") or ""
                if base.startswith("tns:") and base[4:] in self.ctypes:
                    self.flatten(self.ctypes[base[4:]], opt, rep, out)
                self.flatten(child, opt, rep, out)
        return out

    def class_for(self, element: etree._Element, parent: str, path: str) -> str | None:
        type_name = element.get("type") or ""
        if type_name.startswith("tns:") and type_name[4:] in self.ctypes:
            key = type_name[4:]
            ctype = self.ctypes[key]
            base_name, doc, anonymous_path = key, f"FA(3) type ``{key}``.", ""
        else:
            found = element.find(f"{XS}complexType")
            if found is None:
                return None
            ctype = found
            content = ctype.find(f"{XS}complexContent")
            extension = content.find(f"{XS}extension") if content is not None else None
            if extension is not None and len(extension) == 0:  # a bare alias of a named type
                alias = etree.Element("alias", type=extension.get("base") or "")
                return self.class_for(alias, parent, path)
            key = self.fa.getroottree().getpath(ctype)
            base_name, anonymous_path = str(element.get("name")), path
            if base_name in self.used:
                base_name = parent + base_name
            doc = f"FA(3) element ``{path}``."
        if key in self.classes:
            return self.classes[key].name
        name = base_name
        while name in self.used:
            name += "_"
        self.used.add(name)
        spec = ClassSpec(name, doc, anonymous_path)
        self.classes[key] = spec
        simple_content = ctype.find(f"{XS}simpleContent")
        if simple_content is not None:
            extension = simple_content.find(f"{XS}extension")
            if extension is not None:
                spec.text = self.named_simple(extension.get("base") or "xsd:string")
        own_attributes = [
            *ctype.findall(f"{XS}attribute"),
            *ctype.findall(f"{XS}simpleContent/{XS}extension/{XS}attribute"),
            *ctype.findall(f"{XS}complexContent/{XS}extension/{XS}attribute"),
        ]
        for attribute in own_attributes:
            kind, enum = self.declared_simple(attribute)
            spec.attrs.append(
                AttrSpec(
                    str(attribute.get("name")),
                    attribute.get("use") == "required",
                    attribute.get("fixed"),
                    kind,
                    enum,
                )
            )
        for child, optional, repeated in self.flatten(ctype, False, False, []):
            child_name = str(child.get("name"))
            sub = self.class_for(child, name, f"{path}/{child_name}")
            if sub is not None:
                spec.fields.append(FieldSpec(child_name, optional, repeated, "c", child=sub))
                continue
            kind, enum = self.declared_simple(child)
            spec.fields.append(FieldSpec(child_name, optional, repeated, kind, enum=enum))
        self.order.append(key)
        return name


def _py_type(kind: str, enum: list[str] | None) -> str:
    if enum is not None and len(enum) <= MAX_LITERAL:
        if kind == "i":  # numeric codes and markers: integers, digit strings accepted on input
            return f"Annotated[Literal[{', '.join(enum)}], IntText]"
        return f"Literal[{', '.join(repr(v) for v in enum)}]"
    return _PY_TYPES[kind]


def _default(kind: str, enum: list[str] | None) -> str | None:
    """A single-valued enumeration (e.g. WariantFormularza = 3) defaults to its only value."""
    if enum is not None and len(enum) == 1:
        return repr(int(enum[0]) if kind == "i" else enum[0])
    return None


HEADER = '''"""Typed model of the FA(3) e-invoice (schema ``1-0E``), generated from the structure of the XSD.

One class per element type, its fields the FA(3) element names in schema order; what the XML writer and
parser read from it (``XML_FIELDS`` and its kinds, choices, unknown content) is told in ``model_base``.
Do not edit by hand: regenerate with ``python -m fakturnik.fa3.modelgen`` (see docs/fa3-json.md).
"""

from datetime import date
from typing import Annotated, Literal

from pydantic import Field

from fakturnik.fa3.model_base import MAX_DECIMAL_DIGITS as MAX_DECIMAL_DIGITS
from fakturnik.fa3.model_base import MAX_FRACTION_DIGITS as MAX_FRACTION_DIGITS
from fakturnik.fa3.model_base import MAX_INTEGER_DIGITS as MAX_INTEGER_DIGITS
from fakturnik.fa3.model_base import NS as NS
from fakturnik.fa3.model_base import DateTimeText as DateTimeText
from fakturnik.fa3.model_base import Dec as Dec
from fakturnik.fa3.model_base import Fa3Model as Fa3Model
from fakturnik.fa3.model_base import IntText as IntText
from fakturnik.fa3.model_base import RawXml as RawXml
from fakturnik.fa3.model_base import XmlField as XmlField
'''


MIN_SHARED_LITERAL = 5
"""An enumeration of at least this many values used by more than one field is declared once, as an alias
named after the first field that uses it (``KodUEValues``), so that the long lists are not repeated."""


def _shared_literals(gen: Generator) -> dict[str, str]:
    """Literal type text -> alias name, for the long enumerations more than one field uses."""
    uses: dict[str, list[str]] = {}
    for key in gen.order:
        spec = gen.classes[key]
        for name, kind, enum in [
            *((a.name, a.kind, a.enum) for a in spec.attrs),
            *((f.name, f.kind, f.enum) for f in spec.fields if f.kind != "c"),
        ]:
            if enum is not None and MIN_SHARED_LITERAL <= len(enum) <= MAX_LITERAL:
                uses.setdefault(_py_type(kind, enum), []).append(name)
    aliases = {text: f"{names[0]}Values" for text, names in uses.items() if len(names) > 1}
    taken = {gen.classes[key].name for key in gen.order}
    assert not taken & set(aliases.values()), "an alias would shadow a class"
    return aliases


def _same_elements(gen: Generator) -> dict[str, str]:
    """Class name -> the earlier class it repeats, for anonymous types of one element name with the same
    content (``DaneKontaktowe`` of ``Podmiot1``, ``Podmiot2`` and ``Podmiot3``): one class serves them all,
    the later names stay as aliases. Elements of other names are not merged, however alike their content."""
    first: dict[str, str] = {}
    same: dict[str, str] = {}
    for key in gen.order:
        spec = gen.classes[key]
        if not spec.path:
            continue
        fields = [replace(f, child=same.get(f.child, f.child)) if f.child else f for f in spec.fields]
        content = repr((spec.path.rpartition("/")[2], fields, spec.attrs, spec.text))
        if content in first:
            same[spec.name] = first[content]
        else:
            first[content] = spec.name
    return same


def render(gen: Generator) -> str:
    """The source of model.py (unformatted; run ruff format on it)."""
    aliases = _shared_literals(gen)
    same = _same_elements(gen)
    specs = {spec.name: spec for spec in gen.classes.values()}
    also: dict[str, list[str]] = {}
    for name, shared in same.items():
        also.setdefault(shared, []).append(specs[name].path)
    out = [HEADER]
    out += [*(f"{alias} = {text}" for text, alias in aliases.items())]

    def typed(kind: str, enum: list[str] | None) -> str:
        text = _py_type(kind, enum)
        return aliases.get(text, text)

    for key in gen.order:
        spec = gen.classes[key]
        if spec.name in same:
            out += ["", "", f"{spec.name} = {same[spec.name]}"]
            continue
        doc = spec.doc
        if spec.name in also:  # the one class of an element under several parents
            element = spec.path.rpartition("/")[2]
            parents = [f"``{path.split('/')[-2]}``" for path in [spec.path, *also[spec.name]]]
            doc = f"FA(3) element ``{element}`` of {', '.join(parents[:-1])} and {parents[-1]}."
        out += ["", "", f"class {spec.name}(Fa3Model):", f'    """{doc}"""', ""]
        if spec.attrs:
            out.append(f"    XML_ATTRS = ({', '.join(repr(a.name) for a in spec.attrs)},)")
        if spec.text is not None:
            out.append('    XML_TEXT = "value"')
        if spec.attrs or spec.text is not None:
            out.append("")
        for a in spec.attrs:
            t = typed(a.kind, a.enum)
            default = (
                repr(a.fixed) if a.fixed is not None else _default(a.kind, a.enum) if a.required else "None"
            )
            out.append(
                f"    {a.name}: {t}"
                + ("" if a.required or a.fixed else " | None")
                + (f" = {default}" if default else "")
            )
        if spec.text is not None:
            default = _default(*spec.text)
            out.append(f"    value: {_py_type(*spec.text)}" + (f" = {default}" if default else ""))
        for f in spec.fields:
            t = f"_{same.get(f.child, f.child)}" if f.child else typed(f.kind, f.enum)
            if f.repeated:
                out.append(f"    {f.name}: list[{t}] = Field(default_factory=list)")
            elif f.optional:
                out.append(f"    {f.name}: {t} | None = None")
            else:
                default = _default(f.kind, f.enum) if f.kind != "c" else None
                out.append(f"    {f.name}: {t}" + (f" = {default}" if default else ""))
        if not (spec.fields or spec.attrs or spec.text):
            out.append("    pass")
        out += ["", "", f"_{spec.name} = {spec.name}"]
    out += ["", "Invoice = Faktura", '"""The root of an FA(3) document."""', ""]
    return "\n".join(out)


def generate() -> str:
    store = default_store()
    fa = etree.fromstring(store.read(FA3_FILE))
    bases = [etree.fromstring(store.read(rel)) for rel in BASE_FILES]
    gen = Generator(fa, bases)
    root = next(e for e in fa if e.tag == f"{XS}element")
    gen.class_for(root, "", "Faktura")
    return render(gen)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    source = generate()
    if args:
        Path(args[0]).write_text(source, encoding="utf-8")
    else:
        sys.stdout.write(source)


if __name__ == "__main__":
    main()
