"""A driver that records what it would program and answers SUCCESS.

It keeps, per host, what a Linux host would hold: the VPCs (bridge + VXLAN),
the ports (veth pairs), the forwarding entries, the ARP entries, each port
namespace's security-group filter and the routers, and it
reconciles them exactly like the Linux driver does (create, fix, remove), so
a scale test can check what every simulated host ended up with and how much
each goal state changed. No I/O and no threads: hundreds of agents fit in
one process.

`fail` makes a resource fail on purpose, to test how failures are reported.
"""
from __future__ import annotations

from agent.dataplane import Outcome, Status
from agent.firewall import NamespaceFilter
from agent.model import HostState, Kind
from agent.plan import HostPlan, PlanCache, PortPlan, RouterPlan, VpcPlan


class RecordingDataPlane:
    def __init__(self, host_name: str = "", local_ip: str = ""):
        self.host_name = host_name
        self.local_ip = local_ip
        self.vpcs: dict[str, VpcPlan] = {}
        self.ports: dict[str, PortPlan] = {}
        # (vpc id, neighbor MAC, remote VTEP) on the VPC's VXLAN device.
        self.fdb: set[tuple[str, str, str]] = set()
        # (vpc id, neighbor IP, MAC), present in the namespace of every local
        # port of the VPC; kept per VPC, not per namespace, so 1,000 ports
        # times 10,000 neighbors stays 10,000 entries.
        self.arp: set[tuple[str, str, str]] = set()
        # namespace -> the filter its nftables table would hold.
        self.filters: dict[str, NamespaceFilter] = {}
        self.routers: dict[str, RouterPlan] = {}
        self._plan = HostPlan()
        self.reconciles = 0
        # Entries created, changed or removed, summed over all reconciles.
        self.changes = 0
        self._failures: dict[tuple[Kind, str], str] = {}
        self._plans = PlanCache()
        self._entries_of = None
        self._entries: tuple[frozenset, frozenset] = (frozenset(), frozenset())
        self._per_vpc: dict[str, tuple] = {}

    def fail(self, kind: Kind, resource_id: str, reason: str = "injected failure") -> None:
        self._failures[(kind, resource_id)] = reason

    def heal(self, kind: Kind, resource_id: str) -> None:
        self._failures.pop((kind, resource_id), None)

    def arp_in(self, namespace: str) -> set[tuple[str, str]]:
        """(IP, MAC) entries the given port namespace would hold."""
        return {(ip, n.mac) for p in self.ports.values() if p.namespace == namespace
                for ip, n in self._plan.arp_for(p).items()}

    @property
    def rule_count(self) -> int:
        """nftables rules this host would hold, over all its namespaces."""
        return sum(f.rule_count for f in self.filters.values())

    async def reconcile(self, state: HostState) -> list[Outcome]:
        plan = self._plans.get(state)
        self._plan = plan
        self.reconciles += 1
        outcomes = list(plan.invalid)
        failures = self._failures

        vpcs = plan.vpcs
        if failures:
            vpcs = {}
            for vpc_id, vp in plan.vpcs.items():
                reason = failures.get((Kind.VPC, vpc_id))
                if reason is None:
                    vpcs[vpc_id] = vp
                else:
                    outcomes.append(Outcome(Kind.VPC, vpc_id, Status.FAILURE, reason, 0,
                                            vp.revision))
        self.changes += _replace_dict(self.vpcs, vpcs)

        ports: dict[str, PortPlan] = {}
        for port_id, pp in plan.ports.items():
            reason = failures.get((Kind.PORT, port_id)) if failures else None
            if reason is None and pp.vpc_id not in vpcs:
                reason = f"VPC {pp.vpc_id} was not programmed"
            if reason is None:
                ports[port_id] = pp
                outcomes.append(Outcome(Kind.PORT, port_id, Status.SUCCESS, "", 0, pp.revision))
            else:
                outcomes.append(Outcome(Kind.PORT, port_id, Status.FAILURE, reason, 0,
                                        pp.revision))
        self.changes += _replace_dict(self.ports, ports)
        live = {pp.namespace for pp in ports.values()}
        self.changes += _replace_dict(self.filters, {ns: f for ns, f in plan.filters.items()
                                                     if ns in live})
        self.changes += _replace_dict(self.routers, {rid: rp for rid, rp in plan.routers.items()
                                                     if rp.vpc_id in vpcs})

        if self._entries_of is plan and not failures:
            fdb, arp = self._entries  # the periodic resync of an unchanged state
        elif not failures and self._entries_of is not None and plan.previous is not None \
                and plan.previous() is self._entries_of:
            # The plan updated the one these entries were built from: apply
            # the neighbors that changed, not all of them again.
            fdb, arp = self.fdb, self.arp  # changed in place, counted here
            local = self.local_ip
            for old, new in plan.neighbor_changes:
                if old is not None:
                    if old.host_ip != local:
                        fdb.discard((old.vpc_id, old.mac, old.host_ip))
                    arp.discard((old.vpc_id, old.ip, old.mac))
                    self.changes += 1
                if new is not None:
                    if new.host_ip != local:
                        fdb.add((new.vpc_id, new.mac, new.host_ip))
                    arp.add((new.vpc_id, new.ip, new.mac))
                    self.changes += 1
            self._entries_of, self._entries = plan, (fdb, arp)
        else:
            fdb, arp = self._desired_entries(plan, vpcs)
            self._entries_of, self._entries = (None if failures else plan), (fdb, arp)
        if failures:
            fdb, arp = set(fdb), set(arp)
            failed = {key[1] for key in failures if key[0] is Kind.NEIGHBOR}
            for vpc_id, entries in plan.fdb.items():
                for mac, n in entries.items():
                    if n.port_id in failed:
                        fdb.discard((vpc_id, mac, n.host_ip))
                        arp.discard((vpc_id, n.ip, mac))
                        outcomes.append(Outcome(Kind.NEIGHBOR, n.port_id, Status.FAILURE,
                                                failures[(Kind.NEIGHBOR, n.port_id)], 0,
                                                n.revision))
        # Sets compare element by element even with themselves: after an
        # in-place update (above) that was a walk of every entry per message.
        if fdb is not self.fdb and fdb != self.fdb:
            self.changes += len(fdb ^ self.fdb)
            self.fdb = set(fdb)
        if arp is not self.arp and arp != self.arp:
            self.changes += len(arp ^ self.arp)
            self.arp = set(arp)
        return outcomes

    def _desired_entries(self, plan, vpcs) -> tuple[frozenset, frozenset]:
        """Per VPC, entries are rebuilt only when its tables are not the
        previous plan's very objects (an incremental plan shares them)."""
        local = self.local_ip
        fdb_parts, arp_parts, seen = [], [], {}
        for vpc_id in vpcs:
            entries, per_subnet = plan.fdb.get(vpc_id, _NONE), plan.arp.get(vpc_id, _NONE)
            hit = self._per_vpc.get(vpc_id)
            if hit is None or hit[0] is not entries or hit[1] is not per_subnet:
                hit = (entries, per_subnet,
                       frozenset((vpc_id, mac, n.host_ip) for mac, n in entries.items()
                                 if n.host_ip != local),
                       frozenset((vpc_id, ip, n.mac) for e in per_subnet.values()
                                 for ip, n in e.items()))
            seen[vpc_id] = hit
            fdb_parts.append(hit[2])
            arp_parts.append(hit[3])
        self._per_vpc = seen
        return frozenset().union(*fdb_parts), frozenset().union(*arp_parts)

    async def close(self) -> None:
        pass


_NONE: dict = {}


def _replace_dict(current: dict, desired: dict) -> int:
    """Makes `current` equal `desired` in place; returns how many keys changed."""
    changed = sum(1 for k, v in desired.items() if current.get(k) != v)
    changed += sum(1 for k in current if k not in desired)
    current.clear()
    current.update(desired)
    return changed
