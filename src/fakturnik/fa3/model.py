"""Typed model of the FA(3) e-invoice (schema ``1-0E``), generated from the structure of the XSD.

One class per element type, its fields the FA(3) element names in schema order; what the XML writer and
parser read from it (``XML_FIELDS`` and its kinds, choices, unknown content) is told in ``model_base``.
Do not edit by hand: regenerate with ``python -m fakturnik.fa3.modelgen`` (see docs/fa3-json.md).
"""

from datetime import date
from typing import Annotated, Literal

from pydantic import Field

from fakturnik.fa3.model_base import MAX_DECIMAL_DIGITS as MAX_DECIMAL_DIGITS
from fakturnik.fa3.model_base import MAX_FRACTION_DIGITS as MAX_FRACTION_DIGITS
from fakturnik.fa3.model_base import MAX_INTEGER_DIGITS as MAX_INTEGER_DIGITS
from fakturnik.fa3.model_base import NS as NS
from fakturnik.fa3.model_base import DateTimeText as DateTimeText
from fakturnik.fa3.model_base import Dec as Dec
from fakturnik.fa3.model_base import Fa3Model as Fa3Model
from fakturnik.fa3.model_base import IntText as IntText
from fakturnik.fa3.model_base import RawXml as RawXml
from fakturnik.fa3.model_base import XmlField as XmlField

PrefiksPodatnikaValues = Literal[
    "AT",
    "BE",
    "BG",
    "CY",
    "CZ",
    "DK",
    "EE",
    "FI",
    "FR",
    "DE",
    "EL",
    "HR",
    "HU",
    "IE",
    "IT",
    "LV",
    "LT",
    "LU",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SK",
    "SI",
    "ES",
    "SE",
    "XI",
]
P_12Values = Literal[
    "23", "22", "8", "7", "5", "4", "3", "0 KR", "0 WDT", "0 EX", "zw", "oo", "np I", "np II"
]
GTUValues = Literal[
    "GTU_01",
    "GTU_02",
    "GTU_03",
    "GTU_04",
    "GTU_05",
    "GTU_06",
    "GTU_07",
    "GTU_08",
    "GTU_09",
    "GTU_10",
    "GTU_11",
    "GTU_12",
    "GTU_13",
]
FormaPlatnosciValues = Annotated[Literal[1, 2, 3, 4, 5, 6, 7], IntText]


class KodFormularza(Fa3Model):
    """FA(3) element ``Faktura/Naglowek/KodFormularza``."""

    XML_ATTRS = (
        "kodSystemowy",
        "wersjaSchemy",
    )
    XML_TEXT = "value"

    kodSystemowy: str = "FA (3)"
    wersjaSchemy: str = "1-0E"
    value: Literal["FA"] = "FA"


_KodFormularza = KodFormularza


class TNaglowek(Fa3Model):
    """FA(3) type ``TNaglowek``."""

    KodFormularza: _KodFormularza
    WariantFormularza: Annotated[Literal[3], IntText] = 3
    DataWytworzeniaFa: DateTimeText
    SystemInfo: str | None = None


_TNaglowek = TNaglowek


class TPodmiot1(Fa3Model):
    """FA(3) type ``TPodmiot1``."""

    NIP: str
    Nazwa: str


_TPodmiot1 = TPodmiot1


class TAdres(Fa3Model):
    """FA(3) type ``TAdres``."""

    KodKraju: str
    AdresL1: str
    AdresL2: str | None = None
    GLN: str | None = None


_TAdres = TAdres


class DaneKontaktowe(Fa3Model):
    """FA(3) element ``DaneKontaktowe`` of ``Podmiot1``, ``Podmiot2`` and ``Podmiot3``."""

    Email: str | None = None
    Telefon: str | None = None


_DaneKontaktowe = DaneKontaktowe


class Podmiot1(Fa3Model):
    """FA(3) element ``Faktura/Podmiot1``."""

    PrefiksPodatnika: PrefiksPodatnikaValues | None = None
    NrEORI: str | None = None
    DaneIdentyfikacyjne: _TPodmiot1
    Adres: _TAdres
    AdresKoresp: _TAdres | None = None
    DaneKontaktowe: list[_DaneKontaktowe] = Field(default_factory=list)
    StatusInfoPodatnika: Annotated[Literal[1, 2, 3, 4], IntText] | None = None


