"""REST: KSeF certificates (enroll with a signed first-login file, list, policy, renew, revoke, upload)
and the health check; tenancy and roles checked, secrets never answered."""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakturnik.ksef.credentials import save_pkcs12
from fakturnik.ksef.xades import sign_auth_request
from tests.ksef.identities import seal_credential
from tests.web.api.harness import ApiServer, api_server
from tests.web.api.helpers import make_tenant

os.environ.setdefault("FAKTURNIK_MASTER_KEY", secrets.token_hex(32))


@pytest.fixture
def local_server(tmp_path: Path) -> Iterator[ApiServer]:
    with api_server(tmp_path, env="local", worker=False, webhooks=False) as s:
        yield s


def test_certificates_and_doctor_over_rest(local_server: ApiServer) -> None:
    tenant = make_tenant(local_server, "certy@firma.pl", "5265877635")
    other = make_tenant(local_server, "obca@firma.pl", "7740001454")
    reader = make_tenant(local_server, "czytelnik@firma.pl", "9166568761", scopes=("invoices:read",))
    cid = tenant.company_id
    base = f"/companies/{cid}/credentials"
    with tenant.api() as api, other.api() as stranger, reader.api() as viewer:
        health = api.get(f"/companies/{cid}/doctor")
        assert health.status_code == 200, health.text
        lines = {x["check"]: x for x in health.json()["lines"]}
        assert lines["login"]["status"] == "ok" and lines["expiry"]["status"] == "warn"
        assert health.json()["ok"] is True and health.json()["warnings"] >= 1
        assert [h["company_id"] for h in api.get("/doctor").json()] == [cid]
        assert stranger.get(f"/companies/{cid}/doctor").status_code == 404

        # a token session cannot enroll: a precise error, nothing changed
        refused = api.post(f"{base}/ksef-certificates/enroll")
        assert refused.status_code == 422 and "token KSeF" in refused.text
        assert api.get(f"{base}/ksef-certificates").json() == []

        unsigned = api.post(f"{base}/migration-request").content
        body = {
            "signed_request_base64": base64.b64encode(
                sign_auth_request(unsigned, seal_credential(tenant.nip))
            ).decode()
        }
        assert stranger.post(f"{base}/ksef-certificates/enroll", json=body).status_code == 404
        assert (
            viewer.post(
                f"/companies/{reader.company_id}/credentials/ksef-certificates/enroll", json=body
            ).status_code
            == 403
        )
        assert api.post(f"{base}/ksef-certificates/enroll", json={"types": ["Qualified"]}).status_code == 422
        done = api.post(f"{base}/ksef-certificates/enroll", json=body)
        assert done.status_code == 200, done.text
        certs = done.json()["certificates"]
        assert sorted(c["certificate_type"] for c in certs if c["active"]) == ["Authentication", "Offline"]
        assert all(c["days_left"] > 300 and c["status"] == "Active" for c in certs)
        assert "PRIVATE" not in done.text and "private" not in done.text.lower()

        assert api.get(f"{base}/renewal-policy").json() == {"margin_days": 30, "auto_renew": True}
        assert api.put(f"{base}/renewal-policy", json={"margin_days": 0}).status_code == 422
        put = api.put(f"{base}/renewal-policy", json={"margin_days": 45, "auto_renew": False})
        assert put.status_code == 200 and put.json() == {"margin_days": 45, "auto_renew": False}
        nothing = api.post(f"{base}/ksef-certificates/renew")
        assert nothing.status_code == 200 and nothing.json()["changed"] is False
        forced = api.post(f"{base}/ksef-certificates/renew", json={"force": True})
        assert forced.status_code == 200 and forced.json()["changed"] is True
        listed = api.get(f"{base}/ksef-certificates").json()
        assert len(listed) == 4 and sum(c["active"] for c in listed) == 2
        assert all(c["replaces_id"] for c in listed if c["active"])
        assert api.post(f"{base}/ksef-certificates/refresh").status_code == 200

        old_auth = next(
            c["serial"] for c in listed if not c["active"] and c["certificate_type"] == "Authentication"
        )
        assert api.post(f"{base}/ksef-certificates/zzz/revoke").status_code == 422
        assert api.post(f"{base}/ksef-certificates/{'0' * 16}/revoke").status_code == 404
        revoked = api.post(f"{base}/ksef-certificates/{old_auth}/revoke", json={"reason": "Superseded"})
        assert revoked.status_code == 200, revoked.text
        again = api.post(f"{base}/ksef-certificates/{old_auth}/revoke")
        assert again.status_code == 422 and "unieważniony" in again.text

        # upload: a wrong password → 422 naming the field, nothing stored
        from fakturnik.engine.connect import offline_credential
        from fakturnik.store.models import Company

        fk = local_server.runtime.fk
        with fk.ctx.db.transaction() as s:
            company = s.get(Company, cid)
            s.expunge(company)
        offline = offline_credential(fk.ctx, company)
        assert offline is not None
        p12 = base64.b64encode(save_pkcs12(offline, b"haslo-pliku")).decode()
        bad = api.post(f"{base}/ksef-certificates/upload", json={"pkcs12_base64": p12, "password": "zle"})
        assert bad.status_code == 422 and "hasło" in bad.text and "zle" not in bad.text
        wrong = api.post(
            f"{base}/ksef-certificates/upload", json={"pkcs12_base64": p12, "password": "haslo-pliku"}
        )
        assert wrong.status_code == 422 and "Offline" in wrong.text
        assert len(api.get(f"{base}/ksef-certificates").json()) == 4
