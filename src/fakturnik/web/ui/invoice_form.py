"""The invoice form: posted fields → a typed form → an FA(3) JSON draft, and problems back at the fields.

Pure: no I/O. Field names are flat (``buyer_nip``, ``line-3-price``) so a plain HTML form and htmx
can post them; every value is parsed here with a Polish message at the field it belongs to, and a
problem the FA(3) builder or validation reports by XML path (``Fa/FaWiersz[2]/P_12``) is mapped back
to the form field (``line-1-rate``) by :func:`field_for_path`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from stdnum.pl import nip as pl_nip

from fakturnik.base.warsaw import warsaw_today
from fakturnik.fa3.amounts import VAT_RATES
from fakturnik.web.ui.formatting import parse_amount

if TYPE_CHECKING:
    from fakturnik.app.advances import ExternalAdvance

__all__ = [
    "EXEMPTION_BASES",
    "GTU_CODES",
    "INVOICE_KINDS",
    "MAX_LINES",
    "PAYMENT_METHODS",
    "FormLine",
    "InvoiceForm",
    "field_for_path",
    "form_field",
    "parse_form",
    "to_draft",
]

MAX_LINES = 1000
"""Most lines one form may carry; more is refused at the form (KSeF's own limit is far higher, a
person's form is not)."""

INVOICE_KINDS: dict[str, str] = {
    "VAT": "Faktura VAT",
    "KOR": "Faktura korygująca",
    "ZAL": "Faktura zaliczkowa",
    "ROZ": "Faktura rozliczeniowa",
    "UPR": "Faktura uproszczona",
    "KOR_ZAL": "Korekta faktury zaliczkowej",
    "KOR_ROZ": "Korekta faktury rozliczeniowej",
}
NEW_KINDS = ("VAT", "KOR", "ZAL", "ROZ", "UPR")
"""Kinds a new form offers; KOR_ZAL and KOR_ROZ come only from "Wystaw korektę" on a ZAL or ROZ."""
CORRECTION_KINDS = frozenset({"KOR", "KOR_ZAL", "KOR_ROZ"})

PAYMENT_METHODS: dict[int, str] = {
    6: "Przelew",
    1: "Gotówka",
    2: "Karta",
    3: "Bon",
    4: "Czek",
    5: "Kredyt",
    7: "Mobilna",
}

GTU_CODES: dict[str, str] = {
    "GTU_01": "GTU_01 napoje alkoholowe",
    "GTU_02": "GTU_02 paliwa",
    "GTU_03": "GTU_03 oleje opałowe i smarowe",
    "GTU_04": "GTU_04 wyroby tytoniowe",
    "GTU_05": "GTU_05 odpady",
    "GTU_06": "GTU_06 urządzenia elektroniczne",
    "GTU_07": "GTU_07 pojazdy i części",
    "GTU_08": "GTU_08 metale szlachetne",
    "GTU_09": "GTU_09 leki i wyroby medyczne",
    "GTU_10": "GTU_10 budynki i grunty",
    "GTU_11": "GTU_11 uprawnienia do emisji gazów",
    "GTU_12": "GTU_12 usługi niematerialne",
    "GTU_13": "GTU_13 usługi transportowe",
}

EXEMPTION_BASES: dict[str, tuple[str, str]] = {
    "art43_1_29": ("P_19A", "art. 43 ust. 1 pkt 29 lit. a ustawy o VAT (szkolenia zawodowe)"),
    "art43_1_18": ("P_19A", "art. 43 ust. 1 pkt 18 ustawy o VAT (usługi medyczne)"),
    "art43_1_26": ("P_19A", "art. 43 ust. 1 pkt 26 ustawy o VAT (usługi edukacyjne)"),
    "art43_1_37": ("P_19A", "art. 43 ust. 1 pkt 37 ustawy o VAT (usługi ubezpieczeniowe)"),
    "art43_1_38": ("P_19A", "art. 43 ust. 1 pkt 38 ustawy o VAT (usługi finansowe)"),
    "art43_1_10": ("P_19A", "art. 43 ust. 1 pkt 10 ustawy o VAT (dostawa budynków)"),
    "art113": ("P_19A", "art. 113 ust. 1 ustawy o VAT (zwolnienie podmiotowe)"),
    "art132_dyr": ("P_19B", "art. 132 dyrektywy 2006/112/WE"),
    "other": ("P_19C", ""),
}
"""Chooser of the exemption basis (``zw``): key → (FA(3) field, text). "other" takes free text."""

_TEXT_LIMITS = {
    "buyer_name": 512,
    "buyer_address1": 512,
    "buyer_address2": 512,
    "buyer_email": 255,
    "place": 256,
    "number": 256,
    "notes": 3500,
    "correction_reason": 256,
    "corrected_number": 256,
    "corrected_ksef": 35,
    "exemption_text": 256,
    "bank_account": 34,
    "bank_name": 256,
    "order_number": 256,
    "advance_amount": 32,
}
_LINE_TEXT_LIMITS = {"name": 512, "unit": 256}
_PARTY_KEYS = ("DaneIdentyfikacyjne", "Adres", "AdresKoresp", "DaneKontaktowe")  # Podmiot1 ∩ Podmiot2
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_KSEF_NUMBER = re.compile(r"^\d{10}-\d{8}-[0-9A-F]{12}-[0-9A-F]{2}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ADVANCE_KEY = re.compile(r"^advance-(\d{1,12})$")
_EXTERNAL_KEY = re.compile(r"^ext-(\d{1,3})-(number|ksef|amount)$")
MAX_EXTERNAL_ADVANCES = 20


@dataclass
class FormLine:
    """One line as typed (texts kept for redisplay) and as parsed."""

    name: str = ""
    unit: str = "szt."
    qty: str = "1"
    price: str = ""
    discount: str = ""
    rate: str = "23"
    gtu: str = ""
    before: bool = False  # correction: the state before (StanPrzed)
    index: int = 0  # the index in the posted field names (``line-<index>-name``), kept for redisplay


@dataclass
class ExternalRow:
    """A ROZ's advance invoice issued outside Fakturnik, as typed (``ext-<index>-number|ksef|amount``)."""

    index: int = 0
    number: str = ""
    ksef: str = ""
    amount: str = ""

    @property
    def blank(self) -> bool:
        return not (self.number or self.ksef or self.amount)


@dataclass
class InvoiceForm:
    """Everything the form posts, as text, plus the problems found while reading it."""

    kind: str = "VAT"
    number: str = ""
    issue_date: str = ""
    sale_date: str = ""
    place: str = ""
    buyer_nip: str = ""
    buyer_name: str = ""
    buyer_address1: str = ""
    buyer_address2: str = ""
    buyer_email: str = ""
    currency: str = "PLN"
    exchange_rate: str = ""
    price_mode: str = "net"
    exemption: str = ""
    exemption_text: str = ""
    split_payment: bool = False
    reverse_charge: bool = False
    payment_method: str = "6"
    due_mode: str = "days"
    due_days: str = "14"
    due_date: str = ""
    bank_account: str = ""
    bank_name: str = ""
    paid: bool = False
    self_billing: bool = False  # samofakturowanie: the party typed is the seller, the company the buyer
    notes: str = ""
    correction_reason: str = ""
    correction_type: str = ""
    corrected_number: str = ""
    corrected_date: str = ""
    corrected_ksef: str = ""
    order_number: str = ""
    order_value: str = ""
    advance_amount: str = ""  # ZAL: the advance received (gross); KOR_ZAL: the advance after the correction
    advance_ids: list[int] = field(default_factory=list)  # ROZ: the company's ZAL invoices it settles
    external_rows: list[ExternalRow] = field(default_factory=list)  # ROZ: advances invoiced elsewhere
    lines: list[FormLine] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)


def _clean(text: str) -> str:
    return _CONTROL.sub("", text).strip()


def _get(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return _clean(value) if isinstance(value, str) else ""


def _flag(data: Mapping[str, Any], name: str) -> bool:
    return _get(data, name) in {"1", "on", "true", "tak"}


_LINE_KEY = re.compile(r"^line-(\d{1,6})-(name|unit|qty|price|discount|rate|gtu|before)$")


def parse_form(data: Mapping[str, Any]) -> InvoiceForm:
    """Read the posted fields (a mapping of name → text) into a form; nothing here raises."""
    form = InvoiceForm()
    for name in (
        "kind", "number", "issue_date", "sale_date", "place", "buyer_nip", "buyer_name", "buyer_address1",
        "buyer_address2", "buyer_email", "currency", "exchange_rate", "price_mode", "exemption",
        "exemption_text", "payment_method", "due_mode", "due_days", "due_date", "bank_account", "bank_name",
        "notes", "correction_reason", "correction_type", "corrected_number", "corrected_date",
        "corrected_ksef", "order_number", "order_value", "advance_amount",
    ):  # fmt: skip
        if name in data:
            setattr(form, name, _get(data, name))
    form.split_payment = _flag(data, "split_payment")
    form.reverse_charge = _flag(data, "reverse_charge")
    form.paid = _flag(data, "paid")
    form.self_billing = _flag(data, "self_billing")
    for key in data:
        advance = _ADVANCE_KEY.match(key)
        if advance and _flag(data, key) and len(form.advance_ids) < 100:
            form.advance_ids.append(int(advance.group(1)))
    for index in external_indices(data):
        row = ExternalRow(
            index=index,
            number=_get(data, f"ext-{index}-number"),
            ksef=_get(data, f"ext-{index}-ksef"),
            amount=_get(data, f"ext-{index}-amount"),
        )
        if not row.blank:
            form.external_rows.append(row)
    indices: set[int] = set()
    for key in data:
        match = _LINE_KEY.match(key)
        if match:
            indices.add(int(match.group(1)))
            if len(indices) > MAX_LINES:
                form.error("lines", f"Za dużo pozycji: faktura w formularzu może mieć najwyżej {MAX_LINES}.")
                return form
    for index in sorted(indices):
        line = FormLine(
            name=_get(data, f"line-{index}-name"),
            unit=_get(data, f"line-{index}-unit"),
            qty=_get(data, f"line-{index}-qty"),
            price=_get(data, f"line-{index}-price"),
            discount=_get(data, f"line-{index}-discount"),
            rate=_get(data, f"line-{index}-rate"),
            gtu=_get(data, f"line-{index}-gtu"),
            before=_flag(data, f"line-{index}-before"),
            index=index,
        )
        if any((line.name, line.price, line.qty not in ("", "1"))) or line.before:
            form.lines.append(line)
    return form


def _date(form: InvoiceForm, name: str, *, required: bool) -> date | None:
    text = getattr(form, name)
    if not text:
        if required:
            form.error(name, "Podaj datę.")
        return None
    for parse in (date.fromisoformat, _polish_date):
        try:
            return parse(text)
        except ValueError:
            continue
    form.error(name, "Niepoprawna data; wpisz ją jako DD.MM.RRRR.")
    return None


def _polish_date(text: str) -> date:
    match = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", text)
    if not match:
        raise ValueError(text)
    return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))


