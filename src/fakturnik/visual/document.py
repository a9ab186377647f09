"""What a person reads on an FA(3) invoice, extracted from the XML tree for the templates.

Pure: bytes in (through the hardened parser), a frozen view out. Every value is read as the element's
whole string value (comments or CDATA inside a value never cut it short). The section order follows
the Ministry's own visualisation: header, parties, details, lines, VAT summary, annotations, payment,
settlement, orders/advances, additional descriptions, transaction terms, footer, attachment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

from fakturnik.base.xmlsafe import parse_xml
from fakturnik.errors import VisualError
from fakturnik.visual.formatting import amount as _fmt_amount
from fakturnik.visual.formatting import polish_date

__all__ = ["InvoiceDocument", "Line", "Party", "RateRow", "read_invoice"]

KIND_LABELS = {
    "VAT": "Faktura VAT",
    "KOR": "Faktura korygująca",
    "ZAL": "Faktura zaliczkowa",
    "ROZ": "Faktura rozliczeniowa",
    "UPR": "Faktura uproszczona",
    "KOR_ZAL": "Faktura korygująca fakturę zaliczkową",
    "KOR_ROZ": "Faktura korygująca fakturę rozliczeniową",
}
RATE_LABELS = {
    "0 KR": "0% (kraj)",
    "0 WDT": "0% WDT",
    "0 EX": "0% eksport",
    "zw": "zw",
    "oo": "oo",
    "np I": "np",
    "np II": "np",
}
_GROUPS = (
    ("1", "23% / 22%"),
    ("2", "8% / 7%"),
    ("3", "5%"),
    ("4", "4% / 3%"),
    ("5", "procedura OSS"),
    ("6_1", "0% (kraj)"),
    ("6_2", "0% WDT"),
    ("6_3", "0% eksport"),
    ("7", "zwolnione"),
    ("8", "np (poza krajem)"),
    ("9", "np (art. 100 ust. 1 pkt 4)"),
    ("10", "odwrotne obciążenie"),
    ("11", "marża"),
)
PAYMENT_FORMS = {
    "1": "gotówka",
    "2": "karta",
    "3": "bon",
    "4": "czek",
    "5": "kredyt",
    "6": "przelew",
    "7": "płatność mobilna",
}
ROLES = {
    "1": "Faktor",
    "2": "Odbiorca",
    "3": "Podmiot pierwotny",
    "4": "Dodatkowy nabywca",
    "5": "Wystawca faktury",
    "6": "Dokonujący płatności",
    "7": "JST — wystawca",
    "8": "JST — odbiorca",
    "9": "Członek grupy VAT — wystawca",
    "10": "Członek grupy VAT — odbiorca",
    "11": "Pracownik",
}
CORRECTION_TYPES = {
    "1": "skutek w dacie ujęcia faktury pierwotnej",
    "2": "skutek w dacie wystawienia faktury korygującej",
    "3": "skutek w innej dacie",
}
MARGIN = {
    "P_PMarzy_2": "biura podróży",
    "P_PMarzy_3_1": "towary używane",
    "P_PMarzy_3_2": "dzieła sztuki",
    "P_PMarzy_3_3": "przedmioty kolekcjonerskie i antyki",
}


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _text(el: etree._Element | None) -> str:
    """The element's whole string value (comments and CDATA never cut a value short)."""
    return "" if el is None else "".join(str(t) for t in el.itertext()).strip()


def _find(el: etree._Element | None, path: str) -> etree._Element | None:
    if el is None:
        return None
    return el.find("/".join("{*}" + p for p in path.split("/")))


def _all(el: etree._Element | None, path: str) -> list[etree._Element]:
    if el is None:
        return []
    return list(el.iterfind("/".join("{*}" + p for p in path.split("/"))))


def _get(el: etree._Element | None, path: str) -> str:
    return _text(_find(el, path))


# (tag, label) of what a party's contact, a party and an invoice line show when present
_CONTACT_LABELS = (("Email", "E-mail"), ("Telefon", "Tel."))
_PARTY_LABELS = (
    ("NrEORI", "EORI"),
    ("NrKlienta", "Numer klienta"),
    ("IDNabywcy", "ID nabywcy"),
    ("Udzial", "Udział"),
    ("StatusInfoPodatnika", "Status podatnika"),
)
_LINE_LABELS = (
    ("Indeks", "indeks"),
    ("GTIN", "GTIN"),
    ("PKWiU", "PKWiU"),
    ("CN", "CN"),
    ("PKOB", "PKOB"),
    ("GTU", ""),
    ("Procedura", "procedura"),
    ("P_6A", "data dostawy"),
    ("KwotaAkcyzy", "akcyza"),
    ("KursWaluty", "kurs"),
)


