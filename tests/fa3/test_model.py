"""The model covers every element of the FA(3) XSD, in order, and gives a JSON schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from lxml import etree
from pydantic import ValidationError

from fakturnik.fa3.jsonform import invoice_json_schema
from fakturnik.fa3.model import Fa3Model, Faktura, FaWiersz, Podmiot2, TPodmiot2
from tests.conftest import SCHEMA_DIR

XS = "{http://www.w3.org/2001/XMLSchema}"


def _schema_root() -> etree._Element:
    return etree.parse(str(SCHEMA_DIR / "FA" / "schemat_FA(3)_v1-0E.xsd")).getroot()


def _classes(cls: type[Fa3Model], seen: set[type[Fa3Model]] | None = None) -> Iterator[type[Fa3Model]]:
    seen = set() if seen is None else seen
    if cls in seen:
        return
    seen.add(cls)
    yield cls
    for _name, _kind, _rep, sub in cls.XML_FIELDS:
        if sub is not None:
            yield from _classes(sub, seen)


def test_every_element_of_the_xsd_is_in_the_model() -> None:
    xsd_names = {e.get("name") for e in _schema_root().iter(f"{XS}element")}
    model_names = {"Faktura"} | {name for cls in _classes(Faktura) for name, *_ in cls.XML_FIELDS}
    assert xsd_names == model_names


def test_xml_fields_follow_pydantic_field_order() -> None:
    for cls in _classes(Faktura):
        declared = [
            n for n in cls.model_fields if n not in ("xml_extra", "xml_attrs", "value", *cls.XML_ATTRS)
        ]
        assert declared == [name for name, *_ in cls.XML_FIELDS], cls.__name__


def test_line_has_every_rate_and_marker() -> None:
    fields = FaWiersz.model_fields
    for name in (
        "P_12",
        "P_12_XII",
        "P_12_Zal_15",
        "GTU",
        "Procedura",
        "StanPrzed",
        "P_8A",
        "P_10",
        "KursWaluty",
    ):
        assert name in fields
    FaWiersz(NrWierszaFa=1, P_12="np II", GTU="GTU_12", Procedura="B_SPV")
    with pytest.raises(ValidationError):
        FaWiersz(NrWierszaFa=1, P_12="24")


def test_buyer_identifier_variants() -> None:
    TPodmiot2(NIP="5260250274", Nazwa="A")
    TPodmiot2(KodUE="DE", NrVatUE="123456789", Nazwa="B")
    TPodmiot2(KodKraju="US", NrID="12-3456789", Nazwa="C")
    TPodmiot2(BrakID=1, Nazwa="Konsument")
    assert Podmiot2.model_fields["JST"].is_required()


def test_unknown_json_field_is_refused() -> None:
    with pytest.raises(ValidationError, match="extra"):
        FaWiersz(NrWierszaFa=1, P_99="x")  # type: ignore[call-arg]


def test_json_schema_is_generated() -> None:
    schema = invoice_json_schema()
    assert "Fa" in schema["properties"] and "FaWiersz" in schema["$defs"]


def test_committed_model_is_what_the_generator_gives() -> None:
    import ast
    from pathlib import Path

    from fakturnik.fa3 import model, modelgen

    committed = Path(model.__file__).read_text(encoding="utf-8")
    assert ast.dump(ast.parse(modelgen.generate())) == ast.dump(ast.parse(committed))


def test_markers_and_codes_accept_digit_strings_in_json() -> None:
    line = FaWiersz.model_validate({"NrWierszaFa": "1", "StanPrzed": "1"})
    assert line.StanPrzed == 1 and line.NrWierszaFa == 1
    with pytest.raises(ValidationError):
        FaWiersz.model_validate({"NrWierszaFa": 1, "StanPrzed": "2"})