def _decimal(
    form: InvoiceForm, name: str, text: str, *, required: bool, positive: bool = False
) -> Decimal | None:
    if not text:
        if required:
            form.error(name, "Podaj kwotę." if "price" in name else "Podaj wartość.")
        return None
    value = parse_amount(text)
    if value is None:
        form.error(name, "To nie jest liczba; wpisz np. 1 234,56.")
        return None
    if abs(value) >= Decimal("1e15"):
        form.error(name, "Za duża liczba.")
        return None
    if positive and value <= 0:
        form.error(name, "Wartość musi być większa od zera.")
        return None
    return value


def _text(form: InvoiceForm, name: str, *, required: bool = False, message: str = "") -> str:
    text = str(getattr(form, name))
    limit = _TEXT_LIMITS.get(name, 256)
    if len(text) > limit:
        form.error(name, f"Za długi tekst (najwyżej {limit} znaków).")
    elif required and not text:
        form.error(name, message or "To pole jest wymagane.")
    return text


def _nip(form: InvoiceForm) -> str:
    digits = re.sub(r"[\s-]", "", form.buyer_nip).removeprefix("PL")
    if not digits:
        if form.kind != "UPR":
            form.error("buyer_nip", "Podaj NIP nabywcy.")
        return ""
    if not pl_nip.is_valid(digits):
        form.error("buyer_nip", "Niepoprawny NIP (10 cyfr z poprawną cyfrą kontrolną).")
        return ""
    return digits


