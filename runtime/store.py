"""The etcd store layer: the only code that speaks to etcd.

Every write is a compare transaction. A write unit names its guards (a key is
absent, a key is still at the mod_revision we read, a key range is empty) and
its puts/deletes; a failed compare is answered in the same round trip by the
failure branch, which reads every guarded key, so callers can tell "not found"
from "changed under us" without a second read.

Batches are packed into transactions of at most MAX_TXN_OPS operations (the
etcd's --max-txn-ops), and independent transactions go out concurrently so
etcd's raft can batch them.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import aetcd
from aetcd import rpc

from runtime import tracing
from runtime.config import Settings
from runtime.errors import Unavailable
from runtime.keys import prefix_end

ETCD_DEFAULT_TXN_OPS = 128  # etcd's own default --max-txn-ops


def max_txn_ops() -> int:
    """Operations a transaction may hold: what the etcd allows, as
    ALCOR_ETCD_MAX_TXN_OPS says (set beside its --max-txn-ops: the local
    cluster and the chart raise both to 512, and a bulk create of 10,000 ports
    then takes 79 transactions instead of 313, each costing etcd about as much
    as a small one)."""
    n = Settings.from_env().etcd_max_txn_ops
    if n < ETCD_DEFAULT_TXN_OPS:
        raise ValueError(f"ALCOR_ETCD_MAX_TXN_OPS={n}: below etcd's default of {ETCD_DEFAULT_TXN_OPS}")
    return n


MAX_TXN_OPS = max_txn_ops()
# How many transactions of one batch are in flight at once.
TXN_CONCURRENCY = 8


@dataclass(frozen=True, slots=True)
class KV:
    key: bytes
    value: bytes
    mod_revision: int
    version: int


# --- guards: what must hold for a transaction to apply ---------------------


@dataclass(frozen=True, slots=True)
class Absent:
    """The key does not exist (create)."""

    key: bytes


@dataclass(frozen=True, slots=True)
class At:
    """The key is still at `mod_revision` (update/delete). 0 means absent."""

    key: bytes
    mod_revision: int


@dataclass(frozen=True, slots=True)
class Present:
    """The key exists, whatever its revision."""

    key: bytes


@dataclass(frozen=True, slots=True)
class Holds:
    """The key exists and holds exactly `value` (a bitmap block as last
    decided: its revision is not known to whoever decided it)."""

    key: bytes
    value: bytes


@dataclass(frozen=True, slots=True)
class EmptyRange:
    """No key starts with `prefix`."""

    prefix: bytes


Guard = Absent | At | Present | Holds | EmptyRange


# --- writes -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Put:
    key: bytes
    value: bytes
    lease: int = 0  # expires with this etcd lease when non-zero


@dataclass(frozen=True, slots=True)
class Delete:
    key: bytes


@dataclass(frozen=True, slots=True)
class DeleteRange:
    prefix: bytes


Write = Put | Delete | DeleteRange


@dataclass(slots=True)
class Unit:
    """Guards and writes that must apply together (one resource, say)."""

    guards: list[Guard] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)


def merge(units: Iterable[Unit]) -> Unit:
    """Units as one, each distinct guard once (many ports of one network
    guard it alike): what one transaction of them compares and writes."""
    guards: dict[Guard, None] = {}
    writes: list[Write] = []
    for u in units:
        guards.update(dict.fromkeys(u.guards))
        writes.extend(u.writes)
    return Unit(list(guards), writes)


class StoreConflict(Exception):
    """A guard did not hold. `current` maps each guarded key to what is there
    now (None when absent); for EmptyRange guards, the first key found."""

    def __init__(self, current: dict[bytes, KV | None]):
        super().__init__(f"compare failed on {len(current)} key(s)")
        self.current = current


def _kv(m) -> KV:
    return KV(m.key, m.value, m.mod_revision, m.version)


def _compare(g: Guard) -> rpc.Compare:
    c = rpc.Compare(key=g.key if not isinstance(g, EmptyRange) else g.prefix)
    if isinstance(g, Absent):
        c.target, c.result, c.version = rpc.Compare.VERSION, rpc.Compare.EQUAL, 0
    elif isinstance(g, At):
        c.target, c.result, c.mod_revision = rpc.Compare.MOD, rpc.Compare.EQUAL, g.mod_revision
    elif isinstance(g, Present):
        c.target, c.result, c.version = rpc.Compare.VERSION, rpc.Compare.GREATER, 0
    elif isinstance(g, Holds):
        c.target, c.result, c.value = rpc.Compare.VALUE, rpc.Compare.EQUAL, g.value
    else:
        # A range compare holds for every key in the range; with no key in it,
        # etcd compares against an empty key, whose version is 0.
        c.range_end = prefix_end(g.prefix)
        c.target, c.result, c.version = rpc.Compare.VERSION, rpc.Compare.EQUAL, 0
    return c


def _write_op(w: Write) -> rpc.RequestOp:
    if isinstance(w, Put):
        return rpc.RequestOp(request_put=rpc.PutRequest(key=w.key, value=w.value, lease=w.lease))
    if isinstance(w, Delete):
        return rpc.RequestOp(request_delete_range=rpc.DeleteRangeRequest(key=w.key))
    return rpc.RequestOp(
        request_delete_range=rpc.DeleteRangeRequest(key=w.prefix, range_end=prefix_end(w.prefix))
    )


def _read_back(g: Guard) -> rpc.RequestOp:
    if isinstance(g, EmptyRange):
        return rpc.RequestOp(
            request_range=rpc.RangeRequest(key=g.prefix, range_end=prefix_end(g.prefix), limit=1)
        )
    return rpc.RequestOp(request_range=rpc.RangeRequest(key=g.key))


class Store:
    """An etcd client bound to one cluster. Cheap to share within a process."""

    def __init__(self, endpoint: str, timeout: float = 10.0):
        host, _, port = endpoint.rpartition(":")
        self.endpoint = endpoint
        self._timeout = timeout
        self._client = aetcd.Client(
            host=host or "127.0.0.1",
            port=int(port),
            timeout=timeout,
            options={
                "grpc.max_receive_message_length": 256 * 1024 * 1024,
                "grpc.max_send_message_length": 64 * 1024 * 1024,
            },
        )

    async def connect(self) -> None:
        await self._client.connect()

    async def close(self) -> None:
        await self._client.close()

    @property
    def client(self) -> aetcd.Client:
        """The underlying aetcd client (watches use it directly)."""
        return self._client

    async def _call(self, method: str, request):
        await self._client.connect()
        stub = self._client.kvstub
        # etcd is a hop like any other: its round trips show in the trace.
        with tracing.client_span(f"etcd {method}"):
            try:
                return await getattr(stub, method)(
                    request, timeout=self._timeout, metadata=self._client.metadata
                )
            except rpc.AioRpcError as e:
                raise Unavailable(f"etcd {method} failed: {e.code().name}: {e.details()}") from e

    async def ready(self) -> bool:
        """True when etcd answers a read."""
        try:
            await self._call("Range", rpc.RangeRequest(key=b"/alcor/", limit=1, keys_only=True))
            return True
        except Unavailable:
            return False

    # --- reads ---------------------------------------------------------------

    async def get(self, key: bytes) -> KV | None:
        resp = await self._call("Range", rpc.RangeRequest(key=key))
        return _kv(resp.kvs[0]) if resp.kvs else None

    async def get_many(self, keys: Sequence[bytes]) -> dict[bytes, KV]:
        """Reads many keys: one transaction of range reads per MAX_TXN_OPS keys,
        so all of a chunk comes from one revision."""
        return (await self.read(keys=keys))[0]

    async def read(self, keys: Sequence[bytes] = (), prefixes: Sequence[bytes] = (),
                   windows: Sequence[tuple[bytes, bytes]] = ()) -> tuple[dict[bytes, KV], dict]:
        """Point reads, prefix reads and [start, end) windows in one round
        trip (one transaction, one revision) when they fit MAX_TXN_OPS.
        Returns (kv by key, {prefix or window: [kv...]})."""
        ops = [rpc.RequestOp(request_range=rpc.RangeRequest(key=k)) for k in keys]
        spans = list(prefixes) + list(windows)
        for sp in spans:
            start, end = (sp, prefix_end(sp)) if isinstance(sp, bytes) else sp
            ops.append(rpc.RequestOp(request_range=rpc.RangeRequest(key=start, range_end=end)))
        points: dict[bytes, KV] = {}
        ranged: dict = {sp: [] for sp in spans}
        if not ops:
            return points, ranged
        # More than one transaction holds: chunks of MAX_TXN_OPS, read
        # concurrently. Each chunk is one revision; callers guard their
        # writes on what they read, so chunks read apart cost at most a retry.
        chunks = [ops[i : i + MAX_TXN_OPS] for i in range(0, len(ops), MAX_TXN_OPS)]
        resps = await bounded_gather([self._call("Txn", rpc.TxnRequest(success=c)) for c in chunks])
        responses = [r for resp in resps for r in resp.responses]
        for i, r in enumerate(responses):
            kvs = [_kv(m) for m in r.response_range.kvs]
            if i < len(keys):
                if kvs:
                    points[kvs[0].key] = kvs[0]
            else:
                ranged[spans[i - len(keys)]] = kvs
        return points, ranged

    async def range(
        self,
        start: bytes,
        end: bytes,
        *,
        limit: int = 0,
        keys_only: bool = False,
        revision: int = 0,
        descending: bool = False,
    ) -> tuple[list[KV], bool, int]:
        """Keys in [start, end): (kvs, more, revision read at)."""
        req = rpc.RangeRequest(
            key=start, range_end=end, limit=limit, keys_only=keys_only, revision=revision
        )
        if descending:
            req.sort_order = rpc.RangeRequest.DESCEND
            req.sort_target = rpc.RangeRequest.KEY
        resp = await self._call("Range", req)
        return [_kv(m) for m in resp.kvs], resp.more, resp.header.revision

    async def prefix(self, prefix: bytes, *, keys_only: bool = False, limit: int = 0):
        return await self.range(prefix, prefix_end(prefix), keys_only=keys_only, limit=limit)

    async def scan(self, prefix: bytes, *, page: int = 2000, keys_only: bool = False):
        """Every key under `prefix`, read in pages (all from one revision)."""
        start, end, rev = prefix, prefix_end(prefix), 0
        out: list[KV] = []
        while True:
            kvs, more, at = await self.range(start, end, limit=page, keys_only=keys_only, revision=rev)
            rev = rev or at
            out.extend(kvs)
            if not more or not kvs:
                return out, rev
            start = kvs[-1].key + b"\0"

    async def grant_lease(self, ttl: int) -> int:
        await self._client.connect()
        try:
            resp = await self._client.leasestub.LeaseGrant(
                rpc.LeaseGrantRequest(TTL=ttl), timeout=self._timeout, metadata=self._client.metadata)
        except rpc.AioRpcError as e:
            raise Unavailable(f"etcd LeaseGrant failed: {e.code().name}") from e
        return resp.ID

    async def count(self, prefix: bytes) -> int:
        resp = await self._call("Range", rpc.RangeRequest(
            key=prefix, range_end=prefix_end(prefix), count_only=True))
        return resp.count

    async def revision(self) -> int:
        resp = await self._call("Range", rpc.RangeRequest(key=b"/alcor/", limit=1, keys_only=True))
        return resp.header.revision

    # --- writes --------------------------------------------------------------

    async def commit(self, unit: Unit) -> int:
        """Applies one unit atomically; returns the revision it was written at.
        Raises StoreConflict when a guard does not hold."""
        if not unit.guards:
            raise ValueError("every write is a compare transaction: a unit needs a guard")
        req = rpc.TxnRequest(
            compare=[_compare(g) for g in unit.guards],
            success=[_write_op(w) for w in unit.writes],
            failure=[_read_back(g) for g in unit.guards],
        )
        resp = await self._call("Txn", req)
        if resp.succeeded:
            return resp.header.revision
        current: dict[bytes, KV | None] = {}
        for g, r in zip(unit.guards, resp.responses):
            kvs = r.response_range.kvs
            if isinstance(g, EmptyRange):
                if kvs:
                    current[g.prefix] = _kv(kvs[0])
                continue
            kv = _kv(kvs[0]) if kvs else None
            ok = (
                (isinstance(g, Absent) and kv is None)
                or (isinstance(g, At) and (kv.mod_revision if kv else 0) == g.mod_revision)
                or (isinstance(g, Present) and kv is not None)
                or (isinstance(g, Holds) and kv is not None and kv.value == g.value)
            )
            if not ok:
                current[g.key] = kv
        return _raise(current)

    async def commit_many(self, units: Iterable[Unit], max_ops: int = MAX_TXN_OPS
                          ) -> list[tuple[Unit, int]]:
        """Packs units into transactions of at most max_ops operations and
        applies them concurrently. Each transaction is atomic on its own; when
        one fails, PartialCommit says which landed (with their revisions)."""
        return [(batch, rev) for _, batch, rev in await self._commit_packed(units, max_ops)]

    async def _commit_packed(self, units: Iterable[Unit], max_ops: int = MAX_TXN_OPS
                             ) -> list[tuple[list[Unit], Unit, int]]:
        """(its units, the transaction, its revision) for each transaction.
        A guard several units of one transaction share (the network, group
        and host that the ports of a bulk name alike) is compared once."""
        groups = pack(units, max_ops)
        batches = [merge(group) for group in groups]
        results = await bounded_gather([self.commit(b) for b in batches], return_exceptions=True)
        applied = [(g, b, r) for g, b, r in zip(groups, batches, results) if not isinstance(r, BaseException)]
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            raise PartialCommit(applied=[(b, r) for _, b, r in applied], error=failures[0])
        return applied

    async def create_all(self, units: list[Unit]) -> list[int]:
        """Creates resources all or none. Within one transaction that is etcd's
        own atomicity; across several, the transactions that landed are
        undone (each delete guarded by the revision it was written at) before
        the error is raised. Returns each unit's revision."""
        try:
            applied = await self._commit_packed(units)
        except PartialCommit as p:
            undo = [
                Unit(
                    guards=[At(w.key, rev) for w in batch.writes if isinstance(w, Put)],
                    writes=[Delete(w.key) for w in batch.writes if isinstance(w, Put)],
                )
                for batch, rev in p.applied
            ]
            await bounded_gather([self.commit(u) for u in undo if u.guards], return_exceptions=True)
            raise p.error from None
        # Each unit was written at the revision of the transaction that carried it.
        return [rev for group, _, rev in applied for _ in group]


