"""Port life cycles across services. Create: concurrent calls are
group-committed into a batch, which looks up networks (and a bulk's hosts)
once, validates each call, then creates what fits one etcd transaction with
reserved addresses (reserved.py) and bulks by allocating first (bulk.py).
Update reallocates what changed; delete releases through a durable
pending-release record."""
from __future__ import annotations

import asyncio
import logging

from alcor.v1 import (common_pb2, ipam_pb2, security_group_pb2, security_group_pb2_grpc, ipam_pb2_grpc, mac_pb2, mac_pb2_grpc, network_pb2,
                      network_pb2_grpc, node_pb2, node_pb2_grpc, port_pb2)
from runtime import context, keys
from runtime.batcher import GroupCommit
from runtime.clients import call
from runtime.context import IDEMPOTENCY_KEY
from runtime.idempotency import Idempotency
from runtime.store import StoreConflict
from runtime.config import Settings
from runtime.errors import AlcorError, Contention, InvalidInput, NotFound
from runtime.resources import apply_mask, check_revision, now
from runtime.retry import on_conflict
from svc_mac.macs import normalize as normalize_mac
from svc_port import ports as portlogic
from svc_dpm.nodes import host_not_registered
from svc_port.create_call import STALE_LOOKUP_ATTEMPTS, CreateCall, StaleNetwork
from svc_port import reserved
from svc_port.bulk import AllocatingCreates
from svc_port.reserved import ReservedCreates
from svc_port.store import PortStore

log = logging.getLogger("alcor.svc_port")


