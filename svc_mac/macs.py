"""Pure MAC logic: parsing, the OUI space as 2^24 offsets in bitmap blocks,
and allocation of requested or free MACs against that state."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from runtime import bitmap
from runtime.errors import Conflict, Exhausted, InvalidInput

SPACE = 1 << 24
BLOCKS = SPACE // bitmap.BLOCK_BITS
_MAC = re.compile(r"^[0-9a-f]{2}([:-]?)[0-9a-f]{2}(\1[0-9a-f]{2}){4}$")


def normalize(mac: str) -> str:
    """Lower-case colon form; rejects malformed, multicast and all-zero MACs."""
    m = mac.strip().lower()
    if not _MAC.match(m):
        raise InvalidInput(f"Invalid input for mac_address. Reason: '{mac}' is not a valid MAC "
                           "address.")
    digits = m.replace(":", "").replace("-", "")
    out = ":".join(digits[i : i + 2] for i in range(0, 12, 2))
    if int(digits[:2], 16) & 1 or digits == "0" * 12:
        raise InvalidInput(f"Invalid input for mac_address. Reason: '{mac}' is not a valid "
                           "unicast MAC address.")
    return out


def parse_oui(oui: str) -> str:
    o = oui.strip().lower().replace("-", ":")
    parts = o.split(":")
    if len(parts) != 3 or not all(re.fullmatch(r"[0-9a-f]{2}", p) for p in parts):
        raise ValueError(f"bad OUI {oui!r}: want three octets like fa:16:3e")
    first = int(parts[0], 16)
    if first & 1 or not first & 2:
        raise ValueError(f"OUI {oui!r} must be unicast and locally administered")
    return o


def offset_in(oui: str, mac: str) -> int | None:
    """The MAC's offset in the OUI space, or None if it is outside the OUI."""
    if not mac.startswith(oui + ":"):
        return None
    return int(mac[len(oui) + 1 :].replace(":", ""), 16)


def mac_at(oui: str, offset: int) -> str:
    h = f"{offset:06x}"
    return f"{oui}:{h[0:2]}:{h[2:4]}:{h[4:6]}"


@dataclass
class MacAllocator:
    """Blocks of the OUI space that a batch reads, staged per caller."""

    oui: str
    blocks: dict[int, bytearray]
    start_block: int
    changed: set[int] = field(default_factory=set)
    foreign: list[str] = field(default_factory=list)  # requested MACs outside the OUI
    _staged: dict[int, bytearray | None] = field(default_factory=dict)
    _staged_foreign: list[str] = field(default_factory=list)
    # Where the last free MAC of a window was found: nothing before it is
    # free while the batch only takes, so a batch of n MACs is O(n), not a
    # scan of every full block per MAC. A release or rollback clears it.
    _cursor: tuple[range, int, int] | None = None

    def begin(self) -> None:
        self._staged, self._staged_foreign = {}, []

    def commit(self) -> tuple[dict[int, bytearray | None], list[str]]:
        """Keeps the caller's changes; returns the blocks it touched, each as
        it was before (None: absent), and the foreign MACs it took."""
        staged = self._staged, self._staged_foreign
        self.changed |= set(self._staged)
        self.foreign += self._staged_foreign
        self.begin()
        return staged

    def rollback(self) -> None:
        for idx, before in self._staged.items():
            if before is None:
                self.blocks.pop(idx, None)
            else:
                self.blocks[idx] = before
        self._cursor = None
        self.begin()

    def _block(self, idx: int) -> bytearray:
        b = self.blocks.get(idx)
        if b is None:
            b = self.blocks[idx] = bitmap.empty()
            self._staged.setdefault(idx, None)
        elif idx not in self._staged:
            self._staged[idx] = bytearray(b)
        return b

    def take(self, mac: str) -> str:
        mac = normalize(mac)
        off = offset_in(self.oui, mac)
        if off is None:
            if mac in self.foreign or mac in self._staged_foreign:
                raise in_use(mac)
            self._staged_foreign.append(mac)
            return mac
        b = self.blocks.get(off >> 8)
        if b is not None and bitmap.is_set(b, off & 0xFF):
            raise in_use(mac)
        bitmap.set_bit(self._block(off >> 8), off & 0xFF)
        return mac

    def next_free(self, loaded: range) -> str | None:
        """A free MAC from the loaded window of blocks (absent blocks are empty)."""
        start, first_bit = 0, 0
        if self._cursor is not None and self._cursor[0] == loaded:
            _, start, first_bit = self._cursor
        for pos in range(start, len(loaded)):
            idx = loaded[pos] % BLOCKS
            b = self.blocks.get(idx)
            lo = max(first_bit if pos == start else 0, 1 if idx == 0 else 0)  # skip :00:00:00
            if lo >= bitmap.BLOCK_BITS:
                continue
            bit = lo if b is None else bitmap.first_clear(b, lo, bitmap.BLOCK_BITS - 1)
            if bit is not None:
                bitmap.set_bit(self._block(idx), bit)
                self._cursor = (loaded, pos, bit + 1)
                return mac_at(self.oui, (idx << 8) | bit)
        self._cursor = (loaded, len(loaded), 0)
        return None

    def release(self, mac: str) -> bool:
        try:
            mac = normalize(mac)
        except InvalidInput:
            return False
        off = offset_in(self.oui, mac)
        if off is None:
            self.foreign.append(mac)
            return True
        b = self.blocks.get(off >> 8)
        if b is None or not bitmap.is_set(b, off & 0xFF):
            return False
        bitmap.clear_bit(self._block(off >> 8), off & 0xFF)
        self._cursor = None
        return True


def in_use(mac: str) -> Conflict:
    return Conflict(f"Unable to complete operation for network. The mac address {mac} is in use.",
                    reason="MacAddressInUse")


def exhausted() -> Exhausted:
    return Exhausted("Unable to generate a unique MAC address.", reason="MacAddressGenerationFailure")
