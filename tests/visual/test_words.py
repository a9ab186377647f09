"""Amounts in words ("Słownie: …") as Polish invoices write them: the number's words, the currency's
name in the form the number asks for, the hundredths as a fraction — the function, and the text of the
rendered PDF and HTML (read back with poppler's pdftotext)."""

from __future__ import annotations

import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from fakturnik.visual.formatting import amount_in_words, number_in_words

needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("0", "zero złotych 00/100"),
        ("0.07", "zero złotych 07/100"),
        ("1", "jeden złoty 00/100"),
        ("2", "dwa złote 00/100"),
        ("5", "pięć złotych 00/100"),
        ("11", "jedenaście złotych 00/100"),
        ("12", "dwanaście złotych 00/100"),
        ("14", "czternaście złotych 00/100"),
        ("21", "dwadzieścia jeden złotych 00/100"),
        ("22", "dwadzieścia dwa złote 00/100"),
        ("100", "sto złotych 00/100"),
        ("112", "sto dwanaście złotych 00/100"),
        ("1000", "tysiąc złotych 00/100"),
        ("1001", "tysiąc jeden złotych 00/100"),
        ("2000", "dwa tysiące złotych 00/100"),
        ("5000", "pięć tysięcy złotych 00/100"),
        ("12000", "dwanaście tysięcy złotych 00/100"),
        ("22000", "dwadzieścia dwa tysiące złotych 00/100"),
        ("1234.56", "tysiąc dwieście trzydzieści cztery złote 56/100"),
        ("1000000", "milion złotych 00/100"),
        ("2000000", "dwa miliony złotych 00/100"),
        (
            "1234567.89",
            "milion dwieście trzydzieści cztery tysiące pięćset sześćdziesiąt siedem złotych 89/100",
        ),
        ("3000000000", "trzy miliardy złotych 00/100"),
        ("999.999", "tysiąc złotych 00/100"),  # rounded to the grosz first
        ("-123.40", "minus sto dwadzieścia trzy złote 40/100"),  # a correction that lowers the amount
    ],
)
def test_polish_zloty(value: str, words: str) -> None:
    assert amount_in_words(Decimal(value)) == words
    assert amount_in_words(Decimal(value), "PLN") == words


@pytest.mark.parametrize(
    ("value", "currency", "words"),
    [
        ("1", "EUR", "jedno euro 00/100"),
        ("2", "EUR", "dwa euro 00/100"),
        ("1234.56", "EUR", "tysiąc dwieście trzydzieści cztery euro 56/100"),
        ("1", "USD", "jeden dolar amerykański 00/100"),
        ("3", "USD", "trzy dolary amerykańskie 00/100"),
        ("25", "USD", "dwadzieścia pięć dolarów amerykańskich 00/100"),
        ("1", "CZK", "jedna korona czeska 00/100"),
        ("2", "CZK", "dwie korony czeskie 00/100"),
        ("22", "CZK", "dwadzieścia dwie korony czeskie 00/100"),
        ("2002", "CZK", "dwa tysiące dwie korony czeskie 00/100"),  # tysiąc stays masculine
        ("12", "CZK", "dwanaście koron czeskich 00/100"),
        ("4", "GBP", "cztery funty szterlingi 00/100"),
        ("5", "UAH", "pięć hrywien 00/100"),
        ("7.10", "XTS", "siedem XTS 10/100"),  # a currency without a Polish name keeps its code
        ("10.5", "eur", "dziesięć euro 50/100"),
    ],
)
def test_foreign_currencies(value: str, currency: str, words: str) -> None:
    assert amount_in_words(Decimal(value), currency) == words


def test_number_in_words_bounds() -> None:
    assert number_in_words(999_999_999_999).startswith("dziewięćset dziewięćdziesiąt dziewięć miliardów")
    with pytest.raises(ValueError):
        number_in_words(10**12)
    with pytest.raises(ValueError):
        number_in_words(-1)
    assert amount_in_words(Decimal("1000000000000")) == "1\u00a0000\u00a0000\u00a0000\u00a0000,00 PLN"


def _invoice_xml(currency: str, price: str) -> bytes:
    from fakturnik.fa3.jsonform import invoice_from_draft
    from fakturnik.fa3.writer import write_invoice

    line: dict[str, Any] = {
        "P_7": "Wdrożenie systemu",
        "P_8A": "szt.",
        "P_8B": "1",
        "P_9A": price,
        "P_12": "23",
    }
    fa: dict[str, Any] = {"P_1": "2026-12-07", "P_2": "FV/2026/12/1", "P_6": "2026-12-07", "FaWiersz": [line]}
    if currency != "PLN":
        fa["KodWaluty"] = currency
        line["KursWaluty"] = "4.2500"
    draft = {
        "Podmiot1": {
            "DaneIdentyfikacyjne": {"NIP": "5265877635", "Nazwa": "Przykładowa Firma sp. z o.o."},
            "Adres": {"KodKraju": "PL", "AdresL1": "ul. Prosta 1, 00-001 Warszawa"},
        },
        "Podmiot2": {
            "DaneIdentyfikacyjne": {"NIP": "7740001454", "Nazwa": "Klient S.A."},
            "Adres": {"KodKraju": "PL", "AdresL1": "ul. Długa 2, 30-001 Kraków"},
        },
        "Fa": fa,
    }
    return write_invoice(invoice_from_draft(draft))


@needs_poppler
@pytest.mark.parametrize(
    ("currency", "price", "words"),
    [
        # 1 003.70 net + 23 % = 1 234.55
        ("PLN", "1003.70", "Słownie: tysiąc dwieście trzydzieści cztery złote 55/100"),
        ("EUR", "1003.70", "Słownie: tysiąc dwieście trzydzieści cztery euro 55/100"),
        ("PLN", "0.82", "Słownie: jeden złoty 01/100"),
    ],
)
def test_the_pdf_and_html_say_the_amount_in_words(
    currency: str, price: str, words: str, tmp_path: Path
) -> None:
    from fakturnik.visual.render import invoice_html, invoice_pdf

    xml = _invoice_xml(currency, price)
    html = invoice_html(xml)
    assert words in html
    path = tmp_path / "faktura.pdf"
    path.write_bytes(invoice_pdf(xml))
    text = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert words in " ".join(text.split()), text[-800:]
