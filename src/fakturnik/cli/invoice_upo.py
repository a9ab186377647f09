"""``fakturnik invoices upo``: an issued invoice's UPO, or the UPO of the KSeF session it went in.

Read from the store through the front door (``fk.invoices.upo`` / ``session_upo`` /
``session_upo_xml``): nothing is asked of KSeF here — the engine stored what KSeF issued. For KSeF
itself, by session reference, see ``fakturnik ksef upo``. The command joins cli.engine's ``invoices``
commands here (cli/main.py loads ``invoices`` from this module).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fakturnik.cli.engine import _fail, _front_door, invoices_app
from fakturnik.cli.options import DataDir, DbUrl, IssuerCompany
from fakturnik.errors import FakturnikError


def invoices_upo(
    invoice_id: Annotated[int, typer.Argument(help="Id faktury (z 'invoices list').")],
    company: IssuerCompany,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Plik (z --all-pages: katalog na strony UPO sesji).")
    ],
    session: Annotated[
        bool,
        typer.Option("--session", help="UPO sesji KSeF, w której wysłano fakturę (strona z tą fakturą)."),
    ] = False,
    page: Annotated[int | None, typer.Option(min=1, help="Ta strona UPO sesji (z --session).")] = None,
    all_pages: Annotated[
        bool, typer.Option("--all-pages", help="Wszystkie strony UPO sesji do katalogu -o (z --session).")
    ] = False,
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Czytelny PDF zamiast XML (rozszerzenie visual).")
    ] = False,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Zapisz UPO faktury albo (--session) UPO sesji KSeF, w której ją wysłano."""
    if (page is not None or all_pages) and not session:
        typer.secho("--page i --all-pages dotyczą UPO sesji: dodaj --session", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    try:
        with _front_door(data_dir, database_url) as fk:
            company_id = fk.companies.by_nip(company).id
            if not session:
                upo = fk.invoices.upo_pdf if pdf else fk.invoices.upo
                output.write_bytes(upo(company_id, invoice_id))
                typer.echo(f"Zapisano {output}")
                return
            view = fk.invoices.session_upo(company_id, invoice_id)
            total = len(view.pages)
            one_page = fk.invoices.session_upo_pdf if pdf else fk.invoices.session_upo_xml
            suffix = ".pdf" if pdf else ".xml"
            if all_pages:
                output.mkdir(parents=True, exist_ok=True)
                for p in view.pages:
                    target = output / f"{p.reference_number}{suffix}"
                    target.write_bytes(one_page(company_id, invoice_id, p.page))
                    mark = " (ta faktura)" if p.lists_invoice else ""
                    typer.echo(f"Zapisano {target}: strona {p.page} z {total}{mark}")
                return
            output.write_bytes(one_page(company_id, invoice_id, page))
            shown = page or view.invoice_page or 1
    except FakturnikError as exc:
        _fail(exc)
    typer.echo(f"Zapisano {output}: UPO sesji {view.session_reference}, strona {shown} z {total}")


invoices_app.command("upo")(invoices_upo)

__all__ = ["invoices_app", "invoices_upo"]