_Podmiot1 = Podmiot1


class TPodmiot2(Fa3Model):
    """FA(3) type ``TPodmiot2``."""

    NIP: str | None = None
    KodUE: PrefiksPodatnikaValues | None = None
    NrVatUE: str | None = None
    KodKraju: str | None = None
    NrID: str | None = None
    BrakID: Annotated[Literal[1], IntText] | None = None
    Nazwa: str | None = None


_TPodmiot2 = TPodmiot2


Podmiot2DaneKontaktowe = DaneKontaktowe


class Podmiot2(Fa3Model):
    """FA(3) element ``Faktura/Podmiot2``."""

    NrEORI: str | None = None
    DaneIdentyfikacyjne: _TPodmiot2
    Adres: _TAdres | None = None
    AdresKoresp: _TAdres | None = None
    DaneKontaktowe: list[_DaneKontaktowe] = Field(default_factory=list)
    NrKlienta: str | None = None
    IDNabywcy: str | None = None
    JST: Annotated[Literal[1, 2], IntText]
    GV: Annotated[Literal[1, 2], IntText]


_Podmiot2 = Podmiot2


class TPodmiot3(Fa3Model):
    """FA(3) type ``TPodmiot3``."""

    NIP: str | None = None
    IDWew: str | None = None
    KodUE: PrefiksPodatnikaValues | None = None
    NrVatUE: str | None = None
    KodKraju: str | None = None
    NrID: str | None = None
    BrakID: Annotated[Literal[1], IntText] | None = None
    Nazwa: str | None = None


_TPodmiot3 = TPodmiot3


Podmiot3DaneKontaktowe = DaneKontaktowe


class Podmiot3(Fa3Model):
    """FA(3) element ``Faktura/Podmiot3``."""

    IDNabywcy: str | None = None
    NrEORI: str | None = None
    DaneIdentyfikacyjne: _TPodmiot3
    Adres: _TAdres | None = None
    AdresKoresp: _TAdres | None = None
    DaneKontaktowe: list[_DaneKontaktowe] = Field(default_factory=list)
    Rola: Annotated[Literal[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], IntText] | None = None
    RolaInna: Annotated[Literal[1], IntText] | None = None
    OpisRoli: str | None = None
    Udzial: Dec | None = None
    NrKlienta: str | None = None


_Podmiot3 = Podmiot3


class PodmiotUpowaznionyDaneKontaktowe(Fa3Model):
    """FA(3) element ``Faktura/PodmiotUpowazniony/DaneKontaktowe``."""

    EmailPU: str | None = None
    TelefonPU: str | None = None


_PodmiotUpowaznionyDaneKontaktowe = PodmiotUpowaznionyDaneKontaktowe


class PodmiotUpowazniony(Fa3Model):
    """FA(3) element ``Faktura/PodmiotUpowazniony``."""

    NrEORI: str | None = None
    DaneIdentyfikacyjne: _TPodmiot1
    Adres: _TAdres
    AdresKoresp: _TAdres | None = None
    DaneKontaktowe: list[_PodmiotUpowaznionyDaneKontaktowe] = Field(default_factory=list)
    RolaPU: Annotated[Literal[1, 2, 3], IntText]


_PodmiotUpowazniony = PodmiotUpowazniony


class OkresFa(Fa3Model):
    """FA(3) element ``Faktura/Fa/OkresFa``."""

    P_6_Od: date
    P_6_Do: date


_OkresFa = OkresFa


class Zwolnienie(Fa3Model):
    """FA(3) element ``Faktura/Fa/Adnotacje/Zwolnienie``."""

    P_19: Annotated[Literal[1], IntText] | None = None
    P_19A: str | None = None
    P_19B: str | None = None
    P_19C: str | None = None
    P_19N: Annotated[Literal[1], IntText] | None = None


_Zwolnienie = Zwolnienie


