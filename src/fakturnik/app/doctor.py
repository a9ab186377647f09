"""The health check of a company's way in to KSeF: every line OK, or what to do (in Polish).

For each company: the KSeF environment answers; the credential logs in (the engine's very path,
``engine.connect.auth_manager``); how long the credential lasts (a KSeF certificate's end as KSeF
reports it, a token's 31.12.2026); the rights the session has in the context; the clock offset
against KSeF (from the ``Date`` header); the schema versions Fakturnik sends and checks against.
The CLI (``fakturnik doctor``), REST (``GET /companies/{id}/doctor``) and the web page show these
same lines. Nothing here changes anything: the login ends with a logout.
"""

from __future__ import annotations

import base64
import contextlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from fakturnik.app.access import Action, company_ids
from fakturnik.app.service import Service
from fakturnik.errors import FakturnikError, KsefAuthError, KsefError
from fakturnik.store import repo
from fakturnik.store.models import Company

Status = Literal["ok", "warn", "error", "skip"]
CLOCK_WARN = timedelta(seconds=5)
CLOCK_ERROR = timedelta(seconds=60)
CERTIFICATE_ERROR = 460  # auth status: KSeF refused the certificate (expired, revoked, untrusted …)
NEEDED_RIGHTS = ("InvoiceWrite", "InvoiceRead")
ENV_LABELS = {"local": "symulator", "test": "testowe", "demo": "przedprodukcyjne", "prod": "produkcyjne"}

__all__ = ["CheckLine", "CompanyHealth", "DoctorService", "clock_line", "expiry_line", "rights_line"]


@dataclass(frozen=True)
class CheckLine:
    """One line of the health check; ``message`` says what is fine or what to do (Polish)."""

    check: str  # environment | login | expiry | offline | rights | clock | schemas
    title: str
    status: Status
    message: str

    @property
    def ok(self) -> bool:
        return self.status != "error"


@dataclass(frozen=True)
class CompanyHealth:
    company_id: int
    nip: str
    name: str
    environment: str
    lines: tuple[CheckLine, ...]

    @property
    def ok(self) -> bool:
        """No line is an error (warnings are things to do soon, not faults)."""
        return all(line.ok for line in self.lines)

    @property
    def warnings(self) -> int:
        return sum(line.status == "warn" for line in self.lines)


# -- pure judgements ------------------------------------------------------------------------------------


def _date(d: datetime) -> str:
    return f"{d:%d.%m.%Y}"


def clock_line(offset: timedelta | None) -> CheckLine:
    title = "Zegar"
    if offset is None:
        return CheckLine("clock", title, "skip", "Nie sprawdzono: KSeF nie odpowiedział.")
    seconds = offset.total_seconds()
    text = f"różnica względem KSeF {seconds:+.0f} s"
    if abs(offset) <= CLOCK_WARN:
        return CheckLine("clock", title, "ok", f"{text.capitalize()}.")
    advice = "ustaw synchronizację czasu (NTP) na tym komputerze."
    if abs(offset) <= CLOCK_ERROR:
        return CheckLine("clock", title, "warn", f"{text.capitalize()}: {advice}")
    return CheckLine(
        "clock",
        title,
        "error",
        f"{text.capitalize()}: KSeF może odrzucać logowanie i znaczniki czasu; {advice}",
    )


