"""Many documents checked stage by stage (``validate_many`` / ``check_many``) give exactly the reports
``validate_xml`` gives one by one: the 55 samples, the bench's shapes, the negative corpus and documents
refused before their content is read, mixed in one batch."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from bench.bench_fa3 import mix_shapes
from lxml import etree

from fakturnik.base import xmlsafe
from fakturnik.fa3.draft_xml import draft_to_xml
from fakturnik.fa3.validation import check_many, validate_many, validate_xml
from tests.fa3.negative.cases import CASES, VALID

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _refused_early(valid: bytes) -> list[bytes]:
    """Documents each stage refuses: bytes, parse, size, namespace, XSD."""
    big = valid.replace(
        b"</Faktura>", b"<!-- Zalacznik " + b"x" * (xmlsafe.MAX_INVOICE_BYTES + 10) + b" --></Faktura>"
    )
    return [
        b"\xef\xbb\xbf" + valid,  # BOM
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>',  # DTD
        b"<Faktura><unclosed></Faktura>",  # not XML
        valid.replace(b"Zalacznik", b""),  # plain
        big,  # over 1 MB without a real attachment
        b'<Faktura xmlns="http://example.com/other"/>',  # wrong namespace
        b"<Inny/>",  # not an invoice
        valid.replace(b"<P_2>", b"<P_2_X>", 1).replace(b"</P_2>", b"</P_2_X>", 1),  # XSD
        b"",  # empty
    ]


def _key(report: object) -> list[tuple[str, str, str, str]]:
    return [(p.path, p.code, p.severity, p.message) for p in report.all]  # type: ignore[attr-defined]


def _batch(samples_dir: Path) -> list[tuple[bytes, str]]:
    docs = [(p.read_bytes(), "prod") for p in sorted(samples_dir.glob("*.xml"))]
    for _name, _share, make in mix_shapes():
        docs += [(draft_to_xml(make(i)), "prod") for i in (0, 3)]
    docs += [(c.data(), c.env) for c in (*CASES, *VALID)]
    docs += [(d, "prod") for d in _refused_early(docs[-1][0])]
    return docs


def test_a_mixed_batch_gets_the_reports_of_one_by_one(samples_dir: Path) -> None:
    docs = _batch(samples_dir)
    assert len(docs) > 120
    for env in sorted({env for _, env in docs}):
        datas = [d for d, e in docs if e == env]
        many = check_many(datas, env, now=NOW)  # type: ignore[arg-type]
        assert len(many) == len(datas)
        for data, (report, root) in zip(datas, many, strict=True):
            alone = validate_xml(data, env, now=NOW)  # type: ignore[arg-type]
            assert _key(report) == _key(alone)
            assert report.ok == alone.ok
            if root is not None:  # the tree is the one those bytes parse to
                assert etree.tostring(root) == etree.tostring(xmlsafe.parse_xml(data))
        assert [_key(r) for r in validate_many(datas, env, now=NOW)] == [_key(r) for r, _ in many]  # type: ignore[arg-type]


def test_refused_documents_have_no_tree_and_the_rest_keep_theirs(samples_dir: Path) -> None:
    valid = next(iter(sorted(samples_dir.glob("*.xml")))).read_bytes()
    refused = _refused_early(valid)
    many = check_many([valid, *refused[:3], valid])
    assert [root is None for _, root in many] == [False, True, True, True, False]
    assert many[0][0].ok and many[-1][0].ok
    assert not any(report.ok for report, _ in many[1:4])


def test_an_empty_batch_and_a_wrong_environment() -> None:
    assert check_many([]) == []
    with pytest.raises(ValueError, match="env must be one of"):
        check_many([b"<Faktura/>"], "nowhere")  # type: ignore[arg-type]
