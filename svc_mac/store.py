"""svc_mac's persistence: bitmap blocks of the OUI space (a bulk of 10,000
MACs touches ~40 keys), and a key per requested MAC outside the OUI.

Free MACs come from a window of blocks starting at a random block, so two
replicas rarely contend for the same key."""
from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field

from alcor.v1 import mac_pb2
from runtime import bitmap, keys
from runtime.blockstore import BlockChange, KnownBlocks, PerChain, write_blocks
from runtime.errors import AlcorError, InvalidInput
from runtime.idempotency import Idempotency, Replayed, plan_batch
from runtime.retry import on_conflict
from runtime.store import Absent, At, Delete, Holds, Present, Put, Store, StoreConflict, Unit
from svc_mac import macs

Call = list[mac_pb2.MacRequest]
# Blocks (of 256 MACs) read beyond what a batch needs, so that later single
# allocations find room in what this replica already knows.
KNOWN_WINDOW_BLOCKS = 16
# Fresh windows a reservation tries before the space counts as full.
WINDOW_ATTEMPTS = 10


@dataclass
class _Known:
    """Blocks of a window as last read, decided or written (KnownBlocks)."""

    blocks: KnownBlocks = field(default_factory=KnownBlocks)
    window: range | None = None


def _in_window(changes: list[BlockChange], window: range) -> list[tuple[int, bytes]]:
    mine = []
    for c in changes:
        idx = int(c.key.rsplit(b"/", 1)[1], 16)
        if idx in window or idx + macs.BLOCKS in window:
            mine.append((idx, c.after))
    return mine


def _keys_of(u: Unit):
    return [g.key for g in u.guards] + [w.key for w in u.writes]


def _call_unit(alloc: macs.MacAllocator, touched, foreign) -> Unit:
    """One call's reservation: each block it touched guarded on its value
    before the call (Absent when new) and written as the call left it; each
    foreign MAC it took guarded absent."""
    u = Unit()
    for idx, before in touched.items():
        key = keys.mac_block(idx)
        u.guards.append(Absent(key) if before is None else Holds(key, bytes(before)))
        u.writes.append(Put(key, bytes(alloc.blocks[idx])))
    u.guards += [Absent(keys.foreign_mac(m)) for m in foreign]
    u.writes += [Put(keys.foreign_mac(m), b"") for m in foreign]
    return u


class _Unsure(Exception):
    """Known blocks refused a call: let the careful path (fresh reads) decide."""


