"""Rich tables of invoices for the CLI and the demo."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from fakturnik.engine.context import EngineContext
from fakturnik.store import repo, states

STATUS_PL = {
    "queued": "w kolejce",
    "sending": "wysyłanie",
    "sent": "wysłana",
    "uncertain": "sprawdzanie",
    "accepted": "przyjęta",
    "rejected": "odrzucona",
    "offline": "offline",
    "received": "otrzymana",
}


SELF_BILLED = "wystawiona przez nabywcę (samofakturowanie)"


def invoice_table(
    ctx: EngineContext,
    *,
    status: str | None = None,
    company_nip: str | None = None,
    compact: bool = False,
    issued_by: str | None = None,
) -> Table:
    """``issued_by``: ``buyer`` only the sales the buyers self-billed in the company's name, ``company``
    only the company's own invoices (received ones are neither)."""
    columns = ["Id", "Numer", "Data", "Kontrahent", "Brutto", "Status", "Numer KSeF", "UPO", "Uwagi"]
    keep = [1, 5, 6, 7] if compact else list(range(len(columns)))
    table = Table(*[columns[i] for i in keep])
    with ctx.db.transaction() as s:
        company_id = repo.company_by_nip(s, company_nip).id if company_nip else None
        for inv in repo.list_invoices(s, company_id=company_id, status=status):
            by_buyer = inv.origin == states.BY_BUYER
            if issued_by is not None and (inv.direction != "issued" or by_buyer != (issued_by == "buyer")):
                continue
            upo = repo.upo_for(s, inv.id)
            party = (
                inv.buyer_name or inv.buyer_id
                if inv.direction == "issued"
                else inv.seller_name or inv.seller_nip
            )
            note = inv.error_message or (
                f"termin offline: {inv.offline_deadline}" if inv.offline_mode and not inv.ksef_number else ""
            )
            if by_buyer:
                note = SELF_BILLED
            cells = [
                str(inv.id),
                inv.number,
                str(inv.issue_date or ""),
                party,
                f"{inv.gross} {inv.currency}" if inv.gross is not None else "",
                STATUS_PL.get(inv.status, inv.status),
                inv.ksef_number or "—",
                f"{len(upo.xml)} B" if upo else "—",
                (note or "")[:60],
            ]
            table.add_row(*[cells[i] for i in keep])
    return table


def console() -> Console:
    """A terminal console, or a wide one when the output goes to a file or pipe (no truncated numbers)."""
    import sys

    return Console() if sys.stdout.isatty() else Console(width=220)


def print_invoices(
    ctx: EngineContext,
    *,
    status: str | None = None,
    company_nip: str | None = None,
    issued_by: str | None = None,
) -> None:
    console().print(invoice_table(ctx, status=status, company_nip=company_nip, issued_by=issued_by))
