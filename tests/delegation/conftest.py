"""The delegation tests' fixtures: the simulator on its prod profile and SQLite / PostgreSQL (world.py),
and the app tests' installation with companies A and B (``fk``, ``fk_db``: self-billing issuing)."""

from __future__ import annotations

from tests.app.conftest import fk, fk_db
from tests.delegation.world import database_url, prod_sim

__all__ = ["database_url", "fk", "fk_db", "prod_sim"]
