"""Collective identifiers (API 2.7) from the library against the simulator, and their number format."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from fakturnik.base.ksef_numbers import (
    is_valid_collective_identifier,
    make_collective_identifier,
    make_ksef_number,
)
from fakturnik.base.warsaw import warsaw_today
from fakturnik.errors import KsefApiError, KsefCollectiveIdentifierError
from fakturnik.ksef import models as m
from fakturnik.ksef.collective import (
    CollectiveIdentifierError,
    PayableInvoice,
    create_collective_identifier,
    identifiers_created,
    invoices_of,
)
from fakturnik.ksef.problems import error_for
from fakturnik.ksef.sessions import Poller, send_all
from tests.ksef.clientkit import InvoiceFactory, client_for, random_nip

FAST = Poller(initial=0.02, factor=1.5, maximum=0.2, timeout=30)


def test_identifier_format_and_checksum() -> None:
    assert is_valid_collective_identifier("1111111111-IZ202607-65ED02180000-E7")  # the contract's example
    assert not is_valid_collective_identifier("1111111111-IZ202607-65ED02180000-E8")
    assert not is_valid_collective_identifier("1111111111-IZ202613-65ED02180000-??")
    made = make_collective_identifier("5265877635", date(2026, 12, 7))
    assert (
        made.startswith("5265877635-IZ202612-") and len(made) == 35 and is_valid_collective_identifier(made)
    )


def _issued(simulator: Any, seller: str, buyer: str, count: int) -> list[str]:
    client = client_for(simulator, seller)
    factory = InvoiceFactory(seller, buyer_nip=buyer)
    _, outcomes = send_all(client, [factory.make(f"IZ/{i}") for i in range(count)], poller=FAST)
    numbers = [o.ksef_number for o in outcomes]
    assert all(numbers)
    return [n for n in numbers if n]


def test_seller_creates_one_identifier_and_buyer_sees_it(simulator: Any) -> None:
    seller, buyer = random_nip(), random_nip()
    numbers = _issued(simulator, seller, buyer, 3)
    seller_client = client_for(simulator, seller)
    made = create_collective_identifier(
        seller_client,
        [PayableInvoice(n, Decimal("100.10") + i, "PLN", f"FV {i}") for i, n in enumerate(numbers)],
    )
    assert is_valid_collective_identifier(made.number) and made.seller_nip == seller
    assert made.amount == Decimal("303.30") and made.currency == "PLN"

    rows = list(invoices_of(seller_client, made.number, page_size=10))
    assert sorted(r.ksef_number for r in rows) == sorted(numbers)
    assert {r.amount for r in rows} == {Decimal("100.10"), Decimal("101.10"), Decimal("102.10")}

    buyer_client = client_for(simulator, buyer)  # the buyer appears on every invoice: sees the details
    assert {r.details_hidden for r in invoices_of(buyer_client, made.number)} == {False}
    by_number = buyer_client.collective_identifiers_of_invoice(numbers[0])
    assert [
        (i.collectiveIdentifierNumber, i.createdInCurrentContext) for i in by_number.collectiveIdentifiers
    ] == [(made.number, False)]
    now = datetime.now(UTC)
    mine = list(identifiers_created(seller_client, now - timedelta(days=1), now + timedelta(minutes=1)))
    assert [(s.number, s.invoice_count, s.created_here) for s in mine] == [(made.number, 3, True)]

    stranger = client_for(simulator, random_nip())
    with pytest.raises(KsefApiError) as err:
        list(invoices_of(stranger, made.number))
    assert "21405" in str(err.value)


def test_invoices_of_several_identifiers_in_one_call(simulator: Any) -> None:
    seller, buyer = random_nip(), random_nip()
    numbers = _issued(simulator, seller, buyer, 2)
    client = client_for(simulator, seller)
    a = create_collective_identifier(client, [PayableInvoice(numbers[0])])
    b = create_collective_identifier(client, [PayableInvoice(numbers[1])])
    assert a.amount is None
    page = client.collective_identifiers_invoices(
        m.CollectiveIdentifierInvoicesQueryRequest(collectiveIdentifierNumbers=[a.number, b.number])
    )
    assert sorted((i.collectiveIdentifierNumber, i.ksefNumber) for i in page.invoices) == sorted(
        [(a.number, numbers[0]), (b.number, numbers[1])]
    )


def test_the_list_is_checked_before_it_is_sent(simulator: Any) -> None:
    client = client_for(simulator, random_nip())
    one, other = (
        make_ksef_number("5265877635", warsaw_today()),
        make_ksef_number("7010016442", warsaw_today()),
    )
    for bad, words in [
        ([], "pusta"),
        ([PayableInvoice(one), PayableInvoice(other)], "tego samego sprzedawcę"),
        ([PayableInvoice(one), PayableInvoice(one)], "dwa razy"),
        ([PayableInvoice("5265877635-x")], "Nieprawidłowy numer KSeF"),
        (
            [
                PayableInvoice(one, Decimal(1), "PLN"),
                PayableInvoice(make_ksef_number("5265877635", warsaw_today()), Decimal(1), "EUR"),
            ],
            "jednej walucie",
        ),
        ([PayableInvoice(make_ksef_number("5265877635", warsaw_today())) for _ in range(501)], "500"),
    ]:
        with pytest.raises(CollectiveIdentifierError, match=words):
            create_collective_identifier(client, bad)


def test_ksef_refuses_an_invoice_the_context_does_not_see(simulator: Any) -> None:
    seller = random_nip()
    numbers = _issued(simulator, seller, random_nip(), 1)
    outsider = client_for(simulator, random_nip())
    with pytest.raises(KsefApiError) as err:
        create_collective_identifier(outsider, [PayableInvoice(numbers[0])])
    assert "71001" in str(err.value)


def test_query_range_is_at_most_100_days(simulator: Any) -> None:
    client = client_for(simulator, random_nip())
    now = datetime.now(UTC)
    assert list(identifiers_created(client, now - timedelta(days=100), now)) == []
    with pytest.raises(KsefApiError) as err:
        list(identifiers_created(client, now - timedelta(days=101), now))
    assert "21405" in str(err.value)


def test_shortening_a_test_certificate(simulator: Any) -> None:
    client = client_for(simulator, random_nip())
    with pytest.raises(KsefApiError) as err:
        client.testdata_update_certificate(
            "0123456789ABCDEF", m.TestDataUpdateCertificateRequest(validTo=datetime.now(UTC))
        )
    assert "25008" in str(err.value)


@pytest.mark.parametrize("code", [71004, 71005])
def test_unpublished_codes_71004_71005_are_mapped_generically(simulator: Any, code: int) -> None:
    """API 2.8.1 lists 71004/71005 without a meaning (docs here up to 19.05.2026): a generic Polish error,
    produced by the simulator only when the fault is switched on, and only for the calls asked for."""
    admin = simulator.root_url + "/admin/faults"
    assert httpx.get(admin, timeout=10).json()["collectiveError"] is None  # off unless asked
    seller, buyer = random_nip(), random_nip()
    numbers = _issued(simulator, seller, buyer, 1)
    client = client_for(simulator, seller)
    faults = httpx.post(admin, json={"collectiveError": code}, timeout=10).json()
    assert (faults["collectiveError"], faults["collectiveErrorCount"]) == (code, 1)
    try:
        with pytest.raises(KsefCollectiveIdentifierError) as err:
            create_collective_identifier(client, [PayableInvoice(numbers[0], Decimal("10.00"))])
        assert err.value.ksef_code == code and err.value.status_code == 400 and code in err.value.codes
        assert err.value.polish == f"KSeF odrzucił operację na identyfikatorze zbiorczym (kod {code})"
        assert str(err.value).startswith("HTTP 400: " + err.value.polish)
        assert isinstance(err.value, KsefApiError)
        assert httpx.get(admin, timeout=10).json()["collectiveError"] is None  # used up: off again
        made = create_collective_identifier(client, [PayableInvoice(numbers[0], Decimal("10.00"))])
        assert is_valid_collective_identifier(made.number)
    finally:
        httpx.post(admin, json={"collectiveError": 0}, timeout=10)


def test_error_for_maps_71004_in_either_error_form() -> None:
    legacy = {"exception": {"exceptionDetailList": [{"exceptionCode": 71005, "exceptionDescription": "X"}]}}
    problem = {"errors": [{"code": 71004, "description": "Y", "details": []}], "status": 400, "title": "Bad"}
    for ctype, body, code in (
        ("application/json", legacy, 71005),
        ("application/problem+json", problem, 71004),
    ):
        exc = error_for(400, ctype, json.dumps(body).encode())
        assert isinstance(exc, KsefCollectiveIdentifierError) and exc.ksef_code == code, (ctype, exc)
    plain = error_for(
        400,
        "application/json",
        json.dumps(
            {"exception": {"exceptionDetailList": [{"exceptionCode": 71001, "exceptionDescription": "Z"}]}}
        ).encode(),
    )
    assert not isinstance(plain, KsefCollectiveIdentifierError)
