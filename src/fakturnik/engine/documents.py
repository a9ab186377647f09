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

from fakturnik.engine.companies import OFFLINE_CERTIFICATE
from fakturnik.engine.context import EngineContext
from fakturnik.errors import EngineError
from fakturnik.store import repo
from fakturnik.store.models import Company, Invoice

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


def _kod2(ctx: EngineContext, invoice_id: int, state: DocumentState):  # type: ignore[no-untyped-def]
    from fakturnik.ksef.credentials import load_pem
    from fakturnik.visual.links import certificate_link

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
    credential = load_pem(ctx.vault.get(name + ".cert").reveal(), ctx.vault.get(name + ".key").reveal())
    return certificate_link(
        state.qr_base,
        context_type=state.context_type,
        context_value=state.context_value,
        seller_nip=state.seller_nip,
        certificate=credential.certificate,
        private_key=credential.private_key,
        xml_or_hash=state.xml,
        declared_type="Offline",
    )


def _render(ctx: EngineContext, invoice_id: int, kind: str) -> bytes | str:
    from fakturnik.visual import render

    state = document_state(ctx, invoice_id)
    kod2 = _kod2(ctx, invoice_id, state) if state.offline else None
    args = {
        "ksef_number": state.ksef_number,
        "qr_base": state.qr_base,
        "kod2": kod2,
        "offline": state.offline,
    }
    if kind == "pdf":
        return render.invoice_pdf(state.xml, **args)  # type: ignore[arg-type]
    return render.invoice_html(state.xml, **args)  # type: ignore[arg-type]


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
