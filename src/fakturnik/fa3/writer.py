"""FA(3) model -> XML bytes.

UTF-8 without BOM, the FA(3) namespace as the default namespace, elements in schema order (the order of
``XML_FIELDS``), no pretty-printing: the same invoice always gives the same bytes (and SHA-256).
Unknown elements and attributes kept by the parser (``xml_extra`` / ``xml_attrs``) are written back at
their place.

The XML text is produced directly (escaped strings joined once) rather than through an lxml tree:
it is several times faster, and the result is checked for characters XML 1.0 forbids. Use
:func:`build_tree` when an lxml element is wanted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from typing import Any

from lxml import etree

from fakturnik.base.xmlsafe import parse_xml
from fakturnik.errors import InvoiceError
from fakturnik.fa3 import shortcuts
from fakturnik.fa3.model import NS, Fa3Model, Faktura

__all__ = ["build_tree", "write_invoice", "write_invoice_text"]

_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
_ROOT_OPEN = f'<Faktura xmlns="{NS}"'
_FORBIDDEN_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# (attribute name, "<Tag>", "</Tag>", "<Tag", kind, repeated) per model class
_Plan = tuple[tuple[str, str, str, str, str, bool], ...]


@cache
def _plan(cls: type[Fa3Model]) -> _Plan:
    return tuple(
        (name, f"<{name}>", f"</{name}>", f"<{name}", kind, rep) for name, kind, rep, _ in cls.XML_FIELDS
    )


def _escape(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


def _escape_attr(text: str) -> str:
    text = _escape(text)
    if '"' in text:
        text = text.replace('"', "&quot;")
    if "\n" in text or "\t" in text:
        text = text.replace("\n", "&#10;").replace("\t", "&#9;")
    return text


def _text(value: Any, kind: str) -> str:
    if kind == "s" or kind == "T":
        return _escape(value)
    if kind == "d":
        text = str(value)
        if "E" in text and isinstance(value, Decimal):
            text = format(value, "f")
        return text
    if kind == "D":
        return str(value.isoformat())
    return str(value)


def _raw(xml: str) -> str:
    """A kept unknown element, checked to be well-formed and re-serialized canonically by lxml."""
    return etree.tostring(parse_xml(xml.encode("utf-8")), encoding="unicode")


_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_XML = "http://www.w3.org/XML/1998/namespace"


def _open_attrs(obj: Fa3Model, cls: type[Fa3Model], values: dict[str, Any]) -> str:
    """Attributes of a start tag: the model's own, then kept unknown ones (sorted, prefixes declared)."""
    parts: list[str] = []
    for attr in cls.XML_ATTRS:
        v = values[attr]
        if v is not None:
            parts.append(f' {attr}="{_escape_attr(str(v))}"')
    extra: dict[str, str] = values["xml_attrs"] or {}
    prefixes: dict[str, str] = {}
    declarations: list[str] = []
    seen: set[tuple[str | None, str]] = {(None, a) for a in cls.XML_ATTRS if values[a] is not None}
    for key in sorted(extra):
        uri, local = _attribute_name(key, cls)
        if (uri, local) in seen:
            raise InvoiceError(f"{cls.__name__}: atrybut {key!r} podano dwa razy (xml_attrs).")
        seen.add((uri, local))
        if uri is not None:
            if uri == _XML:
                prefix = "xml"
            elif uri not in prefixes:
                prefix = "xsi" if uri == _XSI else f"ns{len(prefixes)}"
                prefixes[uri] = prefix
                declarations.append(f' xmlns:{prefix}="{_escape_attr(uri)}"')
            else:
                prefix = prefixes[uri]
            qname = f"{prefix}:{local}"
        else:
            qname = key
        value = extra[key]
        if not isinstance(value, str):
            raise InvoiceError(f"{cls.__name__}: wartość atrybutu {key!r} musi być tekstem (xml_attrs).")
        parts.append(f' {qname}="{_escape_attr(value)}"')
    return "".join(declarations + parts)


_NCNAME = re.compile(r"[^\W\d][\w.\-]*\Z")
_XMLNS_URI = "http://www.w3.org/2000/xmlns/"


