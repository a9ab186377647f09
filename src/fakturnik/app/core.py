"""The front door: :class:`Fakturnik` opens a data directory or database and offers the services.

    with Fakturnik.open(data_dir="dane") as fk:            # the local system actor: may do everything
        company = fk.companies.add(nip="5265877635", name="Firma Sp. z o.o.", environment="test")
        issued = fk.invoices.issue(company.id, draft)

    scoped = fk.acting_as(actor)                           # REST / web: the caller's Actor
    scoped.invoices.list(company_id, InvoiceFilter(status=("rejected",)))

Every service method is one transaction, checks the actor's right in ``fakturnik.app.access``, writes
an audit entry for every change, raises only ``fakturnik.errors`` and returns ``fakturnik.app.views``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from fakturnik.app.actor import Actor

if TYPE_CHECKING:
    from fakturnik.app.accounts import AccountsService
    from fakturnik.app.advances import AdvancesService
    from fakturnik.app.api_keys import ApiKeysService
    from fakturnik.app.audit import AuditService
    from fakturnik.app.certificates import CertificatesService
    from fakturnik.app.collective import CollectiveService
    from fakturnik.app.companies import CompaniesService
    from fakturnik.app.contractors import ContractorsService
    from fakturnik.app.coworkers import CoworkersService
    from fakturnik.app.doctor import DoctorService
    from fakturnik.app.drafts import DraftsService
    from fakturnik.app.invoices import InvoicesService
    from fakturnik.app.ksef_credentials import CredentialsService
    from fakturnik.app.ksef_ops import KsefService
    from fakturnik.app.login_attempts import LoginAttemptsService
    from fakturnik.app.mail import MailService
    from fakturnik.app.offices import OfficesService
    from fakturnik.app.permissions import PermissionsService
    from fakturnik.app.products import ProductsService
    from fakturnik.app.received import ReceivedService
    from fakturnik.app.recurring import RecurringService
    from fakturnik.app.series import SeriesService
    from fakturnik.app.webhooks import WebhooksService
    from fakturnik.app.whitelist import WhiteListClient
    from fakturnik.engine.context import EngineContext
    from fakturnik.engine.settings import EngineSettings
    from fakturnik.engine.worker import Worker
    from fakturnik.simulator.server import SimulatorServer


class Services:
    """The services bound to one actor. ``Fakturnik`` itself is the services of the system actor."""

    def __init__(self, app: Fakturnik, actor: Actor) -> None:
        self.app = app
        self.actor = actor

    @cached_property
    def companies(self) -> CompaniesService:
        from fakturnik.app.companies import CompaniesService

        return CompaniesService(self.app, self.actor)

    @cached_property
    def invoices(self) -> InvoicesService:
        from fakturnik.app.invoices import InvoicesService

        return InvoicesService(self.app, self.actor)

    @cached_property
    def received(self) -> ReceivedService:
        from fakturnik.app.received import ReceivedService

        return ReceivedService(self.app, self.actor)

    @cached_property
    def ksef(self) -> KsefService:
        """Sync on demand, outages and availability."""
        from fakturnik.app.ksef_ops import KsefService

        return KsefService(self.app, self.actor)

    @cached_property
    def credentials(self) -> CredentialsService:
        """KSeF certificates: token → certificate migration, the list, the token deadline."""
        from fakturnik.app.ksef_credentials import CredentialsService

        return CredentialsService(self.app, self.actor)

    @cached_property
    def certificates(self) -> CertificatesService:
        """KSeF certificates from inside Fakturnik: enroll, list, renew ahead of expiry, revoke."""
        from fakturnik.app.certificates import CertificatesService

        return CertificatesService(self.app, self.actor)

    @cached_property
    def doctor(self) -> DoctorService:
        """The health check: KSeF answers, the login works, expiry, rights, clock, schemas."""
        from fakturnik.app.doctor import DoctorService

        return DoctorService(self.app, self.actor)

    @cached_property
    def accounts(self) -> AccountsService:
        """Users, sign-in sessions, memberships and invitations."""
        from fakturnik.app.accounts import AccountsService

        return AccountsService(self.app, self.actor)

    @cached_property
    def login_attempts(self) -> LoginAttemptsService:
        """Failed sign-ins per account and address, shared by every process of the store."""
        from fakturnik.app.login_attempts import LoginAttemptsService

        return LoginAttemptsService(self.app, self.actor)

    @cached_property
    def api_keys(self) -> ApiKeysService:
        from fakturnik.app.api_keys import ApiKeysService

        return ApiKeysService(self.app, self.actor)

    @cached_property
    def contractors(self) -> ContractorsService:
        from fakturnik.app.contractors import ContractorsService

        return ContractorsService(self.app, self.actor)

    @cached_property
    def products(self) -> ProductsService:
        from fakturnik.app.products import ProductsService

        return ProductsService(self.app, self.actor)

    @cached_property
    def series(self) -> SeriesService:
        """Numbering series."""
        from fakturnik.app.series import SeriesService

        return SeriesService(self.app, self.actor)

    @cached_property
    def webhooks(self) -> WebhooksService:
        """Webhook subscriptions and deliveries (app/webhooks.py)."""
        from fakturnik.app.webhooks import WebhooksService

        return WebhooksService(self.app, self.actor)

    @cached_property
    def drafts(self) -> DraftsService:
        """Saved invoice forms (app/drafts.py, the web app's)."""
        from fakturnik.app.drafts import DraftsService

        return DraftsService(self.app, self.actor)

    @cached_property
    def mail(self) -> MailService:
        """Company SMTP settings and sending invoices by e-mail (app/mail.py)."""
        from fakturnik.app.mail import MailService

        return MailService(self.app, self.actor)

    @cached_property
    def recurring(self) -> RecurringService:
        """Recurring invoice templates (app/recurring.py)."""
        from fakturnik.app.recurring import RecurringService

        return RecurringService(self.app, self.actor)

    @cached_property
    def advances(self) -> AdvancesService:
        """Advance invoices and the settlements and corrections that use them (app/advances.py)."""
        from fakturnik.app.advances import AdvancesService

        return AdvancesService(self.app, self.actor)

    @cached_property
    def permissions(self) -> PermissionsService:
        """KSeF permissions: grant, revoke, who may do what, what others granted (app/permissions.py)."""
        from fakturnik.app.permissions import PermissionsService

        return PermissionsService(self.app, self.actor)

    @cached_property
    def offices(self) -> OfficesService:
        """Accounting offices: the office credential for clients, the office console (app/offices.py)."""
        from fakturnik.app.offices import OfficesService

        return OfficesService(self.app, self.actor)

    @cached_property
    def coworkers(self) -> CoworkersService:
        """Co-workers' own KSeF certificates; who issued an invoice (app/coworkers.py)."""
        from fakturnik.app.coworkers import CoworkersService

        return CoworkersService(self.app, self.actor)

    @cached_property
    def collective(self) -> CollectiveService:
        """Collective identifiers and payment lists (app/collective.py)."""
        from fakturnik.app.collective import CollectiveService

        return CollectiveService(self.app, self.actor)

    @cached_property
    def audit(self) -> AuditService:
        from fakturnik.app.audit import AuditService

        return AuditService(self.app, self.actor)


class Fakturnik(Services):
    """One Fakturnik installation: a database (SQLite in a data directory, or PostgreSQL), its vault."""

    def __init__(
        self,
        ctx: EngineContext,
        *,
        simulator: SimulatorServer | None = None,
        white_list_url: str | None = None,
    ) -> None:
        super().__init__(self, Actor.system())
        self.ctx = ctx
        from fakturnik.engine.connect import share_throttle_books

        share_throttle_books(ctx)  # PostgreSQL store: KSeF's limits counted with every other machine
        self.simulator = simulator
        self.white_list_url = white_list_url
        self._workers: list[tuple[Worker, threading.Thread]] = []
        self._temporary: str | None = None
        self._closed = False

    @classmethod
    def open(
        cls,
        data_dir: str | Path | None = None,
        *,
        database_url: str | None = None,
        settings: EngineSettings | None = None,
        simulator: bool = False,
        run_worker: bool = False,
        use_keyring: bool = True,
        white_list_url: str | None = None,
        download_schemas: bool = True,
        simulator_profile: str = "test",
    ) -> Fakturnik:
        """Open (and migrate) an installation.

        ``data_dir``: the directory of the SQLite database and the vault's master key (default
        ``$FAKTURNIK_DATA_DIR`` or ``~/.local/share/fakturnik``); ``database_url``: PostgreSQL (or any
        SQLAlchemy URL) instead. ``simulator=True`` starts the embedded KSeF simulator on 127.0.0.1:
        companies added with ``environment="local"`` talk to it and get a KSeF token from it; with
        neither ``data_dir`` nor ``database_url`` the data then lives in a temporary directory that
        :meth:`close` removes (the simulator forgets everything when it stops, too).
        ``run_worker=True`` runs the sending engine in a background thread (see :meth:`worker`).
        ``white_list_url``: base URL of the VAT white list API (default: the Ministry's public one).
        ``use_keyring``: look for the vault's master key in the system keyring too (after
        ``$FAKTURNIK_MASTER_KEY``, before ``<data_dir>/master.key``), as the CLI and the worker do.
        ``download_schemas``: a missing official XSD is downloaded once (pinned SHA-256) into the
        cache, as the CLI does; False: only ``$FAKTURNIK_SCHEMA_DIR`` and the cache are used.
        ``simulator_profile``: ``test`` (default), ``demo`` or ``prod`` (only KSeF certificates log in).
        """
        from fakturnik.engine.context import open_context
        from fakturnik.engine.settings import EngineSettings

        if download_schemas:
            from fakturnik.fa3.schemas import use_fetcher
            from fakturnik.schema_download import http_fetch

            use_fetcher(http_fetch)
        server = None
        temporary = None
        if simulator and data_dir is None and database_url is None:
            # the embedded simulator keeps its state in memory: a database pointing at it is only
            # good for this run, so it lives in a temporary directory removed by close()
            import tempfile

            temporary = tempfile.mkdtemp(prefix="fakturnik-")
            data_dir = temporary
        if simulator:
            from fakturnik.simulator.config import SimulatorConfig
            from fakturnik.simulator.server import SimulatorServer

            config = SimulatorConfig(profile=simulator_profile, rate_limits_enabled=False)  # type: ignore[arg-type]
            server = SimulatorServer(config).start()
            settings = settings or EngineSettings.fast()
        try:
            ctx = open_context(
                Path(data_dir) if data_dir is not None else None,
                database_url,
                settings or EngineSettings(),
                use_keyring=use_keyring,
            )
        except BaseException:
            if server is not None:
                server.stop()
            raise
        fk = cls(ctx, simulator=server, white_list_url=white_list_url)
        fk._temporary = temporary
        if run_worker:
            fk.worker()
        return fk

    def acting_as(self, actor: Actor) -> Services:
        """The services as ``actor`` sees them; every call is checked in ``fakturnik.app.access``."""
        return Services(self, actor)

    def worker(self, *, worker_id: str | None = None) -> Worker:
        """Start the sending engine (outbox → KSeF → numbers, UPOs, sync) in a background thread.

        Returns the running :class:`~fakturnik.engine.worker.Worker`; :meth:`close` stops it.
        """
        from fakturnik.engine.worker import Worker

        w = Worker(self.ctx, worker_id=worker_id)
        thread = threading.Thread(
            target=w.run, kwargs={"idle_sleep": 0.1}, name="fakturnik-worker", daemon=True
        )
        thread.start()
        self._workers.append((w, thread))
        return w

    def stop_workers(self, timeout: float = 30.0) -> None:
        for w, _ in self._workers:
            w.stop_event.set()
        for _, thread in self._workers:
            thread.join(timeout=timeout)
        self._workers.clear()

    @contextmanager
    def running_worker(self) -> Iterator[Worker]:
        """``with fk.running_worker():`` — the engine runs for the block, then stops."""
        w = self.worker()
        try:
            yield w
        finally:
            w.stop_event.set()
            for worker, thread in list(self._workers):
                if worker is w:
                    thread.join(timeout=30)
                    self._workers.remove((worker, thread))

    def close(self) -> None:
        """Stop the workers and the embedded simulator; release the database."""
        if self._closed:
            return
        self._closed = True
        self.stop_workers()
        if self.simulator is not None:
            self.simulator.stop()
        from fakturnik.engine.connect import unshare_throttle_books

        unshare_throttle_books(self.ctx)
        self.ctx.close()
        if self._temporary is not None:
            import shutil

            shutil.rmtree(self._temporary, ignore_errors=True)

    def __repr__(self) -> str:
        return f"Fakturnik({self.ctx.db!r})"

    def __enter__(self) -> Fakturnik:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def white_list(self) -> WhiteListClient:
        from fakturnik.app.whitelist import WhiteListClient

        return WhiteListClient(self.white_list_url)
