"""The simulator's QR verification pages (``{host}/qr/invoice/...``, ``{host}/qr/certificate/...``).

What a buyer sees after scanning KOD I or KOD II (digest §10): whether KSeF holds the invoice file
(and its KSeF number; a technically corrected file leads to its correction), and for KOD II whether
the signature is valid, the Offline certificate active (not revoked, blocked or expired) and its
owner entitled to invoice for that seller in that context. HTML for people, JSON with
``Accept: application/json`` for tests and tools.
"""

from __future__ import annotations

import base64
from datetime import datetime
from html import escape
from typing import Any

from cryptography import x509
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from fakturnik.errors import VisualError
from fakturnik.simulator.ca import effective_status, issued_by_simulator
from fakturnik.simulator.core import sim_of
from fakturnik.visual.links import CertificateLink, InvoiceLink, parse_link, verify_certificate_link

router = APIRouter(prefix="/qr", tags=["qr"])


def _std_b64(b64url: str) -> str:
    return base64.b64encode(base64.urlsafe_b64decode(b64url + "=" * (-len(b64url) % 4))).decode()


def _answer(request: Request, verdict: dict[str, Any], status: int = 200) -> Response:
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse(verdict, status_code=status)
    rows = "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(str(v))}</td></tr>" for k, v in verdict.items())
    title = escape(str(verdict.get("message", "")))
    page = (
        '<!DOCTYPE html><html lang="pl"><head><meta charset="utf-8"><title>Weryfikacja KSeF</title></head>'
        f"<body><h1>{title}</h1><table>{rows}</table><p>Symulator KSeF (Fakturnik)</p></body></html>"
    )
    return HTMLResponse(page, status_code=status)


def _find_invoice(request: Request, digest: str) -> dict[str, Any] | None:
    state = sim_of(request).state
    std = _std_b64(digest)
    for prefix in ("corr:", "hash:"):
        index = state.get("invidx", prefix + std)
        if index is not None:
            inv = state.get("invoice", index["key"])
            if inv is not None and inv.get("ksefNumber"):
                return inv
    return None


@router.get("/invoice/{nip}/{day}/{digest}")
def invoice_page(request: Request, nip: str, day: str, digest: str) -> Response:
    try:
        link = parse_link(str(request.url))
    except VisualError as exc:
        return _answer(request, {"valid": False, "message": str(exc)}, 400)
    assert isinstance(link, InvoiceLink)
    inv = _find_invoice(request, link.hash)
    facts = (inv or {}).get("facts") or {}
    if inv is None or facts.get("seller_nip", link.seller_nip) != link.seller_nip:
        return _answer(request, {"found": False, "message": "Faktura nie znajduje się w KSeF."}, 404)
    return _answer(
        request,
        {
            "found": True,
            "message": "Faktura znajduje się w KSeF.",
            "ksefNumber": inv["ksefNumber"],
            "invoiceNumber": inv.get("invoiceNumber", ""),
            "invoicingMode": inv.get("invoicingMode", ""),
            "sellerNip": link.seller_nip,
            "issueDate": f"{link.issue_date:%d-%m-%Y}",
            "corrected": inv.get("hashOfCorrectedInvoice") == _std_b64(link.hash),
        },
    )


def _entitled(record: dict[str, Any], link: CertificateLink) -> bool:
    """The certificate's owner may invoice in the link's context, and that context for the seller."""
    subject = record.get("subjectIdentifier") or {}
    owner = str(subject.get("value", ""))
    if link.context_type == "Nip":
        return link.context_value == link.seller_nip and owner in (link.context_value, "")
    return owner != ""  # other contexts: the owner's grants are not modelled for QR checks


@router.get("/certificate/{ctype}/{cvalue}/{nip}/{serial}/{digest}/{signature}")
def certificate_page(
    request: Request, ctype: str, cvalue: str, nip: str, serial: str, digest: str, signature: str
) -> Response:
    sim = sim_of(request)
    try:
        link = parse_link(str(request.url))
    except VisualError as exc:
        return _answer(request, {"valid": False, "message": str(exc)}, 400)
    assert isinstance(link, CertificateLink)
    record = sim.state.get("certificate", link.serial.upper().rjust(16, "0"))
    if record is None:
        return _answer(request, {"valid": False, "message": "Nieznany certyfikat KSeF."}, 404)
    cert = x509.load_der_x509_certificate(base64.b64decode(record["certificate"]))
    verdict: dict[str, Any] = {
        "certificateSerialNumber": record["certificateSerialNumber"],
        "certificateType": record["type"],
        "certificateStatus": effective_status(record, sim.now()),
        "sellerNip": link.seller_nip,
    }
    problems: list[str] = []
    if not issued_by_simulator(sim, cert):
        problems.append("Certyfikat nie został wydany przez KSeF.")
    if record["type"] != "Offline":
        problems.append("Certyfikat nie jest certyfikatem typu Offline.")
    if verdict["certificateStatus"] != "Active":
        problems.append(f"Certyfikat nie jest aktywny ({verdict['certificateStatus']}).")
    if datetime.fromisoformat(record["validFrom"]) > sim.now():
        problems.append("Certyfikat nie jest jeszcze ważny.")
    try:
        verify_certificate_link(link, cert)
        verdict["signatureValid"] = True
    except VisualError as exc:
        verdict["signatureValid"] = False
        problems.append(str(exc))
    if not _entitled(record, link):
        problems.append(
            "Właściciel certyfikatu nie ma uprawnienia do wystawiania faktur dla tego sprzedawcy."
        )
    verdict["valid"] = not problems
    verdict["problems"] = problems
    verdict["message"] = "Wystawca potwierdzony certyfikatem KSeF." if not problems else problems[0]
    inv = _find_invoice(request, link.hash)
    verdict["ksefNumber"] = inv["ksefNumber"] if inv else None
    return _answer(request, verdict, 200 if not problems else 422)
