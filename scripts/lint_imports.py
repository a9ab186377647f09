"""Check the import contract (``.importlinter``) with import-linter.

Usage: ``python scripts/lint_imports.py [CONFIG]`` (default: ``.importlinter`` of the repository).

The contract names the packages the architecture plans (``web``, ``app``, ``visual``) so that they
slot in when they land. import-linter refuses a contract naming a module that does not exist, so a
planned package missing from this checkout is left out of the check (one line per mention, or one
``|`` sibling of a layer); everything else is checked as written.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import tempfile
from pathlib import Path

PLANNED = ("web", "app", "visual")
DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / ".importlinter"


def _root(text: str) -> str:
    match = re.search(r"^root_packages\s*=\s*\n\s+(\S+)", text, re.MULTILINE)
    if match is None:
        raise SystemExit("root_packages not found in the contract")
    return match.group(1)


def _exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def effective_contract(text: str) -> tuple[str, list[str]]:
    """The contract without the planned packages this checkout lacks, and their names."""
    root = _root(text)
    missing = [f"{root}.{name}" for name in PLANNED if not _exists(f"{root}.{name}")]
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped in missing:
            continue
        if "|" in stripped:
            kept = [part.strip() for part in stripped.split("|") if part.strip() not in missing]
            line = line[: len(line) - len(line.lstrip())] + " | ".join(kept)
        lines.append(line)
    return "\n".join(lines) + "\n", missing


def main(argv: list[str]) -> int:
    from importlinter.cli import lint_imports

    config = Path(argv[0]) if argv else DEFAULT_CONFIG
    text, missing = effective_contract(config.read_text(encoding="utf-8"))
    if missing:
        print(f"not on this checkout, left out of the check: {', '.join(missing)}")
    with tempfile.TemporaryDirectory() as tmp:
        effective = Path(tmp) / "importlinter.ini"
        effective.write_text(text, encoding="utf-8")
        return lint_imports(config_filename=str(effective), no_cache=True, no_logo=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
