"""Who objects to a validation problem: KSeF (it will reject the invoice), the VAT act (KSeF accepts
the invoice, but it is deficient — art. 106e content, an exemption basis, correction references), or
the amounts (the totals do not follow from the lines).

Issuing refuses the first kind always and the others by the company's choice (``Strictness``); a
received invoice is never refused for anything KSeF accepted.
"""

from __future__ import annotations

from typing import Literal

from fakturnik.errors import Problem

Authority = Literal["ksef", "vat_act", "amounts"]
Strictness = Literal["all", "ksef"]  # refuse every error (default) / only what KSeF would reject

AUTHORITY_LABELS: dict[str, str] = {
    "ksef": "KSeF odrzuci fakturę",
    "vat_act": "Wymaga tego ustawa o VAT (KSeF przyjmie fakturę, ale jest ona wadliwa)",
    "amounts": "Kwoty się nie zgadzają (KSeF przyjmie fakturę)",
}
AUTHORITY_ORDER: tuple[Authority, ...] = ("ksef", "vat_act", "amounts")

# Checks KSeF makes itself: bytes, the XSD, identifiers it verifies, dates it refuses.
_KSEF_CODES = frozenset(
    {
        "UTF8",
        "NIP_CHECKSUM",
        "IDWEW_CHECKSUM",
        "KSEF_NUMBER_CHECKSUM",
        "DATE_ISSUE_FUTURE",
        "DATE_CREATED_FUTURE",
    }
)
_AMOUNT_CODES = frozenset({"SETTLEMENT_SUM"})


def authority_of(problem: Problem | str) -> Authority:
    """The authority behind a problem (or a problem code)."""
    code = problem if isinstance(problem, str) else problem.code
    if code.startswith(("XML_", "XSD_", "json")) or code in _KSEF_CODES:
        return "ksef"
    if code.startswith("TOTALS_") or code in _AMOUNT_CODES:
        return "amounts"
    return "vat_act"


def grouped(problems: list[Problem]) -> dict[Authority, list[Problem]]:
    """Problems by authority, in the order KSeF, the VAT act, the amounts (empty groups left out)."""
    groups: dict[Authority, list[Problem]] = {}
    for authority in AUTHORITY_ORDER:
        found = [p for p in problems if authority_of(p) == authority]
        if found:
            groups[authority] = found
    return groups


def refused(problems: list[Problem], strictness: Strictness) -> list[Problem]:
    """The problems that refuse an invoice under ``strictness``; the rest are only warnings."""
    if strictness == "all":
        return list(problems)
    if strictness == "ksef":
        return [p for p in problems if authority_of(p) == "ksef"]
    raise ValueError(f"unknown strictness {strictness!r}")
