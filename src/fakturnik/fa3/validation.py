"""Validation of an FA(3) invoice: bytes, the official XSD, then the business rules — all problems at once.

``validate_xml(data, env)`` never raises for a bad invoice: it returns a :class:`ValidationReport`
whose ``problems`` are errors and ``warnings`` are not. Every entry is a
:class:`fakturnik.errors.Problem` with an XML path (``Fa/FaWiersz[2]/P_9A``), a Polish message and a
stable code (``docs/validation.md`` lists them).

Order: byte-level checks (size, BOM, encoding, DTD/entities) stop early, because nothing after them
is safe; then parsing through the hardened parser; the root must be an FA(3) ``Faktura``; then the
XSD and the rules both run, so that one pass shows everything.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from lxml import etree

from fakturnik.base import xmlsafe
from fakturnik.errors import InvoiceValidationError, Problem, XmlSecurityError
from fakturnik.fa3.rules import Env, RuleContext, run_rules
from fakturnik.fa3.rules.base import ENVIRONMENTS, FA3_NS, element_path, local
from fakturnik.fa3.schemas import load_schema

if TYPE_CHECKING:
    from fakturnik.fa3.model import Faktura

__all__ = ["ValidationReport", "validate_invoice", "validate_parsed", "validate_tree", "validate_xml"]

FA3_ROOT = f"{{{FA3_NS}}}Faktura"
DOCUMENT = "/"


@dataclass
class ValidationReport:
    """Errors (``problems``) and ``warnings``; the invoice is valid when there are no errors."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def __bool__(self) -> bool:
        return self.ok

    @property
    def all(self) -> list[Problem]:
        return [*self.problems, *self.warnings]

    def codes(self) -> list[str]:
        return [p.code for p in self.problems]

    def add(self, items: Iterable[Problem]) -> None:
        for p in items:
            (self.warnings if p.severity == "warning" else self.problems).append(p)

    def by_authority(self) -> dict[str, list[Problem]]:
        """Errors grouped by who objects: ``ksef`` / ``vat_act`` / ``amounts`` (see fa3.authority)."""
        from fakturnik.fa3.authority import grouped

        return {str(k): v for k, v in grouped(self.problems).items()}

    def ksef_only(self) -> ValidationReport:
        """This report as KSeF sees it: only what KSeF rejects stays an error; the rest are warnings."""
        from fakturnik.fa3.authority import authority_of

        kept = [p for p in self.problems if authority_of(p) == "ksef"]
        demoted = [p for p in self.problems if authority_of(p) != "ksef"]
        return ValidationReport(kept, [*demoted, *self.warnings])

    def raise_for_problems(self) -> None:
        if self.problems:
            raise InvoiceValidationError(self.problems)


# --- bytes ------------------------------------------------------------------------------------------

_DECL_ENCODING = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def _has_attachment(data: bytes) -> bool:
    return b"Zalacznik>" in data or b"Zalacznik " in data


