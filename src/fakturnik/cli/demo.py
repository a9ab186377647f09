"""``fakturnik demo``: the simulator, a worker and a few invoices, end to end on a SQLite data dir."""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

from rich.console import Console
from rich.panel import Panel

from fakturnik.base.warsaw import warsaw_today
from fakturnik.cli.views import invoice_table
from fakturnik.engine.companies import add_company
from fakturnik.engine.context import open_context
from fakturnik.engine.issuing import issue
from fakturnik.engine.settings import EngineSettings
from fakturnik.engine.worker import Worker
from fakturnik.store import repo, states
from fakturnik.vault import Secret

DEMO_NIP = "5265877635"


def _demo_token(server: object, nip: str) -> Secret:
    """A KSeF token for the demo company, created in the simulator as its owner would."""
    from fakturnik.app.companies import simulator_token
    from fakturnik.simulator.server import SimulatorServer

    assert isinstance(server, SimulatorServer)
    return Secret(simulator_token(server, nip, "Fakturnik demo"), "demo-token")


def sample_xml(nip: str, lines: int = 3) -> bytes:
    from fakturnik.fa3.samples import make_sample_invoice
    from fakturnik.fa3.writer import write_invoice

    return write_invoice(make_sample_invoice(nip, "AUTO", lines, issue_date=warsaw_today()))


def run_demo(*, invoices: int = 5, data_dir: Path | None = None, timeout: float = 120.0) -> int:
    """Run the whole journey; returns the number of invoices that got a KSeF number."""
    from fakturnik.simulator.config import SimulatorConfig
    from fakturnik.simulator.server import SimulatorServer

    console = Console()
    directory = data_dir or Path(tempfile.mkdtemp(prefix="fakturnik-demo-"))
    with SimulatorServer(SimulatorConfig(profile="test", rate_limits_enabled=False)) as server:
        console.print(
            Panel.fit(f"Symulator KSeF 2.0: {server.base_url}\nDane: {directory}", title="Fakturnik demo")
        )
        ctx = open_context(directory, None, EngineSettings.fast(), use_keyring=False)
        with ctx.db.transaction() as s:
            exists = any(c.nip == DEMO_NIP for c in repo.list_companies(s))
        if not exists:
            add_company(ctx, nip=DEMO_NIP, name="Demo Sp. z o.o.", base_url=server.base_url)
        from fakturnik.engine.companies import set_ksef_token

        set_ksef_token(ctx, DEMO_NIP, _demo_token(server, DEMO_NIP), actor="demo")
        for _ in range(invoices):
            issued = issue(ctx, company_nip=DEMO_NIP, xml=sample_xml(DEMO_NIP), actor="demo")
            console.print(f"Wystawiono {issued.number} → kolejka KSeF")
        worker = Worker(ctx, worker_id="demo-worker")
        thread = threading.Thread(target=worker.run, kwargs={"idle_sleep": 0.2}, daemon=True)
        thread.start()
        deadline = time.monotonic() + timeout
        with console.status("Wysyłanie do KSeF, oczekiwanie na numery KSeF i UPO…"):
            while time.monotonic() < deadline and worker.pending() > 0:
                time.sleep(0.2)
            worker.fetch_missing_upos()
        worker.stop_event.set()
        thread.join(timeout=30)
        console.print(invoice_table(ctx, compact=True))
        with ctx.db.transaction() as s:
            accepted = [i for i in repo.list_invoices(s) if i.status == states.ACCEPTED]
            if accepted:
                upo = repo.upo_for(s, accepted[0].id)
                if upo is not None:
                    text = upo.xml.decode("utf-8", "replace")
                    console.print(Panel(text[:1500], title=f"UPO faktury {accepted[0].number}"))
        ctx.close()
    return len(accepted)
