"""Draft -> FA(3) bytes in one step: what ``write_invoice(build_invoice(draft))`` gives, made faster.

:func:`draft_to_xml` is what the engine (``issuing.json_to_xml``) uses when it needs the XML of a JSON
draft and not the model. For the usual draft — every value already in the form the
model would keep and write back unchanged (exact ``str``/``int``/``Decimal``/``date`` types, canonical
decimal and date texts, known keys, lawful enumeration values), PLN, net unit prices and rates on
every line, nothing computed supplied — it computes the line values and the summary with the
builder's own functions and writes the XML straight from the draft's dicts, without building the
pydantic model, in about two thirds of the time. Anything else (or any doubt: a value the model would
convert, a key it would refuse, a total to check rather than fill) goes through
``write_invoice(build_invoice(draft))``, which also gives every error its usual message. The bytes
are the same either way: tests/fa3/test_draft_xml.py compares the two paths on the sample corpus,
on generated drafts and on drafts made non-canonical one value at a time.

The emitters are generated from the model's ``XML_FIELDS`` and field declarations, as
:mod:`fakturnik.fa3.writer` generates its own, once per element class and set of keys a draft's dict
has (straight-line code that reads only the fields present; at most :data:`MAX_SHAPES` per class).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from math import isfinite
from typing import Any

from fakturnik.fa3 import shortcuts
from fakturnik.fa3.amounts import SUMMARY_FIELDS_ORDER, LineAmount, TaxMethod, compute_totals
from fakturnik.fa3.builder import (
    _NET_FIELDS,
    _VAT_FIELDS,
    _draft_dict,
    _net_summary,
    _priced_value,
    build_invoice,
)
from fakturnik.fa3.model import (
    MAX_DECIMAL_DIGITS,
    MAX_FRACTION_DIGITS,
    MAX_INTEGER_DIGITS,
    Fa3Model,
    Faktura,
    FaWiersz,
)
from fakturnik.fa3.writer import (
    _ROOT_OPEN,
    _XML_DECLARATION,
    _decimal_text,
    _escape,
    _escape_attr,
    _may_hold_forbidden,
    write_invoice,
)

__all__ = ["draft_to_xml"]

_SETTLEMENT_KINDS = frozenset({"ROZ", "KOR_ROZ"})
_ZERO_GROSZE = Decimal("0.00")
_SUMMARY_NOT_P15 = frozenset(SUMMARY_FIELDS_ORDER[:-1])
_MISSING = object()


class _Fallback(Exception):
    """The draft is not one this path writes exactly as the model would: use the model path."""


def draft_to_xml(draft: dict[str, Any] | Faktura, *, method: TaxMethod | None = None) -> bytes:
    """FA(3) bytes of a draft (amounts computed, supplied ones checked): ``write_invoice(build_invoice())``.

    Raises what :func:`~fakturnik.fa3.builder.build_invoice` and
    :func:`~fakturnik.fa3.writer.write_invoice` raise for a draft they refuse.
    """
    if shortcuts.ENABLED and method is None and type(draft) is dict:
        data = _direct(draft)
        if data is not None:
            return data
    return write_invoice(build_invoice(draft, method=method))


def _may_be_plain(draft: dict[str, Any]) -> bool:
    """A look at the draft as given, before anything is copied: False for what is plainly not a draft
    this path writes (a settlement, no lines without a supplied P_15, supplied totals beside lines, a
    first line with a value, an OSS rate or no unit price), so that for those it costs next to nothing."""
    fa = draft.get("Fa")
    if type(fa) is not dict:
        return False
    kind = fa.get("RodzajFaktury", "VAT")
    if type(kind) is not str or kind in _SETTLEMENT_KINDS:
        return False
    lines = fa.get("FaWiersz")
    if lines is None or lines == []:
        return "P_15" in fa  # an advance: the summary is given, only its sum is checked
    if type(lines) is not list or "P_15" in fa:
        return False
    first = lines[0]
    return (
        type(first) is dict
        and (first.get("P_9A") is not None or first.get("P_9B") is not None)
        and first.get("P_11") is None
        and first.get("P_11A") is None
        and first.get("P_12_XII") is None
    )


def _direct(draft: dict[str, Any]) -> bytes | None:
    """The usual draft's bytes without the model, or None when the model path must decide."""
    if not _may_be_plain(draft):
        return None
    data = _draft_dict(draft)
    try:
        if not _fill_amounts(data["Fa"]):
            return None
        out = [_XML_DECLARATION, _ROOT_OPEN, ">"]
        _emit(Faktura, out, data)
    except (_Fallback, InvalidOperation):
        return None
    out.append("</Faktura>")
    try:
        xml = "".join(out).encode("utf-8")
    except UnicodeEncodeError:
        return None  # a lone surrogate: the model path says where
    if _may_hold_forbidden(xml):
        return None  # possibly a character XML forbids: the model path's exact check says which
    return xml