def _attribute_name(key: str, cls: type[Fa3Model]) -> tuple[str | None, str]:
    """(namespace or None, local name) of an ``xml_attrs`` key (Clark notation), or InvoiceError."""
    uri: str | None = None
    local = key
    if isinstance(key, str) and key.startswith("{"):
        uri, sep, local = key[1:].partition("}")
        if not sep or not uri or uri == _XMLNS_URI or any(c in uri for c in "{}<>\"'&"):
            raise InvoiceError(f"{cls.__name__}: niepoprawna przestrzeń nazw atrybutu {key!r} (xml_attrs).")
    if not isinstance(local, str) or not _NCNAME.match(local) or (uri is None and local == "xmlns"):
        raise InvoiceError(f"{cls.__name__}: niepoprawna nazwa atrybutu {key!r} (xml_attrs).")
    return uri, local


def _child(out: list[str], item: Fa3Model, open_tag: str, close_tag: str, open_start: str) -> None:
    """Append one child element: start tag (with attributes), content, end tag."""
    item_cls = type(item)
    values = item.__dict__
    if item_cls.XML_ATTRS or values["xml_attrs"]:
        out.append(f"{open_start}{_open_attrs(item, item_cls, values)}>")
    else:
        out.append(open_tag)
    if values["xml_extra"]:
        _emit(out, item)
    else:
        _fast_emitter(item_cls)(out, item)
    out.append(close_tag)


def _emit(out: list[str], obj: Fa3Model) -> None:
    """Append the content (children and text) of ``obj``'s element to ``out`` (general path)."""
    cls = type(obj)
    values = obj.__dict__
    if cls.XML_TEXT is not None:
        out.append(_escape(str(values[cls.XML_TEXT])))
    extras = values["xml_extra"]
    by_anchor: dict[str | None, list[str]] = {}
    for raw in extras:
        by_anchor.setdefault(raw.after, []).append(raw.xml)
    out.extend(_raw(xml) for xml in by_anchor.get(None, ()))
    for name, open_tag, close_tag, open_start, kind, rep in _plan(cls):
        value = values[name]
        if value is None:
            pass
        elif kind == "c":
            for item in value if rep else (value,):
                _child(out, item, open_tag, close_tag, open_start)
        elif rep:
            for item in value:
                out.append(f"{open_tag}{_text(item, kind)}{close_tag}")
        else:
            out.append(f"{open_tag}{_text(value, kind)}{close_tag}")
        if name in by_anchor:
            out.extend(_raw(xml) for xml in by_anchor[name])
    unknown = sorted(str(a) for a in by_anchor.keys() - {None, *(step[0] for step in _plan(cls))})
    if unknown:
        raise InvoiceError(
            f"{cls.__name__}: xml_extra umieszczony po elemencie {unknown[0]!r}, "
            "którego ta struktura nie zna; nie da się go zapisać."
        )


def _decimal_text(value: Any) -> str:
    text = str(value)
    if "E" in text and isinstance(value, Decimal):
        return format(value, "f")
    return text


_CONVERTERS = {
    "s": "_escape({v})",
    "T": "_escape({v})",
    "d": "_decimal_text({v})",
    "i": "str({v})",
    "D": "{v}.isoformat()",
}
_Emitter = Callable[[list[str], Fa3Model], None]


@cache
def _fast_emitter(cls: type[Fa3Model]) -> _Emitter:
    """Straight-line emitter for objects of ``cls`` without kept unknown elements.

    Generated once per class from ``XML_FIELDS`` (like dataclasses generate ``__init__``): it avoids
    the per-field loop and dispatch of :func:`_emit` and makes writing several times faster. A child
    of the declared class without attributes or kept unknown content is written inline by that
    class's own emitter; anything else goes through :func:`_child`.
    """
    _generating.add(cls)
    try:
        return _generate(cls)
    finally:
        _generating.discard(cls)


_generating: set[type[Fa3Model]] = set()


