"""REST: a company on a KSeF token moves to KSeF certificates (a signed file), secrets never answered."""

from __future__ import annotations

import base64

from fakturnik.ksef.xades import sign_auth_request
from tests.ksef.identities import seal_credential
from tests.web.api.harness import ApiServer
from tests.web.api.helpers import make_tenant


def test_migrate_over_rest(local_server: ApiServer) -> None:
    tenant = make_tenant(local_server, "migracja@firma.pl", "5265877635")
    other = make_tenant(local_server, "obca@firma.pl", "7740001454")
    reader = make_tenant(local_server, "czytelnik@firma.pl", "9166568761", scopes=("invoices:read",))
    cid = tenant.company_id
    with tenant.api() as api, other.api() as stranger, reader.api() as viewer:
        deadline = api.get(f"/companies/{cid}/credentials/token-deadline").json()
        assert deadline["companies_on_token"] == [cid] and deadline["deadline"] == "2026-12-31"
        assert deadline["days_left"] >= 0

        refused = api.post(f"/companies/{cid}/credentials/migrate")
        assert refused.status_code == 409, refused.text
        problem = refused.json()
        assert problem["code"] == "credential_migration_failed" and "podpisem" in problem["detail"]
        assert refused.headers["content-type"].startswith("application/problem+json")

        unsigned = api.post(f"/companies/{cid}/credentials/migration-request")
        assert unsigned.status_code == 200 and unsigned.headers["content-type"].startswith("application/xml")
        signed = sign_auth_request(unsigned.content, seal_credential(tenant.nip))
        body = {"signed_request_base64": base64.b64encode(signed).decode()}

        assert stranger.post(f"/companies/{cid}/credentials/migrate", json=body).status_code == 404
        assert (
            viewer.post(f"/companies/{reader.company_id}/credentials/migrate", json=body).status_code == 403
        )
        bad = api.post(f"/companies/{cid}/credentials/migrate", json={"signed_request_base64": "!!"})
        assert bad.status_code == 422
        assert api.post(f"/companies/{cid}/credentials/migrate", json={"nope": 1}).status_code == 422

        done = api.post(f"/companies/{cid}/credentials/migrate", json=body)
        assert done.status_code == 200, done.text
        answer = done.json()
        assert answer["changed"] is True
        assert sorted(c["kind"] for c in answer["certificates"]) == ["certificate", "offline_certificate"]
        assert "PRIVATE" not in done.text and "key" not in done.text.lower()

        listed = api.get(f"/companies/{cid}/credentials/certificates")
        assert listed.status_code == 200 and len(listed.json()) == 2 and "PRIVATE" not in listed.text
        assert api.get(f"/companies/{cid}").json()["credential"]["kind"] == "certificate"
        assert api.get(f"/companies/{cid}/credentials/token-deadline").json()["companies_on_token"] == []
        again = api.post(f"/companies/{cid}/credentials/migrate")
        assert again.status_code == 200 and again.json()["changed"] is False
