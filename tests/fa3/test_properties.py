"""Property tests: every invoice the builder accepts writes XSD-valid XML with consistent amounts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakturnik.errors import InvoiceError, InvoiceParseError, InvoiceValidationError, XmlSecurityError
from fakturnik.fa3.amounts import SUMMARY_FIELDS_ORDER, VAT_RATES, round_grosze
from fakturnik.fa3.builder import build_invoice, check_totals
from fakturnik.fa3.jsonform import invoice_from_json, invoice_to_json
from fakturnik.fa3.parser import parse_invoice
from fakturnik.fa3.samples import make_nip, make_sample_draft
from fakturnik.fa3.writer import write_invoice
from tests.conftest import SAMPLES_DIR
from tests.fa3.xsd import assert_xsd_valid

SELLER = "5260250274"

_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip() != "" and s == " ".join(s.split()))


def _decimal(lo: str, hi: str, places: int) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=Decimal(lo), max_value=Decimal(hi), places=places, allow_nan=False)


@st.composite
def _line(draw: st.DrawFn, gross: bool, foreign: bool) -> dict[str, Any]:
    line: dict[str, Any] = {
        "P_7": draw(_text),
        "P_8A": draw(st.sampled_from(["szt.", "kg", "godz.", "m²", "usł."])),
        "P_8B": str(draw(_decimal("0.000001", "10000", 6))),
        ("P_9B" if gross else "P_9A"): str(draw(_decimal("0.01", "100000", draw(st.integers(0, 4))))),
    }
    if draw(st.booleans()) and draw(st.booleans()):
        line["P_10"] = str(draw(_decimal("0", "0.01", 2)))
    if draw(st.integers(0, 9)) == 0:
        line["P_12_XII"] = str(draw(_decimal("0", "27", 2)))
    else:
        line["P_12"] = draw(st.sampled_from(VAT_RATES))
    if foreign:
        line["KursWaluty"] = str(draw(_decimal("0.0001", "10", 4)))
    if draw(st.booleans()):
        line["GTU"] = draw(st.sampled_from([f"GTU_{i:02d}" for i in range(1, 14)]))
    return line


@st.composite
def drafts(draw: st.DrawFn) -> tuple[dict[str, Any], str | None]:
    gross = draw(st.booleans())
    currency = draw(st.sampled_from(["PLN", "PLN", "EUR", "USD"]))
    draft = make_sample_draft(SELLER, f"FV/H/{draw(st.integers(1, 10**6))}", lines=0, currency=currency)
    draft["Fa"]["FaWiersz"] = draw(st.lists(_line(gross, currency != "PLN"), min_size=1, max_size=12))
    draft["Podmiot2"]["DaneIdentyfikacyjne"]["Nazwa"] = draw(_text)
    method = draw(st.sampled_from([None, None, "line"]))
    return draft, method


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drafts())
def test_built_invoices_are_xsd_valid_with_consistent_amounts(
    case: tuple[dict[str, Any], str | None],
) -> None:
    draft, method = case
    try:
        invoice = build_invoice(draft, method=method)  # type: ignore[arg-type]
    except InvoiceValidationError:  # pragma: no cover - the drafts above never supply totals
        raise
    xml = write_invoice(invoice)
    assert_xsd_valid(xml)
    assert check_totals(invoice) == []
    fa = invoice.Fa
    nets_and_taxes = [
        getattr(fa, n) for n in SUMMARY_FIELDS_ORDER if n.startswith(("P_13", "P_14")) and "W" not in n
    ]
    assert sum((v for v in nets_and_taxes if v is not None), Decimal(0)) == fa.P_15
    if method is None and all("P_9B" in w for w in draft["Fa"]["FaWiersz"]):
        assert sum((w.P_11A for w in fa.FaWiersz), Decimal(0)) == fa.P_15  # type: ignore[misc]
    for w in fa.FaWiersz:
        value = w.P_11A if w.P_11A is not None else w.P_11
        assert value is not None and value == round_grosze(value)
    # the document reads back into the same model and bytes, through XML and through JSON
    again = parse_invoice(xml)
    assert write_invoice(again) == xml
    assert write_invoice(invoice_from_json(invoice_to_json(again))) == xml


_BUYER_IDS = st.sampled_from(
    [
        {"NIP": "7740001454"},
        {"KodUE": "DE", "NrVatUE": "123456789"},
        {"KodKraju": "US", "NrID": "12-3456789"},
        {"BrakID": 1},
    ]
)


@st.composite
def kinds(draw: st.DrawFn) -> dict[str, Any]:
    """Drafts of every kind the builder computes from lines, with every kind of buyer identifier."""
    kind = draw(st.sampled_from(["VAT", "KOR", "UPR", "ZAL"]))
    draft = make_sample_draft(SELLER, f"FV/K/{draw(st.integers(1, 10**6))}", lines=draw(st.integers(1, 5)))
    ident = {**draw(_BUYER_IDS), "Nazwa": draw(_text)}
    draft["Podmiot2"]["DaneIdentyfikacyjne"] = ident
    if "KodUE" in ident or "NrID" in ident:
        draft["Podmiot2"]["Adres"] = {
            "KodKraju": ident.get("KodUE", ident.get("KodKraju")),
            "AdresL1": draw(_text),
        }
    if draw(st.booleans()):
        draft["Podmiot3"] = [
            {
                "DaneIdentyfikacyjne": {"NIP": make_nip(draw(st.integers())), "Nazwa": draw(_text)},
                "Rola": draw(st.sampled_from([1, 2, 4, 5, 6, 7, 8])),
            }
        ]
    fa = draft["Fa"]
    fa["RodzajFaktury"] = kind
    if kind == "KOR":
        fa["PrzyczynaKorekty"] = draw(_text)
        fa["TypKorekty"] = draw(st.sampled_from([1, 2, 3]))
        fa["DaneFaKorygowanej"] = [
            {"DataWystFaKorygowanej": "2026-01-10", "NrFaKorygowanej": "FV/1", "NrKSeFN": 1}
        ]
        before = [{**line, "StanPrzed": 1} for line in fa["FaWiersz"]]
        fa["FaWiersz"] = [x for pair in zip(before, fa["FaWiersz"], strict=True) for x in pair]
    if kind == "ZAL":
        lines = fa.pop("FaWiersz")
        fa["P_13_1"], fa["P_14_1"] = "100.00", "23.00"
        fa["Zamowienie"] = {
            "WartoscZamowienia": "1230.00",
            "ZamowienieWiersz": [
                {"NrWierszaZam": i, "P_7Z": line["P_7"], "P_8BZ": line["P_8B"], "P_12Z": line["P_12"]}
                for i, line in enumerate(lines, 1)
            ],
        }
    return draft


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kinds())
def test_every_kind_and_party_builds_xsd_valid(draft: dict[str, Any]) -> None:
    invoice = build_invoice(draft)
    xml = write_invoice(invoice)
    assert_xsd_valid(xml)
    assert check_totals(invoice) == []
    assert write_invoice(parse_invoice(xml)) == xml


_SAMPLE_BYTES = [p.read_bytes() for p in sorted(SAMPLES_DIR.glob("*.xml"))[:12]]


@st.composite
def mutated_documents(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(_SAMPLE_BYTES)))
    for _ in range(draw(st.integers(1, 3))):
        start = draw(st.integers(0, len(data) - 1))
        end = min(len(data), start + draw(st.integers(0, 40)))
        choice = draw(st.integers(0, 2))
        if choice == 0:
            del data[start:end]
        elif choice == 1:
            data[start:start] = draw(st.binary(min_size=1, max_size=8))
        else:
            data[start:end] = bytes(reversed(data[start:end]))
    return bytes(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_documents())
def test_any_damaged_document_gives_a_clear_error_or_a_writable_model(data: bytes) -> None:
    try:
        invoice = parse_invoice(data)
    except (XmlSecurityError, InvoiceParseError) as exc:
        assert str(exc)
        return
    try:
        write_invoice(invoice)
    except InvoiceError as exc:  # e.g. a kept unknown element that cannot be re-read
        assert str(exc)
