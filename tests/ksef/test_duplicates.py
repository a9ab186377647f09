"""A 440 is "already registered" only for the very same file (SHA-256); a reused number on a different
document is a rejection naming the number and the original KSeF number — online, batch and CLI paths."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from fakturnik.cli.main import app
from fakturnik.ksef.batch import BatchSender
from fakturnik.ksef.duplicates import check_duplicate
from fakturnik.ksef.sessions import Poller, send_all
from tests.engine.helpers import ksef_token
from tests.ksef.clientkit import InvoiceFactory, client_for, random_nip

FAST = Poller(timeout=60, initial=0.05, maximum=0.5)
KSEF_NUMBER = re.compile(r"\d{10}-\d{8}-[0-9A-F]{12}-[0-9A-F]{2}")


def _two_documents(nip: str, number: str) -> tuple[bytes, bytes]:
    first = InvoiceFactory(nip).make(number)
    other = InvoiceFactory(nip, buyer_nip=random_nip()).make(number)
    assert first != other
    return first, other


def test_online_resend_of_the_same_file_is_registered_a_different_file_is_not(simulator: Any) -> None:
    nip = random_nip()
    client = client_for(simulator, nip)
    first, other = _two_documents(nip, "RE/1")
    _, (accepted,) = send_all(client, [first], poller=FAST)
    assert accepted.accepted and accepted.ksef_number
    _, (again,) = send_all(client, [first], poller=FAST)  # a resend after an uncertain outcome
    assert again.status_code == 440 and again.same_file is True
    assert again.registered_as == accepted.ksef_number
    _, (reused,) = send_all(client, [other], poller=FAST)  # another document, the same number
    assert reused.status_code == 440 and reused.same_file is False
    assert reused.registered_as is None and reused.duplicate_of == accepted.ksef_number
    assert "RE/1" in reused.description and accepted.ksef_number in reused.description
    check = check_duplicate(client, reused.invoice_hash, reused.extensions)
    assert check is not None and not check.same_file and check.original_hash == accepted.invoice_hash


def test_batch_with_two_documents_of_one_number_registers_only_the_first(
    simulator: Any, tmp_path: Path
) -> None:
    nip = random_nip()
    first, other = _two_documents(nip, "RE/2")
    result = BatchSender(client_for(simulator, nip), tmp_path / "b", poller=FAST).send(
        [("a.xml", first), ("b.xml", other)]
    )
    a, b = result.outcomes["a.xml"], result.outcomes["b.xml"]
    assert a.accepted and a.registered_as
    assert b.status_code == 440 and b.registered_as is None
    assert result.not_registered == ["b.xml"]
    assert "RE/2" in b.description and a.ksef_number and a.ksef_number in b.description


def test_cli_send_online_and_batch_report_a_reused_number_as_an_error(
    simulator: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("FAKTURNIK_DATA_DIR", str(tmp_path / "data"))
    nip = random_nip()
    token_file = tmp_path / "token.txt"
    token_file.write_text(ksef_token(simulator, nip))
    env = {"FAKTURNIK_KSEF_TOKEN_FILE": str(token_file)}
    runner = CliRunner()

    def run(*args: str, code: int) -> str:
        result = runner.invoke(app, ["ksef", "--env", simulator.base_url, "--nip", nip, *args], env=env)
        assert result.exit_code == code, result.output + repr(result.exception)
        return result.output

    first, other = _two_documents(nip, "RE/3")
    a, b = tmp_path / "a.xml", tmp_path / "b.xml"
    a.write_bytes(first)
    b.write_bytes(other)
    out = run("send", str(a), code=0)
    (original,) = KSEF_NUMBER.findall(out)
    again = run("send", str(a), code=0)  # the same file again: already registered, exit 0
    assert re.search(rf"a\.xml\s+{original}\s+\(już zarejestrowana\)", again)
    reused = run("send", str(b), code=1)
    assert re.search(r"b\.xml\s+BŁĄD 440", reused) and "RE/3" in reused and original in reused

    c, d = tmp_path / "c.xml", tmp_path / "d.xml"
    c.write_bytes(_two_documents(nip, "RE/4")[0])
    d.write_bytes(_two_documents(nip, "RE/4")[1])
    out = run("send", "--batch", "--workdir", str(tmp_path / "batch"), str(c), str(d), code=1)
    (kept,) = re.findall(r"c\.xml\s+(\S+)", out)
    assert KSEF_NUMBER.fullmatch(kept)
    assert re.search(r"d\.xml\s+BŁĄD 440", out) and out.count(kept) == 2