class NowySrodekTransportu(Fa3Model):
    """FA(3) element ``Faktura/Fa/Adnotacje/NoweSrodkiTransportu/NowySrodekTransportu``."""

    P_22A: date
    P_NrWierszaNST: int
    P_22BMK: str | None = None
    P_22BMD: str | None = None
    P_22BK: str | None = None
    P_22BNR: str | None = None
    P_22BRP: str | None = None
    P_22B: str | None = None
    P_22B1: str | None = None
    P_22B2: str | None = None
    P_22B3: str | None = None
    P_22B4: str | None = None
    P_22BT: str | None = None
    P_22C: str | None = None
    P_22C1: str | None = None
    P_22D: str | None = None
    P_22D1: str | None = None


_NowySrodekTransportu = NowySrodekTransportu


class NoweSrodkiTransportu(Fa3Model):
    """FA(3) element ``Faktura/Fa/Adnotacje/NoweSrodkiTransportu``."""

    P_22: Annotated[Literal[1], IntText] | None = None
    P_42_5: Annotated[Literal[1, 2], IntText] | None = None
    NowySrodekTransportu: list[_NowySrodekTransportu] = Field(default_factory=list)
    P_22N: Annotated[Literal[1], IntText] | None = None


_NoweSrodkiTransportu = NoweSrodkiTransportu


class PMarzy(Fa3Model):
    """FA(3) element ``Faktura/Fa/Adnotacje/PMarzy``."""

    P_PMarzy: Annotated[Literal[1], IntText] | None = None
    P_PMarzy_2: Annotated[Literal[1], IntText] | None = None
    P_PMarzy_3_1: Annotated[Literal[1], IntText] | None = None
    P_PMarzy_3_2: Annotated[Literal[1], IntText] | None = None
    P_PMarzy_3_3: Annotated[Literal[1], IntText] | None = None
    P_PMarzyN: Annotated[Literal[1], IntText] | None = None


_PMarzy = PMarzy


class Adnotacje(Fa3Model):
    """FA(3) element ``Faktura/Fa/Adnotacje``."""

    P_16: Annotated[Literal[1, 2], IntText]
    P_17: Annotated[Literal[1, 2], IntText]
    P_18: Annotated[Literal[1, 2], IntText]
    P_18A: Annotated[Literal[1, 2], IntText]
    Zwolnienie: _Zwolnienie
    NoweSrodkiTransportu: _NoweSrodkiTransportu
    P_23: Annotated[Literal[1, 2], IntText]
    PMarzy: _PMarzy


_Adnotacje = Adnotacje


class DaneFaKorygowanej(Fa3Model):
    """FA(3) element ``Faktura/Fa/DaneFaKorygowanej``."""

    DataWystFaKorygowanej: date
    NrFaKorygowanej: str
    NrKSeF: Annotated[Literal[1], IntText] | None = None
    NrKSeFFaKorygowanej: str | None = None
    NrKSeFN: Annotated[Literal[1], IntText] | None = None


_DaneFaKorygowanej = DaneFaKorygowanej


class Podmiot1K(Fa3Model):
    """FA(3) element ``Faktura/Fa/Podmiot1K``."""

    PrefiksPodatnika: PrefiksPodatnikaValues | None = None
    DaneIdentyfikacyjne: _TPodmiot1
    Adres: _TAdres


_Podmiot1K = Podmiot1K


class Podmiot2K(Fa3Model):
    """FA(3) element ``Faktura/Fa/Podmiot2K``."""

    DaneIdentyfikacyjne: _TPodmiot2
    Adres: _TAdres | None = None
    IDNabywcy: str | None = None


_Podmiot2K = Podmiot2K


class ZaliczkaCzesciowa(Fa3Model):
    """FA(3) element ``Faktura/Fa/ZaliczkaCzesciowa``."""

    P_6Z: date
    P_15Z: Dec
    KursWalutyZW: Dec | None = None


_ZaliczkaCzesciowa = ZaliczkaCzesciowa


class TKluczWartosc(Fa3Model):
    """FA(3) type ``TKluczWartosc``."""

    NrWiersza: int | None = None
    Klucz: str
    Wartosc: str


