"""The data mask of a QR symbol chosen as ISO/IEC 18004:2015 §7.8.3 prescribes, fast.

The standard masks the data with each of its eight patterns, scores every result by four rules and
keeps the lowest score (Table 11):

- N1: a run of ``5 + i`` modules of one colour in a row or column scores ``3 + i``;
- N2: every 2 × 2 block of one colour scores 3;
- N3: every 1:1:3:1:1 (dark:light:dark:light:dark) pattern in a row or column preceded or followed
  by 4 light modules scores 40 (outside the symbol counts as light: it is the quiet zone);
- N4: ``10 × k`` when the dark share is between ``50 ± 5k`` % and ``50 ± 5(k + 1)`` %.

All eight candidates are scored at once on one big integer: each candidate is a bit board (one bit
per module, rows ``width + 4`` bits apart so that runs never wrap, 4 padding rows above and below),
the eight boards side by side; a rule is a handful of shifts and ANDs over all of them, and a
popcount per board sums it. The candidates differ from the mask-0 symbol only in the masked data
modules and the format information, which depend on the version alone: those differences are taken
once per symbol width from the encoder itself and kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["MaskChoice", "choose"]

MASKS = 8
PAD = 4  # light modules around the symbol that rule N3 may look at
_DARK = bytes(0x31 if b & 1 else 0x30 for b in range(256))  # '1' dark, '0' light


@dataclass(frozen=True)
class MaskChoice:
    """The chosen mask, its score, and the final symbol as one bit string (``'1'`` dark)."""

    mask: int
    scores: tuple[int, ...]
    bits: bytes


@dataclass(frozen=True)
class _Layout:
    width: int
    stride: int  # bits from one row to the next
    board: int  # bits per board, a multiple of 8
    valid: int  # all eight boards: 1 on every module
    outside: int  # all eight boards: 1 on the padding (light for rule N3)
    deltas: int  # all eight boards: mask-0 symbol XOR mask-k symbol, padded
    flat_deltas: tuple[int, ...]  # the same per mask, unpadded (width² bits)


def _board(bits: bytes, width: int, stride: int, board: int, fill: bytes = b"0") -> bytes:
    """A ``width × width`` bit string laid out as one padded board (most significant bit first)."""
    guard = fill * (stride - width)
    pad = fill * (stride * PAD)
    rows = guard.join(bits[i : i + width] for i in range(0, width * width, width))
    body = pad + rows + guard + pad
    return fill * (board - len(body)) + body


def _side_by_side(boards: list[bytes]) -> int:
    return int(b"".join(reversed(boards)), 2)  # board k at bits [k·board, (k+1)·board)


_LAYOUTS: dict[int, _Layout] = {}


def _layout(width: int, encode: Callable[[int], bytes]) -> _Layout:
    layout = _LAYOUTS.get(width)
    if layout is None:
        layout = _LAYOUTS[width] = _new_layout(width, encode)
    return layout


def _new_layout(width: int, encode: Callable[[int], bytes]) -> _Layout:
    stride = width + PAD
    size = stride * (width + 2 * PAD)
    board = size + (-size) % 8
    symbols = [encode(mask).translate(_DARK) for mask in range(MASKS)]
    flat = [int(s, 2) for s in symbols]
    flat_deltas = tuple(flat[0] ^ f for f in flat)
    ones = b"1" * (width * width)
    valid = _board(ones, width, stride, board)
    outside = _board(b"0" * (width * width), width, stride, board, b"1")[-size:]
    delta_boards = [_board(f"{d:0{width * width}b}".encode(), width, stride, board) for d in flat_deltas]
    return _Layout(
        width,
        stride,
        board,
        _side_by_side([valid] * MASKS),
        _side_by_side([outside.rjust(board, b"0")] * MASKS),
        _side_by_side(delta_boards),
        flat_deltas,
    )


def _counts(feature: int, layout: _Layout) -> list[int]:
    """The popcount of each of the eight boards of ``feature``."""
    step = layout.board // 8
    raw = feature.to_bytes(step * MASKS, "big")
    ends = [(MASKS - k) * step for k in range(MASKS)]
    return [int.from_bytes(raw[end - step : end]).bit_count() for end in ends]


def _runs(x: int, step: int) -> tuple[int, int]:
    """(positions starting 5 same-colour modules, run starts among them) along ``step``."""
    two = x & (x << step)
    four = two & (two << 2 * step)
    five = four & (x << 4 * step)
    return five, five & ~(x >> step)


def _finder_like(dark: int, light: int, lightx: int, step: int) -> int:
    """Starts of 1:1:3:1:1 patterns with 4 light modules before or after them."""
    three = dark & (dark << step) & (dark << 2 * step)
    pattern = dark & (light << step) & (three << 2 * step) & (light << 5 * step) & (dark << 6 * step)
    two = lightx & (lightx << step)
    four = two & (two << 2 * step)
    return pattern & ((four >> 4 * step) | (four << 7 * step))


def choose(width: int, mask0: bytes, encode: Callable[[int], bytes]) -> MaskChoice:
    """The lowest-penalty mask for a symbol given with mask 0 (libqrencode's flagged modules).

    ``encode(k)`` gives any symbol of the same width with mask ``k``; it is called only the first
    time a width is seen.
    """
    layout = _layout(width, encode)
    stride = layout.stride
    bits = mask0.translate(_DARK)
    board = _board(bits, width, stride, layout.board)
    one = int(board, 2)
    every = one | (one << layout.board)
    every |= every << 2 * layout.board
    every |= every << 4 * layout.board
    dark = every ^ layout.deltas
    light = layout.valid ^ dark
    lightx = light | layout.outside
    dark_h5, dark_hs = _runs(dark, 1)
    light_h5, light_hs = _runs(light, 1)
    dark_v5, dark_vs = _runs(dark, stride)
    light_v5, light_vs = _runs(light, stride)
    dd = dark & (dark << 1)
    ll = light & (light << 1)
    blocks = (dd & (dd << stride)) | (ll & (ll << stride))
    n1 = [
        a + b + 2 * (c + d)
        for a, b, c, d in zip(
            _counts(dark_h5 | light_h5, layout),
            _counts(dark_v5 | light_v5, layout),
            _counts(dark_hs | light_hs, layout),
            _counts(dark_vs | light_vs, layout),
            strict=True,
        )
    ]
    n2 = _counts(blocks, layout)
    n3h = _counts(_finder_like(dark, light, lightx, 1), layout)
    n3v = _counts(_finder_like(dark, light, lightx, stride), layout)
    total = width * width
    n4 = [10 * (abs(20 * d - 10 * total) // total) for d in _counts(dark, layout)]
    scores = tuple(n1[k] + 3 * n2[k] + 40 * (n3h[k] + n3v[k]) + n4[k] for k in range(MASKS))
    best = min(range(MASKS), key=scores.__getitem__)
    final = int(bits, 2) ^ layout.flat_deltas[best]
    return MaskChoice(best, scores, f"{final:0{total}b}".encode())
