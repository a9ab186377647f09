"""Fakturnik store layer."""