def to_draft(
    form: InvoiceForm, *, seller: Mapping[str, Any], today: date | None = None
) -> dict[str, Any] | None:
    """The FA(3) JSON draft of ``form`` for ``seller`` (``Podmiot1`` as a dict), or None when the form
    has problems (they are in ``form.errors``, one per field). The number ``P_2`` is the typed one or
    ``"AUTO"`` (the series fills it in when the invoice is issued)."""
    today = today or warsaw_today()
    kind = form.kind if form.kind in INVOICE_KINDS else "VAT"
    if form.kind not in INVOICE_KINDS:
        form.error("kind", "Nieznany rodzaj faktury.")
    issue_date = _date(form, "issue_date", required=True)
    sale_date = _date(form, "sale_date", required=False)
    nip = _nip(form)
    buyer_name = _text(form, "buyer_name", required=kind != "UPR", message="Podaj nazwę nabywcy.")
    address1 = _text(form, "buyer_address1")
    address2 = _text(form, "buyer_address2")
    email = _text(form, "buyer_email")
    if email and not _EMAIL.match(email):
        form.error("buyer_email", "Niepoprawny adres e-mail.")
    place = _text(form, "place")
    number = _text(form, "number")
    notes = _text(form, "notes")
    currency = form.currency.upper() or "PLN"
    if not _CURRENCY.match(currency):
        form.error("currency", "Kod waluty to trzy litery, np. EUR.")
        currency = "PLN"
    rate_of_exchange = None
    if currency != "PLN":
        rate_of_exchange = _decimal(form, "exchange_rate", form.exchange_rate, required=True, positive=True)
    gross = form.price_mode == "gross"
    if form.price_mode not in ("net", "gross"):
        form.error("price_mode", "Wybierz ceny netto albo brutto.")

    if "lines" in form.errors:
        return None
    if not form.lines:
        form.error(
            "lines",
            "Dodaj pozycje zamówienia." if kind in ("ZAL", "KOR_ZAL") else "Dodaj co najmniej jedną pozycję.",
        )
    lines: list[dict[str, Any]] = []
    has_exempt = False
    for line in form.lines:
        prefix = f"line-{line.index}-"
        if not line.name:
            form.error(prefix + "name", "Podaj nazwę towaru lub usługi.")
        for key, limit in _LINE_TEXT_LIMITS.items():
            if len(getattr(line, key)) > limit:
                form.error(prefix + key, f"Za długi tekst (najwyżej {limit} znaków).")
        qty = _decimal(form, prefix + "qty", line.qty or "1", required=True, positive=True)
        price = _decimal(form, prefix + "price", line.price, required=True)
        discount = _decimal(form, prefix + "discount", line.discount, required=False)
        if discount is not None and price is not None and discount > abs(price):
            form.error(prefix + "discount", "Rabat nie może być większy niż cena.")
        if line.rate not in VAT_RATES:
            form.error(prefix + "rate", "Wybierz stawkę VAT z listy.")
        if line.gtu and line.gtu not in GTU_CODES:
            form.error(prefix + "gtu", "Wybierz oznaczenie GTU z listy.")
        has_exempt = has_exempt or line.rate == "zw"
        item: dict[str, Any] = {"P_7": line.name, "P_8A": line.unit or "szt."}
        if qty is not None:
            item["P_8B"] = qty
        if price is not None:
            item["P_9B" if gross else "P_9A"] = price
        if discount:
            item["P_10"] = discount
        if line.rate in VAT_RATES:
            item["P_12"] = line.rate
        if line.gtu in GTU_CODES:
            item["GTU"] = line.gtu
        if line.before:
            item["StanPrzed"] = 1
        lines.append(item)

    exemption: dict[str, Any] = {"P_19N": 1}
    if has_exempt:
        basis = EXEMPTION_BASES.get(form.exemption)
        if basis is None:
            form.error("exemption", "Dla stawki zw wybierz podstawę zwolnienia.")
        else:
            field_name, text = basis
            if form.exemption == "other":
                text = _text(form, "exemption_text", required=True, message="Wpisz podstawę zwolnienia.")
            exemption = {"P_19": 1, field_name: text}

    payment: dict[str, Any] = {}
    try:
        method = int(form.payment_method or "6")
        if method not in PAYMENT_METHODS:
            raise ValueError(method)
        payment["FormaPlatnosci"] = method
    except ValueError:
        form.error("payment_method", "Wybierz formę płatności z listy.")
    if form.due_mode == "date":
        due = _date(form, "due_date", required=False)
        if due is not None:
            if issue_date is not None and due < issue_date:
                form.error("due_date", "Termin płatności nie może być przed datą wystawienia.")
            payment["TerminPlatnosci"] = [{"Termin": due}]
    elif form.due_days:
        if not form.due_days.isdigit() or int(form.due_days) > 365:
            form.error("due_days", "Podaj liczbę dni od 0 do 365.")
        elif issue_date is not None:
            payment["TerminPlatnosci"] = [{"Termin": issue_date + timedelta(days=int(form.due_days))}]
    account = re.sub(r"[\s-]", "", _text(form, "bank_account")).upper()
    if account:
        if not re.fullmatch(r"(PL)?\d{26}|[A-Z]{2}\d{2}[A-Z0-9]{10,30}", account):
            form.error("bank_account", "Niepoprawny numer rachunku (26 cyfr NRB lub IBAN).")
        else:
            bank: dict[str, Any] = {"NrRB": account.removeprefix("PL")}
            if form.bank_name:
                bank["NazwaBanku"] = _text(form, "bank_name")
            payment["RachunekBankowy"] = [bank]
    elif form.split_payment:
        form.error("bank_account", "Mechanizm podzielonej płatności wymaga numeru rachunku.")
    if form.paid and issue_date is not None:
        payment = {"Zaplacono": 1, "DataZaplaty": issue_date, **payment}
        payment.pop("TerminPlatnosci", None)

    fa: dict[str, Any] = {
        "KodWaluty": currency,
        "P_1": issue_date,
        "P_2": number or "AUTO",
        "RodzajFaktury": kind,
        "Adnotacje": {
            "P_16": 2,
            "P_17": 2,
            "P_18": 1 if form.reverse_charge else 2,
            "P_18A": 1 if form.split_payment else 2,
            "Zwolnienie": exemption,
            "NoweSrodkiTransportu": {"P_22N": 1},
            "P_23": 2,
            "PMarzy": {"P_PMarzyN": 1},
        },
        "FaWiersz": lines,
    }
    if place:
        fa["P_1M"] = place
    if sale_date is not None and sale_date != issue_date:
        fa["P_6"] = sale_date
    if rate_of_exchange is not None:
        fa["KursWalutyZ"] = rate_of_exchange
    if kind in CORRECTION_KINDS:
        fa["PrzyczynaKorekty"] = _text(
            form, "correction_reason", required=True, message="Podaj przyczynę korekty."
        )
        if form.correction_type:
            if form.correction_type not in ("1", "2", "3"):
                form.error("correction_type", "Wybierz typ korekty z listy.")
            else:
                fa["TypKorekty"] = int(form.correction_type)
        corrected_date = _date(form, "corrected_date", required=True)
        corrected_number = _text(
            form, "corrected_number", required=True, message="Podaj numer korygowanej faktury."
        )
        corrected: dict[str, Any] = {
            "DataWystFaKorygowanej": corrected_date,
            "NrFaKorygowanej": corrected_number,
        }
        ksef_number = form.corrected_ksef.strip()
        if ksef_number:
            if not _KSEF_NUMBER.match(ksef_number):
                form.error(
                    "corrected_ksef", "Niepoprawny numer KSeF (np. 5265877635-20260202-0123456789AB-CD)."
                )
            corrected.update({"NrKSeF": 1, "NrKSeFFaKorygowanej": ksef_number})
        else:
            corrected["NrKSeFN"] = 1
        fa["DaneFaKorygowanej"] = [corrected]
    if kind in ("ZAL", "KOR_ZAL"):
        # the lines are the order's; fakturnik.app.advances turns them into Zamowienie with the
        # advance's summary (AdvancesService.complete)
        advance = _decimal(form, "advance_amount", form.advance_amount, required=True, positive=kind == "ZAL")
        if advance is not None and advance < 0:
            form.error("advance_amount", "Zaliczka nie może być ujemna.")
        elif advance is not None:
            fa["P_15"] = advance  # the advance: AdvancesService.complete computes the summary from it
        order_number = _text(form, "order_number")
        if order_number:
            fa["WarunkiTransakcji"] = {"Zamowienia": [{"NrZamowienia": order_number}]}
    if kind == "ROZ":
        external = external_advances(form)
        if not form.advance_ids and not form.external_rows:
            form.error(
                "advances",
                "Zaznacz faktury zaliczkowe, które ta faktura rozlicza, albo wpisz zaliczkę wystawioną "
                "poza Fakturnikiem.",
            )
        elif len(form.advance_ids) + len(external) > 100:
            form.error("advances", "Najwyżej 100 faktur zaliczkowych.")
        order_number = _text(form, "order_number")
        if order_number:
            fa["WarunkiTransakcji"] = {"Zamowienia": [{"NrZamowienia": order_number}]}
    if payment:
        fa["Platnosc"] = payment

    buyer_id: dict[str, Any] = {"NIP": nip} if nip else {"BrakID": 1}
    if buyer_name:
        buyer_id["Nazwa"] = buyer_name
    buyer: dict[str, Any] = {"DaneIdentyfikacyjne": buyer_id}
    if address1:
        buyer["Adres"] = {
            "KodKraju": "PL",
            "AdresL1": address1,
            **({"AdresL2": address2} if address2 else {}),
        }
    if email:
        buyer["DaneKontaktowe"] = [{"Email": email}]
    parties: dict[str, Any] = {"Podmiot1": dict(seller), "Podmiot2": buyer}
    if form.self_billing:  # art. 106d: the company issues as the buyer, in the name of the party typed
        if not address1:
            form.error("buyer_address1", "Podaj adres sprzedawcy.")
        if not nip and "buyer_nip" not in form.errors:
            form.error("buyer_nip", "Podaj NIP sprzedawcy.")
        company = {k: v for k, v in seller.items() if k in _PARTY_KEYS}
        parties = {"Podmiot1": buyer, "Podmiot2": company}
        fa["Adnotacje"]["P_17"] = 1
    draft: dict[str, Any] = {"Naglowek": {"SystemInfo": "Fakturnik"}, **parties, "Fa": fa}
    if notes:
        draft["Stopka"] = {"Informacje": [{"StopkaFaktury": notes}]}
    if form.errors:
        return None
    return draft


