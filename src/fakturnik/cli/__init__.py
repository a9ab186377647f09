"""The one ``fakturnik`` command (``fakturnik.cli.main``). Typer and Rich live only in this package.

They come with the ``cli`` extra (``pip install 'fakturnik[cli]'``, or ``[all]``); without them the
command says so instead of failing on an import.
"""

import importlib.util
import sys

if importlib.util.find_spec("typer") is None or importlib.util.find_spec("rich") is None:
    sys.stderr.write(
        "Polecenie fakturnik wymaga dodatku „cli”: pip install 'fakturnik[cli]' (albo 'fakturnik[all]').\n"
    )
    raise SystemExit(1)
