"""The invoice form: posted fields → FA(3) draft, Polish problems at the fields, live totals."""

from datetime import date
from decimal import Decimal

from fakturnik.fa3.builder import build_invoice
from fakturnik.fa3.writer import write_invoice
from fakturnik.web.ui.invoice_form import MAX_LINES, field_for_path, form_from_draft, parse_form, to_draft
from fakturnik.web.ui.preview import preview

SELLER = {
    "DaneIdentyfikacyjne": {"NIP": "5265877635", "Nazwa": "Demo Sp. z o.o."},
    "Adres": {"KodKraju": "PL", "AdresL1": "ul. Prosta 1", "AdresL2": "00-001 Warszawa"},
}


def _posted(**extra: str) -> dict[str, str]:
    data = {
        "kind": "VAT",
        "issue_date": "2026-12-07",
        "buyer_nip": "7740001454",
        "buyer_name": "Klient S.A.",
        "buyer_address1": "ul. Długa 2",
        "buyer_address2": "30-001 Kraków",
        "price_mode": "net",
        "payment_method": "6",
        "due_mode": "days",
        "due_days": "14",
        "bank_account": "61 1090 1014 0000 0712 1981 2874",
        "line-0-name": "Wdrożenie",
        "line-0-qty": "12,5",
        "line-0-unit": "godz.",
        "line-0-price": "180",
        "line-0-rate": "23",
        "line-1-name": "Catering",
        "line-1-qty": "1",
        "line-1-price": "640,00",
        "line-1-discount": "40",
        "line-1-rate": "8",
        "line-2-name": "Szkolenie",
        "line-2-qty": "2",
        "line-2-price": "1 500",
        "line-2-rate": "zw",
        "line-2-gtu": "GTU_12",
        "exemption": "art43_1_29",
    }
    data.update(extra)
    return data


def test_the_usual_form_builds_the_documented_invoice() -> None:
    form = parse_form(_posted())
    draft = to_draft(form, seller=SELLER)
    assert form.errors == {}
    assert draft is not None
    invoice = build_invoice(draft)
    assert Decimal("2250.00") == invoice.Fa.P_13_1
    assert Decimal("48.00") == invoice.Fa.P_14_2
    assert Decimal("3000.00") == invoice.Fa.P_13_7
    assert Decimal("6415.50") == invoice.Fa.P_15
    assert invoice.Fa.Adnotacje.Zwolnienie.P_19A.startswith("art. 43 ust. 1 pkt 29")
    assert invoice.Fa.Platnosc.TerminPlatnosci[0].Termin == date(2026, 12, 21)
    assert write_invoice(invoice).startswith(b"<?xml")


def test_live_totals_match_the_builder() -> None:
    result = preview(parse_form(_posted()))
    assert [r.label for r in result.rows] == ["23%", "8%", "zw."]
    assert result.gross == Decimal("6415.50")
    assert result.line_values == {0: Decimal("2250.00"), 1: Decimal("600.00"), 2: Decimal("3000.00")}


def test_gross_entry() -> None:
    result = preview(
        parse_form({"price_mode": "gross", "line-0-name": "A", "line-0-price": "123", "line-0-rate": "23"})
    )
    assert result.rows[0].net == Decimal("100.00") and result.rows[0].vat == Decimal("23.00")


def test_problems_are_at_their_fields_in_polish() -> None:
    form = parse_form(
        _posted(
            buyer_nip="1234567890",
            issue_date="32.13.2026",
            **{"line-1-price": "abc", "line-0-rate": "17", "line-2-discount": "9999"},
        )
    )
    assert to_draft(form, seller=SELLER) is None
    assert form.errors["buyer_nip"].startswith("Niepoprawny NIP")
    assert "DD.MM.RRRR" in form.errors["issue_date"]
    assert form.errors["line-1-price"].startswith("To nie jest liczba")
    assert form.errors["line-0-rate"] == "Wybierz stawkę VAT z listy."
    assert form.errors["line-2-discount"].startswith("Rabat")


def test_empty_form() -> None:
    form = parse_form({})
    assert to_draft(form, seller=SELLER) is None
    assert {"issue_date", "buyer_nip", "buyer_name", "lines"} <= set(form.errors)


def test_exempt_line_needs_a_basis() -> None:
    form = parse_form(_posted(exemption=""))
    assert to_draft(form, seller=SELLER) is None
    assert form.errors == {"exemption": "Dla stawki zw wybierz podstawę zwolnienia."}


def test_too_many_lines_are_refused_at_the_form() -> None:
    data = {f"line-{i}-name": "x" for i in range(MAX_LINES + 5)}
    form = parse_form(data)
    assert "lines" in form.errors and form.lines == []


def test_script_is_kept_as_text() -> None:
    form = parse_form(_posted(buyer_name="<script>alert(1)</script>"))
    draft = to_draft(form, seller=SELLER)
    assert draft is not None
    assert b"&lt;script&gt;" in write_invoice(build_invoice(draft))


def test_foreign_currency_needs_a_rate() -> None:
    form = parse_form(_posted(currency="EUR"))
    assert to_draft(form, seller=SELLER) is None and "exchange_rate" in form.errors
    form = parse_form(_posted(currency="EUR", exchange_rate="4,2512"))
    draft = to_draft(form, seller=SELLER)
    assert draft is not None
    invoice = build_invoice(draft)
    assert invoice.Fa.KursWalutyZ == Decimal("4.2512")
    assert Decimal("2200.00") == invoice.Fa.P_14_1W  # round(2250 x 4.2512 = 9565.20) x 23 % = 2199.996


def test_correction_lines_before_and_after() -> None:
    data = _posted(
        kind="KOR",
        correction_reason="Zmiana ceny",
        corrected_number="FV/2026/12/0001",
        corrected_date="2026-12-01",
        **{"line-0-before": "1"},
    )
    data = {k: v for k, v in data.items() if not k.startswith(("line-1", "line-2"))}
    data.update(
        {"line-1-name": "Wdrożenie", "line-1-qty": "12,5", "line-1-price": "160", "line-1-rate": "23"}
    )
    form = parse_form(data)
    draft = to_draft(form, seller=SELLER)
    assert form.errors == {}
    assert draft is not None
    invoice = build_invoice(draft)
    assert Decimal("-250.00") == invoice.Fa.P_13_1
    assert invoice.Fa.DaneFaKorygowanej[0].NrKSeFN == 1


def test_round_trip_through_the_draft() -> None:
    form = parse_form(_posted())
    draft = to_draft(form, seller=SELLER)
    assert draft is not None
    again = form_from_draft(draft)
    assert again.buyer_nip == "7740001454"
    assert [line.name for line in again.lines] == ["Wdrożenie", "Catering", "Szkolenie"]
    assert again.exemption == "art43_1_29"


def test_problem_paths_map_to_fields() -> None:
    assert field_for_path("Fa/FaWiersz[2]/P_12") == "line-1-rate"
    assert field_for_path("/Faktura/Podmiot2/DaneIdentyfikacyjne/NIP") == "buyer_nip"
    assert field_for_path("Fa/P_1") == "issue_date"
    assert field_for_path("Fa/P_15") == ""
