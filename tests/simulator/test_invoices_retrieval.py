"""Invoice download by KSeF number and the metadata query (digest §3.4, §12, §14.5)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fakturnik.ksef.crypto import sha256_b64
from fakturnik.simulator import decisions, metadata
from fakturnik.simulator.config import SimulatorConfig
from fakturnik.simulator.server import SimulatorServer
from tests.conftest import SAMPLES_DIR
from tests.simulator.sessions_kit import Ksef, error_code, make_invoice, nip

SUBJECT3_TEMPLATE = SAMPLES_DIR / "csharp-core__invoice-template-fa-3-with-custom-Subject3.xml"
SUBJECT3_NIP = "7352765225"


@pytest.fixture(scope="module")
def world() -> Iterator[dict[str, Any]]:
    """One seller with 25 invoices to one buyer (one of them naming a third subject)."""
    with SimulatorServer(SimulatorConfig(profile="test", rate_limits_enabled=False)) as server:
        seller = Ksef(server, nip=nip(9001))
        buyer = Ksef(server, nip=nip(9002))
        third = Ksef(server, nip=SUBJECT3_NIP)
        stranger = Ksef(server, nip=nip(9003))
        xmls = [make_invoice(seller.nip, f"M/{i:02d}", buyer=buyer.nip) for i in range(1, 25)]
        xmls.append(make_invoice(seller.nip, "M/S3", buyer=buyer.nip, template=SUBJECT3_TEMPLATE))
        _, invoices = seller.accept(*xmls)
        time.sleep(0.05)  # past the permanent-storage lag
        yield {
            "server": server,
            "seller": seller,
            "buyer": buyer,
            "third": third,
            "stranger": stranger,
            "invoices": invoices,
            "xmls": xmls,
        }
        for client in (seller, buyer, third, stranger):
            client.close()


def _filters(subject: str = "Subject1", date_type: str = "Invoicing", **extra: Any) -> dict[str, Any]:
    start = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    return {"subjectType": subject, "dateRange": {"dateType": date_type, "from": start}, **extra}


def _query(client: Ksef, body: dict[str, Any], **params: Any) -> Any:
    r = client.http.post("/invoices/query/metadata", json=body, params=params)
    assert r.status_code == 200, r.text
    return r.json()


# -- download ------------------------------------------------------------------------------------


def test_download_by_ksef_number_for_seller_and_buyer(world: dict[str, Any]) -> None:
    inv, xml = world["invoices"][0], world["xmls"][0]
    for client in (world["seller"], world["buyer"]):
        r = client.http.get(f"/invoices/ksef/{inv['ksefNumber']}")
        assert r.status_code == 200 and r.content == xml
        assert r.headers["x-ms-meta-hash"] == sha256_b64(xml)


def test_download_refused_to_strangers_and_unknown_numbers(world: dict[str, Any]) -> None:
    inv = world["invoices"][0]
    r = world["stranger"].http.get(f"/invoices/ksef/{inv['ksefNumber']}")
    assert r.status_code == 400 and error_code(r) == 21164
    unknown = inv["ksefNumber"][:20] + "000000000000-00"
    r = world["seller"].http.get(f"/invoices/ksef/{unknown}")
    assert r.status_code == 400 and error_code(r) in (21164, 21405)
    r = world["seller"].http.get("/invoices/ksef/not-a-number")
    assert r.status_code == 400 and error_code(r) == 21405


def test_download_before_permanent_storage_is_21165(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decisions, "PERMANENT_STORAGE_LAG", timedelta(hours=1))
    with SimulatorServer(SimulatorConfig(rate_limits_enabled=False)) as server:
        client = Ksef(server, nip=nip(9100))
        _, [inv] = client.accept(make_invoice(client.nip))
        assert "permanentStorageDate" not in inv
        r = client.http.get(f"/invoices/ksef/{inv['ksefNumber']}")
        assert r.status_code == 400 and error_code(r) == 21165
        client.close()


# -- metadata query ------------------------------------------------------------------------------


def test_each_subject_sees_its_role_only(world: dict[str, Any]) -> None:
    seller, buyer, third = world["seller"], world["buyer"], world["third"]
    assert len(_query(seller, _filters("Subject1"), pageSize=100)["invoices"]) == 25
    assert _query(seller, _filters("Subject2"))["invoices"] == []
    bought = _query(buyer, _filters("Subject2"), pageSize=100)["invoices"]
    assert len(bought) == 25 and {i["buyer"]["identifier"]["value"] for i in bought} == {buyer.nip}
    s3 = _query(third, _filters("Subject3"))["invoices"]
    assert [i["invoiceNumber"] for i in s3] == ["M/S3"]
    assert s3[0]["thirdSubjects"][0]["identifier"] == {"type": "Nip", "value": SUBJECT3_NIP}
    assert _query(world["stranger"], _filters("Subject1"))["invoices"] == []


def test_metadata_fields(world: dict[str, Any]) -> None:
    row = _query(world["seller"], _filters(invoiceNumber="M/01"))["invoices"][0]
    inv = world["invoices"][0]
    assert row["ksefNumber"] == inv["ksefNumber"]
    assert row["seller"]["nip"] == world["seller"].nip
    assert row["invoiceType"] == "Vat" and row["currency"] == "PLN"
    assert row["formCode"] == {"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"}
    assert (row["netAmount"], row["vatAmount"], row["grossAmount"]) == (43.6, 10.03, 53.63)
    assert row["invoiceHash"] == inv["invoiceHash"]
    assert row["isSelfInvoicing"] is False and row["hasAttachment"] is False


def test_paging_and_sorting(world: dict[str, Any]) -> None:
    seller = world["seller"]
    pages = []
    offset = 0
    while True:
        page = _query(seller, _filters(), pageSize=10, pageOffset=offset)
        pages.append(page)
        if not page["hasMore"]:
            break
        offset += 1
    assert [len(p["invoices"]) for p in pages] == [10, 10, 5]
    assert not any(p["isTruncated"] for p in pages)
    asc = [i["ksefNumber"] for p in pages for i in p["invoices"]]
    desc = _query(seller, _filters(), pageSize=100, sortOrder="Desc")["invoices"]
    assert [i["ksefNumber"] for i in desc] == asc[::-1]


def test_row_cap_sets_is_truncated(world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metadata, "ROW_CAP", 15)
    seller = world["seller"]
    first = _query(seller, _filters(), pageSize=10, pageOffset=0)
    second = _query(seller, _filters(), pageSize=10, pageOffset=1)
    assert not first["isTruncated"] and first["hasMore"]
    assert second["isTruncated"] and len(second["invoices"]) == 5
    restart_from = second["invoices"][-1]["invoicingDate"]
    rest = _query(
        seller, {**_filters(), "dateRange": {"dateType": "Invoicing", "from": restart_from}}, pageSize=100
    )
    assert len(rest["invoices"]) >= 10


def test_filters(world: dict[str, Any]) -> None:
    seller, buyer = world["seller"], world["buyer"]
    in_range = _query(seller, _filters(amount={"type": "Brutto", "from": 53, "to": 54}), pageSize=50)
    assert len(in_range["invoices"]) == 24  # the Subject3 sample has other amounts
    assert _query(seller, _filters(amount={"type": "Netto", "from": 10**9}))["invoices"] == []
    assert len(_query(seller, _filters(currencyCodes=["PLN"]), pageSize=50)["invoices"]) == 25
    assert _query(seller, _filters(currencyCodes=["EUR"]))["invoices"] == []
    assert _query(seller, _filters(invoiceTypes=["Kor"]))["invoices"] == []
    assert len(_query(seller, _filters(invoicingMode="Online", formType="FA"), pageSize=50)["invoices"]) == 25
    ksef_number = world["invoices"][3]["ksefNumber"]
    assert [i["ksefNumber"] for i in _query(seller, _filters(ksefNumber=ksef_number))["invoices"]] == [
        ksef_number
    ]
    by_buyer = _query(seller, _filters(buyerIdentifier={"type": "Nip", "value": buyer.nip}), pageSize=50)
    assert len(by_buyer["invoices"]) == 25
    assert len(_query(buyer, _filters("Subject2", sellerNip=seller.nip), pageSize=50)["invoices"]) == 25


def test_date_types_and_naive_warsaw_time(world: dict[str, Any]) -> None:
    seller = world["seller"]
    today = datetime.now(UTC).date()
    issue = {"dateType": "Issue", "from": (today - timedelta(days=1)).isoformat() + "T00:00:00"}
    assert len(_query(seller, {"subjectType": "Subject1", "dateRange": issue}, pageSize=50)["invoices"]) == 25
    storage = _query(seller, _filters(date_type="PermanentStorage"), pageSize=50)
    assert len(storage["invoices"]) == 25 and storage["permanentStorageHwmDate"]
    assert "permanentStorageHwmDate" not in _query(seller, _filters())
    # "now" in UTC wall-clock digits, read as Warsaw time, is an hour or two in the past
    naive_now = datetime.now(UTC).replace(tzinfo=None).isoformat()
    recent = {"subjectType": "Subject1", "dateRange": {"dateType": "Invoicing", "from": naive_now}}
    assert len(_query(seller, recent, pageSize=50)["invoices"]) == 25
    as_utc = {"subjectType": "Subject1", "dateRange": {"dateType": "Invoicing", "from": naive_now + "Z"}}
    assert _query(seller, as_utc)["invoices"] == []


def test_range_over_100_days_is_21405(world: dict[str, Any]) -> None:
    """API 2.7.1 (changelog): up to 100 days, counted in UTC (3 months before)."""
    body: dict[str, Any] = {
        "subjectType": "Subject1",
        "dateRange": {"dateType": "Issue", "from": "2026-01-01T00:00:00Z", "to": "2026-04-11T00:00:01Z"},
    }
    r = world["seller"].http.post("/invoices/query/metadata", json=body)
    assert r.status_code == 400 and error_code(r) == 21405
    ok = {**body, "dateRange": {**body["dateRange"], "to": "2026-04-11T00:00:00Z"}}
    assert world["seller"].http.post("/invoices/query/metadata", json=ok).status_code == 200


def test_hwm_restriction_is_21183(world: dict[str, Any]) -> None:
    future = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    body = {
        "subjectType": "Subject1",
        "dateRange": {
            "dateType": "PermanentStorage",
            "from": future,
            "restrictToPermanentStorageHwmDate": True,
        },
    }
    r = world["seller"].http.post("/invoices/query/metadata", json=body)
    assert r.status_code == 400 and error_code(r) == 21183


def test_page_size_bounds_are_21405(world: dict[str, Any]) -> None:
    for size in (5, 251):
        r = world["seller"].http.post("/invoices/query/metadata", json=_filters(), params={"pageSize": size})
        assert r.status_code == 400 and error_code(r) == 21405
