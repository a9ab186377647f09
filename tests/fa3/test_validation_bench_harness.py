"""bench/run.py: discovery, a failing module reported (not fatal), the Markdown it writes."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
from bench import run as bench_run


def _fake(name: str, body: object) -> None:
    module = types.ModuleType(f"bench.{name}")
    module.run = body  # type: ignore[attr-defined]
    sys.modules[f"bench.{name}"] = module


@pytest.fixture(autouse=True)
def _cleanup() -> object:
    yield
    for name in [n for n in sys.modules if n.startswith("bench.bench_fake")]:
        del sys.modules[name]


def test_discovers_every_bench_module() -> None:
    names = bench_run.discover()
    assert "bench_fa3" in names
    assert all(n.startswith("bench_") for n in names)
    assert bench_run.discover(["fa3"]) == ["bench_fa3"]


def test_failing_module_is_reported_and_others_still_render(tmp_path: Path) -> None:
    _fake("bench_fake_ok", lambda: [{"name": "x", "value": 1234.5, "unit": "ops/s", "notes": "n|m"}])

    def boom() -> list[dict[str, object]]:
        raise RuntimeError("kaput")

    _fake("bench_fake_fail", boom)
    _fake("bench_fake_bad_rows", lambda: [{"name": "no value"}])
    results = [bench_run.run_module(n) for n in ("bench_fake_ok", "bench_fake_fail", "bench_fake_bad_rows")]
    assert results[0].error is None and results[0].rows
    assert "kaput" in (results[1].error or "")
    assert "malformed row" in (results[2].error or "")
    text = bench_run.render(results, bench_run.machine_info())
    assert "| x | 1,234 | ops/s | n\\|m |" in text
    assert text.count("**FAILED**") == 2
    assert "## Machine" in text and "| Cores |" in text and "| Python |" in text


def test_missing_module_is_an_error_not_a_crash() -> None:
    result = bench_run.run_module("bench_does_not_exist")
    assert result.error and "ModuleNotFoundError" in result.error


def test_machine_info_reads_cpu_and_ram() -> None:
    info = bench_run.machine_info()
    assert info["CPU"] and info["RAM"].endswith("GiB") and info["Cores"].isdigit()
