"""Retry-safe creates. A create names itself with a key (the request id, or
an explicit per-call idempotency key); its outcome is recorded under that key
in the same etcd transaction(s) as the work, and a retry with the same key
gets the recorded outcome instead of allocating again. Records expire with
an etcd lease (an hour by default), long past any retry."""
from __future__ import annotations

import time

from runtime import context, keys
from runtime.store import Absent, Put, Store, Unit

TTL_SECONDS = 3600
LEASE_ROTATE_SECONDS = 600


class Idempotency:
    def __init__(self, store: Store, family: str):
        self.store = store
        self.family = family
        self._lease = 0
        self._lease_at = 0.0

    @staticmethod
    def create_key() -> str:
        """For a top-level create: the explicit key, else the caller's request id."""
        ctx = context.current()
        return ctx.idempotency_key or (ctx.request_id if ctx.request_id_given else "")

    @staticmethod
    def call_key() -> str:
        """For an internal call (IP or MAC allocation): only an explicit key,
        since one request may allocate several times (an update's retries)."""
        return context.current().idempotency_key

    def _key(self, k: str) -> bytes:
        return keys.request_record(self.family, k)

    async def recorded(self, k: str) -> bytes | None:
        if not k:
            return None
        kv = await self.store.get(self._key(k))
        return kv.value if kv else None

    async def recorded_many(self, ks: list[str]) -> dict[str, bytes]:
        ks = [k for k in ks if k]
        got = await self.store.get_many([self._key(k) for k in ks])
        return {k: got[self._key(k)].value for k in ks if self._key(k) in got}

    def record_key(self, k: str) -> bytes:
        return self._key(k)

    async def _current_lease(self) -> int:
        # One lease per process per rotation period: records written within
        # it expire together, TTL to TTL + rotation after being written.
        now = time.monotonic()
        if not self._lease or now - self._lease_at > LEASE_ROTATE_SECONDS:
            self._lease = await self.store.grant_lease(TTL_SECONDS + LEASE_ROTATE_SECONDS)
            self._lease_at = now
        return self._lease

    async def record_unit(self, k: str, outcome: bytes) -> Unit:
        """The guard and write that record `outcome` under `k`; commit it with
        the work. A concurrent duplicate fails its guard and, retried, finds
        the record."""
        return Unit([Absent(self._key(k))], [Put(self._key(k), outcome, await self._current_lease())])


class Replayed(list):
    """An allocation answered from its record (a retry of a call that
    finished), not made now: whoever no longer needs it must not give it
    back, since it belongs to the first call."""


def plan_batch(keyed: list[tuple[object, str]], recorded=frozenset()):
    """The calls of an allocation batch that need the work: duplicates of one
    key in the batch (a retry racing its original) become one call whose
    outcome they share, and a call whose key was recorded needs none.
    Returns (calls, their keys, slot per input: index into calls, or None
    for a recorded one)."""
    first: dict[str, int] = {}
    calls, call_keys, slot = [], [], []
    for c, k in keyed:
        if k in recorded:
            slot.append(None)
        elif k and k in first:
            slot.append(first[k])
        else:
            if k:
                first[k] = len(calls)
            slot.append(len(calls))
            calls.append(c)
            call_keys.append(k)
    return calls, call_keys, slot
