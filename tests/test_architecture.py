"""The import contract (``.importlinter``): it holds for ``src``, and a wrong arrow makes it fail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CHECK = REPO / "scripts" / "lint_imports.py"
CONTRACT = REPO / ".importlinter"

# A miniature Fakturnik: every package the contract names, importing nothing.
FIXTURE_MODULES = (
    "__init__.py",
    "errors.py",
    "schema_download.py",
    "base/__init__.py",
    "fa3/__init__.py",
    "ksef/__init__.py",
    "ksef/backoff.py",
    "ksef/client.py",
    "ksef/crypto.py",
    "ksef/credentials.py",
    "ksef/environments.py",
    "ksef/sessions.py",
    "store/__init__.py",
    "vault/__init__.py",
    "visual/__init__.py",
    "engine/__init__.py",
    "engine/gateway.py",
    "engine/connect.py",
    "engine/issuing.py",
    "engine/companies.py",
    "engine/worker.py",
    "app/__init__.py",
    "web/__init__.py",
    "cli/__init__.py",
    "simulator/__init__.py",
)


def _run(config: Path, cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [sys.executable, str(CHECK), str(config)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_contract_holds_for_src(tmp_path: Path) -> None:
    result = _run(CONTRACT, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_circles_in_src() -> None:
    import grimp

    graph = grimp.build_graph("fakturnik", cache_dir=None)
    edges = {module: set(graph.find_modules_directly_imported_by(module)) for module in graph.modules}
    assert _cycles(edges) == []


def test_the_circle_finder_finds_a_circle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _fixture(tmp_path: Path, wrong: tuple[str, str] | None) -> Path:
    root = tmp_path / "src" / "fixturepkg"
    for rel in FIXTURE_MODULES:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('"""Fixture."""\n')
    # the allowed arrows the contract names explicitly (an exception that matches nothing is an error)
    (root / "engine" / "gateway.py").write_text("import fixturepkg.ksef.client\n")
    (root / "engine" / "connect.py").write_text(
        "import fixturepkg.ksef.client\nimport fixturepkg.ksef.environments\n"
    )
    (root / "engine" / "companies.py").write_text("import fixturepkg.ksef.credentials\n")
    (root / "engine" / "issuing.py").write_text(
        "import fixturepkg.ksef.crypto\nimport fixturepkg.ksef.backoff\nimport fixturepkg.store\n"
    )
    (root / "cli" / "__init__.py").write_text(
        "import typer\nimport fixturepkg.app\nimport fixturepkg.simulator\n"
    )
    (root / "simulator" / "__init__.py").write_text("import fixturepkg.ksef.crypto\nimport fixturepkg.fa3\n")
    if wrong is not None:
        module, line = wrong
        path = root / module
        path.write_text(path.read_text() + line + "\n")
    config = tmp_path / "contract.ini"
    config.write_text(CONTRACT.read_text(encoding="utf-8").replace("fakturnik", "fixturepkg"))
    return config


def test_the_fixture_without_a_wrong_import_passes(tmp_path: Path) -> None:
    result = _run(_fixture(tmp_path, None), tmp_path, tmp_path / "src")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("fa3/__init__.py", "import fixturepkg.engine", "Layers point down"),
        ("base/__init__.py", "import fixturepkg.fa3", "Layers point down"),
        ("ksef/client.py", "import fixturepkg.store", "Layers point down"),
        ("ksef/client.py", "import fixturepkg.vault", "Layers point down"),
        ("engine/__init__.py", "import fixturepkg.app", "Layers point down"),
        ("engine/issuing.py", "import fixturepkg.ksef.client", "only through engine.gateway"),
        ("store/__init__.py", "import typer", "Typer and Rich live only"),
        ("engine/issuing.py", "import rich", "Typer and Rich live only"),
        ("fa3/__init__.py", "import httpx", "fa3 and base do no I/O"),
        ("simulator/__init__.py", "import fixturepkg.engine", "simulator stands beside"),
        ("engine/issuing.py", "import fixturepkg.simulator", "Only the CLI and the application core"),
    ],
)
def test_a_wrong_import_breaks_the_contract(tmp_path: Path, module: str, line: str, broken: str) -> None:
    result = _run(_fixture(tmp_path, (module, line)), tmp_path, tmp_path / "src")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 broken" in result.stdout
    text = " ".join(result.stdout.split())
    assert f"{broken}" in text and "BROKEN" in text
