"""The read models' projection from their rows: :func:`fakturnik.store.projection.project` (the engine's
plain records use it too)."""

from fakturnik.store.projection import project

__all__ = ["project"]
