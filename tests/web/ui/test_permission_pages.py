"""The permission page and the office console (docs/permissions.md) in headless Chromium, on the prod profile.

An owner of both companies (the office and its client, one installation) grants the office the
client's invoice rights on the client's "Uprawnienia KSeF" page, sees a bad PESEL refused in Polish,
sees the client in the office console on its own certificate (the owner belongs to both), puts it on
the office's certificate there, after revoking the right reads in the console which client must grant
what, and sees a client still on a KSeF token listed with the days tokens have left.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fakturnik.simulator.server import SimulatorServer
from fakturnik.store.models import OutboxEntry
from tests.app.kit import draft
from tests.delegation.kit import ksef_certificate, random_nip, random_pesel
from tests.delegation.world import CLIENT_NAME, OFFICE_NAME, prod_simulator, sealed_company
from tests.web.api.harness import api_server
from tests.web.ui.conftest import axe_violations, shot

PASSWORD = "Bardzo-Tajne-Haslo-123"
# elements sticking out of a phone's width (outside the tables' own scrolling regions), for the message
WIDE_ELEMENTS = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.lines-wrap'))
  .slice(0, 5).map(e => e.tagName + '#' + e.id + '.' + e.className)"""


@pytest.fixture
def prod_sim() -> Iterator[SimulatorServer]:
    """The simulator on its production profile: only KSeF certificates authenticate."""
    with prod_simulator() as server:
        yield server


def _switch(page: Any, company_id: int) -> None:
    page.select_option("#company-switch", str(company_id))
    page.click("form[action='/firma/przelacz'] button")
    page.wait_for_url("**/faktury**")