# --- values as the model keeps them ---------------------------------------------------------------


def _within(value: Decimal) -> bool:
    """The model's bounds for a decimal field (``fa3.model.Dec``): both paths refuse the same numbers."""
    if not value.is_finite():
        return False
    _sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    return (
        len(digits) <= MAX_DECIMAL_DIGITS
        and value.adjusted() < MAX_INTEGER_DIGITS
        and -exponent <= MAX_FRACTION_DIGITS
    )


def _decimal(value: Any) -> Decimal:
    """The Decimal pydantic would keep for ``value``, when writing it back gives the value's own text.

    Raises ``_Fallback`` for anything else (and ``InvalidOperation`` for a text that is no number).
    """
    kind = type(value)
    if kind is str:
        number = Decimal(value)
        # the writer's text of a Decimal is str() unless that has an exponent (then format "f")
        if str(number) != value or "E" in value or not number.is_finite() or len(value) > 22:
            raise _Fallback
        return number
    if kind is Decimal:
        if not _within(value) or len(value.as_tuple().digits) > 22 or value.adjusted() > 20:
            raise _Fallback  # the model path refuses it with its message
        return value  # type: ignore[no-any-return]
    if kind is int:
        if not -(10**20) < value < 10**20:
            raise _Fallback
        return Decimal(value)
    if kind is float:  # a JSON number: pydantic keeps Decimal(repr(value)) (tests/fa3/test_draft_xml.py)
        if not isfinite(value):
            raise _Fallback
        return _decimal(Decimal(repr(value)))
    raise _Fallback


def _decimal_written(value: Decimal) -> str:
    """The writer's text of a Decimal the model keeps as it is (else ``_Fallback`` via _decimal_out)."""
    if _within(value):
        text = str(value)
        return format(value, "f") if "E" in text else text
    return _decimal_out(value)


def _decimal_out(value: Any) -> str:
    """XML text of a decimal field's value (the writer's), for a value :func:`_decimal` accepts."""
    if type(value) is str:
        _decimal(value)
        return value  # type: ignore[no-any-return]
    return _decimal_text(_decimal(value))


def _date_out(value: Any) -> str:
    kind = type(value)
    if kind is str:
        try:
            if date.fromisoformat(value).isoformat() == value:
                return value  # type: ignore[no-any-return]
        except ValueError:
            pass
        raise _Fallback
    if kind is date:
        return value.isoformat()  # type: ignore[no-any-return]
    raise _Fallback


# --- amounts ----------------------------------------------------------------------------------------

_RATES = frozenset(typing.get_args(typing.get_args(FaWiersz.model_fields["P_12"].annotation)[0]))
_NET_AND_TAX = (*_NET_FIELDS, *_VAT_FIELDS)