_LINE_PATH = re.compile(r"^Fa/FaWiersz\[(\d+)\]/(\w+)")
_LINE_FIELDS = {
    "P_7": "name",
    "P_8A": "unit",
    "P_8B": "qty",
    "P_9A": "price",
    "P_9B": "price",
    "P_10": "discount",
    "P_11": "price",
    "P_11A": "price",
    "P_12": "rate",
    "GTU": "gtu",
}
_PATH_FIELDS = {
    "Podmiot2/DaneIdentyfikacyjne/NIP": "buyer_nip",
    "Podmiot2/DaneIdentyfikacyjne/Nazwa": "buyer_name",
    "Podmiot2/Adres/AdresL1": "buyer_address1",
    "Podmiot2/Adres/AdresL2": "buyer_address2",
    "Podmiot2/DaneKontaktowe": "buyer_email",
    "Fa/P_1M": "place",
    "Fa/P_1": "issue_date",
    "Fa/P_2": "number",
    "Fa/P_6": "sale_date",
    "Fa/KodWaluty": "currency",
    "Fa/KursWalutyZ": "exchange_rate",
    "Fa/Adnotacje/Zwolnienie": "exemption",
    "Fa/Adnotacje/P_18A": "split_payment",
    "Fa/PrzyczynaKorekty": "correction_reason",
    "Fa/DaneFaKorygowanej": "corrected_number",
    "Fa/Platnosc/RachunekBankowy": "bank_account",
    "Fa/Platnosc/TerminPlatnosci": "due_date",
    "Fa/Platnosc/FormaPlatnosci": "payment_method",
    "Fa/Zamowienie": "lines",
    "Fa/FakturaZaliczkowa": "advances",
    "Fa/WarunkiTransakcji": "order_number",
    "Stopka": "notes",
    "Fa/FaWiersz": "lines",
}


