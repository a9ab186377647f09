"""A thin ctypes binding to libqrencode (Debian's ``libqrencode4``), the fast QR symbol encoder.

libqrencode segments the text, adds the Reed–Solomon codewords and places the modules in C in about
12 µs. Its own mask choice scores the finder-like pattern rule differently from ISO/IEC 18004
§7.8.3 (it counts scaled 2:2:6:2:2 patterns, treats the symbol's edge differently and rounds the
dark share), so we never let it choose: we ask for the symbol with mask 0 and choose the mask
ourselves (``visual.qrmask``).

``encode_mask`` uses ``QRcode_encodeMask``, exported by the library but not declared in its public
header; if the library or that symbol is missing, ``available()`` is false and ``visual.qr`` falls
back to zxing-cpp.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache

__all__ = ["available", "encode_mask"]

_LEVEL_M = 1  # QR_ECLEVEL_M
_MODE_8 = 2  # QR_MODE_8
_NAMES = ("libqrencode.so.4", "libqrencode.so")


class _QRcode(ctypes.Structure):
    _fields_ = [
        ("version", ctypes.c_int),
        ("width", ctypes.c_int),
        ("data", ctypes.POINTER(ctypes.c_ubyte)),
    ]


@cache
def _library() -> ctypes.CDLL | None:
    names = [*_NAMES, ctypes.util.find_library("qrencode")]
    for name in names:
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
            new, append, encode = lib.QRinput_new2, lib.QRinput_append, lib.QRcode_encodeMask
            free_input, free_code = lib.QRinput_free, lib.QRcode_free
        except (OSError, AttributeError):
            continue
        new.restype = ctypes.c_void_p
        new.argtypes = [ctypes.c_int, ctypes.c_int]
        append.restype = ctypes.c_int
        append.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_char_p]
        encode.restype = ctypes.POINTER(_QRcode)
        encode.argtypes = [ctypes.c_void_p, ctypes.c_int]
        free_input.restype = None
        free_input.argtypes = [ctypes.c_void_p]
        free_code.restype = None
        free_code.argtypes = [ctypes.POINTER(_QRcode)]
        return lib
    return None


def available() -> bool:
    """Whether libqrencode (with ``QRcode_encodeMask``) can be loaded here."""
    return _library() is not None


def encode_mask(data: bytes, mask: int) -> tuple[int, bytes] | None:
    """The symbol of ``data`` in byte mode at level M with ``mask`` (0–7): ``(width, modules)``.

    ``modules`` has one byte per module, row by row, with libqrencode's flags: bit 0 dark, bit 7 set
    on function patterns and format/version information. ``None`` when the data does not fit or the
    library is absent.
    """
    lib = _library()
    if lib is None:
        return None
    qrinput = lib.QRinput_new2(0, _LEVEL_M)  # version 0: the smallest that fits
    if not qrinput:
        return None
    try:
        if lib.QRinput_append(qrinput, _MODE_8, len(data), data) != 0:
            return None
        code = lib.QRcode_encodeMask(qrinput, mask)
    finally:
        lib.QRinput_free(qrinput)
    if not code:
        return None
    try:
        width = code.contents.width
        return width, ctypes.string_at(code.contents.data, width * width)
    finally:
        lib.QRcode_free(code)
