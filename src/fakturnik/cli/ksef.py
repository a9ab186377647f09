"""``fakturnik ksef ...`` commands.

Credentials come only from the environment or from files, never from the command line, and are
never printed: ``FAKTURNIK_KSEF_TOKEN`` / ``_TOKEN_FILE``, ``FAKTURNIK_KSEF_PKCS12`` (+ ``_PKCS12_PASSWORD``
/ ``_PKCS12_PASSWORD_FILE``), ``FAKTURNIK_KSEF_CERT`` + ``FAKTURNIK_KSEF_KEY`` (+ ``_KEY_PASSWORD[_FILE]``),
or a session file written by ``fakturnik ksef auth --signed FILE --save-session FILE`` (0600,
sealed with the vault's master key: tokens never rest in clear).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Protocol, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from fakturnik.base.files import read_bounded
from fakturnik.cli.session_file import load_session, save_session
from fakturnik.cli.visual import upo_pdf
from fakturnik.errors import KsefError
from fakturnik.ksef import models as m
from fakturnik.ksef.auth import (
    AuthManager,
    CertificateAuthenticator,
    KsefTokenAuthenticator,
    finish_with_signed_request,
    parse_time,
    prepare_signed_request,
)
from fakturnik.ksef.batch import BatchSender, Compression
from fakturnik.ksef.client import KsefClient, Page
from fakturnik.ksef.context import ContextIdentifier
from fakturnik.ksef.credentials import (
    CertificateCredential,
    KsefTokenCredential,
    credential_from_env,
    read_password,
    save_pkcs12,
)
from fakturnik.ksef.enrollment import enroll_certificate
from fakturnik.ksef.environments import resolve
from fakturnik.ksef.exports import Exporter, SubjectType
from fakturnik.ksef.sessions import Poller, send_all, wait_for_session
from fakturnik.ksef.transport import Transport

app = typer.Typer(no_args_is_help=True)
permissions_app = typer.Typer(no_args_is_help=True, help="Uprawnienia w bieżącym kontekście.")
tokens_app = typer.Typer(no_args_is_help=True, help="Tokeny KSeF.")
certificates_app = typer.Typer(no_args_is_help=True, help="Certyfikaty KSeF.")
app.add_typer(permissions_app, name="permissions")
app.add_typer(tokens_app, name="tokens")
app.add_typer(certificates_app, name="certificates")
app.command("upo-pdf", help="UPO (XML v4-3) jako czytelny PDF.")(upo_pdf)

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

ENV_HELP = "Środowisko: test, demo, prod albo adres API (np. symulatora)."
Permissions = Annotated[list[str], typer.Option("--permission", "-p", help="np. InvoiceRead, InvoiceWrite.")]
SYNC_CHECKPOINT = ".fakturnik-sync.json"


@dataclass
class Options:
    env: str
    context: str | None
    session_file: Path | None
    subject_type: str


def _opts(ctx: typer.Context) -> Options:
    obj: Options = ctx.obj
    return obj


@app.callback()
def main(
    ctx: typer.Context,
    env: Annotated[str, typer.Option("--env", envvar="FAKTURNIK_KSEF_ENV", help=ENV_HELP)] = "test",
    context: Annotated[
        str | None,
        typer.Option(
            "--context", "--nip", envvar="FAKTURNIK_KSEF_CONTEXT", help="Kontekst: NIP lub Typ:wartość."
        ),
    ] = None,
    session_file: Annotated[
        Path | None,
        typer.Option("--session-file", envvar="FAKTURNIK_KSEF_SESSION_FILE", help="Plik sesji (0600)."),
    ] = None,
    subject_type: Annotated[
        str, typer.Option(help="certificateSubject albo certificateFingerprint (logowanie certyfikatem).")
    ] = "certificateSubject",
) -> None:
    """Rozmowa z KSeF: uwierzytelnienie, wysyłka, statusy, UPO, pobieranie, synchronizacja."""
    ctx.obj = Options(env, context, session_file, subject_type)


# --- plumbing --------------------------------------------------------------------------------------


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]Błąd:[/red] {message}")
    return typer.Exit(1)


def _context(opts: Options) -> ContextIdentifier:
    if not opts.context:
        raise _fail("podaj kontekst: --nip NIP (albo FAKTURNIK_KSEF_CONTEXT)")
    return ContextIdentifier.parse(opts.context)


def _authenticator(
    opts: Options,
) -> KsefTokenAuthenticator | CertificateAuthenticator | None:
    credential = credential_from_env()
    if isinstance(credential, KsefTokenCredential):
        return KsefTokenAuthenticator(credential, None)
    if isinstance(credential, CertificateCredential):
        return CertificateAuthenticator(credential, opts.subject_type, None, None)  # type: ignore[arg-type]
    return None


def _manager(opts: Options) -> AuthManager:
    transport = Transport(resolve(opts.env))
    context = _context(opts)
    authenticator = _authenticator(opts)
    tokens = load_session(opts.session_file) if opts.session_file and opts.session_file.exists() else None
    if authenticator is None and tokens is None:
        raise _fail(
            "brak danych uwierzytelniających: ustaw FAKTURNIK_KSEF_TOKEN(_FILE), FAKTURNIK_KSEF_PKCS12 "
            "albo FAKTURNIK_KSEF_CERT i FAKTURNIK_KSEF_KEY, albo podaj --session-file"
        )
    return AuthManager(transport, context, authenticator, tokens=tokens)


def _client(opts: Options) -> KsefClient:
    return KsefClient(_manager(opts).api)


class _Paged(Protocol):
    @property
    def hasMore(self) -> bool | None: ...


P = TypeVar("P", bound=_Paged)


def _pages(fetch: Callable[[int], P]) -> Iterator[P]:
    """Every page of a paged KSeF listing, from page 0 until ``hasMore`` is false."""
    page = 0
    while True:
        result = fetch(page)
        yield result
        if not result.hasMore:
            return
        page += 1


def _run(action: Any) -> Any:
    """Run one KSeF action; its errors end the command through ``fakturnik.cli.failures`` (docs/cli.md)."""
    return action()


def _print_json(model: Any) -> None:
    if isinstance(model, list):
        out.print_json(json.dumps([m.dump(x) for x in model], ensure_ascii=False))
    else:
        out.print_json(json.dumps(m.dump(model), ensure_ascii=False))


# --- auth ------------------------------------------------------------------------------------------


@app.command()
def auth(
    ctx: typer.Context,
    write_unsigned: Annotated[
        Path | None, typer.Option(help="Zapisz niepodpisany AuthTokenRequest do podpisu (ważny 10 min).")
    ] = None,
    signed: Annotated[Path | None, typer.Option(help="Dokończ logowanie podpisanym plikiem XML.")] = None,
    save_session_to: Annotated[
        Path | None,
        typer.Option(
            "--save-session", help="Zapisz sesję (tokeny zaszyfrowane kluczem głównym) do pliku 0600."
        ),
    ] = None,
) -> None:
    """Uwierzytelnij się w KSeF (token, certyfikat albo pierwsze logowanie podpisanym plikiem)."""
    opts = _opts(ctx)
    if write_unsigned:
        transport = Transport(resolve(opts.env))
        xml = _run(lambda: prepare_signed_request(transport, _context(opts), opts.subject_type))  # type: ignore[arg-type]
        write_unsigned.write_bytes(xml)
        out.print(f"Zapisano {write_unsigned}. Podpisz plik podpisem kwalifikowanym lub Profilem Zaufanym")
        out.print("(XAdES, otoczony) w ciągu 10 minut, potem: fakturnik ksef auth --signed PODPISANY.xml")
        return
    if signed:
        transport = Transport(resolve(opts.env))
        manager = _run(lambda: finish_with_signed_request(transport, signed.read_bytes()))
    else:
        manager = _manager(opts)
        _run(manager.login)
    tokens = manager.tokens
    assert tokens is not None
    if save_session_to:
        save_session(save_session_to, tokens)
        out.print(f"Sesję zapisano w {save_session_to} (uprawnienia 0600).")
    out.print(f"Uwierzytelniono w kontekście {manager.context.key}: {tokens.reference_number}")
    out.print(f"Token dostępowy ważny do {tokens.access.valid_until.isoformat()}")


# --- sending ---------------------------------------------------------------------------------------


def _read_invoices(files: list[Path]) -> list[tuple[str, bytes]]:
    names = [f.name for f in files]
    if len(set(names)) != len(names):
        raise _fail("nazwy plików faktur muszą być różne")
    return [(f.name, read_bounded(f)) for f in files]


@app.command()
def send(
    ctx: typer.Context,
    files: Annotated[list[Path] | None, typer.Argument(help="Pliki FA(3) XML.")] = None,
    batch: Annotated[bool, typer.Option("--batch", help="Wyślij wsadowo (paczka ZIP/TarGz).")] = False,
    workdir: Annotated[Path | None, typer.Option(help="Katalog stanu wysyłki wsadowej.")] = None,
    resume: Annotated[Path | None, typer.Option(help="Wznów przerwaną wysyłkę wsadową z katalogu.")] = None,
    compression: Annotated[str, typer.Option(help="Zip albo TarGz.")] = "Zip",
    offline: Annotated[bool, typer.Option(help="Faktury wystawione w trybie offline.")] = False,
) -> None:
    """Wyślij faktury: sesja interaktywna (domyślnie) albo wsadowa (--batch)."""
    opts = _opts(ctx)
    client = _client(opts)
    if not batch and not resume:
        invoices = _read_invoices(files or [])
        ref, outcomes = _run(lambda: send_all(client, [x for _, x in invoices]))
        final = _run(lambda: wait_for_session(client, ref, Poller(timeout=600)))  # UPO ready when we return
        out.print(f"Sesja {ref}: {final.status.code} {final.status.description}")
        failed = _report(
            [
                (n, o.registered_as, o.status_code, o.description)
                for (n, _), o in zip(invoices, outcomes, strict=True)
            ]
        )
        raise typer.Exit(1 if failed else 0)
    directory = resume or workdir or Path(f"fakturnik-batch-{datetime.now(UTC):%Y%m%dT%H%M%S}")
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    ) as progress:
        tasks: dict[str, Any] = {}
        labels = {
            "encrypt": "Szyfrowanie części",
            "upload": "Wysyłanie części",
            "process": "Przetwarzanie w KSeF",
        }

        def on_progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = progress.add_task(labels.get(phase, phase), total=total)
            progress.update(tasks[phase], completed=done, total=total)

        sender = BatchSender(client, directory, progress=on_progress)
        if resume:
            result = _run(sender.resume)
        else:
            invoices = _read_invoices(files or [])
            if compression not in ("Zip", "TarGz"):
                raise _fail("--compression: Zip albo TarGz")
            kind: Compression = "Zip" if compression == "Zip" else "TarGz"
            result = _run(lambda: sender.send(invoices, compression=kind, offline_mode=offline))
    out.print(
        f"Sesja wsadowa {result.session_reference_number}: {result.status_code} {result.status_description}"
    )
    rows = []
    for name in sorted(result.outcomes):
        o = result.outcomes[name]
        rows.append((name, o.registered_as, o.status_code, o.description))
    rows += [(n, None, 0, "brak wyniku") for n in result.not_registered if n not in result.outcomes]
    failed = _report(rows)
    raise typer.Exit(1 if failed else 0)


def _report(rows: list[tuple[str, str | None, int, str]]) -> int:
    failed = 0
    for name, number, code, description in rows:
        if number and code == 200:
            out.print(f"{name}\t{number}")
        elif number and code == 440:  # proven a resend of this very file (same SHA-256)
            out.print(f"{name}\t{number}\t(już zarejestrowana)")
        else:
            failed += 1
            out.print(f"{name}\tBŁĄD {code}: {description}")
    return failed


@app.command()
def status(
    ctx: typer.Context,
    session: Annotated[str, typer.Argument(help="Numer referencyjny sesji.")],
    invoice: Annotated[str | None, typer.Argument(help="Numer referencyjny faktury.")] = None,
) -> None:
    """Status sesji albo faktury w sesji."""
    client = _client(_opts(ctx))
    if invoice:
        _print_json(_run(lambda: client.session_invoice_status(session, invoice)))
    else:
        _print_json(_run(lambda: client.session_status(session)))


@app.command()
def upo(
    ctx: typer.Context,
    session: Annotated[str, typer.Argument(help="Numer referencyjny sesji.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Plik (lub katalog dla UPO sesji).")],
    invoice: Annotated[str | None, typer.Option(help="Numer referencyjny faktury.")] = None,
    ksef_number: Annotated[str | None, typer.Option(help="Numer KSeF faktury.")] = None,
) -> None:
    """Pobierz UPO faktury (--invoice / --ksef-number) albo wszystkie strony UPO sesji."""
    client = _client(_opts(ctx))
    if invoice or ksef_number:
        doc = _run(
            lambda: (
                client.invoice_upo(session, invoice)
                if invoice
                else client.invoice_upo_by_ksef_number(session, ksef_number or "")
            )
        )
        output.write_bytes(doc.content)
        out.print(f"Zapisano {output}")
        return
    status_ = _run(lambda: client.session_status(session))
    output.mkdir(parents=True, exist_ok=True)
    for page in status_.upo.pages if status_.upo else []:
        doc = _run(lambda p=page: client.session_upo(session, p.referenceNumber))
        target = output / f"{page.referenceNumber}.xml"
        target.write_bytes(doc.content)
        out.print(f"Zapisano {target}")


@app.command()
def download(
    ctx: typer.Context,
    ksef_numbers: Annotated[list[str], typer.Argument(help="Numery KSeF.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Katalog docelowy.")] = Path(),
) -> None:
    """Pobierz faktury po numerach KSeF."""
    client = _client(_opts(ctx))
    output.mkdir(parents=True, exist_ok=True)
    for number in ksef_numbers:
        doc = _run(lambda n=number: client.download_invoice(n))
        (output / f"{number}.xml").write_bytes(doc.content)
        out.print(f"{number}\t{output / f'{number}.xml'}")


@app.command()
def sync(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="Katalog na faktury (z plikiem punktu kontrolnego).")],
    subject: Annotated[
        str, typer.Option(help="Subject1 (wystawione), Subject2 (otrzymane), Subject3, SubjectAuthorized.")
    ] = "Subject2",
    since: Annotated[
        str | None, typer.Option(help="Początek przy pierwszej synchronizacji (ISO 8601).")
    ] = None,
    max_exports: Annotated[int, typer.Option(help="Najwięcej eksportów w tym uruchomieniu.")] = 4,
) -> None:
    """Pobierz przyrostowo faktury do katalogu (eksporty, reguły HWM, punkt kontrolny)."""
    client = _client(_opts(ctx))
    folder.mkdir(parents=True, exist_ok=True)
    checkpoint_file = folder / SYNC_CHECKPOINT
    checkpoints: dict[str, str] = (
        json.loads(checkpoint_file.read_text(encoding="utf-8")) if checkpoint_file.exists() else {}
    )
    start = checkpoints.get(subject) or since
    checkpoint = parse_time(start) if start else datetime.now(UTC) - timedelta(days=90)
    saved = 0

    def store(package: Any, new_checkpoint: datetime) -> None:
        nonlocal saved
        for row in package.metadata:
            xml = package.invoices.get(row.ksefNumber)
            target = folder / f"{row.ksefNumber}.xml"
            if xml is not None and not target.exists():
                target.write_bytes(xml)
                (folder / f"{row.ksefNumber}.json").write_text(
                    row.model_dump_json(by_alias=True, exclude_none=True), encoding="utf-8"
                )
                saved += 1
        checkpoints[subject] = new_checkpoint.isoformat()
        tmp = checkpoint_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(checkpoints, indent=1), encoding="utf-8")
        tmp.replace(checkpoint_file)

    exporter = Exporter(client)
    subject_type: SubjectType = subject  # type: ignore[assignment]
    result = _run(lambda: exporter.sync(subject_type, checkpoint, max_exports=max_exports, on_package=store))
    out.print(f"Nowych faktur: {saved}; punkt kontrolny {subject}: {result.checkpoint.isoformat()}")


# --- permissions -----------------------------------------------------------------------------------


@permissions_app.command("list")
def permissions_list(ctx: typer.Context) -> None:
    """Uprawnienia nadane w bieżącym kontekście."""
    client = _client(_opts(ctx))
    query = m.PersonPermissionsQueryRequest(queryType="PermissionsGrantedInCurrentContext")
    for result in _pages(lambda page: client.query_person_permissions(query, Page(page, 100))):
        for perm in result.permissions:
            out.print(
                f"{perm.id}\t{perm.authorizedIdentifier.type}:{perm.authorizedIdentifier.value}\t"
                f"{perm.permissionScope}\t{perm.description}"
            )


@permissions_app.command("grant")
def permissions_grant(
    ctx: typer.Context,
    identifier: Annotated[str, typer.Argument(help="Komu: Nip:…, Pesel:… albo Fingerprint:…")],
    permission: Permissions,
    description: Annotated[str, typer.Option(help="Opis (5-256 znaków).")],
    first_name: Annotated[str, typer.Option(help="Imię osoby.")],
    last_name: Annotated[str, typer.Option(help="Nazwisko osoby.")],
) -> None:
    """Nadaj osobie uprawnienia w bieżącym kontekście."""
    kind, _, value = identifier.partition(":")
    if not value:
        raise _fail("podaj identyfikator jako Typ:wartość, np. Pesel:90010112345")
    request = m.PersonPermissionsGrantRequest.model_validate(
        {
            "subjectIdentifier": {"type": kind, "value": value},
            "permissions": permission,
            "description": description,
            "subjectDetails": {
                "subjectDetailsType": "PersonByIdentifier",
                "personById": {"firstName": first_name, "lastName": last_name},
            },
        }
    )
    client = _client(_opts(ctx))
    op = _run(lambda: client.grant_person_permissions(request))
    code = _wait_operation(client, op.referenceNumber)
    out.print(f"Operacja {op.referenceNumber}: {code}")
    raise typer.Exit(0 if code == 200 else 1)


@permissions_app.command("revoke")
def permissions_revoke(
    ctx: typer.Context, permission_id: Annotated[str, typer.Argument(help="Identyfikator uprawnienia.")]
) -> None:
    """Odbierz uprawnienie."""
    client = _client(_opts(ctx))
    op = _run(lambda: client.revoke_common_permission(permission_id))
    code = _wait_operation(client, op.referenceNumber)
    out.print(f"Operacja {op.referenceNumber}: {code}")
    raise typer.Exit(0 if code == 200 else 1)


def _wait_operation(client: KsefClient, ref: str) -> int:
    final = Poller(timeout=120).until(
        lambda: client.permission_operation_status(ref), lambda s: s.status.code != 100, f"operacja {ref}"
    )
    return final.status.code


# --- tokens ----------------------------------------------------------------------------------------


@tokens_app.command("list")
def tokens_list(ctx: typer.Context) -> None:
    """Tokeny KSeF widoczne w bieżącym kontekście."""
    client = _client(_opts(ctx))
    for t in _run(lambda: list(client.iter_tokens(page_size=100))):
        out.print(f"{t.referenceNumber}\t{t.status}\t{','.join(t.requestedPermissions)}\t{t.description}")


@tokens_app.command("create")
def tokens_create(
    ctx: typer.Context,
    permission: Permissions,
    description: Annotated[str, typer.Option(help="Opis tokena (5-256 znaków).")],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Plik na token (0600); token nie jest drukowany.")
    ],
) -> None:
    """Utwórz token KSeF; token trafia tylko do pliku (pokazywany jest raz)."""
    client = _client(_opts(ctx))
    created = _run(
        lambda: client.create_token(m.GenerateTokenRequest(permissions=permission, description=description))  # type: ignore[arg-type]
    )
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(created.token + "\n")
    out.print(f"Token {created.referenceNumber} zapisano w {output} (użyj FAKTURNIK_KSEF_TOKEN_FILE).")


@tokens_app.command("revoke")
def tokens_revoke(ctx: typer.Context, reference: Annotated[str, typer.Argument()]) -> None:
    """Unieważnij token KSeF."""
    client = _client(_opts(ctx))
    _run(lambda: client.revoke_token(reference))
    out.print(f"Token {reference} unieważniony.")


# --- certificates ----------------------------------------------------------------------------------


@certificates_app.command("enroll")
def certificates_enroll(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="Nazwa certyfikatu (5-100 znaków).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Plik PKCS#12 na certyfikat z kluczem.")],
    certificate_type: Annotated[
        str, typer.Option("--type", help="Authentication albo Offline.")
    ] = "Authentication",
    algorithm: Annotated[str, typer.Option(help="ec (P-256) albo rsa (2048).")] = "ec",
    password_env: Annotated[
        str, typer.Option(help="Zmienna z hasłem do PKCS#12.")
    ] = "FAKTURNIK_KSEF_NEW_PKCS12_PASSWORD",  # noqa: S107 - the name of a variable, not a password
    password_file: Annotated[Path | None, typer.Option(help="Plik z hasłem do PKCS#12.")] = None,
) -> None:
    """Wygeneruj klucz i CSR, złóż wniosek, poczekaj, zapisz certyfikat KSeF z kluczem (PKCS#12)."""
    password = read_password(env=password_env, file=password_file)
    if not password:
        raise _fail(f"podaj hasło do pliku PKCS#12 w zmiennej {password_env} albo --password-file")
    if certificate_type not in ("Authentication", "Offline") or algorithm not in ("ec", "rsa"):
        raise _fail("--type: Authentication albo Offline; --algorithm: ec albo rsa")
    client = _client(_opts(ctx))
    enrolled = _run(
        lambda: enroll_certificate(client, name, certificate_type, algorithm=algorithm)  # type: ignore[arg-type]
    )
    serial, credential = enrolled.serial_number, enrolled.credential
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(save_pkcs12(credential, password, name))
    out.print(f"Certyfikat {serial} ({certificate_type}) zapisano w {output}.")


@certificates_app.command("list")
def certificates_list(ctx: typer.Context) -> None:
    """Certyfikaty KSeF uwierzytelnionego podmiotu."""
    client = _client(_opts(ctx))
    query = m.QueryCertificatesRequest()
    for result in _pages(lambda page: client.query_certificates(query, Page(page, 50))):
        for c in result.certificates:
            out.print(f"{c.certificateSerialNumber}\t{c.type}\t{c.status}\t{c.validTo.isoformat()}\t{c.name}")


@certificates_app.command("revoke")
def certificates_revoke(
    ctx: typer.Context,
    serial: Annotated[str, typer.Argument(help="Numer seryjny certyfikatu.")],
    reason: Annotated[str, typer.Option(help="Unspecified, Superseded albo KeyCompromise.")] = "Unspecified",
) -> None:
    """Unieważnij certyfikat KSeF."""
    client = _client(_opts(ctx))
    _run(lambda: client.revoke_certificate(serial, m.RevokeCertificateRequest(revocationReason=reason)))  # type: ignore[arg-type]
    out.print(f"Certyfikat {serial} unieważniony.")


__all__ = ["KsefError", "app", "load_session", "save_session"]


@app.command("spec-diff")
def spec_diff(
    old: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Starszy dokument OpenAPI KSeF.")],
    new: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Nowszy dokument OpenAPI KSeF.")],
) -> None:
    """Pokaż, co zmieniło się między dwoma dokumentami OpenAPI KSeF (operacje, pola, limity, błędy)."""
    from fakturnik.ksef import specdiff

    docs = [json.loads(p.read_text(encoding="utf-8")) for p in (old, new)]
    typer.echo(specdiff.render(specdiff.diff(*docs), old.name, new.name), nl=False)
