"""Fakturnik engine layer."""
