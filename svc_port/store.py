"""svc_port's persistence: port records with their secondary indexes
(network_id, device_id, binding:host_id, project_id), guarded so a port
cannot land on a network or host that was deleted meanwhile, and a
pending-release record written with each delete."""
from __future__ import annotations

from alcor.v1 import goalstate_pb2, port_pb2
from runtime import keys
from runtime.mirror import Mirror
from runtime.resources import ResourceStore
from runtime.errors import NotFound
from runtime.store import Absent, At, Delete, Present, Put, Store, StoreConflict, Unit
from svc_dpm.nodes import host_not_registered
from svc_port.ports import port_status

# Index keys in etcd: the ones network, node and group deletes compare
# "no port under me" against. The mirror (what lists are served from) also
# indexes device_id and project_id; in etcd those cost a third of a bulk
# create's writes and would serve only lists while the mirror is not ready.
INDEXES = ("network_id", "device_id", "binding_host_id", "project_id", "security_groups")
STORED_INDEXES = tuple(a for a in INDEXES if a not in ("device_id", "project_id"))


def _status_from_mirror(p: port_pb2.Port, mirror: Mirror) -> None:
    # The mirror's own object: status is derived, recomputed on every read.
    p.status, p.status_reason = port_status(p, mirror.side.get(p.id) if p.binding_host_id else None)


def _status_from_record(p: port_pb2.Port, kv) -> None:
    rec = goalstate_pb2.PortStatusRecord.FromString(kv.value) if kv and p.binding_host_id else None
    p.status, p.status_reason = port_status(p, rec)


class PortStore:
    def __init__(self, store: Store):
        self.store = store
        self.ports = ResourceStore(store, "ports", port_pb2.Port, "Port", indexes=STORED_INDEXES,
                                   enrich=self.attach_status)
        self.ports.side = (keys.port_status, _status_from_record)

    def mirror(self) -> Mirror:
        """A watch-fed copy of the ports and their statuses that lists are
        served from (ResourceStore.list falls back to etcd while it is not
        ready). Run its `run()` in the background."""
        m = Mirror(self.store, keys.resources("ports"), self.ports.decode, INDEXES,
                   side_prefix=keys.PORT_STATUSES, side_decode=goalstate_pb2.PortStatusRecord.FromString)
        self.ports.mirror = m
        self.ports.enrich_from_mirror = _status_from_mirror
        return m

    async def attach_status(self, ports: list[port_pb2.Port]) -> None:
        """A port's status follows its data plane: svc_dpm records what the
        bound host's agent reported."""
        got = await self.store.get_many([keys.port_status(p.id) for p in ports if p.binding_host_id])
        for p in ports:
            _status_from_record(p, got.get(keys.port_status(p.id)))

    def _placement_guards(self, p: port_pb2.Port, network_revision: int) -> list:
        # Network and node deletes compare "no port indexed under me"; these
        # guards close the other half of that race. The network must still
        # be as looked up (its subnets decided the port's addresses).
        guards = [At(keys.resource("networks", p.network_id), network_revision)]
        if p.binding_host_id:
            guards.append(Present(keys.unique("nodes", "name", p.binding_host_id)))
        # A group delete compares "no port indexed under me"; this is the other half.
        guards += [Present(keys.resource("security_groups", g)) for g in p.security_groups]
        return guards

    def create_unit(self, p: port_pb2.Port, network_revision: int) -> Unit:
        """The port, its index keys and its placement guards."""
        u = self.ports.create_unit(p)
        u.guards += self._placement_guards(p, network_revision)
        return u

    @staticmethod
    def placement_error(ports: list[port_pb2.Port], current: dict) -> NotFound | None:
        """What a failed create's placement guards say went away (a fresh
        uuid cannot clash), or None when none of them failed."""
        for p in ports:
            for g in p.security_groups:
                if keys.resource("security_groups", g) in current:
                    return NotFound(f"Security group {g} does not exist", reason="SecurityGroupNotFound")
            k = keys.resource("networks", p.network_id)
            if k in current and current[k] is None:
                return NotFound(f"Network {p.network_id} could not be found.", reason="NetworkNotFound")
            if p.binding_host_id and keys.unique("nodes", "name", p.binding_host_id) in current:
                return host_not_registered(p.binding_host_id)
        return None

    async def create_all(self, ports: list[port_pb2.Port], network_revisions: dict[str, int],
                         extra: list[Unit] = ()) -> None:
        """Creates the ports all or none, with `extra` units (an idempotency
        record) in the same all-or-none batch."""
        units = list(extra) + [self.create_unit(p, network_revisions[p.network_id]) for p in ports]
        try:
            revs = await self.store.create_all(units)
        except StoreConflict as e:
            # What failed is a placement guard (or the idempotency record,
            # which the caller handles).
            err = self.placement_error(ports, e.current)
            if err is not None:
                raise err from None
            raise
        for p, r in zip(ports, revs[len(extra):]):
            p.revision_number = r

    async def update(self, new: port_pb2.Port, old: port_pb2.Port) -> None:
        u = self.ports.update_unit(new, old)
        if new.binding_host_id and new.binding_host_id != old.binding_host_id:
            u.guards.append(Present(keys.unique("nodes", "name", new.binding_host_id)))
        u.guards += [Present(keys.resource("security_groups", g))
                     for g in set(new.security_groups) - set(old.security_groups)]
        new.revision_number = await self.store.commit(u)

    async def delete(self, p: port_pb2.Port) -> None:
        """Deletes the port and, in the same transaction, records that its
        addresses are to be released."""
        u = self.ports.delete_unit(p)
        u.guards.append(Absent(keys.pending_release(p.id)))
        u.writes.append(Put(keys.pending_release(p.id), p.SerializeToString()))
        await self.store.commit(u)

    async def pending_releases(self) -> list[tuple[port_pb2.Port, int]]:
        kvs, _ = await self.store.scan(keys.PENDING_RELEASES)
        return [(port_pb2.Port.FromString(kv.value), kv.mod_revision) for kv in kvs]

    async def release_done(self, port_id: str, revision: int | None = None) -> None:
        key = keys.pending_release(port_id)
        if revision is None:
            kv = await self.store.get(key)
            if kv is None:
                return
            revision = kv.mod_revision
        try:
            await self.store.commit(Unit([At(key, revision)], [Delete(key)]))
        except Exception:
            pass  # another replica finished it first
