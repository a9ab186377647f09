"""What every rule shares: the context, XML paths, tiny typed lookups on the FA(3) tree."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Literal

from lxml import etree

from fakturnik.errors import Problem

FA3_NS = "http://crd.gov.pl/wzor/2025/06/25/13775/"
_P = f"{{{FA3_NS}}}"

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


def find(el: etree._Element | None, path: str) -> etree._Element | None:
    if el is None:
        return None
    return el.find("/".join(_P + p for p in path.split("/")))


def findall(el: etree._Element | None, path: str) -> list[etree._Element]:
    if el is None:
        return []
    return list(el.iterfind("/".join(_P + p for p in path.split("/"))))


def text(el: etree._Element | None, path: str) -> str | None:
    found = find(el, path)
    if found is None or found.text is None:
        return None
    return found.text.strip()


def decimal(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        result = Decimal(value)
    except InvalidOperation:
        return None
    return result if result.is_finite() else None


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
    now: datetime = field(default_factory=lambda: datetime.now().astimezone())
    problems: list[Problem] = field(default_factory=list)

    @property
    def today(self) -> date:
        return self.now.date()

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


@dataclass(frozen=True)
class Invoice:
    """The parts of the tree the rules look at, found once."""

    root: etree._Element
    fa: etree._Element | None
    kind: str | None
    lines: list[etree._Element]

    @classmethod
    def of(cls, root: etree._Element) -> Invoice:
        fa = find(root, "Fa")
        return cls(root, fa, text(fa, "RodzajFaktury"), findall(fa, "FaWiersz"))

    @property
    def is_correction(self) -> bool:
        return bool(self.kind and self.kind.startswith("KOR"))

    @property
    def margin(self) -> bool:
        return text(self.fa, "Adnotacje/PMarzy/P_PMarzy") == "1"

    @property
    def reverse_charge(self) -> bool:
        return text(self.fa, "Adnotacje/P_18") == "1"