_TKluczWartosc = TKluczWartosc


class FakturaZaliczkowa(Fa3Model):
    """FA(3) element ``Faktura/Fa/FakturaZaliczkowa``."""

    NrKSeFZN: Annotated[Literal[1], IntText] | None = None
    NrFaZaliczkowej: str | None = None
    NrKSeFFaZaliczkowej: str | None = None


_FakturaZaliczkowa = FakturaZaliczkowa


class FaWiersz(Fa3Model):
    """FA(3) element ``Faktura/Fa/FaWiersz``."""

    NrWierszaFa: int
    UU_ID: str | None = None
    P_6A: date | None = None
    P_7: str | None = None
    Indeks: str | None = None
    GTIN: str | None = None
    PKWiU: str | None = None
    CN: str | None = None
    PKOB: str | None = None
    P_8A: str | None = None
    P_8B: Dec | None = None
    P_9A: Dec | None = None
    P_9B: Dec | None = None
    P_10: Dec | None = None
    P_11: Dec | None = None
    P_11A: Dec | None = None
    P_11Vat: Dec | None = None
    P_12: P_12Values | None = None
    P_12_XII: Dec | None = None
    P_12_Zal_15: Annotated[Literal[1], IntText] | None = None
    KwotaAkcyzy: Dec | None = None
    GTU: GTUValues | None = None
    Procedura: (
        Literal["WSTO_EE", "IED", "TT_D", "I_42", "I_63", "B_SPV", "B_SPV_DOSTAWA", "B_MPV_PROWIZJA"] | None
    ) = None
    KursWaluty: Dec | None = None
    StanPrzed: Annotated[Literal[1], IntText] | None = None


_FaWiersz = FaWiersz


class Obciazenia(Fa3Model):
    """FA(3) element ``Faktura/Fa/Rozliczenie/Obciazenia``."""

    Kwota: Dec
    Powod: str


_Obciazenia = Obciazenia


class Odliczenia(Fa3Model):
    """FA(3) element ``Faktura/Fa/Rozliczenie/Odliczenia``."""

    Kwota: Dec
    Powod: str


_Odliczenia = Odliczenia


class Rozliczenie(Fa3Model):
    """FA(3) element ``Faktura/Fa/Rozliczenie``."""

    Obciazenia: list[_Obciazenia] = Field(default_factory=list)
    SumaObciazen: Dec | None = None
    Odliczenia: list[_Odliczenia] = Field(default_factory=list)
    SumaOdliczen: Dec | None = None
    DoZaplaty: Dec | None = None
    DoRozliczenia: Dec | None = None


_Rozliczenie = Rozliczenie


class ZaplataCzesciowa(Fa3Model):
    """FA(3) element ``Faktura/Fa/Platnosc/ZaplataCzesciowa``."""

    KwotaZaplatyCzesciowej: Dec
    DataZaplatyCzesciowej: date
    FormaPlatnosci: FormaPlatnosciValues | None = None
    PlatnoscInna: Annotated[Literal[1], IntText] | None = None
    OpisPlatnosci: str | None = None


_ZaplataCzesciowa = ZaplataCzesciowa


class TerminOpis(Fa3Model):
    """FA(3) element ``Faktura/Fa/Platnosc/TerminPlatnosci/TerminOpis``."""

    Ilosc: int
    Jednostka: str
    ZdarzeniePoczatkowe: str


_TerminOpis = TerminOpis


class TerminPlatnosci(Fa3Model):
    """FA(3) element ``Faktura/Fa/Platnosc/TerminPlatnosci``."""

    Termin: date | None = None
    TerminOpis: _TerminOpis | None = None


_TerminPlatnosci = TerminPlatnosci


class TRachunekBankowy(Fa3Model):
    """FA(3) type ``TRachunekBankowy``."""

    NrRB: str
    SWIFT: str | None = None
    RachunekWlasnyBanku: Annotated[Literal[1, 2, 3], IntText] | None = None
    NazwaBanku: str | None = None
    OpisRachunku: str | None = None


