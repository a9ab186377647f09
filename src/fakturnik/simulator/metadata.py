"""Invoice metadata queries (digest §12): filters, subject roles, date types, sorting, the row cap.

Pure functions over stored invoice documents; the HTTP layer (``routes_invoices``) and exports share
them. A naive timestamp in a query means Europe/Warsaw time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from fakturnik.base.warsaw import warsaw
from fakturnik.simulator.errors import ApiError

WARSAW = warsaw()
ROW_CAP = 10_000
MAX_SPAN = timedelta(days=100)  # 2.7.1 (changelog): 100 days, in UTC; 3 months before
DATE_FIELD = {"Issue": "issueDate", "Invoicing": "invoicingDate", "PermanentStorage": "permanentStorageDate"}


def parse_query_time(text: str) -> datetime:
    """ISO-8601 with ``Z``/offset, or naive = Europe/Warsaw; always returned in UTC."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=WARSAW)
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class DateWindow:
    date_type: str
    start: datetime
    end: datetime
    restrict_to_hwm: bool


def date_window(date_range: dict[str, Any], now: datetime) -> DateWindow:
    """Validated ``dateRange`` (21405 for a bad date or a span over 100 days)."""
    try:
        start = parse_query_time(str(date_range["from"]))
        end = parse_query_time(str(date_range["to"])) if date_range.get("to") else now
    except (ValueError, KeyError) as exc:
        raise ApiError(21405, "dateRange: nieprawidłowa data.") from exc
    if end < start and date_range.get("to"):
        raise ApiError(21405, "dateRange: data 'to' jest wcześniejsza niż 'from'.")
    if end - start > MAX_SPAN:
        raise ApiError(21405, "dateRange: zakres dat nie może przekraczać 100 dni.")
    restrict = bool(date_range.get("restrictToPermanentStorageHwmDate"))
    return DateWindow(str(date_range["dateType"]), start, end, restrict)


def render(inv: dict[str, Any]) -> dict[str, Any]:
    """An accepted invoice as ``InvoiceMetadata``."""
    facts = inv["facts"]
    out: dict[str, Any] = {
        "ksefNumber": inv["ksefNumber"],
        "invoiceNumber": facts["invoiceNumber"],
        "issueDate": facts["issueDate"],
        "invoicingDate": inv["invoicingDate"],
        "acquisitionDate": inv["acquisitionDate"],
        "permanentStorageDate": inv["permanentStorageDate"],
        "seller": {"nip": facts["sellerNip"]},
        "buyer": {"identifier": facts["buyer"]["identifier"]},
        "netAmount": float(facts["net"]),
        "grossAmount": float(facts["gross"]),
        "vatAmount": float(facts["vat"]),
        "currency": facts["currency"],
        "invoicingMode": inv["invoicingMode"],
        "invoiceType": facts["invoiceType"],
        "formCode": inv["formCode"],
        "isSelfInvoicing": facts["selfInvoicing"],
        "hasAttachment": facts["hasAttachment"],
        "invoiceHash": inv["invoiceHash"],
    }
    if facts.get("sellerName"):
        out["seller"]["name"] = facts["sellerName"]
    if facts["buyer"].get("name"):
        out["buyer"]["name"] = facts["buyer"]["name"]
    if inv.get("hashOfCorrectedInvoice"):
        out["hashOfCorrectedInvoice"] = inv["hashOfCorrectedInvoice"]
    if facts.get("thirdSubjects"):
        out["thirdSubjects"] = [{k: v for k, v in t.items() if v is not None} for t in facts["thirdSubjects"]]
    if facts.get("authorized"):
        out["authorizedSubject"] = {k: v for k, v in facts["authorized"].items() if v is not None}
    return out


def context_role(inv: dict[str, Any], subject_type: str, context_value: str) -> bool:
    """Does the caller's context appear on the invoice in the queried role?"""
    facts = inv["facts"]
    nip = context_value[:10]
    if subject_type == "Subject1":
        return bool(facts["sellerNip"] == nip)
    if subject_type == "Subject2":
        ident = facts["buyer"]["identifier"]
        return bool(ident.get("type") == "Nip" and ident.get("value") == nip)
    if subject_type == "Subject3":
        return any(
            t["identifier"].get("value") in (nip, context_value)
            for t in facts.get("thirdSubjects") or []
            if t["identifier"].get("type") in ("Nip", "InternalId")
        )
    if subject_type == "SubjectAuthorized":
        return bool((facts.get("authorized") or {}).get("nip") == nip)
    return False


