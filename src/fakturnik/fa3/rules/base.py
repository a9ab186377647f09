"""What every rule shares: the context, XML paths, tiny typed lookups on the FA(3) tree."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Literal

from lxml import etree

from fakturnik.base.warsaw import warsaw_today
from fakturnik.base.xmlsafe import text_value
from fakturnik.errors import Problem
from fakturnik.fa3 import shortcuts

FA3_NS = "http://crd.gov.pl/wzor/2025/06/25/13775/"
_P = f"{{{FA3_NS}}}"
_PLEN = len(_P)

Env = Literal["test", "demo", "prod"]
ENVIRONMENTS: tuple[str, ...] = ("test", "demo", "prod")


def tag(name: str) -> str:
    """Clark name of an FA(3) element."""
    return _P + name


def local(el: etree._Element) -> str:
    t = el.tag
    if not isinstance(t, str):
        return ""
    return t[len(_P) :] if t.startswith(_P) else t.rsplit("}", 1)[-1]


def element_path(el: etree._Element) -> str:
    """Path like ``Fa/FaWiersz[2]/P_9A`` (root omitted; an index only where a name repeats)."""
    parts: list[str] = []
    node: etree._Element | None = el
    while node is not None and node.getparent() is not None:
        parent = node.getparent()
        assert parent is not None
        same = [c for c in parent if c.tag == node.tag]
        name = local(node)
        parts.append(f"{name}[{same.index(node) + 1}]" if len(same) > 1 else name)
        node = parent
    return "/".join(reversed(parts))


def child_path(parent: etree._Element, name: str) -> str:
    base = element_path(parent)
    return f"{base}/{name}" if base else name


@lru_cache(maxsize=512)
def _steps(path: str) -> tuple[str, ...]:
    return tuple(_P + p for p in path.split("/"))


def find(el: etree._Element | None, path: str) -> etree._Element | None:
    """First element at a relative path of FA(3) names (step by step: lxml's C fast path, no ElementPath)."""
    node = el
    for step in _steps(path):
        if node is None:
            return None
        node = next(node.iterchildren(step), None)
    return node


def findall(el: etree._Element | None, path: str) -> list[etree._Element]:
    if el is None:
        return []
    *head, last = _steps(path)
    parents = [el]
    for step in head:
        parents = [c for p in parents for c in p.iterchildren(step)]
    return [c for p in parents for c in p.iterchildren(last)]


def text(el: etree._Element | None, path: str) -> str | None:
    found = find(el, path)
    return None if found is None else text_value(found).strip()


_MAX_NUMBER_TEXT = 64
_MAX_INTEGER_DIGITS = 23  # the model's bound (fa3.model.Dec); no FA(3) type comes near it


def decimal(value: str | None) -> Decimal | None:
    if value is None:
        return None
    if len(value) > _MAX_NUMBER_TEXT:  # bounded before any parsing or arithmetic
        return None
    try:
        result = Decimal(value)
    except InvalidOperation:
        return None
    if not result.is_finite() or result.adjusted() >= _MAX_INTEGER_DIGITS:
        return None
    # a text of at most 21 characters without an exponent has at most 20 decimal places: no look needed
    long = len(value) > 21 or "e" in value or "E" in value or not shortcuts.ENABLED
    if long and result.as_tuple().exponent < -20:  # type: ignore[operator]
        return None
    return result


def parse_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def parse_datetime(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def fmt(value: Decimal) -> str:
    return format(value, "f")


@dataclass
class RuleContext:
    """Inputs of the rules beyond the document: environment and "now" (for date sanity)."""

    env: Env = "prod"
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    problems: list[Problem] = field(default_factory=list)

    @property
    def today(self) -> date:
        """The Polish calendar day of ``now``: the day KSeF counts an issue date by."""
        return warsaw_today(self.now)

    def error(self, path: str, message: str, code: str) -> None:
        self.problems.append(Problem(path, message, code, "error"))

    def warning(self, path: str, message: str, code: str) -> None:
        self.problems.append(Problem(path, message, code, "warning"))

    def by_env(self, path: str, message: str, code: str) -> None:
        """An error in production, a warning in test/demo (how KSeF treats identifier checksums)."""
        if self.env == "prod":
            self.error(path, message, code)
        else:
            self.warning(path, message + " (na produkcji to błąd)", code)


class Line:
    """One FaWiersz: its path and its children's texts by Clark name (the last occurrence wins).

    A plain slotted class rather than a dataclass: one is made per line of every validated invoice.
    """

    __slots__ = ("el", "path", "values")

    def __init__(self, el: etree._Element, path: str, values: dict[str, str | None]) -> None:
        self.el = el
        self.path = path
        self.values = values

    def get(self, name: str) -> str | None:
        value = self.values.get(_P + name)
        return None if value is None else value.strip()

    def has(self, name: str) -> bool:
        return _P + name in self.values


@dataclass(frozen=True, slots=True)
class Invoice:
    """The parts of the tree the rules look at, indexed in one walk over the root's and Fa's children.

    ``fa_children`` and ``root_children`` are keyed by Clark name (``{namespace}Name``); use
    :meth:`fa_first` / :meth:`fa_all` / :meth:`top_first` / :meth:`top_all` with local names.
    """

    root: etree._Element
    fa: etree._Element | None
    kind: str | None
    lines: list[Line]
    fa_children: dict[str, list[etree._Element]]
    margin: bool = False  # Adnotacje/PMarzy/P_PMarzy = 1
    reverse_charge: bool = False  # Adnotacje/P_18 = 1
    root_children: dict[str, list[etree._Element]] = field(default_factory=dict)

    @classmethod
    def of(cls, root: etree._Element) -> Invoice:
        top = children_by_tag(root)
        fa_list = top.get(_FA)
        fa = fa_list[0] if fa_list else None
        children: dict[str, list[etree._Element]] = {}
        lines: list[Line] = []
        if fa is not None:
            # One walk over Fa's children: the index by Clark name, and each FaWiersz's texts on the way.
            for child in fa:
                t = child.tag
                if t == _FA_WIERSZ:
                    lines.append(
                        Line(child, f"Fa/FaWiersz[{len(lines) + 1}]", {c.tag: text_value(c) for c in child})  # type: ignore[misc]
                    )
                found = children.get(t)  # type: ignore[arg-type]
                if found is not None:
                    found.append(child)
                elif isinstance(t, str):
                    children[t] = [child]
            if len(lines) == 1:
                lines[0].path = "Fa/FaWiersz"
        kind_el = children.get(_RODZAJ)
        kind = text_value(kind_el[0]).strip() if kind_el else None
        notes = children.get(_ADNOTACJE)
        margin = reverse = False
        if notes is not None:
            margin = text(notes[0], "PMarzy/P_PMarzy") == "1"
            reverse = text(notes[0], "P_18") == "1"
        return cls(root, fa, kind, lines, children, margin, reverse, top)

    def fa_first(self, name: str) -> etree._Element | None:
        found = self.fa_children.get(_P + name)
        return found[0] if found else None

    def fa_all(self, name: str) -> list[etree._Element]:
        return self.fa_children.get(_P + name, [])

    def fa_has(self, name: str) -> bool:
        return _P + name in self.fa_children

    def fa_text(self, name: str) -> str | None:
        el = self.fa_first(name)
        return None if el is None else text_value(el).strip()

    def top_first(self, name: str) -> etree._Element | None:
        """The first child of the root (``Faktura``) with this FA(3) name."""
        found = self.root_children.get(_P + name)
        return found[0] if found else None

    def top_all(self, name: str) -> list[etree._Element]:
        return self.root_children.get(_P + name, [])

    @property
    def is_correction(self) -> bool:
        return bool(self.kind and self.kind.startswith("KOR"))


_FA = tag("Fa")
_FA_WIERSZ = tag("FaWiersz")
_RODZAJ = tag("RodzajFaktury")
_ADNOTACJE = tag("Adnotacje")


def children_by_tag(el: etree._Element) -> dict[str, list[etree._Element]]:
    """Element children of ``el`` grouped by Clark name, in document order (comments and PIs left out)."""
    out: dict[str, list[etree._Element]] = {}
    for child in el:
        t = child.tag
        found = out.get(t)  # type: ignore[arg-type]
        if found is not None:
            found.append(child)
        elif isinstance(t, str):
            out[t] = [child]
    return out