def expiry_line(
    kind: str | None,
    *,
    valid_to: datetime | None = None,
    ksef_status: str | None = None,
    margin_days: int = 30,
    auto_renew: bool = True,
    token_days_left: int | None = None,
    now: datetime | None = None,
    certificate_refused: bool = False,
) -> CheckLine:
    """How long the login credential lasts and what to do about it.

    ``certificate_refused``: the login just now ended with KSeF's certificate error (auth status
    460), e.g. a certificate KSeF shortened into the past (its new end date can only be read with a
    working login, so the stored ``valid_to`` may still be the old one)."""
    title = "Ważność danych logowania"
    now = now or datetime.now(UTC)
    if kind is None:
        return CheckLine(
            "expiry",
            title,
            "error",
            "Firma nie ma danych logowania do KSeF: wgraj certyfikat KSeF albo wykonaj pierwsze logowanie "
            "(fakturnik credentials request, potem credentials enroll --signed).",
        )
    if kind == "ksef_token":
        days = token_days_left if token_days_left is not None else 0
        if days < 0:
            return CheckLine(
                "expiry",
                title,
                "error",
                "Tokeny KSeF przestały działać 31.12.2026: przejdź na certyfikat KSeF "
                "(fakturnik credentials request, potem credentials migrate --signed).",
            )
        return CheckLine(
            "expiry",
            title,
            "warn",
            f"Token KSeF działa tylko do 31.12.2026 (zostało {days} dni): przejdź na certyfikat KSeF "
            "(fakturnik credentials migrate).",
        )
    if kind != "certificate":
        return CheckLine(
            "expiry", title, "skip", f"Dane logowania rodzaju {kind}: ważność sprawdza ich właściciel."
        )
    if valid_to is None:
        return CheckLine("expiry", title, "warn", "Nie znam daty ważności certyfikatu.")
    if ksef_status in ("Revoked", "Blocked"):
        what = "unieważniony" if ksef_status == "Revoked" else "zawieszony"
        return CheckLine(
            "expiry",
            title,
            "error",
            f"Certyfikat KSeF jest {what}: wykonaj pierwsze logowanie podpisanym plikiem "
            "(fakturnik credentials request, potem credentials enroll --signed).",
        )
    days = (valid_to - now).days
    if certificate_refused and valid_to > now:
        return CheckLine(
            "expiry",
            title,
            "error",
            f"KSeF nie przyjmuje certyfikatu (nieważny: wygasł albo KSeF skrócił jego ważność), choć "
            f"zapisana data ważności to {_date(valid_to)}: wykonaj pierwsze logowanie podpisanym plikiem "
            "(fakturnik credentials request, potem credentials enroll --signed).",
        )
    if valid_to <= now:
        return CheckLine(
            "expiry",
            title,
            "error",
            f"Certyfikat KSeF wygasł {_date(valid_to)}: wykonaj pierwsze logowanie podpisanym plikiem "
            "(fakturnik credentials request, potem credentials enroll --signed).",
        )
    if days <= margin_days:
        todo = (
            "Fakturnik odnowi go automatycznie przy najbliższym sprawdzeniu "
            "(albo teraz: fakturnik credentials renew)."
            if auto_renew
            else "Odnów go: fakturnik credentials renew."
        )
        return CheckLine(
            "expiry", title, "warn", f"Certyfikat KSeF ważny do {_date(valid_to)} ({days} dni). {todo}"
        )
    return CheckLine(
        "expiry",
        title,
        "ok",
        f"Certyfikat KSeF ważny do {_date(valid_to)} ({days} dni); odnowienie {margin_days} dni przed końcem"
        + (" automatycznie." if auto_renew else " ręcznie (automatyczne wyłączone)."),
    )


UNKNOWN_RIGHTS: list[str] = []  # a login that worked, whose access token does not list its permissions


def rights_line(rights: list[str] | None) -> CheckLine:
    title = "Uprawnienia w KSeF"
    if rights is None:
        return CheckLine("rights", title, "skip", "Nie sprawdzono: logowanie się nie udało.")
    if rights is UNKNOWN_RIGHTS:
        return CheckLine(
            "rights",
            title,
            "skip",
            "KSeF nie podał listy uprawnień sesji; logowanie się udało, więc podmiot ma w tym kontekście "
            "co najmniej jedno uprawnienie. Brak InvoiceWrite pokaże się przy wysyłce z wyjaśnieniem.",
        )
    have = ", ".join(sorted(rights)) or "brak"
    if "InvoiceWrite" not in rights and "Owner" not in rights:
        return CheckLine(
            "rights",
            title,
            "error",
            f"Sesja ma: {have}. Brak InvoiceWrite: właściciel firmy musi nadać to uprawnienie "
            "(w Fakturniku: Uprawnienia), inaczej faktury czekają w kolejce.",
        )
    if "InvoiceRead" not in rights and "Owner" not in rights:
        return CheckLine(
            "rights",
            title,
            "warn",
            f"Sesja ma: {have}. Brak InvoiceRead: faktury otrzymane nie będą pobierane.",
        )
    return CheckLine("rights", title, "ok", f"Sesja ma: {have}.")