def _fill_amounts(fa: Any) -> bool:
    """What :func:`~fakturnik.fa3.builder.build_invoice` computes, on the draft's (copied) dicts.

    For a draft with lines that each give a unit price — all net (``P_9A``) or all gross (``P_9B``) —
    and a ``P_12`` rate, but no value, per-line tax or OSS rate, and no summary field: each line's
    value (``P_11`` / ``P_11A``), the summary (``P_14_xW`` for a foreign currency with a rate of
    exchange) and ``P_15``, with the builder's own functions in its order; ``StanPrzed`` lines count
    with a minus. For a draft without lines (an advance): the supplied summary must add up to the
    supplied ``P_15``, as the builder checks. False for any other draft, which the model path builds.
    """
    if type(fa) is not dict:
        return False
    kind = fa.get("RodzajFaktury")
    currency = fa.get("KodWaluty")
    lines = fa.get("FaWiersz")
    if type(kind) is not str or kind in _SETTLEMENT_KINDS or type(currency) is not str:
        return False
    if lines is None or lines == []:
        return _summary_adds_up(fa)
    if (
        "P_15" in fa
        or type(lines) is not list
        or any(fa[n] is not None for n in _SUMMARY_NOT_P15.intersection(fa))
    ):
        return False
    foreign = currency != "PLN"
    priced = "P_9B" if type(lines[0]) is dict and lines[0].get("P_9B") is not None else "P_9A"
    gross = priced == "P_9B"
    other_price = "P_9A" if gross else "P_9B"
    value_field = "P_11A" if gross else "P_11"
    plain = not (gross or foreign)  # the builder's per-rate net sums (_plain_net_totals), else compute_totals
    sums: dict[str, Decimal] = {}
    amounts: list[LineAmount] = []
    for line in lines:  # each the copy _draft_dict made: values checked once are kept as Decimals
        if type(line) is not dict:
            return False
        get = line.get
        if (
            get("P_11") is not None
            or get("P_11A") is not None
            or get("P_11Vat") is not None
            or get("P_12_XII") is not None
        ):
            return False
        rate = line.get("P_12")
        price = line.get(priced)
        if type(rate) is not str or rate not in _RATES or price is None or line.get(other_price) is not None:
            return False
        price = line[priced] = _decimal(price)
        quantity = line.get("P_8B")
        if quantity is not None:
            quantity = line["P_8B"] = _decimal(quantity)
        discount = line.get("P_10")
        if discount is not None:
            discount = line["P_10"] = _decimal(discount)
        value = line[value_field] = _priced_value(quantity, price, discount)
        before = line.get("StanPrzed")
        if before is not None:
            if before != 1 or type(before) is not int:
                return False  # the model's to convert or refuse
            value = -1 * value
        kurs = line.get("KursWaluty")
        if kurs is not None:
            kurs = line["KursWaluty"] = _decimal(kurs)
            plain = False
        if plain:
            sums[rate] = sums.get(rate, _ZERO_GROSZE) + value
        else:
            amounts.append(LineAmount(rate, value, None, False, None, kurs, gross))
    if plain:
        grouped, p_15 = _net_summary(sums)
        fa.update(grouped)
        fa["P_15"] = p_15
        return True
    exchange_rate = fa.get("KursWalutyZ")
    if exchange_rate is not None:
        exchange_rate = fa["KursWalutyZ"] = _decimal(exchange_rate)
    totals = compute_totals(
        amounts, method="gross" if gross else "net", exchange_rate=exchange_rate if foreign else None
    )
    for name, amount in totals.fields.items():
        if foreign or not name.endswith("W"):
            fa[name] = amount
    fa["P_15"] = totals.p_15
    return True


def _summary_adds_up(fa: dict[str, Any]) -> bool:
    """The builder's check of an invoice without lines: the supplied P_13_x and P_14_x add up to P_15."""
    if "FaWiersz" in fa and fa["FaWiersz"] is None:
        return False  # the model's to refuse
    p_15 = fa.get("P_15")
    if p_15 is None:
        return False
    present = [_decimal(v) for n in _NET_AND_TAX if (v := fa.get(n)) is not None]
    return not present or sum(present, Decimal(0)) == _decimal(p_15)


# --- generated emitters -----------------------------------------------------------------------------

_Emitter = Callable[[list[str], dict[str, Any]], None]
MAX_SHAPES = 256
"""Emitters kept per element class, one per tuple of keys seen (drafts from one source share a few);
a dict of a further shape takes the model path."""


