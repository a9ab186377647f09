"""Whatever is broken in an invoice, validation reports it and never raises."""

from __future__ import annotations

import pytest
from lxml import etree

from fakturnik.fa3.validation import validate_xml
from tests.fa3.negative.cases import BASES


def _variants(data: bytes) -> list[bytes]:
    count = sum(1 for _ in etree.fromstring(data).iter())
    out: list[bytes] = []
    for index in range(1, count):  # every element but the root
        for mode in ("delete", "empty", "junk"):
            root = etree.fromstring(data)
            target = list(root.iter())[index]
            if mode == "delete":
                parent = target.getparent()
                assert parent is not None
                parent.remove(target)
            elif mode == "empty":
                target.text = ""
                for child in list(target):
                    target.remove(child)
            else:
                target.text = "-1e999x"
            out.append(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    return out


@pytest.mark.parametrize("base", sorted(BASES))
def test_every_single_breakage_is_reported_without_raising(base: str) -> None:
    for variant in _variants(BASES[base]):
        report = validate_xml(variant, "prod")
        assert all(p.path and p.message and p.code for p in report.all)
