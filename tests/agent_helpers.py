"""Builders of goal-state messages and a stand-in for svc_dpm's side of
GoalStateService, shared by the agent tests."""
from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

import grpc

from alcor.v1 import goalstate_pb2 as gs
from alcor.v1 import goalstate_pb2_grpc
from alcor.v1.common_pb2 import FixedIp

CREATE, UPDATE, DELETE = gs.OPERATION_CREATE, gs.OPERATION_UPDATE, gs.OPERATION_DELETE


def vpc(id: str, vni: int, op=CREATE, revision: int = 0) -> gs.VpcState:
    return gs.VpcState(operation=op, id=id, vni=vni, revision=revision)


def subnet(id: str, vpc_id: str, cidr: str, gateway_ip: str = "", op=CREATE) -> gs.SubnetState:
    return gs.SubnetState(operation=op, id=id, vpc_id=vpc_id, cidr=cidr, gateway_ip=gateway_ip,
                          ip_version=6 if ":" in cidr else 4)


def port(id: str, vpc_id: str, mac: str, ips: list[tuple[str, str]] = (), namespace: str = "",
         up: bool = True, op=CREATE, revision: int = 0) -> gs.PortState:
    return gs.PortState(operation=op, id=id, vpc_id=vpc_id, mac_address=mac,
                        fixed_ips=[FixedIp(subnet_id=s, ip_address=ip) for s, ip in ips],
                        namespace=namespace, admin_state_up=up, revision=revision)


def neighbor(port_id: str, vpc_id: str, ip: str, mac: str, host_ip: str, vni: int,
             subnet_id: str = "", l3: bool = False, op=CREATE) -> gs.NeighborState:
    return gs.NeighborState(operation=op, port_id=port_id, vpc_id=vpc_id, subnet_id=subnet_id,
                            ip_address=ip, mac_address=mac, host_ip=host_ip, vni=vni,
                            type=gs.NEIGHBOR_TYPE_L3 if l3 else gs.NEIGHBOR_TYPE_L2)


def full(revision: int, host: str = "h", vpcs=(), subnets=(), ports=(), neighbors=()):
    return gs.HostGoalState(host_name=host, update_type=gs.UPDATE_TYPE_FULL, revision=revision,
                            vpcs=vpcs, subnets=subnets, ports=ports, neighbors=neighbors)


def delta(base: int, revision: int, host: str = "h", vpcs=(), subnets=(), ports=(),
          neighbors=()):
    return gs.HostGoalState(host_name=host, update_type=gs.UPDATE_TYPE_DELTA, revision=revision,
                            base_revision=base, vpcs=vpcs, subnets=subnets, ports=ports,
                            neighbors=neighbors)


def mac_of(i: int, prefix: str = "fa:16:3e") -> str:
    return f"{prefix}:{(i >> 16) & 0xff:02x}:{(i >> 8) & 0xff:02x}:{i & 0xff:02x}"


def ip_of(i: int) -> str:
    """The i-th host address of 10.0.0.0/8 (i from 0)."""
    i += 2
    return f"10.{(i >> 16) & 0xff}.{(i >> 8) & 0xff}.{i & 0xff}"


def scale_goal_state(ports: int = 1000, neighbors: int = 10_000, vpcs: int = 10,
                     revision: int = 1, host: str = "h") -> gs.HostGoalState:
    """One host with `ports` local ports and `neighbors` remote ones, spread
    evenly over `vpcs` VPCs that each own a /8 slice of 10.0.0.0/8."""
    vpc_ids = [f"vpc-{v}" for v in range(vpcs)]
    msg = full(revision, host,
               vpcs=[vpc(v, 1000 + i) for i, v in enumerate(vpc_ids)],
               subnets=[subnet(f"sn-{v}", v, "10.0.0.0/8", "10.0.0.1") for v in vpc_ids])
    for i in range(ports):
        v = vpc_ids[i % vpcs]
        msg.ports.append(port(f"port-{i}", v, mac_of(i), [(f"sn-{v}", ip_of(i))],
                              namespace=f"ns-{i}"))
    for j in range(neighbors):
        i = ports + j
        v = vpc_ids[j % vpcs]
        msg.neighbors.append(neighbor(f"port-{i}", v, ip_of(i), mac_of(i),
                                      f"192.168.{(j >> 8) & 0xff}.{j & 0xff}", 1000 + j % vpcs,
                                      subnet_id=f"sn-{v}"))
    return msg


# --- a stand-in for svc_dpm ---------------------------------------------------


@dataclass
class Connection:
    """One StreamGoalStates call as the controller sees it."""

    host: str
    applied_revision: int
    outbox: asyncio.Queue = field(default_factory=asyncio.Queue)
    closed: bool = False

    async def send(self, msg: gs.HostGoalState) -> None:
        await self.outbox.put(msg)

    def drop(self) -> None:
        """Ends the stream from the server side, as a controller restart would."""
        self.outbox.put_nowait(None)


class FakeController(goalstate_pb2_grpc.GoalStateServiceServicer):
    """Plays svc_dpm's side of StreamGoalStates over real gRPC: records every
    hello and report, answers a hello with whatever `on_hello` returns, and
    lets a test push more goal states on a host's current connection."""

    def __init__(self, on_hello=None):
        self.on_hello = on_hello or (lambda host, applied: [])
        self.hellos: list[tuple[str, int]] = []
        self.reports: dict[str, list[gs.ProgrammingReport]] = defaultdict(list)
        self.connections: dict[str, Connection] = {}

    async def StreamGoalStates(self, request_iterator, context):
        first = await context.read()
        if first is grpc.aio.EOF or not first.HasField("hello"):
            return
        conn = Connection(first.hello.host_name, first.hello.applied_revision)
        self.hellos.append((conn.host, conn.applied_revision))
        self.connections[conn.host] = conn
        for msg in self.on_hello(conn.host, conn.applied_revision):
            conn.outbox.put_nowait(msg)

        async def read_reports():
            while True:
                req = await context.read()
                if req is grpc.aio.EOF:
                    return
                if req.HasField("report"):
                    self.reports[conn.host].append(req.report)

        reader = asyncio.create_task(read_reports())
        try:
            while True:
                getter = asyncio.ensure_future(conn.outbox.get())
                done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
                if getter not in done:
                    getter.cancel()
                    return
                msg = getter.result()
                if msg is None:
                    return
                await context.write(gs.StreamGoalStatesResponse(goal_state=msg))
        finally:
            conn.closed = True
            reader.cancel()

    def last_report(self, host: str) -> gs.ProgrammingReport | None:
        reports = self.reports.get(host)
        return reports[-1] if reports else None


async def serve_fake_controller(controller: FakeController) -> tuple[grpc.aio.Server, str]:
    server = grpc.aio.server()
    goalstate_pb2_grpc.add_GoalStateServiceServicer_to_server(controller, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, f"127.0.0.1:{port}"


def unique(prefix: str = "t") -> str:
    return f"{prefix}{uuid.uuid4().hex[:6]}"
