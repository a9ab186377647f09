"""An invoice e-mailed to its buyer through the company's SMTP server (a real aiosmtpd server on loopback)."""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest

from fakturnik.base.warsaw import warsaw_today
from tests.web.ui.conftest import pdf_text, sign_in


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[_Inbox, int]]:
    controller_module = pytest.importorskip("aiosmtpd.controller")
    from fakturnik.simulator.server import free_port

    inbox = _Inbox()
    port = free_port()
    controller = controller_module.Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def test_invoice_mailed_to_the_buyer(
    page: Any, demo_login: Any, app_server: Any, smtp: tuple[_Inbox, int]
) -> None:
    inbox, port = smtp
    sign_in(page, demo_login.email, demo_login.password)
    page.goto("/ustawienia")
    page.fill("#f-host", "127.0.0.1")
    page.fill("#f-port", "not-a-port")
    page.click("button:has-text('Zapisz ustawienia poczty')")
    page.wait_for_selector("#err-port:not(:empty)")
    page.fill("#f-port", str(port))
    page.select_option("#f-security", "none")
    page.fill("#f-sender", "faktury@pracownia-demo.example")
    page.click("button:has-text('Zapisz ustawienia poczty')")
    page.wait_for_selector("#mail-saved")

    page.goto("/faktury/nowa")
    page.fill("#f-buyer_nip", "7740001454")
    page.fill("#f-buyer_name", "Klient S.A.")
    page.fill("#f-buyer_email", "faktury@klient.example")
    page.fill("#f-line-0-name", "Konsultacja")
    page.fill("#f-line-0-price", "300")
    page.click("#issue-btn")
    page.wait_for_url(re.compile(r".*/faktury/\d+$"))
    page.wait_for_selector("#ksef-number", timeout=60_000)
    assert page.input_value("#f-to") == "faktury@klient.example"
    page.click("#mail-btn")
    page.wait_for_selector("#mail-sent")
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == "faktury@klient.example"
    assert "Faktura" in str(email.header.make_header(email.header.decode_header(message["Subject"])))
    attached = [part for part in message.walk() if part.get_filename()]
    assert [p.get_filename()[-4:] for p in attached] == [".pdf"]  # the PDF, as the buyer expects
    assert attached[0].get_content_type() == "application/pdf"
    assert page.inner_text("#ksef-number") in pdf_text(attached[0].get_payload(decode=True))
    body = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_payload(decode=True)
    assert page.inner_text("#ksef-number").encode() in body

    # a bad address stays at the field
    page.fill("#f-to", "nie-adres")
    page.click("#mail-btn")
    page.wait_for_selector("#err-to:not(:empty)")
    assert "Podaj poprawny adres" in page.inner_text("#err-to")
    assert len(inbox.messages) == 1

    # the month's invoices ticked on the list and e-mailed in one go; one has no buyer address

    from fakturnik.fa3.jsonform import invoice_to_json
    from fakturnik.fa3.samples import make_sample_invoice

    fk = app_server.runtime.fk
    draft = invoice_to_json(make_sample_invoice("5265877635", "FV/BEZ/1", 1, issue_date=warsaw_today()))
    draft["Podmiot2"].pop("DaneKontaktowe", None)
    silent = fk.invoices.issue(demo_login.company_id, draft).invoice
    mailed = int(re.search(r"/faktury/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    page.goto("/faktury")
    page.check(f"input[name=ids][value='{mailed}']")
    page.check(f"input[name=ids][value='{silent.id}']")
    page.click("#bulk-email")
    page.wait_for_selector("#bulk-result")
    result = page.inner_text("#bulk-result")
    assert (
        "Wysłano e-mailem do nabywców: 1." in result and "Bez adresu e-mail nabywcy na fakturze: 1." in result
    )
    assert len(inbox.messages) == 2 and inbox.messages[1]["To"] == "faktury@klient.example"
