"""The office console as a Rich table: the columns of the /biuro page and of REST's office clients."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from fakturnik.web.dates import format_date, format_datetime

if TYPE_CHECKING:
    from fakturnik.app.offices import ClientRow, OfficeConsole


def _login(r: ClientRow) -> str:
    text = r.credential_label
    if r.credential_expires:
        text += f"\ndo {format_date(r.credential_expires)}"
    if r.token_days_left is not None:
        text += f"\ntokeny działają jeszcze {r.token_days_left} dni"
    return text


def _rights(r: ClientRow) -> str:
    """What KSeF last said the client may do (granted to the office, or what its own login held)."""
    if r.rights_checked_at is None:
        return "?\njeszcze nie sprawdzono" + ("" if r.via_office else " (diagnostyka klienta)")
    text = ", ".join(r.rights) or "brak"
    if r.can_delegate:
        text += " (z prawem przekazania)"
    source = "nadane biuru" if r.rights_source == "office" else "logowania klienta"
    return f"{text}\n{source}, sprawdzono {format_datetime(r.rights_checked_at)}"


def office_table(view: OfficeConsole) -> Table:
    on_office = sum(1 for r in view.clients if r.via_office)
    expires = (
        f" (ważnym do {format_date(view.office_credential_expires)})"
        if view.office_credential_expires
        else ""
    )
    table = Table(
        "!", "NIP", "Nazwa", "Logowanie", "Uprawnienia w KSeF", "Ostatnie pobranie", "Kolejka", "Odrzucone",
        "Offline", "Nowe otrzymane",
        title=f"Klienci biura {escape(view.office_name)} (NIP {view.office_nip})",
        caption=f"{on_office} na certyfikacie biura{expires}, {len(view.clients) - on_office} na własnym "
        "certyfikacie albo tokenie; ! wymaga uwagi",
    )  # fmt: skip
    for r in view.clients:
        offline = str(r.offline) + (f"\ntermin {format_date(r.next_deadline)}" if r.next_deadline else "")
        table.add_row(
            "!" if r.needs_attention else "",
            r.nip,
            escape(r.name),
            _login(r),
            _rights(r),
            format_datetime(r.last_sync) if r.last_sync else "nigdy",
            str(r.queued),
            str(r.rejected),
            offline,
            str(r.received_new),
            style="yellow" if r.needs_attention else None,
        )
    return table


def print_office_console(out: Console, view: OfficeConsole) -> None:
    """The table, then why invoices wait and whether KSeF could be asked about the rights."""
    out.print(office_table(view))
    for r in view.clients:
        if r.waiting_reason:
            out.print(f"[yellow]{r.nip}[/yellow]: czeka — {escape(r.waiting_reason)}")
    if view.rights_error:
        out.print(f"[red]Uprawnienia klientów nieznane:[/red] {escape(view.rights_error)}")
