"""issue() reads each invoice's bytes once: one parse, for the fields, the new number and validation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from fakturnik.engine.companies import add_company
from fakturnik.engine.context import EngineContext, open_context
from fakturnik.engine.issuing import issue
from fakturnik.errors import InvoiceValidationError
from fakturnik.fa3.schemas import load_schema
from tests.engine.helpers import NIP, fast_settings, sample_invoice


@pytest.fixture
def ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> EngineContext:
    monkeypatch.delenv("FAKTURNIK_MASTER_KEY", raising=False)
    context = open_context(tmp_path, None, fast_settings(), use_keyring=False)
    add_company(context, nip=NIP, name="ACME", base_url="http://127.0.0.1:9/v2")
    return context


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the XML documents lxml parses from now on (the FA(3) XSD is loaded before)."""
    load_schema("FA (3)")
    seen: list[int] = []
    real = etree.fromstring

    def counting(text: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(len(text))
        return real(text, *args, **kwargs)

    monkeypatch.setattr(etree, "fromstring", counting)
    return seen


def test_an_auto_numbered_invoice_is_parsed_once(ctx: EngineContext, parses: list[int]) -> None:
    xml = sample_invoice()
    parses.clear()
    issued = issue(ctx, company_nip=NIP, xml=xml)
    assert issued.number.startswith("FV/")
    assert parses == [len(xml)]


def test_a_numbered_invoice_is_parsed_once(ctx: EngineContext, parses: list[int]) -> None:
    """(Many at once go through the application's bulk path, app.issuing.store_chunk.)"""
    numbered = sample_invoice(number="RĘCZNY/1")
    parses.clear()
    issue(ctx, company_nip=NIP, xml=numbered)
    assert len(parses) == 1


def test_an_invalid_invoice_is_refused_after_one_parse(ctx: EngineContext, parses: list[int]) -> None:
    xml = sample_invoice().replace(b"<P_1>", b"<P_1>x", 1)
    parses.clear()
    with pytest.raises(InvoiceValidationError):
        issue(ctx, company_nip=NIP, xml=xml)
    assert len(parses) == 1
