"""Fixed-size allocation bitmaps, the unit of IP and MAC allocation state:
one etcd key holds BLOCK_BITS consecutive addresses, so a bulk allocation
touches a few keys instead of one key per address."""
from __future__ import annotations

BLOCK_BITS = 256
BLOCK_BYTES = BLOCK_BITS // 8


def empty() -> bytearray:
    return bytearray(BLOCK_BYTES)


def is_set(block: bytes, bit: int) -> bool:
    return bool(block[bit >> 3] & (1 << (bit & 7)))


def set_bit(block: bytearray, bit: int) -> None:
    block[bit >> 3] |= 1 << (bit & 7)


def clear_bit(block: bytearray, bit: int) -> None:
    block[bit >> 3] &= ~(1 << (bit & 7)) & 0xFF


def is_empty(block: bytes) -> bool:
    return not any(block)


def count(block: bytes) -> int:
    return sum(bin(b).count("1") for b in block)


def first_clear(block: bytes, lo: int, hi: int) -> int | None:
    """The first clear bit in [lo, hi], or None. The block read as one
    little-endian integer (bit i is byte i>>3, bit i&7): the lowest set bit of
    its complement within the window, found without a loop."""
    if lo > hi:
        return None
    window = ((1 << (hi + 1)) - 1) ^ ((1 << lo) - 1)
    free = ~int.from_bytes(block, "little") & window
    return (free & -free).bit_length() - 1 if free else None
