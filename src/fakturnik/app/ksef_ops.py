"""KSeF operations on demand: incoming sync, outages (declared or seen), availability for the banner."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from sqlalchemy import func, select

from fakturnik.app.access import Action, require_system
from fakturnik.app.companies import CompaniesService
from fakturnik.app.service import Service
from fakturnik.app.views import AvailabilityView, CheckStep, ConnectionCheckView, OutboxStats, SyncResult
from fakturnik.errors import InputError
from fakturnik.store import repo, states
from fakturnik.store.models import Invoice

MODES = ("offline", "offline24", "failure")


class KsefService(Service):
    def sync(self, company_id: int) -> SyncResult:
        """Download the invoices the company received since the last sync (incremental, now)."""
        from fakturnik.engine.sync import sync_company

        with self._tx() as s:
            company = self._company(s, company_id, Action.SYNC_RUN)
            nip = company.nip
            self._audit(s, "sync.run", company_id=company.id)
        result = sync_company(self.ctx, nip)
        return SyncResult(new=result.new, known=result.known, self_billed=result.self_billed)

    def check_connection(self, company_id: int) -> ConnectionCheckView:
        """Log in to KSeF with the company's stored credential now and say in Polish what works.

        Steps: a credential is stored (and a certificate is within its validity), KSeF answers at the
        company's address, KSeF accepts the credential (a full authentication, then logout).
        """
        from fakturnik.engine.connect import auth_manager
        from fakturnik.errors import KsefApiError, KsefAuthError, KsefError, KsefTransportError
        from fakturnik.ksef.environments import resolve
        from fakturnik.ksef.transport import Transport

        with self._tx() as s:
            company = self._company(s, company_id, Action.COMPANY_VIEW)
            self._audit(s, "ksef.connection_check", company_id=company.id)
        info = CompaniesService(self.app, self.actor).credential(company_id)
        steps: list[CheckStep] = []
        label = "Dane uwierzytelniające"
        if info is None:
            steps.append(
                CheckStep(label, False, "Brak danych uwierzytelniających KSeF: dodaj certyfikat albo token.")
            )
            return ConnectionCheckView(False, tuple(steps))
        if info.kind == "certificate" and info.not_after is not None:
            if info.not_after <= datetime.now(UTC):
                steps.append(CheckStep(label, False, f"Certyfikat wygasł {info.not_after:%d.%m.%Y}."))
                return ConnectionCheckView(False, tuple(steps))
            steps.append(CheckStep(label, True, f"Certyfikat KSeF ważny do {info.not_after:%d.%m.%Y}."))
        else:
            steps.append(CheckStep(label, True, "Token KSeF zapisany w sejfie."))
        env = resolve(company.base_url or company.environment)
        transport = Transport(env, timeout=min(self.ctx.settings.http_timeout, 15.0), max_retries=1)
        try:
            manager = auth_manager(self.ctx, company, transport)
            try:
                manager.login()
            except KsefTransportError:
                steps.append(CheckStep("Połączenie z KSeF", False, f"KSeF nie odpowiada ({env.api_url})."))
                return ConnectionCheckView(False, tuple(steps))
            except (KsefAuthError, KsefApiError) as exc:
                steps.append(CheckStep("Połączenie z KSeF", True, f"KSeF odpowiada ({env.api_url})."))
                steps.append(
                    CheckStep("Logowanie do KSeF", False, f"KSeF odrzucił dane uwierzytelniające: {exc}")
                )
                return ConnectionCheckView(False, tuple(steps))
            steps.append(CheckStep("Połączenie z KSeF", True, f"KSeF odpowiada ({env.api_url})."))
            steps.append(CheckStep("Logowanie do KSeF", True, "Połączenie z KSeF działa: logowanie udane."))
            with contextlib.suppress(KsefError):  # the session ends by itself; the check succeeded
                manager.logout()
        except KsefError as exc:
            steps.append(CheckStep("Logowanie do KSeF", False, f"Nie udało się zalogować do KSeF: {exc}"))
            return ConnectionCheckView(False, tuple(steps))
        finally:
            transport.close()
        return ConnectionCheckView(True, tuple(steps))

    def availability(self, company_id: int) -> AvailabilityView:
        """Is KSeF answering for this company's environment; offline invoices waiting and their deadline."""
        with self._tx() as s:
            company = self._company(s, company_id, Action.COMPANY_VIEW)
            api = company.base_url or ""
            outage = repo.open_outage(s, api)
            last = outage or repo.last_outage(s, api)
            pending, deadline = s.execute(
                select(func.count(Invoice.id), func.min(Invoice.offline_deadline)).where(
                    Invoice.company_id == company.id,
                    Invoice.direction == "issued",
                    Invoice.offline_mode == True,  # noqa: E712 - "= 1"/"= true" is what the partial index says
                    Invoice.ksef_number.is_(None),
                    Invoice.status != states.REJECTED,
                )
            ).one()
            return AvailabilityView(
                api_url=api,
                outage=outage is not None,
                mode=outage.mode if outage is not None else None,
                since=outage.started_at if outage is not None else None,
                ended_at=last.ended_at if last is not None and outage is None else None,
                offline_issuing=outage is not None,
                pending_offline=int(pending or 0),
                next_deadline=deadline,
            )

    def start_outage(self, company_id: int, mode: str = "offline") -> AvailabilityView:
        """Declare KSeF unavailable (announced: ``offline``; failure: ``failure``; ``offline24``)."""
        from fakturnik.engine.availability import start_outage

        if mode not in MODES:
            raise InputError(f"tryb: {', '.join(MODES)}", "mode")
        with self._tx() as s:
            company = self._company(s, company_id, Action.COMPANY_ADMIN)
            start_outage(s, company.base_url or "", mode=mode)
            self._audit(s, "ksef.outage.declared", company_id=company.id, detail={"mode": mode})
        return self.availability(company_id)

    def end_outage(self, company_id: int) -> AvailabilityView:
        from fakturnik.engine.availability import end_outage

        with self._tx() as s:
            company = self._company(s, company_id, Action.COMPANY_ADMIN)
            end_outage(s, company.base_url or "")
            self._audit(s, "ksef.outage.ended", company_id=company.id)
        return self.availability(company_id)

    def outbox(self) -> OutboxStats:
        """Outbox entries by state, all companies (the installation's operator)."""
        require_system(self.actor)
        with self._tx() as s:
            return OutboxStats(repo.outbox_counts(s))
