"""A readable summary of an FA(3) invoice (parties, lines, totals) as Rich renderables."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from fakturnik.fa3.amounts import SUMMARY_FIELDS_ORDER
from fakturnik.fa3.builder import check_totals
from fakturnik.fa3.model import Faktura, TAdres

__all__ = ["KIND_NAMES", "SUMMARY_LABELS", "render_invoice"]

KIND_NAMES = {
    "VAT": "faktura VAT",
    "KOR": "faktura korygująca",
    "ZAL": "faktura zaliczkowa",
    "ROZ": "faktura rozliczeniowa",
    "UPR": "faktura uproszczona",
    "KOR_ZAL": "korekta faktury zaliczkowej",
    "KOR_ROZ": "korekta faktury rozliczeniowej",
}

SUMMARY_LABELS = {
    "P_13_1": "netto 23%/22%",
    "P_14_1": "VAT 23%/22%",
    "P_14_1W": "VAT 23%/22% w PLN",
    "P_13_2": "netto 8%/7%",
    "P_14_2": "VAT 8%/7%",
    "P_14_2W": "VAT 8%/7% w PLN",
    "P_13_3": "netto 5%",
    "P_14_3": "VAT 5%",
    "P_14_3W": "VAT 5% w PLN",
    "P_13_4": "netto 4%/3% (taxi)",
    "P_14_4": "VAT 4%/3%",
    "P_14_4W": "VAT 4%/3% w PLN",
    "P_13_5": "netto OSS",
    "P_14_5": "VAT OSS",
    "P_13_6_1": "0% kraj",
    "P_13_6_2": "0% WDT",
    "P_13_6_3": "0% eksport",
    "P_13_7": "zwolnione",
    "P_13_8": "np. (poza krajem)",
    "P_13_9": "np. (art. 100 ust. 1 pkt 4)",
    "P_13_10": "odwrotne obciążenie",
    "P_13_11": "marża",
    "P_15": "należność ogółem",
}


def _address(address: TAdres | None) -> str:
    if address is None:
        return ""
    return ", ".join(p for p in (address.AdresL1, address.AdresL2, address.KodKraju) if p)


def _amount(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


def _party_rows(invoice: Faktura) -> Iterator[tuple[str, str, str, str]]:
    seller = invoice.Podmiot1
    yield (
        "Sprzedawca",
        seller.DaneIdentyfikacyjne.Nazwa,
        f"NIP {seller.DaneIdentyfikacyjne.NIP}",
        _address(seller.Adres),
    )
    buyer = invoice.Podmiot2
    ident = buyer.DaneIdentyfikacyjne
    if ident.NIP:
        buyer_id = f"NIP {ident.NIP}"
    elif ident.NrVatUE:
        buyer_id = f"VAT UE {ident.KodUE}{ident.NrVatUE}"
    elif ident.NrID:
        buyer_id = f"ID {ident.KodKraju or ''} {ident.NrID}".strip()
    else:
        buyer_id = "brak identyfikatora"
    yield ("Nabywca", ident.Nazwa or "", buyer_id, _address(buyer.Adres))
    for third in invoice.Podmiot3:
        t = third.DaneIdentyfikacyjne
        ident3 = t.NIP or t.IDWew or (f"{t.KodUE}{t.NrVatUE}" if t.NrVatUE else t.NrID) or ""
        role = f"Podmiot3 (rola {third.Rola})" if third.Rola is not None else "Podmiot3"
        yield (role, t.Nazwa or "", ident3, _address(third.Adres))


PAYMENT_FORMS = {1: "gotówka", 2: "karta", 3: "bon", 4: "czek", 5: "kredyt", 6: "przelew", 7: "mobilna"}


def _details(invoice: Faktura) -> list[str]:
    """Correction references and payment, as short Polish lines."""
    fa = invoice.Fa
    out: list[str] = []
    if fa.PrzyczynaKorekty:
        out.append(f"przyczyna korekty: {fa.PrzyczynaKorekty}")
    for ref in fa.DaneFaKorygowanej:
        ksef = f", KSeF {ref.NrKSeFFaKorygowanej}" if ref.NrKSeFFaKorygowanej else ""
        out.append(f"korygowana faktura: {ref.NrFaKorygowanej} z {ref.DataWystFaKorygowanej}{ksef}")
    pay = fa.Platnosc
    if pay is not None:
        if pay.Zaplacono == 1:
            out.append(f"zapłacono {pay.DataZaplaty or ''}".rstrip())
        for term in pay.TerminPlatnosci:
            if term.Termin:
                out.append(f"termin płatności: {term.Termin}")
        if pay.FormaPlatnosci is not None:
            out.append(f"forma płatności: {PAYMENT_FORMS.get(pay.FormaPlatnosci, str(pay.FormaPlatnosci))}")
        out.extend(f"rachunek: {account.NrRB}" for account in pay.RachunekBankowy)
    return out


def render_invoice(invoice: Faktura) -> RenderableType:
    """Header, parties, lines and totals of the invoice; amount disagreements listed at the end."""
    fa = invoice.Fa
    head = f"[bold]{escape(KIND_NAMES.get(fa.RodzajFaktury, fa.RodzajFaktury))} nr {escape(fa.P_2)}[/bold]\n"
    head += escape(
        f"data wystawienia {fa.P_1}"
        + (f", miejsce {fa.P_1M}" if fa.P_1M else "")
        + (f", data sprzedaży {fa.P_6}" if fa.P_6 else "")
        + f", waluta {fa.KodWaluty}"
    )
    parties = Table(title="Strony", show_header=True, expand=True)
    for column in ("Rola", "Nazwa", "Identyfikator", "Adres"):
        parties.add_column(column)
    for row in _party_rows(invoice):
        parties.add_row(*(escape(cell) for cell in row))
    lines = Table(title="Pozycje", show_header=True, expand=True)
    for column, justify in (
        ("Lp", "right"), ("Nazwa", "left"), ("Ilość", "right"), ("J.m.", "left"), ("Cena", "right"),
        ("Wartość", "right"), ("Stawka", "right"),
    ):  # fmt: skip
        lines.add_column(column, justify=justify)  # type: ignore[arg-type]
    for w in fa.FaWiersz:
        price = w.P_9A if w.P_9A is not None else w.P_9B
        value = w.P_11 if w.P_11 is not None else w.P_11A
        rate = w.P_12 or (f"OSS {w.P_12_XII}%" if w.P_12_XII is not None else "")
        name = (w.P_7 or "") + (" [przed korektą]" if w.StanPrzed == 1 else "")
        lines.add_row(
            str(w.NrWierszaFa),
            escape(name),
            _amount(w.P_8B),
            escape(w.P_8A or ""),
            _amount(price),
            _amount(value),
            escape(rate),
        )
    totals = Table(title="Podsumowanie", show_header=False)
    totals.add_column("Pole")
    totals.add_column("Opis")
    totals.add_column("Kwota", justify="right")
    for name in SUMMARY_FIELDS_ORDER:
        value = getattr(fa, name)
        if value is not None:
            totals.add_row(
                name, SUMMARY_LABELS[name], f"{_amount(value)} {fa.KodWaluty if 'W' not in name else 'PLN'}"
            )
    details = _details(invoice)
    if details:
        head += "\n" + escape("\n".join(details))
    parts: list[RenderableType] = [Panel(head), parties, lines, totals]
    problems = check_totals(invoice)
    if problems:
        text = escape("\n".join(str(p) for p in problems))
        parts.append(Panel(text, title="Niezgodne kwoty", style="yellow"))
    return Group(*parts)
