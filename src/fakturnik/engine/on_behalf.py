"""Invoices a company issues in another seller's name: self-billing and a tax representative.

A company's invoices normally have the company as the seller (``Podmiot1``). Two cases of the VAT
act let it issue with someone else as the seller, sent to KSeF in the company's own context:

* **self-billing** (samofakturowanie, art. 106d): the *buyer* issues the invoice in the name and on
  behalf of the seller who authorised it; ``Adnotacje/P_17`` = 1 and the company is ``Podmiot2``
  (by NIP). In KSeF the seller grants the company's NIP the ``SelfInvoicing`` authorization;
* **tax representative** (przedstawiciel podatkowy, art. 106e ust. 1 pkt 4): the company is named
  in ``PodmiotUpowazniony`` with ``RolaPU`` = 3; in KSeF the ``TaxRepresentative`` authorization.

Fakturnik lets exactly these through and refuses every other foreign seller (a typo in the seller's
NIP must not reach KSeF). Whether the seller really granted the authorization is KSeF's to decide:
without it the invoice gets status 410 and waits in the queue (engine/refusals.py) until it is
granted — the grant may be made at any time, in Fakturnik or anywhere else.

**Numbering.** An invoice issued for another seller takes its number from a series the company keeps
*for that seller* (one per seller and kind, reset yearly): ``SF/{company NIP}/FV/2026/000001`` for
self-billing, ``PP/{company NIP}/FV/2026/000001`` for a tax representative. The company's NIP in the
number keeps it apart from the seller's own numbers and from another buyer's self-billing for the
same seller: KSeF refuses a duplicate of (seller NIP, kind, number). A number agreed with the seller
may be entered instead (``P_2``); the duplicate check is then per seller too.

Pure functions of the parsed document; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

__all__ = [
    "SELF_BILLING",
    "TAX_REPRESENTATIVE",
    "OnBehalf",
    "foreign_seller_refusal",
    "issued_for",
]

SELF_BILLING = "self_billing"
TAX_REPRESENTATIVE = "tax_representative"

_PREFIX = {SELF_BILLING: "SF", TAX_REPRESENTATIVE: "PP"}
_LABEL = {SELF_BILLING: "samofakturowanie", TAX_REPRESENTATIVE: "przedstawiciel podatkowy"}
_TAX_REPRESENTATIVE_ROLE = "3"  # PodmiotUpowazniony/RolaPU: 1 enforcement authority, 2 bailiff, 3 tax rep.


@dataclass(frozen=True)
class OnBehalf:
    """The company issues this invoice for ``seller_nip`` in the role ``role``."""

    role: str  # SELF_BILLING | TAX_REPRESENTATIVE
    seller_nip: str
    issuer_nip: str

    @property
    def label(self) -> str:
        """``samofakturowanie`` / ``przedstawiciel podatkowy`` (for people)."""
        return _LABEL[self.role]

    @property
    def series_key(self) -> str:
        """The key of the series this company keeps for the seller (``numbering_series.seller_nip``)."""
        return f"{self.seller_nip}/{self.issuer_nip}"

    @property
    def audit(self) -> dict[str, str]:
        """What the ``invoice.issue`` audit entry adds: in whose name, in which role."""
        return {"on_behalf": self.role, "seller": self.seller_nip}

    def pattern(self, default_pattern: str) -> str:
        """The numbering pattern: the kind's default (``FV/{year}/{seq:06d}``) after the role's prefix
        and the company's NIP."""
        return f"{_PREFIX[self.role]}/{self.issuer_nip}/{default_pattern}"


def _local(element: etree._Element) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(parent: etree._Element | None, name: str) -> etree._Element | None:
    if parent is None:
        return None
    for child in parent:
        if _local(child) == name:
            return child
    return None


def _text(parent: etree._Element | None, *path: str) -> str:
    node = parent
    for name in path:
        node = _child(node, name)
    return (node.text or "").strip() if node is not None else ""


def issued_for(root: etree._Element, seller_nip: str, company_nip: str) -> OnBehalf | None:
    """How ``company_nip`` may issue this FA(3) invoice of ``seller_nip`` (another seller), or None.

    Self-billing when ``Fa/Adnotacje/P_17`` = 1 and ``Podmiot2`` has the company's NIP; a tax
    representative when ``PodmiotUpowazniony`` has the company's NIP and ``RolaPU`` = 3.
    """
    if _text(root, "Fa", "Adnotacje", "P_17") == "1" and (
        _text(root, "Podmiot2", "DaneIdentyfikacyjne", "NIP") == company_nip
    ):
        return OnBehalf(SELF_BILLING, seller_nip, company_nip)
    authorized = _child(root, "PodmiotUpowazniony")
    if (
        authorized is not None
        and _text(authorized, "DaneIdentyfikacyjne", "NIP") == company_nip
        and _text(authorized, "RolaPU") == _TAX_REPRESENTATIVE_ROLE
    ):
        return OnBehalf(TAX_REPRESENTATIVE, seller_nip, company_nip)
    return None


def foreign_seller_refusal(seller_nip: str, company_nip: str) -> str:
    """Why an invoice of another seller is refused (Polish, for the person who issued it)."""
    return (
        f"faktura sprzedawcy {seller_nip} nie należy do firmy {company_nip}; w imieniu innego "
        f"sprzedawcy firma wystawia fakturę tylko jako samofakturowanie (Adnotacje/P_17 = 1 i firma "
        f"{company_nip} jako nabywca w Podmiot2) albo jako jego przedstawiciel podatkowy "
        f"(PodmiotUpowazniony z NIP {company_nip} i RolaPU = 3)"
    )