def _field_shape(cls: type[Fa3Model], name: str) -> tuple[bool, frozenset[Any] | None]:
    """(None allowed, the Literal's values or None) of a model field."""
    annotation = cls.model_fields[name].annotation
    nullable = False
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = typing.get_args(annotation)
        nullable = type(None) in args
        (annotation,) = (a for a in args if a is not type(None))
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) is typing.Literal:
        return nullable, frozenset(typing.get_args(annotation))
    return nullable, None


def _default_text(cls: type[Fa3Model], name: str, kind: str) -> str | None:
    """What the writer writes for a field left out of the draft (None: nothing)."""
    info = cls.model_fields[name]
    if info.is_required() or info.default_factory is not None or info.default is None:
        return None
    default = info.default
    if kind == "d":
        return _decimal_text(default)
    if kind == "D":
        return str(default.isoformat())
    return _escape(str(default))


@cache
def _shapes(
    cls: type[Fa3Model],
) -> tuple[dict[tuple[str, ...], _Emitter], Callable[[dict[str, Any]], _Emitter]]:
    """(emitters by key tuple, the function that makes and keeps a new one) of an element class."""
    table: dict[tuple[str, ...], _Emitter] = {}

    def new(d: dict[str, Any]) -> _Emitter:
        if len(table) >= MAX_SHAPES:
            raise _Fallback
        keys = tuple(d)
        emitter = table[keys] = _specialise(cls, frozenset(keys))
        return emitter

    return table, new


def _emit(cls: type[Fa3Model], out: list[str], d: dict[str, Any]) -> None:
    """Append the content of ``cls``'s element written from the draft dict ``d``."""
    table, new = _shapes(cls)
    (table.get(tuple(d)) or new(d))(out, d)


_KEPT_EMPTY: dict[str, tuple[object, ...]] = {"xml_extra": ([], ()), "xml_attrs": (None, {})}
"""Unknown XML the parser keeps (``Fa3Model.xml_extra`` / ``xml_attrs``), as a dumped model gives them
when there is none: written as nothing; any other value takes the model path."""


def _refuse(out: list[str], d: dict[str, Any]) -> None:
    raise _Fallback


def _specialise(cls: type[Fa3Model], keys: frozenset[str]) -> _Emitter:
    """An emitter for dicts with exactly these keys: straight-line code, only the present fields read."""
    allowed = {name for name, *_ in cls.XML_FIELDS} | set(cls.XML_ATTRS) | set(_KEPT_EMPTY)
    if cls.XML_TEXT is not None:
        allowed.add(cls.XML_TEXT)
    if not keys <= allowed:
        return _refuse  # a key the model does not know: the model path
    ns: dict[str, Any] = {
        "_Fallback": _Fallback,
        "_escape": _escape,
        "_decimal_out": _decimal_out,
        "_decimal_written": _decimal_written,
        "_date_out": _date_out,
        "_attrs": _attrs,
        "Decimal": Decimal,
    }
    code = ["def emit(out, d):", "    append = out.append"]
    for name in sorted(keys & _KEPT_EMPTY.keys()):  # what a model_dump() holds: nothing kept, or refuse
        code.append(f"    if d[{name!r}] not in {_KEPT_EMPTY[name]!r}: raise _Fallback")
    fields: list[tuple[str, str, bool, type[Fa3Model] | None]] = list(cls.XML_FIELDS)
    if cls.XML_TEXT is not None:
        fields.insert(0, (cls.XML_TEXT, "text", False, None))
    for name, kind, rep, sub in fields:
        if name not in keys:
            code += _absent(cls, name, kind)
            continue
        nullable, _ = _field_shape(cls, name)
        body = _present(cls, name, kind, rep, sub, ns)
        code.append(f"    x = d[{name!r}]")
        if nullable:
            code += ["    if x is not None:", *("    " + line for line in body)]
        else:
            code += body
    exec(compile("\n".join(code), f"<fa3 draft writer for {cls.__name__}>", "exec"), ns)  # noqa: S102
    emitter: _Emitter = ns["emit"]
    return emitter


