"""The one table of grant kinds matches the service it names and every face that reads it."""

from __future__ import annotations

import inspect

import pytest

from fakturnik.app.grant_kinds import GRANT_KINDS, grant
from fakturnik.app.permissions import PermissionsService


@pytest.mark.parametrize("kind", sorted(GRANT_KINDS))
def test_each_row_names_its_method_and_its_keywords(kind: str) -> None:
    row = GRANT_KINDS[kind]
    params = list(inspect.signature(getattr(PermissionsService, row.method)).parameters)
    assert params[0] == "self" and params[1].endswith("company_id")
    assert tuple(params[2:]) == row.fields


def test_rest_bodies_carry_the_grant_fields() -> None:
    from fakturnik.web.api.permissions import _GRANT_ROUTES

    assert len({kind for kind, *_ in _GRANT_ROUTES}) == len(_GRANT_ROUTES)
    for kind, _path, _op, body in _GRANT_ROUTES:
        assert set(body.model_fields) <= set(GRANT_KINDS[kind].fields), kind


def test_cli_commands_take_the_grant_fields() -> None:
    from fakturnik.cli.permissions import _GRANT_COMMANDS

    for _command, kind, _help, _rights, params in _GRANT_COMMANDS:
        assert {p.name for p in params} - {"company"} <= set(GRANT_KINDS[kind].fields), kind


def test_a_field_the_kind_does_not_take_is_refused_before_anything_runs() -> None:
    with pytest.raises(TypeError, match="grant_authorization takes no permissions"):
        grant(None, "authorization", 1, {"nip": "5265877635", "permissions": ["InvoiceWrite"]})  # type: ignore[arg-type]
