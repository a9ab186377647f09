"""What an FA(3) invoice shows, read straight from its XML (issued here or received from KSeF).

The view is built from the parsed tree by local element names, so every document the schema allows
renders: known blocks get their Polish captions and layout; anything else still appears as a labelled
list rather than being dropped. The section order follows the Ministry's own generator
(``CIRFMF/ksef-pdf-generator``): header, corrected invoice, parties, details, lines, order, tax
summary, annotations, additional information, settlement, payment, transaction terms, footer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from lxml import etree

from fakturnik.errors import InvoiceParseError, VisualError, XmlSecurityError
from fakturnik.fa3.xmlsafe import parse_xml
from fakturnik.visual import formatting as fmt

__all__ = ["InvoiceView", "Line", "Party", "build_view"]

KIND_TITLES = {
    "VAT": "Faktura VAT",
    "KOR": "Faktura korygująca",
    "ZAL": "Faktura zaliczkowa",
    "ROZ": "Faktura rozliczeniowa",
    "UPR": "Faktura uproszczona",
    "KOR_ZAL": "Faktura korygująca fakturę zaliczkową",
    "KOR_ROZ": "Faktura korygująca fakturę rozliczeniową",
}

# (net field, tax field, tax-in-PLN field, caption)
TAX_ROWS: tuple[tuple[str, str | None, str | None, str], ...] = (
    ("P_13_1", "P_14_1", "P_14_1W", "23% lub 22%"),
    ("P_13_2", "P_14_2", "P_14_2W", "8% lub 7%"),
    ("P_13_3", "P_14_3", "P_14_3W", "5%"),
    ("P_13_4", "P_14_4", "P_14_4W", "4% lub 3% (taksówki ryczałt)"),
    ("P_13_5", "P_14_5", None, "procedura szczególna OSS"),
    ("P_13_6_1", None, None, "0% (kraj)"),
    ("P_13_6_2", None, None, "0% (WDT)"),
    ("P_13_6_3", None, None, "0% (eksport)"),
    ("P_13_7", None, None, "zwolnione z opodatkowania"),
    ("P_13_8", None, None, "niepodlegające opodatkowaniu (poza krajem)"),
    ("P_13_9", None, None, "np. na podstawie art. 100 ust. 1 pkt 4 ustawy"),
    ("P_13_10", None, None, "odwrotne obciążenie (krajowe)"),
    ("P_13_11", None, None, "procedura marży"),
)

RATE_NAMES = {
    "zw": "zw",
    "oo": "oo",
    "np I": "np",
    "np II": "np",
    "0 KR": "0%",
    "0 WDT": "0% WDT",
    "0 EX": "0% EX",
}

PAYMENT_FORMS = {
    "1": "gotówka",
    "2": "karta",
    "3": "bon",
    "4": "czek",
    "5": "kredyt",
    "6": "przelew",
    "7": "mobilna",
}

CORRECTION_TYPES = {
    "1": "w dacie ujęcia faktury pierwotnej",
    "2": "w dacie wystawienia faktury korygującej",
    "3": "w dacie innej, w tym gdy dla różnych pozycji faktury korygującej daty te są różne",
}

ROLES_P3 = {
    "1": "Faktor",
    "2": "Odbiorca",
    "3": "Podmiot pierwotny",
    "4": "Dodatkowy nabywca",
    "5": "Wystawca faktury",
    "6": "Dokonujący płatności",
    "7": "Jednostka samorządu terytorialnego – wystawca",
    "8": "Jednostka samorządu terytorialnego – odbiorca",
    "9": "Członek grupy VAT – wystawca",
    "10": "Członek grupy VAT – odbiorca",
    "11": "Pracownik",
}

ROLES_AUTHORISED = {"1": "Organ egzekucyjny", "2": "Komornik sądowy", "3": "Przedstawiciel podatkowy"}

TRANSPORT_KINDS = {
    "1": "morski",
    "2": "kolejowy",
    "3": "drogowy",
    "4": "lotniczy",
    "5": "przesyłka pocztowa",
    "7": "stałe instalacje przesyłowe",
    "8": "żegluga śródlądowa",
}

# Captions for fields shown in generic key/value blocks.
CAPTIONS = {
    "P_1": "Data wystawienia",
    "P_1M": "Miejsce wystawienia",
    "P_2": "Numer faktury",
    "P_6": "Data dokonania lub zakończenia dostawy towarów lub wykonania usługi",
    "P_6_Od": "Okres od",
    "P_6_Do": "Okres do",
    "KodWaluty": "Kod waluty",
    "KursWalutyZ": "Kurs waluty (zaliczka)",
    "WZ": "Numer dokumentu WZ",
    "NrZamowienia": "Numer zamówienia",
    "DataZamowienia": "Data zamówienia",
    "NrUmowy": "Numer umowy",
    "DataUmowy": "Data umowy",
    "NrPartiiTowaru": "Numer partii towaru",
    "WarunkiDostawy": "Warunki dostawy (Incoterms)",
    "KursUmowny": "Kurs umowny",
    "WalutaUmowna": "Waluta umowna",
    "PodmiotPosredniczacy": "Podmiot pośredniczący",
    "RodzajTransportu": "Rodzaj transportu",
    "TransportInny": "Inny rodzaj transportu",
    "OpisInnegoTransportu": "Opis innego transportu",
    "NrZleceniaTransportu": "Numer zlecenia transportu",
    "OpisLadunku": "Opis ładunku",
    "LadunekInny": "Inny ładunek",
    "OpisInnegoLadunku": "Opis innego ładunku",
    "JednostkaOpakowania": "Jednostka opakowania",
    "GodzinaRozpTransportu": "Rozpoczęcie transportu",
    "GodzinaZakTransportu": "Zakończenie transportu",
    "Obciazenia": "Obciążenia",
    "SumaObciazen": "Suma obciążeń",
    "Odliczenia": "Odliczenia",
    "SumaOdliczen": "Suma odliczeń",
    "DoZaplaty": "Do zapłaty",
    "DoRozliczenia": "Do rozliczenia",
    "Kwota": "Kwota",
    "Powod": "Powód",
    "NrRB": "Numer rachunku",
    "SWIFT": "SWIFT",
    "NazwaBanku": "Nazwa banku",
    "OpisRachunku": "Opis rachunku",
    "RachunekWlasnyBanku": "Rachunek własny banku",
    "KRS": "KRS",
    "REGON": "REGON",
    "BDO": "BDO",
    "NIP": "NIP",
    "Nazwa": "Nazwa",
    "NrVatUE": "Numer VAT UE",
    "KodUE": "Kod kraju UE",
    "NrID": "Identyfikator",
    "KodKraju": "Kod kraju",
    "BrakID": "Brak identyfikatora",
    "IDWew": "Identyfikator wewnętrzny",
    "Email": "E-mail",
    "Telefon": "Telefon",
    "NrKlienta": "Numer klienta",
    "IDNabywcy": "Identyfikator nabywcy",
    "Udzial": "Udział",
    "NrEORI": "Numer EORI",
    "GLN": "GLN",
    "Termin": "Termin",
    "TerminOpis": "Opis terminu",
    "Ilosc": "Ilość",
    "Jednostka": "Jednostka",
    "ZdarzeniePoczatkowe": "Zdarzenie początkowe",
    "WysylkaZ": "Wysyłka z",
    "WysylkaDo": "Wysyłka do",
    "WysylkaPrzez": "Wysyłka przez",
    "Przewoznik": "Przewoźnik",
    "AdresPrzewoznika": "Adres przewoźnika",
    "DaneIdentyfikacyjne": "Dane identyfikacyjne",
    "AdresL1": "Adres",
    "AdresL2": "Adres (cd.)",
    "Adres": "Adres",
    "P_15ZK": "Kwota należności przed korektą",
    "KursWalutyZK": "Kurs waluty przed korektą",
}


def _local(el: etree._Element) -> str:
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


class Node:
    """An FA(3) element read by local names (the namespace is checked once, at the root)."""

    __slots__ = ("el",)

    def __init__(self, el: etree._Element) -> None:
        self.el = el

    @property
    def name(self) -> str:
        return _local(self.el)

    def children(self, name: str | None = None) -> list[Node]:
        return [Node(c) for c in self.el if isinstance(c.tag, str) and (name is None or _local(c) == name)]

    def child(self, name: str) -> Node | None:
        for c in self.el:
            if isinstance(c.tag, str) and _local(c) == name:
                return Node(c)
        return None

    def text(self, *path: str) -> str:
        node: Node | None = self
        for name in path:
            node = node.child(name) if node is not None else None
        if node is None:
            return ""
        return (node.el.text or "").strip()

    def texts(self, name: str) -> list[str]:
        return [c.text() for c in self.children(name)]

    @property
    def leaf(self) -> bool:
        return not any(isinstance(c.tag, str) for c in self.el)


@dataclass
class Party:
    role: str  # caption: Sprzedawca, Nabywca, Podmiot trzeci, ...
    name: str = ""
    identifiers: list[tuple[str, str]] = field(default_factory=list)
    address: list[str] = field(default_factory=list)
    correspondence: list[str] = field(default_factory=list)
    contacts: list[tuple[str, str]] = field(default_factory=list)
    extra: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Line:
    number: str
    name: str
    unit: str
    quantity: str
    unit_net: str
    unit_gross: str
    discount: str
    net: str
    gross: str
    rate: str
    vat: str
    extra: list[tuple[str, str]]
    before: bool = False  # StanPrzed: the line as it was before the correction


@dataclass
class Section:
    """A titled block of label/value rows and optional tables (generic but captioned)."""

    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    tables: list[tuple[list[str], list[list[str]]]] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)


@dataclass
class InvoiceView:
    kind: str
    title: str
    number: str
    issue_date: date | None
    issue_date_text: str
    seller_nip: str
    currency: str
    parties: list[Party]
    details: list[tuple[str, str]]
    corrected: Section | None
    lines: list[Line]
    line_columns: list[str]
    order: Section | None
    tax_rows: list[tuple[str, str, str, str, str]]  # caption, net, vat, vat PLN, gross
    show_pln: bool
    total: str
    total_text: str
    annotations: list[str]
    sections: list[Section]  # additional information, settlement, payment, transaction terms, ...
    attachment: list[Section]
    footer: list[str]
    registers: list[tuple[str, str]]
    system_info: str
    created: str


def _address(node: Node | None) -> list[str]:
    if node is None:
        return []
    out = [t for t in (node.text("AdresL1"), node.text("AdresL2")) if t]
    country = node.text("KodKraju")
    gln = node.text("GLN")
    if country and country != "PL":
        out.append(f"Kraj: {country}")
    if gln:
        out.append(f"GLN: {gln}")
    return out


def _identifiers(ident: Node | None) -> tuple[str, list[tuple[str, str]]]:
    if ident is None:
        return "", []
    ids: list[tuple[str, str]] = []
    nip = ident.text("NIP")
    if nip:
        ids.append(("NIP", nip))
    if ident.text("NrVatUE"):
        ids.append(("NIP UE", f"{ident.text('KodUE')}{ident.text('NrVatUE')}"))
    if ident.text("NrID"):
        country = ident.text("KodKraju")
        ids.append(("Identyfikator podatkowy", f"{country} {ident.text('NrID')}".strip()))
    if ident.text("IDWew"):
        ids.append(("Identyfikator wewnętrzny", ident.text("IDWew")))
    if ident.text("BrakID") == "1":
        ids.append(("Identyfikator", "brak"))
    return ident.text("Nazwa"), ids


def _contacts(node: Node) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for contact in node.children("DaneKontaktowe"):
        for email in contact.texts("Email"):
            out.append(("E-mail", email))
        for phone in contact.texts("Telefon"):
            out.append(("Tel.", phone))
    return out


def _party(node: Node, role: str) -> Party:
    name, ids = _identifiers(node.child("DaneIdentyfikacyjne"))
    party = Party(role=role, name=name, identifiers=ids)
    party.address = _address(node.child("Adres"))
    party.correspondence = _address(node.child("AdresKoresp"))
    party.contacts = _contacts(node)
    if node.text("PrefiksPodatnika"):
        party.identifiers.insert(0, ("Prefiks VAT", node.text("PrefiksPodatnika")))
    if node.text("NrEORI"):
        party.extra.append(("Numer EORI", node.text("NrEORI")))
    if node.text("StatusInfoPodatnika"):
        statuses = {"1": "stan likwidacji", "2": "restrukturyzacja", "3": "stan upadłości", "4": "spadek"}
        party.extra.append(("Status", statuses.get(node.text("StatusInfoPodatnika"), "")))
    if node.text("NrKlienta"):
        party.extra.append(("Numer klienta", node.text("NrKlienta")))
    if node.text("IDNabywcy"):
        party.extra.append(("Identyfikator nabywcy", node.text("IDNabywcy")))
    if node.text("JST") == "1":
        party.extra.append(("JST", "nabywca jest jednostką podrzędną JST"))
    if node.text("GV") == "1":
        party.extra.append(("Grupa VAT", "nabywca jest członkiem grupy VAT"))
    role_code = node.text("Rola")
    if role_code:
        roles = ROLES_AUTHORISED if role == "Podmiot upoważniony" else ROLES_P3
        party.extra.insert(0, ("Rola", roles.get(role_code, role_code)))
    if node.text("RolaInna") == "1" or node.text("OpisRoli"):
        party.extra.insert(0, ("Rola", node.text("OpisRoli") or "inna"))
    if node.text("Udzial"):
        party.extra.append(("Udział", fmt.quantity(node.text("Udzial")) + "%"))
    return party


def _generic_rows(node: Node, prefix: str = "") -> list[tuple[str, str]]:
    """Every leaf under ``node`` as (caption, value); nested blocks flatten with their caption."""
    rows: list[tuple[str, str]] = []
    for child in node.children():
        caption = CAPTIONS.get(child.name, child.name)
        label = f"{prefix}{caption}"
        if child.leaf:
            value = child.text()
            if child.name.startswith("Data") or child.name in ("Termin", "P_6", "P_6_Od", "P_6_Do"):
                value = fmt.day(value)
            elif child.name in ("Kwota", "SumaObciazen", "SumaOdliczen", "DoZaplaty", "DoRozliczenia"):
                value = fmt.amount(value)
            elif child.name == "RodzajTransportu":
                value = TRANSPORT_KINDS.get(value, value)
            if value:
                rows.append((label, value))
        else:
            rows.extend(_generic_rows(child, prefix=f"{caption} – " if child.name not in ("Adres",) else ""))
    return rows


def _rate(code: str) -> str:
    if not code:
        return ""
    if code in RATE_NAMES:
        return RATE_NAMES[code]
    return f"{fmt.quantity(code)}%"


def _lines(fa: Node, currency: str) -> tuple[list[Line], list[str]]:
    lines: list[Line] = []
    for row in fa.children("FaWiersz"):
        extra: list[tuple[str, str]] = []
        for tag, caption in (
            ("Indeks", "Indeks"),
            ("GTIN", "GTIN"),
            ("PKWiU", "PKWiU"),
            ("CN", "CN"),
            ("PKOB", "PKOB"),
            ("GTU", "GTU"),
            ("Procedura", "Procedura"),
            ("KwotaAkcyzy", "Akcyza"),
            ("UU_ID", "UU_ID"),
            ("P_6A", "Data dostawy"),
        ):
            value = row.text(tag)
            if value:
                extra.append((caption, fmt.day(value) if tag == "P_6A" else value))
        if row.text("KursWaluty"):
            extra.append(("Kurs waluty", fmt.quantity(row.text("KursWaluty"))))
        if row.text("P_11Vat"):
            extra.append(("Kwota VAT", fmt.amount(row.text("P_11Vat"))))
        if row.text("P_12_XII"):
            extra.append(("Stawka OSS", fmt.quantity(row.text("P_12_XII")) + "%"))
        if row.text("P_12_Zal_15") == "1":
            extra.append(("Załącznik nr 15", "tak"))
        lines.append(
            Line(
                number=row.text("NrWierszaFa"),
                name=row.text("P_7"),
                unit=row.text("P_8A"),
                quantity=fmt.quantity(row.text("P_8B")),
                unit_net=fmt.amount(row.text("P_9A")),
                unit_gross=fmt.amount(row.text("P_9B")),
                discount=fmt.amount(row.text("P_10")),
                net=fmt.amount(row.text("P_11")),
                gross=fmt.amount(row.text("P_11A")),
                rate=_rate(row.text("P_12")),
                vat=fmt.amount(row.text("P_11Vat")),
                extra=extra,
                before=row.text("StanPrzed") == "1",
            )
        )
    columns = ["Lp.", "Nazwa towaru lub usługi", "Ilość", "J.m."]
    if any(line.unit_net for line in lines):
        columns.append("Cena jedn. netto")
    if any(line.unit_gross for line in lines):
        columns.append("Cena jedn. brutto")
    if any(line.discount for line in lines):
        columns.append("Rabat")
    columns.append("Stawka")
    if any(line.net for line in lines):
        columns.append("Wartość netto")
    if any(line.gross for line in lines):
        columns.append("Wartość brutto")
    return lines, columns


def _sum_tax(fa: Node) -> tuple[list[tuple[str, str, str, str, str]], bool]:
    from decimal import Decimal, InvalidOperation

    rows: list[tuple[str, str, str, str, str]] = []
    show_pln = False
    for net_tag, vat_tag, pln_tag, caption in TAX_ROWS:
        net = fa.text(net_tag)
        vat = fa.text(vat_tag) if vat_tag else ""
        pln = fa.text(pln_tag) if pln_tag else ""
        if not (net or vat):
            continue
        try:
            gross = fmt.amount(Decimal(net or "0") + Decimal(vat or "0"))
        except InvalidOperation:
            gross = ""
        show_pln = show_pln or bool(pln)
        rows.append((caption, fmt.amount(net), fmt.amount(vat), fmt.amount(pln), gross))
    return rows, show_pln


_ANNOTATION_FLAGS = (
    ("P_16", "metoda kasowa"),
    ("P_17", "samofakturowanie"),
    ("P_18", "odwrotne obciążenie"),
    ("P_18A", "mechanizm podzielonej płatności"),
    ("P_23", "procedura uproszczona – faktura w procedurze trójstronnej (art. 135 ust. 1 pkt 4 lit. b i c)"),
)

_MARGINS = {
    "P_PMarzy_2": "procedura marży dla biur podróży",
    "P_PMarzy_3_1": "procedura marży – towary używane",
    "P_PMarzy_3_2": "procedura marży – dzieła sztuki",
    "P_PMarzy_3_3": "procedura marży – przedmioty kolekcjonerskie i antyki",
}


def _annotations(fa: Node) -> list[str]:
    adn = fa.child("Adnotacje")
    if adn is None:
        return []
    out = [caption for tag, caption in _ANNOTATION_FLAGS if adn.text(tag) == "1"]
    exemption = adn.child("Zwolnienie")
    if exemption is not None and exemption.text("P_19") == "1":
        basis = exemption.text("P_19A") or exemption.text("P_19B") or exemption.text("P_19C")
        kind = (
            "przepis ustawy albo aktu wydanego na jej podstawie"
            if exemption.text("P_19A")
            else "przepis dyrektywy 2006/112/WE"
            if exemption.text("P_19B")
            else "inna podstawa prawna"
        )
        out.append(f"zwolnienie z podatku – {kind}: {basis}")
    vehicles = adn.child("NoweSrodkiTransportu")
    if vehicles is not None and vehicles.text("P_22") == "1":
        out.append("wewnątrzwspólnotowa dostawa nowych środków transportu")
        for vehicle in vehicles.children("NowySrodekTransportu"):
            rows = _generic_rows(vehicle)
            out.append("; ".join(f"{k}: {v}" for k, v in rows))
    margin = adn.child("PMarzy")
    if margin is not None and margin.text("P_PMarzy") == "1":
        labels = [label for tag, label in _MARGINS.items() if margin.text(tag) == "1"]
        out.extend(labels or ["procedura marży"])
    return out


def _corrected(fa: Node) -> Section | None:
    if not fa.text("RodzajFaktury").startswith("KOR") and fa.child("DaneFaKorygowanej") is None:
        return None
    section = Section("Dane faktury korygowanej")
    if fa.text("PrzyczynaKorekty"):
        section.rows.append(("Przyczyna korekty", fa.text("PrzyczynaKorekty")))
    if fa.text("TypKorekty"):
        section.rows.append(("Typ skutku korekty", CORRECTION_TYPES.get(fa.text("TypKorekty"), "")))
    if fa.text("OkresFaKorygowanej"):
        section.rows.append(("Okres, którego dotyczy rabat", fa.text("OkresFaKorygowanej")))
    if fa.text("NrFaKorygowany"):
        section.rows.append(("Poprawny numer faktury korygowanej", fa.text("NrFaKorygowany")))
    table: list[list[str]] = []
    for corrected in fa.children("DaneFaKorygowanej"):
        table.append(
            [
                corrected.text("NrFaKorygowanej"),
                fmt.day(corrected.text("DataWystFaKorygowanej")),
                corrected.text("NrKSeFFaKorygowanej") or ("poza KSeF" if corrected.text("NrKSeFN") else ""),
            ]
        )
    if table:
        section.tables.append((["Numer faktury", "Data wystawienia", "Numer KSeF"], table))
    for tag, caption in (("Podmiot1K", "Sprzedawca przed korektą"), ("Podmiot2K", "Nabywca przed korektą")):
        for node in fa.children(tag):
            party = _party(node, caption)
            rows = [(caption, party.name), *party.identifiers, *[("Adres", a) for a in party.address]]
            section.rows.extend(rows)
    if fa.text("P_15ZK"):
        section.rows.append(("Kwota należności przed korektą", fmt.amount(fa.text("P_15ZK"))))
    return section


def _order(fa: Node) -> Section | None:
    order = fa.child("Zamowienie")
    if order is None:
        return None
    section = Section("Zamówienie")
    if order.text("WartoscZamowienia"):
        section.rows.append(("Wartość zamówienia lub umowy", fmt.amount(order.text("WartoscZamowienia"))))
    rows = []
    for row in order.children("ZamowienieWiersz"):
        rows.append(
            [
                row.text("NrWierszaZam"),
                row.text("P_7Z"),
                fmt.quantity(row.text("P_8BZ")),
                row.text("P_8AZ"),
                fmt.amount(row.text("P_9AZ")),
                _rate(row.text("P_12Z")),
                fmt.amount(row.text("P_11NettoZ")),
                fmt.amount(row.text("P_11VatZ")),
            ]
        )
    if rows:
        section.tables.append(
            (["Lp.", "Nazwa", "Ilość", "J.m.", "Cena netto", "Stawka", "Netto", "VAT"], rows)
        )
    return section


def _additional(fa: Node) -> Section | None:
    section = Section("Dodatkowe informacje")
    for tag, caption in (
        ("TP", "Istniejące powiązania między nabywcą a dokonującym dostawy"),
        ("ZwrotAkcyzy", "Zwrot akcyzy zawartej w cenie oleju napędowego"),
        ("FP", "Faktura, o której mowa w art. 109 ust. 3d ustawy"),
    ):
        if fa.text(tag) == "1":
            section.paragraphs.append(caption)
    opis = [[d.text("NrWiersza"), d.text("Klucz"), d.text("Wartosc")] for d in fa.children("DodatkowyOpis")]
    if opis:
        section.tables.append((["Wiersz", "Rodzaj informacji", "Treść"], opis))
    advances = []
    for adv in fa.children("FakturaZaliczkowa"):
        advances.append([adv.text("NrKSeFFaZaliczkowej") or adv.text("NrFaZaliczkowej") or "poza KSeF"])
    if advances:
        section.tables.append((["Faktury zaliczkowe"], advances))
    partial = []
    for part in fa.children("ZaliczkaCzesciowa"):
        partial.append(
            [
                fmt.day(part.text("P_6Z")),
                fmt.amount(part.text("P_15Z")),
                fmt.quantity(part.text("KursWalutyZW")),
            ]
        )
    if partial:
        section.tables.append((["Data otrzymania zaliczki", "Kwota zaliczki", "Kurs waluty"], partial))
    if not (section.paragraphs or section.tables):
        return None
    return section


def _settlement(fa: Node) -> Section | None:
    node = fa.child("Rozliczenie")
    if node is None:
        return None
    section = Section("Rozliczenie")
    for tag, caption in (("Obciazenia", "Obciążenia"), ("Odliczenia", "Odliczenia")):
        rows = [[fmt.amount(x.text("Kwota")), x.text("Powod")] for x in node.children(tag)]
        if rows:
            section.tables.append(([caption, "Powód"], rows))
    for tag in ("SumaObciazen", "SumaOdliczen", "DoZaplaty", "DoRozliczenia"):
        if node.text(tag):
            section.rows.append((CAPTIONS[tag], fmt.amount(node.text(tag))))
    return section


def _account(node: Node) -> list[str]:
    parts = [node.text("NrRB")]
    for tag, caption in (("SWIFT", "SWIFT"), ("NazwaBanku", "bank"), ("OpisRachunku", "")):
        if node.text(tag):
            parts.append(f"{caption}: {node.text(tag)}" if caption else node.text(tag))
    own = node.text("RachunekWlasnyBanku")
    if own:
        parts.append(
            {"1": "rachunek banku", "2": "rachunek banku spółdzielczego", "3": "rachunek SKOK"}.get(own, "")
        )
    return [p for p in parts if p]


def _payment(fa: Node) -> Section | None:
    node = fa.child("Platnosc")
    if node is None:
        return None
    section = Section("Płatność")
    if node.text("Zaplacono") == "1":
        section.rows.append(("Informacja o płatności", "zapłacono"))
        if node.text("DataZaplaty"):
            section.rows.append(("Data zapłaty", fmt.day(node.text("DataZaplaty"))))
    if node.text("ZnacznikZaplatyCzesciowej") in ("1", "2"):
        section.rows.append(("Informacja o płatności", "zapłata częściowa"))
        parts = [
            [fmt.amount(p.text("KwotaZaplatyCzesciowej")), fmt.day(p.text("DataZaplatyCzesciowej"))]
            for p in node.children("ZaplataCzesciowa")
        ]
        if parts:
            section.tables.append((["Kwota zapłaty częściowej", "Data"], parts))
    for term in node.children("TerminPlatnosci"):
        text = fmt.day(term.text("Termin"))
        opis = term.child("TerminOpis")
        if opis is not None:
            text = " ".join(
                t
                for t in (text, opis.text("Ilosc"), opis.text("Jednostka"), opis.text("ZdarzeniePoczatkowe"))
                if t
            )
        section.rows.append(("Termin płatności", text))
    if node.text("FormaPlatnosci"):
        section.rows.append(("Forma płatności", PAYMENT_FORMS.get(node.text("FormaPlatnosci"), "")))
    if node.text("PlatnoscInna") == "1":
        section.rows.append(("Forma płatności", node.text("OpisPlatnosci") or "inna"))
    for account in node.children("RachunekBankowy"):
        section.rows.append(("Rachunek bankowy", ", ".join(_account(account))))
    for account in node.children("RachunekBankowyFaktora"):
        section.rows.append(("Rachunek bankowy faktora", ", ".join(_account(account))))
    skonto = node.child("Skonto")
    if skonto is not None:
        section.rows.append(("Skonto", f"{skonto.text('WarunkiSkonta')}: {skonto.text('WysokoscSkonta')}"))
    link = node.text("LinkDoPlatnosci")
    if link:
        section.rows.append(("Link do płatności", link))
    if node.text("IPKSeF"):
        section.rows.append(("Identyfikator płatności KSeF", node.text("IPKSeF")))
    return section


def _terms(fa: Node) -> Section | None:
    node = fa.child("WarunkiTransakcji")
    if node is None:
        return None
    section = Section("Warunki transakcji")
    for umowa in node.children("Umowy"):
        section.rows.append(
            ("Umowa", " z ".join(t for t in (umowa.text("NrUmowy"), fmt.day(umowa.text("DataUmowy"))) if t))
        )
    for zam in node.children("Zamowienia"):
        section.rows.append(
            (
                "Zamówienie",
                " z ".join(t for t in (zam.text("NrZamowienia"), fmt.day(zam.text("DataZamowienia"))) if t),
            )
        )
    rest = Node(node.el)
    for child in rest.children():
        if child.name in ("Umowy", "Zamowienia"):
            continue
        if child.leaf:
            if child.text():
                value = child.text()
                if child.name == "KursUmowny":
                    value = fmt.quantity(value)
                section.rows.append((CAPTIONS.get(child.name, child.name), value))
        elif child.name == "Transport":
            section.rows.extend(("Transport – " + k, v) for k, v in _generic_rows(child))
        else:
            section.rows.extend(_generic_rows(child, prefix=CAPTIONS.get(child.name, child.name) + " – "))
    return section


def _attachment(root: Node) -> list[Section]:
    att = root.child("Zalacznik")
    if att is None:
        return []
    sections: list[Section] = []
    for block in att.children("BlokDanych"):
        section = Section(block.text("ZNaglowek") or "Załącznik")
        for meta in block.children("MetaDane"):
            section.rows.append((meta.text("ZKlucz"), meta.text("ZWartosc")))
        for text in block.children("Tekst"):
            section.paragraphs.extend(text.texts("Akapit"))
        for table in block.children("Tabela"):
            for meta in table.children("TMetaDane"):
                section.rows.append((meta.text("TKlucz"), meta.text("TWartosc")))
            if table.text("Opis"):
                section.paragraphs.append(table.text("Opis"))
            head = table.child("TNaglowek")
            header = [k.text("NKom") for k in head.children("Kol")] if head is not None else []
            body = [w.texts("WKom") for w in table.children("Wiersz")]
            for suma in table.children("Suma"):
                body.append(suma.texts("SKom"))
            section.tables.append((header, body))
        sections.append(section)
    return sections


def build_view(xml: bytes) -> InvoiceView:
    """Read an FA(3) file into what its visualisation shows. Hostile XML is refused, not rendered."""
    try:
        root_el = parse_xml(xml)
    except XmlSecurityError:
        raise
    root = Node(root_el)
    if root.name != "Faktura" or root.child("Fa") is None:
        raise InvoiceParseError("To nie jest faktura FA: brak elementu Faktura/Fa.")
    fa = root.child("Fa")
    assert fa is not None
    head = root.child("Naglowek")
    seller = root.child("Podmiot1")
    if seller is None:
        raise InvoiceParseError("Faktura nie ma sprzedawcy (Podmiot1).")
    kind = fa.text("RodzajFaktury") or "VAT"
    currency = fa.text("KodWaluty") or "PLN"
    issue_text = fa.text("P_1")
    try:
        issue_date: date | None = date.fromisoformat(issue_text) if issue_text else None
    except ValueError:
        issue_date = None
    parties = [_party(seller, "Sprzedawca")]
    buyer = root.child("Podmiot2")
    if buyer is not None:
        parties.append(_party(buyer, "Nabywca"))
    for p3 in root.children("Podmiot3"):
        parties.append(_party(p3, "Podmiot trzeci"))
    for pu in root.children("PodmiotUpowazniony"):
        party = _party(pu, "Podmiot upoważniony")
        for contact in pu.children("DaneKontaktowe"):
            for tag, caption in (("EmailPU", "E-mail"), ("TelefonPU", "Tel.")):
                party.contacts.extend((caption, v) for v in contact.texts(tag))
        parties.append(party)

    details: list[tuple[str, str]] = [("Data wystawienia", fmt.day(issue_text))]
    if fa.text("P_1M"):
        details.append(("Miejsce wystawienia", fa.text("P_1M")))
    if fa.text("P_6"):
        details.append(("Data dostawy / wykonania usługi", fmt.day(fa.text("P_6"))))
    period = fa.child("OkresFa")
    if period is not None:
        details.append(("Okres", f"{fmt.day(period.text('P_6_Od'))} – {fmt.day(period.text('P_6_Do'))}"))
    details.append(("Waluta", currency))
    if fa.text("KursWalutyZ"):
        details.append(("Kurs waluty (zaliczka)", fmt.quantity(fa.text("KursWalutyZ"))))
    for wz in fa.texts("WZ"):
        details.append(("Dokument WZ", wz))
    if kind in ("ZAL", "KOR_ZAL") and fa.text("P_6"):
        details[2] = ("Data otrzymania zapłaty", fmt.day(fa.text("P_6")))

    lines, columns = _lines(fa, currency)
    tax_rows, show_pln = _sum_tax(fa)
    sections = [s for s in (_additional(fa), _settlement(fa), _payment(fa), _terms(fa)) if s is not None]
    stopka = root.child("Stopka")
    footer: list[str] = []
    registers: list[tuple[str, str]] = []
    if stopka is not None:
        for info in stopka.children("Informacje"):
            footer.extend(info.texts("StopkaFaktury"))
        for reg in stopka.children("Rejestry"):
            for tag in ("PelnaNazwa", "KRS", "REGON", "BDO"):
                if reg.text(tag):
                    registers.append(("Pełna nazwa" if tag == "PelnaNazwa" else tag, reg.text(tag)))
    total = fa.text("P_15")
    return InvoiceView(
        kind=kind,
        title=KIND_TITLES.get(kind, "Faktura"),
        number=fa.text("P_2"),
        issue_date=issue_date,
        issue_date_text=issue_text,
        seller_nip=seller.text("DaneIdentyfikacyjne", "NIP"),
        currency=currency,
        parties=parties,
        details=details,
        corrected=_corrected(fa),
        lines=lines,
        line_columns=columns,
        order=_order(fa),
        tax_rows=tax_rows,
        show_pln=show_pln,
        total=fmt.amount(total),
        total_text=fmt.money(total, currency),
        annotations=_annotations(fa),
        sections=sections,
        attachment=_attachment(root),
        footer=footer,
        registers=registers,
        system_info=head.text("SystemInfo") if head is not None else "",
        created=fmt.moment(head.text("DataWytworzeniaFa")) if head is not None else "",
    )


def check_view(view: InvoiceView) -> None:
    if not view.number:
        raise VisualError("Faktura nie ma numeru (P_2).")
