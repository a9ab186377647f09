"""Context, subject and API rate limits and their /testdata switches (digest §3.8, §8)."""

from __future__ import annotations

from typing import Any

from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.grants import context_limits, subject_limits
from fakturnik.simulator.ratelimit import PRODUCTION_LIMITS, Limit
from fakturnik.simulator.server import SimulatorServer
from tests.simulator import grants_kit as kit

SESSION_LIMITS = {
    "onlineSession": {"maxInvoiceSizeInMB": 2, "maxInvoiceWithAttachmentSizeInMB": 5, "maxInvoices": 20},
    "batchSession": {"maxInvoiceSizeInMB": 5, "maxInvoiceWithAttachmentSizeInMB": 10, "maxInvoices": 100000},
}


def _rate_body(limit: Limit) -> dict[str, Any]:
    return {"rateLimits": {group: limit.as_json() for group in PRODUCTION_LIMITS}}


def test_context_limits_default_set_and_reset(simulator: SimulatorServer) -> None:
    owner, other = kit.nip(), kit.nip()
    with kit.client(simulator, kit.token(simulator, owner)) as c:
        default = c.get("/limits/context").json()
        assert default["onlineSession"] == {
            "maxInvoiceSizeInMB": 1,
            "maxInvoiceWithAttachmentSizeInMB": 3,
            "maxInvoices": 10000,
        }
        assert c.post("/testdata/limits/context/session", json=SESSION_LIMITS).status_code == 200
        assert c.get("/limits/context").json() == SESSION_LIMITS
        assert context_limits(simulator.sim, f"Nip:{owner}") == SESSION_LIMITS
        assert context_limits(simulator.sim, f"Nip:{other}") == default
        assert c.delete("/testdata/limits/context/session").status_code == 200
        assert c.get("/limits/context").json() == default


def test_context_limit_overrides_are_bounded(simulator: SimulatorServer) -> None:
    with kit.client(simulator, kit.token(simulator, kit.nip())) as c:
        too_big = {k: dict(v) for k, v in SESSION_LIMITS.items()}
        too_big["onlineSession"]["maxInvoiceSizeInMB"] = 6
        r = c.post("/testdata/limits/context/session", json=too_big)
        assert r.status_code == 400
        assert r.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21405
        r = c.post(
            "/testdata/limits/context/session", json={"onlineSession": SESSION_LIMITS["onlineSession"]}
        )
        assert r.status_code == 400


def test_subject_certificate_limits(simulator: SimulatorServer) -> None:
    owner = kit.nip()
    with kit.client(simulator, kit.token(simulator, owner)) as c:
        default = c.get("/limits/subject").json()
        assert set(default) == {"enrollment", "certificate"}
        body = {"subjectIdentifierType": "Nip", "certificate": {"maxCertificates": 2}}
        assert c.post("/testdata/limits/subject/certificate", json=body).status_code == 200
        now = c.get("/limits/subject").json()
        assert now["certificate"] == {"maxCertificates": 2}
        assert now["enrollment"] == default["enrollment"]
        assert subject_limits(simulator.sim, f"Nip:{owner}")["certificate"]["maxCertificates"] == 2
        assert c.delete("/testdata/limits/subject/certificate").status_code == 200
        assert c.get("/limits/subject").json() == default


def test_rate_limits_show_the_production_table(simulator: SimulatorServer) -> None:
    with kit.client(simulator, kit.token(simulator, kit.nip())) as c:
        shown = c.get("/rate-limits").json()
    assert shown == {group: limit.as_json() for group, limit in PRODUCTION_LIMITS.items()} | {
        "anonymous": {"perSecond": 60, "perMinute": -1, "perHour": -1},  # 2.8.0
        "global": {"perSecond": -1, "perMinute": -1, "perHour": -1},
    }
    assert shown["onlineSessionClose"] == {"perSecond": 20, "perMinute": 60, "perHour": 240}
    assert shown["batchSessionClose"] == {"perSecond": 20, "perMinute": 40, "perHour": 120}
    assert shown["invoiceMetadata"] == {"perSecond": 8, "perMinute": 16, "perHour": 20}


