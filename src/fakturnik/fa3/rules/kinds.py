"""What each kind of invoice (RodzajFaktury) requires, and what only corrections may carry."""

from __future__ import annotations

from fakturnik.fa3.rules.base import (
    Invoice,
    RuleContext,
    child_path,
    decimal,
    element_path,
    findall,
    fmt,
    tag,
    text,
)

_CORRECTION_ONLY = ("PrzyczynaKorekty", "TypKorekty", "DaneFaKorygowanej", "P_15ZK")
_CORRECTION_ONLY_TAGS = frozenset(tag(name) for name in _CORRECTION_ONLY)
_STAN_PRZED = tag("StanPrzed")
_NR_WIERSZA = tag("NrWierszaFa")


def check_kind(inv: Invoice, ctx: RuleContext) -> None:
    fa = inv.fa
    if fa is None or inv.kind is None:
        return
    if inv.is_correction:
        if inv.fa_first("DaneFaKorygowanej") is None:
            ctx.error(
                child_path(fa, "DaneFaKorygowanej"),
                f"Faktura korygująca ({inv.kind}) musi wskazać fakturę korygowaną (DaneFaKorygowanej: "
                "data, numer i numer KSeF albo NrKSeFN).",
                "KOR_NO_REFERENCE",
            )
    else:
        for name in _CORRECTION_ONLY if inv.fa_children.keys() & _CORRECTION_ONLY_TAGS else ():
            el = inv.fa_first(name)
            if el is not None:
                ctx.error(
                    element_path(el),
                    f"Element {name} występuje tylko w fakturze korygującej, a to faktura {inv.kind}.",
                    "NOT_A_CORRECTION",
                )
        for line in inv.lines:
            if _STAN_PRZED in line.values:
                ctx.error(
                    f"{line.path}/StanPrzed",
                    f"Znacznik stanu przed korektą (StanPrzed) nie może wystąpić w fakturze {inv.kind}.",
                    "NOT_A_CORRECTION",
                )
    if inv.kind == "ZAL" and inv.fa_first("Zamowienie") is None:
        ctx.error(
            child_path(fa, "Zamowienie"),
            "Faktura zaliczkowa musi podawać zamówienie lub umowę z jej wartością (Zamowienie; "
            "art. 106f ust. 1 pkt 4 ustawy o VAT).",
            "ZAL_NO_ORDER",
        )
    if inv.kind == "ROZ" and inv.fa_first("FakturaZaliczkowa") is None:
        ctx.error(
            child_path(fa, "FakturaZaliczkowa"),
            "Faktura rozliczeniowa musi wskazać faktury zaliczkowe (FakturaZaliczkowa: numer KSeF "
            "albo numer faktury wystawionej poza KSeF; art. 106f ust. 3 ustawy o VAT).",
            "ROZ_NO_ADVANCES",
        )
    if not inv.is_correction and len(inv.lines) > 1:
        seen: set[str] = set()
        for line in inv.lines:
            raw = line.values.get(_NR_WIERSZA)
            number = None if raw is None else raw.strip()
            if number is not None and number in seen:
                ctx.warning(
                    f"{line.path}/NrWierszaFa",
                    f"Numer wiersza {number} się powtarza.",
                    "LINE_NUMBER_DUPLICATE",
                )
            if number is not None:
                seen.add(number)
    _check_settlement(inv, ctx)


def _check_settlement(inv: Invoice, ctx: RuleContext) -> None:
    settlement = inv.fa_first("Rozliczenie")
    if settlement is None:
        return
    for items, total in (("Obciazenia", "SumaObciazen"), ("Odliczenia", "SumaOdliczen")):
        declared = decimal(text(settlement, total))
        amounts = [decimal(text(el, "Kwota")) for el in findall(settlement, items)]
        if declared is None or not amounts or any(a is None for a in amounts):
            continue
        computed = sum((a for a in amounts if a is not None), start=declared * 0)
        if computed != declared:
            ctx.error(
                f"Fa/Rozliczenie/{total}",
                f"{total} = {fmt(declared)}, a suma kwot {items} wynosi {fmt(computed)}.",
                "SETTLEMENT_SUM",
            )
