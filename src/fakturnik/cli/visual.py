"""``fakturnik fa3 pdf|html``, ``fakturnik qr link|verify``, ``fakturnik ksef upo-pdf``.

The rendering libraries are imported inside each command, so other commands never pay for them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from fakturnik.base.files import read_bounded
from fakturnik.errors import VisualError

qr_app = typer.Typer(no_args_is_help=True)

_MAX_FILE = 50 * 1024 * 1024


def _read(path: Path) -> bytes:
    return read_bounded(path, _MAX_FILE, error=VisualError)


def _offline_signer(cert: Path | None, key: Path | None, password_env: str | None, nip: str) -> object:
    import os

    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    from fakturnik.visual.render import OfflineSigner

    if cert is None or key is None:
        raise VisualError(
            "Faktura offline wymaga --offline-cert i --offline-key (certyfikat KSeF typu Offline)."
        )
    password = os.environ.get(password_env, "").encode() if password_env else None
    try:
        certificate = x509.load_pem_x509_certificate(_read(cert))
        private_key = load_pem_private_key(_read(key), password=password or None)
    except (ValueError, TypeError) as exc:
        raise VisualError("Nie można odczytać certyfikatu lub klucza offline (PEM, hasło?).") from exc
    return OfflineSigner(certificate, private_key, "Nip", nip)  # type: ignore[arg-type]


Env = Annotated[
    str, typer.Option("--env", help="Środowisko KSeF kodów QR: local, test, demo, prod albo URL API.")
]


def _qr_base(env: str) -> str:
    from fakturnik.ksef.environments import resolve

    return resolve(env).qr_url


def _render(
    invoice: Path,
    ksef_number: str | None,
    offline: bool,
    offline_cert: Path | None,
    offline_key: Path | None,
    key_password_env: str | None,
    env: str,
    pdf: bool,
) -> bytes:
    from fakturnik.visual.document import read_invoice
    from fakturnik.visual.render import invoice_html, invoice_pdf

    xml = _read(invoice)
    signer = None
    if offline and not ksef_number:
        signer = _offline_signer(offline_cert, offline_key, key_password_env, read_invoice(xml).seller_nip)
    kwargs = {"qr_base": _qr_base(env), "ksef_number": ksef_number, "offline": signer}
    if pdf:
        return invoice_pdf(xml, **kwargs)  # type: ignore[arg-type]
    return invoice_html(xml, **kwargs).encode("utf-8")  # type: ignore[arg-type]


# The options both renderings take (one declaration each).
KsefNumberOpt = Annotated[str | None, typer.Option("--ksef-number", help="Numer KSeF pod kodem KOD I.")]
OfflineOpt = Annotated[bool, typer.Option("--offline", help="Faktura offline: KOD I 'OFFLINE' i KOD II.")]
OfflineCertOpt = Annotated[Path | None, typer.Option(help="Certyfikat KSeF typu Offline (PEM).")]
OfflineKeyOpt = Annotated[Path | None, typer.Option(help="Klucz prywatny certyfikatu Offline (PEM).")]
KeyPasswordEnvOpt = Annotated[str | None, typer.Option(help="Zmienna środowiskowa z hasłem klucza.")]


def _rendering(pdf: bool) -> Callable[..., None]:
    """The ``fa3 pdf`` or ``fa3 html`` command: one body, the options declared once above."""
    kind = "PDF" if pdf else "HTML"

    def command(
        invoice: Annotated[Path, typer.Argument(help="Plik FA(3) XML.")],
        output: Annotated[Path, typer.Option("-o", "--output", help=f"Plik {kind} do zapisania.")],
        ksef_number: KsefNumberOpt = None,
        offline: OfflineOpt = False,
        offline_cert: OfflineCertOpt = None,
        offline_key: OfflineKeyOpt = None,
        key_password_env: KeyPasswordEnvOpt = None,
        env: Env = "test",
    ) -> None:
        data = _render(invoice, ksef_number, offline, offline_cert, offline_key, key_password_env, env, pdf)
        output.write_bytes(data)
        typer.echo(f"{output}: {len(data)} B")

    # annotations are strings evaluated in the module's globals: the output's help (naming the
    # format, a local) is given as the object itself
    command.__annotations__ = {
        **command.__annotations__,
        "output": Annotated[Path, typer.Option("-o", "--output", help=f"Plik {kind} do zapisania.")],
    }
    command.__doc__ = "Invoice as PDF with its QR codes." if pdf else "Invoice as a standalone HTML page."
    return command


fa3_pdf = _rendering(pdf=True)
fa3_html = _rendering(pdf=False)


@qr_app.command("link")
def qr_link(
    invoice: Annotated[Path, typer.Argument(help="Plik FA(3) XML.")],
    env: Env = "test",
    png: Annotated[Path | None, typer.Option("--png", help="Zapisz też obraz kodu PNG.")] = None,
    svg: Annotated[Path | None, typer.Option("--svg", help="Zapisz też obraz kodu SVG z etykietą.")] = None,
    label: Annotated[str, typer.Option(help="Etykieta pod kodem (numer KSeF albo OFFLINE).")] = "OFFLINE",
) -> None:
    """Print the invoice's KOD I link (and write its image)."""
    from fakturnik.ksef.verification_links import invoice_link
    from fakturnik.visual.document import read_invoice
    from fakturnik.visual.qr import labelled_svg, qr_png

    xml = _read(invoice)
    doc = read_invoice(xml)
    if doc.issue_date is None:
        raise VisualError("Faktura nie ma daty wystawienia (P_1).")
    link = invoice_link(_qr_base(env), doc.seller_nip, doc.issue_date, xml)
    if png:
        png.write_bytes(qr_png(link))
    if svg:
        svg.write_text(labelled_svg(link, label), encoding="utf-8")
    typer.echo(link)