def form_field(form: InvoiceForm, path: str) -> str:
    """The field of ``form`` an FA(3) problem path belongs to: like :func:`field_for_path`, with the
    line's position on the invoice turned into its index in the posted names."""
    name = field_for_path(path)
    if form.kind in ("ZAL", "KOR_ZAL") and path.removeprefix("/").removeprefix("Faktura/") in (
        "Fa/P_15",
        "Fa/P_15ZK",
    ):
        return "advance_amount"
    if name.startswith("line-"):
        _, position, rest = name.split("-", 2)
        lines = form.lines
        return f"line-{lines[int(position)].index}-{rest}" if int(position) < len(lines) else "lines"
    return name


def field_for_path(path: str) -> str:
    """The form field an FA(3) problem path belongs to (``""`` = the form as a whole); a line's field
    is named by its position on the invoice (``Fa/FaWiersz[2]/P_12`` → ``line-1-rate``)."""
    path = path.removeprefix("/").removeprefix("Faktura/")
    match = _LINE_PATH.match(path)
    if match:
        return f"line-{int(match.group(1)) - 1}-{_LINE_FIELDS.get(match.group(2), 'name')}"
    best = ""
    for prefix in _PATH_FIELDS:
        boundary = path == prefix or path.startswith((prefix + "/", prefix + "["))
        if boundary and len(prefix) > len(best):
            best = prefix
    return _PATH_FIELDS.get(best, "")


