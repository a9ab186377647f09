"""Fakturnik vault layer."""
