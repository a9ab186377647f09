"""CLI commands of ``fakturnik.visual``: ``fa3 pdf|html``, ``qr link|verify``, ``ksef upo-pdf``.

One file so it can move into the ``cli`` package as is; ``register(app, fa3_app, ksef_app)`` wires it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fakturnik.errors import FakturnikError

qr_app = typer.Typer(no_args_is_help=True, help="Kody QR KSeF: linki weryfikacyjne KOD I i KOD II.")

Env = Annotated[str, typer.Option("--env", help="Środowisko KSeF (test, demo, prod) albo adres bazowy QR.")]
KsefNo = Annotated[str | None, typer.Option("--ksef-number", help="Numer KSeF (etykieta pod KODEM I).")]
Cert = Annotated[Path | None, typer.Option("--cert", help="Certyfikat KSeF typu Offline (PEM) – KOD II.")]
Key = Annotated[Path | None, typer.Option("--key", help="Klucz prywatny certyfikatu Offline (PEM).")]
KeyPass = Annotated[str | None, typer.Option("--key-password", envvar="FAKTURNIK_KEY_PASSWORD", hidden=True)]
CtxType = Annotated[str, typer.Option("--context-type", help="Nip, InternalId, NipVatUe albo PeppolId.")]
CtxValue = Annotated[
    str | None, typer.Option("--context-value", help="Identyfikator kontekstu (domyślnie NIP).")
]


def _fail(exc: Exception | str) -> typer.Exit:
    typer.echo(f"Błąd: {exc}", err=True)
    return typer.Exit(1)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _fail(f"nie można odczytać {path}: {exc.strerror}") from exc


def _kod2(xml: bytes, base: str, cert: Path, key: Path, password: str | None, ctype: str, cvalue: str | None):  # type: ignore[no-untyped-def]
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    from fakturnik.visual.invoice_view import build_view
    from fakturnik.visual.links import certificate_link

    view = build_view(xml)
    certificate = x509.load_pem_x509_certificate(_read(cert))
    private = load_pem_private_key(_read(key), password.encode() if password else None)
    return certificate_link(
        base,
        context_type=ctype,
        context_value=cvalue or view.seller_nip,
        seller_nip=view.seller_nip,
        certificate=certificate,
        private_key=private,
        xml_or_hash=xml,
    )


def _render(
    kind: str,
    invoice: Path,
    out: Path | None,
    env: str,
    ksef_number: str | None,
    cert: Path | None,
    key: Path | None,
    password: str | None,
    ctype: str,
    cvalue: str | None,
) -> None:
    from fakturnik.visual.links import qr_base
    from fakturnik.visual.render import invoice_html, invoice_pdf

    xml = _read(invoice)
    try:
        base = qr_base(env)
        kod2 = None
        if cert or key:
            if not (cert and key):
                raise _fail("KOD II wymaga obu opcji: --cert i --key")
            if ksef_number:
                raise _fail("faktura z numerem KSeF nie ma KODU II; pomiń --cert/--key")
            kod2 = _kod2(xml, base, cert, key, password, ctype, cvalue)
        if kind == "pdf":
            data = invoice_pdf(xml, ksef_number=ksef_number, qr_base=base, kod2=kod2)
        else:
            data = invoice_html(xml, ksef_number=ksef_number, qr_base=base, kod2=kod2).encode("utf-8")
    except FakturnikError as exc:
        raise _fail(exc) from exc
    target = out or invoice.with_suffix("." + kind)
    target.write_bytes(data)
    typer.echo(str(target))


def pdf(
    invoice: Annotated[Path, typer.Argument(help="Plik faktury FA(3) (XML).")],
    out: Annotated[Path | None, typer.Option("-o", "--output", help="Plik wynikowy PDF.")] = None,
    ksef_number: KsefNo = None,
    env: Env = "prod",
    cert: Cert = None,
    key: Key = None,
    key_password: KeyPass = None,
    context_type: CtxType = "Nip",
    context_value: CtxValue = None,
) -> None:
    """Wizualizacja faktury jako PDF z kodami QR (offline: podaj --cert i --key, dodany zostanie KOD II)."""
    _render("pdf", invoice, out, env, ksef_number, cert, key, key_password, context_type, context_value)


def html(
    invoice: Annotated[Path, typer.Argument(help="Plik faktury FA(3) (XML).")],
    out: Annotated[Path | None, typer.Option("-o", "--output", help="Plik wynikowy HTML.")] = None,
    ksef_number: KsefNo = None,
    env: Env = "prod",
    cert: Cert = None,
    key: Key = None,
    key_password: KeyPass = None,
    context_type: CtxType = "Nip",
    context_value: CtxValue = None,
) -> None:
    """Wizualizacja faktury jako samodzielna strona HTML z kodami QR."""
    _render("html", invoice, out, env, ksef_number, cert, key, key_password, context_type, context_value)


@qr_app.command("link")
def link(
    invoice: Annotated[Path, typer.Argument(help="Plik faktury FA(3) (XML).")],
    env: Env = "prod",
    cert: Cert = None,
    key: Key = None,
    key_password: KeyPass = None,
    context_type: CtxType = "Nip",
    context_value: CtxValue = None,
    ksef_number: KsefNo = None,
    png: Annotated[Path | None, typer.Option("--png", help="Zapisz kod(y) jako PNG (z etykietą).")] = None,
    svg: Annotated[Path | None, typer.Option("--svg", help="Zapisz kod(y) jako SVG (z etykietą).")] = None,
) -> None:
    """Wypisz KOD I (i KOD II, gdy podano certyfikat Offline); opcjonalnie zapisz obrazy."""
    from fakturnik.visual.invoice_view import build_view
    from fakturnik.visual.links import invoice_link, qr_base
    from fakturnik.visual.qr import CERTIFICATE_LABEL, kod1_label, qr_png, qr_svg

    xml = _read(invoice)
    try:
        base = qr_base(env)
        view = build_view(xml)
        if view.issue_date is None:
            raise _fail("faktura nie ma poprawnej daty wystawienia (P_1)")
        codes = [(invoice_link(base, view.seller_nip, view.issue_date, xml).url, kod1_label(ksef_number))]
        if cert or key:
            if not (cert and key):
                raise _fail("KOD II wymaga obu opcji: --cert i --key")
            codes.append(
                (
                    _kod2(xml, base, cert, key, key_password, context_type, context_value).url,
                    CERTIFICATE_LABEL,
                )
            )
        for i, (url, label) in enumerate(codes):
            typer.echo(url)
            suffix = "" if i == 0 else "-kod2"
            if png:
                png.with_name(png.stem + suffix + png.suffix).write_bytes(qr_png(url, label))
            if svg:
                svg.with_name(svg.stem + suffix + svg.suffix).write_text(qr_svg(url, label), "utf-8")
    except FakturnikError as exc:
        raise _fail(exc) from exc


@qr_app.command("verify")
def verify(
    url: Annotated[str, typer.Argument(help="Link KOD I albo KOD II.")],
    invoice: Annotated[Path | None, typer.Option("--invoice", help="Plik faktury: sprawdź skrót.")] = None,
    cert: Annotated[
        Path | None, typer.Option("--cert", help="Certyfikat (PEM): sprawdź podpis KODU II.")
    ] = None,
) -> None:
    """Sprawdź link: budowę, skrót względem pliku faktury, podpis KODU II względem certyfikatu."""
    from cryptography import x509

    from fakturnik.visual.links import (
        CertificateLink,
        parse_link,
        verify_certificate_link,
        verify_invoice_file,
    )

    try:
        parsed = parse_link(url)
        kind = "KOD II" if isinstance(parsed, CertificateLink) else "KOD I"
        typer.echo(f"{kind}: link poprawny (NIP sprzedawcy {parsed.seller_nip}).")
        if invoice is not None:
            if not verify_invoice_file(parsed, _read(invoice)):
                raise _fail("skrót w linku nie odpowiada plikowi faktury")
            typer.echo("Skrót zgodny z plikiem faktury.")
        if cert is not None:
            if not isinstance(parsed, CertificateLink):
                raise _fail("--cert dotyczy tylko KODU II")
            verify_certificate_link(parsed, x509.load_pem_x509_certificate(_read(cert)))
            typer.echo("Podpis KODU II prawidłowy.")
    except FakturnikError as exc:
        raise _fail(exc) from exc


def upo_pdf(
    upo: Annotated[list[Path], typer.Argument(help="Plik(i) UPO (XML), strony w kolejności.")],
    out: Annotated[Path, typer.Option("-o", "--output", help="Plik wynikowy PDF.")] = Path("upo.pdf"),
) -> None:
    """UPO jako czytelny PDF (każda strona UPO od nowej strony)."""
    from fakturnik.visual.upo import upo_pdf as render

    try:
        out.write_bytes(render(*(_read(p) for p in upo)))
    except FakturnikError as exc:
        raise _fail(exc) from exc
    typer.echo(str(out))


def register(app: typer.Typer, fa3_app: typer.Typer, ksef_app: typer.Typer) -> None:
    fa3_app.command("pdf")(pdf)
    fa3_app.command("html")(html)
    ksef_app.command("upo-pdf")(upo_pdf)
    app.add_typer(qr_app, name="qr")
