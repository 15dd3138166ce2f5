"""Port life cycles across services. Create: validate, look up networks and
hosts (one call each for the whole batch), allocate IPs and MACs (one call
each, concurrently), persist (compare transactions); any failure releases
everything taken. Update reallocates what changed; delete releases through a
durable pending-release record."""
from __future__ import annotations

import asyncio
import logging

from alcor.v1 import (common_pb2, ipam_pb2, ipam_pb2_grpc, mac_pb2, mac_pb2_grpc, network_pb2,
                      network_pb2_grpc, node_pb2, node_pb2_grpc, port_pb2)
from runtime.clients import call
from runtime.context import IDEMPOTENCY_KEY
from runtime.idempotency import Idempotency
from runtime.store import StoreConflict
from runtime.config import Settings
from runtime.errors import AlcorError
from runtime.resources import apply_mask, check_revision, now
from runtime.retry import on_conflict
from svc_mac.macs import normalize as normalize_mac
from svc_port import ports as portlogic
from svc_port.store import PortStore

log = logging.getLogger("alcor.svc_port")


class PortOrchestrator:
    def __init__(self, store: PortStore, settings: Settings, *, vpc: network_pb2_grpc.NetworkServiceStub,
                 ipam: ipam_pb2_grpc.IpamServiceStub, macs: mac_pb2_grpc.MacServiceStub,
                 nodes: node_pb2_grpc.NodeServiceStub):
        self.store = store
        self.settings = settings
        self.vpc, self.ipam, self.macs, self.nodes = vpc, ipam, macs, nodes
        self.idempotency = Idempotency(store.store, "ports")

    # --- helpers -------------------------------------------------------------

    async def _lookup_nodes(self, names: list[str]) -> dict[str, node_pb2.Node]:
        names = sorted({n for n in names if n})
        if not names:
            return {}
        resp = await call(self.nodes.LookupNodes(node_pb2.LookupNodesRequest(names=names)))
        return {n.name: n for n in resp.nodes}

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
        key = Idempotency.create_key()
        if key:
            recorded = await self.idempotency.recorded(key)
            if recorded is not None:
                return await self._replay(recorded)
        ports = [portlogic.new_port(r, self.settings.default_project) for r in reqs]
        net_ids = sorted({p.network_id for p in ports})
        nets_resp, _ = await asyncio.gather(
            call(self.vpc.LookupNetworks(network_pb2.LookupNetworksRequest(ids=net_ids))),
            self._lookup_nodes([p.binding_host_id for p in ports]),
        )
        nets = {n.network.id: n for n in nets_resp.networks}
        ip_reqs, spans = [], []
        for p in ports:
            wanted = portlogic.ip_requests(p, nets[p.network_id])
            spans.append((len(ip_reqs), len(ip_reqs) + len(wanted)))
            ip_reqs += wanted
        mac_reqs = [mac_pb2.MacRequest(mac_address=p.mac_address) for p in ports]
        ips, macs = await self._allocate(ip_reqs, mac_reqs, key)
        for p, (a, b), mac in zip(ports, spans, macs):
            del p.fixed_ips[:]
            p.fixed_ips.extend(common_pb2.FixedIp(subnet_id=x.subnet_id, ip_address=x.ip_address)
                               for x in ips[a:b])
            p.mac_address = mac
        record = [await self.idempotency.record_unit(key, "\n".join(p.id for p in ports).encode())] \
            if key else []
        try:
            await self.store.create_all(ports, record)
        except StoreConflict as e:
            if key and self.idempotency.record_key(key) in e.current:
                # A concurrent duplicate of this create finished first: keep
                # what its ports hold (the allocation calls may have shared
                # their outcome with it), give back the rest.
                winner = await self._replay(await self.idempotency.recorded(key) or b"")
                held_ips = {f.ip_address for p in winner for f in p.fixed_ips}
                held_macs = {p.mac_address for p in winner}
                await self._release([a for a in ips if a.ip_address not in held_ips],
                                    [m for m in macs if m not in held_macs])
                return winner
            await self._release(ips, macs)
            raise
        except BaseException:
            await self._release(ips, macs)
            raise
        return ports

    async def _replay(self, recorded: bytes) -> list[port_pb2.Port]:
        """The ports a create with this key made the first time."""
        ids = [i for i in recorded.decode().split("\n") if i]
        got = await self.store.ports.get_many(ids)
        ports = [got[i] for i in ids if i in got]
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
