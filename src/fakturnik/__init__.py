"""Fakturnik: KSeF 2.0 e-invoicing without ever logging in to a portal."""

__version__ = "0.1.0"