class PortOrchestrator:
    def __init__(self, store: PortStore, settings: Settings, *, vpc: network_pb2_grpc.NetworkServiceStub,
                 ipam: ipam_pb2_grpc.IpamServiceStub, macs: mac_pb2_grpc.MacServiceStub,
                 nodes: node_pb2_grpc.NodeServiceStub,
                 groups: security_group_pb2_grpc.SecurityGroupServiceStub, view=None):
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
        # Networks as watched, when given (runtime/network_view.py); a
        # network whose seen revision a create found stale is looked up.
        self.view = view
        self._distrusted: dict[str, int] = {}
        self._hosts: set[str] = set()
        self.idempotency = Idempotency(store.store, "ports")
        self._creates = GroupCommit(self._create_batch, max_batch=256, overlap=4)
        self.reserved = ReservedCreates(store, ipam, macs, self.idempotency, self._forget_stale,
                                        self._replay)
        if view is not None:
            self.reserved.hold_for_new_networks(view)
        self.allocating = AllocatingCreates(store, ipam, macs, self.idempotency, self._forget_stale,
                                            self._replay, self._release, self._answer_recorded)

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

    async def _assign_groups(self, c: CreateCall) -> None:
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
        calls are group-committed: one look-up, one reservation per allocator
        and one etcd transaction for as many as fit it, each call still
        succeeding or failing alone."""
        # A retry (same key) is answered from the record the first create
        # wrote in the same transaction as its ports.
        key = Idempotency.create_key()
        for attempt in range(STALE_LOOKUP_ATTEMPTS):
            ports = [portlogic.new_port(r, self.settings.default_project) for r in reqs]
            try:
                return await self._creates.submit(CreateCall(ports, key, context.current(), attempt))
            except StaleNetwork:
                continue  # its look-up was forgotten: go again with a fresh one
        raise Contention("the network kept changing during the create, try again")

    async def _create_batch(self, calls: list[CreateCall]) -> list:
        token = context.activate(context.RequestContext(request_id=calls[0].ctx.request_id))
        try:
            return await self._create_batch_as_admin(calls)
        finally:
            context.reset(token)

    async def _create_batch_as_admin(self, calls: list[CreateCall]) -> list:
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
        # Bulks allocate before they persist: whether their key was recorded
        # (a retry of a create that finished) is read beside the look-ups, so
        # a retry allocates for nothing at most. One-transaction creates learn
        # it from their record's guard.
        bulks = [i for i in todo if len(calls[i].ports) > reserved.MAX_PORTS and calls[i].key]
        recorded_read = asyncio.ensure_future(self.idempotency.recorded_many([calls[i].key for i in bulks])) \
            if bulks else _done({})
        try:
            fresh = await self._look_up(calls, todo)
        except BaseException:
            recorded_read.cancel()
            raise
        if recorded_read.done():
            await self._answer_recorded(calls, todo, out, recorded_read.result())
        live, ip_calls, spans = await self._validate(calls, todo, out, fresh)

        groups, alone = reserved.chunks([(i, reserved.operations(calls[i], ip_calls[i], self.store))
                                         for i in live if len(calls[i].ports) <= reserved.MAX_PORTS])
        # Each transaction's worth is served in turn now; their commits (and
        # the rest) finish while the next batch is looked up and served.
        commits = [asyncio.ensure_future(self.reserved.create(calls, g, ip_calls, spans, out))
                   for g in groups]
        allocating = [i for i in live if len(calls[i].ports) > reserved.MAX_PORTS] + alone
        # A task of its own, made here: it keeps this batch's (admin) context.
        return asyncio.ensure_future(self._finish_batch(
            calls, todo, dup_of, groups, commits, sorted(allocating), ip_calls, spans, out, recorded_read))

    async def _finish_batch(self, calls, todo, dup_of, groups, commits, allocating, ip_calls, spans,
                            out, recorded_read) -> list:
        for group, done in zip(groups, await asyncio.gather(*commits, return_exceptions=True)):
            if isinstance(done, BaseException):  # an allocator unreachable, say
                for i in group:
                    if out[i] is None:
                        out[i] = done
        if allocating:
            await self.allocating.create(calls, allocating, ip_calls, spans, out, recorded_read)
        # A recorded create is answered with what it made, even when its
        # retry failed on the way (its network deleted since, say).
        recorded = dict(await recorded_read)
        failed = [i for i in todo if isinstance(out[i], BaseException) and calls[i].key]
        unread = [calls[i].key for i in failed if calls[i].key not in recorded]
        if unread:
            recorded.update(await self.idempotency.recorded_many(unread))
        await self._answer_recorded(calls, failed, out, recorded)
        for i, j in dup_of.items():
            out[i] = out[j]
        return out

    async def _look_up(self, calls: list[CreateCall], todo: list[int]) -> set[str]:
        """Networks and hosts the batch names that are not known yet, one
        call each; returns the networks looked up now."""
        net_ids = sorted({p.network_id for i in todo for p in calls[i].ports} - set(self._networks))
        fresh = set()
        if self.view is not None:
            # Seen by the watch: no look-up (a create compares its network is
            # still at the revision seen, and one that was not looks it up).
            for nid in net_ids:
                n = self.view.get(nid)
                if n is not None and self._distrusted.get(nid) != n.network.revision_number:
                    self._networks[nid] = n
                    fresh.add(nid)
            net_ids = [nid for nid in net_ids if nid not in fresh]
        # Only bulks look their hosts up (so that a host unknown fails them
        # before they allocate): a one-transaction create's guard on its
        # host's record is the look-up.
        host_names = sorted({p.binding_host_id for i in todo if len(calls[i].ports) > reserved.MAX_PORTS
                             for p in calls[i].ports if p.binding_host_id} - self._hosts)
        nets_resp, nodes_resp = await asyncio.gather(
            call(self.vpc.LookupNetworks(network_pb2.LookupNetworksRequest(ids=net_ids, skip_missing=True)))
            if net_ids else _none(),
            call(self.nodes.LookupNodes(node_pb2.LookupNodesRequest(names=host_names, skip_missing=True)))
            if host_names else _none())
        for n in nets_resp.networks if nets_resp else ():
            self._networks[n.network.id] = n
            fresh.add(n.network.id)
        if nodes_resp:
            self._hosts.update(n.name for n in nodes_resp.nodes)
        return fresh

    async def _validate(self, calls: list[CreateCall], todo: list[int], out: list, fresh: set[str]):
        """Each call's networks visible, hosts registered and groups
        resolved; returns the calls that passed, their address requests
        (flattened per call) and where each port's requests are in them."""
        nets, hosts = self._networks, self._hosts
        live, ip_calls, spans = [], {}, {}
        for i in todo:
            c = calls[i]
            bulk = len(c.ports) > reserved.MAX_PORTS
            try:
                wanted: list[ipam_pb2.IpRequest] = []
                cuts = []
                for p in c.ports:
                    n = nets.get(p.network_id)
                    if n is not None and p.network_id not in fresh and not _visible_to(c.ctx, n.network):
                        self._networks.pop(p.network_id, None)  # made shared since? look again
                        raise StaleNetwork()
                    if n is None or not _visible_to(c.ctx, n.network):
                        raise NotFound(f"Network {p.network_id} could not be found.", reason="NetworkNotFound")
                    c.networks[p.network_id] = n
                    if p.binding_host_id and p.binding_host_id not in hosts and bulk:
                        raise host_not_registered(p.binding_host_id)
                await self._assign_groups(c)
                for p in c.ports:
                    reqs = portlogic.ip_requests(p, nets[p.network_id])
                    cuts.append((len(wanted), len(wanted) + len(reqs)))
                    wanted += reqs
                    del p.empty_lists[:]  # input only: read above, never stored
                spans[i] = cuts
                ip_calls[i] = ipam_pb2.AllocateIpsRequest(requests=wanted)
                live.append(i)
            except (AlcorError, StaleNetwork) as e:
                out[i] = e
        return live, ip_calls, spans

    async def _answer_recorded(self, calls: list[CreateCall], todo: list[int], out: list,
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

    def _forget_stale(self, c: CreateCall, e: StoreConflict) -> bool:
        """Forgets look-ups a conflict showed stale; True when a network
        still exists but changed (the create goes again; a deleted one or a
        host gone is the caller's error, reported as such)."""
        stale = False
        for p in c.ports:
            k = keys.resource("networks", p.network_id)
            if k in e.current:
                seen = self._networks.pop(p.network_id, None)
                if seen is not None:  # the watch may not have caught up: look it up
                    self._distrusted[p.network_id] = seen.network.revision_number
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


def _visible_to(ctx: context.RequestContext, n: network_pb2.Network) -> bool:
    return ctx.is_admin or ctx.project_id == n.project_id or n.shared


async def _none():
    return None


def _done(value) -> asyncio.Future:
    f = asyncio.get_running_loop().create_future()
    f.set_result(value)
    return f
