"""The edge that downloads the official XSDs over HTTP (``fa3`` itself never touches the network).

``fakturnik schemas install`` calls :func:`install`; the CLI hands :func:`http_fetch` to the default
schema store (``fa3.schemas.use_fetcher``) so that a missing file is downloaded once into the cache.
Every downloaded file is checked against its pinned SHA-256 by the store before it is kept.
"""

from __future__ import annotations

from pathlib import Path

from fakturnik.errors import SchemaStoreError
from fakturnik.fa3.schemas import SchemaStore, default_cache_dir

__all__ = ["downloading_store", "http_fetch", "install"]


def http_fetch(url: str) -> bytes:
    """The bytes at ``url`` (redirects followed, 30 s timeout); any HTTP failure is a ``SchemaStoreError``."""
    import httpx

    try:
        response = httpx.get(url, timeout=30.0, follow_redirects=True)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise SchemaStoreError(f"Nie udało się pobrać schematu {url}: {exc}") from exc
    return response.content


def downloading_store(
    *, schema_dir: Path | None = None, cache_dir: Path | None = None, mirror: str | None = None
) -> SchemaStore:
    """A schema store that downloads missing files (from ``mirror`` or the Ministry's addresses)."""
    return SchemaStore(
        schema_dir=schema_dir, cache_dir=cache_dir or default_cache_dir(), fetch=http_fetch, mirror=mirror
    )


def install(
    source: Path | None = None, *, cache_dir: Path | None = None, mirror: str | None = None
) -> tuple[Path, list[Path]]:
    """Fill the schema cache from ``source`` (offline) or by downloading; returns (cache dir, files)."""
    store = downloading_store(cache_dir=cache_dir, mirror=mirror)
    return store.cache_dir, store.install(source)
