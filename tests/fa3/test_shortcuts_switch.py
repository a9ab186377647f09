"""FAKTURNIK_NO_SHORTCUTS switches every fa3 shortcut off: the general code answers alone."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

from fakturnik.fa3 import draft_xml, shortcuts
from fakturnik.fa3.draft_xml import draft_to_xml
from fakturnik.fa3.rules import usual
from fakturnik.fa3.samples import make_sample_draft
from fakturnik.fa3.validation import validate_xml

SELLER = "5265877635"


def _enabled_with(value: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != shortcuts.ENV}
    if value is not None:
        env[shortcuts.ENV] = value
    code = "from fakturnik.fa3 import shortcuts; print(shortcuts.ENABLED)"
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout


def test_the_switch_is_read_from_the_environment() -> None:
    assert _enabled_with(None).strip() == "True"
    assert _enabled_with("0").strip() == "True"
    assert _enabled_with("1").strip() == "False"
    assert _enabled_with("yes").strip() == "False"


def test_switched_off_no_shortcut_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    def taken(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a shortcut was taken")

    draft = make_sample_draft(SELLER, "FV/S/1", 3)
    fast = draft_to_xml(draft)
    monkeypatch.setattr(shortcuts, "ENABLED", False)
    monkeypatch.setattr(draft_xml, "_direct", taken)
    monkeypatch.setattr("fakturnik.fa3.builder._complete_plain_net", taken)
    monkeypatch.setattr("fakturnik.fa3.rules.usual_invoice_passes", taken)
    monkeypatch.setattr("fakturnik.fa3.writer._may_hold_forbidden", taken)
    assert draft_to_xml(draft) == fast
    assert validate_xml(fast).ok


def test_switched_on_the_usual_draft_takes_them(monkeypatch: pytest.MonkeyPatch) -> None:
    if not shortcuts.ENABLED:
        pytest.skip("this run has the shortcuts switched off")
    seen: list[str] = []
    direct, gate = draft_xml._direct, usual.usual_invoice_passes

    def spy_direct(d: Any) -> Any:
        seen.append("draft")
        return direct(d)

    def spy_gate(*args: Any) -> bool:
        seen.append("gate")
        return gate(*args)

    monkeypatch.setattr(draft_xml, "_direct", spy_direct)
    monkeypatch.setattr("fakturnik.fa3.rules.usual_invoice_passes", spy_gate)
    assert validate_xml(draft_to_xml(make_sample_draft(SELLER, "FV/S/2", 3))).ok
    assert seen == ["draft", "gate"]
