"""The fuzzers' time-based mode itself: stopped by the clock, crashes counted (not raised) and reported."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.hardening import fuzzing


def test_a_timed_run_stops_on_the_clock_and_counts_every_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fuzzing, "TIMED", True)
    monkeypatch.setattr(fuzzing, "SECONDS", 1.0)
    monkeypatch.setattr(fuzzing, "TALLIES", {})

    @fuzzing.target("demo")
    @fuzzing.fuzz_settings()
    @given(n=st.integers(0, 10**6))
    def crashy(n: int) -> None:
        with fuzzing.tally("demo").case(n) as case:
            case.outcome("even" if n % 2 == 0 else "odd")
            if n % 3 == 0:
                raise ValueError("boom")
            if n % 3 == 1:
                case.well_formed(b"<a><b></a>")

    with pytest.raises(AssertionError) as failed:
        crashy()
    tally = fuzzing.TALLIES["demo"]
    assert 0.9 <= tally.seconds < 5
    assert tally.examples > 20
    assert tally.count("traceback") >= 2 and tally.count("not well-formed") >= 2  # the run went on
    assert len(tally.findings) == 2  # one per kind and place
    assert "ValueError" in str(failed.value)
    table = fuzzing.summary("now")
    assert table[2].startswith("| target | seconds | examples | tracebacks | not well-formed")
    row = table[4]
    assert row.startswith("| demo | 1 | ") and "even" in row and "odd" in row
    assert any("first example" in line for line in table)


def test_the_suite_mode_raises_the_first_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fuzzing, "TIMED", False)
    monkeypatch.setattr(fuzzing, "TALLIES", {})
    tally = fuzzing.Tally("plain")
    with pytest.raises(ValueError), tally.case(1):
        raise ValueError("boom")
    assert tally.examples == 1 and not tally.findings