def _jwt_permissions(token: str) -> list[str] | None:
    """The permissions claim of a KSeF access token (read, not verified: KSeF checks it, not we)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None
    for key in ("permissions", "per", "Permissions"):
        value = claims.get(key) if isinstance(claims, dict) else None
        if isinstance(value, list):
            return [str(v) for v in value]
        if isinstance(value, str):
            return [value]
    return None


# -- the service --------------------------------------------------------------------------------------


class DoctorService(Service):
    timeout: float = 10.0

    def check_all(self) -> list[CompanyHealth]:
        """Every company the actor may see."""
        with self._tx() as s:
            ids = company_ids(s, self.actor)
        return [self.check(cid) for cid in ids]

    def check(self, company_id: int) -> CompanyHealth:
        from fakturnik.ksef.environments import resolve

        with self._tx() as s:
            company = self._company(s, company_id, Action.COMPANY_VIEW)
            s.expunge(company)
            cred = repo.active_credential(s, company.id)
            kind = cred.kind if cred is not None else None
        try:
            env = resolve(company.base_url or company.environment)
        except KsefError as exc:
            line = CheckLine("environment", "Środowisko KSeF", "error", f"{exc} Popraw środowisko firmy.")
            return CompanyHealth(company.id, company.nip, company.name, company.environment, (line,))
        lines: list[CheckLine] = []
        env_line, offset = self._environment(env)
        lines.append(env_line)
        rights: list[str] | None = None
        refused = False
        if env_line.status == "error":
            lines.append(CheckLine("login", "Logowanie", "skip", "Nie sprawdzono: KSeF nie odpowiada."))
        else:
            login_line, rights, refused = self._login(company, kind)
            lines.append(login_line)
        lines.append(self._expiry(company, kind, refused))
        lines.append(self._offline(company))
        lines.append(
            rights_line(rights)
            if env_line.status != "error"
            else CheckLine("rights", "Uprawnienia w KSeF", "skip", "Nie sprawdzono: KSeF nie odpowiada.")
        )
        lines.append(clock_line(offset))
        lines.append(self._schemas())
        return CompanyHealth(company.id, company.nip, company.name, env.name, tuple(lines))

    # -- the checks ---------------------------------------------------------------------------------

    def _environment(self, env: Any) -> tuple[CheckLine, timedelta | None]:
        import httpx

        from fakturnik.ksef.auth import clock_skew

        title = "Środowisko KSeF"
        label = ENV_LABELS.get(env.name, env.name)
        url = env.api_url + "/security/public-key-certificates"
        started = time.perf_counter()
        try:
            r = httpx.get(url, timeout=self.timeout)
        except httpx.HTTPError as exc:
            return (
                CheckLine(
                    "environment",
                    title,
                    "error",
                    f"KSeF ({label}, {env.api_url}) nie odpowiada: {type(exc).__name__}. Sprawdź połączenie "
                    "z internetem, zaporę i adres środowiska; faktury czekają w kolejce.",
                ),
                None,
            )
        ms = (time.perf_counter() - started) * 1000
        if r.status_code != 200:
            return (
                CheckLine(
                    "environment",
                    title,
                    "error",
                    f"KSeF ({label}) odpowiada błędem HTTP {r.status_code}: sprawdź stronę dostępności KSeF "
                    "Ministerstwa Finansów; faktury czekają w kolejce.",
                ),
                clock_skew(r) if r.headers.get("date") else None,
            )
        return (
            CheckLine("environment", title, "ok", f"KSeF ({label}) odpowiada ({ms:.0f} ms)."),
            clock_skew(r) if r.headers.get("date") else None,
        )

    def _login(self, company: Company, kind: str | None) -> tuple[CheckLine, list[str] | None, bool]:
        """The login line, the session's rights, and whether KSeF refused the certificate (460)."""
        from fakturnik.engine.connect import auth_manager
        from fakturnik.ksef.environments import resolve
        from fakturnik.ksef.transport import Transport

        title = "Logowanie"
        if kind is None:
            return CheckLine("login", title, "error", "Brak danych logowania do KSeF."), None, False
        what = {"ksef_token": "tokenem KSeF", "certificate": "certyfikatem KSeF"}.get(kind, kind)
        transport = Transport(
            resolve(company.base_url or company.environment), timeout=self.timeout, max_retries=1
        )
        try:
            manager = auth_manager(self.ctx, company, transport)
            tokens = manager.login()
            rights = _jwt_permissions(tokens.access.token)
            with contextlib.suppress(KsefError):
                manager.logout()
        except FakturnikError as exc:
            return (
                CheckLine(
                    "login",
                    title,
                    "error",
                    f"Logowanie {what} nie udało się: {exc} Wgraj działający certyfikat KSeF albo wykonaj "
                    "pierwsze logowanie podpisanym plikiem (fakturnik credentials request).",
                ),
                None,
                isinstance(exc, KsefAuthError) and exc.status_code == CERTIFICATE_ERROR,
            )
        finally:
            transport.close()
        return (
            CheckLine("login", title, "ok", f"Logowanie {what} udane."),
            rights if rights is not None else UNKNOWN_RIGHTS,
            False,
        )

    def _expiry(self, company: Company, kind: str | None, refused: bool = False) -> CheckLine:
        from fakturnik.app.ksef_credentials import days_left

        if kind != "certificate":
            return expiry_line(kind, token_days_left=days_left())
        services = self.app.acting_as(self.actor)
        policy = services.certificates.policy(company.id)
        active = [
            c
            for c in services.certificates.list(company.id)
            if c.active and c.certificate_type == "Authentication"
        ]
        if not active:
            return expiry_line(kind)
        cert = active[0]
        return expiry_line(
            kind,
            valid_to=cert.valid_to,
            ksef_status=cert.ksef_status,
            margin_days=policy.margin_days,
            auto_renew=policy.auto_renew,
            certificate_refused=refused,
        )

    def _offline(self, company: Company) -> CheckLine:
        title = "Certyfikat Offline (KOD II)"
        services = self.app.acting_as(self.actor)
        active = [
            c for c in services.certificates.list(company.id) if c.active and c.certificate_type == "Offline"
        ]
        if not active:
            return CheckLine(
                "offline",
                title,
                "warn",
                "Brak certyfikatu Offline: faktur w trybie offline nie da się opatrzyć kodem KOD II. "
                "Wystaw go: fakturnik credentials enroll --type offline.",
            )
        cert = active[0]
        if cert.status != "Active":
            return CheckLine(
                "offline",
                title,
                "error",
                f"Certyfikat Offline {cert.serial} jest {cert.status_label}: wystaw nowy "
                "(fakturnik credentials enroll --type offline).",
            )
        return CheckLine("offline", title, "ok", f"Certyfikat Offline ważny do {_date(cert.valid_to)}.")

    def _schemas(self) -> CheckLine:
        from fakturnik.fa3.schemas import load_auth_schema, load_schema, load_upo_schema
        from fakturnik.ksef.sessions import FA3

        title = "Schematy"
        used = f"{FA3.systemCode} {FA3.schemaVersion}, AuthTokenRequest 2.0, UPO 4-3"
        try:
            load_schema("FA (3)")
            load_auth_schema("2.0")
            load_upo_schema("4-3")
        except FakturnikError as exc:
            return CheckLine(
                "schemas",
                title,
                "error",
                f"W użyciu: {used}; brak schematu: {exc} Zainstaluj je: fakturnik schemas install.",
            )
        return CheckLine("schemas", title, "ok", f"W użyciu: {used} (pliki XSD sprawdzone z sumami SHA-256).")