def _present(el: etree._Element | None, labels: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    """(label, text) of each ``(tag, label)`` whose element in ``el`` has text, in the order given."""
    return [(label, value) for tag, label in labels if (value := _get(el, tag))]


def _amount(text: str) -> Decimal | None:
    if not text or len(text) > 40:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _money(text: str) -> str:
    value = _amount(text)
    return text if value is None else _fmt_amount(value)


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Party:
    heading: str
    name: str = ""
    ids: tuple[tuple[str, str], ...] = ()
    address: tuple[str, ...] = ()
    correspondence: tuple[str, ...] = ()
    contact: tuple[tuple[str, str], ...] = ()
    extra: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Line:
    number: str
    name: str
    unit: str
    quantity: Decimal | None
    unit_net: Decimal | None
    unit_gross: Decimal | None
    discount: Decimal | None
    net: Decimal | None
    gross: Decimal | None
    rate: str
    notes: tuple[str, ...] = ()
    before: bool = False


@dataclass(frozen=True)
class RateRow:
    label: str
    net: Decimal | None
    vat: Decimal | None
    vat_pln: Decimal | None
    gross: Decimal | None


@dataclass(frozen=True)
class Table:
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    footer: tuple[str, ...] = ()


@dataclass(frozen=True)
class InvoiceDocument:
    kind: str
    kind_label: str
    number: str
    currency: str
    issue_date: date | None
    issue_place: str
    seller_nip: str
    sale: str
    seller: Party
    buyer: Party
    others: tuple[Party, ...]
    lines: tuple[Line, ...]
    rates: tuple[RateRow, ...]
    total: Decimal | None
    details: tuple[tuple[str, str], ...] = ()
    annotations: tuple[str, ...] = ()
    correction: tuple[tuple[str, str], ...] = ()
    payment: tuple[tuple[str, str], ...] = ()
    accounts: tuple[tuple[tuple[str, str], ...], ...] = ()
    settlement: tuple[tuple[str, str], ...] = ()
    descriptions: tuple[tuple[str, str], ...] = ()
    terms: tuple[tuple[str, str], ...] = ()
    tables: tuple[Table, ...] = ()
    footer: tuple[str, ...] = ()
    registers: tuple[tuple[str, str], ...] = ()
    attachment: tuple[Table | tuple[str, ...], ...] = ()
    system_info: str = ""
    has_line_gross: bool = False
    foreign: bool = False
    extra: dict[str, str] = field(default_factory=dict)


def _address(el: etree._Element | None) -> tuple[str, ...]:
    if el is None:
        return ()
    lines = [_get(el, "AdresL1"), _get(el, "AdresL2")]
    country = _get(el, "KodKraju")
    if country and country != "PL":
        lines.append(country)
    gln = _get(el, "GLN")
    if gln:
        lines.append(f"GLN {gln}")
    return tuple(x for x in lines if x)


def _ids(data: etree._Element | None) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    if data is None:
        return ()
    nip = _get(data, "NIP")
    if nip:
        out.append(("NIP", nip))
    eu = _get(data, "NrVatUE")
    if eu:
        out.append(("NIP UE", _get(data, "KodUE") + eu))
    other = _get(data, "NrID")
    if other:
        out.append(("Identyfikator", (_get(data, "KodKraju") + " " + other).strip()))
    if _find(data, "BrakID") is not None:
        out.append(("Identyfikator", "brak"))
    iddw = _get(data, "IDWew")
    if iddw:
        out.append(("ID wewnętrzny", iddw))
    return tuple(out)


def _party(el: etree._Element | None, heading: str) -> Party:
    if el is None:
        return Party(heading)
    data = _find(el, "DaneIdentyfikacyjne")
    contact = [pair for c in _all(el, "DaneKontaktowe") for pair in _present(c, _CONTACT_LABELS)]
    extra = [
        (label, value + ("%" if label == "Udział" else "")) for label, value in _present(el, _PARTY_LABELS)
    ]
    prefix = _get(el, "PrefiksPodatnika")
    ids = _ids(data)
    if prefix and ids and ids[0][0] == "NIP":
        ids = (("NIP", prefix + ids[0][1]), *ids[1:])
    return Party(
        heading,
        _get(data, "Nazwa"),
        ids,
        _address(_find(el, "Adres")),
        _address(_find(el, "AdresKoresp")),
        tuple(contact),
        tuple(extra),
    )


def _role(el: etree._Element) -> str:
    role = _get(el, "Rola")
    if role:
        return ROLES.get(role, f"Rola {role}")
    return _get(el, "OpisRoli") or "Podmiot trzeci"


def _line(el: etree._Element) -> Line:
    notes = [f"{label} {value}".strip() for label, value in _present(el, _LINE_LABELS)]
    rate = _get(el, "P_12")
    oss = _get(el, "P_12_XII")
    if oss:
        rate = f"{oss}% OSS"
    return Line(
        number=_get(el, "NrWierszaFa"),
        name=_get(el, "P_7"),
        unit=_get(el, "P_8A"),
        quantity=_amount(_get(el, "P_8B")),
        unit_net=_amount(_get(el, "P_9A")),
        unit_gross=_amount(_get(el, "P_9B")),
        discount=_amount(_get(el, "P_10")),
        net=_amount(_get(el, "P_11")),
        gross=_amount(_get(el, "P_11A")),
        rate=RATE_LABELS.get(rate, f"{rate}%" if rate.isdigit() else rate),
        notes=tuple(notes),
        before=_get(el, "StanPrzed") == "1",
    )


def _rates(fa: etree._Element) -> tuple[RateRow, ...]:
    rows = []
    for group, label in _GROUPS:
        net = _amount(_get(fa, f"P_13_{group}"))
        vat = _amount(_get(fa, f"P_14_{group}"))
        vat_pln = _amount(_get(fa, f"P_14_{group}W"))
        if net is None and vat is None:
            continue
        gross = (net or Decimal(0)) + (vat or Decimal(0)) if net is not None else None
        rows.append(RateRow(label, net, vat, vat_pln, gross))
    return tuple(rows)


def _annotations(fa: etree._Element) -> tuple[str, ...]:
    adn = _find(fa, "Adnotacje")
    out: list[str] = []
    if adn is None:
        return ()
    for tag, text in (
        ("P_16", "Metoda kasowa"),
        ("P_17", "Samofakturowanie"),
        ("P_18", "Odwrotne obciążenie"),
        ("P_18A", "Mechanizm podzielonej płatności"),
        ("P_23", "Procedura uproszczona — VAT: faktura WE uproszczona (art. 135–138 ustawy)"),
    ):
        if _get(adn, tag) == "1":
            out.append(text)
    zw = _find(adn, "Zwolnienie")
    if zw is not None and _get(zw, "P_19") == "1":
        basis = _get(zw, "P_19A") or _get(zw, "P_19B") or _get(zw, "P_19C")
        out.append(f"Zwolnienie z podatku VAT — podstawa: {basis}" if basis else "Zwolnienie z podatku VAT")
    if _get(adn, "NoweSrodkiTransportu/P_22") == "1":
        out.append("Wewnątrzwspólnotowa dostawa nowych środków transportu")
    pm = _find(adn, "PMarzy")
    if pm is not None and _get(pm, "P_PMarzy") == "1":
        kinds = [label for tag, label in MARGIN.items() if _get(pm, tag) == "1"]
        out.append("Procedura marży" + (f" — {', '.join(kinds)}" if kinds else ""))
    return tuple(out)


def _pairs(el: etree._Element | None, prefix: str = "") -> list[tuple[str, str]]:
    """Leaf values of a subtree as (label, value), labels from the element names."""
    out: list[tuple[str, str]] = []
    if el is None:
        return out
    for child in el:
        if not isinstance(child.tag, str):
            continue
        name = _local(child)
        if len(child):
            out.extend(_pairs(child, f"{prefix}{name} › "))
        else:
            value = _text(child)
            if value:
                out.append((prefix + name, value))
    return out


_DETAIL_LABELS = {
    "NrZamowienia": "Nr zamówienia",
    "DataZamowienia": "Data zamówienia",
    "NrUmowy": "Nr umowy",
    "DataUmowy": "Data umowy",
}


def _payment(fa: etree._Element) -> tuple[list[tuple[str, str]], list[tuple[tuple[str, str], ...]]]:
    pay = _find(fa, "Platnosc")
    out: list[tuple[str, str]] = []
    accounts: list[tuple[tuple[str, str], ...]] = []
    if pay is None:
        return out, accounts
    form = _get(pay, "FormaPlatnosci")
    if form:
        out.append(("Forma płatności", PAYMENT_FORMS.get(form, form)))
    other = _get(pay, "OpisPlatnosci")
    if other:
        out.append(("Forma płatności", other))
    for term in _all(pay, "TerminPlatnosci"):
        when = _get(term, "Termin")
        desc = " ".join(
            x for x in (_get(term, "TerminOpis/Ilosc"), _get(term, "TerminOpis/Jednostka"),
                        _get(term, "TerminOpis/ZdarzeniePoczatkowe")) if x
        )  # fmt: skip
        out.append(("Termin płatności", polish_date(when) + (f" ({desc})" if desc else "")))
    if _get(pay, "Zaplacono") == "1":
        out.append(("Zapłacono", polish_date(_get(pay, "DataZaplaty"))))
    for part in _all(pay, "ZaplataCzesciowa"):
        paid = _money(_get(part, "KwotaZaplatyCzesciowej"))
        out.append(("Zapłata częściowa", f"{paid} — {polish_date(_get(part, 'DataZaplatyCzesciowej'))}"))
    for tag, label in (("RachunekBankowy", "Rachunek"), ("RachunekBankowyFaktora", "Rachunek faktora")):
        for acc in _all(pay, tag):
            rows = [(label, _get(acc, "NrRB"))]
            for sub, sub_label in (("SWIFT", "SWIFT"), ("NazwaBanku", "Bank"), ("OpisRachunku", "Opis")):
                value = _get(acc, sub)
                if value:
                    rows.append((sub_label, value))
            accounts.append(tuple(rows))
    skonto = _find(pay, "Skonto")
    if skonto is not None:
        out.append(("Skonto", f"{_get(skonto, 'WarunkiSkonta')}: {_get(skonto, 'WysokoscSkonta')}"))
    for tag, label in (("LinkDoPlatnosci", "Link do płatności"), ("IPKSeF", "Identyfikator płatności KSeF")):
        value = _get(pay, tag)
        if value:
            out.append((label, value))
    return out, accounts


def _attachment(root: etree._Element) -> list[Table | tuple[str, ...]]:
    out: list[Table | tuple[str, ...]] = []
    for block in _all(root, "Zalacznik/BlokDanych"):
        title = _get(block, "ZNaglowek")
        meta = [(_get(m, "ZKlucz"), _get(m, "ZWartosc")) for m in _all(block, "MetaDane")]
        if title or meta:
            out.append(Table(title or "Dane", ("Klucz", "Wartość"), tuple(meta)))
        for text in _all(block, "Tekst"):
            out.append(tuple(_text(p) for p in _all(text, "Akapit")))
        for tab in _all(block, "Tabela"):
            header = tuple(_get(k, "NKom") for k in _all(tab, "TNaglowek/Kol"))
            rows = tuple(tuple(_text(c) for c in _all(w, "WKom")) for w in _all(tab, "Wiersz"))
            footer = tuple(_text(c) for c in _all(tab, "Suma/SKom"))
            out.append(Table(_get(tab, "Opis"), header, rows, footer))
    return out


def _orders(fa: etree._Element) -> list[Table]:
    order = _find(fa, "Zamowienie")
    if order is None:
        return []
    rows = tuple(
        (_get(w, "P_7Z"), _get(w, "P_8AZ"), _get(w, "P_8BZ"), _money(_get(w, "P_9AZ")),
         _money(_get(w, "P_11NettoZ")), _money(_get(w, "P_11VatZ")), _get(w, "P_12Z"))
        for w in _all(order, "ZamowienieWiersz")
    )  # fmt: skip
    return [
        Table(
            f"Zamówienie (wartość {_money(_get(order, 'WartoscZamowienia'))})",
            ("Nazwa", "J.m.", "Ilość", "Cena netto", "Wartość netto", "VAT", "Stawka"),
            rows,
        )
    ]


def read_invoice(xml: bytes) -> InvoiceDocument:
    """Read an FA(3) document (issued here or received from KSeF) into what the templates show."""
    root = parse_xml(xml)
    if _local(root) != "Faktura":
        raise VisualError("To nie jest faktura FA: element główny nie nazywa się Faktura.")
    fa = _find(root, "Fa")
    if fa is None:
        raise VisualError("Faktura nie ma sekcji Fa.")
    kind = _get(fa, "RodzajFaktury")
    period = _find(fa, "OkresFa")
    if period is not None:
        sale = f"{polish_date(_get(period, 'P_6_Od'))} – {polish_date(_get(period, 'P_6_Do'))}"
    else:
        sale = polish_date(_get(fa, "P_6"))
    details: list[tuple[str, str]] = []
    currency = _get(fa, "KodWaluty") or "PLN"
    rate = _get(fa, "KursWalutyZ")
    if rate:
        details.append(("Kurs waluty", rate))
    correction: list[tuple[str, str]] = []
    for tag, label in (("PrzyczynaKorekty", "Przyczyna korekty"), ("TypKorekty", "Typ korekty")):
        value = _get(fa, tag)
        if value:
            correction.append((label, CORRECTION_TYPES.get(value, value) if tag == "TypKorekty" else value))
    for d in _all(fa, "DaneFaKorygowanej"):
        ref = f"{_get(d, 'NrFaKorygowanej')} z {polish_date(_get(d, 'DataWystFaKorygowanej'))}"
        ksef = _get(d, "NrKSeFFaKorygowanej")
        correction.append(("Faktura korygowana", ref + (f", nr KSeF {ksef}" if ksef else "")))
    okres = _get(fa, "OkresFaKorygowanej")
    if okres:
        correction.append(("Okres korekty", okres))
    for el in _all(fa, "FakturaZaliczkowa"):
        number = _get(el, "NrKSeFFaZaliczkowej") or _get(el, "NrFaZaliczkowej")
        details.append(("Faktura zaliczkowa", number))
    for tag, label in (("P_15ZK", "Kwota przed korektą"), ("KursWalutyZK", "Kurs przed korektą")):
        value = _get(fa, tag)
        if value:
            correction.append((label, value))
    settlement: list[tuple[str, str]] = []
    rozl = _find(fa, "Rozliczenie")
    if rozl is not None:
        for ob in _all(rozl, "Obciazenia"):
            settlement.append((f"Obciążenie: {_get(ob, 'Powod')}", _money(_get(ob, "Kwota"))))
        for od in _all(rozl, "Odliczenia"):
            settlement.append((f"Odliczenie: {_get(od, 'Powod')}", _money(_get(od, "Kwota"))))
        for tag, label in (("DoZaplaty", "Do zapłaty"), ("DoRozliczenia", "Do rozliczenia")):
            value = _get(rozl, tag)
            if value:
                settlement.append((label, _money(value)))
    payment, accounts = _payment(fa)
    terms = [
        (_DETAIL_LABELS.get(k.split(" › ")[-1], k), v) for k, v in _pairs(_find(fa, "WarunkiTransakcji"))
    ]
    descriptions = [(_get(d, "Klucz"), _get(d, "Wartosc")) for d in _all(fa, "DodatkowyOpis")]
    footer = tuple(_get(i, "StopkaFaktury") for i in _all(root, "Stopka/Informacje"))
    registers = tuple(
        (k, v)
        for k, v in (
            ("Pełna nazwa", _get(root, "Stopka/Rejestry/PelnaNazwa")),
            ("KRS", _get(root, "Stopka/Rejestry/KRS")),
            ("REGON", _get(root, "Stopka/Rejestry/REGON")),
            ("BDO", _get(root, "Stopka/Rejestry/BDO")),
        )
        if v
    )
    lines = tuple(_line(w) for w in _all(fa, "FaWiersz"))
    others = tuple(_party(p, _role(p)) for p in _all(root, "Podmiot3"))
    upowazniony = _find(root, "PodmiotUpowazniony")
    if upowazniony is not None:
        others += (_party(upowazniony, "Podmiot upoważniony"),)
    seller = _party(_find(root, "Podmiot1"), "Sprzedawca")
    return InvoiceDocument(
        kind=kind,
        kind_label=KIND_LABELS.get(kind, kind or "Faktura"),
        number=_get(fa, "P_2"),
        currency=currency,
        issue_date=_date(_get(fa, "P_1")),
        issue_place=_get(fa, "P_1M"),
        seller_nip=_get(root, "Podmiot1/DaneIdentyfikacyjne/NIP"),
        sale=sale,
        seller=seller,
        buyer=_party(_find(root, "Podmiot2"), "Nabywca"),
        others=others,
        lines=lines,
        rates=_rates(fa),
        total=_amount(_get(fa, "P_15")),
        details=tuple(details),
        annotations=_annotations(fa),
        correction=tuple(correction),
        payment=tuple(payment),
        accounts=tuple(accounts),
        settlement=tuple(settlement),
        descriptions=tuple(descriptions),
        terms=tuple(terms),
        tables=tuple(_orders(fa)),
        footer=tuple(x for x in footer if x),
        registers=registers,
        attachment=tuple(_attachment(root)),
        system_info=_get(root, "Naglowek/SystemInfo"),
        has_line_gross=any(line.gross is not None or line.unit_gross is not None for line in lines),
        foreign=currency != "PLN",
    )