_TRachunekBankowy = TRachunekBankowy


class Skonto(Fa3Model):
    """FA(3) element ``Faktura/Fa/Platnosc/Skonto``."""

    WarunkiSkonta: str
    WysokoscSkonta: str


_Skonto = Skonto


class Platnosc(Fa3Model):
    """FA(3) element ``Faktura/Fa/Platnosc``."""

    Zaplacono: Annotated[Literal[1], IntText] | None = None
    DataZaplaty: date | None = None
    ZnacznikZaplatyCzesciowej: Annotated[Literal[1, 2], IntText] | None = None
    ZaplataCzesciowa: list[_ZaplataCzesciowa] = Field(default_factory=list)
    TerminPlatnosci: list[_TerminPlatnosci] = Field(default_factory=list)
    FormaPlatnosci: FormaPlatnosciValues | None = None
    PlatnoscInna: Annotated[Literal[1], IntText] | None = None
    OpisPlatnosci: str | None = None
    RachunekBankowy: list[_TRachunekBankowy] = Field(default_factory=list)
    RachunekBankowyFaktora: list[_TRachunekBankowy] = Field(default_factory=list)
    Skonto: _Skonto | None = None
    LinkDoPlatnosci: str | None = None
    IPKSeF: str | None = None


_Platnosc = Platnosc


class Umowy(Fa3Model):
    """FA(3) element ``Faktura/Fa/WarunkiTransakcji/Umowy``."""

    DataUmowy: date | None = None
    NrUmowy: str | None = None


_Umowy = Umowy


class Zamowienia(Fa3Model):
    """FA(3) element ``Faktura/Fa/WarunkiTransakcji/Zamowienia``."""

    DataZamowienia: date | None = None
    NrZamowienia: str | None = None


_Zamowienia = Zamowienia


class Przewoznik(Fa3Model):
    """FA(3) element ``Faktura/Fa/WarunkiTransakcji/Transport/Przewoznik``."""

    DaneIdentyfikacyjne: _TPodmiot2
    AdresPrzewoznika: _TAdres


_Przewoznik = Przewoznik


class Transport(Fa3Model):
    """FA(3) element ``Faktura/Fa/WarunkiTransakcji/Transport``."""

    RodzajTransportu: Annotated[Literal[1, 2, 3, 4, 5, 7, 8], IntText] | None = None
    TransportInny: Annotated[Literal[1], IntText] | None = None
    OpisInnegoTransportu: str | None = None
    Przewoznik: _Przewoznik | None = None
    NrZleceniaTransportu: str | None = None
    OpisLadunku: (
        Annotated[Literal[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20], IntText]
        | None
    ) = None
    LadunekInny: Annotated[Literal[1], IntText] | None = None
    OpisInnegoLadunku: str | None = None
    JednostkaOpakowania: str | None = None
    DataGodzRozpTransportu: DateTimeText | None = None
    DataGodzZakTransportu: DateTimeText | None = None
    WysylkaZ: _TAdres | None = None
    WysylkaPrzez: list[_TAdres] = Field(default_factory=list)
    WysylkaDo: _TAdres | None = None


_Transport = Transport


class WarunkiTransakcji(Fa3Model):
    """FA(3) element ``Faktura/Fa/WarunkiTransakcji``."""

    Umowy: list[_Umowy] = Field(default_factory=list)
    Zamowienia: list[_Zamowienia] = Field(default_factory=list)
    NrPartiiTowaru: list[str] = Field(default_factory=list)
    WarunkiDostawy: str | None = None
    KursUmowny: Dec | None = None
    WalutaUmowna: str | None = None
    Transport: list[_Transport] = Field(default_factory=list)
    PodmiotPosredniczacy: Annotated[Literal[1], IntText] | None = None


_WarunkiTransakcji = WarunkiTransakcji