def _absent(cls: type[Fa3Model], name: str, kind: str) -> list[str]:
    """A field the draft leaves out: refuse what the model refuses, else write its default (if any)."""
    if cls.model_fields[name].is_required():
        return ["    raise _Fallback"]
    default = _default_text(cls, name, "s" if kind == "text" else kind)
    if default is None:
        return []
    return [f"    append({default if kind == 'text' else f'<{name}>{default}</{name}>'!r})"]


def _present(
    cls: type[Fa3Model], name: str, kind: str, rep: bool, sub: type[Fa3Model] | None, ns: dict[str, Any]
) -> list[str]:
    """Lines writing the value ``x`` (not None) of a field; any value the model would not keep as it is
    raises ``_Fallback``."""
    if kind == "c":
        assert sub is not None
        ns[f"_tab_{name}"], ns[f"_new_{name}"] = _shapes(sub)
        ns[f"_cls_{name}"] = sub
        open_tag = f"'<{name}' + _attrs(_cls_{name}, {{v}}) + '>'" if sub.XML_ATTRS else repr(f"<{name}>")
        body = [
            "if type({v}) is not dict: raise _Fallback",
            f"append({open_tag})",
            f"(_tab_{name}.get(tuple({{v}})) or _new_{name}({{v}}))(out, {{v}})",
            f"append({f'</{name}>'!r})",
        ]
    else:
        checks, expr = _scalar(cls, name, kind, "{v}", ns)
        write = f"append({expr})" if kind == "text" else f"append(f'<{name}>{{{{{expr}}}}}</{name}>')"
        body = [*checks, write]
    if rep:
        return ["    if type(x) is not list: raise _Fallback", "    for y in x:"] + [
            "        " + line.format(v="y") for line in body
        ]
    return ["    " + line.format(v="x") for line in body]


def _scalar(cls: type[Fa3Model], name: str, kind: str, var: str, ns: dict[str, Any]) -> tuple[list[str], str]:
    """(checking lines, expression of the XML text) for one scalar value (``{v}`` in both)."""
    _, literal = _field_shape(cls, name)
    if literal is not None:
        ns[f"_lit_{name}"] = literal
        wanted = "int" if kind == "i" else "str"
        plain = all(_escape(str(v)) == str(v) for v in literal)
        return (
            [f"if type({var}) is not {wanted} or {var} not in _lit_{name}: raise _Fallback"],
            f"str({var})" if kind == "i" else var if plain else f"_escape({var})",
        )
    if kind in ("s", "T", "text"):
        return [f"if type({var}) is not str: raise _Fallback"], f"_escape({var})"
    if kind == "i":
        return [f"if type({var}) is not int: raise _Fallback"], f"str({var})"
    if kind == "d":
        # str() of a Decimal of at most 22 characters without an exponent that ends in a digit is a
        # finite number within the model's bounds (at most 22 digits, none of them past the 20th
        # decimal place) and the writer's text of it: the usual value takes no other look
        return (
            [
                f"if type({var}) is Decimal:",
                f"    t = str({var})",
                f"    if len(t) > 22 or 'E' in t or not t[-1].isdigit(): t = _decimal_written({var})",
                "else:",
                f"    t = _decimal_out({var})",
            ],
            "t",
        )
    if kind == "D":
        return [], f"_date_out({var})"
    raise AssertionError(f"unknown kind {kind!r} of {cls.__name__}.{name}")


@cache
def _attr_shapes(cls: type[Fa3Model]) -> tuple[tuple[str, Any, frozenset[Any] | None], ...]:
    """(name, default, the Literal's values or None) of each attribute of an element class."""
    return tuple((name, cls.model_fields[name].default, _field_shape(cls, name)[1]) for name in cls.XML_ATTRS)


def _attrs(cls: type[Fa3Model], d: dict[str, Any]) -> str:
    """The start tag's attributes (the writer's ``_open_attrs`` for a model without kept unknown ones)."""
    parts: list[str] = []
    for name, default, literal in _attr_shapes(cls):
        value = d.get(name, _MISSING)
        if value is _MISSING:
            value = default
        if type(value) is not str or (literal is not None and value not in literal):
            raise _Fallback  # None included: these attributes are not optional
        parts.append(f' {name}="{_escape_attr(value)}"')
    return "".join(parts)
