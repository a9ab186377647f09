"""Business rules of an FA(3) invoice that the XSD cannot express, working on the lxml tree.

They need no model, so they also judge invoices the model cannot load. Every rule appends
:class:`fakturnik.errors.Problem` entries (path, Polish message, code, severity) to the context;
``docs/validation.md`` lists them all.
"""

from __future__ import annotations

from lxml import etree

from fakturnik.errors import Problem
from fakturnik.fa3 import shortcuts
from fakturnik.fa3.rules.base import Env, Invoice, RuleContext
from fakturnik.fa3.rules.content import check_content
from fakturnik.fa3.rules.dates import check_dates
from fakturnik.fa3.rules.document import check_document, holds_no_markup
from fakturnik.fa3.rules.identifiers import check_identifiers, check_identifiers_in
from fakturnik.fa3.rules.kinds import check_kind
from fakturnik.fa3.rules.totals import check_foreign_currency_tax, check_totals
from fakturnik.fa3.rules.usual import usual_invoice_passes

__all__ = ["Env", "RuleContext", "run_rules"]

RULES = (check_identifiers, check_dates, check_kind, check_content, check_totals, check_foreign_currency_tax)
"""Every rule on the :class:`Invoice` index, in the order :func:`run_rules` applies them."""

_INDEXED_RULES = RULES[1:]  # all but the identifiers, which scan the whole tree on their own


def run_rules(
    root: etree._Element, ctx: RuleContext, *, data: bytes | None = None, schema_valid: bool = False
) -> list[Problem]:
    """Run every rule on an FA(3) ``Faktura`` tree; returns the context's problems (errors and warnings).

    ``data``: the document's bytes, when known, for the byte-level rules (discouraged characters).
    ``schema_valid``: the FA(3) XSD accepted this tree; then the usual invoice is accepted by
    :func:`~fakturnik.fa3.rules.usual.usual_invoice_passes` in one walk, and only anything else is
    indexed and judged rule by rule (with the same result: that function answers True only when
    the rules would find nothing).
    """
    check_document(root, data, ctx)
    check_identifiers_in(root, ctx)
    if shortcuts.ENABLED and schema_valid and usual_invoice_passes(root, ctx, holds_no_markup(data)):
        return ctx.problems
    invoice = Invoice.of(root)
    for rule in _INDEXED_RULES:
        rule(invoice, ctx)
    return ctx.problems
