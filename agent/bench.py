"""What one agent spends per goal-state message, without a stream: a host
holding `--held` neighbors in `--vpcs` VPCs takes DELTAs that add `--per`
neighbors each, then DELTAs that remove them all again, through the real
Agent and the recording data plane. Prints microseconds per message and per
neighbor, for each phase.

  python -m agent.bench --held 5000 --per 200
  python -m agent.bench --held 1500 --per 10 --messages 100 --routers

In `alcor bench` the simulated hosts apply about a million neighbor entries
for a bulk after throughput; this isolates that work from gRPC and svc_dpm.
"""
from __future__ import annotations

import argparse
import asyncio
import time
import uuid

from agent.client import Agent
from agent.recording import RecordingDataPlane
from alcor.v1 import common_pb2
from alcor.v1 import goalstate_pb2 as gs
from runtime import collector

CREATE, DELETE = gs.OPERATION_CREATE, gs.OPERATION_DELETE


class Fleet:
    """The VPCs, subnets and ports of one host, and neighbors numbered 0, 1, ..."""

    def __init__(self, vpcs: int, ports: int, routers: bool = False):
        self.routers = routers
        self.vpcs = [str(uuid.uuid4()) for _ in range(vpcs)]
        self.subnets = [str(uuid.uuid4()) for _ in range(vpcs)]
        self.ports = ports
        self._ids: dict[int, str] = {}

    @staticmethod
    def mac(i: int) -> str:
        return "fa:16:3e:%02x:%02x:%02x" % ((i >> 16) & 255, (i >> 8) & 255, i & 255)

    def ip(self, v: int, i: int) -> str:
        return f"10.{v}.{i // 250}.{i % 250 + 2}"

    def neighbor(self, n: int, op: int, revision: int) -> gs.NeighborState:
        v = n % len(self.vpcs)
        pid = self._ids.setdefault(n, str(uuid.uuid4()))
        if op == DELETE:
            return gs.NeighborState(operation=op, port_id=pid, vpc_id=self.vpcs[v],
                                    ip_address=self.ip(v, n // len(self.vpcs)), revision=revision)
        return gs.NeighborState(operation=op, port_id=pid, vpc_id=self.vpcs[v], subnet_id=self.subnets[v],
                                ip_address=self.ip(v, n // len(self.vpcs)), mac_address=self.mac(n),
                                host_ip=f"172.31.{n % 200}.{n % 250 + 1}", vni=100 + v, revision=revision)

    def full(self, held: int) -> gs.HostGoalState:
        m = gs.HostGoalState(host_name="h", update_type=gs.UPDATE_TYPE_FULL, revision=1)
        for v, (vpc, sub) in enumerate(zip(self.vpcs, self.subnets)):
            m.vpcs.add(operation=CREATE, id=vpc, vni=100 + v, revision=1)
            m.subnets.add(operation=CREATE, id=sub, vpc_id=vpc, cidr=f"10.{v}.0.0/16",
                          gateway_ip=f"10.{v}.0.1", ip_version=4, revision=1)
        for p in range(self.ports):
            v = p % len(self.vpcs)
            m.ports.add(operation=CREATE, id=str(uuid.uuid4()), vpc_id=self.vpcs[v],
                        mac_address=self.mac(900_000 + p), admin_state_up=True, revision=1,
                        fixed_ips=[common_pb2.FixedIp(subnet_id=self.subnets[v],
                                                      ip_address=self.ip(v, 60_000 + p))])
        if self.routers:  # each VPC's subnet on a router of its own
            for v, (vpc, sub) in enumerate(zip(self.vpcs, self.subnets)):
                m.routers.add(operation=CREATE, id=f"router-{v}", vpc_id=vpc, revision=1,
                              gateway_mac="fa:16:3f:00:00:01", interfaces=[gs.RouterInterface(
                                  subnet_id=sub, cidr=f"10.{v}.0.0/16", gateway_ip=f"10.{v}.0.1")])
        m.neighbors.extend(self.neighbor(n, CREATE, 1) for n in range(held))
        return m

    def delta(self, revision: int, numbers: range, op: int) -> gs.HostGoalState:
        m = gs.HostGoalState(host_name="h", update_type=gs.UPDATE_TYPE_DELTA, revision=revision,
                             base_revision=revision - 1)
        m.neighbors.extend(self.neighbor(n, op, revision) for n in numbers)
        return m


async def run(held: int, per: int, messages: int, vpcs: int, ports: int,
              routers: bool = False) -> dict:
    fleet = Fleet(vpcs, ports, routers)
    agent = Agent("h", RecordingDataPlane("h", "172.31.250.250"))
    await agent.handle_goal_states([fleet.full(held)])
    added = range(held, held + per * messages)
    # Encoded and decoded first, as a stream would deliver them.
    adds = [gs.HostGoalState.FromString(fleet.delta(2 + j, added[j * per:(j + 1) * per], CREATE)
                                        .SerializeToString()) for j in range(messages)]
    removes = [gs.HostGoalState.FromString(fleet.delta(2 + messages + j, added[j * per:(j + 1) * per],
                                                       DELETE).SerializeToString())
               for j in range(messages)]
    out = {}
    for phase, batch in (("add", adds), ("remove", removes)):
        started = time.perf_counter()
        for msg in batch:
            await agent.handle_goal_states([msg])
        took = time.perf_counter() - started
        out[phase] = (took / messages * 1e6, took / (messages * per) * 1e6)
    assert len(agent.state.neighbors) == held, "the removals did not all apply"
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m agent.bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--held", type=int, default=5000, help="neighbors the host holds to begin with")
    p.add_argument("--per", type=int, default=200, help="neighbors each DELTA adds (then removes)")
    p.add_argument("--messages", type=int, default=20)
    p.add_argument("--vpcs", type=int, default=10)
    p.add_argument("--ports", type=int, default=14, help="the host's own ports")
    p.add_argument("--routers", action="store_true", help="every VPC's subnet on a router")
    a = p.parse_args(argv)
    collector.tune()  # as in the simulated hosts' processes
    out = asyncio.run(run(a.held, a.per, a.messages, a.vpcs, a.ports, a.routers))
    print(f"host holding {a.held:,} neighbors in {a.vpcs} VPCs{' with routers' if a.routers else ''}, "
          f"{a.messages} DELTAs of {a.per} each:")
    for phase, (per_msg, per_entry) in out.items():
        print(f"  {phase:<7} {per_msg:9.0f} us per message  {per_entry:6.2f} us per neighbor")


if __name__ == "__main__":
    main()