def _s(value: Any) -> str:
    return "" if value is None else str(value)


def form_from_draft(draft: Mapping[str, Any]) -> InvoiceForm:
    """The form filled from an FA(3) JSON draft (duplicate, correction, a saved draft): the reverse of
    :func:`to_draft` for everything the form has a field for."""
    fa: Mapping[str, Any] = draft.get("Fa") or {}
    self_billing = (fa.get("Adnotacje") or {}).get("P_17") in (1, "1")
    buyer: Mapping[str, Any] = draft.get("Podmiot1" if self_billing else "Podmiot2") or {}
    ids: Mapping[str, Any] = buyer.get("DaneIdentyfikacyjne") or {}
    address: Mapping[str, Any] = buyer.get("Adres") or {}
    contacts = buyer.get("DaneKontaktowe") or []
    notes = (draft.get("Stopka") or {}).get("Informacje") or []
    annotations: Mapping[str, Any] = fa.get("Adnotacje") or {}
    exemption: Mapping[str, Any] = annotations.get("Zwolnienie") or {}
    payment: Mapping[str, Any] = fa.get("Platnosc") or {}
    terms = payment.get("TerminPlatnosci") or []
    accounts = payment.get("RachunekBankowy") or []
    form = InvoiceForm(
        kind=_s(fa.get("RodzajFaktury") or "VAT"),
        number="" if _s(fa.get("P_2")) == "AUTO" else _s(fa.get("P_2")),
        issue_date=_s(fa.get("P_1")),
        sale_date=_s(fa.get("P_6")),
        place=_s(fa.get("P_1M")),
        buyer_nip=_s(ids.get("NIP")),
        buyer_name=_s(ids.get("Nazwa")),
        buyer_address1=_s(address.get("AdresL1")),
        buyer_address2=_s(address.get("AdresL2")),
        buyer_email=_s(contacts[0].get("Email")) if contacts and isinstance(contacts[0], Mapping) else "",
        currency=_s(fa.get("KodWaluty") or "PLN"),
        exchange_rate=_s(fa.get("KursWalutyZ")),
        split_payment=annotations.get("P_18A") in (1, "1"),
        reverse_charge=annotations.get("P_18") in (1, "1"),
        payment_method=_s(payment.get("FormaPlatnosci") or "6"),
        bank_account=_s(accounts[0].get("NrRB")) if accounts and isinstance(accounts[0], Mapping) else "",
        bank_name=_s(accounts[0].get("NazwaBanku")) if accounts and isinstance(accounts[0], Mapping) else "",
        paid=payment.get("Zaplacono") in (1, "1"),
        self_billing=self_billing,
        notes=_s(notes[0].get("StopkaFaktury")) if notes and isinstance(notes[0], Mapping) else "",
        correction_reason=_s(fa.get("PrzyczynaKorekty")),
        correction_type=_s(fa.get("TypKorekty")),
    )
    if terms and isinstance(terms[0], Mapping) and terms[0].get("Termin"):
        form.due_mode, form.due_date, form.due_days = "date", _s(terms[0]["Termin"]), ""
    for key, (field_name, text) in EXEMPTION_BASES.items():
        if key != "other" and exemption.get(field_name) == text:
            form.exemption = key
            break
    else:
        for field_name in ("P_19A", "P_19B", "P_19C"):
            if exemption.get(field_name):
                form.exemption, form.exemption_text = "other", _s(exemption[field_name])
    corrected = fa.get("DaneFaKorygowanej") or []
    if corrected and isinstance(corrected[0], Mapping):
        form.corrected_number = _s(corrected[0].get("NrFaKorygowanej"))
        form.corrected_date = _s(corrected[0].get("DataWystFaKorygowanej"))
        form.corrected_ksef = _s(corrected[0].get("NrKSeFFaKorygowanej"))
    order = fa.get("Zamowienie") or {}
    if isinstance(order, Mapping) and order.get("WartoscZamowienia") is not None:
        form.order_value = _s(order["WartoscZamowienia"])
    orders = (fa.get("WarunkiTransakcji") or {}).get("Zamowienia") or []
    if orders and isinstance(orders[0], Mapping):
        form.order_number = _s(orders[0].get("NrZamowienia"))
    if form.kind == "ZAL":
        form.advance_amount = _s(fa.get("P_15"))
    lines = fa.get("FaWiersz") or []
    if not lines and isinstance(order, Mapping):  # an advance invoice: its lines are the order's
        lines = [
            order_line_as_line(row) for row in order.get("ZamowienieWiersz") or [] if isinstance(row, Mapping)
        ]
    gross = False
    for index, line in enumerate(lines):
        if not isinstance(line, Mapping):
            continue
        gross = gross or line.get("P_9B") is not None
        price = line.get("P_9B") if line.get("P_9B") is not None else line.get("P_9A")
        form.lines.append(
            FormLine(
                name=_s(line.get("P_7")),
                unit=_s(line.get("P_8A") or "szt."),
                qty=_s(line.get("P_8B") or "1"),
                price=_s(price),
                discount=_s(line.get("P_10")),
                rate=_s(line.get("P_12") or "23"),
                gtu=_s(line.get("GTU")),
                before=line.get("StanPrzed") in (1, "1"),
                index=index,
            )
        )
    form.price_mode = "gross" if gross else "net"
    return form


