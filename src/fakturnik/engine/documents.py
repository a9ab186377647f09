"""An invoice's PDF and HTML, honest with its state (digest §10, ``kody-qr.md``).

* accepted (has a KSeF number): KOD I labelled with the KSeF number, no KOD II (a reprint after
  acceptance is an online document);
* issued offline, not yet accepted: KOD I labelled OFFLINE and KOD II signed with the company's KSeF
  Offline certificate from the vault (refused with a clear error when there is none);
* otherwise (online, waiting for its number): KOD I labelled OFFLINE.

The app layer calls ``invoice_pdf(ctx, invoice_id)`` / ``invoice_html(ctx, invoice_id)``; tenancy is
checked there, before the id reaches the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fakturnik.engine.companies import OFFLINE_CERTIFICATE
from fakturnik.engine.context import EngineContext
from fakturnik.errors import EngineError
from fakturnik.store import repo
from fakturnik.store.models import Company, Invoice

if TYPE_CHECKING:
    from fakturnik.visual.render import OfflineSigner

__all__ = ["DocumentState", "document_state", "invoice_html", "invoice_pdf"]


@dataclass(frozen=True)
class DocumentState:
    xml: bytes
    ksef_number: str | None
    offline: bool
    qr_base: str
    context_type: str
    context_value: str
    seller_nip: str


def document_state(ctx: EngineContext, invoice_id: int) -> DocumentState:
    from fakturnik.ksef.environments import resolve

    with ctx.db.transaction() as s:
        inv = s.get(Invoice, invoice_id)
        if inv is None:
            raise EngineError(f"nie ma faktury o identyfikatorze {invoice_id}")
        company = s.get(Company, inv.company_id)
        assert company is not None
        env = resolve(company.base_url or company.environment)
        offline = inv.offline_mode and not inv.ksef_number and inv.direction == "issued"
        return DocumentState(
            xml=bytes(inv.xml),
            ksef_number=inv.ksef_number,
            offline=offline,
            qr_base=env.qr_url,
            context_type=company.context_type,
            context_value=company.context_value,
            seller_nip=inv.seller_nip,
        )


def _offline_signer(ctx: EngineContext, invoice_id: int, state: DocumentState) -> OfflineSigner:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    from fakturnik.visual.render import OfflineSigner

    with ctx.db.transaction() as s:
        inv = s.get(Invoice, invoice_id)
        assert inv is not None
        cred = repo.active_credential(s, inv.company_id, OFFLINE_CERTIFICATE)
        if cred is None:
            raise EngineError(
                f"firma {state.context_value} nie ma certyfikatu KSeF typu Offline; "
                "bez niego faktura offline nie może mieć KODU II"
            )
        name = cred.secret_name
    # sealed by companies.set_certificate, which checked the pair (PEM certificate, PKCS#8 key)
    certificate = x509.load_pem_x509_certificate(ctx.vault.get(name + ".cert").reveal())
    private_key = load_pem_private_key(ctx.vault.get(name + ".key").reveal(), None)
    return OfflineSigner(
        certificate=certificate,
        private_key=private_key,  # type: ignore[arg-type]
        context_type=state.context_type,
        context_value=state.context_value,
    )


def _render(ctx: EngineContext, invoice_id: int, kind: str) -> bytes | str:
    from fakturnik.visual import render

    state = document_state(ctx, invoice_id)
    signer = _offline_signer(ctx, invoice_id, state) if state.offline else None
    if kind == "pdf":
        return render.invoice_pdf(
            state.xml, qr_base=state.qr_base, ksef_number=state.ksef_number, offline=signer
        )
    return render.invoice_html(
        state.xml, qr_base=state.qr_base, ksef_number=state.ksef_number, offline=signer
    )


def invoice_pdf(ctx: EngineContext, invoice_id: int) -> bytes:
    """The invoice's PDF as its state requires (codes and labels above)."""
    pdf = _render(ctx, invoice_id, "pdf")
    assert isinstance(pdf, bytes)
    return pdf


def invoice_html(ctx: EngineContext, invoice_id: int) -> str:
    """The invoice's standalone HTML page, same content and codes as the PDF."""
    html = _render(ctx, invoice_id, "html")
    assert isinstance(html, str)
    return html
