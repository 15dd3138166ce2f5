"""svc_vpc's persistence: networks with their VNI keys, subnets, and the
in-use guards, each a compare transaction (retried on conflict only)."""
from __future__ import annotations

import ipaddress

from alcor.v1 import network_pb2, subnet_pb2
from runtime import keys
from runtime.config import Settings
from runtime.errors import Conflict, InUse, InvalidInput
from runtime.idempotency import Idempotency
from runtime.resources import ResourceStore, apply_mask, check_revision, now
from runtime.retry import on_conflict
from runtime.store import MAX_TXN_OPS, Absent, Delete, EmptyRange, Put, Store, StoreConflict, Unit
from svc_vpc import networks as netlogic
from svc_vpc import subnets as sublogic
from svc_vpc import vni as vnilogic

# Each subnet writes itself, two index keys and its network: 25 fit one
# transaction of MAX_TXN_OPS operations with room to spare.
MAX_SUBNETS_PER_CALL = 25


class VpcStore:
    def __init__(self, store: Store, settings: Settings):
        self.store = store
        self.settings = settings
        self.networks = ResourceStore(store, "networks", network_pb2.Network, "Network",
                                      indexes=("project_id",))
        self.subnets = ResourceStore(store, "subnets", subnet_pb2.Subnet, "Subnet",
                                     indexes=("project_id", "network_id"))
        self.idempotency = Idempotency(store, "networks")

    # --- networks ------------------------------------------------------------

    async def _choose_vnis(self, nets: list[network_pb2.Network]) -> None:
        lo, hi = self.settings.vni_min, self.settings.vni_max
        wanted = [n for n in nets if not n.HasField("provider_segmentation_id")]
        if not wanted:
            return
        taken = {n.provider_segmentation_id for n in nets if n.HasField("provider_segmentation_id")}
        if hi - lo + 1 <= vnilogic.SCAN_LIMIT:
            kvs, _ = await self.store.scan(keys.VNIS, keys_only=True)
            used = {int(kv.key.rsplit(b"/", 1)[1]) for kv in kvs} | taken
            chosen = vnilogic.choose_free(used, len(wanted), lo, hi)
        else:
            chosen = [v for v in vnilogic.choose_random(len(wanted) + len(taken), lo, hi)
                      if v not in taken][: len(wanted)]
        for n, v in zip(wanted, chosen):
            n.provider_segmentation_id = v

    async def _replay_networks(self, recorded: bytes) -> list[network_pb2.Network]:
        ids = [i for i in recorded.decode().split("\n") if i]
        got = await self.networks.get_many(ids)
        return [got[i] for i in ids if i in got]

    @on_conflict
    async def create_networks(self, reqs: list[network_pb2.Network]) -> list[network_pb2.Network]:
        """A retried create (same request id) returns the first networks
        instead of taking new VNIs."""
        key = Idempotency.create_key()
        if key and (recorded := await self.idempotency.recorded(key)) is not None:
            return await self._replay_networks(recorded)
        nets = [netlogic.new_network(r, default_project=self.settings.default_project,
                                     mtu=self.settings.default_mtu,
                                     vni_range=(self.settings.vni_min, self.settings.vni_max))
                for r in reqs]
        requested = {n.provider_segmentation_id for n in nets if n.HasField("provider_segmentation_id")}
        if len(requested) < sum(n.HasField("provider_segmentation_id") for n in nets):
            raise Conflict("The same segmentation_id is requested twice.", reason="SegmentationIdInUse")
        await self._choose_vnis(nets)
        units = []
        for n in nets:
            u = self.networks.create_unit(n)
            vkey = keys.vni(n.provider_segmentation_id)
            u.guards.append(Absent(vkey))
            u.writes.append(Put(vkey, n.id.encode()))
            units.append(u)
        if key:
            units.append(await self.idempotency.record_unit(key, "\n".join(n.id for n in nets).encode()))
        try:
            revs = await self.store.create_all(units)
        except StoreConflict as e:
            if key and self.idempotency.record_key(key) in e.current:
                return await self._replay_networks(await self.idempotency.recorded(key) or b"")
            for n in nets:
                if keys.vni(n.provider_segmentation_id) in e.current and \
                        n.provider_segmentation_id in requested:
                    raise Conflict(f"Unable to create the network. The VNI "
                                   f"{n.provider_segmentation_id} is in use.",
                                   reason="SegmentationIdInUse") from None
            raise  # a VNI we picked was taken meanwhile: pick again
        for n, r in zip(nets, revs):
            n.revision_number = r
        return nets

    async def get_network(self, network_id: str) -> network_pb2.Network:
        return await self.networks.get(network_id, netlogic.visible)

    @on_conflict
    async def update_network(self, network_id: str, patch: network_pb2.Network, paths: list[str],
                             if_revision: int) -> network_pb2.Network:
        old = await self.networks.get(network_id, netlogic.visible)
        check_revision(old, if_revision, "network")
        new = network_pb2.Network()
        new.CopyFrom(old)
        apply_mask(new, patch, paths, netlogic.UPDATABLE)
        if new.HasField("mtu") and not 68 <= new.mtu <= 9000:
            raise InvalidInput(f"Invalid input for mtu. Reason: {new.mtu} is not in [68, 9000].")
        for attr in ("admin_state_up", "mtu", "shared", "router_external", "port_security_enabled"):
            if not new.HasField(attr):  # explicit null keeps the stored value
                setattr(new, attr, getattr(old, attr))
        new.updated_at = now()
        new.revision_number = await self.store.commit(self.networks.update_unit(new, old))
        return new

    @on_conflict
    async def delete_network(self, network_id: str, if_revision: int) -> None:
        n = await self.networks.get(network_id, netlogic.visible)
        check_revision(n, if_revision, "network")
        if n.subnets:
            raise InUse(f"Unable to complete operation on network {network_id}. There are one or "
                        "more subnets still in use on the network.", reason="NetworkInUse")
        ports = keys.index("ports", "network_id", network_id)
        u = self.networks.delete_unit(n)
        u.guards.append(EmptyRange(ports))
        u.writes.append(Delete(keys.vni(n.provider_segmentation_id)))
        try:
            await self.store.commit(u)
        except StoreConflict as e:
            if ports in e.current:
                raise InUse(f"Unable to complete operation on network {network_id}. There are one "
                            "or more ports still in use on the network.", reason="NetworkInUse") from None
            raise

    async def lookup_networks(self, ids: list[str], skip_missing: bool = False) -> list[network_pb2.NetworkWithSubnets]:
        nets = await self.networks.get_many(ids)
        subnet_ids = [s for n in nets.values() for s in n.subnets]
        subs = await self.subnets.get_many(subnet_ids)
        out = []
        for i in ids:
            n = nets.get(i)
            if n is None or not netlogic.visible(n):
                if skip_missing:
                    continue
                raise netlogic.not_found(i)
            out.append(network_pb2.NetworkWithSubnets(
                network=n, subnets=[subs[s] for s in n.subnets if s in subs]))
        return out

    # --- subnets -------------------------------------------------------------

    @on_conflict
    async def create_subnets(self, reqs: list[subnet_pb2.Subnet]) -> list[subnet_pb2.Subnet]:
        if len(reqs) > MAX_SUBNETS_PER_CALL:
            raise InvalidInput(f"At most {MAX_SUBNETS_PER_CALL} subnets may be created in one call.")
        for r in reqs:
            if not r.network_id:
                raise InvalidInput("Invalid input for operation: network_id is required.")
        nets = await self.networks.get_many(r.network_id for r in reqs)
        for r in reqs:
            n = nets.get(r.network_id)
            if n is None or not netlogic.visible(n):
                raise netlogic.not_found(r.network_id)
        existing = await self.subnets.get_many(s for n in nets.values() for s in n.subnets)
        cidrs: dict[str, list] = {
            nid: [ipaddress.ip_network(existing[s].cidr) for s in n.subnets if s in existing]
            for nid, n in nets.items()
        }
        created: list[subnet_pb2.Subnet] = []
        for r in reqs:
            n = nets[r.network_id]
            s = sublogic.new_subnet(r, n, cidrs[n.id], self.settings.default_project)
            cidrs[n.id].append(ipaddress.ip_network(s.cidr))
            created.append(s)
        units = []
        for nid, n in nets.items():
            mine = [s for s in created if s.network_id == nid]
            new_net = network_pb2.Network()
            new_net.CopyFrom(n)
            new_net.subnets.extend(s.id for s in mine)
            new_net.updated_at = now()
            u = self.networks.update_unit(new_net, n)
            for s in mine:
                su = self.subnets.create_unit(s)
                u.guards += su.guards
                u.writes += su.writes
            units.append(u)
        merged = Unit([g for u in units for g in u.guards], [w for u in units for w in u.writes])
        if max(len(merged.guards), len(merged.writes)) > MAX_TXN_OPS:
            # A bulk create is atomic: one transaction, which etcd caps.
            raise InvalidInput(f"Too many subnets in one call: {len(reqs)} need "
                               f"{len(merged.writes)} writes, a call may make {MAX_TXN_OPS}.")
        rev = await self.store.commit(merged)
        for s in created:
            s.revision_number = rev
        return created

    async def get_subnet(self, subnet_id: str) -> subnet_pb2.Subnet:
        return await self.subnets.get(subnet_id, sublogic.visible)

    @on_conflict
    async def update_subnet(self, subnet_id: str, patch: subnet_pb2.Subnet, paths: list[str],
                            if_revision: int) -> subnet_pb2.Subnet:
        old = await self.subnets.get(subnet_id, sublogic.visible)
        check_revision(old, if_revision, "subnet")
        new = sublogic.updated_subnet(old, patch, paths)
        new.updated_at = now()
        new.revision_number = await self.store.commit(self.subnets.update_unit(new, old))
        return new

    @on_conflict
    async def delete_subnet(self, subnet_id: str, if_revision: int) -> None:
        s = await self.subnets.get(subnet_id, sublogic.visible)
        check_revision(s, if_revision, "subnet")
        n = await self.networks.get(s.network_id)
        new_net = network_pb2.Network()
        new_net.CopyFrom(n)
        del new_net.subnets[:]
        new_net.subnets.extend(x for x in n.subnets if x != subnet_id)
        new_net.updated_at = now()
        u = self.subnets.delete_unit(s)
        nu = self.networks.update_unit(new_net, n)
        blocks = keys.ip_blocks(subnet_id)
        routed = keys.unique("routers", "subnet", subnet_id)
        u.guards += nu.guards + [EmptyRange(blocks), Absent(routed)]
        u.writes += nu.writes
        try:
            await self.store.commit(u)
        except StoreConflict as e:
            if routed in e.current:
                raise InUse(f"Unable to complete operation on subnet {subnet_id}: it is attached "
                            "to a router.", reason="SubnetInUse") from None
            if blocks in e.current:
                raise InUse(f"Unable to complete operation on subnet {subnet_id}: One or more ports "
                            "have an IP allocation from this subnet.", reason="SubnetInUse") from None
            raise

