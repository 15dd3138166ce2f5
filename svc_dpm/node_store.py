"""Persistence of the host registry: a key per node and a unique-name key,
written together."""
from __future__ import annotations

from alcor.v1 import node_pb2
from runtime import context, keys
from runtime.errors import Conflict, InUse
from runtime.resources import ResourceStore, apply_mask, check_revision, now
from runtime.retry import on_conflict
from runtime.store import Absent, Delete, EmptyRange, Put, Store, StoreConflict
from svc_dpm import nodes as nodelogic


def _name_key(name: str) -> bytes:
    return keys.unique("nodes", "name", name)


def _name_in_use(name: str) -> Conflict:
    return Conflict(f"A node named {name} already exists.", reason="NodeNameInUse")


class NodeStore:
    def __init__(self, store: Store, default_project: str):
        self.store = store
        self.default_project = default_project
        self.nodes = ResourceStore(store, "nodes", node_pb2.Node, "Node")

    async def create(self, reqs: list[node_pb2.Node]) -> list[node_pb2.Node]:
        project = context.current().project_id or self.default_project
        created = [nodelogic.new_node(r, project) for r in reqs]
        names = [n.name for n in created]
        if len(set(names)) != len(names):
            dup = next(x for x in names if names.count(x) > 1)
            raise _name_in_use(dup)
        units = []
        for n in created:
            u = self.nodes.create_unit(n)
            u.guards.append(Absent(_name_key(n.name)))
            # The name key holds the whole node, so a look-up by name (every
            # bound port's create) is one read.
            u.writes.append(Put(_name_key(n.name), n.SerializeToString()))
            units.append(u)
        try:
            revs = await self.store.create_all(units)
        except StoreConflict as e:
            taken = [n.name for n in created if _name_key(n.name) in e.current]
            if taken:
                raise _name_in_use(taken[0]) from None
            raise
        for n, r in zip(created, revs):
            n.revision_number = r
        return created

    async def get(self, node_id: str) -> node_pb2.Node:
        return await self.nodes.get(node_id)

    async def lookup(self, names: list[str], skip_missing: bool = False) -> list[node_pb2.Node]:
        """Nodes by name, in order; an unregistered name is an error (or,
        with skip_missing, left out)."""
        unique = list(dict.fromkeys(names))
        kvs = await self.store.get_many([_name_key(n) for n in unique])
        got = {}
        for n in unique:
            kv = kvs.get(_name_key(n))
            if kv is not None:
                got[n] = node_pb2.Node.FromString(kv.value)
                got[n].revision_number = kv.mod_revision
        out = []
        for n in names:
            node = got.get(n)
            if node is None:
                if skip_missing:
                    continue
                raise nodelogic.host_not_registered(n)
            out.append(node)
        return out

    @on_conflict
    async def update(self, node_id: str, patch: node_pb2.Node, paths: list[str],
                     if_revision: int) -> node_pb2.Node:
        old = await self.nodes.get(node_id)
        check_revision(old, if_revision, "node")
        new = node_pb2.Node()
        new.CopyFrom(old)
        apply_mask(new, patch, paths, nodelogic.UPDATABLE)
        nodelogic.check(new)
        new.updated_at = now()
        u = self.nodes.update_unit(new, old)
        if new.name != old.name:
            # Renaming would orphan the ports bound by the old name.
            ports = keys.index("ports", "binding_host_id", old.name)
            u.guards += [Absent(_name_key(new.name)), EmptyRange(ports)]
            u.writes += [Delete(_name_key(old.name)), Put(_name_key(new.name), new.SerializeToString())]
            try:
                new.revision_number = await self.store.commit(u)
            except StoreConflict as e:
                if _name_key(new.name) in e.current:
                    raise _name_in_use(new.name) from None
                if ports in e.current:
                    raise InUse(f"Node {old.name} has ports bound to it and cannot be renamed.",
                                reason="NodeInUse") from None
                raise
            return new
        u.writes.append(Put(_name_key(new.name), new.SerializeToString()))
        new.revision_number = await self.store.commit(u)
        return new

    @on_conflict
    async def delete(self, node_id: str, if_revision: int) -> None:
        n = await self.nodes.get(node_id)
        check_revision(n, if_revision, "node")
        ports = keys.index("ports", "binding_host_id", n.name)
        u = self.nodes.delete_unit(n)
        u.guards.append(EmptyRange(ports))
        u.writes.append(Delete(_name_key(n.name)))
        try:
            await self.store.commit(u)
        except StoreConflict as e:
            if ports in e.current:
                raise InUse(f"Node {n.name} has ports bound to it.", reason="NodeInUse") from None
            raise
