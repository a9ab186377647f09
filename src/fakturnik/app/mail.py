"""E-mail of an invoice to its buyer, through the company's own SMTP server.

Settings per company (table ``company_mail_settings``, migration ``0005_web``; the password in the
vault). The message carries the invoice's PDF when the visual layer is installed, else its FA(3)
XML, and its KSeF number in the text. Configuring needs ``company.admin``, sending ``invoices.write``.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

from fakturnik.app.access import Action
from fakturnik.app.projection import project
from fakturnik.app.service import Service
from fakturnik.errors import FakturnikError, InputError, NotFoundError, Problem
from fakturnik.store.web_models import CompanyMailSettings
from fakturnik.vault import Secret

__all__ = ["MailError", "MailService", "MailSettingsView", "SentMail"]

SECURITY = ("starttls", "ssl", "none")
_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")
_HOST = re.compile(r"^[A-Za-z0-9.-]{1,253}$")


class MailError(FakturnikError):
    """The SMTP server refused or did not answer; the message is Polish."""

    code = "mail_failed"


@dataclass(frozen=True)
class MailSettingsView:
    company_id: int
    host: str
    port: int
    security: str
    username: str
    has_password: bool
    sender: str


@dataclass(frozen=True)
class SentMail:
    to: str
    message_id: str
    attachment: str  # file name attached


def _secret_name(company_id: int) -> str:
    return f"smtp-password:{company_id}"


def _view(row: CompanyMailSettings) -> MailSettingsView:
    return project(MailSettingsView, row, has_password=row.password_secret is not None)


class MailService(Service):
    def settings(self, company_id: int) -> MailSettingsView | None:
        with self._tx() as s:
            company = self._company(s, company_id, Action.COMPANY_VIEW)
            row = s.get(CompanyMailSettings, company.id)
            return _view(row) if row is not None else None

    def configure(
        self,
        company_id: int,
        *,
        host: str,
        port: int,
        security: str,
        sender: str,
        username: str = "",
        password: str | None = None,
    ) -> MailSettingsView:
        """Store the SMTP settings; ``password=None`` keeps the stored one, ``""`` removes it."""
        problems = []
        if not _HOST.match(host):
            problems.append(Problem("host", "Podaj nazwę serwera SMTP, np. smtp.firma.pl.", "invalid"))
        if not 1 <= port <= 65535:
            problems.append(Problem("port", "Port to liczba od 1 do 65535.", "invalid"))
        if security not in SECURITY:
            problems.append(Problem("security", "Wybierz szyfrowanie z listy.", "invalid"))
        if not _EMAIL.match(sender) or len(sender) > 320:
            problems.append(Problem("sender", "Podaj poprawny adres nadawcy.", "invalid"))
        if len(username) > 255:
            problems.append(Problem("username", "Za długi login.", "invalid"))
        if problems:
            raise InputError(problems)
        with self._tx() as s:
            company = self._company(s, company_id, Action.COMPANY_ADMIN)
            row = s.get(CompanyMailSettings, company.id)
            if row is None:
                row = CompanyMailSettings(
                    company_id=company.id, host=host, port=port, security=security, sender=sender
                )
                s.add(row)
            row.host, row.port, row.security, row.sender, row.username = (
                host,
                port,
                security,
                sender,
                username,
            )
            if password:
                self.ctx.vault.put(_secret_name(company.id), company.nip, Secret(password, "smtp"))
                row.password_secret = _secret_name(company.id)
            elif password == "":
                self.ctx.vault.delete(_secret_name(company.id))
                row.password_secret = None
            s.flush()
            self._audit(s, "mail.configure", company_id=company.id, detail={"host": host, "port": port})
            return _view(row)

    def send_invoice(self, company_id: int, invoice_id: int, to: str, *, note: str = "") -> SentMail:
        """Send the invoice (PDF, else XML) to ``to``."""
        to = to.strip()
        if not _EMAIL.match(to) or len(to) > 320:
            raise InputError([Problem("to", "Podaj poprawny adres e-mail odbiorcy.", "invalid")])
        invoices = self.app.acting_as(self.actor).invoices
        invoice = invoices.get(company_id, invoice_id)
        with self._tx() as s:
            company = self._company(s, company_id, Action.INVOICES_WRITE)
            row = s.get(CompanyMailSettings, company.id)
            if row is None:
                raise NotFoundError("firma nie ma ustawień poczty (Ustawienia → Poczta)")
            settings = _view(row)
            password = self.ctx.vault.get(row.password_secret) if row.password_secret else None
            company_name = company.name
        attachment, data, subtype = _attachment(self.app, self.actor, company_id, invoice)
        message = EmailMessage()
        message["Subject"] = f"Faktura {invoice.number} od {company_name}"
        message["From"] = formataddr((company_name, settings.sender))
        message["To"] = to
        message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
        lines = [
            "Dzień dobry,",
            "",
            f"w załączniku przesyłamy fakturę {invoice.number}.",
        ]
        if invoice.ksef_number:
            lines.append(f"Numer KSeF: {invoice.ksef_number}")
        if note.strip():
            lines += ["", note.strip()[:2000]]
        lines += ["", "Pozdrawiamy,", company_name]
        message.set_content("\n".join(lines))
        message.add_attachment(data, maintype="application", subtype=subtype, filename=attachment)
        _deliver(settings, password, message)
        with self._tx() as s:
            self._audit(s, "invoice.mailed", company_id=company_id, invoice_id=invoice_id, detail={"to": to})
        return SentMail(to=to, message_id=str(message["Message-ID"]), attachment=attachment)


def _attachment(app: Any, actor: Any, company_id: int, invoice: Any) -> tuple[str, bytes, str]:
    """The invoice's PDF (codes as its state requires), or its FA(3) file without the visual extra."""
    import importlib.util

    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", invoice.number) or str(invoice.id)
    invoices = app.acting_as(actor).invoices
    if importlib.util.find_spec("reportlab") is None:
        return f"{safe}.xml", invoices.xml(company_id, invoice.id), "xml"
    return f"{safe}.pdf", bytes(invoices.pdf(company_id, invoice.id)), "pdf"


def _deliver(settings: MailSettingsView, password: Secret | None, message: EmailMessage) -> None:
    try:
        if settings.security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=20,
                                                 context=ssl.create_default_context())  # fmt: skip
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=20)
        with smtp:
            if settings.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if settings.username and password is not None:
                smtp.login(settings.username, password.reveal_text())
            smtp.send_message(message)
    except smtplib.SMTPAuthenticationError:
        raise MailError("Serwer poczty odrzucił login lub hasło (Ustawienia → Poczta).") from None
    except smtplib.SMTPRecipientsRefused:
        raise MailError("Serwer poczty odrzucił adres odbiorcy.") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(
            f"Nie udało się wysłać wiadomości: serwer poczty nie odpowiada ({type(exc).__name__})."
        ) from None
