"""The ``fakturnik`` command never prints a traceback: a Polish message and a documented exit code.

Run as a real process (what a person sees on the terminal), against real failures: a corrupt
database, a full disk (/dev/full), a KSeF that cannot be reached, and an unexpected bug.
"""

from __future__ import annotations

import errno
import json
import os
import re
import socket
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from fakturnik.cli import failures
from fakturnik.errors import InvoiceValidationError, KsefApiError, Problem, StoreError, VaultError
from fakturnik.fa3.samples import make_sample_draft

REPO = Path(__file__).resolve().parent.parent.parent
NIP = "5260250274"


def fakturnik(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "fakturnik.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        cwd=cwd,
    )


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    both = result.stdout + result.stderr
    assert "Traceback" not in both and 'File "' not in both, both


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_corrupt_database_is_named_as_such(tmp_path: Path) -> None:
    (tmp_path / "fakturnik.db").write_bytes(os.urandom(8192))
    result = fakturnik("invoices", "list", "--data-dir", str(tmp_path))
    no_traceback(result)
    assert result.returncode == failures.DATABASE
    assert "uszkodzony" in result.stderr


def test_a_full_disk_is_said_in_polish(tmp_path: Path) -> None:
    draft = tmp_path / "faktura.json"
    draft.write_text(json.dumps(make_sample_draft(NIP, "FV/1", lines=2), ensure_ascii=False))
    result = fakturnik("fa3", "build", str(draft), "-o", "/dev/full")
    no_traceback(result)
    assert result.returncode == failures.FILES
    assert "Brak miejsca na dysku" in result.stderr


def test_ksef_out_of_reach_is_a_network_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/v2"
    result = fakturnik(
        "ksef", "--env", url, "--nip", NIP, "tokens", "list",
        env={"FAKTURNIK_KSEF_TOKEN": "20261124-EC-0000000000-0000000000-00|nip-5260250274|" + "ab" * 32},
    )  # fmt: skip
    no_traceback(result)
    assert result.returncode == failures.NETWORK, result.stderr
    assert "ab" * 32 not in result.stdout + result.stderr


def test_an_unexpected_error_is_one_line_naming_the_report(tmp_path: Path) -> None:
    """A bug (here: a sitecustomize that breaks the demo company's XML builder) ends in one line."""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        "import fakturnik.fa3.writer as w\n"
        "def boom(*a, **k):\n"
        "    raise RuntimeError('simulated bug with a secret-free message')\n"
        "w.write_invoice = boom\n"
    )
    draft = tmp_path / "faktura.json"
    draft.write_text(json.dumps(make_sample_draft(NIP, "FV/2", lines=1), ensure_ascii=False))
    data = tmp_path / "data"
    result = fakturnik(
        "fa3", "build", str(draft), "-o", str(tmp_path / "out.xml"),
        env={"PYTHONPATH": os.pathsep.join([str(hook), os.environ.get("PYTHONPATH", "")]),
             "FAKTURNIK_DATA_DIR": str(data)},
    )  # fmt: skip
    no_traceback(result)
    assert result.returncode == failures.INTERNAL
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "RuntimeError" in lines[0]
    log = data / failures.LOG_NAME
    assert str(log) in lines[0]
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    report = log.read_text()
    assert "Traceback" in report and "simulated bug" in report


def test_the_report_goes_to_the_data_dir_given_on_the_command_line(tmp_path: Path) -> None:
    assert failures.data_dir_from(["invoices", "list", "--data-dir", str(tmp_path)]) == tmp_path
    assert failures.data_dir_from(["invoices", "list", f"--data-dir={tmp_path}"]) == tmp_path


def test_usage_errors_keep_the_parsers_exit_code() -> None:
    result = fakturnik("invoices", "list", "--no-such-option")
    no_traceback(result)
    assert result.returncode == failures.USAGE


def _sqlalchemy_error(message: str) -> BaseException:
    from sqlalchemy.exc import OperationalError

    return OperationalError("SELECT 1", {}, sqlite3.OperationalError(message))


@pytest.mark.parametrize(
    ("exc", "code", "words"),
    [
        (OSError(errno.ENOSPC, "No space left on device", "/data/fakturnik.db"), failures.FILES, "miejsca"),
        (PermissionError(errno.EACCES, "Permission denied", "/data"), failures.FILES, "uprawnień"),
        (FileNotFoundError(errno.ENOENT, "No such file", "x.xml"), failures.FILES, "Nie ma takiego pliku"),
        (ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), failures.NETWORK, "połączenia"),
        (_sqlalchemy_error("database is locked"), failures.DATABASE, "zablokowana"),
        (_sqlalchemy_error("database disk image is malformed"), failures.DATABASE, "uszkodzony"),
        (_sqlalchemy_error("file is not a database"), failures.DATABASE, "uszkodzony"),
        (_sqlalchemy_error("database or disk is full"), failures.FILES, "miejsca"),
        (sqlite3.OperationalError("database is locked"), failures.DATABASE, "zablokowana"),
        (KsefApiError(450, "Błąd weryfikacji tokenu"), failures.KSEF, "KSeF"),
        (VaultError("klucz główny nie pasuje"), failures.SECRETS, "sejfu"),
        (StoreError("nie ma firmy o NIP 1111111111"), failures.FAILED, "nie ma firmy"),
        (InvoiceValidationError([Problem("/Faktura/Fa/P_2", "brak numeru", "x")]), failures.FAILED, "P_2"),
        (KeyboardInterrupt(), failures.INTERRUPTED, "Przerwano"),
        (ModuleNotFoundError("No module named 'sqlalchemy'", name="sqlalchemy"), failures.FAILED, "[engine]"),
    ],
)
def test_expected_errors_have_a_polish_message_and_their_code(
    exc: BaseException, code: int, words: str
) -> None:
    failure = failures.describe(exc)
    assert failure.code == code and not failure.unexpected
    assert words in "\n".join(failure.lines)


def test_a_store_error_caused_by_a_locked_database_says_locked() -> None:
    try:
        try:
            raise _sqlalchemy_error("database is locked")
        except Exception as inner:
            raise StoreError("database migration failed: OperationalError") from inner
    except StoreError as exc:
        failure = failures.describe(exc)
    assert failure.code == failures.DATABASE and "zablokowana" in failure.lines[0]


def test_every_exit_code_is_documented() -> None:
    doc = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    for code in failures.EXIT_CODES:
        assert re.search(rf"^\| `{code}` \|", doc, re.MULTILINE), f"exit code {code} missing in docs/cli.md"