class ZamowienieWiersz(Fa3Model):
    """FA(3) element ``Faktura/Fa/Zamowienie/ZamowienieWiersz``."""

    NrWierszaZam: int
    UU_IDZ: str | None = None
    P_7Z: str | None = None
    IndeksZ: str | None = None
    GTINZ: str | None = None
    PKWiUZ: str | None = None
    CNZ: str | None = None
    PKOBZ: str | None = None
    P_8AZ: str | None = None
    P_8BZ: Dec | None = None
    P_9AZ: Dec | None = None
    P_11NettoZ: Dec | None = None
    P_11VatZ: Dec | None = None
    P_12Z: P_12Values | None = None
    P_12Z_XII: Dec | None = None
    P_12Z_Zal_15: Annotated[Literal[1], IntText] | None = None
    GTUZ: GTUValues | None = None
    ProceduraZ: Literal["WSTO_EE", "IED", "TT_D", "B_SPV", "B_SPV_DOSTAWA", "B_MPV_PROWIZJA"] | None = None
    KwotaAkcyzyZ: Dec | None = None
    StanPrzedZ: Annotated[Literal[1], IntText] | None = None


_ZamowienieWiersz = ZamowienieWiersz


class Zamowienie(Fa3Model):
    """FA(3) element ``Faktura/Fa/Zamowienie``."""

    WartoscZamowienia: Dec
    ZamowienieWiersz: list[_ZamowienieWiersz] = Field(default_factory=list)


_Zamowienie = Zamowienie


class Fa(Fa3Model):
    """FA(3) element ``Faktura/Fa``."""

    KodWaluty: str
    P_1: date
    P_1M: str | None = None
    P_2: str
    WZ: list[str] = Field(default_factory=list)
    P_6: date | None = None
    OkresFa: _OkresFa | None = None
    P_13_1: Dec | None = None
    P_14_1: Dec | None = None
    P_14_1W: Dec | None = None
    P_13_2: Dec | None = None
    P_14_2: Dec | None = None
    P_14_2W: Dec | None = None
    P_13_3: Dec | None = None
    P_14_3: Dec | None = None
    P_14_3W: Dec | None = None
    P_13_4: Dec | None = None
    P_14_4: Dec | None = None
    P_14_4W: Dec | None = None
    P_13_5: Dec | None = None
    P_14_5: Dec | None = None
    P_13_6_1: Dec | None = None
    P_13_6_2: Dec | None = None
    P_13_6_3: Dec | None = None
    P_13_7: Dec | None = None
    P_13_8: Dec | None = None
    P_13_9: Dec | None = None
    P_13_10: Dec | None = None
    P_13_11: Dec | None = None
    P_15: Dec
    KursWalutyZ: Dec | None = None
    Adnotacje: _Adnotacje
    RodzajFaktury: Literal["VAT", "KOR", "ZAL", "ROZ", "UPR", "KOR_ZAL", "KOR_ROZ"]
    PrzyczynaKorekty: str | None = None
    TypKorekty: Annotated[Literal[1, 2, 3], IntText] | None = None
    DaneFaKorygowanej: list[_DaneFaKorygowanej] = Field(default_factory=list)
    OkresFaKorygowanej: str | None = None
    NrFaKorygowany: str | None = None
    Podmiot1K: _Podmiot1K | None = None
    Podmiot2K: list[_Podmiot2K] = Field(default_factory=list)
    P_15ZK: Dec | None = None
    KursWalutyZK: Dec | None = None
    ZaliczkaCzesciowa: list[_ZaliczkaCzesciowa] = Field(default_factory=list)
    FP: Annotated[Literal[1], IntText] | None = None
    TP: Annotated[Literal[1], IntText] | None = None
    DodatkowyOpis: list[_TKluczWartosc] = Field(default_factory=list)
    FakturaZaliczkowa: list[_FakturaZaliczkowa] = Field(default_factory=list)
    ZwrotAkcyzy: Annotated[Literal[1], IntText] | None = None
    FaWiersz: list[_FaWiersz] = Field(default_factory=list)
    Rozliczenie: _Rozliczenie | None = None
    Platnosc: _Platnosc | None = None
    WarunkiTransakcji: _WarunkiTransakcji | None = None
    Zamowienie: _Zamowienie | None = None


_Fa = Fa


class Informacje(Fa3Model):
    """FA(3) element ``Faktura/Stopka/Informacje``."""

    StopkaFaktury: str | None = None


