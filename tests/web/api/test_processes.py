"""Two `fakturnik serve` processes on one PostgreSQL database answer the same API (behind any proxy)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from fakturnik.app.core import Fakturnik
from fakturnik.simulator.server import free_port
from tests.store.pg import fresh_pg_database
from tests.web.api.helpers import PASSWORD, draft

pytestmark = pytest.mark.postgres


@contextmanager
def serve_process(data_dir: Path, url: str, config: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "FAKTURNIK_SERVE_PORT": str(port)}  # the port by environment, the rest by file
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fakturnik.cli",
            "serve",
            "--config",
            str(config),
            "--data-dir",
            str(data_dir),
            "--database-url",
            url,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"serve did not start: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}"
                )
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_two_serve_processes_share_one_postgresql(tmp_path: Path) -> None:
    config = tmp_path / "fakturnik.toml"
    config.write_text('[serve]\nworker = false\nwebhooks = false\nlog_level = "warning"\n', encoding="utf-8")
    with fresh_pg_database() as url:
        with Fakturnik.open(tmp_path / "lib", database_url=url) as fk:
            fk.accounts.register_user("dwa@firma.pl", PASSWORD)
        with (
            serve_process(tmp_path / "a", url, config) as one,
            serve_process(tmp_path / "b", url, config) as two,
        ):
            browser = httpx.Client(timeout=30)
            r = browser.post(one + "/session", json={"email": "dwa@firma.pl", "password": PASSWORD})
            assert r.status_code == 200, r.text
            browser.headers["X-CSRF-Token"] = r.json()["csrf_token"]
            # the session made by process one is valid in process two
            company = browser.post(two + "/companies", json={"nip": "5265877635", "environment": "test"})
            assert company.status_code == 201, company.text
            cid = company.json()["id"]
            key = browser.post(
                one + f"/companies/{cid}/api-keys",
                json={"name": "ERP", "scopes": ["invoices:write", "invoices:read"]},
            )
            assert key.status_code == 201, key.text
            headers = {"Authorization": f"Bearer {key.json()['token']}"}
            with httpx.Client(timeout=30, headers=headers) as api:
                made = [
                    api.post(
                        (one, two)[i % 2] + f"/companies/{cid}/invoices",
                        json=draft("5265877635"),
                        headers={"Idempotency-Key": f"k{i}"},
                    )
                    for i in range(6)
                ]
                assert [r.status_code for r in made] == [201] * 6, [r.text for r in made]
                again = api.post(
                    two + f"/companies/{cid}/invoices",
                    json=draft("5265877635"),
                    headers={"Idempotency-Key": "k0"},
                )
                assert again.status_code == 200 and again.json()["id"] == made[0].json()["id"]
                for base in (one, two):
                    page = api.get(base + f"/companies/{cid}/invoices").json()
                    assert sorted(i["id"] for i in page["items"]) == sorted(r.json()["id"] for r in made)
                numbers = {r.json()["number"] for r in made}
                assert len(numbers) == 6  # one numbering series across both processes


def test_two_serve_processes_count_failed_sign_ins_together(tmp_path: Path) -> None:
    """Failures are counted in the store: three wrong passwords spread over two processes lock the
    account in both (in each process's memory each would have seen fewer than the limit)."""
    config = tmp_path / "fakturnik.toml"
    config.write_text(
        '[serve]\nworker = false\nwebhooks = false\nlog_level = "warning"\nlogin_max_failures_account = 3\n',
        encoding="utf-8",
    )
    with fresh_pg_database() as url:
        with Fakturnik.open(tmp_path / "lib", database_url=url) as fk:
            fk.accounts.register_user("trzy@firma.pl", PASSWORD)
        with (
            serve_process(tmp_path / "a", url, config) as one,
            serve_process(tmp_path / "b", url, config) as two,
        ):
            wrong = {"email": "trzy@firma.pl", "password": "zle-haslo-123456"}
            codes = [
                httpx.post(base + "/session", json=wrong, timeout=30).status_code for base in (one, two, one)
            ]
            assert codes == [401, 401, 401]
            for base in (two, one):  # locked everywhere, even with the right password
                r = httpx.post(base + "/session", json={**wrong, "password": PASSWORD}, timeout=30)
                assert r.status_code == 429 and r.json()["code"] == "login_throttled"
                assert int(r.headers["retry-after"]) > 0
