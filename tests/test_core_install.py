"""The core install (no extras) builds, validates and sends an invoice (issue 10, "install what you use").

The wheel of this checkout goes into a fresh virtualenv with pip and only the core dependencies; a
script run there builds an FA(3) invoice from a JSON draft, validates it (XSD + rules) and sends it
to the KSeF simulator, which runs here from the full install, and prints the KSeF number.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import httpx
import pytest

from fakturnik.base.ksef_numbers import is_valid_ksef_number
from fakturnik.base.warsaw import warsaw_today
from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.mint import mint_session
from fakturnik.simulator.server import SimulatorServer
from tests.conftest import SCHEMA_DIR

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
NIP = "5265877635"

SCRIPT = """
import json, sys
from fakturnik.fa3.jsonform import xml_from_draft
from fakturnik.fa3.validation import validate_xml
from fakturnik.ksef.auth import AuthManager
from fakturnik.ksef.client import KsefClient
from fakturnik.ksef.context import ContextIdentifier
from fakturnik.ksef.environments import resolve
from fakturnik.ksef.sessions import OnlineSession
from fakturnik.ksef.transport import Transport

base_url, nip, token, draft = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
xml = xml_from_draft(draft)
report = validate_xml(xml, "test")
assert not report.problems, report.problems
auth = AuthManager.with_ksef_token(Transport(resolve(base_url)), ContextIdentifier.nip(nip), token)
with KsefClient(auth.api) as client, OnlineSession(client) as session:
    (outcome,) = session.wait_for_all([session.send(xml)])
print(outcome.ksef_number)
for extra in ("typer", "rich", "sqlalchemy", "alembic", "fastapi", "uvicorn", "jinja2", "holidays"):
    try:
        __import__(extra)
    except ImportError:
        continue
    raise SystemExit(f"{extra} is installed in the core environment")
"""


def _run(*cmd: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=900, **kwargs)  # type: ignore[call-overload]
    assert result.returncode == 0, f"{cmd}\n{result.stdout}\n{result.stderr}"
    return result  # type: ignore[no-any-return]


def _ksef_token(server: SimulatorServer) -> str:
    owner = mint_session(
        server.sim, context_type="Nip", context_value=NIP, subject_type="Nip", subject_value=NIP
    )
    r = httpx.post(
        server.base_url + "/tokens",
        json={"permissions": ["InvoiceWrite", "InvoiceRead"], "description": "core install test"},
        headers={"Authorization": f"Bearer {owner['accessToken']}"},
        timeout=10,
    )
    r.raise_for_status()
    return str(r.json()["token"])


def test_the_core_install_builds_validates_and_sends(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, REPO)
    (wheel,) = dist.glob("fakturnik-*.whl")
    env_dir = tmp_path / "core"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    _run(python, "-m", "pip", "install", "-q", "--disable-pip-version-check", wheel)

    from fakturnik.fa3.samples import make_sample_draft

    draft = make_sample_draft(NIP, "FV/CORE/1", lines=2, issue_date=warsaw_today())
    with SimulatorServer(SimulatorConfig(profile="test", rate_limits_enabled=False)) as server:
        token = _ksef_token(server)
        env = {**os.environ, "FAKTURNIK_SCHEMA_DIR": str(SCHEMA_DIR), "PYTHONPATH": ""}
        result = _run(
            python,
            "-c",
            SCRIPT,
            server.base_url,
            NIP,
            token,
            json.dumps(draft, default=str),
            env=env,
            cwd=tmp_path,
        )
    number = result.stdout.strip().splitlines()[-1]
    assert is_valid_ksef_number(number), result.stdout + result.stderr

    # the command is an extra of its own: without it, it says which one to install
    command = subprocess.run(
        [env_dir / "bin" / "fakturnik", "--help"], capture_output=True, text=True, timeout=60
    )
    assert command.returncode == 1
    assert "pip install 'fakturnik[cli]'" in command.stderr and "Traceback" not in command.stderr
