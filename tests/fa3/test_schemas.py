"""The schema store: location order, SHA-256 pins, offline resolution, download with verification."""

from __future__ import annotations

import hashlib
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from fakturnik.cli.main import app
from fakturnik.errors import SchemaStoreError
from fakturnik.fa3 import schemas
from fakturnik.fa3.schemas import FILES, SchemaStore, load_auth_schema, load_schema, load_upo_schema
from fakturnik.schema_download import downloading_store
from tests.conftest import SAMPLES_DIR, SCHEMA_DIR, SHARED

UPO_EXAMPLES = sorted((SHARED / "ksef" / "faktury" / "upo" / "przyklady").rglob("*.xml"))
KSEF_DIR = SHARED / "ksef"


def _no_network(url: str) -> bytes:
    raise AssertionError(f"network used: {url}")


def _mirror_tree(dst: Path) -> Path:
    """A copy of every official file in the store layout (what a mirror of crd.gov.pl would serve)."""
    store = SchemaStore(schema_dir=SCHEMA_DIR, cache_dir=dst / "unused", download=False)
    for f in FILES:
        target = dst / f.relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(store.read(f.relpath))
    return dst


@pytest.fixture
def http_mirror(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = _mirror_tree(tmp_path / "mirror")

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(root), **kwargs)  # type: ignore[arg-type]

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


def test_pins_match_the_official_files() -> None:
    store = SchemaStore(
        schema_dir=SCHEMA_DIR, cache_dir=Path("/nonexistent"), download=False, fetch=_no_network
    )
    for f in FILES:
        assert hashlib.sha256(store.read(f.relpath)).hexdigest() in f.sha256


@pytest.mark.parametrize("form", ["FA (3)", "FA (2)", "FA_RR (1)"])
def test_invoice_schemas_compile_and_are_cached(form: str) -> None:
    assert load_schema(form) is load_schema(form)


def test_unknown_form_is_refused() -> None:
    with pytest.raises(SchemaStoreError):
        load_schema("FA (9)")


def test_every_sample_is_xsd_valid() -> None:
    schema = load_schema()
    files = sorted(SAMPLES_DIR.glob("*.xml"))
    assert len(files) == 55
    for f in files:
        assert schema.validate(etree.parse(str(f))), (f.name, schema.error_log.last_error)


@pytest.mark.parametrize("version", ["2.0", "2.1"])
def test_auth_schemas_compile_and_validate_ip_filters(version: str) -> None:
    ns = f"http://ksef.mf.gov.pl/auth/token/{version}"
    schema = load_auth_schema(version)

    def doc(ip: str) -> etree._Element:
        return etree.fromstring(
            f'<AuthTokenRequest xmlns="{ns}"><Challenge>20250101-CR-0123456789-ABCDEF0123-AB</Challenge>'
            "<ContextIdentifier><Nip>5265877635</Nip></ContextIdentifier>"
            "<SubjectIdentifierType>certificateSubject</SubjectIdentifierType>"
            f"<AuthorizationPolicy><AllowedIps><Ip4Address>{ip}</Ip4Address></AllowedIps>"
            "</AuthorizationPolicy></AuthTokenRequest>".encode()
        )

    assert schema.validate(doc("192.168.1.10")), schema.error_log.last_error
    assert not schema.validate(doc("300.1.1.1"))


def test_upo_examples_validate_with_relaxed_receiver_only() -> None:
    assert len(UPO_EXAMPLES) == 6
    for f in UPO_EXAMPLES:
        tree = etree.parse(str(f))
        assert load_upo_schema().validate(tree), f.name
        # The Ministry's TEST UPOs carry an environment marker the strict XSD forbids.
        assert not load_upo_schema(strict_receiver=True).validate(tree)


def test_tampered_schema_dir_is_rejected(tmp_path: Path) -> None:
    src = tmp_path / "schemy"
    shutil.copytree(SCHEMA_DIR, src)
    kody = src / "FA" / "bazowe" / "KodyKrajow_v10-0E.xsd"
    kody.write_bytes(kody.read_bytes().replace(b"POLSKA", b"POLSKO"))
    store = SchemaStore(schema_dir=src, cache_dir=tmp_path / "cache", download=False)
    store.read("FA/schemat_FA(3)_v1-0E.xsd")
    with pytest.raises(SchemaStoreError, match="SHA-256"):
        store.compile("FA/schemat_FA(3)_v1-0E.xsd", schemas.FORMS["FA (3)"][1:])


def test_missing_everywhere_without_download(tmp_path: Path) -> None:
    store = SchemaStore(schema_dir=tmp_path / "none", cache_dir=tmp_path / "cache", download=False)
    with pytest.raises(SchemaStoreError, match="schemas install"):
        store.read("FA/schemat_FA(3)_v1-0E.xsd")


