"""KSeF identifiers as pure functions: KSeF numbers, reference numbers, InternalId (digest §2, §9, §11)."""

from __future__ import annotations

import re
import secrets
from datetime import date

KSEF_NUMBER_RE = re.compile(r"^([1-9]\d{9})-(\d{8})-([0-9A-F]{12})-([0-9A-F]{2})$")
KSEF_NUMBER_V1_RE = re.compile(r"^([1-9]\d{9})-(\d{8})-([0-9A-F]{6})-?([0-9A-F]{6})-([0-9A-F]{2})$")
REFERENCE_RE = re.compile(r"^(\d{8})-([A-Z]{2})-([0-9A-F]{10})-([0-9A-F]{10})-([0-9A-F]{2})$")
INTERNAL_ID_RE = re.compile(r"^([1-9]\d{9})-(\d{5})$")


def _crc8_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
        table.append(crc)
    return tuple(table)


_CRC8_TABLE = _crc8_table()


def crc8(data: bytes) -> int:
    """CRC-8, polynomial 0x07, init 0x00, no reflection, no final XOR."""
    crc = 0
    for byte in data:
        crc = _CRC8_TABLE[crc ^ byte]
    return crc


def _checked(body: str) -> str:
    return f"{body}-{crc8(body.encode('ascii')):02X}"


def _technical(given: str | None) -> str:
    """The 12-hex-digit technical part: the given one (checked), else a random one."""
    tech = given if given is not None else secrets.token_hex(6).upper()
    if not re.fullmatch(r"[0-9A-F]{12}", tech):
        raise ValueError("technical part must be 12 uppercase hex characters")
    return tech


def make_ksef_number(seller_nip: str, accepted: date, technical: str | None = None) -> str:
    """A 35-char KSeF number ``NIP-YYYYMMDD-XXXXXXXXXXXX-CC`` with its CRC-8."""
    return _checked(f"{seller_nip}-{accepted:%Y%m%d}-{_technical(technical)}")


def is_valid_ksef_number(value: str) -> bool:
    """True for a well-formed KSeF number whose checksum matches (35-char and 36-char 1.0 forms)."""
    if KSEF_NUMBER_RE.match(value):
        return _checked(value[:32]) == value
    m = KSEF_NUMBER_V1_RE.match(value)
    if m:
        body = value[: value.rfind("-")]
        return _checked(body) == value
    return False


COLLECTIVE_IDENTIFIER_RE = re.compile(r"^(\d{10})-IZ(\d{4})(0[1-9]|1[0-2])-([0-9A-F]{12})-([0-9A-F]{2})$")


def make_collective_identifier(seller_nip: str, created: date, technical: str | None = None) -> str:
    """A collective identifier ``NIP-IZRRRRMM-XXXXXXXXXXXX-CC`` (API 2.7.0), CRC-8 as in KSeF numbers."""
    return _checked(f"{seller_nip}-IZ{created:%Y%m}-{_technical(technical)}")


def is_valid_collective_identifier(value: str) -> bool:
    """True for a well-formed collective identifier whose checksum matches."""
    return bool(COLLECTIVE_IDENTIFIER_RE.match(value)) and _checked(value[:32]) == value


def make_reference_number(kind: str, on: date) -> str:
    """A reference number ``YYYYMMDD-TT-HHHHHHHHHH-HHHHHHHHHH-CC`` (TT: CR, AU, SO, SB, EE, ...)."""
    if not re.fullmatch(r"[A-Z]{2}", kind):
        raise ValueError("reference kind must be two uppercase letters")
    a, b = secrets.token_hex(5).upper(), secrets.token_hex(5).upper()
    return _checked(f"{on:%Y%m%d}-{kind}-{a}-{b}")


def is_valid_reference_number(value: str) -> bool:
    return bool(REFERENCE_RE.match(value)) and _checked(value[:33]) == value


def internal_id_check_digit(nip: str, four_digits: str) -> int:
    """Check digit of an InternalId: Σ(digit × 1,3,1,3,…) over the 14 preceding digits, mod 10."""
    digits = nip + four_digits
    if not re.fullmatch(r"\d{14}", digits):
        raise ValueError("InternalId needs a 10-digit NIP and 4 digits")
    return sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits)) % 10


def make_internal_id(nip: str, four_digits: str) -> str:
    return f"{nip}-{four_digits}{internal_id_check_digit(nip, four_digits)}"


def is_valid_internal_id(value: str) -> bool:
    m = INTERNAL_ID_RE.match(value)
    if not m:
        return False
    nip, five = m.groups()
    return internal_id_check_digit(nip, five[:4]) == int(five[4])
