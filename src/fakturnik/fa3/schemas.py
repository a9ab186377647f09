"""The schema store: the official XSDs, located, verified against pinned SHA-256, compiled once.

Where a schema file comes from, in order:

1. ``FAKTURNIK_SCHEMA_DIR`` — a directory laid out like the Ministry's ``faktury/schemy`` folder
   (``FA/schemat_FA(3)_v1-0E.xsd``, ``FA/bazowe/*.xsd``, ``RR/...``); the auth and UPO schemas are
   looked up beside it the way the official documentation repository lays them out
   (``../../auth/schemy``, ``../upo/schemy``) or inside it (``auth/``, ``upo/``);
2. the per-user cache (``$XDG_CACHE_HOME/fakturnik/schemas`` or ``~/.cache/fakturnik/schemas``,
   overridable with ``FAKTURNIK_SCHEMA_CACHE``), filled by ``fakturnik schemas install``;
3. a download from the Ministry's published address into the cache — only when a fetcher is given:
   ``fa3`` does no HTTP itself. ``fakturnik.schema_download`` is the edge module that fetches over
   HTTP (``fakturnik schemas install`` uses it, and the CLI hands it to the default store with
   :func:`use_fetcher`).

Every file is checked against its pinned SHA-256 wherever it comes from. The FA XSDs import
``StrukturyDanych_v10-0E.xsd`` by its remote ``http://crd.gov.pl/...`` address: an lxml resolver
maps every known schema file name to the verified local bytes and refuses anything else, so
compiling and validating never touch the network.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from fakturnik.errors import SchemaStoreError

_CRD_TYPES = "https://crd.gov.pl/xml/schematy/dziedzinowe/mf/2022/01/05/eD/DefinicjeTypy/"
_KSEF_DOCS = "https://raw.githubusercontent.com/CIRFMF/ksef-docs/main/"

# Alternative digests: bytes of the same official file as served by crd.gov.pl, reported by an
# independent project that pins them (whitespace-formatted differently from the copies in the
# official documentation repository). Accepting either keeps downloads working.
_CRD_STRUKTURY_ALT = "1137ce6e3c11c2b9ef3f05e4e72d6dcd6b4fa94908ea558f2ba15de0259bb2aa"
_CRD_ELEMENTARNE_ALT = "8a531cb181d3e298d11b28766655ae91fee2d7851440095932ffc82137ed2be1"
_CRD_KODY_ALT = "1d41a1b3184188f2d20a51d3afde26204dda182ec5dacf018204dcc9870dc644"


@dataclass(frozen=True)
class SchemaFile:
    """One official XSD: where it lives in the store, where it is published, its pinned digests."""

    relpath: str  # path inside a store directory (the cache uses exactly this layout)
    url: str  # the Ministry's published address
    sha256: frozenset[str]
    alternatives: tuple[str, ...] = ()  # other relative places in a source directory

    @property
    def name(self) -> str:
        return self.relpath.rsplit("/", 1)[-1]


def _pins(*digests: str) -> frozenset[str]:
    return frozenset(d.lower() for d in digests)


FILES: tuple[SchemaFile, ...] = (
    SchemaFile(
        "FA/schemat_FA(3)_v1-0E.xsd",
        "https://crd.gov.pl/wzor/2025/06/25/13775/schemat.xsd",
        _pins("b646b6b525f51adf1bb2545f111fc8ca6e7aa6dd2f98948f1667d3695c06d958"),
        ("faktury/schemy/FA/schemat_FA(3)_v1-0E.xsd",),
    ),
    SchemaFile(
        "FA/schemat_FA(2)_v1-0E.xsd",
        "https://crd.gov.pl/wzor/2023/06/29/12648/schemat.xsd",
        _pins("b8acb60f0692ac2b05ac40ffcb1929b4d68c12b3c486cac4322e1699796f6999"),
        ("faktury/schemy/FA/schemat_FA(2)_v1-0E.xsd",),
    ),
    SchemaFile(
        "RR/schemat_FA_RR(1)_v1-1E.xsd",
        "https://crd.gov.pl/wzor/2026/03/06/14189/schemat.xsd",
        _pins("3edf1c313bbb38d933ca73c0d054f72aa3b7ecba3bf2b9b57847269b4f290c45"),
        ("faktury/schemy/RR/schemat_FA_RR(1)_v1-1E.xsd",),
    ),
    SchemaFile(
        "FA/bazowe/StrukturyDanych_v10-0E.xsd",
        _CRD_TYPES + "StrukturyDanych_v10-0E.xsd",
        _pins("cb08348374598e1e716e086c40d740390fb9e1bfa3aba1f4ec4cba0e1ef6d60f", _CRD_STRUKTURY_ALT),
        ("faktury/schemy/FA/bazowe/StrukturyDanych_v10-0E.xsd",),
    ),
    SchemaFile(
        "FA/bazowe/ElementarneTypyDanych_v10-0E.xsd",
        _CRD_TYPES + "ElementarneTypyDanych_v10-0E.xsd",
        _pins("8daf4d3771de200b26b697294cc906a2add3de9acfbbd97f4b1bd4fc0e5ecb2f", _CRD_ELEMENTARNE_ALT),
        ("faktury/schemy/FA/bazowe/ElementarneTypyDanych_v10-0E.xsd",),
    ),
    SchemaFile(
        "FA/bazowe/KodyKrajow_v10-0E.xsd",
        _CRD_TYPES + "KodyKrajow_v10-0E.xsd",
        _pins("48be2a9f181d7ff80f185c62491ba12604c5cacbbe21af8e2aaaf2c585bbd214", _CRD_KODY_ALT),
        ("faktury/schemy/FA/bazowe/KodyKrajow_v10-0E.xsd",),
    ),
    SchemaFile(
        "auth/schemat_auth_v2-0.xsd",
        _KSEF_DOCS + "auth/schemy/schemat_auth_v2-0.xsd",
        _pins("a7fbe95726e91993fbb2c609528697958aaac0867bbd68c9af9dddc52735567e"),
        ("../../auth/schemy/schemat_auth_v2-0.xsd", "auth/schemy/schemat_auth_v2-0.xsd"),
    ),
    SchemaFile(
        "auth/schemat_auth_v2-1.xsd",
        _KSEF_DOCS + "auth/schemy/schemat_auth_v2-1.xsd",
        _pins("d48477808e342892f62ef8bc7f0b134812f0536b3bb9cc8433d4fff2a926c44c"),
        ("../../auth/schemy/schemat_auth_v2-1.xsd", "auth/schemy/schemat_auth_v2-1.xsd"),
    ),
    SchemaFile(
        "upo/upo-v4-3.xsd",
        _KSEF_DOCS + "faktury/upo/schemy/upo-v4-3.xsd",
        _pins("1e5ff386a29324021a9e0126319680aec0b1e0d4f4a18add30b2f5d12ce6fa86"),
        ("../upo/schemy/upo-v4-3.xsd", "faktury/upo/schemy/upo-v4-3.xsd"),
    ),
)

_BY_REL = {f.relpath: f for f in FILES}
_BAZOWE = (
    "FA/bazowe/StrukturyDanych_v10-0E.xsd",
    "FA/bazowe/ElementarneTypyDanych_v10-0E.xsd",
    "FA/bazowe/KodyKrajow_v10-0E.xsd",
)

# Form code (kodSystemowy) → main XSD and the files it pulls in.
FORMS: dict[str, tuple[str, ...]] = {
    "FA (3)": ("FA/schemat_FA(3)_v1-0E.xsd", *_BAZOWE),
    "FA (2)": ("FA/schemat_FA(2)_v1-0E.xsd", *_BAZOWE),
    "FA_RR (1)": ("RR/schemat_FA_RR(1)_v1-1E.xsd", *_BAZOWE),
}
AUTH_VERSIONS: dict[str, str] = {"2.0": "auth/schemat_auth_v2-0.xsd", "2.1": "auth/schemat_auth_v2-1.xsd"}
UPO_VERSIONS: dict[str, str] = {"4-3": "upo/upo-v4-3.xsd"}

Fetcher = Callable[[str], bytes]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def default_cache_dir() -> Path:
    explicit = os.environ.get("FAKTURNIK_SCHEMA_CACHE")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "fakturnik" / "schemas"


def _env_dir() -> Path | None:
    value = os.environ.get("FAKTURNIK_SCHEMA_DIR")
    return Path(value) if value else None


def _check_pin(file: SchemaFile, data: bytes, origin: str) -> bytes:
    digest = sha256_hex(data)
    if digest not in file.sha256:
        raise SchemaStoreError(
            f"Schemat {file.name} z {origin} ma SHA-256 {digest}, inny niż oficjalny "
            f"({', '.join(sorted(file.sha256))}); plik odrzucono."
        )
    return data


def _find_in(source: Path, file: SchemaFile) -> Path | None:
    for rel in (file.relpath, *file.alternatives, file.name):
        candidate = source / rel
        if candidate.is_file():
            return candidate
    return None


class SchemaStore:
    """Locates verified XSD bytes: explicit directory, then cache, then download (if allowed).

    A download needs ``fetch`` (URL → bytes); without one the store reads local files only.
    """

    def __init__(
        self,
        schema_dir: Path | None = None,
        cache_dir: Path | None = None,
        *,
        download: bool = True,
        fetch: Fetcher | None = None,
        mirror: str | None = None,
    ) -> None:
        self.schema_dir = schema_dir
        self.cache_dir = cache_dir if cache_dir is not None else default_cache_dir()
        self.download = download
        self._fetch = fetch
        self.mirror = mirror.rstrip("/") + "/" if mirror else None
        self._bytes: dict[str, bytes] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_environment(cls, fetch: Fetcher | None = None) -> SchemaStore:
        return cls(schema_dir=_env_dir(), fetch=fetch)

    def url_for(self, file: SchemaFile) -> str:
        return self.mirror + file.relpath if self.mirror else file.url

    def read(self, relpath: str) -> bytes:
        """Verified bytes of one schema file (by its store path, e.g. ``FA/bazowe/KodyKrajow_v10-0E.xsd``)."""
        file = _BY_REL.get(relpath)
        if file is None:
            raise SchemaStoreError(f"Nieznany plik schematu: {relpath}")
        with self._lock:
            cached = self._bytes.get(relpath)
            if cached is None:
                cached = self._locate(file)
                self._bytes[relpath] = cached
            return cached

    def _locate(self, file: SchemaFile) -> bytes:
        if self.schema_dir is not None:
            found = _find_in(self.schema_dir, file)
            if found is not None:
                return _check_pin(file, found.read_bytes(), str(found))
        cached = self.cache_dir / file.relpath
        if cached.is_file():
            return _check_pin(file, cached.read_bytes(), str(cached))
        if not self.download or self._fetch is None:
            raise SchemaStoreError(
                f"Brak schematu {file.name}: ustaw FAKTURNIK_SCHEMA_DIR "
                "albo uruchom 'fakturnik schemas install'."
            )
        url = self.url_for(file)
        data = _check_pin(file, self._fetch(url), url)
        self._write_cache(file, data)
        return data

    def _write_cache(self, file: SchemaFile, data: bytes) -> None:
        target = self.cache_dir / file.relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(target)

    def install(self, source: Path | None = None, files: Iterable[SchemaFile] = FILES) -> list[Path]:
        """Fill the cache from ``source`` (offline) or by downloading; every file verified. Returns paths."""
        written: list[Path] = []
        for file in files:
            if source is not None:
                found = _find_in(source, file)
                if found is None:
                    raise SchemaStoreError(f"W katalogu {source} nie ma schematu {file.relpath}.")
                data = _check_pin(file, found.read_bytes(), str(found))
            else:
                if self._fetch is None:
                    raise SchemaStoreError(
                        "Pobieranie schematów wymaga modułu sieciowego (fakturnik.schema_download) "
                        "albo katalogu źródłowego."
                    )
                url = self.url_for(file)
                data = _check_pin(file, self._fetch(url), url)
            self._write_cache(file, data)
            written.append(self.cache_dir / file.relpath)
        return written

    # --- compiling ---------------------------------------------------------------------------------

    def compile(
        self, main: str, extra: Iterable[str] = (), *, patch: Callable[[bytes], bytes] | None = None
    ) -> etree.XMLSchema:
        """Compile the XSD at store path ``main``; imports/includes resolve only to ``extra`` files.

        ``patch`` rewrites the verified bytes in memory before compiling (never the stored file).
        """
        known = {_BY_REL[rel].name: self.read(rel) for rel in extra}
        parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
        parser.resolvers.add(_LocalResolver(known))
        main_file = _BY_REL[main]
        try:
            source = _fix_regex_dialect(self.read(main))
            if patch is not None:
                source = patch(source)
            doc = etree.fromstring(source, parser=parser, base_url=main_file.url).getroottree()
            return etree.XMLSchema(doc)
        except (etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
            raise SchemaStoreError(f"Nie udało się skompilować schematu {main_file.name}: {exc}") from exc


_IP4_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
_IP4 = rf"({_IP4_OCTET}\.){{3}}{_IP4_OCTET}"
_PERL_IP4 = r"((25[0-5]|(2[0-4]|1\d|[1-9]|)\d)\.?\b){4}"
_PATTERN_RE = re.compile(rb'(<xsd:pattern value=")([^"]*)(")')


def _fix_pattern(value: str) -> str:
    # XSD regexes are implicitly anchored and know no \b, ^ or $: the auth XSD 2.0 uses Perl syntax
    # that libxml2 rejects (2.1 fixed the IP patterns the same way) and both keep ^...$ elsewhere.
    value = value.replace(_PERL_IP4, _IP4).replace("\\/", "/")
    if value.startswith("^"):
        value = value[1:]
    if value.endswith("$") and not value.endswith("\\$"):
        value = value[:-1]
    return value


def _fix_regex_dialect(data: bytes) -> bytes:
    """Rewrite non-XSD regex syntax in pattern facets (applied after the pin check, in memory only)."""
    if b"\\b" not in data and b'value="^' not in data and b'$"' not in data:
        return data

    def fix(m: re.Match[bytes]) -> bytes:
        return m.group(1) + _fix_pattern(m.group(2).decode("utf-8")).encode("utf-8") + m.group(3)

    return _PATTERN_RE.sub(fix, data)


class _LocalResolver(etree.Resolver):
    """Maps any schemaLocation whose file name is a known schema to its verified bytes; refuses the rest."""

    def __init__(self, known: Mapping[str, bytes]) -> None:
        super().__init__()
        self._known = dict(known)

    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:  # type: ignore[override]
        name = system_url.rstrip("/").rsplit("/", 1)[-1]
        data = self._known.get(name)
        if data is None:
            raise SchemaStoreError(f"Schemat odwołuje się do nieznanego zasobu {system_url}; odmowa.")
        return self.resolve_string(data, context, base_url=system_url)


# --- per-process cached schemas ----------------------------------------------------------------------

_compiled: dict[tuple[str, str], etree.XMLSchema] = {}
_compiled_lock = threading.Lock()
_store: SchemaStore | None = None
_default_fetch: Fetcher | None = None


def use_fetcher(fetch: Fetcher | None) -> None:
    """Let the default store download missing files with ``fetch`` (the edge's HTTP; ``None``: never)."""
    global _store, _default_fetch
    with _compiled_lock:
        _default_fetch = fetch
        _store = None


def default_store() -> SchemaStore:
    global _store
    if _store is None:
        _store = SchemaStore.from_environment(_default_fetch)
    return _store


def reset_cache() -> None:
    """Forget compiled schemas and the default store (tests that change the environment)."""
    global _store
    with _compiled_lock:
        _compiled.clear()
        _store = None


def _cached(kind: str, key: str, build: Callable[[SchemaStore], etree.XMLSchema]) -> etree.XMLSchema:
    schema = _compiled.get((kind, key))  # compiled once: read without the lock (a dict read is atomic)
    if schema is not None:
        return schema
    with _compiled_lock:
        schema = _compiled.get((kind, key))
        if schema is None:
            schema = build(default_store())
            _compiled[(kind, key)] = schema
        return schema


def load_schema(form: str = "FA (3)") -> etree.XMLSchema:
    """The compiled XSD of an invoice form (``FA (3)``, ``FA (2)``, ``FA_RR (1)``), cached per process."""
    files = FORMS.get(form)
    if files is None:
        raise SchemaStoreError(f"Nieobsługiwany formularz {form!r}; znane: {', '.join(FORMS)}.")
    return _cached("form", form, lambda store: store.compile(files[0], files[1:]))


def load_auth_schema(version: str = "2.0") -> etree.XMLSchema:
    """The AuthTokenRequest XSD (``2.0`` or ``2.1``), cached per process."""
    rel = AUTH_VERSIONS.get(version)
    if rel is None:
        raise SchemaStoreError(f"Nieznana wersja schematu uwierzytelniania {version!r}.")
    return _cached("auth", version, lambda store: store.compile(rel))


_UPO_FIXED_RECEIVER = 'name="NazwaPodmiotuPrzyjmujacego" fixed="Ministerstwo Finansów"'.encode()


def _relax_upo_receiver(data: bytes) -> bytes:
    return data.replace(_UPO_FIXED_RECEIVER, b'name="NazwaPodmiotuPrzyjmujacego"')


def load_upo_schema(version: str = "4-3", *, strict_receiver: bool = False) -> etree.XMLSchema:
    """The UPO XSD (``4-3``), cached per process.

    The XSD fixes ``NazwaPodmiotuPrzyjmujacego`` to "Ministerstwo Finansów", yet the Ministry's own
    TEST/DEMO UPOs append an environment marker ("… - środowisko testowe (TE)"). By default that
    constraint is relaxed; ``strict_receiver=True`` keeps it (production UPOs).
    """
    rel = UPO_VERSIONS.get(version)
    if rel is None:
        raise SchemaStoreError(f"Nieznana wersja schematu UPO {version!r}.")
    patch = None if strict_receiver else _relax_upo_receiver
    key = f"{version}:{'strict' if strict_receiver else 'relaxed'}"
    return _cached("upo", key, lambda store: store.compile(rel, patch=patch))
