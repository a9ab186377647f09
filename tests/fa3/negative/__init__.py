"""Negative corpus: broken FA(3) invoices derived from our own minimal valid invoices (base_*.xml)."""
