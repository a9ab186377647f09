"""docs/app.md shows exactly the access tables of app/access.py."""

from __future__ import annotations

from pathlib import Path

from fakturnik.app.access import ROLE_ACTIONS, SCOPE_ACTIONS, Action, Role

DOC = Path(__file__).resolve().parents[2] / "docs" / "app.md"


def test_the_roles_and_scopes_table_in_the_docs_is_the_one_in_code() -> None:
    lines = [
        line
        for line in DOC.read_text(encoding="utf-8").splitlines()
        if line.startswith("| `") and "." in line
    ]
    rows = {
        line.split("|")[1].strip().strip("`"): [c.strip() for c in line.split("|")[2:-1]] for line in lines
    }
    columns = [*(r for r in (Role.OWNER, Role.ACCOUNTANT, Role.ISSUER, Role.VIEWER)), *SCOPE_ACTIONS]
    for action in Action:
        cells = rows[action.value]
        want = [
            "✓" if (action in ROLE_ACTIONS[c] if isinstance(c, Role) else action in SCOPE_ACTIONS[c]) else ""
            for c in columns
        ]
        assert cells == want, action
