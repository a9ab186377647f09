"""Property: whatever the builder computes, the validation rules agree with (two independent paths).

The builder works on the model, the rules on the XML tree; both use fakturnik.fa3.amounts, but the
line selection, signs, margin/OSS grouping and method detection are separate code. Any invoice the
builder accepts must pass validation without a totals problem.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings

from fakturnik.fa3.builder import build_invoice
from fakturnik.fa3.validation import validate_xml
from fakturnik.fa3.writer import write_invoice
from tests.fa3.test_properties import drafts

NOW = datetime(2026, 6, 1, tzinfo=UTC)
EXEMPTION = {"P_19": 1, "P_19A": "art. 43 ust. 1 pkt 29 lit. b ustawy o VAT"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drafts())
def test_rules_agree_with_the_builder(case: tuple[dict[str, Any], str | None]) -> None:
    draft, method = case
    if any(line.get("P_12") == "zw" for line in draft["Fa"]["FaWiersz"]):
        from fakturnik.fa3.builder import DEFAULT_ANNOTATIONS

        draft["Fa"]["Adnotacje"] = {**DEFAULT_ANNOTATIONS, "Zwolnienie": EXEMPTION}
    xml = write_invoice(build_invoice(draft, method=method))  # type: ignore[arg-type]
    report = validate_xml(xml, "prod", now=NOW)
    # The generated names may hold characters KSeF refuses (XML 1.0 "discouraged"); only those may fail.
    assert [p for p in report.problems if p.code != "XML_DISCOURAGED_CHAR"] == [], report.problems
    assert not [w for w in report.warnings if w.code.startswith("TOTALS")], report.warnings
