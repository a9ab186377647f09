"""The XSDs of the invoice forms a session accepts, loaded once per process from the schema directory.

FA (2), FA (3) and FA_RR come from the FA(3) core's schema store (``fakturnik.fa3.schemas``);
PEF and PEF_KOR (UBL, local relative imports only) are read from the schema directory here, with
network access off.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree


@dataclass(frozen=True)
class FormSpec:
    """One accepted ``formCode`` with its schema file and UPO names."""

    system_code: str
    schema_version: str
    value: str
    schema_file: str  # relative to the schema directory
    logical_name: str  # NazwaStrukturyLogicznej in the UPO
    batch_allowed: bool

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.system_code, self.schema_version, self.value)


FORMS: tuple[FormSpec, ...] = (
    FormSpec("FA (2)", "1-0E", "FA", "FA/schemat_FA(2)_v1-0E.xsd", "Schemat_FA(2)_v1-0E.xsd", True),
    FormSpec("FA (3)", "1-0E", "FA", "FA/schemat_FA(3)_v1-0E.xsd", "Schemat_FA(3)_v1-0E.xsd", True),
    FormSpec("PEF (3)", "2-1", "PEF", "PEF/Schemat_PEF(3)_v2-1.xsd", "Schemat_PEF(3)_v2-1.xsd", False),
    FormSpec(
        "PEF_KOR (3)", "2-1", "PEF", "PEF/Schemat_PEF_KOR(3)_v2-1.xsd", "Schemat_PEF_KOR(3)_v2-1.xsd", False
    ),
    FormSpec(
        "FA_RR (1)", "1-1E", "FA_RR", "RR/schemat_FA_RR(1)_v1-1E.xsd", "Schemat_FA_RR(1)_v1-1E.xsd", True
    ),
)
_REMOTE_BASE = "http://crd.gov.pl/xml/schematy/dziedzinowe/mf/2022/01/05/eD/DefinicjeTypy/"


def find_form(system_code: str, schema_version: str, value: str, profile: str) -> FormSpec | None:
    """The accepted form for a ``formCode`` in a profile (FA (2) only on ``test``), or None."""
    for form in FORMS:
        if form.key == (system_code, schema_version, value):
            if form.system_code == "FA (2)" and profile != "test":
                return None
            return form
    return None


def schema_dir() -> Path:
    env = os.environ.get("FAKTURNIK_SCHEMA_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[4] / "shared" / "ksef" / "faktury" / "schemy"


class _LocalBase(etree.Resolver):
    def __init__(self, base: Path) -> None:
        super().__init__()
        self._base = base

    def resolve(self, system_url: str, public_id: str, context: object = None) -> Any:  # type: ignore[override]
        if system_url.startswith(_REMOTE_BASE):
            local = self._base / "FA" / "bazowe" / system_url[len(_REMOTE_BASE) :]
            return self.resolve_filename(str(local), context)  # type: ignore[attr-defined]
        return None


_cache: dict[str, etree.XMLSchema] = {}
_lock = threading.Lock()


def _load(form: FormSpec) -> etree.XMLSchema:
    if form.value != "PEF":
        # FA (2), FA (3), FA_RR (1): the FA(3) core's schema store (pinned hashes, offline imports);
        # without a configured store, the local schema directory below
        from fakturnik.errors import SchemaStoreError
        from fakturnik.fa3 import schemas as fa3_schemas

        try:
            return fa3_schemas.load_schema(form.system_code)
        except SchemaStoreError:
            pass
    base = schema_dir()
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_LocalBase(base))
    doc = etree.parse(str(base / form.schema_file), parser)
    return etree.XMLSchema(doc)


def schema_for(form: FormSpec) -> etree.XMLSchema:
    """The compiled schema of a form (compiled once; lxml schemas are safe to share across threads
    only under a lock, which :func:`validate` takes)."""
    with _lock:
        schema = _cache.get(form.schema_file)
        if schema is None:
            schema = _load(form)
            _cache[form.schema_file] = schema
        return schema


def validate(form: FormSpec, root: etree._Element) -> list[str]:
    """XSD problems of a parsed document (empty list: valid)."""
    schema = schema_for(form)
    with _lock:
        if schema.validate(root):
            return []
        errors = [f"{e.line}: {e.message}" for e in schema.error_log]  # type: ignore[attr-defined]
        return errors[:10]
