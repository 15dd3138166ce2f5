"""List, then watch from list revision + 1; on compaction or error, list
again (the Calico/etcd pattern). Each watch response's events arrive as one
batch with the revision they bring the view to, so a consumer can coalesce.

With `every_revision`, the watch covers the whole keyspace (and hands on only
the prefixes' changes): every revision etcd makes is an event the consumer
sees, so "seen revision R" proves "holds everything up to R". (Requested
progress notifications would say the same more cheaply, but etcd before
3.4.24/3.5.8 may send them ahead of pending events: etcd-io/etcd#15220.)"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Awaitable, Callable

import grpc
from aetcd import rpc

from runtime.keys import prefix_end
from runtime.store import KV, Store

log = logging.getLogger("alcor.watch")


@dataclass(frozen=True, slots=True)
class Change:
    key: bytes
    value: bytes | None  # None: deleted
    mod_revision: int


OnSnapshot = Callable[[dict[bytes, list[KV]], int], Awaitable[None]]
OnChanges = Callable[[list[Change], int], Awaitable[None]]


async def list_and_watch(store: Store, prefixes: list[bytes], on_snapshot: OnSnapshot,
                         on_changes: OnChanges, stop: asyncio.Event | None = None,
                         every_revision: bool = False) -> None:
    stop = stop or asyncio.Event()
    backoff = 0.05
    while not stop.is_set():
        try:
            rev = await store.revision()
            listed = {}
            for p in prefixes:
                kvs, _ = await _scan_at(store, p, rev)
                listed[p] = kvs
            await on_snapshot(listed, rev)
            await _watch(store, prefixes, rev + 1, on_changes, stop, every_revision)
            backoff = 0.05
        except asyncio.CancelledError:
            raise
        except Exception as e:  # etcd gone, compaction, stream reset: list again
            log.warning("watch restarting after %r", e)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 2.0)


async def _scan_at(store: Store, prefix: bytes, rev: int):
    start, end, out = prefix, prefix_end(prefix), []
    while True:
        kvs, more, _ = await store.range(start, end, limit=2000, revision=rev)
        out.extend(kvs)
        if not more or not kvs:
            return out, rev
        start = kvs[-1].key + b"\0"


class Compacted(Exception):
    pass


async def _watch(store: Store, prefixes: list[bytes], start_rev: int, on_changes: OnChanges,
                 stop: asyncio.Event, every_revision: bool = False) -> None:
    await store.client.connect()
    stub = rpc.WatchStub(store.client.channel)
    requests: asyncio.Queue = asyncio.Queue()
    ranges = [(b"\0", b"\0")] if every_revision else [(p, prefix_end(p)) for p in prefixes]
    wanted = tuple(prefixes)
    for key, end in ranges:
        requests.put_nowait(rpc.WatchRequest(create_request=rpc.WatchCreateRequest(
            key=key, range_end=end, start_revision=start_rev, progress_notify=True)))

    async def request_iter():
        while True:
            r = await requests.get()
            if r is None:
                return
            yield r

    call = stub.Watch(request_iter(), metadata=store.client.metadata)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        while True:
            nxt = asyncio.ensure_future(call.read())
            done, _ = await asyncio.wait({nxt, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if stopper in done:
                nxt.cancel()
                return
            resp = nxt.result()
            if resp is grpc.aio.EOF:
                raise ConnectionError("watch stream ended")
            if resp.compact_revision:
                raise Compacted(resp.compact_revision)
            if resp.canceled:
                raise ConnectionError(f"watch canceled: {resp.cancel_reason}")
            if resp.events and every_revision:
                # The revision of the last event, not the header's: the
                # header may count revisions whose events come next.
                changes = [Change(e.kv.key, e.kv.value if e.type == 0 else None, e.kv.mod_revision)
                           for e in resp.events if e.kv.key.startswith(wanted)]
                await on_changes(changes, resp.events[-1].kv.mod_revision)
            elif resp.events:
                changes = [Change(e.kv.key, e.kv.value if e.type == 0 else None, e.kv.mod_revision)
                           for e in resp.events]
                await on_changes(changes, resp.header.revision)
    finally:
        stopper.cancel()
        call.cancel()
