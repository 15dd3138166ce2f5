"""Port status from the data plane: what agents report becomes one
PortStatusRecord per port in etcd (ACTIVE, or ERROR with the agent's reason),
written in batches, only when it changes, and only while the port exists."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from alcor.v1 import goalstate_pb2 as gs
from runtime import keys
from runtime.batcher import GroupCommit
from runtime.store import MAX_TXN_OPS, Delete, Present, Put, Store, StoreConflict, Unit

log = logging.getLogger("alcor.svc_dpm.status")

OK = {gs.PROGRAMMING_STATUS_SUCCESS}
FAILED = {gs.PROGRAMMING_STATUS_FAILURE, gs.PROGRAMMING_STATUS_INVALID_ARG}


@dataclass(frozen=True)
class PortReport:
    port_id: str
    host: str
    status: str  # ACTIVE or ERROR
    reason: str
    port_revision: int


def from_resource_status(host: str, r: gs.ResourceStatus) -> PortReport | None:
    if r.type != gs.RESOURCE_TYPE_PORT:
        return None
    if r.status in OK:
        return PortReport(r.id, host, "ACTIVE", "", r.revision)
    if r.status in FAILED:
        return PortReport(r.id, host, "ERROR", r.reason or "programming failed", r.revision)
    return None  # PENDING / OUT_OF_ORDER: no verdict yet


class StatusWriter:
    def __init__(self, store: Store):
        self.store = store
        self._last: dict[str, tuple[str, str, str]] = {}
        self._batch = GroupCommit(self._write, max_batch=64)

    def known(self, records: dict[str, gs.PortStatusRecord]) -> None:
        """Seeds the change filter with what etcd already holds."""
        self._last = {pid: (r.host_name, r.status, r.reason) for pid, r in records.items()}

    async def report(self, reports: list[PortReport]) -> None:
        fresh = [r for r in reports if self._last.get(r.port_id) != (r.host, r.status, r.reason)]
        if fresh:
            await self._batch.submit(("put", fresh))

    async def forget(self, port_ids: list[str]) -> None:
        gone = [p for p in port_ids if self._last.pop(p, None) is not None]
        if gone:
            await self._batch.submit(("delete", gone))

    async def _write(self, calls) -> list:
        puts: dict[str, PortReport] = {}
        deletes: set[str] = set()
        for kind, items in calls:
            if kind == "put":
                for r in items:
                    puts[r.port_id] = r
            else:
                deletes.update(items)
        for p in deletes:
            puts.pop(p, None)
        units = [Unit([Present(keys.resource("ports", r.port_id))],
                      [Put(keys.port_status(r.port_id), gs.PortStatusRecord(
                          status=r.status, reason=r.reason, host_name=r.host,
                          port_revision=r.port_revision).SerializeToString())])
                 for r in puts.values()]
        units += [Unit([Present(keys.port_status(p))], [Delete(keys.port_status(p))]) for p in deletes]
        for i in range(0, len(units), MAX_TXN_OPS // 2):
            await self._commit_dropping_gone(units[i:i + MAX_TXN_OPS // 2])
        for r in puts.values():
            self._last[r.port_id] = (r.host, r.status, r.reason)
        return [None] * len(calls)

    async def _commit_dropping_gone(self, units: list[Unit]) -> None:
        """Commits the units together; a unit whose guard fails (the port was
        deleted, the status already gone) is dropped and the rest retried."""
        while units:
            merged = Unit([g for u in units for g in u.guards], [w for u in units for w in u.writes])
            try:
                await self.store.commit(merged)
                return
            except StoreConflict as e:
                units = [u for u in units if u.guards[0].key not in e.current]
