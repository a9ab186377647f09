"""Draft -> FA(3) bytes in one step: what ``write_invoice(build_invoice(draft))`` gives, made faster.

:func:`draft_to_xml` is what the engine (``issuing.json_to_xml``) uses when it needs the XML of a JSON
draft and not the model. For the usual draft — every value already in the form the
model would keep and write back unchanged (exact ``str``/``int``/``Decimal``/``date`` types, canonical
decimal and date texts, known keys, lawful enumeration values), net or gross unit prices and a rate
on every line, any currency — it computes the line values and the summary with the builder's own
functions (amounts the draft gives are checked as the builder checks them and written as given) and
writes the XML straight from the draft's dicts, without building the pydantic model, in about a
third of the time. Anything else (or any doubt: a value the model would convert, a key it would
refuse, a given amount that disagrees) goes through ``write_invoice(build_invoice(draft))``, which
also gives every error its usual message. The bytes
are the same either way: tests/fa3/test_draft_xml.py compares the two paths on the sample corpus,
on generated drafts and on drafts made non-canonical one value at a time.

The emitters are generated from the model's ``XML_FIELDS`` and field declarations, as
:mod:`fakturnik.fa3.writer` generates its own, once per element class and set of keys a draft's dict
has (straight-line code that reads only the fields present and writes an element's scalars as one
text; at most :data:`MAX_SHAPES` per class). Texts are written as they are and looked at once per
document: when one needs escaping the document is written again by escaping emitters, and only a
text with a control or separator character takes the byte check for characters XML forbids.
"""

from __future__ import annotations

import copy
import types
import typing
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from math import isfinite
from typing import Any

