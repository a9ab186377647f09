from tests.app.conftest import fk  # noqa: F401  (the app fixture on SQLite)
