"""Persistence of routers: a router record holds its attached subnets; a
unique key per attached subnet (a subnet serves at most one router, and a
subnet delete compares that key absent)."""
from __future__ import annotations

from alcor.v1 import port_pb2, router_pb2, subnet_pb2
from runtime import context, keys
from runtime.errors import Conflict, InUse, InvalidInput, NotFound
from runtime.resources import ResourceStore, apply_mask, check_revision, now
from runtime.retry import on_conflict
from runtime.store import Absent, Delete, Present, Put, Store, StoreConflict
from svc_vpc import routers as rlogic
from svc_vpc import subnets as sublogic
from svc_vpc.networks import owner_project


def attached_key(subnet_id: str) -> bytes:
    return keys.unique("routers", "subnet", subnet_id)


class RouterStore:
    def __init__(self, store: Store, default_project: str):
        self.store = store
        self.default_project = default_project
        self.routers = ResourceStore(store, "routers", router_pb2.Router, "Router", indexes=("project_id",))
        self.subnets = ResourceStore(store, "subnets", subnet_pb2.Subnet, "Subnet")

    async def create(self, reqs: list[router_pb2.Router]) -> list[router_pb2.Router]:
        made = [rlogic.new_router(r, owner_project(r.project_id or r.tenant_id, self.default_project))
                for r in reqs]
        revs = await self.store.create_all([self.routers.create_unit(r) for r in made])
        for r, rev in zip(made, revs):
            r.revision_number = rev
        return made

    async def get(self, router_id: str) -> router_pb2.Router:
        return await self.routers.get(router_id, rlogic.visible)

    @on_conflict
    async def update(self, router_id: str, patch, paths, if_revision: int) -> router_pb2.Router:
        old = await self.routers.get(router_id, rlogic.visible)
        check_revision(old, if_revision, "router")
        new = router_pb2.Router()
        new.CopyFrom(old)
        apply_mask(new, patch, paths, rlogic.UPDATABLE)
        if new.routes:
            raise InvalidInput("Static routes are not supported.", reason="BadRequest")
        if not new.HasField("admin_state_up"):
            new.admin_state_up = old.admin_state_up
        new.updated_at = now()
        new.revision_number = await self.store.commit(self.routers.update_unit(new, old))
        return new

    @on_conflict
    async def delete(self, router_id: str, if_revision: int) -> None:
        r = await self.routers.get(router_id, rlogic.visible)
        check_revision(r, if_revision, "router")
        if r.subnet_ids:
            raise InUse(f"Router {r.id} still has ports", reason="RouterInUse")
        await self.store.commit(self.routers.delete_unit(r))

    async def _subnet_of(self, subnet_id: str, port_id: str) -> subnet_pb2.Subnet:
        if bool(subnet_id) == bool(port_id):
            raise InvalidInput("Either subnet_id or port_id must be specified", reason="BadRequest")
        if port_id:
            kv = await self.store.get(keys.resource("ports", port_id))
            port = port_pb2.Port.FromString(kv.value) if kv else None
            if port is None or not context.visible(port.project_id) or not port.fixed_ips:
                raise NotFound(f"Port {port_id} could not be found.", reason="PortNotFound")
            subnet_id = port.fixed_ips[0].subnet_id
        return await self.subnets.get(subnet_id, sublogic.visible)

    @on_conflict
    async def add_interface(self, router_id: str, subnet_id: str, port_id: str):
        r = await self.routers.get(router_id, rlogic.visible)
        s = await self._subnet_of(subnet_id, port_id)
        if sublogic.gateway_of(s) is None:
            raise InvalidInput(f"Bad router request: Subnet {s.id} does not have a gateway IP.",
                               reason="BadRequest")
        if s.id in r.subnet_ids:
            raise InvalidInput(f"Bad router request: Router already has a port on subnet {s.id}.",
                               reason="BadRequest")
        if r.network_id and r.network_id != s.network_id:
            raise InvalidInput(f"Bad router request: router {r.id} serves network {r.network_id}; "
                               f"subnet {s.id} is on network {s.network_id}.", reason="BadRequest")
        new = router_pb2.Router()
        new.CopyFrom(r)
        new.subnet_ids.append(s.id)
        new.network_id = s.network_id
        new.updated_at = now()
        u = self.routers.update_unit(new, r)
        u.guards += [Absent(attached_key(s.id)), Present(keys.resource("subnets", s.id))]
        u.writes.append(Put(attached_key(s.id), r.id.encode()))
        try:
            await self.store.commit(u)
        except StoreConflict as e:
            if attached_key(s.id) in e.current:
                raise Conflict(f"Subnet {s.id} is already attached to a router.",
                               reason="RouterInterfaceInUse") from None
            raise
        return new, s

    @on_conflict
    async def remove_interface(self, router_id: str, subnet_id: str, port_id: str):
        r = await self.routers.get(router_id, rlogic.visible)
        s = await self._subnet_of(subnet_id, port_id)
        if s.id not in r.subnet_ids:
            raise NotFound(f"Router {r.id} does not have an interface with id {s.id}",
                           reason="RouterInterfaceNotFoundForSubnet")
        new = router_pb2.Router()
        new.CopyFrom(r)
        del new.subnet_ids[:]
        new.subnet_ids.extend(x for x in r.subnet_ids if x != s.id)
        if not new.subnet_ids:
            new.network_id = ""
        new.updated_at = now()
        u = self.routers.update_unit(new, r)
        u.writes.append(Delete(attached_key(s.id)))
        await self.store.commit(u)
        return new, s