def order_line_as_line(row: Mapping[str, Any]) -> dict[str, Any]:
    """A ``ZamowienieWiersz`` (an advance invoice's order line) as a ``FaWiersz`` of the form."""
    line: dict[str, Any] = {"P_7": row.get("P_7Z"), "P_8A": row.get("P_8AZ"), "P_8B": row.get("P_8BZ")}
    price = row.get("P_9AZ")
    if price is None and row.get("P_11NettoZ") is not None:  # the order gave only the line's value
        line["P_8B"], price = None, row.get("P_11NettoZ")
    line.update({"P_9A": price, "P_12": row.get("P_12Z"), "GTU": row.get("GTUZ")})
    if row.get("StanPrzedZ") in (1, "1"):
        line["StanPrzed"] = 1
    return line


def document_lines(draft: Mapping[str, Any], limit: int = 1000) -> list[dict[str, Any]]:
    """The lines an invoice page shows: ``FaWiersz``, or an advance invoice's order lines with their value."""
    fa = draft.get("Fa") or {}
    lines = fa.get("FaWiersz") or []
    if not lines:
        rows = (fa.get("Zamowienie") or {}).get("ZamowienieWiersz") or []
        lines = [{**order_line_as_line(r), "P_11": r.get("P_11NettoZ")} for r in rows if isinstance(r, dict)]
    return [line for line in lines if isinstance(line, dict)][:limit]


