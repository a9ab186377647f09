"""Test programs run as real processes that start at the same moment."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.conftest import REPO


def run_together(
    commands: Sequence[Sequence[str]], start: Path, env: Mapping[str, str], *, settle: float
) -> list[str]:
    """``python -m <command>`` once per command, in the repository, with ``env`` added to this process's
    environment (the children wait for the file ``start``: ``START_AT``); after ``settle`` seconds
    (to import and get ready) ``start`` is written so they go at once. The words the children printed,
    each child having exited 0."""
    children = [
        subprocess.Popen(
            [sys.executable, "-m", *command],
            cwd=REPO,
            env={**os.environ, "START_AT": str(start), **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in commands
    ]
    time.sleep(settle)
    start.write_text("go")
    words: list[str] = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err[-2000:]
        words += out.split()
    return words
