"""The list's totals of everything matching a filter: count, and for PLN invoices gross, net, VAT and
unpaid (gross minus payments) — one aggregate over the covering index, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from fakturnik.app import Fakturnik, InvoiceFilter
from fakturnik.base.warsaw import warsaw_today
from tests.app.conftest import company_id
from tests.app.kit import NIP_A, draft


def _eur(net: str) -> dict[str, Any]:
    d = draft(net=net)
    d["Fa"]["KodWaluty"] = "EUR"
    d["Fa"]["FaWiersz"][0]["KursWaluty"] = "4.2500"
    return d


def _expected(fk: Fakturnik, a: int, flt: InvoiceFilter) -> dict[str, Any]:
    rows = fk.invoices.list(a, flt, limit=500).items
    pln = [r for r in rows if r.totals.currency == "PLN"]
    zero = Decimal("0.00")
    return {
        "count": len(rows),
        "gross": sum((r.totals.gross or zero for r in pln), zero),
        "net": sum((r.totals.net or zero for r in pln), zero),
        "vat": sum((r.totals.vat or zero for r in pln), zero),
        "unpaid": sum((max((r.totals.gross or zero) - r.payment.paid_amount, zero) for r in pln), zero),
    }


def test_totals_of_what_matches(fk_db: Fakturnik) -> None:
    a = company_id(fk_db, NIP_A)
    this_month = warsaw_today().strftime("%Y-%m")
    last_month = warsaw_today().replace(day=1) - timedelta(days=1)
    issued = fk_db.invoices.issue_many(
        a,
        [
            draft(net="100.00"),
            draft(net="250.50", lines=2),
            draft(net="19.99"),
            _eur("1000.00"),
            draft(net="40.00", buyer="1181994512", buyer_name="Inny Klient"),
            draft(net="70.00", issue_date=last_month.isoformat()),
        ],
    )
    assert issued.ok_count == 6, [i.problems for i in issued.items if not i.ok]
    ids = [i.invoice.id for i in issued.items if i.invoice]
    fk_db.invoices.record_payment(a, ids[0])  # paid in full (123.00)
    fk_db.invoices.record_payment(a, ids[1], "100.00")  # partly: 616.23 - 100
    page = fk_db.invoices.list(a, InvoiceFilter(month=this_month), with_totals=True)
    assert page.total_count == 5  # the EUR invoice is counted, its amounts are not summed in PLN
    assert page.total_net == Decimal("100.00") + Decimal("501.00") + Decimal("19.99") + Decimal("40.00")
    assert page.total_vat == Decimal("23.00") + Decimal("115.23") + Decimal("4.60") + Decimal("9.20")
    assert page.total_gross == page.total_net + page.total_vat
    assert page.total_unpaid == page.total_gross - Decimal("123.00") - Decimal("100.00")
    everything = fk_db.invoices.list(a, with_totals=True)
    assert everything.total_count == 6 and everything.total_net == page.total_net + Decimal("70.00")
    for flt in (
        InvoiceFilter(),
        InvoiceFilter(paid="unpaid"),
        InvoiceFilter(paid="partly_paid"),
        InvoiceFilter(paid="paid"),
        InvoiceFilter(q="inny"),
        InvoiceFilter(status=("queued",)),
        InvoiceFilter(status=("accepted",)),
        InvoiceFilter(month=last_month.strftime("%Y-%m")),
        InvoiceFilter(month=this_month, paid="unpaid"),
        InvoiceFilter(month=this_month, q="inny"),
        InvoiceFilter(issue_from=last_month, issue_to=last_month),
        InvoiceFilter(issue_from=warsaw_today(), status=("queued",)),
        InvoiceFilter(month="2020-01"),
    ):
        got = fk_db.invoices.list(a, flt, limit=2, with_totals=True)  # totals are of all, not the page
        want = _expected(fk_db, a, flt)
        assert (got.total_count, got.total_gross, got.total_net, got.total_vat, got.total_unpaid) == (
            want["count"],
            want["gross"],
            want["net"],
            want["vat"],
            want["unpaid"],
        ), flt
    nothing = fk_db.invoices.list(a, InvoiceFilter(status=("rejected",)), with_totals=True)
    assert nothing.total_count == 0 and nothing.total_unpaid == Decimal("0.00") == nothing.total_net
    assert fk_db.invoices.list(a).total_net is None  # only when asked


def test_the_totals_read_only_the_covering_index(fk: Fakturnik) -> None:
    """SQLite's plan for the totals of the web list's filters: the covering index, never the table rows
    (whose XML makes a scan of 100,000 invoices several times slower)."""
    from fakturnik.app.invoice_query import issue_dates, totals_query
    from fakturnik.app.invoices import today_pl

    a = company_id(fk, NIP_A)
    fk.invoices.issue(a, draft())
    with fk.ctx.db.transaction() as s:
        dialect = s.get_bind().dialect
        for flt in (
            InvoiceFilter(),
            InvoiceFilter(paid="overdue", month="2026-12"),
            InvoiceFilter(status=("accepted", "queued"), kind=("VAT",), q="klient", buyer_nip="9166568761"),
            InvoiceFilter(month="2026-12"),
            InvoiceFilter(issue_from=date(2026, 1, 1), issue_to=date(2026, 3, 31), status=("accepted",)),
        ):
            query = totals_query(a, "issued", flt, today_pl(), sqlite=True)
            sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
            plan = " | ".join(str(row[-1]) for row in s.execute(text("EXPLAIN QUERY PLAN " + sql)))
            # the amounts from the covering index; a date range's ids from the date index, which holds
            # them: no table row (with its XML) is read, whatever the filter
            assert "COVERING INDEX ix_invoices_cover" in plan, (flt, plan)
            assert "SCAN invoices" not in plan.replace("SCAN invoices USING COVERING INDEX", ""), plan
            assert "USING INDEX" not in plan, (flt, plan)
            if issue_dates(flt):
                assert "COVERING INDEX ix_invoices_issue_date" in plan, (flt, plan)
