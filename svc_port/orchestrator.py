"""Port life cycles across services. Create: validate, look up networks and
hosts (one call each for the whole batch), allocate IPs and MACs (one call
each, concurrently), persist (compare transactions); any failure releases
everything taken. Update reallocates what changed; delete releases through a
durable pending-release record."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from alcor.v1 import (common_pb2, ipam_pb2, security_group_pb2, security_group_pb2_grpc, ipam_pb2_grpc, mac_pb2, mac_pb2_grpc, network_pb2,
                      network_pb2_grpc, node_pb2, node_pb2_grpc, port_pb2)
from runtime import context, keys
from runtime.batcher import GroupCommit
from runtime.clients import call
from runtime.context import IDEMPOTENCY_KEY
from runtime.idempotency import Idempotency
from runtime.store import StoreConflict
from runtime.config import Settings
from runtime.errors import AlcorError, Contention, InvalidInput, NotFound, from_status_proto
from runtime.resources import apply_mask, check_revision, now
from runtime.retry import on_conflict
from svc_mac.macs import normalize as normalize_mac
from svc_port import ports as portlogic
from svc_dpm.nodes import host_not_registered
from svc_port.store import PortStore

log = logging.getLogger("alcor.svc_port")


class PortOrchestrator:
    def __init__(self, store: PortStore, settings: Settings, *, vpc: network_pb2_grpc.NetworkServiceStub,
                 ipam: ipam_pb2_grpc.IpamServiceStub, macs: mac_pb2_grpc.MacServiceStub,
                 nodes: node_pb2_grpc.NodeServiceStub,
                 groups: security_group_pb2_grpc.SecurityGroupServiceStub):
        self.store = store
        self.settings = settings
        self.vpc, self.ipam, self.macs, self.nodes, self.groups = vpc, ipam, macs, nodes, groups
        # Each project's default security group. Only a shortcut: a port's
        # create compares every group it names still exists.
        self._default_group: dict[str, str] = {}
        # Networks (with their subnets) and registered hosts as last looked
        # up. Also only a shortcut: a port's create compares its network is
        # still at the revision looked up (so a subnet added or a network
        # made private meanwhile sends the create round again with a fresh
        # look-up) and its host still registered.
        self._networks: dict[str, network_pb2.NetworkWithSubnets] = {}
        self._hosts: set[str] = set()
        self.idempotency = Idempotency(store.store, "ports")
        self._creates = GroupCommit(self._create_batch, max_batch=256)

    # --- helpers -------------------------------------------------------------

    async def _lookup_nodes(self, names: list[str]) -> dict[str, node_pb2.Node]:
        names = sorted({n for n in names if n})
        if not names:
            return {}
        resp = await call(self.nodes.LookupNodes(node_pb2.LookupNodesRequest(names=names)))
        return {n.name: n for n in resp.nodes}

    async def _resolve_groups(self, project: str, ids: list[str]) -> list[str]:
        """Named groups must exist and belong to the project; none named
        means the project's default group (created on first use)."""
        if not ids and project in self._default_group:
            return [self._default_group[project]]
        resp = await call(self.groups.ResolveSecurityGroups(
            security_group_pb2.ResolveSecurityGroupsRequest(project_id=project, ids=ids)))
        if not ids:
            self._default_group[project] = resp.ids[0]
        return list(resp.ids)

    async def _assign_groups(self, c: "CreateCall") -> None:
        for p in c.ports:
            if not p.port_security_enabled:
                if p.security_groups:
                    raise InvalidInput("Port has security group associated. Cannot disable port "
                                       "security or IP address until security group is removed.",
                                       reason="PortSecurityAndIPRequiredForSecurityGroups")
                continue
            if not p.security_groups and "security_groups" in p.empty_lists:
                continue  # "security_groups": [] asks for no group, not the default one
            got = await self._resolve_groups(p.project_id, list(p.security_groups))
            del p.security_groups[:]
            p.security_groups.extend(got)

    async def _release(self, ips: list[ipam_pb2.IpAllocation], macs: list[str]) -> None:
        calls = []
        if ips:
            calls.append(call(self.ipam.ReleaseIps(ipam_pb2.ReleaseIpsRequest(allocations=ips))))
        if macs:
            calls.append(call(self.macs.ReleaseMacs(mac_pb2.ReleaseMacsRequest(mac_addresses=macs))))
        await asyncio.gather(*calls)

    async def _allocate(self, ip_reqs: list[ipam_pb2.IpRequest], mac_reqs: list[mac_pb2.MacRequest],
                        key: str = ""):
        """IPs and MACs concurrently; if either fails, the other is given back.
        With a key, each call is named so a retry of it (by the mesh) returns
        the first allocation instead of allocating again."""
        def named(suffix: str):
            return [(IDEMPOTENCY_KEY, f"{key}/{suffix}")] if key else None

        async def ips():
            if not ip_reqs:
                return []
            r = await call(self.ipam.AllocateIps(ipam_pb2.AllocateIpsRequest(requests=ip_reqs),
                                                 metadata=named("ips")))
            return list(r.allocations)

        async def macs():
            if not mac_reqs:
                return []
            r = await call(self.macs.AllocateMacs(mac_pb2.AllocateMacsRequest(requests=mac_reqs),
                                                  metadata=named("macs")))
            return list(r.mac_addresses)

        got_ips, got_macs = await asyncio.gather(ips(), macs(), return_exceptions=True)
        if isinstance(got_ips, BaseException) or isinstance(got_macs, BaseException):
            await self._release([] if isinstance(got_ips, BaseException) else got_ips,
                                [] if isinstance(got_macs, BaseException) else got_macs)
            raise got_ips if isinstance(got_ips, BaseException) else got_macs
        return got_ips, got_macs

    # --- create --------------------------------------------------------------

    async def create(self, reqs: list[port_pb2.Port]) -> list[port_pb2.Port]:
        """One CreatePorts call (a port or a bulk, all or none). Concurrent
        calls are group-committed: one look-up of networks and hosts, one
        batched allocation per allocator and one etcd batch for all of them,
        each call still succeeding or failing alone."""
        # A retry (same key) is answered from the record the first create
        # wrote; the batch reads records alongside its other look-ups.
        key = Idempotency.create_key()
        for attempt in range(STALE_LOOKUP_ATTEMPTS):
            ports = [portlogic.new_port(r, self.settings.default_project) for r in reqs]
            try:
                return await self._creates.submit(CreateCall(ports, key, context.current(), attempt))
            except _StaleNetwork:
                continue  # its look-up was forgotten: go again with a fresh one
        raise Contention("the network kept changing during the create, try again")

    async def _create_batch(self, calls: list["CreateCall"]) -> list:
        token = context.activate(context.RequestContext(request_id=calls[0].ctx.request_id))
        try:
            return await self._create_batch_as_admin(calls)
        finally:
            context.reset(token)

    async def _create_batch_as_admin(self, calls: list["CreateCall"]) -> list:
        out: list = [None] * len(calls)
        # A retry racing its original in the same batch rides on the original.
        first: dict[str, int] = {}
        dup_of: dict[int, int] = {}
        for i, c in enumerate(calls):
            if c.key and c.key in first:
                dup_of[i] = first[c.key]
            elif c.key:
                first[c.key] = i
        todo = [i for i in range(len(calls)) if i not in dup_of]

        net_ids = sorted({p.network_id for i in todo for p in calls[i].ports} - set(self._networks))
        host_names = sorted({p.binding_host_id for i in todo for p in calls[i].ports
                             if p.binding_host_id} - self._hosts)
        # Whether a key was recorded (a retry of a create that finished) is
        # read beside the look-ups, or, when those were all known, beside the
        # allocations: a retry then allocates for nothing, and gives back
        # what it got unless the allocators replayed the first call's.
        recorded_read = asyncio.ensure_future(self.idempotency.recorded_many([calls[i].key for i in todo]))
        try:
            nets_resp, nodes_resp = await asyncio.gather(
                call(self.vpc.LookupNetworks(network_pb2.LookupNetworksRequest(ids=net_ids, skip_missing=True)))
                if net_ids else _none(),
                call(self.nodes.LookupNodes(node_pb2.LookupNodesRequest(names=host_names, skip_missing=True)))
                if host_names else _none())
        except BaseException:
            recorded_read.cancel()
            raise
        if recorded_read.done():
            await self._answer_recorded(calls, todo, out, recorded_read.result())
        fresh = set()
        for n in nets_resp.networks if nets_resp else ():
            self._networks[n.network.id] = n
            fresh.add(n.network.id)
        self._hosts.update(n.name for n in nodes_resp.nodes) if nodes_resp else None
        nets, hosts = self._networks, self._hosts

        live, ip_calls, mac_calls, spans = [], [], [], {}
        for i in todo:
            c = calls[i]
            try:
                wanted: list[ipam_pb2.IpRequest] = []
                cuts = []
                for p in c.ports:
                    n = nets.get(p.network_id)
                    if n is not None and p.network_id not in fresh and not _visible_to(c.ctx, n.network):
                        self._networks.pop(p.network_id, None)  # made shared since? look again
                        raise _StaleNetwork()
                    if n is None or not _visible_to(c.ctx, n.network):
                        raise NotFound(f"Network {p.network_id} could not be found.", reason="NetworkNotFound")
                    c.networks[p.network_id] = n
                    if p.binding_host_id and p.binding_host_id not in hosts:
                        raise host_not_registered(p.binding_host_id)
                await self._assign_groups(c)
                for p in c.ports:
                    reqs = portlogic.ip_requests(p, nets[p.network_id])
                    cuts.append((len(wanted), len(wanted) + len(reqs)))
                    wanted += reqs
                    del p.empty_lists[:]  # input only: read above, never stored
                spans[i] = cuts
                ip_calls.append(ipam_pb2.AllocateIpsRequest(requests=wanted))
                mac_calls.append(mac_pb2.AllocateMacsRequest(
                    requests=[mac_pb2.MacRequest(mac_address=p.mac_address) for p in c.ports]))
                live.append(i)
            except (AlcorError, _StaleNetwork) as e:
                out[i] = e
        if live:
            ip_keys = [f"{calls[i].alloc_key}/ips" if calls[i].key else "" for i in live]
            mac_keys = [f"{calls[i].alloc_key}/macs" if calls[i].key else "" for i in live]
            ip_resp, mac_resp = await asyncio.gather(
                call(self.ipam.AllocateIpsBatch(ipam_pb2.AllocateIpsBatchRequest(
                    calls=ip_calls, idempotency_keys=ip_keys))),
                call(self.macs.AllocateMacsBatch(mac_pb2.AllocateMacsBatchRequest(
                    calls=mac_calls, idempotency_keys=mac_keys))))
            ready = []
            give_back_ips, give_back_macs = [], []
            for i, ipo, maco in zip(live, ip_resp.outcomes, mac_resp.outcomes):
                ips = list(ipo.allocated.allocations) if ipo.HasField("allocated") else None
                macs = list(maco.allocated.mac_addresses) if maco.HasField("allocated") else None
                calls[i].ips, calls[i].macs = ips or [], macs or []
                calls[i].replayed = (ipo.replayed, maco.replayed)
                if ips is None or macs is None:
                    ours_ips, ours_macs = calls[i].allocated_for_it()
                    give_back_ips += ours_ips
                    give_back_macs += ours_macs
                    out[i] = from_status_proto(ipo.error if ips is None else maco.error)
                    continue
                for p, (a, b), mac in zip(calls[i].ports, spans[i], macs):
                    del p.fixed_ips[:]
                    p.fixed_ips.extend(common_pb2.FixedIp(subnet_id=x.subnet_id, ip_address=x.ip_address)
                                       for x in ips[a:b])
                    p.mac_address = mac
                ready.append(i)
            if ready:
                for i in await self._answer_recorded(calls, ready, out, await recorded_read):
                    ours_ips, ours_macs = calls[i].allocated_for_it()
                    give_back_ips += ours_ips
                    give_back_macs += ours_macs
            await self._release(give_back_ips, give_back_macs)
            await self._persist([calls[i] for i in ready])
            for i in ready:
                out[i] = calls[i].outcome
        # A recorded create is answered with what it made, even when its
        # retry failed on the way (its network deleted since, say).
        recorded = await recorded_read
        failed = [i for i in todo if isinstance(out[i], BaseException)]
        await self._answer_recorded(calls, failed, out, recorded)
        for i, j in dup_of.items():
            out[i] = out[j]
        return out

    async def _answer_recorded(self, calls: list["CreateCall"], todo: list[int], out: list,
                               recorded: dict[str, bytes]) -> list[int]:
        """Answers the calls of `todo` whose key was recorded with what the
        first create made, and takes them out of `todo`; returns them."""
        answered = [i for i in todo if calls[i].key in recorded]
        for i in answered:
            try:
                out[i] = await self._replay(recorded[calls[i].key])
            except AlcorError as e:
                out[i] = e
            todo.remove(i)
        return answered

    async def _persist(self, calls: list["CreateCall"]) -> None:
        """All ready calls in one etcd batch; if that fails, call by call, so
        one call's failure (a network deleted meanwhile, a duplicate that
        finished first) stays its own."""
        if not calls:
            return
        for c in calls:
            if c.key:
                c.units = [await self.idempotency.record_unit(
                    c.key, "\n".join(p.id for p in c.ports).encode())]
        try:
            await self.store.create_all([p for c in calls for p in c.ports], self._revisions(calls),
                                        [u for c in calls for u in c.units])
            for c in calls:
                c.outcome = c.ports
            return
        except (StoreConflict, AlcorError):
            pass  # nothing landed (all or none): sort it out call by call
        for c in calls:
            try:
                await self.store.create_all(c.ports, self._revisions([c]), c.units)
                c.outcome = c.ports
            except StoreConflict as e:
                if self._forget_stale(c, e):
                    await self._release(*c.allocated_for_it())
                    c.outcome = _StaleNetwork()
                elif c.key and self.idempotency.record_key(c.key) in e.current:
                    # A concurrent duplicate of this create finished first: keep
                    # what its ports hold (the allocators may have shared their
                    # outcome with it), give back the rest.
                    try:
                        winner = await self._replay(await self.idempotency.recorded(c.key) or b"")
                        c.outcome = winner
                    except AlcorError as gone:
                        winner, c.outcome = [], gone
                    await self._release(*c.allocated_for_it(
                        held_ips={f.ip_address for p in winner for f in p.fixed_ips},
                        held_macs={p.mac_address for p in winner}))
                else:
                    await self._release(*c.allocated_for_it())
                    c.outcome = Contention("concurrent update, try again")
            except AlcorError as e:
                await self._release(*c.allocated_for_it())
                c.outcome = e

    def _revisions(self, calls: list["CreateCall"]) -> dict[str, int]:
        return {p.network_id: c.networks[p.network_id].network.revision_number
                for c in calls for p in c.ports}

    def _forget_stale(self, c: "CreateCall", e: StoreConflict) -> bool:
        """Forgets look-ups a conflict showed stale; True when a network
        still exists but changed (the create goes again; a deleted one or a
        host gone is the caller's error, reported as such)."""
        stale = False
        for p in c.ports:
            k = keys.resource("networks", p.network_id)
            if k in e.current:
                self._networks.pop(p.network_id, None)
                stale |= e.current[k] is not None
            if p.binding_host_id and keys.unique("nodes", "name", p.binding_host_id) in e.current:
                self._hosts.discard(p.binding_host_id)
        return stale

    async def _replay(self, recorded: bytes) -> list[port_pb2.Port]:
        """The ports a create with this key made the first time."""
        ids = [i for i in recorded.decode().split("\n") if i]
        got = await self.store.ports.get_many(ids)
        gone = [i for i in ids if i not in got]
        if gone:
            # The create happened, and what it made was deleted since.
            raise portlogic.not_found(gone[0])
        ports = [got[i] for i in ids]
        await self.store.attach_status(ports)
        return ports

    # --- update --------------------------------------------------------------

    @on_conflict
    async def update(self, port_id: str, patch: port_pb2.Port, paths: list[str],
                     if_revision: int) -> port_pb2.Port:
        old = await self.store.ports.get(port_id, portlogic.visible)
        check_revision(old, if_revision, "port")
        new = port_pb2.Port()
        new.CopyFrom(old)
        apply_mask(new, patch, paths, portlogic.UPDATABLE)
        touched = {f.name for f in patch.DESCRIPTOR.fields
                   if f.name in paths or f.json_name in paths}
        for attr in ("admin_state_up", "port_security_enabled"):
            if not new.HasField(attr):
                setattr(new, attr, getattr(old, attr))
        plan = portlogic.plan_fixed_ips(old, list(patch.fixed_ips)) if "fixed_ips" in touched else None
        mac_change = ""
        if "mac_address" in touched:
            mac_change = normalize_mac(patch.mac_address) if patch.mac_address else ""
            if mac_change == old.mac_address:
                mac_change = ""
            new.mac_address = old.mac_address
        if "security_groups" in touched:
            # On update an empty list means "no groups" (only a create defaults).
            ids = list(patch.security_groups)
            if ids and not new.port_security_enabled:
                raise InvalidInput("Port has security group associated. Cannot disable port "
                                   "security or IP address until security group is removed.",
                                   reason="PortSecurityAndIPRequiredForSecurityGroups")
            del new.security_groups[:]
            new.security_groups.extend(await self._resolve_groups(old.project_id, ids) if ids else [])
        elif "port_security_enabled" in touched and not new.port_security_enabled and new.security_groups:
            raise InvalidInput("Port has security group associated. Cannot disable port security "
                               "or IP address until security group is removed.",
                               reason="PortSecurityAndIPRequiredForSecurityGroups")
        if "binding_host_id" in touched:
            await self._lookup_nodes([new.binding_host_id])
            new.binding_vif_type = (portlogic.VIF_TYPE_BOUND if new.binding_host_id
                                    else portlogic.VIF_TYPE_UNBOUND)
        got_ips, got_macs = await self._allocate(
            plan.allocate if plan else [],
            [mac_pb2.MacRequest(mac_address=mac_change)] if mac_change else [])
        if plan is not None:
            del new.fixed_ips[:]
            new.fixed_ips.extend(plan.keep)
            new.fixed_ips.extend(common_pb2.FixedIp(subnet_id=x.subnet_id, ip_address=x.ip_address)
                                 for x in got_ips)
        if got_macs:
            new.mac_address = got_macs[0]
        new.updated_at = now()
        try:
            await self.store.update(new, old)
        except BaseException:
            await self._release(got_ips, got_macs)
            raise
        await self._release(plan.release if plan else [], [old.mac_address] if got_macs else [])
        return new

    # --- delete --------------------------------------------------------------

    @on_conflict
    async def delete(self, port_id: str, if_revision: int) -> None:
        p = await self.store.ports.get(port_id, portlogic.visible)
        check_revision(p, if_revision, "port")
        await self.store.delete(p)
        await self._finish_release(p)

    async def _finish_release(self, p: port_pb2.Port, revision: int | None = None) -> None:
        await self._release(portlogic.allocations_of(p), [p.mac_address] if p.mac_address else [])
        await self.store.release_done(p.id, revision)

    async def finish_pending_releases(self) -> None:
        """Releases addresses of ports whose delete landed but whose release
        did not (a crash in between). Run at start-up; idempotent."""
        for p, rev in await self.store.pending_releases():
            try:
                await self._finish_release(p, rev)
            except AlcorError as e:
                log.warning("pending release of port %s: %s", p.id, e)


