"""Identifier checksums: NIP, internal identifier (IDWew), EU VAT numbers, KSeF numbers."""

from __future__ import annotations

from functools import lru_cache

from lxml import etree

from fakturnik.base.ksef_numbers import is_valid_internal_id, is_valid_ksef_number
from fakturnik.base.xmlsafe import text_value
from fakturnik.fa3 import shortcuts
from fakturnik.fa3.rules.base import Invoice, RuleContext, element_path, tag, text

_NIP = tag("NIP")
_IDWEW = tag("IDWew")
_NR_VAT_UE = tag("NrVatUE")
_KSEF_NUMBERS = (tag("NrKSeFFaKorygowanej"), tag("NrKSeFFaZaliczkowej"))


@lru_cache(maxsize=4096)
def is_valid_nip(value: str) -> bool:
    from stdnum.pl import nip as pl_nip  # python-stdnum loads with the first check, not with ``import``

    return bool(pl_nip.is_valid(value))


@lru_cache(maxsize=4096)
def _internal_id_ok(value: str) -> bool:
    return is_valid_internal_id(value)


@lru_cache(maxsize=1024)
def _eu_vat_ok(value: str) -> bool:
    from stdnum.eu import vat as eu_vat

    return bool(eu_vat.is_valid(value))


def check_identifiers(inv: Invoice, ctx: RuleContext) -> None:
    check_identifiers_in(inv.root, ctx)


_ALL_TAGS = (_NIP, _IDWEW, _NR_VAT_UE, *_KSEF_NUMBERS)
_NEEDLES = ((b"NIP", (_NIP,)), (b"IDWew", (_IDWEW,)), (b"NrVatUE", (_NR_VAT_UE,)), (b"NrKSeF", _KSEF_NUMBERS))


def _tags_in(data: bytes | None) -> tuple[str, ...]:
    """The identifier tags the document can hold: with its bytes known, only those whose name is in them
    (an element's name cannot be escaped, so a name absent from the bytes is absent from the tree)."""
    if data is None or not shortcuts.ENABLED:
        return _ALL_TAGS
    found: tuple[str, ...] = ()
    for needle, tags in _NEEDLES:
        if needle in data:
            found += tags
    return found


def check_identifiers_in(root: etree._Element, ctx: RuleContext, data: bytes | None = None) -> None:
    """Checksums of every NIP, IDWew, EU VAT number and KSeF number anywhere in the document.

    ``data``: the document's bytes, when known; only the tags named in them are looked for."""
    tags = _tags_in(data)
    if not tags:
        return
    for el in root.iter(*tags):
        value = text_value(el).strip()
        if not value:
            continue
        if el.tag == _NIP:
            if value.isdigit() and len(value) == 10 and not is_valid_nip(value):
                ctx.by_env(element_path(el), f"NIP {value} ma błędną cyfrę kontrolną.", "NIP_CHECKSUM")
        elif el.tag == _IDWEW:
            if not _internal_id_ok(value):
                ctx.by_env(
                    element_path(el),
                    f"Identyfikator wewnętrzny {value} ma błędną cyfrę kontrolną.",
                    "IDWEW_CHECKSUM",
                )
        elif el.tag == _NR_VAT_UE:
            parent = el.getparent()
            country = text(parent, "KodUE") if parent is not None else None
            if country and not _eu_vat_ok(country + value):
                # KSeF does not check these; national formats change faster than any library.
                ctx.warning(
                    element_path(el),
                    f"Numer VAT UE {country}{value} nie przechodzi kontroli formatu/cyfry kontrolnej.",
                    "VATUE_CHECKSUM",
                )
        elif not is_valid_ksef_number(value):
            ctx.warning(
                element_path(el),
                f"Numer KSeF {value} ma niepoprawny format lub sumę kontrolną.",
                "KSEF_NUMBER_CHECKSUM",
            )