def test_rate_limit_switching_drives_the_limiter(simulator_factory: Any) -> None:
    """A switch changes the limits of the caller's context only ("dla bieżącego kontekstu")."""
    server: SimulatorServer = simulator_factory(SimulatorConfig(rate_limits_enabled=False))
    owner, other = kit.nip(), kit.nip()
    limiter = server.sim.rate_limiter
    with kit.client(server, kit.token(server, owner)) as c, kit.client(server, kit.token(server, other)) as o:
        assert c.post("/testdata/rate-limits", json=_rate_body(Limit(2, 100, 1000))).status_code == 200
        assert limiter.context_limits[f"Nip:{owner}"]["other"] == Limit(2, 100, 1000)
        assert not limiter.enabled and limiter.limits == PRODUCTION_LIMITS  # the default is untouched
        assert c.get("/rate-limits").json()["other"] == {"perSecond": 2, "perMinute": 100, "perHour": 1000}
        assert o.get("/rate-limits").json()["other"] == PRODUCTION_LIMITS["other"].as_json()
        codes = [c.get("/limits/context").status_code for _ in range(4)]
        assert 429 in codes
        limited = c.get("/limits/context")
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
        assert limited.json()["status"]["code"] == 429
        assert {o.get("/limits/context").status_code for _ in range(12)} == {200}  # another context

        assert c.post("/testdata/rate-limits/production").status_code == 200  # switches are never limited
        assert limiter.context_limits[f"Nip:{owner}"] == PRODUCTION_LIMITS
        assert c.get("/limits/context").status_code == 200  # windows earned under the old table are void
        assert c.delete("/testdata/rate-limits").status_code == 200
        assert f"Nip:{owner}" not in limiter.context_limits
        assert limiter.enabled is False  # the configured default


def test_zero_rate_limits_refuse_every_call(simulator_factory: Any) -> None:
    server: SimulatorServer = simulator_factory(SimulatorConfig(rate_limits_enabled=False))
    owner = kit.nip()
    with kit.client(server, kit.token(server, owner)) as c:
        assert c.post("/testdata/rate-limits", json=_rate_body(Limit(0, -5, 0))).status_code == 200
        assert server.sim.rate_limiter.context_limits[f"Nip:{owner}"]["other"] == Limit(0, 0, 0)
        refused = c.get("/limits/context")
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        # the switches themselves are never limited, so the table can be put back
        assert c.post("/testdata/rate-limits/production").status_code == 200
        assert c.get("/limits/context").status_code == 200


def test_rate_limit_body_needs_every_group(simulator: SimulatorServer) -> None:
    with kit.client(simulator, kit.token(simulator, kit.nip())) as c:
        body = _rate_body(Limit(5, 5, 5))
        del body["rateLimits"]["invoiceSend"]
        assert c.post("/testdata/rate-limits", json=body).status_code == 400
        assert c.delete("/testdata/rate-limits").status_code == 200


def test_limits_need_a_bearer(simulator: SimulatorServer) -> None:
    with kit.client(simulator) as anon:
        for path in ("/limits/context", "/limits/subject", "/rate-limits"):
            assert anon.get(path).status_code == 401
        assert anon.post("/testdata/rate-limits/production").status_code == 401


def test_limit_switches_survive_a_restart(tmp_path: Any, simulator_factory: Any) -> None:
    owner = kit.nip()
    config = SimulatorConfig(data_dir=tmp_path, rate_limits_enabled=False)
    first: SimulatorServer = simulator_factory(config)
    with kit.client(first, kit.token(first, owner)) as c:
        assert c.post("/testdata/rate-limits", json=_rate_body(Limit(50, 500, 5000))).status_code == 200
        assert c.post("/testdata/limits/context/session", json=SESSION_LIMITS).status_code == 200
    first.stop()
    second: SimulatorServer = simulator_factory(SimulatorConfig(data_dir=tmp_path, rate_limits_enabled=False))
    assert second.sim.rate_limiter.context_limits[f"Nip:{owner}"]["invoiceSend"] == Limit(50, 500, 5000)
    assert context_limits(second.sim, f"Nip:{owner}") == SESSION_LIMITS
    with kit.client(second, kit.token(second, owner)) as c:
        assert c.delete("/testdata/rate-limits").status_code == 200
    second.stop()
    third: SimulatorServer = simulator_factory(SimulatorConfig(data_dir=tmp_path, rate_limits_enabled=False))
    assert not third.sim.rate_limiter.enabled
    assert third.sim.rate_limiter.context_limits == {}
    assert third.sim.rate_limiter.limits == PRODUCTION_LIMITS


def test_person_subjects_have_the_smaller_certificate_quotas(simulator: SimulatorServer) -> None:
    """Digest §3.7: enrollments/active certificates NIP 300/100, PESEL and fingerprint 12/6."""
    assert subject_limits(simulator.sim, "Nip:5265877635") == {
        "enrollment": {"maxEnrollments": 300},
        "certificate": {"maxCertificates": 100},
    }
    for key in ("Pesel:90010112345", "Fingerprint:" + "A" * 64):
        assert subject_limits(simulator.sim, key) == {
            "enrollment": {"maxEnrollments": 12},
            "certificate": {"maxCertificates": 6},
        }