def external_indices(data: Mapping[str, Any]) -> list[int]:
    """The indices of the ROZ's rows of advances invoiced elsewhere in the posted form, blank ones too."""
    return sorted({int(m.group(1)) for k in data if (m := _EXTERNAL_KEY.match(k))})[:MAX_EXTERNAL_ADVANCES]


def external_advances(form: InvoiceForm) -> list[ExternalAdvance]:
    """The ROZ's advances invoiced outside Fakturnik that are typed correctly; the problems of the
    others at their fields (``ext-<index>-number|ksef|amount``)."""
    from fakturnik.app.advances import external_advance
    from fakturnik.base.ksef_numbers import is_valid_ksef_number

    out: list[ExternalAdvance] = []
    for row in form.external_rows:
        prefix = f"ext-{row.index}-"
        if len(row.number) > 256:
            form.error(prefix + "number", "Za długi numer (najwyżej 256 znaków).")
        elif not row.number and not row.ksef:
            form.error(prefix + "number", "Podaj numer faktury zaliczkowej.")
        if row.ksef and not is_valid_ksef_number(row.ksef):
            form.error(prefix + "ksef", "Niepoprawny numer KSeF (np. 5265877635-20260202-0123456789AB-CD).")
        amount = _decimal(form, prefix + "amount", row.amount, required=True, positive=True)
        if amount is not None and amount != amount.quantize(Decimal("0.01")):
            form.error(prefix + "amount", "Kwota w złotych i groszach (najwyżej dwa miejsca po przecinku).")
        if amount is not None and not any(key.startswith(prefix) for key in form.errors):
            out.append(external_advance(row.number, amount, row.ksef or None))
    return out