_Informacje = Informacje


class Rejestry(Fa3Model):
    """FA(3) element ``Faktura/Stopka/Rejestry``."""

    PelnaNazwa: str | None = None
    KRS: str | None = None
    REGON: str | None = None
    BDO: str | None = None


_Rejestry = Rejestry


class Stopka(Fa3Model):
    """FA(3) element ``Faktura/Stopka``."""

    Informacje: list[_Informacje] = Field(default_factory=list)
    Rejestry: list[_Rejestry] = Field(default_factory=list)


_Stopka = Stopka


class MetaDane(Fa3Model):
    """FA(3) element ``Faktura/Zalacznik/BlokDanych/MetaDane``."""

    ZKlucz: str
    ZWartosc: str


_MetaDane = MetaDane


class Tekst(Fa3Model):
    """FA(3) element ``Faktura/Zalacznik/BlokDanych/Tekst``."""

    Akapit: list[str] = Field(default_factory=list)


_Tekst = Tekst


class TMetaDane(Fa3Model):
    """FA(3) element ``Faktura/Zalacznik/BlokDanych/Tabela/TMetaDane``."""

    TKlucz: str
    TWartosc: str


_TMetaDane = TMetaDane


class NKom(Fa3Model):
    """FA(3) element ``Faktura/Zalacznik/BlokDanych/Tabela/TNaglowek/Kol/NKom``."""

    XML_TEXT = "value"

    value: str


_NKom = NKom


class Kol(Fa3Model):
    """FA(3) element ``Faktura/Zalacznik/BlokDanych/Tabela/TNaglowek/Kol``."""

    XML_ATTRS = ("Typ",)

    Typ: Literal["date", "datetime", "dec", "int", "time", "txt"]
    NKom: _NKom


_Kol = Kol


class TabelaTNaglowek(Fa3Model):
    """FA(3) element ``Faktura/Zalacznik/BlokDanych/Tabela/TNaglowek``."""

    Kol: list[_Kol] = Field(default_factory=list)


_TabelaTNaglowek = TabelaTNaglowek


class Wiersz(Fa3Model):
    """FA(3) element ``Faktura/Zalacznik/BlokDanych/Tabela/Wiersz``."""

    WKom: list[str] = Field(default_factory=list)


_Wiersz = Wiersz


class Suma(Fa3Model):
    """FA(3) element ``Faktura/Zalacznik/BlokDanych/Tabela/Suma``."""

    SKom: list[str] = Field(default_factory=list)


_Suma = Suma


class Tabela(Fa3Model):
    """FA(3) element ``Faktura/Zalacznik/BlokDanych/Tabela``."""

    TMetaDane: list[_TMetaDane] = Field(default_factory=list)
    Opis: str | None = None
    TNaglowek: _TabelaTNaglowek
    Wiersz: list[_Wiersz] = Field(default_factory=list)
    Suma: _Suma | None = None


_Tabela = Tabela


class BlokDanych(Fa3Model):
    """FA(3) element ``Faktura/Zalacznik/BlokDanych``."""

    ZNaglowek: str | None = None
    MetaDane: list[_MetaDane] = Field(default_factory=list)
    Tekst: _Tekst | None = None
    Tabela: list[_Tabela] = Field(default_factory=list)


_BlokDanych = BlokDanych


class Zalacznik(Fa3Model):
    """FA(3) element ``Faktura/Zalacznik``."""

    BlokDanych: list[_BlokDanych] = Field(default_factory=list)


_Zalacznik = Zalacznik


class Faktura(Fa3Model):
    """FA(3) element ``Faktura``."""

    Naglowek: _TNaglowek
    Podmiot1: _Podmiot1
    Podmiot2: _Podmiot2
    Podmiot3: list[_Podmiot3] = Field(default_factory=list)
    PodmiotUpowazniony: _PodmiotUpowazniony | None = None
    Fa: _Fa
    Stopka: _Stopka | None = None
    Zalacznik: _Zalacznik | None = None


_Faktura = Faktura

Invoice = Faktura
"""The root of an FA(3) document."""
