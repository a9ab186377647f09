"""The verification pages a buyer's QR scan opens (digest §10), on the simulator's own host under ``/qr``.

* ``/qr/invoice/{seller NIP}/{DD-MM-RRRR}/{hash}`` (KOD I): does the simulator hold an accepted invoice
  with that file hash, seller and issue date, and under which KSeF number;
* ``/qr/certificate/{type}/{value}/{seller NIP}/{serial}/{hash}/{signature}`` (KOD II): the signature
  against the KSeF certificate, the certificate's type (Offline) and state (active, not revoked or
  expired), the certificate owner's right to issue invoices in the context, and the context's right
  to invoice for the seller (the context NIP is the seller's, or an invoice of that hash was accepted
  in that context).

Both answer JSON (``valid`` plus the reasons), or a short Polish HTML page for a browser.
"""

from __future__ import annotations

import base64
import html
from datetime import datetime
from typing import Any

from cryptography import x509
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from fakturnik.errors import VisualError
from fakturnik.ksef.verification_links import (
    CertificateLink,
    InvoiceLink,
    certificate_type,
    parse_link,
    verify_certificate_link,
)
from fakturnik.simulator.core import Simulator

router = APIRouter(prefix="/qr")
_INVOICE_RIGHTS = {"InvoiceWrite", "Owner"}


def _sim(request: Request) -> Simulator:
    sim = request.app.state.sim
    assert isinstance(sim, Simulator)
    return sim


def _std_b64(urlsafe: str) -> str:
    return base64.b64encode(base64.urlsafe_b64decode(urlsafe + "=" * (-len(urlsafe) % 4))).decode()


def _accepted(sim: Simulator, link: InvoiceLink | CertificateLink) -> dict[str, Any] | None:
    index = sim.state.get("invidx", f"hash:{_std_b64(link.hash)}")
    if index is None or index.get("code") != 200:
        return None
    return sim.state.get("invoice", index["key"])


def _answer(request: Request, body: dict[str, Any], title: str) -> Response:
    if "text/html" in request.headers.get("accept", ""):
        rows = "".join(f"<li>{html.escape(str(r))}</li>" for r in body.get("reasons", []))
        verdict = "Wynik pozytywny" if body["valid"] else "Wynik negatywny"
        number = body.get("ksefNumber")
        extra = f"<p>Numer KSeF: <strong>{html.escape(number)}</strong></p>" if number else ""
        page = (
            f'<!DOCTYPE html><html lang="pl"><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body><h1>{title}</h1><p><strong>{verdict}</strong></p>{extra}<ul>{rows}</ul></body></html>"
        )
        return HTMLResponse(page)
    return JSONResponse(body)


def _parse(request: Request) -> InvoiceLink | CertificateLink | Response:
    try:
        return parse_link(str(request.url))
    except VisualError as exc:
        return JSONResponse({"valid": False, "reasons": [str(exc)]}, status_code=400)


@router.get("/invoice/{nip}/{day}/{digest}")
def invoice_page(request: Request, nip: str, day: str, digest: str) -> Response:
    link = _parse(request)
    if isinstance(link, Response):
        return link
    assert isinstance(link, InvoiceLink)
    inv = _accepted(_sim(request), link)
    facts = (inv or {}).get("facts") or {}
    reasons: list[str] = []
    if inv is None:
        reasons.append("KSeF nie ma faktury o takim skrócie pliku.")
    else:
        if facts.get("sellerNip") != link.seller_nip:
            reasons.append("NIP sprzedawcy w linku nie zgadza się z fakturą.")
        if str(facts.get("issueDate", ""))[:10] != link.issue_date.isoformat():
            reasons.append("Data wystawienia w linku nie zgadza się z fakturą.")
    body: dict[str, Any] = {"valid": not reasons, "reasons": reasons or ["Faktura jest w KSeF."]}
    if inv is not None and not reasons:
        body.update(
            ksefNumber=inv["ksefNumber"],
            invoiceNumber=facts.get("invoiceNumber"),
            sellerNip=link.seller_nip,
            issueDate=link.issue_date.isoformat(),
        )
    return _answer(request, body, "Weryfikacja faktury w KSeF")


def _certificate_reasons(sim: Simulator, link: CertificateLink) -> list[str]:
    record = sim.state.get("certificate", link.serial.rjust(16, "0"))
    if record is None:
        return ["KSeF nie wydał certyfikatu o tym numerze seryjnym."]
    cert = x509.load_der_x509_certificate(base64.b64decode(record["certificate"]))
    reasons: list[str] = []
    try:
        verify_certificate_link(link, cert)
    except VisualError as exc:
        reasons.append(str(exc))
    if record.get("type") != "Offline" or certificate_type(cert) != "Offline":
        reasons.append("Certyfikat nie jest certyfikatem KSeF typu Offline.")
    now = Simulator.now()
    if record.get("status") != "Active":
        reasons.append(f"Certyfikat nie jest aktywny (status: {record.get('status')}).")
    elif datetime.fromisoformat(record["validTo"]) < now:
        reasons.append("Certyfikat wygasł.")
    elif datetime.fromisoformat(record["validFrom"]) > now:
        reasons.append("Certyfikat nie jest jeszcze ważny.")
    from fakturnik.simulator import grants

    subject = record["subjectIdentifier"]
    rights = grants.permissions_for(
        sim, link.context_type, link.context_value, subject["type"], subject["value"]
    )
    if not rights & _INVOICE_RIGHTS:
        reasons.append("Właściciel certyfikatu nie ma w tym kontekście prawa do wystawiania faktur.")
    context_is_seller = (
        link.context_type in ("Nip", "InternalId") and link.context_value[:10] == link.seller_nip
    )
    if not context_is_seller:
        inv = _accepted(sim, link)
        if inv is None or inv.get("contextValue") != link.context_value:
            reasons.append("Kontekst nie ma prawa wystawiać faktur w imieniu tego sprzedawcy.")
    return reasons


@router.get("/certificate/{ctype}/{cvalue}/{nip}/{serial}/{digest}/{signature}")
def certificate_page(
    request: Request, ctype: str, cvalue: str, nip: str, serial: str, digest: str, signature: str
) -> Response:
    link = _parse(request)
    if isinstance(link, Response):
        return link
    assert isinstance(link, CertificateLink)
    reasons = _certificate_reasons(_sim(request), link)
    body = {
        "valid": not reasons,
        "reasons": reasons or ["Wystawca faktury potwierdzony certyfikatem KSeF."],
        "certificateSerialNumber": link.serial,
        "sellerNip": link.seller_nip,
    }
    return _answer(request, body, "Weryfikacja wystawcy faktury (certyfikat KSeF)")