def _wait_note(fk: Any, invoice_id: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with fk.ctx.db.transaction() as s:
            note = s.query(OutboxEntry.last_error).filter_by(invoice_id=invoice_id).scalar()
        if note and note.startswith("Czeka na uprawnienie"):
            return
        time.sleep(0.1)
    raise AssertionError(f"no explanation: {note!r}")


def test_permission_page_and_office_console(prod_sim: SimulatorServer, tmp_path: Path, browser: Any) -> None:
    client_nip, office_nip = random_nip(), random_nip()
    own_cert = ksef_certificate(prod_sim, "Pesel", random_pesel(), "Ewa Biuro")
    with api_server(tmp_path, worker=True, webhooks=False) as server:
        fk = server.runtime.fk
        owner = fk.accounts.register_user("wlasciciel@biuro.pl", PASSWORD, name="Ewa Biuro")
        office = sealed_company(fk, prod_sim, office_nip, OFFICE_NAME).id
        client = sealed_company(fk, prod_sim, client_nip, CLIENT_NAME).id
        for cid in (office, client):
            fk.accounts.add_member(cid, owner.id, "owner")

        context = browser.new_context(
            base_url=server.url, locale="pl-PL", viewport={"width": 1280, "height": 900}, bypass_csp=True
        )
        page = context.new_page()
        page.set_default_timeout(30_000)
        dialogs: list[str] = []
        page.on("dialog", lambda d: dialogs.append(d.message))
        page.goto("/logowanie")
        page.fill("#email", "wlasciciel@biuro.pl")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/faktury**")

        # the client's permission page: grant the office delegable invoice rights
        _switch(page, client)
        page.click("nav >> text=Uprawnienia KSeF")
        page.wait_for_url("**/uprawnienia")
        assert page.locator("#granted-table").inner_text().count("Nikt poza właścicielem") == 1
        page.fill("#f-entity-nip", office_nip)
        page.fill("#f-entity-name", "Biuro Rachunkowe Sp. z o.o.")
        page.click("#form-entity button[type=submit]")
        page.wait_for_selector("#permission-result")
        assert "operacja zakończona powodzeniem" in page.inner_text("#permission-result")
        rows = page.locator("#granted-table tbody tr")
        assert rows.count() == 2
        assert "wystawianie faktur (InvoiceWrite)" in page.inner_text("#granted-table")
        assert page.locator(f"#granted-table tr[data-subject='{office_nip}']").count() == 2

        # bad input: the form comes back with the precise Polish error, nothing granted
        page.fill("#f-person-identifier", "44051401358")
        page.fill("#f-person-first_name", "Jan")
        page.fill("#f-person-last_name", "Nowak")
        page.click("#form-person button[type=submit]")
        page.wait_for_selector("#form-person .field-error")
        assert "PESEL 44051401358 ma błędną sumę kontrolną" in page.inner_text("#form-person")
        assert page.locator("#granted-table tbody tr").count() == 2
        # a co-worker's own certificate: garbage is refused in Polish, a real one is listed (never its key)
        page.fill("#f-coworker-cert", "to nie jest certyfikat")
        page.fill("#f-coworker-key", "ani klucz")
        page.click("#form-coworker button[type=submit]")
        page.wait_for_selector("#form-coworker .field-error")
        assert "Brak certyfikatów współpracowników" in page.inner_text("#coworkers-table")
        page.fill("#f-coworker-cert", own_cert.cert_pem.decode())
        page.fill("#f-coworker-key", own_cert.key_pem.decode())
        page.click("#form-coworker button[type=submit]")
        page.wait_for_selector("#permission-result")
        assert "Ewa Biuro" in page.inner_text("#coworkers-table")
        assert "PRIVATE KEY" not in page.content()
        assert not axe_violations(page)
        shot(page, "permissions")

        # the office console: put the client on the office's certificate
        _switch(page, office)
        page.click("nav >> text=Biuro")
        page.wait_for_url("**/biuro")
        # the owner belongs to the client: it is listed already, on its own certificate, rights unchecked
        row = page.locator(f"#clients-table tr[data-nip='{client_nip}']")
        assert "własny certyfikat KSeF" in row.inner_text()
        assert "jeszcze nie sprawdzono" in row.locator(".rights-cell").inner_text()
        page.select_option("#f-client", str(client))
        page.click("form[action='/biuro/klient'] button")
        page.wait_for_selector("#office-result")
        row = page.locator(f"#clients-table tr[data-nip='{client_nip}']")
        assert "certyfikat biura" in row.inner_text()
        assert "przeglądanie faktur (InvoiceRead), wystawianie faktur (InvoiceWrite)" in row.inner_text()
        assert "nadane biuru, sprawdzono" in row.locator(".rights-cell").inner_text()

        with fk.running_worker():
            first = fk.invoices.issue(client, draft(seller=client_nip), idempotency_key="ui-1").invoice.id
            assert fk.invoices.wait(client, first, timeout=60).status == "accepted"

            # the client revokes InvoiceWrite on its page; the next invoice waits with the explanation
            _switch(page, client)
            page.goto("/uprawnienia")
            page.click("#granted-table tr[data-permission='InvoiceWrite'] button")
            page.wait_for_selector("#permission-result")
            assert "operacja zakończona powodzeniem" in page.inner_text("#permission-result")
            assert page.locator("#granted-table tr[data-permission='InvoiceWrite']").count() == 0
            second = fk.invoices.issue(client, draft(seller=client_nip), idempotency_key="ui-2").invoice.id
            _wait_note(fk, second)

            _switch(page, office)
            page.goto("/biuro?uwaga=1")
            text = page.inner_text("#clients-table")
            assert f"Klient {client_nip} musi nadać biuru {office_nip} uprawnienie" in text
            assert page.locator(f"#clients-table tr[data-nip='{client_nip}'] td").nth(5).inner_text() == "1"
            assert not axe_violations(page)
            shot(page, "office-console")
            page.click("form[action='/biuro/synchronizuj'] button[type=submit]")
            page.wait_for_selector("#office-result")
            assert "Pobrano faktury 1 klientów" in page.inner_text("#office-result")

            # a client of the owner still on a KSeF token: listed with the days tokens have left
            token_nip = random_nip()
            on_token = fk.companies.add(token_nip, "Klient Z Tokenem Sp. j.", "local", prod_sim.base_url).id
            fk.companies.set_ksef_token(on_token, "token-klienta-nigdy-nie-uzyty")
            fk.accounts.add_member(on_token, owner.id, "owner")
            page.goto("/biuro")
            token_row = page.locator(f"#clients-table tr[data-nip='{token_nip}']")
            assert "token KSeF" in token_row.inner_text()
            assert "tokeny działają jeszcze" in token_row.locator(".login-cell").inner_text()
            assert "attention" in (token_row.get_attribute("class") or "")

            # on a phone neither page scrolls sideways (wide tables scroll in their own region)
            page.set_viewport_size({"width": 375, "height": 800})
            for url, company in (("/biuro", office), ("/uprawnienia", client)):
                _switch(page, company)
                page.goto(url)
                wide = page.evaluate(WIDE_ELEMENTS)
                assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), (
                    url,
                    wide,
                )
        context.close()
        assert not dialogs