@qr_app.command("verify")
def qr_verify(
    link: Annotated[str, typer.Argument(help="Link KOD I albo KOD II.")],
    invoice: Annotated[
        Path | None, typer.Option("--invoice", help="Plik faktury do porównania skrótu.")
    ] = None,
    certificate: Annotated[
        Path | None, typer.Option("--certificate", help="Certyfikat (PEM) dla KOD II.")
    ] = None,
) -> None:
    """Check a KOD I / KOD II link: its form, the hash against a file, the signature against a certificate."""
    from cryptography import x509

    from fakturnik.ksef.verification_links import CertificateLink, parse_link, verify_certificate_link

    parsed = parse_link(link)
    kind = "KOD II" if isinstance(parsed, CertificateLink) else "KOD I"
    typer.echo(f"{kind}: NIP sprzedawcy {parsed.seller_nip}, skrót {parsed.hash}")
    if invoice is not None:
        if not parsed.matches(_read(invoice)):
            raise VisualError("Skrót w linku nie zgadza się z plikiem faktury.")
        typer.echo("Skrót zgodny z plikiem faktury.")
    if isinstance(parsed, CertificateLink):
        if certificate is None:
            typer.echo("Podpis niesprawdzony (podaj --certificate).")
            return
        try:
            cert = x509.load_pem_x509_certificate(_read(certificate))
        except ValueError as exc:
            raise VisualError("Nie można odczytać certyfikatu (PEM).") from exc
        verify_certificate_link(parsed, cert)
        typer.echo("Podpis KOD II prawidłowy.")


def upo_pdf(
    upo: Annotated[Path, typer.Argument(help="Plik UPO XML (v4-3).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Plik PDF do zapisania.")],
) -> None:
    """UPO as a readable PDF."""
    from fakturnik.visual.render import upo_pdf as render

    data = render(_read(upo))
    output.write_bytes(data)
    typer.echo(f"{output}: {len(data)} B")
