"""Every broken invoice of the corpus with the exact problems expected: {(path, code)} of the errors.

Each case starts from one of our own valid invoices in this folder and changes it in one way. The
expected set is compared for equality, so a case also proves that nothing else is reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASES = {name: (HERE / f"base_{name}.xml").read_bytes() for name in ("vat", "kor", "zal", "roz")}

Mutation = Callable[[bytes], bytes]


@dataclass(frozen=True)
class Case:
    name: str
    base: str
    mutate: Mutation
    errors: frozenset[tuple[str, str]]
    env: str = "prod"
    warnings: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    def data(self) -> bytes:
        return self.mutate(BASES[self.base])


def sub(old: str, new: str) -> Mutation:
    def mutate(data: bytes) -> bytes:
        text = data.decode("utf-8")
        assert old in text, f"mutation target not found: {old!r}"
        return text.replace(old, new, 1).encode("utf-8")

    return mutate


def chain(*mutations: Mutation) -> Mutation:
    def mutate(data: bytes) -> bytes:
        for m in mutations:
            data = m(data)
        return data

    return mutate


def raw(func: Callable[[bytes], bytes]) -> Mutation:
    return func


def _errors(*pairs: tuple[str, str]) -> frozenset[tuple[str, str]]:
    return frozenset(pairs)


DOC = "/"


def _ascii(data: bytes) -> str:
    return data.decode("utf-8").encode("ascii", "replace").decode("ascii")


XXE = b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE Faktura [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
LAUGHS = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE Faktura [<!ENTITY a "haha">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
    b'<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>\n'
)
_DECL = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def _with_prolog(prolog: bytes, entity: bytes) -> Mutation:
    def mutate(data: bytes) -> bytes:
        body = data[len(_DECL) :].replace(
            b"<P_7>Konsultacje techniczne</P_7>", b"<P_7>" + entity + b"</P_7>", 1
        )
        return prolog + body

    return mutate


_LINE_1 = "<FaWiersz>\n      <NrWierszaFa>1</NrWierszaFa>"
_TOTALS_VAT = (
    "    <P_13_1>200.00</P_13_1>\n    <P_14_1>46.00</P_14_1>\n"
    "    <P_13_2>50.00</P_13_2>\n    <P_14_2>4.00</P_14_2>\n    <P_15>300.00</P_15>"
)
_EU_BUYER = (
    "<DaneIdentyfikacyjne>\n      <KodUE>DE</KodUE>\n      <NrVatUE>{vat}</NrVatUE>\n"
    "      <Nazwa>Kunde GmbH</Nazwa>\n    </DaneIdentyfikacyjne>"
)
_PL_BUYER_ID = (
    "<DaneIdentyfikacyjne>\n      <NIP>5213000009</NIP>\n"
    "      <Nazwa>Odbiorca Próbny S.A.</Nazwa>\n    </DaneIdentyfikacyjne>"
)
_PODMIOT3 = (
    "  <Podmiot3>\n    <DaneIdentyfikacyjne>\n      <IDWew>{idwew}</IDWew>\n      <Nazwa>Oddział</Nazwa>\n"
    "    </DaneIdentyfikacyjne>\n    <Rola>2</Rola>\n  </Podmiot3>\n  <Fa>"
)

CASES: tuple[Case, ...] = (
    # --- bytes and hostile XML ---------------------------------------------------------------------
    Case("xxe", "vat", _with_prolog(XXE, b"&xxe;"), _errors((DOC, "XML_DTD"))),
    Case("billion_laughs", "vat", _with_prolog(LAUGHS, b"&d;"), _errors((DOC, "XML_DTD"))),
    Case(
        "doctype_only",
        "vat",
        _with_prolog(b'<?xml version="1.0"?>\n<!DOCTYPE Faktura>\n', b"x"),
        _errors((DOC, "XML_DTD")),
    ),
    Case("utf8_bom", "vat", raw(lambda d: b"\xef\xbb\xbf" + d), _errors((DOC, "XML_BOM"))),
    Case("utf16_bom", "vat", raw(lambda d: b"\xff\xfe" + d), _errors((DOC, "XML_BOM"))),
    # UTF-16/32 without a BOM: an ASCII-only document whose first "<" shows the encoding
    *(
        Case(
            f"{codec}_without_bom",
            "vat",
            raw(lambda d, c=codec: _ascii(d).encode(c)),
            _errors((DOC, "XML_ENCODING")),
        )
        for codec in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
    ),
    Case(
        "nul_byte",
        "vat",
        raw(lambda d: d.replace(b"</Faktura>", b"</Faktura>\x00")),
        _errors((DOC, "XML_ENCODING")),
    ),
    # a comment or CDATA inside a value hides nothing: the whole string value is checked
    Case(
        "nip_split_by_comment",
        "vat",
        sub("<NIP>5213000009</NIP>", "<NIP>52130<!---->00008</NIP>"),
        _errors(("Podmiot2/DaneIdentyfikacyjne/NIP", "NIP_CHECKSUM")),
    ),
    Case(
        "amount_split_by_comment",
        "vat",
        sub("<P_13_1>200.00</P_13_1>", "<P_13_1>20<!---->1.00</P_13_1>"),
        _errors(("Fa/P_13_1", "TOTALS_MISMATCH"), ("Fa/P_15", "TOTALS_P15")),
    ),
    Case(
        "amount_in_cdata",
        "vat",
        sub("<P_13_1>200.00</P_13_1>", "<P_13_1><![CDATA[201.00]]></P_13_1>"),
        _errors(("Fa/P_13_1", "TOTALS_MISMATCH"), ("Fa/P_15", "TOTALS_P15")),
    ),
    # digits: an amount no FA(3) type holds is a schema error, never a traceback
    Case(
        "amount_30_digits",
        "vat",
        sub("<P_13_1>200.00</P_13_1>", "<P_13_1>" + "9" * 30 + ".00</P_13_1>"),
        _errors(
            ("Fa/P_13_1", "TOTALS_MISMATCH"), ("Fa/P_13_1", "XSD_INVALID_VALUE"), ("Fa/P_15", "TOTALS_P15")
        ),
    ),
    Case(
        "declared_iso_8859_2",
        "vat",
        sub('encoding="UTF-8"', 'encoding="ISO-8859-2"'),
        _errors((DOC, "XML_ENCODING")),
    ),
    Case(
        "declared_windows_1250",
        "vat",
        sub('encoding="UTF-8"', "encoding='windows-1250'"),
        _errors((DOC, "XML_ENCODING")),
    ),
    Case(
        "latin2_bytes",
        "vat",
        raw(lambda d: d.replace("Próbny".encode(), "Próbny".encode("iso-8859-2"))),
        _errors((DOC, "XML_NOT_UTF8")),
    ),
    Case(
        "oversize_without_attachment",
        "vat",
        raw(lambda d: d.replace(b"</Faktura>", b"<!--" + b"x" * 1_000_000 + b"--></Faktura>")),
        _errors((DOC, "XML_TOO_LARGE")),
    ),
    Case(
        "oversize_with_attachment",
        "vat",
        raw(
            lambda d: d.replace(
                b"</Faktura>", b"<Zalacznik></Zalacznik><!--" + b"x" * 3_000_000 + b"--></Faktura>"
            )
        ),
        _errors((DOC, "XML_TOO_LARGE")),
    ),
    Case(
        "oversize_attachment_word_in_text",
        "vat",
        raw(
            lambda d: d.replace(b"Catering na spotkanie", b"Zalacznik> nie ma").replace(
                b"</Faktura>", b"<!--" + b"x" * 1_000_000 + b"--></Faktura>"
            )
        ),
        _errors((DOC, "XML_TOO_LARGE")),
    ),
    Case("not_well_formed", "vat", sub("</P_2>", "</P_3>"), _errors((DOC, "XML_MALFORMED"))),
    Case(
        "fa2_namespace",
        "vat",
        sub("wzor/2025/06/25/13775/", "wzor/2023/06/29/12648/"),
        _errors((DOC, "XML_NAMESPACE")),
    ),
    Case(
        "no_namespace",
        "vat",
        sub(' xmlns="http://crd.gov.pl/wzor/2025/06/25/13775/"', ""),
        _errors((DOC, "XML_NAMESPACE")),
    ),
    Case(
        "processing_instruction",
        "vat",
        sub("<Fa>", "<?xml-stylesheet href='x.xsl'?><Fa>"),
        _errors((DOC, "XML_PROCESSING_INSTRUCTION")),
    ),
    Case(
        "discouraged_character",
        "vat",
        sub("Catering na spotkanie", "Catering\u0090na spotkanie"),
        _errors((DOC, "XML_DISCOURAGED_CHAR")),
    ),
    # --- XSD -----------------------------------------------------------------------------------------
    Case(
        "form_code_fa2",
        "vat",
        sub('kodSystemowy="FA (3)"', 'kodSystemowy="FA (2)"'),
        _errors(("Naglowek/KodFormularza/@kodSystemowy", "XSD_FIXED_VALUE")),
    ),
    Case(
        "schema_version_wrong",
        "vat",
        sub('wersjaSchemy="1-0E"', 'wersjaSchemy="1-1E"'),
        _errors(("Naglowek/KodFormularza/@wersjaSchemy", "XSD_FIXED_VALUE")),
    ),
    Case(
        "missing_invoice_number",
        "vat",
        sub("<P_2>FT/1/03/2026</P_2>", ""),
        _errors(("Fa/P_6", "XSD_UNEXPECTED_ELEMENT")),
    ),
    Case(
        "missing_kind",
        "vat",
        sub("<RodzajFaktury>VAT</RodzajFaktury>", ""),
        _errors(("Fa/FaWiersz[1]", "XSD_UNEXPECTED_ELEMENT")),
    ),
    Case(
        "missing_buyer_jst",
        "vat",
        sub("<JST>2</JST>", ""),
        _errors(("Podmiot2/GV", "XSD_UNEXPECTED_ELEMENT")),
    ),
    Case(
        "missing_annotations_child",
        "vat",
        sub("<P_23>2</P_23>", ""),
        _errors(("Fa/Adnotacje/PMarzy", "XSD_UNEXPECTED_ELEMENT")),
    ),
    Case(
        "missing_seller",
        "vat",
        raw(lambda d: d[: d.index(b"  <Podmiot1>")] + d[d.index(b"  <Podmiot2>") :]),
        _errors(("Podmiot2", "XSD_UNEXPECTED_ELEMENT")),
    ),
    Case(
        "unknown_rate",
        "vat",
        sub("<P_12>8</P_12>", "<P_12>24</P_12>"),
        _errors(("Fa/FaWiersz[2]/P_12", "XSD_INVALID_VALUE")),
    ),
    Case(
        "amount_three_decimals",
        "vat",
        sub("<P_15>300.00</P_15>", "<P_15>300.001</P_15>"),
        _errors(("Fa/P_15", "XSD_INVALID_VALUE")),
    ),
    Case(
        "nip_with_letters",
        "vat",
        sub("<NIP>5260250274</NIP>", "<NIP>52602502AB</NIP>"),
        _errors(("Podmiot1/DaneIdentyfikacyjne/NIP", "XSD_INVALID_VALUE")),
    ),
    Case(
        "impossible_date",
        "vat",
        sub("<P_1>2026-03-02</P_1>", "<P_1>2026-02-30</P_1>"),
        _errors(("Fa/P_1", "XSD_INVALID_VALUE")),
    ),
    Case(
        "issue_date_before_2006",
        "vat",
        sub("<P_1>2026-03-02</P_1>", "<P_1>2005-12-31</P_1>"),
        _errors(("Fa/P_1", "XSD_INVALID_VALUE")),
    ),
    Case(
        "created_before_fa3",
        "vat",
        sub("2026-03-02T10:00:00Z", "2025-08-31T10:00:00Z"),
        _errors(("Naglowek/DataWytworzeniaFa", "XSD_INVALID_VALUE")),
    ),
    Case(
        "unknown_currency",
        "vat",
        sub("<KodWaluty>PLN</KodWaluty>", "<KodWaluty>ZZZ</KodWaluty>"),
        _errors(
            ("Fa/KodWaluty", "XSD_INVALID_VALUE"),
            # Read as a non-PLN invoice it also lacks the tax in PLN.
            ("Fa/P_14_1W", "VAT_PLN_MISSING"),
            ("Fa/P_14_2W", "VAT_PLN_MISSING"),
        ),
    ),
    Case(
        "unknown_element",
        "vat",
        sub("<P_15>300.00</P_15>", "<P_15>300.00</P_15><Rabat>1</Rabat>"),
        _errors(("Fa/Rabat", "XSD_UNEXPECTED_ELEMENT")),
    ),
    # --- identifiers ---------------------------------------------------------------------------------
    Case(
        "seller_nip_checksum_prod",
        "vat",
        sub("<NIP>5260250274</NIP>", "<NIP>5260250275</NIP>"),
        _errors(("Podmiot1/DaneIdentyfikacyjne/NIP", "NIP_CHECKSUM")),
    ),
    Case(
        "seller_nip_checksum_test",
        "vat",
        sub("<NIP>5260250274</NIP>", "<NIP>5260250275</NIP>"),
        _errors(),
        env="test",
        warnings=_errors(("Podmiot1/DaneIdentyfikacyjne/NIP", "NIP_CHECKSUM")),
    ),
    Case(
        "buyer_nip_checksum_demo",
        "vat",
        sub("<NIP>5213000009</NIP>", "<NIP>5213000008</NIP>"),
        _errors(),
        env="demo",
        warnings=_errors(("Podmiot2/DaneIdentyfikacyjne/NIP", "NIP_CHECKSUM")),
    ),
    Case(
        "buyer_nip_checksum_prod",
        "vat",
        sub("<NIP>5213000009</NIP>", "<NIP>5213000008</NIP>"),
        _errors(("Podmiot2/DaneIdentyfikacyjne/NIP", "NIP_CHECKSUM")),
    ),
    Case(
        "internal_id_checksum",
        "vat",
        sub("  <Fa>", _PODMIOT3.format(idwew="5260250274-00013")),
        _errors(("Podmiot3/DaneIdentyfikacyjne/IDWew", "IDWEW_CHECKSUM")),
    ),
    Case(
        "eu_vat_number_invalid",
        "vat",
        chain(sub(_PL_BUYER_ID, _EU_BUYER.format(vat="136695977"))),
        _errors(),
        warnings=_errors(("Podmiot2/DaneIdentyfikacyjne/NrVatUE", "VATUE_CHECKSUM")),
    ),
    Case(
        "corrected_ksef_number_checksum",
        "kor",
        sub("0123456789AB-43", "0123456789AB-44"),
        _errors(),
        warnings=_errors(("Fa/DaneFaKorygowanej/NrKSeFFaKorygowanej", "KSEF_NUMBER_CHECKSUM")),
    ),
    # --- totals --------------------------------------------------------------------------------------
    Case(
        "net_total_disagrees",
        "vat",
        sub("<P_13_1>200.00</P_13_1>", "<P_13_1>210.00</P_13_1>"),
        _errors(("Fa/P_13_1", "TOTALS_MISMATCH"), ("Fa/P_15", "TOTALS_P15")),
    ),
    Case(
        "tax_total_disagrees",
        "vat",
        chain(
            sub("<P_14_1>46.00</P_14_1>", "<P_14_1>45.00</P_14_1>"),
            sub("<P_15>300.00</P_15>", "<P_15>299.00</P_15>"),
        ),
        _errors(("Fa/P_14_1", "TOTALS_MISMATCH")),
    ),
    Case(
        "p15_disagrees",
        "vat",
        sub("<P_15>300.00</P_15>", "<P_15>301.00</P_15>"),
        _errors(("Fa/P_15", "TOTALS_P15")),
    ),
    Case(
        "p15_off_by_a_grosz",
        "vat",
        sub("<P_15>300.00</P_15>", "<P_15>300.01</P_15>"),
        _errors(),
        warnings=_errors(("Fa/P_15", "TOTALS_P15_ROUNDING")),
    ),
    Case(
        "rate_group_missing",
        "vat",
        sub(_TOTALS_VAT, "    <P_13_1>200.00</P_13_1>\n    <P_14_1>46.00</P_14_1>\n    <P_15>246.00</P_15>"),
        _errors(("Fa/P_13_2", "TOTALS_MISMATCH"), ("Fa/P_14_2", "TOTALS_MISMATCH")),
    ),
    Case(
        "line_rate_changed",
        "vat",
        sub("<P_12>8</P_12>", "<P_12>5</P_12>"),
        _errors(
            ("Fa/P_13_2", "TOTALS_MISMATCH"),
            ("Fa/P_14_2", "TOTALS_MISMATCH"),
            ("Fa/P_13_3", "TOTALS_MISMATCH"),
            ("Fa/P_14_3", "TOTALS_MISMATCH"),
        ),
    ),
    Case(
        "foreign_currency_without_pln_tax",
        "vat",
        sub("<KodWaluty>PLN</KodWaluty>", "<KodWaluty>EUR</KodWaluty>"),
        _errors(("Fa/P_14_1W", "VAT_PLN_MISSING"), ("Fa/P_14_2W", "VAT_PLN_MISSING")),
    ),
    # --- kinds ---------------------------------------------------------------------------------------
    Case(
        "correction_without_reference",
        "kor",
        raw(
            lambda d: (
                d[: d.index(b"    <PrzyczynaKorekty>")]
                + d[d.index(b"</DaneFaKorygowanej>") + len(b"</DaneFaKorygowanej>\n") :]
            )
        ),
        _errors(("Fa/DaneFaKorygowanej", "KOR_NO_REFERENCE")),
    ),
    Case(
        "vat_with_correction_data",
        "vat",
        sub(
            "<RodzajFaktury>VAT</RodzajFaktury>",
            "<RodzajFaktury>VAT</RodzajFaktury><PrzyczynaKorekty>Pomyłka</PrzyczynaKorekty>"
            "<DaneFaKorygowanej><DataWystFaKorygowanej>2026-03-01</DataWystFaKorygowanej>"
            "<NrFaKorygowanej>X/1</NrFaKorygowanej><NrKSeFN>1</NrKSeFN></DaneFaKorygowanej>",
        ),
        _errors(("Fa/PrzyczynaKorekty", "NOT_A_CORRECTION"), ("Fa/DaneFaKorygowanej", "NOT_A_CORRECTION")),
    ),
    Case(
        "vat_with_before_state_line",
        "vat",
        sub("<P_12>8</P_12>", "<P_12>8</P_12>\n      <StanPrzed>1</StanPrzed>"),
        _errors(
            ("Fa/FaWiersz[2]/StanPrzed", "NOT_A_CORRECTION"),
            ("Fa/P_13_2", "TOTALS_MISMATCH"),
            ("Fa/P_14_2", "TOTALS_MISMATCH"),
        ),
    ),
    Case(
        "advance_without_order",
        "zal",
        raw(
            lambda d: (
                d[: d.index(b"    <Zamowienie>")] + d[d.index(b"</Zamowienie>\n") + len(b"</Zamowienie>\n") :]
            )
        ),
        _errors(("Fa/Zamowienie", "ZAL_NO_ORDER")),
    ),
    Case(
        "settlement_without_advances",
        "roz",
        raw(
            lambda d: (
                d[: d.index(b"    <FakturaZaliczkowa>")]
                + d[d.index(b"</FakturaZaliczkowa>\n") + len(b"</FakturaZaliczkowa>\n") :]
            )
        ),
        _errors(("Fa/FakturaZaliczkowa", "ROZ_NO_ADVANCES")),
    ),
    # --- dates ---------------------------------------------------------------------------------------
    Case(
        "issue_date_in_future",
        "vat",
        sub("<P_1>2026-03-02</P_1>", "<P_1>2049-12-31</P_1>"),
        _errors(("Fa/P_1", "DATE_ISSUE_FUTURE")),
    ),
    Case(
        "created_in_future",
        "vat",
        sub("2026-03-02T10:00:00Z", "2049-12-31T10:00:00Z"),
        _errors(("Naglowek/DataWytworzeniaFa", "DATE_CREATED_FUTURE")),
    ),
    Case(
        "period_reversed",
        "vat",
        sub(
            "<P_6>2026-03-01</P_6>",
            "<OkresFa><P_6_Od>2026-02-28</P_6_Od><P_6_Do>2026-02-01</P_6_Do></OkresFa>",
        ),
        _errors(("Fa/OkresFa/P_6_Do", "DATE_PERIOD_REVERSED")),
    ),
    Case(
        "corrected_invoice_after_correction",
        "kor",
        sub("<DataWystFaKorygowanej>2026-03-02", "<DataWystFaKorygowanej>2026-03-20"),
        _errors(("Fa/DaneFaKorygowanej/DataWystFaKorygowanej", "DATE_CORRECTED_AFTER_CORRECTION")),
    ),
    # --- legally required content --------------------------------------------------------------------
    Case(
        "line_without_name",
        "vat",
        sub("<P_7>Konsultacje techniczne</P_7>", ""),
        _errors(("Fa/FaWiersz[1]/P_7", "LINE_NAME_MISSING")),
    ),
    Case(
        "line_without_rate",
        "vat",
        sub("<P_12>23</P_12>", ""),
        _errors(("Fa/FaWiersz[1]/P_12", "LINE_RATE_MISSING")),
    ),
    Case(
        "line_without_value",
        "vat",
        sub("<P_11>200.00</P_11>", ""),
        _errors(("Fa/FaWiersz[1]/P_11", "LINE_VALUE_MISSING")),
    ),
    Case(
        "vat_invoice_without_lines",
        "vat",
        raw(lambda d: d[: d.index(b"    <FaWiersz>")] + d[d.index(b"    <Platnosc>") :]),
        _errors(("Fa/FaWiersz", "LINES_MISSING")),
    ),
    Case(
        "exempt_line_without_basis",
        "vat",
        chain(
            sub("<P_12>8</P_12>", "<P_12>zw</P_12>"),
            sub(
                "<P_13_2>50.00</P_13_2>\n    <P_14_2>4.00</P_14_2>\n    <P_15>300.00</P_15>",
                "<P_13_7>50.00</P_13_7>\n    <P_15>296.00</P_15>",
            ),
        ),
        _errors(("Fa/Adnotacje/Zwolnienie/P_19", "EXEMPTION_BASIS_MISSING")),
    ),
    Case(
        "buyer_without_name",
        "vat",
        sub("<Nazwa>Odbiorca Próbny S.A.</Nazwa>", ""),
        _errors(("Podmiot2/DaneIdentyfikacyjne/Nazwa", "BUYER_NAME_MISSING")),
    ),
    Case(
        "settlement_sum_wrong",
        "vat",
        sub(
            "    <Platnosc>",
            "    <Rozliczenie><Obciazenia><Kwota>10.00</Kwota><Powod>Odsetki</Powod></Obciazenia>"
            "<Obciazenia><Kwota>5.00</Kwota><Powod>Opłata</Powod></Obciazenia>"
            "<SumaObciazen>12.00</SumaObciazen><DoZaplaty>312.00</DoZaplaty></Rozliczenie>\n    <Platnosc>",
        ),
        _errors(("Fa/Rozliczenie/SumaObciazen", "SETTLEMENT_SUM")),
    ),
)

# Variations that must stay valid: they guard against rules rejecting lawful invoices.
VALID: tuple[Case, ...] = (
    Case("base_vat", "vat", lambda d: d, _errors()),
    Case("base_kor", "kor", lambda d: d, _errors()),
    Case("base_zal", "zal", lambda d: d, _errors()),
    Case("base_roz", "roz", lambda d: d, _errors()),
    Case("sale_date_after_issue", "vat", sub("<P_6>2026-03-01</P_6>", "<P_6>2026-03-20</P_6>"), _errors()),
    Case(
        "tax_rounded_per_line",
        "vat",
        chain(
            sub(
                "<P_9A>100.00</P_9A>\n      <P_11>200.00</P_11>",
                "<P_9A>100.02</P_9A>\n      <P_11>200.04</P_11>",
            ),
            sub(
                "<P_13_1>200.00</P_13_1>\n    <P_14_1>46.00</P_14_1>",
                "<P_13_1>200.04</P_13_1>\n    <P_14_1>46.01</P_14_1>",
            ),
            sub("<P_15>300.00</P_15>", "<P_15>300.05</P_15>"),
        ),
        _errors(),
    ),
    Case(
        "reverse_charge_line_without_rate",
        "vat",
        chain(
            sub("<P_18>2</P_18>", "<P_18>1</P_18>"),
            sub("<P_12>23</P_12>", "<P_12>oo</P_12>"),
            sub("<P_13_1>200.00</P_13_1>\n    <P_14_1>46.00</P_14_1>\n", ""),
            sub("<P_15>300.00</P_15>", "<P_13_10>200.00</P_13_10>\n    <P_15>254.00</P_15>"),
        ),
        _errors(),
    ),
    Case(
        "gross_entry",
        "vat",
        chain(
            sub(
                "<P_9A>100.00</P_9A>\n      <P_11>200.00</P_11>",
                "<P_9B>123.00</P_9B>\n      <P_11A>246.00</P_11A>",
            ),
            sub(
                "<P_9A>50.00</P_9A>\n      <P_11>50.00</P_11>",
                "<P_9B>54.00</P_9B>\n      <P_11A>54.00</P_11A>",
            ),
        ),
        _errors(),
    ),
    Case("eu_buyer_valid_vat_number", "vat", sub(_PL_BUYER_ID, _EU_BUYER.format(vat="136695976")), _errors()),
    Case("internal_id_valid", "vat", sub("  <Fa>", _PODMIOT3.format(idwew="5260250274-00012")), _errors()),
)
