"""One reading of a value: a comment or a CDATA section inside a text value changes nothing.

The XSD, the model and KSeF read an element's whole string value; ``element.text`` stops at the first
comment. Every sample is rewritten with a comment (and, separately, a CDATA section) inserted into
every text value; the rules, the field extractor and the simulator's checks must give the same
verdicts as on the original.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from lxml import etree

from fakturnik.base.xmlsafe import parse_xml
from fakturnik.engine.fields import read_fields
from fakturnik.fa3.validation import validate_xml
from fakturnik.simulator import invoice_checks
from fakturnik.simulator.invoice_schemas import FORMS
from tests.conftest import SAMPLES_DIR

SAMPLES = sorted(SAMPLES_DIR.glob("*.xml"))
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
_OPEN, _CLOSE = "QQCDATAOPENQQ", "QQCDATACLOSEQQ"


def _leaves(root: etree._Element) -> list[etree._Element]:
    return [e for e in root.iter() if isinstance(e.tag, str) and len(e) == 0 and e.text and len(e.text) >= 2]


def with_comments(data: bytes) -> bytes:
    root = etree.fromstring(data)
    for el in _leaves(root):
        text = el.text or ""
        half = len(text) // 2
        el.text = text[:half]
        comment = etree.Comment("")
        comment.tail = text[half:]
        el.append(comment)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def with_cdata(data: bytes) -> bytes:
    root = etree.fromstring(data)
    for el in _leaves(root):
        text = el.text or ""
        half = len(text) // 2
        if any(c in text[half:] for c in "&<>]"):
            continue
        el.text = f"{text[:half]}{_OPEN}{text[half:]}{_CLOSE}"
    out = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return out.replace(_OPEN.encode(), b"<![CDATA[").replace(_CLOSE.encode(), b"]]>")


def _verdict(data: bytes) -> object:
    report = validate_xml(data, "prod", now=NOW)
    return (
        sorted((p.path, p.code, p.message) for p in report.problems),
        sorted((p.path, p.code, p.message) for p in report.warnings),
    )


def _simulator(data: bytes) -> object:
    form = next(f for f in FORMS if f.system_code == "FA (3)")
    root = parse_xml(data)
    facts = invoice_checks.extract_fa(root)
    ctx = invoice_checks.Context(
        form=form,
        context_type="Nip",
        context_value=facts.seller_nip,
        profile="test",
        accepted_on=date(2026, 6, 1),
    )
    verdict = invoice_checks.judge(ctx, data)
    return facts.as_json(), verdict.code, verdict.details, verdict.invoice_number


@pytest.mark.parametrize("mutate", [with_comments, with_cdata], ids=["comments", "cdata"])
@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_same_verdicts_with_comments_and_cdata(path: Path, mutate: object) -> None:
    original = path.read_bytes()
    changed = mutate(original)  # type: ignore[operator]
    assert changed != original
    assert _verdict(changed) == _verdict(original)
    assert read_fields(changed) == read_fields(original)
    assert _simulator(changed) == _simulator(original)


def _split(data: bytes, parent: str, name: str, value: str, at: int) -> bytes:
    root = etree.fromstring(data)
    ns = etree.QName(root).namespace
    el = root.find("/".join(f"{{{ns}}}{step}" for step in f"{parent}/{name}".split("/")))
    assert el is not None, name
    el.text = value[:at]
    comment = etree.Comment("")
    comment.tail = value[at:]
    el.append(comment)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_the_issue_examples_are_caught() -> None:
    """The issue's examples: a buyer NIP with a bad checksum and an invoice number split by a comment."""
    sample = next(p for p in SAMPLES if validate_xml(p.read_bytes(), "prod", now=NOW).ok).read_bytes()
    data = _split(sample, "Podmiot2", "DaneIdentyfikacyjne/NIP", "7740001455", 5)
    assert b"<NIP>77400<!---->01455</NIP>" in data
    report = validate_xml(data, "prod", now=NOW)
    assert any(p.path.startswith("Podmiot2") and "NIP" in p.code for p in report.problems), report.problems
    data = _split(sample, "Fa", "P_2", "FV/DUP/1", 3)
    assert read_fields(data).number == "FV/DUP/1"
    assert invoice_checks.extract_fa(parse_xml(data)).invoice_number == "FV/DUP/1"


@pytest.mark.parametrize("path", SAMPLES[::5], ids=lambda p: p.name)
def test_rules_read_past_comments_even_in_a_tree_that_keeps_them(path: Path) -> None:
    """The rules read through ``text_value``, not only thanks to the parser dropping comments."""
    from fakturnik.fa3.validation import validate_tree

    original = path.read_bytes()
    kept = etree.fromstring(with_comments(original), etree.XMLParser(remove_comments=False))
    plain = etree.fromstring(original)

    def verdict(root: etree._Element) -> object:
        report = validate_tree(root, "prod", now=NOW)
        problems = sorted((p.path, p.code) for p in report.problems)
        return problems, sorted((p.path, p.code) for p in report.warnings)

    assert verdict(kept) == verdict(plain)
    assert invoice_checks.extract_fa(kept).as_json() == invoice_checks.extract_fa(plain).as_json()


def test_text_value_joins_the_parts_around_comments_and_pis() -> None:
    from fakturnik.base.xmlsafe import text_value

    el = etree.fromstring(b"<a>1<!--x-->0<?pi y?>5</a>", etree.XMLParser(remove_comments=False))
    assert el.text == "1"
    assert text_value(el) == "105"
