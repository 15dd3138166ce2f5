"""A watch-fed copy of one resource family, for listing.

Listing 1,000 ports from etcd is a range read of 1,000 keys (~65 ms of etcd's
time on the benchmark machine) every page; a filtered list is an index scan
and then point reads. A service that lists a family often keeps a mirror:
the family (and side records keyed by the same id, a port's status) listed
once and then watched, with in-memory indexes.

Reads stay consistent (linearizable), as Kubernetes' consistent reads from
its watch cache: a read first asks etcd for its current revision, then waits
until the mirror has applied everything up to it. The mirror watches every
key (runtime/watch.py, every_revision) so that each revision is an event it
sees, even when nothing of its own changed. A mirror that is not ready or
does not catch up in time says so, and the caller reads etcd instead. etcd
stays the only source of truth; the mirror is a view of it, rebuilt from a
list after any watch failure.
"""
from __future__ import annotations

import asyncio
import bisect
import logging
from typing import Callable, Generic, Iterable, TypeVar

from google.protobuf.message import Message

from runtime.store import KV, Store
from runtime.watch import Change, list_and_watch

log = logging.getLogger("alcor.mirror")

M = TypeVar("M", bound=Message)
# How long a read waits for the mirror to catch up before reading etcd.
CATCH_UP_SECONDS = 0.5


class Mirror(Generic[M]):
    def __init__(self, store: Store, prefix: bytes, decode: Callable[[KV], M],
                 indexes: Iterable[str] = (), side_prefix: bytes = b"",
                 side_decode: Callable[[bytes], object] | None = None):
        self.store = store
        self.prefix, self.decode = prefix, decode
        self.indexes = tuple(indexes)
        self.side_prefix, self.side_decode = side_prefix, side_decode
        self.items: dict[str, M] = {}
        self.ids: list[str] = []  # sorted: key order is id order
        self.side: dict[str, object] = {}
        # attr -> value -> sorted ids (kept sorted on every change: a
        # project's index can hold 100,000 ids, paged from a marker).
        self.by: dict[str, dict[str, list[str]]] = {a: {} for a in self.indexes}
        self.revision = 0
        self.ready = False
        self.snapshots = 0  # full lists taken (1, unless the watch broke)
        self._advanced = asyncio.Condition()

    async def run(self) -> None:
        prefixes = [self.prefix] + ([self.side_prefix] if self.side_prefix else [])
        await list_and_watch(self.store, prefixes, self._on_snapshot, self._on_changes,
                             every_revision=True)

    # --- keeping up ----------------------------------------------------------

    async def _on_snapshot(self, listed: dict[bytes, list[KV]], revision: int) -> None:
        self.ready = False
        self.snapshots += 1
        self.items, self.side = {}, {}
        self.by = {a: {} for a in self.indexes}
        for kv in listed[self.prefix]:  # in key order, i.e. id order
            m = self.decode(kv)
            self.items[m.id] = m
            self._index(m, add=True)
        self.ids = list(self.items)  # already sorted: listed in key order
        for kv in listed.get(self.side_prefix, ()) if self.side_prefix else ():
            self.side[_id_of(kv.key)] = self.side_decode(kv.value)
        await self._advance(revision)
        self.ready = True

    async def _on_changes(self, changes: list[Change], revision: int) -> None:
        for c in changes:
            rid = _id_of(c.key)
            if c.key.startswith(self.prefix):
                old = self.items.pop(rid, None)
                if old is not None:
                    self._index(old, add=False)
                if c.value is None:
                    if old is not None:
                        i = bisect.bisect_left(self.ids, rid)
                        if i < len(self.ids) and self.ids[i] == rid:
                            del self.ids[i]
                    continue
                m = self.decode(KV(c.key, c.value, c.mod_revision, 0))
                self.items[rid] = m
                self._index(m, add=True)
                if old is None:
                    bisect.insort(self.ids, rid)
            elif c.value is None:
                self.side.pop(rid, None)
            else:
                self.side[rid] = self.side_decode(c.value)
        await self._advance(revision)

    def _index(self, m: M, add: bool) -> None:
        for attr in self.indexes:
            value = getattr(m, attr)
            values = value if hasattr(value, "extend") else (value,)
            per = self.by[attr]
            for v in values:
                if not v:
                    continue
                ids = per.get(v)
                if add:
                    if ids is None:
                        per[v] = [m.id]
                    else:
                        i = bisect.bisect_left(ids, m.id)
                        if i == len(ids) or ids[i] != m.id:
                            ids.insert(i, m.id)
                elif ids is not None:
                    i = bisect.bisect_left(ids, m.id)
                    if i < len(ids) and ids[i] == m.id:
                        del ids[i]
                        if not ids:
                            del per[v]

    async def _advance(self, revision: int) -> None:
        async with self._advanced:
            self.revision = max(self.revision, revision)
            self._advanced.notify_all()

    async def caught_up(self, timeout: float = CATCH_UP_SECONDS) -> bool:
        """True once the mirror holds everything etcd held when this was
        called; False (read etcd instead) when not ready or not in time."""
        if not self.ready:
            return False
        wanted = await self.store.revision()
        if self.revision >= wanted:
            return True
        try:
            async with self._advanced:
                await asyncio.wait_for(
                    self._advanced.wait_for(lambda: self.revision >= wanted or not self.ready),
                    timeout)
        except asyncio.TimeoutError:
            log.info("mirror of %s behind (%d < %d): reading etcd", self.prefix, self.revision, wanted)
            return False
        return self.ready and self.revision >= wanted

    # --- reading (call right after caught_up, without awaiting between) ------

    def after(self, marker: str) -> Iterable[M]:
        """Every item in id order, after `marker`."""
        ids = self.ids
        i = bisect.bisect_right(ids, marker) if marker else 0
        items = self.items
        for rid in ids[i:]:
            yield items[rid]

    def ids_by(self, attr: str, value: str, after: str = "") -> list[str]:
        """Ids with attr == value, in id order, after `after` (possibly the
        mirror's own list: read it, do not change it)."""
        ids = self.by[attr].get(value, [])
        return ids[bisect.bisect_right(ids, after):] if after else ids

    def each(self, ids: Iterable[str]) -> Iterable[M]:
        """The items of `ids` that exist, in that order, lazily (a page
        stops reading as soon as it is full)."""
        items = self.items
        for i in ids:
            m = items.get(i)
            if m is not None:
                yield m


def _id_of(key: bytes) -> str:
    return key.rsplit(b"/", 1)[1].decode()
