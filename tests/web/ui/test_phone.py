"""Every main page on a 375 px wide phone: nothing wider than the screen (tables scroll inside their card),
the menu reachable, no serious accessibility violations."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from fakturnik.base.warsaw import warsaw_today
from tests.web.ui.conftest import axe_violations, shot, sign_in

WIDTH = 375
PAGES = [
    ("/faktury", "invoice-list-phone"),
    ("/faktury/nowa", "invoice-form-phone"),
    ("/faktury/nowa?kind=ROZ", None),
    ("/faktury/szkice", None),
    ("/faktury/cykliczne", None),
    ("/otrzymane", None),
    ("/kontrahenci", None),
    ("/produkty", None),
    ("/ustawienia", None),
]


@pytest.fixture(scope="module")
def issued(app_server: Any, demo_login: Any) -> int:
    """An invoice of the demo company with a few long lines, accepted, so the lists have a row."""

    from fakturnik.fa3.jsonform import invoice_to_json
    from fakturnik.fa3.samples import make_sample_invoice

    fk = app_server.runtime.fk
    draft = invoice_to_json(
        make_sample_invoice("5265877635", "FV/2026/12/0001", 3, issue_date=warsaw_today())
    )
    invoice = fk.invoices.issue(demo_login.company_id, draft).invoice
    return int(fk.invoices.wait(demo_login.company_id, invoice.id, timeout=60).id)


@pytest.fixture(scope="module")
def phone(browser: Any, app_server: Any, demo_login: Any) -> Iterator[Any]:
    context = browser.new_context(
        base_url=app_server.url, viewport={"width": WIDTH, "height": 812}, bypass_csp=True, is_mobile=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, demo_login.email, demo_login.password)
    yield page
    context.close()


def _too_wide(page: Any) -> list[str]:
    """The elements that stick out of the viewport (what makes the page scroll sideways)."""
    return list(
        page.evaluate(
            """(width) => [...document.querySelectorAll('body *')].filter(e => {
                const r = e.getBoundingClientRect();
                if (r.width === 0 || r.right <= width + 1) return false;
                for (let p = e.parentElement; p; p = p.parentElement) {   // inside a scrolling box: fine
                    const o = getComputedStyle(p).overflowX;
                    if (o === 'auto' || o === 'scroll' || o === 'hidden') return false;
                }
                return true;
            }).slice(0, 8).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                + (e.className ? '.' + String(e.className).split(' ').join('.') : '')
                + ' ' + Math.round(e.getBoundingClientRect().right))""",
            WIDTH,
        )
    )


@pytest.mark.parametrize(("path", "name"), [*PAGES, ("/faktury/{id}", "invoice-phone")])
def test_no_sideways_scroll_on_a_phone(phone: Any, issued: int, path: str, name: str | None) -> None:
    phone.goto(path.format(id=issued))
    assert phone.evaluate("document.documentElement.scrollWidth") <= WIDTH, _too_wide(phone)
    assert axe_violations(phone) == []
    if name:
        shot(phone, name)
