"""The fuzzers' summary at the end of a ``make fuzz`` run (tests/hardening/fuzzing.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.hardening import fuzzing


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not fuzzing.REPORTING:
        return
    lines = fuzzing.summary(datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    if lines:
        terminalreporter.section("fuzzing summary")
        for line in lines:
            terminalreporter.write_line(line)
