"""The README's Python example runs as written (extracted from README.md) and prints a KSeF number."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def python_example() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Python\n", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None, "README has no python block in its Python section"
    return match.group(1)


def test_the_readme_opens_its_python_section_with_a_short_example() -> None:
    code = python_example()
    assert len(code.strip().splitlines()) <= 10
    assert code.count("import") == 1  # the shortest send path: one import


def test_the_readme_example_issues_an_invoice_and_prints_its_ksef_number(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path)}  # nothing may land in the user's data directory
    run = subprocess.run(
        [sys.executable, "-c", python_example()],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert re.fullmatch(r"5265877635-\d{8}-[0-9A-F]{12}-[0-9A-F]{2}\n", run.stdout), run.stdout
    assert not (tmp_path / ".local").exists()
