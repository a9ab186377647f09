"""After a full run, no KSeF token, master key or access token appears in logs, database files,
exception texts or reprs."""

from __future__ import annotations

import base64
import logging
import os
import secrets
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fakturnik.cli.main import app
from fakturnik.engine.companies import add_company, credential_for
from fakturnik.engine.connect import default_gateway
from fakturnik.engine.context import open_context
from fakturnik.engine.issuing import issue
from fakturnik.engine.sync import sync_company
from fakturnik.engine.worker import Worker
from fakturnik.errors import FakturnikError
from fakturnik.simulator.server import SimulatorServer
from fakturnik.store import repo
from fakturnik.vault import ENV_MASTER_KEY, Secret
from tests.engine.helpers import NIP, fast_settings, ksef_token, sample_invoice

JWT_PREFIX = b"eyJ"  # every access/refresh/operation token the simulator issues is a JWT


def test_no_secret_in_clear_after_a_full_run(
    simulator: SimulatorServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    master = secrets.token_bytes(32)
    monkeypatch.setenv(ENV_MASTER_KEY, master.hex())
    token = ksef_token(simulator)
    data = tmp_path / "data"
    runner = CliRunner()
    out = runner.invoke(
        app,
        ["companies", "add", NIP, "--env", simulator.base_url, "--data-dir", str(data)],
        env={"FAKTURNIK_KSEF_TOKEN": token, ENV_MASTER_KEY: master.hex()},
    )
    assert out.exit_code == 0, out.output
    ctx = open_context(data, None, fast_settings(), use_keyring=False)
    for _ in range(3):
        issue(ctx, company_nip=NIP, xml=sample_invoice())
    Worker(ctx, worker_id="secrets").run(once=True, idle_sleep=0.1, max_seconds=60)
    sync_company(ctx, NIP, subject_types=("Subject1",), export_timeout=60)
    listing = runner.invoke(
        app, ["invoices", "list", "--data-dir", str(data)], env={ENV_MASTER_KEY: master.hex()}
    )
    with ctx.db.transaction() as s:
        assert all(i.ksef_number for i in repo.list_invoices(s, direction="issued"))
        company = repo.company_by_nip(s, NIP)
        s.expunge(company)

    texts: list[str] = [caplog.text, out.output, listing.output]
    # an authentication failure with a wrong token, and other errors, as people would see them
    add_company(ctx, nip="7010002137", base_url=simulator.base_url, ksef_token=Secret(token[:-4] + "0000"))
    wrong = Worker(ctx, worker_id="wrong")
    with ctx.db.transaction() as s:
        other = repo.company_by_nip(s, "7010002137")
        s.expunge(other)
    with pytest.raises(FakturnikError) as err:
        default_gateway(ctx, other).open_online()
    texts += [str(err.value), repr(err.value)]
    gateway = default_gateway(ctx, company)
    _kind, secret = credential_for(ctx, company)
    texts += [
        repr(ctx.vault),
        repr(gateway),
        repr(gateway.transport.tokens),
        repr(secret),
        str(secret),
        repr(wrong),
    ]
    ctx.close()

    blob = b"".join(p.read_bytes() for p in data.rglob("*") if p.is_file())
    forbidden = [token, master.hex(), base64.b64encode(master).decode(), token.split("|")[-1]]
    for text in texts:
        for secret_text in forbidden:
            assert secret_text not in text
        assert "eyJ" not in text
    for secret_text in forbidden:
        assert secret_text.encode() not in blob
    assert JWT_PREFIX not in blob
    assert not (data / "master.key").exists()  # the key came from the environment
    assert os.environ[ENV_MASTER_KEY] == master.hex()