class MacStore:
    def __init__(self, store: Store, oui: str, rng: random.Random | None = None):
        self.store = store
        self.oui = macs.parse_oui(oui)
        self.rng = rng or random.Random()
        self.idempotency = Idempotency(store, "macs")
        # The window of blocks last read whole, kept current by our own
        # writes (see KnownBlocks), for allocations that need no read; and
        # one per reservation chain (a caller's), each at its own random
        # place, so callers' reservations rarely share a block.
        self._own = _Known()
        self._chains = PerChain(_Known)
        # Reservations decide one at a time, each chain on its own window.
        self._reserving = asyncio.Lock()

    async def _read(self, idxs: set[int], window: range, foreign: list[str] = ()):
        """The blocks of `window`, the blocks of `idxs`, and which of the
        `foreign` MACs are taken, in one round trip."""
        lo, hi = window.start, window.stop
        spans = []
        if hi > lo:
            spans.append((keys.mac_block(lo), keys.mac_block(min(hi, macs.BLOCKS))))
            if hi > macs.BLOCKS:
                spans.append((keys.mac_block(0), keys.mac_block(hi - macs.BLOCKS)))
        extra = [i for i in idxs if not lo <= i < hi and not lo <= i + macs.BLOCKS < hi]
        points, ranged = await self.store.read(
            keys=[keys.mac_block(i) for i in extra] + [keys.foreign_mac(m) for m in foreign],
            windows=spans)
        out: dict[int, tuple[bytes, int]] = {}
        for kv in [*points.values(), *(kv for sp in spans for kv in ranged[sp])]:
            if kv.key.startswith(keys.MAC_BLOCKS):
                out[int(kv.key.rsplit(b"/", 1)[1], 16)] = (kv.value, kv.mod_revision)
        taken_foreign = [m for m in foreign if keys.foreign_mac(m) in points]
        return out, taken_foreign

    async def allocate(self, keyed: list[tuple[Call, str]]) -> list[list[str] | AlcorError]:
        """Allocates for each (requests, idempotency key) call; a call whose key
        was recorded gets its recorded MACs back.

        First from the window of blocks this replica last read (no read: one
        round trip, the write); when that does not fit, is stale, a key was
        recorded or a call is refused, the careful path reads and decides."""
        window = self._own.window
        if window is not None and self._own.blocks.get(window) is not None and self._fits(keyed, window):
            try:
                return await self._allocate_known(keyed, window)
            except (StoreConflict, _Unsure):
                self._own.blocks.forget(window)
                self._own.window = None
        return await self._allocate_read(keyed)

    def _fits(self, keyed: list[tuple[Call, str]], window: range) -> bool:
        for c, _ in keyed:
            for r in c:
                if not r.mac_address:
                    continue
                try:
                    off = macs.offset_in(self.oui, macs.normalize(r.mac_address))
                except InvalidInput:
                    return False
                if off is None or not (off >> 8 in window or (off >> 8) + macs.BLOCKS in window):
                    return False
        return True

    async def _allocate_known(self, keyed: list[tuple[Call, str]], window: range) -> list[list[str] | AlcorError]:
        # Keys are not looked up: a recorded one fails its Absent guard.
        calls, call_keys, slot = plan_batch(keyed)
        stored = {i % macs.BLOCKS: v for i, v in self._own.blocks.get(window).items()}
        outcomes = await self._decide_and_write(calls, call_keys, stored, window, [], strict=True)
        return [outcomes[i] for i in slot]

    @on_conflict
    async def _allocate_read(self, keyed: list[tuple[Call, str]]) -> list[list[str] | AlcorError]:
        recorded = await self.idempotency.recorded_many([k for _, k in keyed])
        calls, call_keys, slot = plan_batch(keyed, recorded)
        fresh = await self._allocate(calls, call_keys) if calls else []
        return [Replayed(mac_pb2.AllocateMacsResponse.FromString(recorded[k]).mac_addresses) if i is None else fresh[i]
                for (_, k), i in zip(keyed, slot)]

    async def _allocate(self, calls: list[Call], call_keys: list[str]) -> list[list[str] | AlcorError]:
        stored, window, existing_foreign = await self._read_state(calls, self._own)
        return await self._decide_and_write(calls, call_keys, stored, window, existing_foreign, strict=False)

    async def _read_state(self, calls: list[Call], know: "_Known"):
        """A fresh window of blocks with room for the calls, the blocks of
        the MACs they ask for, and which asked-for foreign MACs are taken
        (remembered: the next decision may start from the window)."""
        wanted_offsets, foreign = set(), []
        for c in calls:
            for r in c:
                if r.mac_address:
                    try:
                        mac = macs.normalize(r.mac_address)
                    except InvalidInput:
                        continue  # reported to that caller below
                    off = macs.offset_in(self.oui, mac)
                    if off is None:
                        foreign.append(mac)
                    else:
                        wanted_offsets.add(off >> 8)
        n_any = sum(1 for c in calls for r in c if not r.mac_address)
        start = self.rng.randrange(macs.BLOCKS)
        # Room for this batch and for the single allocations that follow it
        # from what this read leaves known.
        window = range(start, start + n_any // bitmap.BLOCK_BITS + KNOWN_WINDOW_BLOCKS)
        stored, existing_foreign = await self._read(wanted_offsets, window, foreign)
        know.blocks.remember(window, {i: v for i, v in stored.items()
                                      if i in window or i + macs.BLOCKS in window})
        know.window = window
        return stored, window, existing_foreign

    async def _decide_and_write(self, calls, call_keys, stored, window: range, existing_foreign,
                                strict: bool) -> list[list[str] | AlcorError]:
        alloc, outcomes, new_foreign = self._decide(calls, stored, window, existing_foreign, strict)
        if new_foreign:
            await self.store.commit(Unit([Absent(keys.foreign_mac(m)) for m in new_foreign],
                                         [Put(keys.foreign_mac(m), b"") for m in new_foreign]))
        records = [await self.idempotency.record_unit(
                       k, mac_pb2.AllocateMacsResponse(mac_addresses=o).SerializeToString())
                   for k, o in zip(call_keys, outcomes) if k and not isinstance(o, AlcorError)]
        changes = self._changes(alloc, stored)
        try:
            revision = await write_blocks(self.store, [([], changes)], records)
        except StoreConflict:
            if new_foreign:
                await self.store.commit(Unit([Present(keys.foreign_mac(m)) for m in new_foreign],
                                             [Delete(keys.foreign_mac(m)) for m in new_foreign]))
            raise
        self._note_written(changes, revision)
        return outcomes

    def _decide(self, calls, stored, window: range, existing_foreign, strict: bool,
                units: list | None = None):
        """The pure allocator decides each call, all or none per call.
        `strict` (deciding from known blocks): a refusal may be the
        knowledge's fault, so the careful path decides. A window that fills
        up raises StoreConflict: decide again from a fresh window. With
        `units`, each call's reservation is appended to it (chained on the
        calls before it; empty for a refused call)."""
        alloc = macs.MacAllocator(self.oui, {i: bytearray(v) for i, (v, _) in stored.items()}, window.start)
        alloc.foreign = list(existing_foreign)
        taken_foreign = list(alloc.foreign)

        outcomes: list[list[str] | AlcorError] = []
        for c in calls:
            alloc.begin()
            try:
                got = []
                for r in c:
                    mac = alloc.take(r.mac_address) if r.mac_address else alloc.next_free(window)
                    if mac is None:
                        # The window filled up: retry elsewhere.
                        raise StoreConflict({})
                    got.append(mac)
                touched, foreign = alloc.commit()
                outcomes.append(got)
                if units is not None:
                    units.append(_call_unit(alloc, touched, foreign))
            except AlcorError as e:
                if strict:
                    raise _Unsure() from e
                alloc.rollback()
                outcomes.append(e)
                if units is not None:
                    units.append(Unit())
        return alloc, outcomes, [m for m in alloc.foreign if m not in taken_foreign]

    # --- reservations ----------------------------------------------------------

    async def reserve(self, calls: list[Call], fresh: bool = False, chain: str = "", seq: int = 0
                      ) -> tuple[list[list[str] | AlcorError], list[Unit], list[bytes]]:
        """Decides each call as allocate does and writes nothing: returns the
        outcomes, per call the unit (block writes guarded by the blocks'
        state, foreign MACs guarded absent) that makes its MACs taken, for
        the caller to commit with whatever holds them, and the keys decided
        on as read now (a fresh window's). Chained on the chain's previous
        reservations unless `fresh` (see svc_ip's)."""
        async with self._reserving:
            know, new = self._chains.of(chain, fresh, seq)
            keyed = [(c, "") for c in calls]
            window = know.window
            if not new and window is not None and know.blocks.get(window) is not None \
                    and self._fits(keyed, window):
                stored = {i % macs.BLOCKS: v for i, v in know.blocks.get(window).items()}
                try:
                    return (*self._reserve_from(calls, stored, window, [], know, strict=True), [])
                except (StoreConflict, _Unsure):
                    pass
            for _ in range(WINDOW_ATTEMPTS):
                stored, window, existing_foreign = await self._read_state(calls, know)
                try:
                    outcomes, units = self._reserve_from(calls, stored, window, existing_foreign, know,
                                                         strict=False)
                    return outcomes, units, sorted({k for u in units for k in _keys_of(u)})
                except StoreConflict:
                    continue  # the window filled up: another one
            raise macs.exhausted()

    def _reserve_from(self, calls, stored, window: range, existing_foreign, know: "_Known", strict: bool):
        units: list[Unit] = []
        alloc, outcomes, _ = self._decide(calls, stored, window, existing_foreign, strict, units)
        know.blocks.reserved(window, _in_window(self._changes(alloc, stored), window))
        return outcomes, units

    def _note_written(self, changes: list[BlockChange], revision: int | None) -> None:
        if self._own.window is not None:
            self._own.blocks.written(self._own.window, _in_window(changes, self._own.window), revision)

    def _changes(self, alloc: macs.MacAllocator, stored) -> list[BlockChange]:
        out = []
        for idx in sorted(alloc.changed):
            old = stored.get(idx)
            out.append(BlockChange(keys.mac_block(idx), old[0] if old else None,
                                   old[1] if old else 0, bytes(alloc.blocks.get(idx) or bitmap.empty())))
        return out

    @on_conflict
    async def release(self, calls: list[list[str]]) -> list[int]:
        idxs, foreign = set(), []
        for c in calls:
            for m in c:
                try:
                    mac = macs.normalize(m)
                except InvalidInput:
                    continue
                off = macs.offset_in(self.oui, mac)
                if off is None:
                    foreign.append(mac)
                else:
                    idxs.add(off >> 8)
        stored, _ = await self._read(idxs, range(0, 0))
        alloc = macs.MacAllocator(self.oui, {i: bytearray(v) for i, (v, _) in stored.items()}, 0)
        counts = []
        for c in calls:
            alloc.begin()
            counts.append(sum(alloc.release(m) for m in c))
            alloc.commit()
        changes = self._changes(alloc, stored)
        self._note_written(changes, await write_blocks(self.store, [([], changes)]))
        present = await self.store.get_many([keys.foreign_mac(m) for m in set(foreign)])
        if present:
            await self.store.commit(Unit([At(k, kv.mod_revision) for k, kv in present.items()],
                                         [Delete(k) for k in present]))
        return counts

