"""`fakturnik ksef …` end to end against the simulator: signed-file first login, certificate enrollment,
login with the enrolled KSeF certificate, tokens, sending (online and --batch), status, UPO, download,
sync, permissions — credentials only from the environment and files, never printed."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from fakturnik.cli.main import app
from fakturnik.ksef.xades import sign_auth_request
from tests.ksef.clientkit import InvoiceFactory, random_nip
from tests.ksef.identities import seal_credential

KSEF_NUMBER = re.compile(r"\d{10}-\d{8}-[0-9A-F]{12}-[0-9A-F]{2}")
PASSWORD = "hasło-do-p12-Ünicode"


def test_cli_full_journey(simulator: Any, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("FAKTURNIK_DATA_DIR", str(tmp_path / "data"))  # the master key for the session file
    runner = CliRunner()
    nip = random_nip()
    base = ["ksef", "--env", simulator.base_url, "--nip", nip]

    def run(*args: str, env: dict[str, str] | None = None, code: int = 0) -> str:
        result = runner.invoke(app, [*base, *args], env=env or {})
        assert result.exit_code == code, result.output + repr(result.exception)
        return result.output

    # 1. first login without a portal: unsigned request out, signed file back in
    unsigned = tmp_path / "auth.xml"
    run("auth", "--write-unsigned", str(unsigned))
    signed = tmp_path / "auth.signed.xml"
    signed.write_bytes(sign_auth_request(unsigned.read_bytes(), seal_credential(nip)))
    session_file = tmp_path / "session.json"
    assert "Uwierzytelniono" in run("auth", "--signed", str(signed), "--save-session", str(session_file))
    assert stat.S_IMODE(session_file.stat().st_mode) == 0o600
    sealed_text = session_file.read_text()
    # sealed: only the AES-GCM envelope, no token in clear
    assert set(json.loads(sealed_text)) == {"format", "keyId", "scope", "nonce", "ciphertext"}

    # 2. enroll a KSeF certificate in that session, then log in with it
    p12 = tmp_path / "ksef.p12"
    env_pw = {"FAKTURNIK_KSEF_NEW_PKCS12_PASSWORD": PASSWORD}
    out = run(
        "--session-file",
        str(session_file),
        "certificates",
        "enroll",
        "--name",
        "Serwer faktur",
        "-o",
        str(p12),
        env=env_pw,
    )
    assert "zapisano" in out and PASSWORD not in out
    cert_env = {"FAKTURNIK_KSEF_PKCS12": str(p12), "FAKTURNIK_KSEF_PKCS12_PASSWORD": PASSWORD}
    assert "Uwierzytelniono" in run("auth", env=cert_env)
    listed = run("certificates", "list", env=cert_env)
    serial = listed.split()[0]
    assert "Authentication" in listed and "Active" in listed

    # 3. a KSeF token into a file (never printed), then used from FAKTURNIK_KSEF_TOKEN_FILE
    token_file = tmp_path / "token.txt"
    out = run(
        "tokens",
        "create",
        "-p",
        "InvoiceWrite",
        "-p",
        "InvoiceRead",
        "--description",
        "token z CLI",
        "-o",
        str(token_file),
        env=cert_env,
    )
    token = token_file.read_text().strip()
    assert token and token not in out
    tok_env = {"FAKTURNIK_KSEF_TOKEN_FILE": str(token_file)}
    assert "token z CLI" in run("tokens", "list", env=tok_env)

    # 4. send online
    factory = InvoiceFactory(nip)
    files = []
    for i in range(3):
        f = tmp_path / f"fv{i}.xml"
        f.write_bytes(factory.make(f"CLI/{i}"))
        files.append(str(f))
    out = run("send", *files, env=tok_env)
    numbers = KSEF_NUMBER.findall(out)
    assert len(numbers) == 3 and token not in out
    session_ref = out.split("Sesja ")[1].split()[0].rstrip(":")
    assert json.loads(run("status", session_ref, env=tok_env))["status"]["code"] == 200
    upo_file = tmp_path / "upo.xml"
    run("upo", session_ref, "--ksef-number", numbers[0], "-o", str(upo_file), env=tok_env)
    assert numbers[0].encode() in upo_file.read_bytes()
    run("upo", session_ref, "-o", str(tmp_path / "upo-session"), env=tok_env)
    assert list((tmp_path / "upo-session").glob("*.xml"))
    run("download", numbers[1], "-o", str(tmp_path / "dl"), env=tok_env)
    assert (tmp_path / "dl" / f"{numbers[1]}.xml").read_bytes() == Path(files[1]).read_bytes()

    # 5. send a batch with a progress bar, and a broken file makes the exit code 1
    batch_files = []
    for i in range(5):
        f = tmp_path / f"b{i}.xml"
        f.write_bytes(factory.make(f"CLI-B/{i}"))
        batch_files.append(str(f))
    out = run("send", "--batch", "--workdir", str(tmp_path / "batch"), *batch_files, env=tok_env)
    assert len(KSEF_NUMBER.findall(out)) == 5
    again = run("send", "--resume", str(tmp_path / "batch"), env=tok_env)  # a finished batch: results only
    assert sorted(KSEF_NUMBER.findall(again)) == sorted(KSEF_NUMBER.findall(out))
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<Faktura/>")
    out = run("send", str(bad), env=tok_env, code=1)
    assert "BŁĄD" in out

    # 6. incremental sync of issued invoices into a folder, twice (the second run finds nothing new)
    folder = tmp_path / "sync"
    out = run("sync", str(folder), "--subject", "Subject1", "--since", "2026-01-01T00:00:00Z", env=tok_env)
    assert "Nowych faktur: 8" in out
    assert (folder / ".fakturnik-sync.json").exists()
    out = run("sync", str(folder), "--subject", "Subject1", env=tok_env)
    assert "Nowych faktur: 0" in out

    # 7. permissions
    person = random_nip()
    out = run(
        "permissions",
        "grant",
        f"Nip:{person}",
        "-p",
        "InvoiceRead",
        "--description",
        "księgowa",
        "--first-name",
        "Anna",
        "--last-name",
        "Nowak",
        env=cert_env,
    )
    assert ": 200" in out
    listed = run("permissions", "list", env=cert_env)
    perm_id = next(line.split()[0] for line in listed.splitlines() if person in line)
    assert ": 200" in run("permissions", "revoke", perm_id, env=cert_env)

    # 8. revoke what we created
    token_ref = token.split("|")[0]
    run("tokens", "revoke", token_ref, env=cert_env)
    run("certificates", "revoke", serial, env=cert_env)


def test_cli_without_credentials_says_what_to_set(simulator: Any) -> None:
    result = CliRunner().invoke(
        app, ["ksef", "--env", simulator.base_url, "--nip", random_nip(), "tokens", "list"], env={}
    )
    assert result.exit_code == 1
    assert "FAKTURNIK_KSEF_TOKEN" in result.output


def test_cli_errors_do_not_echo_the_token(simulator: Any, tmp_path: Path) -> None:
    secret = "20261124-EC-0000000000-0000000000-00|nip-1234567890|" + "ab" * 32
    result = CliRunner().invoke(
        app,
        ["ksef", "--env", simulator.base_url, "--nip", random_nip(), "auth"],
        env={"FAKTURNIK_KSEF_TOKEN": secret},
    )
    assert result.exit_code == 3  # KSeF refused (docs/cli.md)
    assert "Błąd KSeF" in result.output
    assert secret not in result.output and "ab" * 32 not in result.output
