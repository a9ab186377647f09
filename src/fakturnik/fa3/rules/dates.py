"""Date sanity: what the XSD bounds cannot say.

A sale date (P_6) after the issue date (P_1) is lawful (art. 106i ust. 7: up to 30 days ahead), so it
is not a problem; issuing more than 30 days before it is a warning. An issue date in the future is an
error (KSeF refuses P_1 later than the day it receives the invoice).
"""

from __future__ import annotations

from datetime import timedelta

from fakturnik.fa3.rules.base import Invoice, RuleContext, parse_date, parse_datetime, text

_SLACK = timedelta(days=1)  # time zones: the sender's "today" may be our tomorrow


def check_dates(inv: Invoice, ctx: RuleContext) -> None:
    issued = parse_date(inv.fa_text("P_1"))
    if issued is not None and issued > ctx.today + _SLACK:
        ctx.error(
            "Fa/P_1",
            f"Data wystawienia {issued.isoformat()} jest w przyszłości; KSeF jej nie przyjmie.",
            "DATE_ISSUE_FUTURE",
        )
    created = parse_datetime(text(inv.top_first("Naglowek"), "DataWytworzeniaFa"))
    if created is not None and created.tzinfo is None:
        created = created.replace(tzinfo=ctx.now.tzinfo)
    if created is not None and created > ctx.now + _SLACK:
        ctx.error(
            "Naglowek/DataWytworzeniaFa",
            f"Data wytworzenia faktury {created.isoformat()} jest w przyszłości.",
            "DATE_CREATED_FUTURE",
        )
    period = inv.fa_first("OkresFa")
    start = parse_date(text(period, "P_6_Od"))
    end = parse_date(text(period, "P_6_Do"))
    if start is not None and end is not None and start > end:
        ctx.error(
            "Fa/OkresFa/P_6_Do",
            f"Okres faktury kończy się ({end.isoformat()}) przed swoim początkiem ({start.isoformat()}).",
            "DATE_PERIOD_REVERSED",
        )
    sold = parse_date(inv.fa_text("P_6"))
    early_kind = inv.kind in ("VAT", "UPR")  # advances and settlements are issued ahead by design
    if early_kind and issued is not None and sold is not None and issued < sold - timedelta(days=30):
        ctx.warning(
            "Fa/P_1",
            f"Faktura wystawiona ({issued.isoformat()}) ponad 30 dni przed dostawą ({sold.isoformat()}); "
            "art. 106i ust. 7 ustawy o VAT na to nie pozwala (poza zaliczkami).",
            "DATE_ISSUED_TOO_EARLY",
        )
    references = inv.fa_all("DaneFaKorygowanej")
    if issued is not None:
        for i, ref in enumerate(references, start=1):
            corrected = parse_date(text(ref, "DataWystFaKorygowanej"))
            if corrected is not None and corrected > issued:
                many = len(references) > 1
                path = f"Fa/DaneFaKorygowanej{f'[{i}]' if many else ''}/DataWystFaKorygowanej"
                ctx.error(
                    path,
                    f"Faktura korygowana ({corrected.isoformat()}) nie może być wystawiona później "
                    f"niż korekta ({issued.isoformat()}).",
                    "DATE_CORRECTED_AFTER_CORRECTION",
                )
