"""The per-invoice checks KSeF applies after decryption (digest §14.3), as pure functions.

``judge`` takes the plain XML and what the sender declared and returns a :class:`Verdict`: either a
failure status (430 file, 415 attachment, 410 permissions, 450 semantics) or the facts the simulator
needs to register the invoice. Duplicates (440) need the store and are decided by the caller.
Field extraction uses XPath-like lookups on the lxml tree, so it is fast and independent of the
FA(3) model.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree
from stdnum.pl import nip as stdnum_nip

from fakturnik.base.xmlsafe import WIDE_MESSAGE, find_value, parse_xml, text_value, wide_encoding
from fakturnik.errors import XmlSecurityError
from fakturnik.ksef.crypto import sha256_b64
from fakturnik.simulator import invoice_schemas
from fakturnik.simulator.invoice_schemas import FormSpec

MAX_PLAIN = 1_000_000
MAX_PLAIN_WITH_ATTACHMENT = 3_000_000

STATUS_DESCRIPTIONS: dict[int, str] = {
    100: "Faktura przyjęta do dalszego przetwarzania",
    150: "Trwa przetwarzanie",
    200: "Sukces",
    405: "Przetwarzanie anulowane z powodu błędu sesji",
    410: "Nieprawidłowy zakres uprawnień",
    415: "Brak możliwości wysyłania faktury z załącznikiem",
    430: "Błąd weryfikacji pliku faktury",
    435: "Błąd odszyfrowania pliku",
    440: "Duplikat faktury",
    450: "Błąd weryfikacji semantyki dokumentu faktury",
    500: "Nieznany błąd (500)",
    550: "Operacja została anulowana przez system",
}

# Discouraged characters (#x7F-#x84, #x86-#x9F, #xFDD0-#xFDEF, #xnFFFE-#xnFFFF for planes 1-16)
# matched on the UTF-8 bytes: much faster than a character class with astral code points.
_DISCOURAGED = re.compile(
    rb"\x7f|\xc2[\x80-\x84\x86-\x9f]|\xef\xb7[\x90-\xaf]|[\xf0-\xf4][\x8f\x9f\xaf\xbf]\xbf[\xbe\xbf]"
)
_PROLOG_RE = re.compile(rb"^<\?xml\s[^>]*\?>")
_INVOICE_TYPES = {
    "VAT": "Vat",
    "KOR": "Kor",
    "ZAL": "Zal",
    "ROZ": "Roz",
    "UPR": "Upr",
    "KOR_ZAL": "KorZal",
    "KOR_ROZ": "KorRoz",
}


@dataclass
class Facts:
    """What the simulator keeps of an accepted invoice (the metadata of digest §12)."""

    seller_nip: str
    invoice_number: str
    issue_date: str  # ISO date
    kind: str  # RodzajFaktury as written (VAT, KOR, ...)
    invoice_type: str  # InvoiceType enum of the API
    currency: str = "PLN"
    seller_name: str | None = None
    buyer: dict[str, Any] = field(default_factory=lambda: {"identifier": {"type": "None"}})
    net: str = "0"
    vat: str = "0"
    gross: str = "0"
    self_invoicing: bool = False
    has_attachment: bool = False
    third_subjects: list[dict[str, Any]] = field(default_factory=list)
    authorized: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "sellerNip": self.seller_nip,
            "sellerName": self.seller_name,
            "invoiceNumber": self.invoice_number,
            "issueDate": self.issue_date,
            "kind": self.kind,
            "invoiceType": self.invoice_type,
            "currency": self.currency,
            "buyer": self.buyer,
            "net": self.net,
            "vat": self.vat,
            "gross": self.gross,
            "selfInvoicing": self.self_invoicing,
            "hasAttachment": self.has_attachment,
            "thirdSubjects": self.third_subjects,
            "authorized": self.authorized,
        }


@dataclass
class Verdict:
    code: int  # 200 when every check passed (duplicates still to be decided)
    details: list[str] = field(default_factory=list)
    facts: Facts | None = None
    invoice_number: str | None = None  # filled whenever it could be read


@dataclass(frozen=True)
class Context:
    """Who sends, where, and the rules in force."""

    form: FormSpec
    context_type: str
    context_value: str
    profile: str
    accepted_on: date  # calendar day (Warsaw) the invoice was accepted for processing
    online: bool = True
    technical_correction: bool = False
    # extra entitlement beyond "context NIP = seller": (seller NIP, the invoice's facts as JSON)
    may_issue_for: Callable[[str, dict[str, Any]], bool] | None = None
    attachments_allowed: Callable[[str], bool] | None = None
    max_plain: int = MAX_PLAIN  # the context's limits (``/limits/context``)
    max_with_attachment: int = MAX_PLAIN_WITH_ATTACHMENT
    validate_identifiers: bool = False  # the parties' NIP checksums: prod, or X-KSeF-Feature (features.py)


def fail(code: int, *details: str, number: str | None = None) -> Verdict:
    return Verdict(code, list(details), invoice_number=number)


# -- byte level ----------------------------------------------------------------------------------


def check_declared(plain: bytes, declared_hash: str | None, declared_size: int | None) -> str | None:
    if declared_size is not None and len(plain) != declared_size:
        return f"Rozmiar faktury {len(plain)} B różni się od zadeklarowanego {declared_size} B."
    if declared_hash is not None and sha256_b64(plain) != declared_hash:
        return "Skrót SHA-256 faktury różni się od zadeklarowanego."
    return None


def check_bytes(plain: bytes, max_bytes: int = MAX_PLAIN_WITH_ATTACHMENT) -> str | None:
    """UTF-8 without BOM, a UTF-8 prolog if any, no processing instructions, no discouraged chars."""
    if len(plain) > max_bytes:
        return f"Faktura ma {len(plain)} B, więcej niż dozwolone {max_bytes} B."
    if plain.startswith(b"\xef\xbb\xbf"):
        return "Faktura zaczyna się znacznikiem BOM; wymagane UTF-8 bez BOM."
    wide = wide_encoding(plain)
    if wide:
        return WIDE_MESSAGE.format(wide)
    try:
        plain.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"Faktura nie jest poprawnym UTF-8 (bajt {exc.start})."
    prolog = _PROLOG_RE.match(plain)
    if prolog:
        decl = prolog.group(0).lower()
        enc = re.search(rb"encoding\s*=\s*[\"']([^\"']+)[\"']", decl)
        if enc and enc.group(1) not in (b"utf-8", b"utf8"):
            return f"Deklaracja kodowania {enc.group(1).decode('ascii', 'replace')} jest niedozwolona."
    rest = plain[prolog.end() :] if prolog else plain
    if b"<?" in rest:
        return "Faktura zawiera instrukcje przetwarzania (processing instructions)."
    bad = _DISCOURAGED.search(plain)
    if bad:
        return f"Faktura zawiera niezalecany znak U+{ord(bad.group(0).decode('utf-8')):04X}."
    return None


# -- field extraction ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def _qualified(ns: str, p: str) -> str:
    return "/".join(f"{{{ns}}}{part}" for part in p.split("/"))


class _Reader:
    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.ns = etree.QName(root).namespace or ""

    def path(self, p: str) -> str:
        return _qualified(self.ns, p)

    def text(self, p: str, node: etree._Element | None = None) -> str | None:
        value = find_value(self.root if node is None else node, self.path(p))
        return value.strip() if value is not None else None

    def find(self, p: str, node: etree._Element | None = None) -> etree._Element | None:
        return (self.root if node is None else node).find(self.path(p))

    def findall(self, p: str) -> list[etree._Element]:
        return list(self.root.iterfind(self.path(p)))


def _dec(value: str | None) -> Decimal:
    try:
        return Decimal(value) if value else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def _party_identifier(r: _Reader, node: etree._Element, third: bool = False) -> dict[str, Any]:
    ids = r.find("DaneIdentyfikacyjne", node)
    if ids is None:
        return {"type": "None"}
    nip = r.text("NIP", ids)
    if nip:
        return {"type": "Nip", "value": nip}
    if third:
        internal = r.text("IDWew", ids)
        if internal:
            return {"type": "InternalId", "value": internal}
    eu_code, eu_no = r.text("KodUE", ids), r.text("NrVatUE", ids)
    if eu_no:
        return {"type": "VatUe", "value": f"{eu_code or ''}{eu_no}"}
    other = r.text("NrID", ids)
    if other:
        return {"type": "Other", "value": other}
    return {"type": "None"}


def extract_fa(root: etree._Element) -> Facts:
    """Facts of an FA (2)/(3)/FA_RR invoice."""
    r = _Reader(root)
    fa = "Fa" if r.find("Fa") is not None else "FakturaRR"
    kind = r.text(f"{fa}/RodzajFaktury") or "VAT"
    net = Decimal(0)
    vat_plain: dict[str, Decimal] = {}
    vat_pln: dict[str, Decimal] = {}
    fa_node = r.find(fa)
    for e in fa_node if fa_node is not None else ():
        name = _local(e)
        if name.startswith("P_13_"):
            net += _dec(text_value(e))
        elif name.startswith("P_14_") and len(name) <= 7:
            (vat_pln if name.endswith("W") else vat_plain)[name[5]] = _dec(text_value(e))
    vat = sum((vat_pln.get(k, v) for k, v in vat_plain.items()), Decimal(0))
    buyer_node = r.find("Podmiot2")
    buyer: dict[str, Any] = {"identifier": {"type": "None"}}
    if buyer_node is not None:
        buyer = {
            "identifier": _party_identifier(r, buyer_node),
            "name": r.text("DaneIdentyfikacyjne/Nazwa", buyer_node),
        }
    thirds = []
    for node in r.findall("Podmiot3"):
        role = r.text("Rola", node)
        thirds.append(
            {
                "identifier": _party_identifier(r, node, third=True),
                "name": r.text("DaneIdentyfikacyjne/Nazwa", node),
                "role": int(role) if role and role.isdigit() else 0,
            }
        )
    authorized = None
    pu = r.find("PodmiotUpowazniony")
    if pu is not None:
        role = r.text("RolaPU", pu)
        authorized = {
            "nip": r.text("DaneIdentyfikacyjne/NIP", pu) or "",
            "name": r.text("DaneIdentyfikacyjne/Nazwa", pu),
            "role": int(role) if role and role.isdigit() else 0,
        }
    api_type = _INVOICE_TYPES.get(kind, "Vat")
    if fa == "FakturaRR":
        api_type = "KorVatRr" if kind.startswith("KOR") else "VatRr"
    return Facts(
        seller_nip=r.text("Podmiot1/DaneIdentyfikacyjne/NIP") or "",
        seller_name=r.text("Podmiot1/DaneIdentyfikacyjne/Nazwa"),
        invoice_number=r.text(f"{fa}/P_2") or r.text(f"{fa}/P_4C") or "",
        issue_date=r.text(f"{fa}/P_1") or r.text(f"{fa}/P_4B") or "",
        kind=kind,
        invoice_type=api_type,
        currency=r.text(f"{fa}/KodWaluty") or "PLN",
        buyer=buyer,
        net=str(net),
        vat=str(vat),
        gross=str(_dec(r.text(f"{fa}/P_15"))),
        self_invoicing=r.text(f"{fa}/Adnotacje/P_17") == "1",
        has_attachment=r.find("Zalacznik") is not None,
        third_subjects=thirds,
        authorized=authorized,
    )


_UBL_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
_UBL_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"


def extract_pef(root: etree._Element, credit_note: bool) -> Facts:
    """Minimal facts of a PEF (UBL) document: number, date, currency, seller and buyer tax ids."""
    ns = {"cbc": _UBL_CBC, "cac": _UBL_CAC}

    def first(xpath: str) -> str:
        found = root.xpath(xpath.removesuffix("/text()"), namespaces=ns)
        if not isinstance(found, list) or not found or not isinstance(found[0], etree._Element):
            return ""
        return text_value(found[0]).strip()

    def tax_id(party: str) -> str:
        raw = first(f"cac:{party}/cac:Party/cac:PartyTaxScheme/cbc:CompanyID/text()")
        return raw[2:] if raw.upper().startswith("PL") else raw

    buyer_nip = tax_id("AccountingCustomerParty")
    return Facts(
        seller_nip=tax_id("AccountingSupplierParty"),
        invoice_number=first("cbc:ID/text()"),
        issue_date=first("cbc:IssueDate/text()"),
        kind="KOR" if credit_note else "VAT",
        invoice_type="KorPef" if credit_note else "VatPef",
        currency=first("cbc:DocumentCurrencyCode/text()") or "PLN",
        buyer={"identifier": {"type": "Nip", "value": buyer_nip} if buyer_nip else {"type": "None"}},
        gross=first("cac:LegalMonetaryTotal/cbc:PayableAmount/text()") or "0",
        net=first("cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount/text()") or "0",
        vat=first("cac:TaxTotal/cbc:TaxAmount/text()") or "0",
    )


def _local(e: etree._Element) -> str:
    tag = e.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


# -- the whole pipeline --------------------------------------------------------------------------


def judge(
    ctx: Context, plain: bytes, declared_hash: str | None = None, declared_size: int | None = None
) -> Verdict:
    """Every check after decryption except duplicates, in KSeF's order."""
    ceiling = max(ctx.max_plain, ctx.max_with_attachment)
    problem = check_declared(plain, declared_hash, declared_size) or check_bytes(plain, ceiling)
    if problem:
        return fail(430, problem)
    try:
        root = parse_xml(plain, max_bytes=ceiling)
    except XmlSecurityError as exc:
        return fail(430, str(exc))
    errors = invoice_schemas.validate(ctx.form, root)
    if errors:
        return fail(430, "Dokument nie jest zgodny ze schematem (xsd).", *errors)
    if ctx.form.value == "PEF":
        facts = extract_pef(root, ctx.form.system_code.startswith("PEF_KOR"))
    else:
        facts = extract_fa(root)
    number = facts.invoice_number or None
    limit = ctx.max_with_attachment if facts.has_attachment else ctx.max_plain
    if len(plain) > limit:
        return fail(430, f"Faktura ma {len(plain)} B, więcej niż dozwolone {limit} B.", number=number)
    if facts.has_attachment:
        if ctx.online and not ctx.technical_correction:
            return fail(415, "Faktura z załącznikiem może być wysłana tylko w sesji wsadowej.", number=number)
        allowed = ctx.attachments_allowed(facts.seller_nip) if ctx.attachments_allowed else False
        if not allowed:
            return fail(415, "Podmiot nie zgłosił wysyłania faktur z załącznikami.", number=number)
    if not _entitled(ctx, facts):
        return fail(
            410,
            # KSeF's own words (seen on the test environment)
            f"Kontekst {ctx.context_value} nie jest uprawniony do wystawienia faktury w imieniu "
            f"sprzedawcy (NIP: {facts.seller_nip})",
            number=number,
        )
    semantic = _semantics(ctx, facts)
    if semantic:
        return fail(450, *semantic, number=number)
    return Verdict(200, facts=facts, invoice_number=number)


