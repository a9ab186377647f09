"""The office console lists every client the office's people act for, not only those on its certificate.

On the simulator's prod profile, SQLite and PostgreSQL: a client on the office's certificate (its
rights are what it granted the office, asked from KSeF and kept with the time of the answer), a
client the office's accountant belongs to on its own KSeF certificate (its rights are what its own
login held at the last health check), one on a KSeF token (the days left until tokens end), and an
unrelated company that is never shown. The same by REST, with the filters.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fakturnik.app import Actor
from fakturnik.app.ksef_credentials import days_left
from fakturnik.app.offices import ConsoleFilter
from fakturnik.simulator.server import SimulatorServer
from tests.delegation.kit import ksef_certificate, random_nip
from tests.store.pg import STORES, store_url
from tests.web.api.harness import api_server
from tests.web.api.helpers import PASSWORD, sign_in


@pytest.mark.parametrize("store", STORES)
def test_every_client_with_how_it_logs_in_and_its_rights(
    store: str, prod_sim: SimulatorServer, tmp_path: Path
) -> None:
    office_nip, on_office, own_cert, on_token, stranger = (random_nip() for _ in range(5))
    url = prod_sim.base_url
    with store_url(store) as db_url, api_server(tmp_path, db_url, worker=False, webhooks=False) as server:
        fk = server.runtime.fk
        office = fk.companies.add(office_nip, "Biuro Rachunkowe Sp. z o.o.", "local", url).id
        a = fk.companies.add(on_office, "Klient Na Biurze Sp. z o.o.", "local", url).id
        b = fk.companies.add(own_cert, "Klient Z Certyfikatem S.A.", "local", url).id
        c = fk.companies.add(on_token, "Klient Z Tokenem Sp. j.", "local", url).id
        d = fk.companies.add(stranger, "Obca Firma S.A.", "local", url).id
        for cid, nip in ((office, office_nip), (a, on_office), (b, own_cert), (d, stranger)):
            cert = ksef_certificate(prod_sim, "Nip", nip, f"Firma {nip}")
            fk.companies.set_certificate(cid, cert.cert_pem, cert.key_pem)
        fk.companies.set_ksef_token(c, "token-klienta-nigdy-nie-uzyty")
        accountant = fk.accounts.register_user("ksiegowa@biuro.pl", PASSWORD, name="Księgowa")
        fk.accounts.add_member(office, accountant.id, "accountant")
        for cid in (a, b, c):
            fk.accounts.add_member(cid, accountant.id, "accountant")
        fk.permissions.grant_office(a, office_nip)  # the client grants the office, through Fakturnik
        fk.offices.use_office(a, office)

        # before anything was asked: every client, none with known rights
        first = fk.offices.console(office, with_rights=False)
        assert [r.company_id for r in first.clients] == sorted(
            [a, b, c], key=lambda i: fk.companies.get(i).nip
        )
        assert all(r.rights_checked_at is None for r in first.clients)
        rows = {r.company_id: r for r in first.clients}
        assert d not in rows and office not in rows
        assert rows[a].via_office and rows[a].credential_kind == "office"
        assert not rows[b].via_office and rows[b].credential_kind == "certificate"
        assert rows[b].credential_expires is not None and rows[b].credential_expires > datetime.now(UTC)
        assert rows[c].credential_kind == "ksef_token" and rows[c].token_days_left == days_left()
        assert rows[c].needs_attention and not rows[b].needs_attention  # a token must move before 31.12

        # KSeF asked once for what the clients granted the office; the answer is kept with its time
        asked = fk.offices.console(office)
        assert asked.rights_known
        row_a = next(r for r in asked.clients if r.company_id == a)
        assert row_a.rights == ("InvoiceRead", "InvoiceWrite") and row_a.can_delegate
        assert row_a.rights_source == "office" and row_a.rights_checked_at is not None
        # the client on its own certificate: what its login holds, from its health check
        assert next(r for r in asked.clients if r.company_id == b).rights_checked_at is None
        health = fk.doctor.check(b)
        assert next(line for line in health.lines if line.check == "rights").status == "ok"
        kept = {r.company_id: r for r in fk.offices.console(office, with_rights=False).clients}
        assert kept[a].rights == ("InvoiceRead", "InvoiceWrite") and kept[a].rights_checked_at
        assert kept[a].rights_checked_at == row_a.rights_checked_at  # not asked again
        assert kept[b].rights_source == "login" and "InvoiceWrite" in kept[b].rights
        assert kept[c].rights == () and kept[c].rights_checked_at is None

        # filters
        def nips(**f: Any) -> list[int]:
            found = fk.offices.console(office, ConsoleFilter(**f), with_rights=False)
            return [r.company_id for r in found.clients]

        assert nips(via_office=True) == [a]
        assert sorted(nips(via_office=False)) == sorted([b, c])
        assert nips(kind="ksef_token") == [c]
        assert nips(attention=True) == [c]
        assert nips(q=own_cert) == [b] and nips(q="z tokenem") == [c]

        # the accountant sees the same three
        as_her = fk.acting_as(Actor.user(accountant.id, "ksiegowa@biuro.pl"))
        assert {r.company_id for r in as_her.offices.console(office, with_rights=False).clients} == {a, b, c}

        # the same by REST, as the accountant
        http, _csrf, _user = sign_in(server, "ksiegowa@biuro.pl")
        body = http.get(f"/companies/{office}/office/clients", params={"rights": "false"}).json()
        by_id = {row["company_id"]: row for row in body["clients"]}
        assert set(by_id) == {a, b, c}
        assert by_id[a]["via_office"] and by_id[a]["rights"] == ["InvoiceRead", "InvoiceWrite"]
        assert by_id[a]["rights_source"] == "office" and by_id[a]["rights_checked_at"]
        assert by_id[b]["credential_kind"] == "certificate" and by_id[b]["rights_source"] == "login"
        assert by_id[c]["token_days_left"] == days_left() and by_id[c]["needs_attention"]
        own = http.get(
            f"/companies/{office}/office/clients", params={"rights": "false", "via_office": "false"}
        )
        assert sorted(row["company_id"] for row in own.json()["clients"]) == sorted([b, c])
        assert stranger not in own.text
        http.close()
