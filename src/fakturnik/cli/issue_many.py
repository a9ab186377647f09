"""``fakturnik invoices issue`` with many invoices: files, folders, or JSON drafts on standard input.

Documents are read one chunk at a time (a folder of ten thousand files is never held in memory) and
issued through the front door, ``Fakturnik.invoices.issue_many`` — the same path as the REST API's
bulk issuing: a JSON draft is built there (the company as the seller, today as the issue date when
the draft leaves them out), every document is validated before its chunk's transaction and numbered
inside it. Each result is printed once its chunk is committed, with a progress bar on a terminal. A
document that is refused (unreadable, invalid, a number that exists) is reported with its name and
every problem, and the others go on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import typer

from fakturnik.base.files import read_bounded
from fakturnik.errors import FakturnikError, InvoiceError, InvoiceValidationError, Problem

if TYPE_CHECKING:
    from fakturnik.app import Fakturnik
    from fakturnik.app.views import BulkItemResult
    from fakturnik.engine.issuing import Issued

SUFFIXES = (".xml", ".json")
STDIN = "-"


@dataclass(frozen=True)
class Source:
    """One invoice to issue: its name in messages and how to get its bytes (JSON draft or XML)."""

    name: str
    path: Path | None = None
    text: str | None = None  # a JSON line from standard input

    def read(self) -> tuple[bytes, bool]:
        """(bytes, is a JSON draft)."""
        if self.text is not None:
            return self.text.encode("utf-8"), True
        assert self.path is not None
        data = read_bounded(self.path)
        return data, self.path.suffix.lower() == ".json"


def _lines(stream: TextIO) -> Iterator[Source]:
    for number, line in enumerate(stream, start=1):
        if line.strip():
            yield Source(f"<stdin>:{number}", text=line)


def documents_from(paths: Sequence[Path], stdin: TextIO) -> tuple[list[Source] | None, Iterable[Source]]:
    """(the sources when they are known up front, else ``None``; the sources to issue, in order)."""
    if not paths:
        if stdin.isatty():
            raise typer.BadParameter("podaj pliki faktur, katalog albo '-' (szkice JSON na wejściu)")
        return None, _lines(stdin)
    if any(str(p) == STDIN for p in paths):
        if len(paths) > 1:
            raise typer.BadParameter("'-' (standardowe wejście) nie łączy się z plikami")
        return None, _lines(stdin)
    found: list[Source] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
            found.extend(Source(str(p), path=p) for p in inside)
        else:
            found.append(Source(str(path), path=path))
    return found, found


def _draft(data: bytes) -> dict[str, Any]:
    """A JSON draft read as the FA(3) JSON form is (bounded size and nesting), one clear message if not."""
    from fakturnik.fa3.jsonform import read_json_text

    try:
        loaded = read_json_text(data)
    except InvoiceValidationError as exc:
        raise InvoiceError(exc.problems[0].message) from None
    if not isinstance(loaded, dict):
        raise InvoiceError("Niepoprawny JSON: oczekiwano obiektu (szkicu faktury).")
    return loaded


def read_source(source: Source) -> dict[str, Any] | bytes:
    """What the front door issues from a source: a JSON draft as a dict, XML as its bytes."""
    data, is_json = source.read()
    return _draft(data) if is_json else data


def xml_of(source: Source) -> bytes:
    """The FA(3) XML of a source: a JSON draft built (amounts computed), XML as it is."""
    from fakturnik.fa3.jsonform import xml_from_draft

    document = read_source(source)
    return xml_from_draft(document) if isinstance(document, dict) else document


def _numbered(document: dict[str, Any] | bytes, auto_number: bool | None) -> dict[str, Any] | bytes:
    """``--auto-number``: the series number even for a document that has its own; ``--keep-number``:
    the document's own number, so one without a number (or with ``AUTO``) is refused."""
    from fakturnik.app.issuing import AUTO

    if auto_number is None:
        return document
    if isinstance(document, dict):
        fa = document.get("Fa")
        number = fa.get("P_2") if isinstance(fa, dict) else None
        if auto_number and isinstance(fa, dict):
            return {**document, "Fa": {**fa, "P_2": AUTO}}
    else:
        from fakturnik.fa3.document import read_document

        if auto_number:
            return read_document(document).renumbered(AUTO).data
        number = read_document(document).summary.number
    if not auto_number and number in (None, "", AUTO):
        raise InvoiceError("--keep-number: faktura nie ma własnego numeru (Fa/P_2)")
    return document


def _say_issued(number: str, invoice_id: int, offline_deadline: object, offline: bool) -> None:
    note = (
        f" (offline, termin wysyłki {offline_deadline or 'po zakończeniu niedostępności'})" if offline else ""
    )
    typer.echo(f"Faktura {number} w kolejce do KSeF (id {invoice_id}){note}")


def print_warnings(issued: Issued | BulkItemResult) -> None:
    """What validation noted without refusing, one line each, on standard error."""
    _print_warnings(issued.warnings)


def _print_warnings(warnings: Iterable[Problem]) -> None:
    for warning in warnings:
        typer.secho(
            f"  Ostrzeżenie: {warning.path or '-'}: {warning.message}", fg=typer.colors.YELLOW, err=True
        )


def _say_refused(name: str, exc: FakturnikError, *, alone: bool) -> None:
    from fakturnik.cli.failures import describe

    lines = describe(exc).lines
    for i, line in enumerate(lines):
        prefix = "" if alone or i else f"{name}: "
        typer.secho(prefix + line, fg=typer.colors.RED, err=True)


def _refusal(result: BulkItemResult) -> FakturnikError:
    """The refusal of one bulk item as the error the single-invoice path raises (for its message)."""
    if result.error_code == InvoiceValidationError.code and result.problems:
        return InvoiceValidationError(result.problems)
    return FakturnikError(result.error or "faktura odrzucona")


def issue_documents(
    fk: Fakturnik,
    documents: tuple[list[Source] | None, Iterable[Source]],
    *,
    company: str,
    urgent: bool,
    auto_number: bool | None,
    chunk: int,
) -> int:
    """Issue every document through ``fk.invoices.issue_many``, ``chunk`` at a time; returns how many
    were refused."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from fakturnik.app.issuing import MAX_BULK

    company_id = fk.companies.by_nip(company).id
    known, sources = documents
    alone = known is not None and len(known) == 1
    refused = 0
    done = 0
    pending = iter(sources)
    console = Console(stderr=True)
    with Progress(
        TextColumn("Wystawianie"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=alone or not console.is_terminal,
    ) as progress:
        task = progress.add_task("issue", total=len(known) if known is not None else None)
        while part := list(islice(pending, min(chunk, MAX_BULK))):
            names: list[str] = []
            items: list[dict[str, Any] | bytes] = []
            for source in part:
                try:
                    items.append(_numbered(read_source(source), auto_number))
                    names.append(source.name)
                except FakturnikError as exc:
                    refused += 1
                    _say_refused(source.name, exc, alone=alone)
                    progress.advance(task)
            if not items:
                continue
            for name, result in zip(
                names, fk.invoices.issue_many(company_id, items, urgent=urgent).items, strict=True
            ):
                if result.ok and result.invoice is not None:
                    done += 1
                    row = result.invoice
                    _say_issued(row.number, row.id, row.offline_deadline, row.status == "offline")
                    _print_warnings(result.warnings)
                else:
                    refused += 1
                    _say_refused(name, _refusal(result), alone=alone)
                progress.advance(task)
    if not alone:
        typer.echo(f"Wystawiono {done} z {done + refused} faktur.")
    return refused