def _generate(cls: type[Fa3Model]) -> _Emitter:
    lines = ["def emit(out, obj):", "    d = obj.__dict__", "    append = out.append"]
    namespace: dict[str, Any] = {"_escape": _escape, "_decimal_text": _decimal_text, "_child": _child}
    if cls.XML_TEXT is not None:
        lines.append(f"    append(_escape(str(d[{cls.XML_TEXT!r}])))")
    for name, kind, rep, sub in cls.XML_FIELDS:
        open_tag, close_tag = f"<{name}>", f"</{name}>"
        lines.append(f"    x = d[{name!r}]")
        if kind == "c":
            call = f"_child(out, {{v}}, {open_tag!r}, {close_tag!r}, {('<' + name)!r})"
            body = [call]
            if sub is not None and not sub.XML_ATTRS and sub not in _generating:
                cls_name, emit_name = f"_cls_{name}", f"_emit_{name}"
                namespace[cls_name], namespace[emit_name] = sub, _fast_emitter(sub)
                body = [
                    "yd = {v}.__dict__",
                    f"if type({{v}}) is {cls_name} and not yd['xml_attrs'] and not yd['xml_extra']:",
                    f"    append({open_tag!r})",
                    f"    {emit_name}(out, {{v}})",
                    f"    append({close_tag!r})",
                    "else:",
                    "    " + call,
                ]
            if rep:
                lines += ["    if x:", "        for y in x:"]
                lines += ["            " + b.format(v="y") for b in body]
            else:
                lines += ["    if x is not None:"]
                lines += ["        " + b.format(v="x") for b in body]
        elif rep:
            conv = _CONVERTERS[kind].format(v="y")
            lines += [
                "    if x:",
                "        for y in x:",
                f"            append(f'{open_tag}{{{conv}}}{close_tag}')",
            ]
        else:
            conv = _CONVERTERS[kind].format(v="x")
            lines += ["    if x is not None:", f"        append(f'{open_tag}{{{conv}}}{close_tag}')"]
    exec(compile("\n".join(lines), f"<fa3 writer for {cls.__name__}>", "exec"), namespace)  # noqa: S102
    emitter: _Emitter = namespace["emit"]
    return emitter


def _render(invoice: Faktura) -> str:
    if not isinstance(invoice, Faktura):
        raise InvoiceError(f"Oczekiwano modelu Faktura, otrzymano {type(invoice).__name__}.")
    out = [_XML_DECLARATION, _ROOT_OPEN, _open_attrs(invoice, Faktura, invoice.__dict__), ">"]
    if invoice.xml_extra:
        _emit(out, invoice)
    else:
        _fast_emitter(Faktura)(out, invoice)
    out.append("</Faktura>")
    return "".join(out)


def _check_chars(text: str) -> None:
    bad = _FORBIDDEN_CHARS.search(text)
    if bad:
        raise InvoiceError(
            f"Faktura zawiera znak niedozwolony w XML (kod {ord(bad.group()):#x}) na pozycji {bad.start()}."
        )


# UTF-8 bytes of the characters _FORBIDDEN_CHARS matches: C0 controls but tab, LF and CR (single bytes),
# U+FFFE / U+FFFF (EF BF BE / EF BF BF); surrogates cannot be encoded at all.
_C0_FORBIDDEN = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])


def _may_hold_forbidden(data: bytes) -> bool:
    if len(data.translate(None, _C0_FORBIDDEN)) != len(data):
        return True
    return b"\xef" in data and (b"\xef\xbf\xbe" in data or b"\xef\xbf\xbf" in data)


def write_invoice_text(invoice: Faktura) -> str:
    """The invoice as XML text (with the XML declaration); see :func:`write_invoice`."""
    text = _render(invoice)
    _check_chars(text)
    return text


def write_invoice(invoice: Faktura) -> bytes:
    """Serialize the invoice: UTF-8 without BOM, XML declaration, deterministic bytes.

    Characters XML 1.0 forbids raise :class:`InvoiceError` (as in :func:`write_invoice_text`); the
    encoded bytes are screened with byte scans first, the exact (slower) search runs only on a hit.
    """
    text = _render(invoice)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        _check_chars(text)
        raise
    if not shortcuts.ENABLED or _may_hold_forbidden(data):
        _check_chars(text)
    return data


def build_tree(invoice: Faktura) -> etree._Element:
    """The invoice as an lxml element tree (root ``Faktura``)."""
    return parse_xml(write_invoice(invoice))