from fakturnik.fa3 import shortcuts
from fakturnik.fa3.amounts import SUMMARY_FIELDS_ORDER, TaxMethod, line_value, rate_summary, round_grosze
from fakturnik.fa3.builder import (
    _NET_FIELDS,
    _VAT_FIELDS,
    DEFAULT_ANNOTATIONS,
    DEFAULT_FORM_CODE,
    _draft_dict,
    _priced_value,
    build_invoice,
)
from fakturnik.fa3.model import (
    MAX_DECIMAL_DIGITS,
    MAX_FRACTION_DIGITS,
    MAX_INTEGER_DIGITS,
    Fa,
    Fa3Model,
    Faktura,
    FaWiersz,
    TNaglowek,
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
_SUMMARY_RANK = {name: rank for rank, name in enumerate(SUMMARY_FIELDS_ORDER)}


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
    this path writes (a settlement, a first line with an OSS rate or no unit price), so that for those
    it costs next to nothing."""
    fa = draft.get("Fa")
    if type(fa) is not dict:
        return False
    kind = fa.get("RodzajFaktury", "VAT")
    if type(kind) is not str or kind in _SETTLEMENT_KINDS:
        return False
    lines = fa.get("FaWiersz")
    if lines is None or lines == []:
        return True  # an advance: the summary is given, only its sum is checked (or is P_15)
    if type(lines) is not list:
        return False
    first = lines[0]
    return (
        type(first) is dict
        and (first.get("P_9A") is not None or first.get("P_9B") is not None)
        and first.get("P_12_XII") is None
    )


def _direct(draft: dict[str, Any]) -> bytes | None:
    """The usual draft's bytes without the model, or None when the model path must decide."""
    if not _may_be_plain(draft):
        return None
    texts: list[str] = []
    try:
        out = _document(draft, texts.append, escaping=False)
        if out is None:
            return None
        # every text of the draft, looked at once: the rest (tags, numbers, dates, codes) needs no escaping
        # and holds no character XML forbids
        written = "".join(texts)
        if "&" in written or "<" in written or ">" in written or "\r" in written:
            out = _document(draft, texts.append, escaping=True)
            if out is None:
                return None
    except (_Fallback, InvalidOperation):
        return None
    try:
        xml = "".join(out).encode("utf-8")
    except UnicodeEncodeError:
        return None  # a lone surrogate: the model path says where
    if not written.isprintable() and _may_hold_forbidden(xml):
        return None  # possibly a character XML forbids: the model path's exact check says which
    return xml


def _document(draft: dict[str, Any], text: _Append, *, escaping: bool) -> list[str] | None:
    """The document's pieces (texts as they are, each handed to ``text``, or escaped), or None."""
    data = _draft_dict(draft, number_lines=False)  # the lines are read, not changed: no copies
    if not _fill_amounts(data["Fa"], text, escaping):
        return None
    out = [_XML_DECLARATION, _ROOT_OPEN, ">"]
    table, new = _tables(Faktura, escaping)
    (table.get(tuple(data)) or new(data))(out.append, text, data)
    out.append("</Faktura>")
    return out


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
        # the writer's text of a Decimal is str() unless that has an exponent (then format "f");
        # the line writers inline this test (_TEXT_REFUSED)
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


_TEXT_REFUSED = "str({n}) != {v} or 'E' in {v} or not {n}.is_finite() or len({v}) > 22"
""":func:`_decimal`'s test of a text ``{v}`` and its Decimal ``{n}``, as the line writers inline it."""


def _number_text(value: Decimal) -> str:
    """The writer's text of a Decimal :func:`_decimal` gave (or the builder computed)."""
    text = str(value)
    # str() of a Decimal of at most 22 characters without an exponent that ends in a digit is a finite
    # number within the model's bounds (at most 22 digits, none of them past the 20th decimal place)
    # and the writer's text of it: the usual value takes no other look
    if len(text) > 22 or "E" in text or not text[-1].isdigit():
        return _decimal_written(value)
    return text


def _decimal_out(value: Any) -> str:
    """XML text of a decimal field's value (the writer's), for a value :func:`_decimal` accepts."""
    if type(value) is str:
        _decimal(value)
        return value  # type: ignore[no-any-return]
    return _decimal_text(_decimal(value))


_DATES: set[str] = set()
"""Date texts :func:`_date_out` found canonical (an invoice's dates repeat across invoices: the day of
issue, of sale, the due dates); forgotten when it holds :data:`_MAX_DATES`."""
_MAX_DATES = 4096


def _date_out(value: Any) -> str:
    """The text of a date field's value (the writer's), for a date or a canonical ``YYYY-MM-DD`` text."""
    kind = type(value)
    if kind is str:
        if value in _DATES:
            return value  # type: ignore[no-any-return]
        try:
            if date.fromisoformat(value).isoformat() == value:
                if len(_DATES) >= _MAX_DATES:
                    _DATES.clear()
                _DATES.add(value)
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


def _fill_amounts(fa: Any, text: _Append, escaping: bool) -> bool:
    """What :func:`~fakturnik.fa3.builder.build_invoice` computes, on the draft's (copied) ``Fa`` dict.

    For a draft with lines that each give a unit price — all net (``P_9A``) or all gross (``P_9B``) —
    and a ``P_12`` rate, but no per-line tax or OSS rate: each line's value (``P_11`` / ``P_11A``), the
    summary (``P_14_xW`` for a foreign currency with a rate of exchange) and ``P_15``, with the
    builder's own functions in its order; ``StanPrzed`` lines count with a minus; a value or summary
    field the draft gives is checked as the builder checks it (False when it disagrees: the model path
    names both values) and kept. The lines are written here, by the line writers
    (:func:`_specialise_line`), which compute their values: ``FaWiersz`` becomes their XML
    (:class:`_Written`). For a draft without lines (an advance): the supplied summary must add up to
    the supplied ``P_15`` (or gives it), as the builder checks. False for any other draft, which the
    model path builds.
    """
    if type(fa) is not dict:
        return False
    kind = fa.get("RodzajFaktury")
    currency = fa.get("KodWaluty")
    lines = fa.get("FaWiersz")
    if type(kind) is not str or kind in _SETTLEMENT_KINDS or type(currency) is not str:
        return False
    if lines is None or lines == []:
        if lines == []:
            fa["FaWiersz"] = _Written("")
        return _summary_adds_up(fa)
    if type(lines) is not list:
        return False
    foreign = currency != "PLN"
    gross = type(lines[0]) is dict and lines[0].get("P_9B") is not None
    exchange_rate = None
    if foreign and (exchange_rate := fa.get("KursWalutyZ")) is not None:
        exchange_rate = fa["KursWalutyZ"] = _decimal(exchange_rate)
    sums: dict[str, Decimal] = {}  # value per rate, as compute_totals sums them
    pln_sums: dict[str, Decimal] | None = {} if foreign else None  # and in PLN, for P_14_xW
    table, new = _line_tables(gross, escaping)
    written: list[str] = []
    append = written.append
    for number, line in enumerate(lines, 1):
        if type(line) is not dict:
            return False
        rate, value, kurs = (table.get(tuple(line)) or new(line))(append, text, line, number)
        sums[rate] = sums.get(rate, _ZERO_GROSZE) + value
        if pln_sums is not None:
            if kurs is None:
                kurs = exchange_rate
            if kurs is not None:
                pln_sums[rate] = pln_sums.get(rate, _ZERO_GROSZE) + round_grosze(value * kurs)
    fa["FaWiersz"] = _Written("".join(written))
    grouped, p_15 = rate_summary(sums, gross=gross, pln_sums=pln_sums)
    if not _SUMMARY_NOT_P15.isdisjoint(fa) or "P_15" in fa:  # supplied: checked as the builder checks them
        if not _summary_agrees(fa, grouped, p_15):
            return False  # the model path names both values
        grouped = {name: amount for name, amount in grouped.items() if fa.get(name) is None}
    if len(sums) > 1:  # in schema order, as the model path sets them: fewer key tuples, fewer emitters
        fa.update((name, grouped[name]) for name in sorted(grouped, key=_SUMMARY_RANK.__getitem__))
    else:
        fa.update(grouped)
    if "P_15" not in fa:
        fa["P_15"] = p_15
    return True


def _summary_agrees(fa: dict[str, Any], computed: dict[str, Decimal], p_15: Decimal) -> bool:
    """The builder's check of supplied summary fields (``_summary_problems``): each equals what the
    lines give, or is 0 (or a P_14_xW) where they give nothing; a supplied P_15 equals theirs."""
    for name in _SUMMARY_NOT_P15.intersection(fa):
        value = fa[name]
        if value is None:
            continue
        number = _decimal(value)
        amount = computed.get(name)
        if amount is None:
            if number != 0 and not name.endswith("W"):
                return False
        elif number != amount:
            return False
    return "P_15" not in fa or (fa["P_15"] is not None and _decimal(fa["P_15"]) == p_15)


def _summary_adds_up(fa: dict[str, Any]) -> bool:
    """The builder's check of an invoice without lines: the supplied P_13_x and P_14_x add up to P_15;
    a P_15 left out is their sum, as the builder fills it."""
    if "FaWiersz" in fa and fa["FaWiersz"] is None:
        return False  # the model's to refuse
    present = [_decimal(v) for n in _NET_AND_TAX if (v := fa.get(n)) is not None]
    if "P_15" not in fa:
        fa["P_15"] = sum(present, Decimal(0))
        return True
    p_15 = fa["P_15"]
    if p_15 is None:
        return False  # the model's to refuse
    return not present or sum(present, Decimal(0)) == _decimal(p_15)


# --- generated emitters -----------------------------------------------------------------------------

_Append = Callable[[str], None]
_Emitter = Callable[[_Append, _Append, dict[str, Any]], None]
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


_Table = tuple[dict[tuple[str, ...], _Emitter], Callable[[dict[str, Any]], _Emitter]]


def _shapes(cls: type[Fa3Model], escaping: bool = False) -> _Table:
    """:func:`_tables` (its cache takes ``escaping`` by position)."""
    return _tables(cls, escaping)


@cache
def _tables(cls: type[Fa3Model], escaping: bool) -> _Table:
    """(emitters by key tuple, the function that makes and keeps a new one) of an element class.

    The emitters of the usual table (``escaping`` False) write texts as they are and hand each to
    ``text``; :func:`_direct` looks at them all at once and, when one holds a character XML escapes,
    writes the document again with the escaping table's emitters."""
    table: dict[tuple[str, ...], _Emitter] = {}

    def new(d: dict[str, Any]) -> _Emitter:
        if len(table) >= MAX_SHAPES:
            raise _Fallback
        keys = tuple(d)
        emitter = table[keys] = _specialise(cls, frozenset(keys), escaping)
        return emitter

    return table, new


_LineWriter = Callable[[_Append, _Append, dict[str, Any], int], tuple[str, Decimal, Decimal | None]]


@cache
def _line_tables(
    gross: bool, escaping: bool
) -> tuple[dict[tuple[str, ...], _LineWriter], Callable[[dict[str, Any]], _LineWriter]]:
    """:func:`_tables` of the line writers (:func:`_specialise_line`), by price entry."""
    table: dict[tuple[str, ...], _LineWriter] = {}

    def new(d: dict[str, Any]) -> _LineWriter:
        if len(table) >= MAX_SHAPES:
            raise _Fallback
        keys = tuple(d)
        writer = table[keys] = _specialise_line(frozenset(keys), gross, escaping)
        return writer

    return table, new


_KEPT_EMPTY: dict[str, tuple[object, ...]] = {"xml_extra": ([], ()), "xml_attrs": (None, {})}
"""Unknown XML the parser keeps (``Fa3Model.xml_extra`` / ``xml_attrs``), as a dumped model gives them
when there is none: written as nothing; any other value takes the model path."""


def _refuse(*args: Any) -> Any:
    raise _Fallback


class _Written:
    """The lines' XML, written by :func:`_fill_amounts` with their amounts (``Fa/FaWiersz``'s value)."""

    __slots__ = ("xml",)

    def __init__(self, xml: str) -> None:
        self.xml = xml


class _Source:
    """The lines of a generated function, with the constant and value texts to write next held back so
    that they are appended as one f-string (at the next child, loop or branch, and at the end)."""

    def __init__(self, header: str) -> None:
        self.lines = [header]
        self.parts: list[str] = []

    def line(self, code: str, indent: int = 1) -> None:
        self.lines.append("    " * indent + code)

    def constant(self, text: str) -> None:
        assert text.isprintable(), text  # tags and the model's defaults: no character to look at
        self.parts.append(text.replace("{", "{{").replace("}", "}}"))

    def value(self, expr: str) -> None:
        self.parts.append("{" + expr + "}")

    def flush(self, indent: int = 1) -> None:
        if self.parts:
            self.line(f"append(f{''.join(self.parts)!r})", indent)
            self.parts = []


def _specialise(cls: type[Fa3Model], keys: frozenset[str], escaping: bool) -> _Emitter:
    """An emitter for dicts with exactly these keys: straight-line code, only the present fields read.

    It writes the element's attributes (a class with ``XML_ATTRS``: the parent wrote ``<Name``), the
    closing ``>`` of such a start tag, and the content. When no present value is None it takes one
    pass that writes the element's scalars as one text; otherwise a second function with a test per
    field (``_general``)."""
    emitter: _Emitter = _generate(cls, keys, escaping, None)
    return emitter


def _specialise_line(keys: frozenset[str], gross: bool, escaping: bool) -> _LineWriter:
    """A line writer for ``FaWiersz`` dicts with exactly these keys: ``(append, text, line, number)``
    computes the line's value from its unit price (``P_9B`` when ``gross``, else ``P_9A``), quantity and
    discount with the builder's function, writes the whole ``<FaWiersz>`` element with it (``number``
    as ``NrWierszaFa`` unless the line gives one) and returns (rate, the value with the line's sign,
    its rate of exchange or None). A line the model path must build (a value, per-line tax, OSS rate
    or the other price given, no rate) raises ``_Fallback``."""
    writer: _LineWriter = _generate(FaWiersz, keys, escaping, "P_9B" if gross else "P_9A")
    return writer


def _generate(cls: type[Fa3Model], keys: frozenset[str], escaping: bool, priced: str | None) -> Any:
    allowed = {name for name, *_ in cls.XML_FIELDS} | set(cls.XML_ATTRS) | set(_KEPT_EMPTY)
    if cls.XML_TEXT is not None:
        allowed.add(cls.XML_TEXT)
    if not keys <= allowed:
        return _refuse  # a key the model does not know: the model path
    fields: list[tuple[str, str, bool, type[Fa3Model] | None]] = list(cls.XML_FIELDS)
    if cls.XML_TEXT is not None:
        fields.insert(0, (cls.XML_TEXT, "text", False, None))
    written = set(keys)
    if priced is not None:  # a line: its number and value are written too
        written |= {"NrWierszaFa", _LINE_VALUE[priced]}
    if any(name not in written and cls.model_fields[name].is_required() for name, *_ in fields):
        return _refuse  # the model refuses it with its message
    ns: dict[str, Any] = {
        "_Fallback": _Fallback,
        "_escape": _escape,
        "_escape_attr": _escape_attr,
        "_decimal": _decimal,
        "_decimal_out": _decimal_out,
        "_decimal_written": _decimal_written,
        "_number_text": _number_text,
        "_date_out": _date_out,
        "_DATES": _DATES,
        "_priced_value": _priced_value,
        "_line_value": line_value,
        "_RATES": _RATES,
        "_Written": _Written,
        "Decimal": Decimal,
    }
    args = "append, text, d" if priced is None else "append, text, d, nr"
    names = {name: f"v{k}" for k, name in enumerate([*cls.XML_ATTRS, *(f[0] for f in fields)])}
    nullable = [names[f[0]] for f in fields if f[0] in keys and _field_shape(cls, f[0])[0]]
    sources = [_Source(f"def emit({args}):")]
    if nullable:
        sources.append(_Source(f"def _general({args}):"))
    for src in sources:
        for name in sorted(keys & _KEPT_EMPTY.keys()):  # what a model_dump() holds: nothing kept, or refuse
            src.line(f"if d[{name!r}] not in {_KEPT_EMPTY[name]!r}: raise _Fallback")
        for name, var in names.items():
            if name in keys:
                src.line(f"{var} = d[{name!r}]")
    if nullable:
        sources[0].line(f"if {' or '.join(f'{v} is None' for v in nullable)}:")
        sources[0].line(f"return _general({args})", 2)
    for src in reversed(sources):
        tolerate_none = src is not sources[0]
        given: dict[str, tuple[str, bool]] = {}
        if priced is not None:
            given = _line_amounts(src, keys, names, priced, tolerate_none=tolerate_none)
            src.constant("<FaWiersz>")
        _body(src, cls, keys, fields, names, ns, escaping, tolerate_none=tolerate_none, given=given)
        if priced is not None:
            src.constant("</FaWiersz>")
        src.flush()
        if priced is not None:
            src.line(f"return {names['P_12']}, signed, kurs")
        elif len(src.lines) == 1:
            src.line("pass")
        exec(compile("\n".join(src.lines), f"<fa3 draft writer for {cls.__name__}>", "exec"), ns)  # noqa: S102
    return ns["emit"]


_LINE_VALUE = {"P_9A": "P_11", "P_9B": "P_11A"}
_OTHER_PRICE = {"P_9A": "P_9B", "P_9B": "P_9A"}


def _line_amounts(
    src: _Source, keys: frozenset[str], names: dict[str, str], priced: str, *, tolerate_none: bool
) -> dict[str, tuple[str, bool]]:
    """Statements computing a line's value (as :func:`_fill_amounts` documents; a value the line gives
    is checked as the builder checks it and is then the line's value), the line's sign (``signed``) and
    rate of exchange (``kurs``); returns the fields written from them (field -> (text expression,
    written also where the draft's value is None))."""
    value_field = _LINE_VALUE[priced]
    for name in ("P_11", "P_11A", "P_11Vat", "P_12_XII", _OTHER_PRICE[priced]):
        if name in keys and name != value_field:  # given: the model path checks it
            src.line(f"if {names[name]} is not None: raise _Fallback")
    if "P_12" not in keys or priced not in keys:
        src.line("raise _Fallback")
        return {}
    rate = names["P_12"]
    src.line(f"if type({rate}) is not str or {rate} not in _RATES: raise _Fallback")
    given = {value_field: ("tvalue", True), "P_12": (rate, False)}  # _RATES: the values of P_12's Literal
    if "NrWierszaFa" not in keys:
        given["NrWierszaFa"] = ("nr", True)

    def number(name: str, target: str, may_be_none: bool) -> None:
        var = names[name]
        src.line(f"if type({var}) is str:")  # the usual text, tested as _decimal tests it
        src.line(f"{target} = Decimal({var})", 2)
        src.line(f"if {_TEXT_REFUSED.format(n=target, v=var)}: raise _Fallback", 2)
        src.line(f"t{var} = {var}", 2)
        if may_be_none:
            src.line(f"elif {var} is None: {target} = t{var} = None")
        src.line("else:")
        src.line(f"{target} = _decimal({var})", 2)
        src.line(f"t{var} = _number_text({target})", 2)
        given[name] = (f"t{var}", False)

    number(priced, "price", False)  # None included: _decimal refuses it
    for name, target in (("P_8B", "quantity"), ("P_10", "discount"), ("KursWaluty", "kurs")):
        if name in keys:
            number(name, target, tolerate_none)
        else:
            src.line(f"{target} = None")
    src.line("value = _priced_value(quantity, price, discount)")
    indent = 1
    if value_field in keys:  # supplied: one of the values the builder accepts (_acceptable_values)
        var = names[value_field]
        if tolerate_none:
            src.line(f"if {var} is not None:")
            indent = 2
        src.line(f"if type({var}) is str:", indent)
        src.line(f"supplied = Decimal({var})", indent + 1)
        src.line(f"if {_TEXT_REFUSED.format(n='supplied', v=var)}: raise _Fallback", indent + 1)
        src.line(f"tvalue = {var}", indent + 1)
        src.line("else:", indent)
        src.line(f"supplied = _decimal({var})", indent + 1)
        src.line("tvalue = _number_text(supplied)", indent + 1)
        src.line("if supplied != value and (", indent)
        src.line("discount is None or supplied != _line_value(quantity, price, discount)", indent + 1)
        src.line("): raise _Fallback  # the model path names both values", indent)
        src.line("value = supplied", indent)
        if tolerate_none:
            src.line("else:")
    if value_field not in keys or tolerate_none:
        src.line("tvalue = str(value)", indent)  # _number_text, inline
        src.line("if len(tvalue) > 22 or 'E' in tvalue or not tvalue[-1].isdigit():", indent)
        src.line("tvalue = _decimal_written(value)", indent + 1)
    if "StanPrzed" in keys:
        before = names["StanPrzed"]
        if tolerate_none:
            src.line(f"if {before} is None: signed = value")
            src.line(f"elif {before} != 1 or type({before}) is not int: raise _Fallback")
        else:
            src.line(f"if {before} != 1 or type({before}) is not int: raise _Fallback")
        src.line("else: signed = -1 * value" if tolerate_none else "signed = -1 * value")
    else:
        src.line("signed = value")
    return given


def _body(
    src: _Source,
    cls: type[Fa3Model],
    keys: frozenset[str],
    fields: list[tuple[str, str, bool, type[Fa3Model] | None]],
    names: dict[str, str],
    ns: dict[str, Any],
    escaping: bool,
    *,
    tolerate_none: bool,
    given: dict[str, tuple[str, bool]],
) -> None:
    """The statements writing attributes and fields (the values read into ``names``' variables; the
    text of a field in ``given`` is the expression there, already checked). The last text is left to
    the caller's flush."""
    texts: list[str] = []  # the variables of the element's texts (handed to ``text``)
    for name, default, literal in _attr_shapes(cls):
        var = names[name]
        if name in keys:
            ns[f"_lit_{name}"] = literal
            check = "" if literal is None else f" or {var} not in _lit_{name}"
            src.line(f"if type({var}) is not str{check}: raise _Fallback")  # None included: not optional
            texts.append(var)  # escaped as always, but looked at for characters XML forbids
            src.constant(f' {name}="')
            src.value(f"_escape_attr({var})")
            src.constant('"')
        elif type(default) is str and (literal is None or default in literal):
            src.constant(f' {name}="{_escape_attr(default)}"')
        else:
            src.line("raise _Fallback")
    if cls.XML_ATTRS:
        src.constant(">")
    for name, kind, rep, sub in fields:
        if name in given:
            expr, always = given[name]
            if name in keys and tolerate_none and not always and _field_shape(cls, name)[0]:
                src.flush()
                src.line(f"if {names[name]} is not None:")
                src.constant(f"<{name}>")
                src.value(expr)
                src.constant(f"</{name}>")
                src.flush(2)
            else:
                src.constant(f"<{name}>")
                src.value(expr)
                src.constant(f"</{name}>")
            continue
        if name not in keys:
            default = _default_text(cls, name, "s" if kind == "text" else kind)
            if default is not None:
                src.constant(default if kind == "text" else f"<{name}>{default}</{name}>")
            continue
        var = names[name]
        indent = 1
        if tolerate_none and _field_shape(cls, name)[0]:
            src.flush()
            src.line(f"if {var} is not None:")
            indent = 2
        if kind == "c":
            assert sub is not None
            ns[f"_tab_{name}"], ns[f"_new_{name}"] = _tables(sub, escaping)
            call = f"(_tab_{name}.get(tuple({{v}})) or _new_{name}({{v}}))(append, text, {{v}})"
            open_tag = f"<{name}" if sub.XML_ATTRS else f"<{name}>"
            if rep and (cls, name) == (Fa, "FaWiersz"):  # written by _fill_amounts, with their amounts
                src.flush(indent)
                src.line(f"if type({var}) is not _Written: raise _Fallback", indent)
                src.line(f"append({var}.xml)", indent)
            elif rep:
                src.line(f"if type({var}) is not list: raise _Fallback", indent)
                src.flush(indent)
                src.line(f"for y in {var}:", indent)
                src.line("if type(y) is not dict: raise _Fallback", indent + 1)
                src.line(f"append({open_tag!r})", indent + 1)
                src.line(call.format(v="y"), indent + 1)
                src.line(f"append({f'</{name}>'!r})", indent + 1)
            else:
                written = _constant_child(cls, name, sub, escaping, ns)
                if written is not None:  # the draft's default object, unchanged: its text, written once
                    src.flush(indent)
                    src.line(f"if {var} is _default_{name} and {var} == _copy_{name}:", indent)
                    src.line(f"append({f'{open_tag}{written}</{name}>'!r})", indent + 1)
                    src.line("else:", indent)
                    indent += 1
                src.line(f"if type({var}) is not dict: raise _Fallback", indent)
                src.constant(open_tag)
                src.flush(indent)
                src.line(call.format(v=var), indent)
                src.constant(f"</{name}>")
                if written is not None:
                    src.flush(indent)
        elif rep:
            src.line(f"if type({var}) is not list: raise _Fallback", indent)
            src.flush(indent)
            src.line(f"for y in {var}:", indent)
            checks, expr, as_is = _scalar(cls, name, kind, "y", ns, escaping)
            for check in checks:
                src.line(check, indent + 1)
            if as_is:
                src.line("text(y)", indent + 1)
            src.constant("" if kind == "text" else f"<{name}>")
            src.value(expr)
            src.constant("" if kind == "text" else f"</{name}>")
            src.flush(indent + 1)
        else:
            checks, expr, as_is = _scalar(cls, name, kind, var, ns, escaping)
            for check in checks:
                src.line(check, indent)
            if as_is:
                if indent == 1:
                    texts.append(var)
                else:
                    src.line(f"text({var})", indent)
            src.constant("" if kind == "text" else f"<{name}>")
            src.value(expr)
            src.constant("" if kind == "text" else f"</{name}>")
        if indent > 1:
            src.flush(indent)
    if texts:  # one call for the element's texts: a text of them all
        src.line(f"text({texts[0]})" if len(texts) == 1 else f"text(f'{''.join(f'{{{v}}}' for v in texts)}')")


_DEFAULT_CHILDREN: dict[tuple[type[Fa3Model], str], dict[str, Any]] = {
    (Fa, "Adnotacje"): DEFAULT_ANNOTATIONS,
    (TNaglowek, "KodFormularza"): DEFAULT_FORM_CODE,
}
"""The objects :func:`~fakturnik.fa3.builder._draft_dict` puts where a draft leaves a child out."""


def _constant_child(
    cls: type[Fa3Model], name: str, sub: type[Fa3Model], escaping: bool, ns: dict[str, Any]
) -> str | None:
    """The content written for a child's default object (:data:`_DEFAULT_CHILDREN`) as it is now, with
    the object and a copy to compare with in ``ns``; None for a child without one (or one whose content
    holds a text or is not the direct writer's to write)."""
    default = _DEFAULT_CHILDREN.get((cls, name))
    if default is None:
        return None
    pieces: list[str] = []
    texts: list[str] = []
    table, new = _tables(sub, escaping)
    try:
        (table.get(tuple(default)) or new(default))(pieces.append, texts.append, default)
    except _Fallback:
        return None
    if texts:
        return None
    ns[f"_default_{name}"], ns[f"_copy_{name}"] = default, copy.deepcopy(default)
    return "".join(pieces)


def _scalar(
    cls: type[Fa3Model], name: str, kind: str, var: str, ns: dict[str, Any], escaping: bool
) -> tuple[list[str], str, bool]:
    """(checking lines, expression of the XML text, the text is the value as it is) for one scalar
    value ``var``: any value the model would not keep as it is raises ``_Fallback``."""
    _, literal = _field_shape(cls, name)
    if literal is not None:
        ns[f"_lit_{name}"] = literal
        wanted = "int" if kind == "i" else "str"
        check = f"if type({var}) is not {wanted} or {var} not in _lit_{name}: raise _Fallback"
        if kind == "i" or all(_escape(str(v)) == str(v) for v in literal):
            return [check], var, False
        return [check], (f"_escape({var})" if escaping else var), not escaping
    if kind in ("s", "T", "text"):
        check = f"if type({var}) is not str: raise _Fallback"
        return [check], (f"_escape({var})" if escaping else var), not escaping
    if kind == "i":
        return [f"if type({var}) is not int: raise _Fallback"], var, False
    if kind == "d":
        # str() of a Decimal of at most 22 characters without an exponent that ends in a digit is a
        # finite number within the model's bounds (at most 22 digits, none of them past the 20th
        # decimal place) and the writer's text of it: the usual value takes no other look
        t = f"t{var}"
        return (
            [
                f"if type({var}) is Decimal:",
                f"    {t} = str({var})",
                f"    if len({t}) > 22 or 'E' in {t} or not {t}[-1].isdigit(): {t} = _decimal_written({var})",
                "else:",
                f"    {t} = _decimal_out({var})",
            ],
            t,
            False,
        )
    if kind == "D":
        return [], f"({var} if type({var}) is str and {var} in _DATES else _date_out({var}))", False
    raise AssertionError(f"unknown kind {kind!r} of {cls.__name__}.{name}")


@cache
def _attr_shapes(cls: type[Fa3Model]) -> tuple[tuple[str, Any, frozenset[Any] | None], ...]:
    """(name, default, the Literal's values or None) of each attribute of an element class."""
    return tuple((name, cls.model_fields[name].default, _field_shape(cls, name)[1]) for name in cls.XML_ATTRS)
