"""``fakturnik invoices issue`` with many invoices: files, folders, or JSON drafts on standard input.

Documents are read one by one (a folder of ten thousand files is never held in memory), turned into
FA(3) XML (a JSON draft through ``fa3``), and issued by ``engine.issuing.issue_many`` in one
transaction per chunk; each result is printed once its chunk is committed, with a progress bar on a
terminal. A document that is refused (unreadable, invalid, a number that exists) is reported with
its name and every problem, and the others go on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import typer

from fakturnik.base.files import read_bounded
from fakturnik.errors import FakturnikError, InvoiceError

if TYPE_CHECKING:
    from fakturnik.engine.context import EngineContext
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


def xml_of(source: Source) -> bytes:
    """The FA(3) XML of a source: a JSON draft built (amounts computed), XML as it is."""
    from fakturnik.engine.issuing import json_to_xml

    data, is_json = source.read()
    if is_json:
        try:
            json.loads(data)  # one clear message for a line that is not JSON at all
        except (ValueError, RecursionError) as exc:
            raise InvoiceError(f"Niepoprawny JSON: {exc}") from None
        return json_to_xml(data)
    return data


def _say_issued(issued: Issued) -> None:
    note = (
        f" (offline, termin wysyłki {issued.offline_deadline or 'po zakończeniu niedostępności'})"
        if issued.offline_kind
        else ""
    )
    typer.echo(f"Faktura {issued.number} w kolejce do KSeF (id {issued.invoice_id}){note}")
    print_warnings(issued)


def print_warnings(issued: Issued) -> None:
    """What validation noted without refusing, one line each, on standard error."""
    for warning in issued.warnings:
        typer.secho(
            f"  Ostrzeżenie: {warning.path or '-'}: {warning.message}", fg=typer.colors.YELLOW, err=True
        )


def _say_refused(name: str, exc: FakturnikError, *, alone: bool) -> None:
    from fakturnik.cli.failures import describe

    lines = describe(exc).lines
    for i, line in enumerate(lines):
        prefix = "" if alone or i else f"{name}: "
        typer.secho(prefix + line, fg=typer.colors.RED, err=True)


def issue_documents(
    ctx: EngineContext,
    documents: tuple[list[Source] | None, Iterable[Source]],
    *,
    company: str,
    urgent: bool,
    auto_number: bool | None,
    chunk: int,
) -> int:
    """Issue every document; returns how many were refused."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from fakturnik.engine.issuing import issue_many

    known, sources = documents
    alone = known is not None and len(known) == 1
    refused = 0
    done = 0

    def readable() -> Iterator[tuple[str, bytes]]:
        nonlocal refused
        for source in sources:
            try:
                yield source.name, xml_of(source)
            except FakturnikError as exc:
                refused += 1
                _say_refused(source.name, exc, alone=alone)
                progress.advance(task)

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
        for name, result in issue_many(
            ctx,
            readable(),
            company_nip=company,
            urgent=urgent,
            auto_number=auto_number,
            actor="cli",
            chunk=chunk,
        ):
            if isinstance(result, FakturnikError):
                refused += 1
                _say_refused(name, result, alone=alone)
            else:
                done += 1
                _say_issued(result)
            progress.advance(task)
    if not alone:
        typer.echo(f"Wystawiono {done} z {done + refused} faktur.")
    return refused
