"""All 55 real FA(3) samples: parse -> write is equal in content, JSON form round-trips, output is valid."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from fakturnik.fa3.jsonform import invoice_from_json, invoice_to_json_text
from fakturnik.fa3.model import RawXml
from fakturnik.fa3.parser import parse_invoice
from fakturnik.fa3.writer import write_invoice
from tests.conftest import SAMPLES_DIR
from tests.fa3.xmlcompare import xml_content_equal
from tests.fa3.xsd import assert_xsd_valid

SAMPLES = sorted(SAMPLES_DIR.glob("*.xml"))


def test_all_55_samples_are_present() -> None:
    assert len(SAMPLES) == 55


def _has_extras(obj: object) -> bool:
    if isinstance(obj, RawXml):
        return True
    if isinstance(obj, list):
        return any(_has_extras(x) for x in obj)
    extra = getattr(obj, "xml_extra", None)
    if extra or getattr(obj, "xml_attrs", None):
        return True
    fields = getattr(type(obj), "model_fields", {})
    return any(_has_extras(getattr(obj, name)) for name in fields if name not in ("xml_extra", "xml_attrs"))


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_sample_round_trips(path: Path) -> None:
    original = path.read_bytes()
    invoice = parse_invoice(original)
    written = write_invoice(invoice)
    assert xml_content_equal(original, written) is None
    # The model covers every element of every sample: nothing needed the raw-XML fallback.
    assert not _has_extras(invoice)
    assert_xsd_valid(written)
    # Deterministic: writing the re-parsed document gives the very same bytes.
    assert write_invoice(parse_invoice(written)) == written
    assert hashlib.sha256(write_invoice(invoice)).digest() == hashlib.sha256(written).digest()
    # The JSON form carries the same content.
    assert write_invoice(invoice_from_json(invoice_to_json_text(invoice))) == written


# --- the comparison itself ---------------------------------------------------------------------------

_DOC = b"""<?xml version="1.0" encoding="UTF-8"?>
<f:A xmlns:f="urn:x" k="1">
  <f:B>t</f:B>
  <f:C j="2"/>
</f:A>"""


def test_comparison_ignores_prefixes_whitespace_and_declaration() -> None:
    same = b'<A xmlns="urn:x" k="1"><B>t</B><!-- c --><C j="2"></C></A>'
    assert xml_content_equal(_DOC, same) is None


@pytest.mark.parametrize(
    ("other", "what"),
    [
        (b'<A xmlns="urn:x" k="1"><C j="2"/><B>t</B></A>', "element"),
        (b'<A xmlns="urn:x" k="2"><B>t</B><C j="2"/></A>', "attributes"),
        (b'<A xmlns="urn:x" k="1"><B>t </B><C j="2"/></A>', "text"),
        (b'<A xmlns="urn:y" k="1"><B>t</B><C j="2"/></A>', "element"),
        (b'<A xmlns="urn:x" k="1"><B>t</B><C j="2"/><D/></A>', "children"),
        (b'<A xmlns="urn:x" k="1"><B>t</B></A>', "children"),
        (b'<A xmlns="urn:x" k="1"><B>t</B>ogon<C j="2"/></A>', "text after"),
    ],
)
def test_comparison_detects_differences(other: bytes, what: str) -> None:
    diff = xml_content_equal(_DOC, other)
    assert diff is not None and what in diff
