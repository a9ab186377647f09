"""``fakturnik serve`` (Typer). Settings: file < environment < flags; see ``fakturnik serve --help``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fakturnik.cli.options import DataDir, DbUrl
from fakturnik.web.settings import env_var

# What `serve` is about, for readers of this module (the command's one-line help is in cli/main.py's table,
# each option's help names its environment variable)
_ABOUT = """Serwer Fakturnika: REST API (/api/v1, dokumentacja /api/v1/docs) i aplikacja w przeglądarce.

Domyślnie wszystko w jednym procesie: baza SQLite w katalogu danych, silnik wysyłki i webhooki w tle;
--env local uruchamia też wbudowany symulator KSeF. Na większą skalę: --database-url do PostgreSQL,
--no-worker i osobne procesy 'fakturnik worker', kilka procesów 'serve' za dowolnym proxy.

Ustawienia: plik TOML (--config albo FAKTURNIK_SERVE_CONFIG; klucze jak nazwy opcji z podkreśleniami,
np. max_body_bytes = 2097152, opcjonalnie w tabeli 'serve') < zmienne środowiskowe FAKTURNIK_SERVE_<NAZWA>
(np. FAKTURNIK_SERVE_PORT=8080; katalog danych i baza: FAKTURNIK_DATA_DIR, FAKTURNIK_DATABASE_URL) < opcje."""


def serve(
    host: Annotated[
        str | None, typer.Option(envvar=env_var("host"), help="Adres nasłuchu (domyślnie 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(envvar=env_var("port"), help="Port TCP (domyślnie 8000).")
    ] = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
    env: Annotated[
        str | None,
        typer.Option(
            "--env", envvar=env_var("env"), help="'local': wbudowany symulator KSeF dla nowych firm."
        ),
    ] = None,
    worker: Annotated[
        bool | None,
        typer.Option("--worker/--no-worker", envvar=env_var("worker"), help="Silnik wysyłki w tym procesie."),
    ] = None,
    webhooks: Annotated[
        bool | None,
        typer.Option(
            "--webhooks/--no-webhooks",
            envvar=env_var("webhooks"),
            help="Dostarczanie webhooków w tym procesie.",
        ),
    ] = None,
    workers: Annotated[int, typer.Option(help="Liczba procesów serwera HTTP (PostgreSQL).")] = 1,
    max_body_bytes: Annotated[
        int | None,
        typer.Option(envvar=env_var("max_body_bytes"), help="Największa treść żądania (bajty)."),
    ] = None,
    max_bulk_body_bytes: Annotated[
        int | None,
        typer.Option(
            envvar=env_var("max_bulk_body_bytes"), help="Największa treść żądania zbiorczego (bajty)."
        ),
    ] = None,
    secure_cookies: Annotated[
        bool | None,
        typer.Option(
            "--secure-cookies/--no-secure-cookies",
            envvar=env_var("secure_cookies"),
            help="Ciasteczka tylko przez HTTPS.",
        ),
    ] = None,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            envvar=env_var("forwarded_allow_ips"),
            help="Zaufane proxy dla X-Forwarded-For/-Proto (lista albo '*').",
        ),
    ] = None,
    whitelist_url: Annotated[
        str | None, typer.Option(envvar=env_var("whitelist_url"), help="Adres API białej listy VAT.")
    ] = None,
    log_level: Annotated[
        str | None,
        typer.Option(envvar=env_var("log_level"), help="Poziom logów: debug, info, warning."),
    ] = None,
    fast: Annotated[bool | None, typer.Option(hidden=True, help="Krótkie czasy silnika (testy).")] = None,
    demo: Annotated[
        bool | None,
        typer.Option(
            "--demo/--no-demo",
            envvar=env_var("demo"),
            help="Przykładowa firma i użytkownik na starcie (z --env local).",
        ),
    ] = None,
    webhooks_allow_private_targets: Annotated[
        bool | None,
        typer.Option(
            "--webhooks-allow-private-targets/--no-webhooks-allow-private-targets",
            envvar=env_var("webhooks_allow_private_targets"),
            help="Webhooki także do sieci lokalnej/prywatnej i przez http:// (instalacje wewnętrzne).",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            envvar=env_var("config"),
            help="Plik ustawień TOML (klucze jak opcje, z podkreśleniami; tabela 'serve' opcjonalna). "
            "Kolejność: plik < zmienne środowiskowe FAKTURNIK_SERVE_* < opcje.",
        ),
    ] = None,
) -> None:
    from fakturnik.web.server import run
    from fakturnik.web.settings import SettingsError, load_settings

    flags = {
        "host": host,
        "port": port,
        "data_dir": data_dir,
        "database_url": database_url,
        "env": env,
        "worker": worker,
        "webhooks": webhooks,
        "max_body_bytes": max_body_bytes,
        "max_bulk_body_bytes": max_bulk_body_bytes,
        "secure_cookies": secure_cookies,
        "forwarded_allow_ips": forwarded_allow_ips,
        "whitelist_url": whitelist_url,
        "log_level": log_level,
        "fast": fast,
        "demo": demo,
        "webhooks_allow_private_targets": webhooks_allow_private_targets,
    }
    try:
        settings = load_settings(flags, config_file=config)
    except SettingsError as exc:
        typer.secho(f"Błąd: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    if workers > 1 and settings.env == "local":
        typer.secho("Błąd: --env local działa z jednym procesem (--workers 1)", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    run(settings, workers=workers)