def test_install_from_directory_then_offline_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    written = SchemaStore(cache_dir=cache, fetch=_no_network).install(KSEF_DIR / "faktury" / "schemy")
    assert len(written) == len(FILES)
    store = SchemaStore(schema_dir=None, cache_dir=cache, download=False)
    schema = store.compile("FA/schemat_FA(3)_v1-0E.xsd", schemas.FORMS["FA (3)"][1:])
    sample = sorted(SAMPLES_DIR.glob("*.xml"))[0]
    assert schema.validate(etree.parse(str(sample)))
    assert store.compile("upo/upo-v4-3.xsd") is not None


def test_install_accepts_the_shared_root_layout(tmp_path: Path) -> None:
    assert len(SchemaStore(cache_dir=tmp_path / "c", fetch=_no_network).install(KSEF_DIR)) == len(FILES)


def test_install_from_incomplete_directory_fails(tmp_path: Path) -> None:
    partial = tmp_path / "partial"
    shutil.copytree(SCHEMA_DIR / "FA", partial / "FA")
    with pytest.raises(SchemaStoreError, match="nie ma schematu RR"):
        SchemaStore(cache_dir=tmp_path / "c", fetch=_no_network).install(partial)


def test_download_from_mirror_fills_cache(tmp_path: Path, http_mirror: tuple[str, Path]) -> None:
    url, _ = http_mirror
    cache = tmp_path / "cache"
    store = downloading_store(cache_dir=cache, mirror=url)
    schema = store.compile("FA/schemat_FA(3)_v1-0E.xsd", schemas.FORMS["FA (3)"][1:])
    assert schema.validate(etree.parse(str(sorted(SAMPLES_DIR.glob("*.xml"))[0])))
    assert (cache / "FA" / "bazowe" / "StrukturyDanych_v10-0E.xsd").is_file()
    # Second store: everything now comes from the cache, no network.
    again = SchemaStore(schema_dir=None, cache_dir=cache, fetch=_no_network)
    again.read("FA/bazowe/StrukturyDanych_v10-0E.xsd")


def test_download_with_tampered_file_is_rejected(tmp_path: Path, http_mirror: tuple[str, Path]) -> None:
    url, root = http_mirror
    target = root / "FA" / "schemat_FA(3)_v1-0E.xsd"
    target.write_bytes(target.read_bytes().replace(b"Faktura", b"Fakturka", 1))
    cache = tmp_path / "cache"
    store = downloading_store(cache_dir=cache, mirror=url)
    with pytest.raises(SchemaStoreError, match="SHA-256"):
        store.read("FA/schemat_FA(3)_v1-0E.xsd")
    assert not (cache / "FA" / "schemat_FA(3)_v1-0E.xsd").exists()


def test_download_http_error_is_a_store_error(tmp_path: Path, http_mirror: tuple[str, Path]) -> None:
    url, root = http_mirror
    (root / "upo" / "upo-v4-3.xsd").unlink()
    store = downloading_store(cache_dir=tmp_path / "cache", mirror=url)
    with pytest.raises(SchemaStoreError, match="pobrać"):
        store.read("upo/upo-v4-3.xsd")


def test_default_urls_are_the_ministry_addresses() -> None:
    by_rel = {f.relpath: f.url for f in FILES}
    assert by_rel["FA/schemat_FA(3)_v1-0E.xsd"] == "https://crd.gov.pl/wzor/2025/06/25/13775/schemat.xsd"
    assert by_rel["FA/bazowe/StrukturyDanych_v10-0E.xsd"].startswith(
        "https://crd.gov.pl/xml/schematy/dziedzinowe/mf/2022/01/05/eD/DefinicjeTypy/"
    )


def test_resolver_refuses_unknown_locations() -> None:
    resolver = schemas._LocalResolver({})
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(resolver)
    xsd = (
        b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        b'<xs:import namespace="urn:x" schemaLocation="http://example.invalid/evil.xsd"/></xs:schema>'
    )
    with pytest.raises((SchemaStoreError, etree.XMLSchemaParseError)):
        etree.XMLSchema(etree.fromstring(xsd, parser=parser))


def test_cache_dir_is_xdg_aware(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("FAKTURNIK_SCHEMA_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert schemas.default_cache_dir() == tmp_path / "fakturnik" / "schemas"
    monkeypatch.setenv("FAKTURNIK_SCHEMA_CACHE", str(tmp_path / "x"))
    assert schemas.default_cache_dir() == tmp_path / "x"


def test_cli_install_from_directory(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["schemas", "install", "--from", str(SCHEMA_DIR), "--cache", str(tmp_path / "c")]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "c" / "auth" / "schemat_auth_v2-1.xsd").is_file()


def test_cli_install_reports_tampering(tmp_path: Path) -> None:
    src = tmp_path / "schemy"
    shutil.copytree(SCHEMA_DIR, src)
    (src / "FA" / "schemat_FA(2)_v1-0E.xsd").write_bytes(b"<x/>")
    result = CliRunner().invoke(
        app, ["schemas", "install", "--from", str(src), "--cache", str(tmp_path / "c")]
    )
    assert result.exit_code == 1
    assert "SHA-256" in result.output
