"""The bottom layer: primitives both ``fa3`` and ``ksef`` need (KSeF numbers, the hardened XML parser).

It imports nothing of Fakturnik but ``fakturnik.errors``.
"""
