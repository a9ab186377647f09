from tests.app.conftest import fk, fk_sim  # noqa: F401  (the app fixtures)
