"""The foundation: shared identifiers, crypto, simulator skeleton on real HTTP."""

from __future__ import annotations

import subprocess
from datetime import date

import httpx

from fakturnik.base import ksef_numbers as numbers
from fakturnik.ksef import crypto
from fakturnik.simulator.server import SimulatorServer


def test_ksef_number_checksum_matches_official_example() -> None:
    assert numbers.is_valid_ksef_number("5265877635-20250826-0100001AF629-AF")
    assert not numbers.is_valid_ksef_number("5265877635-20250826-0100001AF629-AE")


def test_generated_identifiers_validate() -> None:
    n = numbers.make_ksef_number("5265877635", date(2026, 3, 1))
    assert len(n) == 35 and numbers.is_valid_ksef_number(n)
    ref = numbers.make_reference_number("SO", date(2026, 3, 1))
    assert len(ref) == 36 and numbers.is_valid_reference_number(ref)
    assert numbers.make_internal_id("6824515772", "1234") == "6824515772-12343"
    assert numbers.is_valid_internal_id("6824515772-12343")


def test_aes_round_trip_and_openssl_agree(tmp_path) -> None:
    key = crypto.SymmetricKey.generate()
    plain = b"<Faktura>zazolc gesla jazn</Faktura>" * 7
    cipher = crypto.aes_cbc_encrypt(key, plain)
    assert len(cipher) == crypto.encrypted_size(len(plain))
    assert crypto.aes_cbc_decrypt(key, cipher) == plain
    (tmp_path / "c.bin").write_bytes(cipher)
    out = subprocess.run(
        [
            "openssl",
            "enc",
            "-d",
            "-aes-256-cbc",
            "-K",
            key.key.hex(),
            "-iv",
            key.iv.hex(),
            "-in",
            str(tmp_path / "c.bin"),
        ],
        check=True,
        capture_output=True,
    ).stdout
    assert out == plain
    assert "key=<redacted>" in repr(key)


def test_simulator_serves_http_and_counts() -> None:
    with SimulatorServer() as server:
        r = httpx.get(f"{server.root_url}/admin/stats")
        assert r.status_code == 200
        assert r.json()["total"] == 0


def test_minted_token_reaches_protected_dependency() -> None:
    from fastapi import Depends

    from fakturnik.simulator.mint import mint_session
    from fakturnik.simulator.security import Caller, require

    with SimulatorServer() as server:

        @server.app.get("/v2/_probe")
        def probe(caller: Caller = Depends(require("other", ["InvoiceWrite"]))) -> dict[str, str]:  # noqa: B008
            return {"ctx": caller.context_value}

        tokens = mint_session(
            server.sim,
            context_type="Nip",
            context_value="5265877635",
            subject_type="Nip",
            subject_value="5265877635",
        )
        ok = httpx.get(
            f"{server.base_url}/_probe", headers={"Authorization": f"Bearer {tokens['accessToken']}"}
        )
        assert ok.status_code == 200 and ok.json() == {"ctx": "5265877635"}
        assert httpx.get(f"{server.base_url}/_probe").status_code == 401
        other = mint_session(
            server.sim,
            context_type="Nip",
            context_value="5265877635",
            subject_type="Nip",
            subject_value="1111111111",
            permissions=["InvoiceRead"],
        )
        denied = httpx.get(
            f"{server.base_url}/_probe", headers={"Authorization": f"Bearer {other['accessToken']}"}
        )
        assert denied.status_code == 403 and denied.json()["reasonCode"] == "missing-permissions"
