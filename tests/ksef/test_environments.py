"""Environments as data: the Ministry's hosts (digest §1), the simulator, any URL."""

from __future__ import annotations

import pytest

from fakturnik.errors import KsefError
from fakturnik.ksef.environments import ENVIRONMENTS, custom, local, resolve


def test_published_hosts() -> None:
    assert ENVIRONMENTS["test"].api_url == "https://api-test.ksef.mf.gov.pl/v2"
    assert ENVIRONMENTS["test"].qr_url == "https://qr-test.ksef.mf.gov.pl"
    assert ENVIRONMENTS["demo"].api_url == "https://api-demo.ksef.mf.gov.pl/v2"
    assert ENVIRONMENTS["demo"].qr_url == "https://qr-demo.ksef.mf.gov.pl"
    assert ENVIRONMENTS["prod"].api_url == "https://api.ksef.mf.gov.pl/v2"
    assert ENVIRONMENTS["prod"].qr_url == "https://qr.ksef.mf.gov.pl"
    assert ENVIRONMENTS["prod"].is_production and not ENVIRONMENTS["test"].is_production


@pytest.mark.parametrize(
    ("name", "expected"),
    [("test", "test"), ("TE", "test"), ("demo", "demo"), ("tr", "demo"), ("PRD", "prod"), ("prod", "prod")],
)
def test_resolve_names_and_aliases(name: str, expected: str) -> None:
    assert resolve(name) is ENVIRONMENTS[expected]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8123",
        "http://127.0.0.1:8123/",
        "http://127.0.0.1:8123/v2",
        "http://127.0.0.1:8123/v2/",
    ],
)
def test_local_normalises_the_base(url: str) -> None:
    env = local(url)
    assert env.name == "local"
    assert env.api_url == "http://127.0.0.1:8123/v2"
    assert env.qr_url == "http://127.0.0.1:8123/qr"
    assert env.url("/sessions/online") == "http://127.0.0.1:8123/v2/sessions/online"
    assert env.url("auth/challenge") == "http://127.0.0.1:8123/v2/auth/challenge"


def test_resolve_urls() -> None:
    assert resolve("http://localhost:9000").name == "local"
    assert resolve("https://api-test.ksef.mf.gov.pl/v2/") is ENVIRONMENTS["test"]
    gateway = resolve("https://ksef-proxy.example.com/api")
    assert gateway.name == "custom"
    assert gateway.api_url == "https://ksef-proxy.example.com/api/v2"
    assert custom("https://x.example/v2", "https://qr.example/").qr_url == "https://qr.example"


@pytest.mark.parametrize("bad", ["staging", "ftp://host/v2", "http://"])
def test_resolve_rejects_unknown(bad: str) -> None:
    with pytest.raises(KsefError):
        resolve(bad)