class PartialCommit(Exception):
    """Some transactions of a batch failed; `applied` are those that landed."""

    def __init__(self, applied: list[Unit], error: BaseException):
        super().__init__(str(error))
        self.applied = applied
        self.error = error


def _raise(current: dict[bytes, KV | None]) -> int:
    raise StoreConflict(current)


def pack(units: Iterable[Unit], max_ops: int = MAX_TXN_OPS) -> list[list[Unit]]:
    """Consecutive units grouped so that each group fits one transaction
    (at most max_ops distinct guards, as merge compares them, and max_ops
    writes); a unit is never split."""
    groups: list[list[Unit]] = []
    cur: list[Unit] = []
    seen: set = set()
    writes = 0
    for u in units:
        new = [g for g in dict.fromkeys(u.guards) if g not in seen]
        if cur and (len(seen) + len(new) > max_ops or writes + len(u.writes) > max_ops):
            groups.append(cur)
            cur, seen, writes = [], set(), 0
            new = list(dict.fromkeys(u.guards))
        cur.append(u)
        seen.update(new)
        writes += len(u.writes)
    if cur:
        groups.append(cur)
    return groups


async def bounded_gather(coros, return_exceptions: bool = False):
    """Runs the coroutines at most TXN_CONCURRENCY at a time."""
    sem = asyncio.Semaphore(TXN_CONCURRENCY)

    async def run(c):
        async with sem:
            return await c

    return await asyncio.gather(*(run(c) for c in coros), return_exceptions=return_exceptions)
