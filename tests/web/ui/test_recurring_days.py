"""Recurring invoices: the next day of the month, and the draft of a run."""

from datetime import date

from fakturnik.app.recurring import _for_day, next_run_after


def test_next_run_after() -> None:
    assert next_run_after(10, date(2026, 12, 7)) == date(2026, 12, 10)
    assert next_run_after(7, date(2026, 12, 7)) == date(2027, 1, 7)  # strictly after
    assert next_run_after(28, date(2027, 1, 31)) == date(2027, 2, 28)
    assert next_run_after(1, date(2026, 12, 31)) == date(2027, 1, 1)


def test_a_run_gets_its_own_dates_and_number() -> None:
    template = {
        "Naglowek": {"DataWytworzeniaFa": "2026-11-10T10:00:00Z"},
        "Fa": {
            "P_1": "2026-11-10",
            "P_2": "FV/2026/11/0007",
            "P_6": "2026-11-09",
            "P_13_1": "100.00",
            "P_14_1": "23.00",
            "P_15": "123.00",
            "FaWiersz": [{"P_7": "Abonament", "P_9A": "100", "P_11": "100.00", "P_12": "23"}],
            "Platnosc": {
                "Zaplacono": 1,
                "DataZaplaty": "2026-11-10",
                "TerminPlatnosci": [{"Termin": "2026-11-24"}],
            },
        },
    }
    draft = _for_day(template, date(2026, 12, 10), 14)
    fa = draft["Fa"]
    assert fa["P_1"] == "2026-12-10" and fa["P_2"] == "AUTO" and "P_6" not in fa
    assert "P_15" not in fa and "P_13_1" not in fa and "P_11" not in fa["FaWiersz"][0]
    assert fa["Platnosc"] == {"TerminPlatnosci": [{"Termin": "2026-12-24"}]}
    assert "DataWytworzeniaFa" not in draft["Naglowek"]
    assert template["Fa"]["P_2"] == "FV/2026/11/0007"  # the template itself is untouched
