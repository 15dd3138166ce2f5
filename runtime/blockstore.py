"""Writing changed allocation bitmaps back to etcd, shared by svc_ip and
svc_mac. Each group (a subnet's blocks, say) is one unit guarded by the
revisions the blocks were read at. Groups that fit go in one transaction;
more are packed into as few transactions as hold them, committed
concurrently, and if one conflicts, the groups that landed are undone bit by
bit (our bits only: someone may have built on top of them meanwhile) before
the conflict propagates to the retry loop."""
from __future__ import annotations

from dataclasses import dataclass

from runtime import bitmap
from runtime.store import (MAX_TXN_OPS, Absent, At, Delete, Guard, Holds, Put, Store, StoreConflict, Unit,
                           bounded_gather, merge, pack)

UNDO_ATTEMPTS = 50


@dataclass(frozen=True)
class BlockChange:
    key: bytes
    before: bytes | None  # None: the key did not exist
    before_rev: int  # 0: not known (the block as our own reservation left it)
    after: bytes  # an all-zero block is deleted


def _guard(c: BlockChange) -> Guard:
    if c.before is None:
        return Absent(c.key)
    return At(c.key, c.before_rev) if c.before_rev else Holds(c.key, c.before)


def _unit(guards: list[Guard], changes: list[BlockChange]) -> Unit:
    u = Unit(guards=list(guards))
    for c in changes:
        u.guards.append(_guard(c))
        u.writes.append(Delete(c.key) if bitmap.is_empty(c.after) else Put(c.key, c.after))
    return u


async def write_blocks(store: Store, groups: list[tuple[list[Guard], list[BlockChange]]],
                       extra: list[Unit] | None = None) -> int | None:
    """`extra` units (idempotency records) are committed with the first group.
    Returns the revision every written block now has when all went in one
    transaction (what a caller's cache of blocks needs), else None."""
    changed = [(g, c) for g, c in groups if c]
    units = [_unit(g, c) for g, c in changed]
    if extra:
        units[:1] = [merge(units[:1] + list(extra))]
    if not units:
        return None
    whole = merge(units)
    if len(whole.guards) <= MAX_TXN_OPS and len(whole.writes) <= MAX_TXN_OPS:
        return await store.commit(whole)
    # A bulk over many subnets: a few transactions, not one per subnet.
    changes_of = {id(u): c for u, (_, c) in zip(units, changed)}  # (extra alone: none)
    batches = pack(units)
    results = await bounded_gather([store.commit(merge(b)) for b in batches], return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    if not failures:
        return None
    conflict = next((f for f in failures if isinstance(f, StoreConflict)), None)
    if conflict is None:
        raise failures[0]
    for batch, r in zip(batches, results):
        if not isinstance(r, BaseException):
            for u in batch:
                for c in changes_of.get(id(u), ()):
                    await _undo(store, c)
    raise conflict


async def _undo(store: Store, c: BlockChange) -> None:
    before = c.before or bytes(bitmap.BLOCK_BYTES)
    for _ in range(UNDO_ATTEMPTS):
        kv = await store.get(c.key)
        cur = bytearray(kv.value if kv else bitmap.empty())
        for i in range(bitmap.BLOCK_BYTES):
            added = c.after[i] & ~before[i]
            removed = before[i] & ~c.after[i]
            cur[i] = (cur[i] & ~added | removed) & 0xFF
        guard = At(c.key, kv.mod_revision) if kv else Absent(c.key)
        write = Delete(c.key) if bitmap.is_empty(cur) else Put(c.key, bytes(cur))
        if kv is None and bitmap.is_empty(cur):
            return
        try:
            await store.commit(Unit([guard], [write]))
            return
        except StoreConflict:
            continue
    raise StoreConflict({c.key: None})


Known = dict[int, tuple[bytes, int]]  # block index -> (bitmap, mod_revision or 0)


class KnownBlocks:
    """Allocation blocks as this replica last read or wrote them, in groups
    read whole (a subnet's blocks, a window of MAC blocks): an index missing
    from a known group was absent, i.e. all free.

    A first attempt allocates from these without reading; its compare
    transaction (At the revisions noted, Absent where nothing was) decides
    whether they were still current. A conflict means another replica or a
    release moved on: the caller forgets the group and reads it afresh. So a
    stale entry costs one wasted attempt, never a wrong allocation.

    A reservation (decided here, committed by the caller) leaves its blocks
    as it decided them, with revision 0: the next decision guards on their
    value (Holds), so it chains on the reservation and fails, harmlessly,
    if that one never landed."""

    def __init__(self) -> None:
        self._groups: dict[object, Known] = {}

    def get(self, group) -> Known | None:
        return self._groups.get(group)

    def remember(self, group, blocks: Known) -> None:
        self._groups[group] = dict(blocks)

    def written(self, group, changes: list[tuple[int, bytes]], revision: int | None) -> None:
        """Our own write of `changes` (index, bitmap after) landed at
        `revision` (None: in several transactions, so forget the group)."""
        known = self._groups.get(group)
        if known is None or not changes:
            return
        if revision is None:
            self.forget(group)
            return
        for idx, after in changes:
            if idx in known and known[idx][1] > revision:
                continue  # something newer was noted meanwhile
            if bitmap.is_empty(after):
                known.pop(idx, None)
            else:
                known[idx] = (bytes(after), revision)

    def reserved(self, group, changes: list[tuple[int, bytes]]) -> None:
        """Our reservation of `changes` (index, bitmap after) went out; its
        revision is the committer's to know."""
        known = self._groups.get(group)
        if known is None:
            return
        for idx, after in changes:
            known[idx] = (bytes(after), 0)

    def forget(self, group) -> None:
        self._groups.pop(group, None)


class PerChain:
    """Knowledge per reservation chain (a caller's), the least recently used
    forgotten past `capacity`: a caller that went away leaves nothing
    behind for long, and forgetting costs at most one fresh read."""

    def __init__(self, make, capacity: int = 32):
        self._make, self._capacity = make, capacity
        self._chains: dict[str, tuple[object, int]] = {}

    def of(self, chain: str, fresh: bool = False, seq: int = 0):
        """The chain's knowledge and whether it is new. Started over when
        asked `fresh` (what it held of reservations not committed is gone,
        as its caller's are) or when `seq` does not follow the last request
        served here (another replica served the one between: what is known
        here is behind the chain)."""
        k, last = self._chains.pop(chain, (None, -1))
        if fresh or (seq and seq != last + 1):
            k = None
        new = k is None
        if new:
            k = self._make()
            if len(self._chains) >= self._capacity:
                self._chains.pop(next(iter(self._chains)))
        self._chains[chain] = (k, seq)
        return k, new