# How many times a create goes round when its network changed under it.
STALE_LOOKUP_ATTEMPTS = 5


class _StaleNetwork(Exception):
    """A create compared its network against a look-up that is now stale."""


@dataclass
class CreateCall:
    """One CreatePorts call waiting in the group commit: its validated ports,
    its idempotency key and the caller's context (the batch runs elsewhere)."""

    ports: list[port_pb2.Port]
    key: str
    ctx: context.RequestContext
    attempt: int = 0
    ips: list = field(default_factory=list)
    macs: list = field(default_factory=list)
    units: list = field(default_factory=list)
    networks: dict = field(default_factory=dict)  # the look-ups it was decided on
    replayed: tuple = (False, False)  # whether its IPs, its MACs were a record's
    outcome: object = None

    def allocated_for_it(self, held_ips=frozenset(), held_macs=frozenset()) -> tuple[list, list]:
        """What the allocators gave this call and nobody else holds: what it
        gives back when it does not use it. A replayed outcome (a record of
        an earlier call with the same key) belongs to that call; what a
        concurrent duplicate's ports hold is theirs."""
        ips_replayed, macs_replayed = self.replayed
        return ([] if ips_replayed else [a for a in self.ips if a.ip_address not in held_ips],
                [] if macs_replayed else [m for m in self.macs if m not in held_macs])

    @property
    def alloc_key(self) -> str:
        # A create that goes round again (a stale look-up) gave back what it
        # allocated: its next allocations must not replay the first ones.
        return self.key if not self.attempt else f"{self.key}~{self.attempt}"


def _visible_to(ctx: context.RequestContext, n: network_pb2.Network) -> bool:
    return ctx.is_admin or ctx.project_id == n.project_id or n.shared


async def _none():
    return None
