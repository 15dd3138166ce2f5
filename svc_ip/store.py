"""svc_ip's persistence: reads the subnets and allocation blocks a batch
touches, lets the pure allocator decide, and writes the changed blocks back
in compare transactions (each subnet's blocks in one transaction, guarded by
the subnet's revision so a concurrent subnet delete or pool change cannot
slip in)."""
from __future__ import annotations

import asyncio
import ipaddress
from collections import defaultdict

from alcor.v1 import ipam_pb2, network_pb2, subnet_pb2
from runtime import bitmap, keys
from runtime.idempotency import Idempotency, Replayed, plan_batch
from runtime.errors import AlcorError, InvalidInput, NotFound
from runtime.resources import ResourceStore
from runtime.retry import on_conflict
from runtime.blockstore import BlockChange, KnownBlocks, PerChain, write_blocks
from runtime.store import Absent, At, Holds, Put, Store, StoreConflict, Unit
from svc_ip.pools import AddressSpace, Allocator, exhausted

Call = list[ipam_pb2.IpRequest]


class IpamStore:
    def __init__(self, store: Store, view=None):
        self.store = store
        self.view = view  # networks as watched (runtime/network_view.py), if any
        self.subnets = ResourceStore(store, "subnets", subnet_pb2.Subnet, "Subnet")
        self.networks = ResourceStore(store, "networks", network_pb2.Network, "Network")
        self.idempotency = Idempotency(store, "ipam")
        # What this replica last read or wrote (see KnownBlocks): networks
        # (for their subnet lists), subnets, and each subnet's blocks.
        self._nets: dict[str, network_pb2.Network] = {}
        self._subnets: dict[str, subnet_pb2.Subnet] = {}
        self._blocks = KnownBlocks()
        # Reservations decide one at a time, each chain on its own blocks.
        self._reserving = asyncio.Lock()
        self._chains = PerChain(KnownBlocks)

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

    async def allocate(self, keyed: list[tuple[Call, str]]) -> list[list[ipam_pb2.IpAllocation] | AlcorError]:
        """Allocates for each (requests, idempotency key) call; a call whose key
        was recorded gets its recorded allocations back.

        First from what this replica already knows (no read: one round trip,
        the write); if anything is unknown, stale, recorded or refused, the
        careful path reads everything and decides."""
        known = self._known_state(keyed)
        if known is not None:
            try:
                return await self._allocate_known(keyed, *known)
            except (StoreConflict, _Unsure):
                for sid in known[1]:
                    self._blocks.forget(sid)
        return await self._allocate_read(keyed)

    def _known_state(self, keyed: list[tuple[Call, str]], known_blocks: KnownBlocks | None = None):
        nets, subnets, stored = {}, {}, {}
        for c, _ in keyed:
            for r in c:
                if r.subnet_id:
                    sids = [r.subnet_id]
                else:
                    net = self._nets.get(r.network_id)
                    if net is None:
                        return None
                    nets[net.id] = net
                    sids = list(net.subnets)
                for sid in sids:
                    blocks = (self._blocks if known_blocks is None else known_blocks).get(sid)
                    if blocks is None or sid not in self._subnets:
                        return None
                    subnets[sid], stored[sid] = self._subnets[sid], blocks
        return nets, subnets, stored

    async def _allocate_known(self, keyed, nets, subnets, stored):
        # Keys are not looked up: a recorded one fails its Absent guard.
        calls, call_keys, slot = plan_batch(keyed)
        outcomes = await self._decide_and_write(calls, call_keys, nets, subnets, stored, strict=True)
        return [outcomes[i] for i in slot]

    @on_conflict
    async def _allocate_read(self, keyed: list[tuple[Call, str]]) -> list[list[ipam_pb2.IpAllocation] | AlcorError]:
        recorded = await self.idempotency.recorded_many([k for _, k in keyed])
        calls, call_keys, slot = plan_batch(keyed, recorded)
        fresh = await self._allocate(calls, call_keys) if calls else []
        return [Replayed(ipam_pb2.AllocateIpsResponse.FromString(recorded[k]).allocations) if i is None else fresh[i]
                for (_, k), i in zip(keyed, slot)]

    async def _allocate(self, calls: list[Call], call_keys: list[str]):
        nets, subnets, stored = await self._read_state(calls, fresh=True)
        return await self._decide_and_write(calls, call_keys, nets, subnets, stored, strict=False)

    async def _read_state(self, calls: list[Call], known_blocks: KnownBlocks | None = None,
                          keep_known: bool = False, fresh: bool = False):
        """The networks, subnets and blocks the calls need, read now (and
        remembered: the next decision may start from them; with
        `keep_known`, only the subnets not known yet are)."""
        net_ids = {r.network_id for c in calls for r in c if not r.subnet_id}
        # Networks (for their subnet lists) as watched, when seen, unless
        # `fresh`: a decision that refuses must not rest on the watch, which
        # may not have brought a subnet created a moment ago. The subnets
        # themselves are read with their blocks, at one revision.
        nets = {}
        if self.view is not None and not fresh:
            nets = {i: n.network for i in net_ids if (n := self.view.get(i)) is not None}
        missing = net_ids - set(nets)
        if missing:
            nets.update(await self.networks.get_many(missing))
        wanted = {r.subnet_id for c in calls for r in c if r.subnet_id}
        wanted |= {s for n in nets.values() for s in n.subnets}
        subnets, stored = await self._read_subnets(wanted)
        self._nets.update(nets)
        target = self._blocks if known_blocks is None else known_blocks
        for sid, sub in list(subnets.items()):
            self._subnets[sid] = sub
            if keep_known and target.get(sid) is not None:
                del subnets[sid]
                continue
            target.remember(sid, stored[sid])
        return nets, subnets, stored

    async def _decide_and_write(self, calls, call_keys, nets, subnets, stored, strict: bool):
        alloc, outcomes = self._decide(calls, nets, subnets, stored, strict)
        records = [await self.idempotency.record_unit(
                       k, ipam_pb2.AllocateIpsResponse(allocations=o).SerializeToString())
                   for k, o in zip(call_keys, outcomes) if k and not isinstance(o, AlcorError)]
        await self._write(alloc, stored, subnets, records)
        return outcomes

    def _decide(self, calls, nets, subnets, stored, strict: bool, units: list | None = None):
        """The pure allocator decides each call, all or none per call.
        `strict` (deciding from known state): any refusal may be the
        knowledge's fault, so the careful path (fresh reads) decides. With
        `units`, each call's reservation is appended to it (chained on the
        calls before it; empty for a refused call)."""
        spaces = {sid: AddressSpace.of(s) for sid, s in subnets.items()}
        alloc = Allocator({sid: {i: bytearray(v) for i, (v, _) in b.items()} for sid, b in stored.items()})
        outcomes: list[list[ipam_pb2.IpAllocation] | AlcorError] = []
        for call in calls:
            alloc.begin()
            try:
                outcomes.append([self._one(alloc, r, spaces, nets, subnets) for r in call])
                touched = alloc.commit()
                if units is not None:
                    units.append(_call_unit(alloc, touched, subnets))
            except AlcorError as e:
                if strict:
                    raise _Unsure() from e
                alloc.rollback()
                outcomes.append(e)
                if units is not None:
                    units.append(Unit())
        return alloc, outcomes

    # --- reservations ----------------------------------------------------------

    async def reserve(self, calls: list[Call], fresh: bool = False, chain: str = "", seq: int = 0
                      ) -> tuple[list[list[ipam_pb2.IpAllocation] | AlcorError], list[Unit], list[bytes]]:
        """Decides each call as allocate does and writes nothing: returns the
        outcomes, per call the unit (block writes guarded by the blocks'
        state, and the subnet's revision) that makes its addresses taken,
        for the caller to commit with whatever holds them, and the keys of
        the subnets decided on as read now (not on earlier reservations).

        Decided from what this replica last knew, including its previous
        reservations (chained: this one guards on the blocks as those left
        them), unless `fresh` or that knowledge is missing or refuses."""
        async with self._reserving:
            blocks, new = self._chains.of(chain, fresh, seq)
            if not new:
                # What the chain does not know yet is read (only that: what it
                # knows holds its earlier reservations, which a read forgets).
                unknown = [c for c in calls if self._known_state([(c, "")], blocks) is None]
                read = await self._read_state(unknown, blocks, keep_known=True) if unknown else None
                known = self._known_state([(c, "") for c in calls], blocks)
                if known is not None:
                    try:
                        return (*self._reserve_from(calls, *known, blocks, strict=True),
                                _subnet_keys(read[1] if read else ()))
                    except _Unsure:
                        pass
            nets, subnets, stored = await self._read_state(calls, blocks, fresh=True)
            return (*self._reserve_from(calls, nets, subnets, stored, blocks, strict=False),
                    _subnet_keys(subnets))

    def _reserve_from(self, calls, nets, subnets, stored, blocks: KnownBlocks, strict: bool):
        units: list[Unit] = []
        alloc, outcomes = self._decide(calls, nets, subnets, stored, strict, units)
        _, after_by_subnet = self._block_changes(alloc, stored, subnets)
        for sid, changes in after_by_subnet.items():
            blocks.reserved(sid, changes)
        return outcomes, units

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

    @staticmethod
    def _block_changes(alloc: Allocator, stored, subnets):
        """The blocks the allocator changed, per subnet, each subnet's group
        guarded by its revision (a subnet deleted or its pools changed
        meanwhile must not take the write)."""
        groups, after_by_subnet = [], {}
        for sid, idxs in alloc.changed.items():
            changes, after_by_subnet[sid] = [], []
            for idx in sorted(idxs):
                old = stored.get(sid, {}).get(idx)
                after = bytes(alloc.blocks[sid].get(idx) or bitmap.empty())
                changes.append(BlockChange(keys.ip_block(sid, idx), old[0] if old else None,
                                           old[1] if old else 0, after))
                after_by_subnet[sid].append((idx, after))
            groups.append(([At(_subnet_key(sid), subnets[sid].revision_number)], changes))
        return groups, after_by_subnet

    async def _write(self, alloc: Allocator, stored, subnets, extra=None) -> None:
        groups, after_by_subnet = self._block_changes(alloc, stored, subnets)
        revision = await write_blocks(self.store, groups, extra)
        for sid, changes in after_by_subnet.items():
            self._blocks.written(sid, changes, revision)

    @on_conflict
    async def release(self, calls: list[list[ipam_pb2.IpAllocation]]) -> list[int]:
        by_subnet: dict[str, list[str]] = defaultdict(list)
        for c in calls:
            for a in c:
                if a.subnet_id and _is_ip(a.ip_address):
                    by_subnet[a.subnet_id].append(a.ip_address)
        subnets, stored = await self._read_subnets(by_subnet)
        for sid, sub in subnets.items():
            self._subnets[sid] = sub
            self._blocks.remember(sid, stored[sid])
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


def _call_unit(alloc: Allocator, touched, subnets) -> Unit:
    """One call's reservation: each block it touched guarded on its value
    before the call (Absent when new) and written as the call left it."""
    u = Unit()
    for sid in dict.fromkeys(sid for sid, _ in touched):
        u.guards.append(At(_subnet_key(sid), subnets[sid].revision_number))
    for (sid, idx), before in touched.items():
        key = keys.ip_block(sid, idx)
        u.guards.append(Absent(key) if before is None else Holds(key, bytes(before)))
        u.writes.append(Put(key, bytes(alloc.blocks[sid][idx])))
    return u


class _Unsure(Exception):
    """Known state refused a call: let the careful path (fresh reads) decide."""


def _subnet_keys(subnet_ids) -> list[bytes]:
    return [_subnet_key(s) for s in subnet_ids]


def _subnet_key(subnet_id: str) -> bytes:
    return keys.resource("subnets", subnet_id)


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        return False