def _entitled(ctx: Context, facts: Facts) -> bool:
    seller_nip = facts.seller_nip
    if ctx.context_type in ("Nip", "InternalId", "NipVatUe") and ctx.context_value[:10] == seller_nip:
        return True
    return bool(ctx.may_issue_for and ctx.may_issue_for(seller_nip, facts.as_json()))


def _semantics(ctx: Context, facts: Facts) -> list[str]:
    problems: list[str] = []
    try:
        issued = date.fromisoformat(facts.issue_date)
    except ValueError:
        problems.append(f"Nieprawidłowa data wystawienia {facts.issue_date!r}.")
    else:
        if issued > ctx.accepted_on:
            problems.append(
                f"Data wystawienia {issued.isoformat()} jest późniejsza niż data przyjęcia "
                f"{ctx.accepted_on.isoformat()}."
            )
    if ctx.profile == "prod" or ctx.validate_identifiers:
        if not stdnum_nip.is_valid(facts.seller_nip):
            problems.append(f"Nieprawidłowa suma kontrolna NIP sprzedawcy {facts.seller_nip}.")
        buyer_id = facts.buyer.get("identifier", {})
        if buyer_id.get("type") == "Nip" and not stdnum_nip.is_valid(str(buyer_id.get("value", ""))):
            problems.append(f"Nieprawidłowa suma kontrolna NIP nabywcy {buyer_id.get('value')}.")
    return problems
