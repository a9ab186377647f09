"""Operations fail loudly: `worker --once` exit codes, a worker stopping on an unusable database,
a number issued twice and a broken database reported in Polish (never a raw IntegrityError)."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fakturnik.cli.main import app
from fakturnik.engine.fields import fill_template
from fakturnik.engine.issuing import issue
from fakturnik.engine.worker import RunSummary, Worker
from fakturnik.errors import DatabaseUnusableError, DuplicateNumberError
from fakturnik.ksef.sessions import Poller, send_all
from fakturnik.simulator.server import SimulatorServer
from fakturnik.store.health import unusable_reason
from fakturnik.vault import ENV_MASTER_KEY
from tests.engine.helpers import NIP, engine, ksef_token, sample_invoice
from tests.ksef.clientkit import client_for, random_nip


def test_run_summary_exit_codes() -> None:
    assert RunSummary().exit_code == 0
    assert RunSummary(rejected=2).exit_code == 1
    assert RunSummary(pending=5).exit_code == 1
    assert RunSummary(rejected=1, pending=5).exit_code == 1


def test_worker_once_exits_non_zero_when_something_is_rejected_or_left(
    simulator: SimulatorServer, tmp_path: Path, cli_home: Path
) -> None:
    runner = CliRunner()
    added = runner.invoke(
        app,
        ["companies", "add", NIP, "--env", simulator.base_url],
        env={"FAKTURNIK_KSEF_TOKEN": ksef_token(simulator)},
    )
    assert added.exit_code == 0, added.output
    xml_file = tmp_path / "fv.xml"
    xml_file.write_bytes(sample_invoice("FV/EXIT/1"))
    assert runner.invoke(app, ["invoices", "issue", str(xml_file), "--company", NIP]).exit_code == 0
    again = runner.invoke(app, ["invoices", "issue", str(xml_file), "--company", NIP])
    assert again.exit_code == 1 and "FV/EXIT/1 już istnieje" in again.output
    assert "IntegrityError" not in again.output and "Traceback" not in again.output
    ok = runner.invoke(app, ["worker", "--once", "--fast", "--max-seconds", "60"])
    assert ok.exit_code == 0, ok.output

    # a number KSeF already holds for another document: rejected, so the run exits 1
    elsewhere = sample_invoice("FV/EXIT/2")
    send_all(client_for(simulator, NIP), [elsewhere], poller=Poller(timeout=60, initial=0.05))
    xml_file.write_bytes(fill_template(elsewhere, buyer_nip=random_nip()))
    assert runner.invoke(app, ["invoices", "issue", str(xml_file), "--company", NIP]).exit_code == 0
    rejected = runner.invoke(app, ["worker", "--once", "--fast", "--max-seconds", "60"])
    assert rejected.exit_code == 1 and "Odrzucone w tym przebiegu: 1" in rejected.output


def test_worker_once_exits_non_zero_when_entries_are_still_due(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_MASTER_KEY, secrets.token_hex(32))
    monkeypatch.setenv("FAKTURNIK_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    assert runner.invoke(app, ["companies", "add", NIP, "--env", "http://127.0.0.1:9"]).exit_code == 0
    xml_file = tmp_path / "fv.xml"
    xml_file.write_bytes(sample_invoice())
    assert runner.invoke(app, ["invoices", "issue", str(xml_file), "--company", NIP]).exit_code == 0
    left = runner.invoke(app, ["worker", "--once", "--fast", "--max-seconds", "2"])
    assert left.exit_code == 1 and "Niewysłane albo czekające na KSeF: 1" in left.output


def test_a_number_issued_twice_is_refused_in_polish(simulator: SimulatorServer, tmp_path: Path) -> None:
    ctx = engine(tmp_path, simulator)
    issue(ctx, company_nip=NIP, xml=sample_invoice("FV/TWICE/1"))
    with pytest.raises(DuplicateNumberError, match="FV/TWICE/1 już istnieje"):
        issue(ctx, company_nip=NIP, xml=sample_invoice("FV/TWICE/1"))


def test_a_worker_stops_with_the_reason_when_its_database_is_corrupted(
    simulator: SimulatorServer, tmp_path: Path
) -> None:
    ctx = engine(tmp_path, simulator)
    issue(ctx, company_nip=NIP, xml=sample_invoice())
    database = ctx.db.engine.url.database
    assert database
    ctx.db.dispose()
    for suffix in ("-wal", "-shm"):
        Path(database + suffix).unlink(missing_ok=True)
    Path(database).write_bytes(b"\x00garbage, not a database" * 4096)
    with pytest.raises(DatabaseUnusableError, match="uszkodzony"):
        Worker(ctx, worker_id="bad-db").run(once=True, idle_sleep=0.1, max_seconds=20)


def test_database_errors_are_named_in_polish() -> None:
    from sqlalchemy.exc import OperationalError

    full = OperationalError("INSERT", {}, Exception("database or disk is full"))
    locked = OperationalError("INSERT", {}, Exception("database is locked"))
    assert unusable_reason(full) is not None and "miejsca na dysku" in (unusable_reason(full) or "")
    assert unusable_reason(locked) is None
    assert unusable_reason(ValueError("x")) is None


def test_an_unusable_database_ends_the_worker_command_with_the_database_exit_code() -> None:
    from sqlalchemy.exc import DatabaseError as SqlDatabaseError

    from fakturnik.cli.failures import DATABASE, describe
    from fakturnik.store.health import raise_if_unusable

    broken = SqlDatabaseError("SELECT", {}, Exception("database disk image is malformed"))
    with pytest.raises(DatabaseUnusableError) as caught:
        raise_if_unusable(broken)
    assert "uszkodzony" in str(caught.value)
    assert describe(caught.value).code == DATABASE
