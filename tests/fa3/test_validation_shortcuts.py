"""The validation shortcuts answer exactly as the general code: the identifier look-up narrowed by the
bytes, and the whole of validate_xml on every bench shape and every sample."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from fakturnik.base.xmlsafe import parse_xml
from fakturnik.errors import XmlSecurityError
from fakturnik.fa3 import shortcuts
from fakturnik.fa3.rules import RuleContext
from fakturnik.fa3.rules.identifiers import check_identifiers_in
from fakturnik.fa3.validation import validate_xml
from tests.conftest import SAMPLES_DIR
from tests.fa3.negative.cases import CASES, VALID


def _documents() -> list[tuple[str, bytes]]:
    from bench.bench_fa3 import mix_shapes

    from fakturnik.fa3.draft_xml import draft_to_xml

    docs = [(p.name, p.read_bytes()) for p in sorted(Path(SAMPLES_DIR).glob("*.xml"))]
    docs += [(f"negative {c.name}", c.data()) for c in [*CASES, *VALID]]
    docs += [(f"shape {name}", draft_to_xml(make(i))) for name, _, make in mix_shapes() for i in (0, 1)]
    return docs


DOCUMENTS = _documents()


@pytest.mark.parametrize("name, data", DOCUMENTS, ids=[n for n, _ in DOCUMENTS])
def test_identifiers_narrowed_by_the_bytes_find_what_the_whole_look_finds(name: str, data: bytes) -> None:
    try:
        root = parse_xml(data)
    except XmlSecurityError:
        return
    narrowed = RuleContext(env="prod")
    whole = RuleContext(env="prod", now=narrowed.now)
    check_identifiers_in(root, narrowed, data)
    check_identifiers_in(root, whole)
    assert narrowed.problems == whole.problems


@pytest.mark.parametrize("name, data", DOCUMENTS, ids=[n for n, _ in DOCUMENTS])
def test_validate_xml_reports_alike_with_the_shortcuts_off(
    name: str, data: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    env = "test" if name.endswith(".xml") else "prod"
    fast = validate_xml(data, env, now=now)  # type: ignore[arg-type]
    monkeypatch.setattr(shortcuts, "ENABLED", False)
    general = validate_xml(data, env, now=now)  # type: ignore[arg-type]
    assert (fast.problems, fast.warnings) == (general.problems, general.warnings)
