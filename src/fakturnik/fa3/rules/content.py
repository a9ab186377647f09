"""The legally required content of an invoice (art. 106e of the VAT act) that the XSD leaves optional.

The XSD makes line fields optional because of the exceptions; these rules apply the exceptions:
* P_7 (name of goods/service) on every line, except corrections (art. 106j ust. 3 pkt 2);
* P_11/P_11A (value) and P_12 (rate) on lines of VAT and ROZ invoices, except margin procedures
  (art. 106e ust. 2-3) and, for the rate, reverse charge (art. 106e ust. 4 pkt 3);
* P_8A/P_8B/P_9A (unit, quantity, unit price): required by art. 106e ust. 1 pkt 8-9, yet utility and
  periodic invoices lawfully omit them (the Ministry's own examples do), so only a warning;
* lines exist on VAT, ROZ and UPR invoices (only advances and collective corrections may omit them);
* an exempt line (``zw``) needs the exemption basis (P_19 with P_19A/B/C; art. 106e ust. 1 pkt 19);
* the buyer's name (art. 106e ust. 1 pkt 3), except on a simplified invoice (UPR, ust. 5 pkt 3);
* JST / VAT-group flags and the Podmiot3 role that makes the invoice reach that unit (warning).
"""

from __future__ import annotations

from fakturnik.base.xmlsafe import text_value
from fakturnik.fa3.rules.base import Invoice, Line, RuleContext, child_path, children_by_tag, find, tag, text

_LINES_REQUIRED = frozenset({"VAT", "ROZ", "UPR"})
_FULL_LINES = frozenset({"VAT", "ROZ"})


def check_content(inv: Invoice, ctx: RuleContext) -> None:
    fa = inv.fa
    if fa is None or inv.kind is None:
        return
    if inv.kind in _LINES_REQUIRED and not inv.lines:
        ctx.error(
            child_path(fa, "FaWiersz"),
            f"Faktura {inv.kind} musi mieć pozycje (FaWiersz) z nazwą towaru lub usługi.",
            "LINES_MISSING",
        )
    if not inv.is_correction:
        margin, reverse_charge = inv.margin, inv.reverse_charge
        for line in inv.lines:
            keys = line.values.keys()
            if not (  # everything any line rule wants is there (the usual case): nothing to report
                keys >= _ALWAYS
                and not keys.isdisjoint(_VALUE)
                and not keys.isdisjoint(_RATE)
                and not keys.isdisjoint(_PRICE)
            ):
                _check_line(inv, line, ctx, margin, reverse_charge)
    _check_exemption(inv, ctx)
    _check_buyer(inv, ctx)


# Clark names of the line fields the rules below want (Line.values keys).
_ALWAYS = frozenset({tag("P_7"), tag("P_8A"), tag("P_8B")})
_VALUE = frozenset({tag("P_11"), tag("P_11A")})
_RATE = frozenset({tag("P_12"), tag("P_12_XII")})
_PRICE = frozenset({tag("P_9A"), tag("P_9B")})


def _check_line(inv: Invoice, line: Line, ctx: RuleContext, margin: bool, reverse_charge: bool) -> None:
    base = line.path
    if not line.has("P_7"):
        ctx.error(
            f"{base}/P_7", "Pozycja faktury musi mieć nazwę towaru lub usługi (P_7).", "LINE_NAME_MISSING"
        )
    if inv.kind not in _FULL_LINES:
        return
    if not (line.has("P_11") or line.has("P_11A") or margin):
        ctx.error(
            f"{base}/P_11",
            "Pozycja faktury musi mieć wartość netto (P_11) albo brutto (P_11A).",
            "LINE_VALUE_MISSING",
        )
    if not (line.has("P_12") or line.has("P_12_XII") or margin or reverse_charge):
        ctx.error(
            f"{base}/P_12",
            "Pozycja faktury musi mieć stawkę podatku (P_12), chyba że to procedura marży "
            "lub odwrotne obciążenie.",
            "LINE_RATE_MISSING",
        )
    if not margin:
        missing = [n for n in ("P_8A", "P_8B") if not line.has(n)]
        if not (line.has("P_9A") or line.has("P_9B")):
            missing.append("P_9A")
        if missing:
            ctx.warning(
                base,
                f"Pozycja nie ma {', '.join(missing)} (miara, ilość, cena jednostkowa; art. 106e ust. 1 "
                "pkt 8-9 ustawy o VAT) — dopuszczalne tylko w szczególnych przypadkach.",
                "LINE_QTY_PRICE_MISSING",
            )


def _check_exemption(inv: Invoice, ctx: RuleContext) -> None:
    exempt_lines = [line for line in inv.lines if line.get("P_12") == "zw"]
    has_basis = text(inv.fa_first("Adnotacje"), "Zwolnienie/P_19") == "1"
    if exempt_lines and not has_basis:
        ctx.error(
            "Fa/Adnotacje/Zwolnienie/P_19",
            "Pozycje zwolnione z VAT (P_12 = zw) wymagają podstawy zwolnienia: P_19 = 1 i P_19A, "
            "P_19B albo P_19C (art. 106e ust. 1 pkt 19 ustawy o VAT).",
            "EXEMPTION_BASIS_MISSING",
        )
    if has_basis and inv.lines and not exempt_lines and not inv.is_correction:
        ctx.warning(
            "Fa/Adnotacje/Zwolnienie/P_19",
            "Podano podstawę zwolnienia z VAT, ale żadna pozycja nie ma stawki zw.",
            "EXEMPTION_WITHOUT_EXEMPT_LINE",
        )


_DANE = tag("DaneIdentyfikacyjne")
_ADRES = tag("Adres")
_SUBUNIT_FLAGS = (
    (tag("JST"), "JST", "8", "jednostki podrzędnej JST"),
    (tag("GV"), "GV", "10", "członka grupy VAT"),
)


def _check_buyer(inv: Invoice, ctx: RuleContext) -> None:
    buyer = inv.top_first("Podmiot2")
    if buyer is None or inv.kind in ("UPR",) or inv.is_correction:
        return
    parts = children_by_tag(buyer)  # one walk instead of a lookup per field
    ident = parts.get(_DANE)
    if ident is None or find(ident[0], "Nazwa") is None:
        ctx.error(
            "Podmiot2/DaneIdentyfikacyjne/Nazwa",
            "Brak imienia i nazwiska lub nazwy nabywcy (art. 106e ust. 1 pkt 3 ustawy o VAT).",
            "BUYER_NAME_MISSING",
        )
    if _ADRES not in parts:
        ctx.warning(
            "Podmiot2/Adres",
            "Brak adresu nabywcy (art. 106e ust. 1 pkt 3 ustawy o VAT).",
            "BUYER_ADDRESS_MISSING",
        )
    roles: set[str | None] | None = None
    for clark, flag, role, what in _SUBUNIT_FLAGS:
        found = parts.get(clark)
        if found is None or text_value(found[0]).strip() != "1":
            continue
        if roles is None:
            roles = {text(p3, "Rola") for p3 in inv.top_all("Podmiot3")}
        if role not in roles:
            ctx.warning(
                "Podmiot3",
                f"{flag} = 1, ale brak Podmiot3 z rolą {role}: faktura nie zostanie udostępniona "
                f"jako faktura {what}.",
                "SUBUNIT_ROLE_MISSING",
            )
