"""Start-up: what a person waits for before Fakturnik does anything (issue 10, "install what you use").

Each row starts a fresh interpreter N times and keeps the fastest run (wall clock, what one feels;
the CPU time of that run is in the notes, as it is steadier on a busy machine). The library row
imports what a library user needs: ``from fakturnik import KsefClient, validate`` (where the package
exports them; otherwise the same two names from their modules), measured beside the other Python
KSeF clients in the same run: ``import ksef_client`` (ksef-client) and ``import ksef2`` (ksef2 1.1,
which needs Python 3.12 or newer: without it the row says so).
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

RUNS = 15
FRONT_DOOR = "from fakturnik import KsefClient, validate"
BY_MODULE = "from fakturnik.ksef.client import KsefClient; from fakturnik.fa3.validation import validate_xml"


def _best(cmd: list[str]) -> tuple[float, float]:
    """(wall ms, CPU ms) of the fastest of RUNS starts."""
    best_wall, best_cpu = float("inf"), float("inf")
    for _ in range(RUNS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed: {done.stderr.decode(errors='replace')[-300:]}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if wall < best_wall:
            best_wall, best_cpu = wall, cpu
    return best_wall * 1000, best_cpu * 1000


def _importable(code: str) -> bool:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, check=False).returncode == 0


def _version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "not installed"


def _row(name: str, cmd: list[str], notes: str) -> dict[str, Any]:
    wall, cpu = _best(cmd)
    return {"name": name, "value": round(wall, 1), "unit": "ms", "notes": f"{notes}; CPU {cpu:.0f} ms"}


def run() -> list[dict[str, Any]]:
    python = sys.executable
    script = Path(python).with_name("fakturnik")
    command = [str(script)] if script.exists() else [python, "-m", "fakturnik.cli"]
    library = FRONT_DOOR if _importable(FRONT_DOOR) else BY_MODULE
    rows = [
        _row("python -c pass", [python, "-c", "pass"], f"the interpreter alone, best of {RUNS}"),
        _row("fakturnik --help", [*command, "--help"], f"target <= 300 ms; best of {RUNS}"),
        _row(
            "import: KsefClient + validate (Fakturnik)",
            [python, "-c", library],
            f"`{library}`; target <= 150 ms and faster than ksef-client",
        ),
        _row(
            "import: ksef_client (ksef-client)",
            [python, "-c", "import ksef_client"],
            f"ksef-client {_version('ksef-client')}, same interpreter, same run",
        ),
    ]
    if _importable("import ksef2"):
        rows.append(
            _row("import: ksef2", [python, "-c", "import ksef2"], f"ksef2 {_version('ksef2')}, same run")
        )
    else:
        rows[-1]["notes"] += (
            f"; ksef2 1.1 not measured: it needs Python >= 3.12, this is {sys.version.split()[0]}"
        )
    return rows
