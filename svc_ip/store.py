"""svc_ip's persistence: reads the subnets and allocation blocks a batch
touches, lets the pure allocator decide, and writes the changed blocks back
in compare transactions (each subnet's blocks in one transaction, guarded by
the subnet's revision so a concurrent subnet delete or pool change cannot
slip in)."""
from __future__ import annotations

import ipaddress
from collections import defaultdict

from alcor.v1 import ipam_pb2, network_pb2, subnet_pb2
from runtime import bitmap, keys
from runtime.idempotency import Idempotency
from runtime.errors import AlcorError, InvalidInput, NotFound
from runtime.resources import ResourceStore
from runtime.retry import on_conflict
from runtime.blockstore import BlockChange, write_blocks
from runtime.store import At, Store
from svc_ip.pools import AddressSpace, Allocator, exhausted

Call = list[ipam_pb2.IpRequest]


class IpamStore:
    def __init__(self, store: Store):
        self.store = store
        self.subnets = ResourceStore(store, "subnets", subnet_pb2.Subnet, "Subnet")
        self.networks = ResourceStore(store, "networks", network_pb2.Network, "Network")
        self.idempotency = Idempotency(store, "ipam")

    async def _read_subnets(self, subnet_ids) -> tuple[dict, dict[str, dict[int, tuple[bytes, int]]]]:
        """Subnets and their allocation blocks, in one round trip."""
        subnet_ids = sorted(set(subnet_ids))
        points, ranged = await self.store.read(
            keys=[keys.resource("subnets", s) for s in subnet_ids],
            prefixes=[keys.ip_blocks(s) for s in subnet_ids])
        subnets = {}
        for kv in points.values():
            sub = self.subnets.decode(kv)
            subnets[sub.id] = sub
        blocks = {sid: {int(kv.key.rsplit(b"/", 1)[1], 16): (kv.value, kv.mod_revision)
                        for kv in ranged[keys.ip_blocks(sid)]}
                  for sid in subnet_ids}
        return subnets, blocks

    @on_conflict
    async def allocate(self, keyed: list[tuple[Call, str]]) -> list[list[ipam_pb2.IpAllocation] | AlcorError]:
        """Allocates for each (requests, idempotency key) call; a call whose key
        was recorded gets its recorded allocations back."""
        recorded = await self.idempotency.recorded_many([k for _, k in keyed])
        # Duplicates of one key in one batch (a retry racing its original) are
        # one allocation: the first does the work, the others share its outcome.
        todo: dict[str, int] = {}
        calls, call_keys, slot = [], [], []
        for c, k in keyed:
            if k in recorded:
                slot.append(None)
            elif k and k in todo:
                slot.append(todo[k])
            else:
                if k:
                    todo[k] = len(calls)
                slot.append(len(calls))
                calls.append(c)
                call_keys.append(k)
        fresh = await self._allocate(calls, call_keys) if calls else []
        return [list(ipam_pb2.AllocateIpsResponse.FromString(recorded[k]).allocations) if i is None else fresh[i]
                for (_, k), i in zip(keyed, slot)]

    async def _allocate(self, calls: list[Call], call_keys: list[str]):
        net_ids = {r.network_id for c in calls for r in c if not r.subnet_id}
        nets = await self.networks.get_many(net_ids) if net_ids else {}
        wanted = {r.subnet_id for c in calls for r in c if r.subnet_id}
        wanted |= {s for n in nets.values() for s in n.subnets}
        subnets, stored = await self._read_subnets(wanted)
        spaces = {sid: AddressSpace.of(s) for sid, s in subnets.items()}
        alloc = Allocator({sid: {i: bytearray(v) for i, (v, _) in b.items()} for sid, b in stored.items()})

        outcomes: list[list[ipam_pb2.IpAllocation] | AlcorError] = []
        for call in calls:
            alloc.begin()
            try:
                outcomes.append([self._one(alloc, r, spaces, nets, subnets) for r in call])
                alloc.commit()
            except AlcorError as e:
                alloc.rollback()
                outcomes.append(e)
        records = [await self.idempotency.record_unit(
                       k, ipam_pb2.AllocateIpsResponse(allocations=o).SerializeToString())
                   for k, o in zip(call_keys, outcomes) if k and not isinstance(o, AlcorError)]
        await self._write(alloc, stored, subnets, records)
        return outcomes

    def _one(self, alloc: Allocator, r: ipam_pb2.IpRequest, spaces, nets, subnets) -> ipam_pb2.IpAllocation:
        if r.subnet_id:
            space = spaces.get(r.subnet_id)
            if space is None:
                raise NotFound(f"Subnet {r.subnet_id} could not be found.", reason="SubnetNotFound")
            if r.network_id and space.network_id != r.network_id:
                raise InvalidInput(f"Subnet {r.subnet_id} is not on network {r.network_id}.")
            ip = alloc.take(space, r.ip_address) if r.ip_address else alloc.next_free(space)
            if ip is None:
                raise exhausted(space.network_id)
            return ipam_pb2.IpAllocation(subnet_id=space.subnet_id, ip_address=ip,
                                         network_id=space.network_id, ip_version=space.version)
        net = nets.get(r.network_id)
        if net is None:
            raise InvalidInput(f"Network {r.network_id} could not be found.",
                               reason="NetworkNotFound")
        if r.ip_address:
            addr = ipaddress.ip_address(r.ip_address) if _is_ip(r.ip_address) else None
            if addr is None:
                raise InvalidInput(f"Invalid input for fixed_ips. Reason: '{r.ip_address}' is "
                                   "not a valid IP address.")
            for sid in net.subnets:
                sp = spaces.get(sid)
                if sp and sp.version == addr.version and 0 <= int(addr) - sp.base < sp.size:
                    return ipam_pb2.IpAllocation(subnet_id=sid, ip_address=alloc.take(sp, r.ip_address),
                                                 network_id=net.id, ip_version=sp.version)
            raise InvalidInput(f"IP address {r.ip_address} is not in any subnet of network {net.id}.",
                               reason="InvalidIpForSubnet")
        for sid in net.subnets:
            sp = spaces.get(sid)
            if sp is None or (r.ip_version and sp.version != r.ip_version):
                continue
            ip = alloc.next_free(sp)
            if ip is not None:
                return ipam_pb2.IpAllocation(subnet_id=sid, ip_address=ip, network_id=net.id,
                                             ip_version=sp.version)
        raise exhausted(net.id)

    async def _write(self, alloc: Allocator, stored, subnets, extra=None) -> None:
        groups = []
        for sid, idxs in alloc.changed.items():
            changes = []
            for idx in sorted(idxs):
                old = stored.get(sid, {}).get(idx)
                after = alloc.blocks[sid].get(idx) or bitmap.empty()
                changes.append(BlockChange(keys.ip_block(sid, idx), old[0] if old else None,
                                           old[1] if old else 0, bytes(after)))
            groups.append(([At(_subnet_key(sid), subnets[sid].revision_number)], changes))
        await write_blocks(self.store, groups, extra)

    @on_conflict
    async def release(self, calls: list[list[ipam_pb2.IpAllocation]]) -> list[int]:
        by_subnet: dict[str, list[str]] = defaultdict(list)
        for c in calls:
            for a in c:
                if a.subnet_id and _is_ip(a.ip_address):
                    by_subnet[a.subnet_id].append(a.ip_address)
        subnets, stored = await self._read_subnets(by_subnet)
        alloc = Allocator({sid: {i: bytearray(v) for i, (v, _) in b.items()} for sid, b in stored.items()})
        counts = []
        for c in calls:
            n = 0
            alloc.begin()
            for a in c:
                s = subnets.get(a.subnet_id)
                if s is not None and _is_ip(a.ip_address):
                    n += alloc.release(AddressSpace.of(s).base, a.subnet_id, a.ip_address)
            alloc.commit()
            counts.append(n)
        await self._write(alloc, stored, subnets)
        return counts


def _subnet_key(subnet_id: str) -> bytes:
    return keys.resource("subnets", subnet_id)


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        return False
