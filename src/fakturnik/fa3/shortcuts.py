"""One switch for every throughput shortcut of fa3: ``FAKTURNIK_NO_SHORTCUTS=1`` turns them all off.

The shortcuts answer exactly as the general code they stand in for (each has tests comparing the
two), and the test suite runs the FA(3) tests a second time with this switch set (``make test``),
so that the general code is exercised on everything and a shortcut can never hide a difference:

- :func:`fakturnik.fa3.draft_xml.draft_to_xml` writing the usual draft straight from its dicts;
- :func:`fakturnik.fa3.builder.build_invoice` completing a plain net-price invoice in one pass;
- :func:`fakturnik.fa3.rules.run_rules` accepting a schema-valid usual invoice in one walk;
- :func:`fakturnik.fa3.rules.run_rules` letting that walk read element texts and fixed places directly
  when the bytes hold no comment or processing instruction;
- :func:`fakturnik.fa3.rules.identifiers.check_identifiers_in` looking only for the identifier elements
  whose names are in the bytes;
- :func:`fakturnik.fa3.rules.base.decimal` leaving out the look at the decimal places of a short text;
- :func:`fakturnik.fa3.writer.write_invoice` screening its bytes before the exact character check.

The switch is read once, when this module is imported.
"""

from __future__ import annotations

import os

ENV = "FAKTURNIK_NO_SHORTCUTS"

ENABLED: bool = os.environ.get(ENV, "").strip().lower() in ("", "0", "false", "no")
"""True unless ``FAKTURNIK_NO_SHORTCUTS`` is set (to anything but ``0``/``false``/``no``)."""
