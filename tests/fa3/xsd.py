"""XSD validation for FA(3) tests through the project's schema store (FAKTURNIK_SCHEMA_DIR)."""

from __future__ import annotations

from lxml import etree

from fakturnik.base.xmlsafe import parse_xml
from fakturnik.fa3.schemas import load_schema


def xsd_errors(xml: bytes) -> list[str]:
    """Every XSD error of the document (empty when valid)."""
    schema = load_schema()
    doc = parse_xml(xml)
    if schema.validate(doc):
        return []
    return [f"{e.line}: {e.message}" for e in schema.error_log]  # type: ignore[attr-defined]


def assert_xsd_valid(xml: bytes) -> None:
    errors = xsd_errors(xml)
    assert not errors, "\n".join(errors[:10]) + "\n" + xml.decode()[:3000]


__all__ = ["assert_xsd_valid", "etree", "xsd_errors"]
