"""``python -m fakturnik.cli``: the same as the ``fakturnik`` command."""

from fakturnik.cli.main import main

main()
