"""``fakturnik fa3 ...`` commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from fakturnik.cli.fa3_validate import validate as validate_command
from fakturnik.cli.visual import fa3_html, fa3_pdf
from fakturnik.errors import InvoiceError, InvoiceValidationError
from fakturnik.fa3.amounts import TaxMethod
from fakturnik.fa3.jsonform import invoice_from_draft, invoice_from_json
from fakturnik.fa3.model import Faktura
from fakturnik.fa3.parser import parse_invoice
from fakturnik.fa3.writer import write_invoice

app = typer.Typer(no_args_is_help=True)
app.command(
    "validate",
    help=(
        "Sprawdź pliki FA(3) (schemat XSD i reguły biznesowe). "
        "Kod wyjścia 0, gdy wszystkie są poprawne, 1 w przeciwnym razie."
    ),
)(validate_command)
app.command("pdf", help="Faktura jako PDF z kodami QR (KOD I, a dla faktury offline także KOD II).")(fa3_pdf)
app.command("html", help="Faktura jako strona HTML z kodami QR.")(fa3_html)


def _fail(source: str, exc: InvoiceError) -> typer.Exit:
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    if isinstance(exc, InvoiceValidationError):
        for problem in exc.problems:
            err.print(f"{source}: {problem.path or '-'}: {problem.message}", markup=False)
    else:
        err.print(f"{source}: {exc}", markup=False)
    return typer.Exit(1)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvoiceError(f"Nie można odczytać pliku: {exc.strerror or exc}.") from None


def load_invoice_file(path: Path) -> Faktura:
    """An invoice from an FA(3) XML file or a (complete) JSON form file, chosen by content."""
    data = _read(path)
    if data.lstrip()[:1] in (b"{", b"["):
        return invoice_from_json(data)
    return parse_invoice(data)


@app.command(
    "build", help="Zbuduj XML FA(3) z formularza JSON: wartości pozycji i sumy wyliczone, podane sprawdzone."
)
def build(
    source: Annotated[
        Path, typer.Argument(help="Invoice in the JSON form (docs/fa3-json.md); a draft is fine.")
    ],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Where to write the FA(3) XML; '-' = stdout.")
    ],
    method: Annotated[
        str | None, typer.Option(help="Tax method: net, gross or line (default: what the lines imply).")
    ] = None,
) -> None:
    """Build FA(3) XML from the JSON form: line values and totals computed, supplied ones checked."""
    if method not in (None, "net", "gross", "line"):
        raise typer.BadParameter("method must be net, gross or line")
    tax_method: TaxMethod | None = method  # type: ignore[assignment]
    try:
        invoice = invoice_from_draft(_read(source), method=tax_method)
        xml = write_invoice(invoice)
    except InvoiceError as exc:
        raise _fail(str(source), exc) from None
    if str(output) == "-":
        sys.stdout.buffer.write(xml)
    else:
        output.write_bytes(xml)
        fa = invoice.Fa
        typer.echo(f"{output}: {fa.RodzajFaktury} {fa.P_2}, P_15 {fa.P_15} {fa.KodWaluty}")


@app.command("show", help="Czytelne podsumowanie faktury: strony, pozycje, sumy.")
def show(file: Annotated[Path, typer.Argument(help="FA(3) XML (or its JSON form).")]) -> None:
    """A readable summary of an invoice: parties, lines, totals."""
    from fakturnik.cli.fa3_show import render_invoice

    try:
        invoice = load_invoice_file(file)
    except InvoiceError as exc:
        raise _fail(str(file), exc) from None
    Console().print(render_invoice(invoice))
