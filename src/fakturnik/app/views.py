"""Typed read models the services return: frozen values, never ORM rows or sessions, never secrets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from fakturnik.errors import Problem

PaymentState = Literal["unpaid", "partly_paid", "paid"]


@dataclass(frozen=True)
class CredentialInfo:
    """What is known of a stored KSeF credential; the secret itself never leaves the vault."""

    kind: str  # ksef_token | certificate
    subject: str | None = None  # certificate subject DN
    serial: str | None = None
    not_after: datetime | None = None  # certificate expiry
    fingerprint: str | None = None  # SHA-256 of the certificate
    added_at: datetime | None = None


@dataclass(frozen=True)
class CompanyView:
    id: int
    nip: str
    name: str
    environment: str  # local | test | demo | prod | custom
    api_url: str
    context_type: str
    context_value: str
    credential: CredentialInfo | None
    created_at: datetime
    role: str | None = None  # the acting user's role in it (None for keys and the system actor)
    address: str = ""
    email: str = ""
    bank_account: str = ""
    strictness: str = "all"  # issuing: "all" refuses every error, "ksef" only what KSeF rejects


@dataclass(frozen=True)
class Party:
    nip: str  # NIP, or another identifier (NrVatUE / NrID) for foreign parties; "" when none
    name: str
    address: str = ""


@dataclass(frozen=True)
class Totals:
    net: Decimal | None
    vat: Decimal | None
    gross: Decimal | None
    currency: str = "PLN"


@dataclass(frozen=True)
class KsefErrorView:
    """KSeF's verdict on a rejected invoice: its status code, description and details (Polish, from KSeF)."""

    code: str
    message: str
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class StatusChange:
    status: str
    at: datetime
    detail: str = ""


@dataclass(frozen=True)
class PaymentView:
    state: PaymentState
    paid_amount: Decimal
    paid_at: date | None
    due_date: date | None
    overdue: bool


@dataclass(frozen=True)
class InvoiceRow:
    """One line of an invoice list (issued or received)."""

    id: int
    company_id: int
    direction: str  # issued | received
    kind: str  # VAT | KOR | ZAL | ROZ | UPR | KOR_ZAL | KOR_ROZ
    number: str
    ksef_number: str | None
    status: str  # queued | sending | sent | uncertain | accepted | rejected | offline | received
    issue_date: date | None
    sale_date: date | None
    seller: Party
    buyer: Party
    totals: Totals
    payment: PaymentView
    offline_deadline: date | None
    created_at: datetime
    booked_at: datetime | None = None  # received invoices: marked as booked
    # a sale the buyer self-billed in the company's name (samofakturowanie, art. 106d), downloaded
    # from KSeF: the buyer (``buyer``) issued it, not the company
    issued_by_buyer: bool = False


@dataclass(frozen=True)
class IssuerView:
    """Who issued an invoice (the actor of its ``invoice.issue`` audit entry), for people to read."""

    # buyer: a sale the buyer self-billed in the company's name (``name``; its NIP is the invoice's buyer)
    kind: Literal["user", "api_key", "system", "buyer"]
    label: str  # Polish: "Anna Nowak <anna@firma.pl>", "klucz API „ERP”", "system (cli)"
    user_id: int | None = None
    email: str = ""
    name: str = ""
    api_key_id: int | None = None
    api_key_name: str = ""


@dataclass(frozen=True)
class SessionUpoPageView:
    """One page of a session UPO (KSeF pages the UPO of a big session)."""

    page: int  # 1, 2, …
    reference_number: str  # the page's UPO reference number
    sha256: str  # of the page's XML, base64
    size: int  # bytes
    fetched_at: datetime
    lists_invoice: bool  # this page confirms the invoice asked about


@dataclass(frozen=True)
class SessionUpoView:
    """The UPO of the KSeF session an invoice went in: KSeF's receipt for every invoice of the session."""

    invoice_id: int
    ksef_number: str
    session_reference: str
    session_kind: str  # online | batch
    opened_at: datetime
    closed_at: datetime | None
    invoice_count: int  # invoices Fakturnik sent in the session
    pages: tuple[SessionUpoPageView, ...]
    invoice_page: int | None  # the page that lists this invoice (None: none of the stored pages)


@dataclass(frozen=True)
class InvoiceView(InvoiceRow):
    """An invoice with everything a detail page or an API answer needs."""

    offline_mode: bool = False
    offline_kind: str | None = None  # offline24 | offline | failure
    ksef_error: KsefErrorView | None = None
    acquired_at: datetime | None = None  # when KSeF assigned the number
    upo_available: bool = False
    sha256: str = ""
    corrects_id: int | None = None  # the invoice this one corrects (KOR)
    history: tuple[StatusChange, ...] = ()
    warnings: tuple[Problem, ...] = ()  # validation notes at issue time (not refusals)
    issued_by: IssuerView | None = None  # None: not known (received invoices, older data)
    session_reference: str | None = None  # the KSeF session the invoice was last sent in
    session_upo_available: bool = False  # that session's UPO is stored and the invoice has its number


@dataclass(frozen=True)
class InvoicePage:
    items: tuple[InvoiceRow, ...]
    next_cursor: str | None  # pass as ``cursor`` for the next page; None: last page
    total_count: int | None = None  # only when asked (``with_totals=True``)
    total_gross: Decimal | None = None  # sum of gross of everything matching (PLN invoices)
    total_net: Decimal | None = None  # the same for net (PLN invoices; only with ``with_totals``)
    total_vat: Decimal | None = None  # and VAT
    total_unpaid: Decimal | None = None  # gross minus what was paid (PLN invoices)


