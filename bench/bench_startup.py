"""Start-up: what a person waits for before Fakturnik does anything (issue 10, "install what you use").

Each row starts a fresh interpreter N times and keeps the fastest run (wall clock, what one feels;
the CPU time of that run is in the notes, as it is steadier on a busy machine). The library row
imports what a library user needs: ``from fakturnik import KsefClient, validate`` (where the package
exports them; otherwise the same two names from their modules), measured beside the other Python
KSeF clients in the same run: ``import ksef_client`` (ksef-client) and ``import ksef2`` (ksef2 1.1).

ksef2 needs Python 3.12 or newer. When the benchmark's own interpreter is older, it looks for a newer one
(``FAKTURNIK_BENCH_PYTHON``, ``python3.13``/``python3.12`` on PATH, or pyenv's versions), makes a venv for
it once under ``var/bench-startup-<version>`` holding ksef2 1.1 and Fakturnik's core install (the project
itself, no extras), and measures both imports with that interpreter, so that ksef2 is compared with
Fakturnik on the same Python. Without any such interpreter the row says so.
"""

from __future__ import annotations

import os
import resource
import shutil
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


def _newer_python() -> Path | None:
    """An interpreter of Python 3.12 or newer on this machine, or None."""
    named = os.environ.get("FAKTURNIK_BENCH_PYTHON")
    candidates = [Path(named)] if named else []
    candidates += [Path(p) for p in (shutil.which("python3.13"), shutil.which("python3.12")) if p]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    if pyenv.is_dir():
        candidates += sorted(pyenv.glob("3.1[2-9]*/bin/python"), reverse=True)
    for python in candidates:
        probe = [str(python), "-c", "import sys; print(sys.version_info >= (3, 12))"]
        answer = subprocess.run(probe, capture_output=True, text=True, check=False)
        if answer.returncode == 0 and answer.stdout.strip() == "True":
            return python
    return None


def _venv_with_ksef2(python: Path) -> Path:
    """The venv (made once, then reused) holding ksef2 1.1 and Fakturnik's core on ``python``."""
    version = subprocess.run(
        [str(python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    root = Path(__file__).resolve().parent.parent
    venv = root / "var" / f"bench-startup-{version}"
    interpreter = venv / "bin" / "python"
    if not (venv / ".ready").exists():
        subprocess.run([str(python), "-m", "venv", str(venv)], check=True)
        pip = [str(interpreter), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, "ksef2==1.1.*", "-e", str(root)], check=True, capture_output=True)
        (venv / ".ready").touch()
    return interpreter


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
        return rows
    newer = _newer_python()
    if newer is None:
        rows[-1]["notes"] += (
            f"; ksef2 1.1 not measured: it needs Python >= 3.12, none on this machine "
            f"(this is {sys.version.split()[0]}; FAKTURNIK_BENCH_PYTHON names one)"
        )
        return rows
    other = str(_venv_with_ksef2(newer))
    version = subprocess.run(
        [
            other,
            "-c",
            "import sys, importlib.metadata as m; print(sys.version.split()[0], m.version('ksef2'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    on = f"Python {version[0]} (ksef2 needs >= 3.12), venv var/bench-startup-*, same run"
    rows.append(_row("import: KsefClient + validate (Fakturnik, Python 3.12+)", [other, "-c", library], on))
    rows.append(_row(f"import: ksef2 {version[1]} (Python 3.12+)", [other, "-c", "import ksef2"], on))
    return rows
