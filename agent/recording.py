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
        # What the VPCs' VXLAN devices hold: VPC -> {neighbor MAC: remote VTEP}.
        self.vxlan_fdb: dict[str, dict[str, str]] = {}
        # What the namespaces of the VPC's local ports hold: VPC -> subnet ->
        # {neighbor IP: MAC}; kept per VPC, not per namespace, so 1,000 ports
        # times 10,000 neighbors stays 10,000 entries.
        self.neighbor_arp: dict[str, dict[str, dict[str, str]]] = {}
        # namespace -> the filter its nftables table would hold.
        self.filters: dict[str, NamespaceFilter] = {}
        self.routers: dict[str, RouterPlan] = {}
        self._plan = HostPlan()
        self.reconciles = 0
        # Entries created, changed or removed, summed over all reconciles.
        self.changes = 0
        self._failures: dict[tuple[Kind, str], str] = {}
        self._plans = PlanCache()
        # The plan the held entries were last made equal to (None after a
        # reconcile with failures).
        self._entries_of = None

    def fail(self, kind: Kind, resource_id: str, reason: str = "injected failure") -> None:
        self._failures[(kind, resource_id)] = reason

    def heal(self, kind: Kind, resource_id: str) -> None:
        self._failures.pop((kind, resource_id), None)

    @property
    def fdb(self) -> set[tuple[str, str, str]]:
        """(VPC, neighbor MAC, remote VTEP) of every forwarding entry held."""
        return {(v, mac, vtep) for v, e in self.vxlan_fdb.items() for mac, vtep in e.items()}

    @property
    def arp(self) -> set[tuple[str, str, str]]:
        """(VPC, neighbor IP, MAC) of every ARP entry held."""
        return {(v, ip, mac) for v, per_subnet in self.neighbor_arp.items()
                for e in per_subnet.values() for ip, mac in e.items()}

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

        if not failures and self._entries_of is not None and self._entries_of is not plan \
                and plan.previous is not None and plan.previous() is self._entries_of:
            # The plan updated the one the held entries were made from:
            # apply the neighbors that changed, not all of them again.
            self.changes += self._apply_neighbor_changes(plan.neighbor_changes)
            self._entries_of = plan
        else:
            # A whole build, or the periodic resync (which repairs drift).
            fdb, arp = self._desired_entries(plan, vpcs)
            if failures:
                fdb, arp = self._without_failed(plan, fdb, arp, failures, outcomes)
            self.changes += _sync(self.vxlan_fdb, fdb) + _sync(self.neighbor_arp, arp)
            self._entries_of = None if failures else plan
        return outcomes

    def _apply_neighbor_changes(self, changes) -> int:
        """Applies a plan's (old, new) neighbor pairs to the held entries.
        Tables of strings only: a tuple per entry made 2 tracked objects per
        neighbor, and the cyclic collector's walks of them were a fifth of a
        process of 500 simulated hosts."""
        fdb, arp, local = self.vxlan_fdb, self.neighbor_arp, self.local_ip
        count = 0
        for old, new in changes:
            if old is not None:
                if old.host_ip != local:
                    entries = fdb.get(old.vpc_id)
                    if entries is not None and entries.get(old.mac) == old.host_ip:
                        del entries[old.mac]
                entries = arp.get(old.vpc_id, _NONE).get(old.subnet_id)
                if entries is not None and entries.get(old.ip) == old.mac:
                    del entries[old.ip]
                count += 1
            if new is not None:
                if new.host_ip != local:
                    entries = fdb.get(new.vpc_id)
                    if entries is None:
                        entries = fdb[new.vpc_id] = {}
                    entries[new.mac] = new.host_ip
                per_subnet = arp.get(new.vpc_id)
                if per_subnet is None:
                    per_subnet = arp[new.vpc_id] = {}
                entries = per_subnet.get(new.subnet_id)
                if entries is None:
                    entries = per_subnet[new.subnet_id] = {}
                entries[new.ip] = new.mac
                count += 1
        return count

    def _desired_entries(self, plan, vpcs) -> tuple[dict, dict]:
        """The entries the plan asks for, per VPC. Built whole each time: a
        plan's tables are updated in place by the next one (PlanCache), so
        no cache can be keyed by their identity."""
        local = self.local_ip
        fdb, arp = {}, {}
        for vpc_id in vpcs:
            entries = plan.fdb.get(vpc_id)
            if entries:
                held = {mac: n.host_ip for mac, n in entries.items() if n.host_ip != local}
                if held:
                    fdb[vpc_id] = held
            per_subnet = plan.arp.get(vpc_id)
            if per_subnet:
                held = {sid: {ip: n.mac for ip, n in e.items()} for sid, e in per_subnet.items() if e}
                if held:
                    arp[vpc_id] = held
        return fdb, arp

    @staticmethod
    def _without_failed(plan, fdb: dict, arp: dict, failures: dict, outcomes: list):
        """The desired entries less those of neighbors made to fail."""
        failed = {key[1] for key in failures if key[0] is Kind.NEIGHBOR}
        if not failed:
            return fdb, arp
        fdb = {v: dict(e) for v, e in fdb.items()}
        arp = {v: {sid: dict(e) for sid, e in per_subnet.items()} for v, per_subnet in arp.items()}
        for vpc_id, entries in plan.fdb.items():
            for mac, n in entries.items():
                if n.port_id in failed:
                    fdb.get(vpc_id, {}).pop(mac, None)
                    arp.get(vpc_id, {}).get(n.subnet_id, {}).pop(n.ip, None)
                    outcomes.append(Outcome(Kind.NEIGHBOR, n.port_id, Status.FAILURE,
                                            failures[(Kind.NEIGHBOR, n.port_id)], 0,
                                            n.revision))
        return fdb, arp

    async def close(self) -> None:
        pass


_NONE: dict = {}


def _sync(held: dict, desired: dict) -> int:
    """Makes the held per-VPC tables equal the desired ones, copying what
    differs (held tables are changed in place later, desired ones are
    shared); returns how many entries were created, changed or removed."""
    changed = 0
    for vpc_id, want in desired.items():
        have = held.get(vpc_id)
        if have != want:
            changed += _differing(have or {}, want)
            held[vpc_id] = _copy(want)
    for vpc_id in [v for v in held if v not in desired]:
        changed += _differing(held.pop(vpc_id), {})
    return changed


def _differing(have: dict, want: dict) -> int:
    """Entries in one and not the other, nested tables flattened."""
    count = 0
    for key in have.keys() | want.keys():
        a, b = have.get(key), want.get(key)
        if isinstance(a, dict) or isinstance(b, dict):
            count += _differing(a or {}, b or {})
        elif a != b:
            count += (a is not None) + (b is not None)
    return count


def _copy(table: dict) -> dict:
    return {k: _copy(v) if isinstance(v, dict) else v for k, v in table.items()}


def _replace_dict(current: dict, desired: dict) -> int:
    """Makes `current` equal `desired` in place; returns how many keys changed."""
    changed = sum(1 for k, v in desired.items() if current.get(k) != v)
    changed += sum(1 for k in current if k not in desired)
    current.clear()
    current.update(desired)
    return changed