@dataclass(frozen=True)
class BulkItemResult:
    index: int  # position in the request
    ok: bool
    invoice: InvoiceRow | None = None
    error_code: str | None = None
    error: str | None = None
    problems: tuple[Problem, ...] = ()
    replayed: bool = False  # an idempotency key seen before: the original invoice
    warnings: tuple[Problem, ...] = ()  # what validation noted without refusing


@dataclass(frozen=True)
class BulkResult:
    items: tuple[BulkItemResult, ...]

    @property
    def ok_count(self) -> int:
        return sum(1 for i in self.items if i.ok)

    @property
    def failed_count(self) -> int:
        return sum(1 for i in self.items if not i.ok)


@dataclass(frozen=True)
class RateTotal:
    rate: str  # "23", "8", "5", "0 KR", "zw", "np I", "oo", "marża" ...
    net: Decimal
    vat: Decimal


@dataclass(frozen=True)
class PreviewView:
    """Live totals of a draft (nothing stored): per rate and in all, and what would stop issuing."""

    ok: bool
    rates: tuple[RateTotal, ...]
    net: Decimal | None
    vat: Decimal | None
    gross: Decimal | None
    currency: str
    problems: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class IssueResult:
    invoice: InvoiceView
    replayed: bool = False  # True: the idempotency key was used before with this body; nothing new


@dataclass(frozen=True)
class UserView:
    id: int
    email: str
    name: str
    totp_enabled: bool
    created_at: datetime
    active: bool = True


@dataclass(frozen=True)
class MembershipView:
    company_id: int
    company_nip: str
    company_name: str
    user_id: int
    email: str
    role: str


@dataclass(frozen=True)
class InvitationView:
    id: int
    company_id: int
    email: str
    role: str
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None


@dataclass(frozen=True)
class InvitationCreated:
    invitation: InvitationView
    token: str = field(repr=False)  # shown once (the link sent to the invitee); stored hashed


@dataclass(frozen=True)
class SessionCreated:
    token: str = field(repr=False)  # the cookie value; stored only as its SHA-256
    user: UserView | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True)
class ApiKeyView:
    id: int
    company_id: int
    name: str
    prefix: str  # the first characters of the key, to recognise it in lists
    scopes: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class ApiKeyCreated:
    key: ApiKeyView
    token: str = field(repr=False)  # the whole key, shown once; stored only as its SHA-256


@dataclass(frozen=True)
class BankAccountView:
    number: str
    on_white_list: bool | None = None  # None: not checked


@dataclass(frozen=True)
class ContractorView:
    id: int
    company_id: int
    nip: str
    name: str
    address_line1: str
    address_line2: str
    country: str
    email: str
    bank_accounts: tuple[BankAccountView, ...]
    note: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class WhiteListEntry:
    """The VAT white list's answer for a NIP on a day (Ministry of Finance's public API)."""

    nip: str
    name: str
    status_vat: str  # Czynny | Zwolniony | Niezarejestrowany | ...
    address: str
    regon: str
    account_numbers: tuple[str, ...]
    request_id: str
    date: date


@dataclass(frozen=True)
class ProductView:
    id: int
    company_id: int
    name: str
    unit: str
    price: Decimal
    price_kind: Literal["net", "gross"]
    vat_rate: str  # an FA(3) P_12 value: "23", "8", "5", "0 KR", "zw", "np I", "oo", ...
    gtu: str | None
    pkwiu: str | None
    cn: str | None
    active: bool
    created_at: datetime


@dataclass(frozen=True)
class SeriesView:
    id: int
    company_id: int
    kind: str  # invoice kind the series numbers (VAT, KOR, ZAL ...)
    pattern: str  # e.g. "FV/{yyyy}/{mm}/{seq}"; tokens {yyyy} {yy} {mm} {seq} {seq:06d}
    reset: Literal["yearly", "monthly", "never"]
    next_number_preview: str  # what the next invoice of the series would get today


@dataclass(frozen=True)
class AuditView:
    id: int
    at: datetime
    actor: str
    action: str
    company_id: int | None
    invoice_id: int | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class AvailabilityView:
    """KSeF as the engine sees it for a company's environment; for the outage banner."""

    api_url: str
    outage: bool  # an outage is open
    mode: str | None  # offline | offline24 | failure
    since: datetime | None
    ended_at: datetime | None  # the last outage's end, when none is open
    offline_issuing: bool  # new invoices are issued in offline mode now
    pending_offline: int  # offline invoices of this company still waiting for a KSeF number
    next_deadline: date | None  # the earliest deadline among them


@dataclass(frozen=True)
class CheckStep:
    label: str  # Polish: "Dane uwierzytelniające", "Połączenie z KSeF", "Logowanie do KSeF"
    ok: bool
    message: str  # Polish, plain words


@dataclass(frozen=True)
class ConnectionCheckView:
    """The result of trying the company's KSeF credential now (the setup wizard's last step)."""

    ok: bool
    steps: tuple[CheckStep, ...]


@dataclass(frozen=True)
class SyncResult:
    new: int
    known: int
    self_billed: int = 0  # of new: sales the company's buyers self-billed in its name


@dataclass(frozen=True)
class OutboxStats:
    counts: dict[str, int]