def appears_anywhere(inv: dict[str, Any], context_value: str) -> bool:
    return any(
        context_role(inv, role, context_value)
        for role in ("Subject1", "Subject2", "Subject3", "SubjectAuthorized")
    )


def _date_value(inv: dict[str, Any], date_type: str) -> str:
    return str(inv["facts"]["issueDate"] if date_type == "Issue" else inv[DATE_FIELD[date_type]])


def _in_window(inv: dict[str, Any], window: DateWindow) -> bool:
    if window.date_type == "Issue":
        day = inv["facts"]["issueDate"]
        return bool(
            window.start.astimezone(WARSAW).date().isoformat()
            <= day
            <= window.end.astimezone(WARSAW).date().isoformat()
        )
    moment = datetime.fromisoformat(_date_value(inv, window.date_type))
    return window.start <= moment <= window.end


def _amount_ok(facts: dict[str, Any], amount: dict[str, Any]) -> bool:
    field = {"Brutto": "gross", "Netto": "net", "Vat": "vat"}.get(str(amount.get("type")), "gross")
    value = Decimal(str(facts[field]))
    lo, hi = amount.get("from"), amount.get("to")
    return (lo is None or value >= Decimal(str(lo))) and (hi is None or value <= Decimal(str(hi)))


def matches(inv: dict[str, Any], filters: dict[str, Any], window: DateWindow, context_value: str) -> bool:
    facts = inv["facts"]
    checks = (
        lambda: context_role(inv, str(filters["subjectType"]), context_value),
        lambda: _in_window(inv, window),
        lambda: not filters.get("ksefNumber") or inv["ksefNumber"] == filters["ksefNumber"],
        lambda: not filters.get("invoiceNumber") or facts["invoiceNumber"] == filters["invoiceNumber"],
        lambda: not filters.get("amount") or _amount_ok(facts, filters["amount"]),
        lambda: not filters.get("sellerNip") or facts["sellerNip"] == filters["sellerNip"],
        lambda: not filters.get("buyerIdentifier") or _buyer_ok(facts, filters["buyerIdentifier"]),
        lambda: not filters.get("currencyCodes") or facts["currency"] in filters["currencyCodes"],
        lambda: not filters.get("invoicingMode") or inv["invoicingMode"] == filters["invoicingMode"],
        lambda: (
            filters.get("isSelfInvoicing") is None or facts["selfInvoicing"] == filters["isSelfInvoicing"]
        ),
        lambda: not filters.get("formType") or _form_type(inv) == filters["formType"],
        lambda: not filters.get("invoiceTypes") or facts["invoiceType"] in filters["invoiceTypes"],
        lambda: filters.get("hasAttachment") is None or facts["hasAttachment"] == filters["hasAttachment"],
    )
    return all(check() for check in checks)


def _buyer_ok(facts: dict[str, Any], wanted: dict[str, Any]) -> bool:
    ident = facts["buyer"]["identifier"]
    if ident.get("type") != wanted.get("type"):
        return False
    return not wanted.get("value") or ident.get("value") == wanted.get("value")


def _form_type(inv: dict[str, Any]) -> str:
    value = str(inv["formCode"]["value"])
    return "FA_RR" if value == "FA_RR" else ("PEF" if value == "PEF" else "FA")


def select(
    invoices: list[dict[str, Any]],
    filters: dict[str, Any],
    window: DateWindow,
    context_value: str,
    *,
    descending: bool = False,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Accepted, permanently stored invoices matching the filters, sorted by the chosen date."""
    moment = now or datetime.now(UTC)
    rows = [
        inv
        for inv in invoices
        if inv.get("ksefNumber")
        and datetime.fromisoformat(inv["permanentStorageDate"]) <= moment
        and matches(inv, filters, window, context_value)
    ]
    rows.sort(key=lambda inv: (_date_value(inv, window.date_type), inv["ksefNumber"]), reverse=descending)
    return rows


def hwm(now: datetime) -> datetime:
    """``permanentStorageHwmDate``: everything stored up to now is final (writes are serialised)."""
    return now - timedelta(microseconds=1)