def byte_problem(data: bytes) -> Problem | None:
    """The first byte-level reason not to parse at all (what KSeF refuses before reading XML)."""
    limit = xmlsafe.MAX_INVOICE_BYTES
    if len(data) > limit and _has_attachment(data):  # the attachment only matters above 1 MB
        limit = xmlsafe.MAX_INVOICE_WITH_ATTACHMENT_BYTES
    if len(data) > limit:
        return Problem(
            DOCUMENT,
            f"Dokument ma {len(data)} bajtów; limit KSeF to {limit} bajtów"
            + (
                " (z załącznikiem)." if limit > xmlsafe.MAX_INVOICE_BYTES else " (3 MB tylko z załącznikiem)."
            ),
            "XML_TOO_LARGE",
        )
    if data.startswith(_BOMS):
        return Problem(
            DOCUMENT, "Dokument zaczyna się znacznikiem BOM; KSeF wymaga UTF-8 bez BOM.", "XML_BOM"
        )
    wide = xmlsafe.wide_encoding(data)
    if wide:
        return Problem(DOCUMENT, xmlsafe.WIDE_MESSAGE.format(wide), "XML_ENCODING")
    m = _DECL_ENCODING.match(data)
    if m and m.group(1).upper().replace(b"_", b"-") not in (b"UTF-8", b"UTF8"):
        declared = m.group(1).decode("ascii", "replace")
        return Problem(
            DOCUMENT, f"Deklarowane kodowanie {declared} jest niedozwolone; wymagane UTF-8.", "XML_ENCODING"
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Problem(DOCUMENT, f"Dokument nie jest poprawnym UTF-8 (bajt {exc.start}).", "XML_NOT_UTF8")
    if b"!" in data and (b"<!DOCTYPE" in data or b"<!ENTITY" in data):  # one-byte scan first: fast
        return Problem(
            DOCUMENT,
            "Dokument zawiera deklarację DTD lub encji (np. XXE, 'billion laughs'); to niedozwolone.",
            "XML_DTD",
        )
    return None


_local = threading.local()


def _parse(data: bytes) -> etree._Element:
    """Parse bytes already checked by :func:`byte_problem`, with xmlsafe's parser settings.

    One parser per thread is reused (lxml parsers are not shareable between threads); the byte
    checks are not repeated. Anything still hostile is refused exactly as xmlsafe does.
    """
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = xmlsafe._parser()
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise XmlSecurityError(f"Niepoprawny XML: {exc.msg} (wiersz {exc.lineno}).") from exc
    if root.getroottree().docinfo.doctype:  # type: ignore[union-attr]
        raise XmlSecurityError("Dokument zawiera deklarację DTD; to niedozwolone.")
    return root


# --- XSD --------------------------------------------------------------------------------------------

_ENTRY = re.compile(r"^Element '([^']+)'(?:, attribute '([^']+)')?: (.*)$", re.S)
_NS = re.compile(r"\{(?:https?|urn):[^}]*\}")
_EXPECTED = re.compile(r"Expected is (?:one of )?\( ([^)]*) \)")


def _xsd_problem(root: etree._Element, entry: etree._LogEntry) -> Problem:
    message = entry.message or ""
    m = _ENTRY.match(message)
    try:
        found = root.getroottree().xpath(entry.path) if entry.path else []
    except etree.XPathError:
        found = []
    el = found[0] if isinstance(found, list) and found and isinstance(found[0], etree._Element) else None
    path = (element_path(el) or local(el)) if el is not None else DOCUMENT
    if not m:
        return Problem(path, f"Niezgodność ze schematem FA(3): {_NS.sub('', message)}", "XSD_INVALID")
    name, attribute, detail = _NS.sub("", m.group(1)), m.group(2), _NS.sub("", m.group(3)).strip()
    expected = _EXPECTED.search(detail)
    wanted = expected.group(1).replace(" ", "") if expected else ""
    if attribute:
        path = f"{path}/@{attribute}"
    if "This element is not expected" in detail:
        hint = f"; oczekiwano: {wanted}" if wanted else ""
        return Problem(path, f"Element {name} jest tu niedozwolony{hint}.", "XSD_UNEXPECTED_ELEMENT")
    if "Missing child element" in detail:
        first = wanted.split(",")[0] if wanted else ""
        missing_path = f"{path}/{first}" if first and path != DOCUMENT else path
        return Problem(
            missing_path, f"Brak wymaganego elementu {wanted or '?'} w {name}.", "XSD_MISSING_ELEMENT"
        )
    if "is required but missing" in detail:
        return Problem(
            path, f"Brak wymaganego atrybutu {attribute or ''} elementu {name}.", "XSD_MISSING_ATTRIBUTE"
        )
    if "fixed value constraint" in detail:
        fixed = re.findall(r"'([^']*)'", detail)
        shown = f"'{fixed[0]}' " if len(fixed) >= 2 else ""
        want = f" '{fixed[-1]}'" if fixed else ""
        what = f"atrybutu {attribute}" if attribute else name
        return Problem(path, f"Wartość {shown}{what} różni się od wymaganej{want}.", "XSD_FIXED_VALUE")
    if "No matching global declaration" in detail:
        return Problem(path, f"Element główny {name} nie jest fakturą FA(3).", "XSD_UNKNOWN_ROOT")
    return Problem(path, f"Niepoprawna wartość {name}: {_polish_value_detail(detail)}", "XSD_INVALID_VALUE")


_VALUE = re.compile(r"The value '([^']*)'|'([^']*)' is not a valid value")


def _polish_value_detail(detail: str) -> str:
    m = _VALUE.search(detail)
    value = next((g for g in m.groups() if g is not None), "") if m else ""
    shown = f"'{value}' " if m else ""
    if "[facet 'pattern']" in detail:
        return f"{shown}nie pasuje do wymaganego wzorca."
    if "[facet 'enumeration']" in detail:
        allowed = re.findall(r"'([^']*)'", detail.split("set", 1)[-1])
        listed = ", ".join(allowed[:14]) + (f" … (razem {len(allowed)})" if len(allowed) > 14 else "")
        return f"{shown}nie należy do dozwolonych wartości: {listed}."
    if "[facet 'minInclusive']" in detail or "less than the minimum" in detail:
        return f"{shown}jest mniejsza niż dopuszczalne minimum."
    if "[facet 'maxInclusive']" in detail or "greater than the maximum" in detail:
        return f"{shown}jest większa niż dopuszczalne maksimum."
    if "Length']" in detail or "[facet 'length']" in detail:
        return f"{shown}ma niedozwoloną długość."
    if "Digits']" in detail:
        return f"{shown}ma za dużo cyfr lub miejsc po przecinku."
    if "is not a valid value of the atomic type" in detail:
        type_name = detail.rsplit("type", 1)[-1].strip(" '.")
        return f"{shown}nie jest poprawną wartością typu {type_name}."
    return detail


def xsd_problems(root: etree._Element) -> list[Problem]:
    schema = load_schema("FA (3)")
    if schema.validate(root):
        return []
    entries: Iterable[etree._LogEntry] = schema.error_log  # type: ignore[assignment]
    return [_xsd_problem(root, e) for e in entries]


# --- entry points -----------------------------------------------------------------------------------


def _check_env(env: str) -> Env:
    if env not in ENVIRONMENTS:
        raise ValueError(f"env must be one of {ENVIRONMENTS}, not {env!r}")
    return env  # type: ignore[return-value]


def validate_tree(
    root: etree._Element, env: Env = "prod", *, now: datetime | None = None, data: bytes | None = None
) -> ValidationReport:
    """XSD + rules on an already parsed ``Faktura`` element (no byte-level checks)."""
    return _validate_root(root, _check_env(env), now, data)


def _validate_root(
    root: etree._Element, env: Env, now: datetime | None, data: bytes | None
) -> ValidationReport:
    report = ValidationReport()
    if root.tag != FA3_ROOT:
        qname = etree.QName(root)
        if qname.localname == "Faktura":
            have = f"'{qname.namespace}'" if qname.namespace else "(brak)"
            msg = f"Niewłaściwa przestrzeń nazw {have}; FA(3) wymaga '{FA3_NS}'."
        else:
            msg = f"Element główny {qname.localname} nie jest fakturą FA(3) (oczekiwano Faktura)."
        report.problems.append(Problem(DOCUMENT, msg, "XML_NAMESPACE"))
        return report
    schema = xsd_problems(root)
    report.add(schema)
    ctx = RuleContext(env=env)
    if now is not None:
        ctx.now = now if now.tzinfo else now.astimezone()
    report.add(run_rules(root, ctx, data=data, schema_valid=not schema))
    return report


def validate_xml(data: bytes, env: Env = "prod", *, now: datetime | None = None) -> ValidationReport:
    """Validate FA(3) XML bytes; every problem found is in the report (nothing is raised for bad input)."""
    _check_env(env)
    if type(data) is not bytes:
        data = bytes(data)
    early = byte_problem(data)
    if early is not None:
        return ValidationReport([early])
    try:
        root = _parse(data)
    except XmlSecurityError as exc:
        return ValidationReport([Problem(DOCUMENT, str(exc), "XML_MALFORMED")])
    return _validate_checked(data, root, env, now)


def validate_parsed(
    data: bytes, root: etree._Element, env: Env = "prod", *, now: datetime | None = None
) -> ValidationReport:
    """What :func:`validate_xml` reports for ``data``, given ``root``, the tree those bytes parse to
    (a :class:`fakturnik.fa3.document.Document`): the byte checks run, the parse is not repeated."""
    _check_env(env)
    early = byte_problem(data)
    if early is not None:
        return ValidationReport([early])
    return _validate_checked(data, root, env, now)


def _validate_checked(data: bytes, root: etree._Element, env: Env, now: datetime | None) -> ValidationReport:
    if len(data) > xmlsafe.MAX_INVOICE_BYTES and root.find(f"{{{FA3_NS}}}Zalacznik") is None:
        # The byte scan only saw the word "Zalacznik"; the 3 MB limit needs a real attachment.
        return ValidationReport(
            [
                Problem(
                    DOCUMENT,
                    f"Dokument ma {len(data)} bajtów; bez załącznika (Zalacznik) limit KSeF to "
                    f"{xmlsafe.MAX_INVOICE_BYTES} bajtów.",
                    "XML_TOO_LARGE",
                )
            ]
        )
    return _validate_root(root, env, now, data)


def validate_invoice(invoice: Faktura, env: Env = "prod", *, now: datetime | None = None) -> ValidationReport:
    """Write the model to the exact bytes that would be sent and validate them."""
    from fakturnik.fa3.writer import write_invoice

    return validate_xml(write_invoice(invoice), env, now=now)
