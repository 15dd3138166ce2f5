"""Goal-state delivery through svc_dpm's real stream, with a real gRPC client
in the agent's place: FULL on connect, DELTAs as ports come and go, neighbor
fan-out, status from reports, and reconnects answered from etcd history."""
import asyncio
import uuid

import grpc

from alcor.v1 import goalstate_pb2 as gs, goalstate_pb2_grpc, node_pb2, port_pb2
from tests.conftest import eventually
from tests.test_core_resources import new_network, new_subnet


class StreamClient:
    """Speaks the agent's side of StreamGoalStates."""

    def __init__(self, address: str, host: str, applied: int = 0):
        self.channel = grpc.aio.insecure_channel(address)
        self.out: asyncio.Queue = asyncio.Queue()
        self.out.put_nowait(gs.StreamGoalStatesRequest(hello=gs.AgentHello(host_name=host, applied_revision=applied)))
        self.call = goalstate_pb2_grpc.GoalStateServiceStub(self.channel).StreamGoalStates(self._requests())
        self.received: list[gs.HostGoalState] = []

    async def _requests(self):
        while True:
            m = await self.out.get()
            if m is None:
                return
            yield m

    async def next(self, timeout=10.0) -> gs.HostGoalState:
        r = await asyncio.wait_for(self.call.read(), timeout)
        self.received.append(r.goal_state)
        return r.goal_state

    async def until(self, pred, timeout=10.0) -> gs.HostGoalState:
        while True:
            m = await self.next(timeout)
            if pred(m):
                return m

    def report(self, revision, port_id, status=gs.PROGRAMMING_STATUS_SUCCESS, reason=""):
        self.out.put_nowait(gs.StreamGoalStatesRequest(report=gs.ProgrammingReport(
            revision=revision, statuses=[gs.ResourceStatus(type=gs.RESOURCE_TYPE_PORT, id=port_id,
                                                           status=status, reason=reason)])))

    async def close(self):
        self.out.put_nowait(None)
        self.call.cancel()
        await self.channel.close()


async def register_hosts(api, n):
    tag = uuid.uuid4().hex[:6]
    names = [f"dh{i}-{tag}" for i in range(n)]
    await api.nodes.CreateNodes(node_pb2.CreateNodesRequest(
        nodes=[node_pb2.Node(name=h, local_ip=f"192.168.7.{i + 1}") for i, h in enumerate(names)]))
    return names


async def status_of(api, port_id):
    return (await api.ports.GetPort(port_pb2.GetPortRequest(id=port_id))).port


async def test_full_delta_neighbors_and_status(api, cluster):
    h1, h2 = await register_hosts(api, 2)
    a1 = StreamClient(cluster.address("svc_dpm"), h1)
    try:
        first = await a1.next()
        assert first.update_type == gs.UPDATE_TYPE_FULL and not first.ports
        n = await new_network(api)
        await new_subnet(api, n.id, "10.60.0.0/24")
        p1 = (await api.ports.CreatePorts(port_pb2.CreatePortsRequest(
            port=port_pb2.Port(network_id=n.id, binding_host_id=h1, device_id="vm-a")))).port
        assert p1.status == "DOWN"
        m = await a1.until(lambda m: any(p.id == p1.id for p in m.ports))
        assert m.update_type == gs.UPDATE_TYPE_DELTA
        assert m.vpcs[0].vni == n.provider_segmentation_id and m.subnets[0].gateway_ip == "10.60.0.1"
        assert m.ports[0].namespace == "vm-a" and m.ports[0].operation == gs.OPERATION_CREATE

        # A port on another host becomes h1's neighbor.
        p2 = (await api.ports.CreatePorts(port_pb2.CreatePortsRequest(
            port=port_pb2.Port(network_id=n.id, binding_host_id=h2)))).port
        m = await a1.until(lambda m: any(x.port_id == p2.id for x in m.neighbors))
        nb = next(x for x in m.neighbors if x.port_id == p2.id)
        assert (nb.ip_address, nb.mac_address, nb.host_ip) == (p2.fixed_ips[0].ip_address, p2.mac_address, "192.168.7.2")

        # Status follows the agent's report.
        a1.report(m.revision, p1.id)
        await eventually(lambda: _is(api, p1.id, "ACTIVE"))
        a1.report(m.revision, p1.id, gs.PROGRAMMING_STATUS_FAILURE, "veth busy")
        got = await eventually(lambda: _is(api, p1.id, "ERROR"))
        assert got.status_reason == "veth busy"
        # h1 cannot vouch for a port bound elsewhere.
        a1.report(m.revision, p2.id)
        await asyncio.sleep(0.2)
        assert (await status_of(api, p2.id)).status == "DOWN"

        # Deleting the remote port withdraws the neighbor.
        await api.ports.DeletePort(port_pb2.DeletePortRequest(id=p2.id))
        m = await a1.until(lambda m: any(x.port_id == p2.id for x in m.neighbors))
        assert all(x.operation == gs.OPERATION_DELETE for x in m.neighbors if x.port_id == p2.id)
        applied = m.revision
    finally:
        await a1.close()

    # While h1 is away: one port more on h1. On reconnect it gets only that.
    p3 = (await api.ports.CreatePorts(port_pb2.CreatePortsRequest(
        port=port_pb2.Port(network_id=n.id, binding_host_id=h1)))).port
    a1 = StreamClient(cluster.address("svc_dpm"), h1, applied=applied)
    try:
        m = await a1.next()
        assert m.update_type == gs.UPDATE_TYPE_DELTA and m.base_revision == applied
        assert [p.id for p in m.ports] == [p3.id]
    finally:
        await a1.close()


async def _is(api, port_id, status):
    p = await status_of(api, port_id)
    return p if p.status == status else None


async def test_unbound_port_reaches_no_agent_and_stays_down(api, cluster):
    (h1,) = await register_hosts(api, 1)
    a1 = StreamClient(cluster.address("svc_dpm"), h1)
    try:
        await a1.next()
        n = await new_network(api)
        await new_subnet(api, n.id, "10.61.0.0/24")
        p = (await api.ports.CreatePorts(port_pb2.CreatePortsRequest(port=port_pb2.Port(network_id=n.id)))).port
        a1.report(1, p.id)
        with_timeout = asyncio.wait_for(a1.next(), 0.5)
        try:
            await with_timeout
            raise AssertionError("an unbound port must not reach any agent")
        except asyncio.TimeoutError:
            pass
        assert (await status_of(api, p.id)).status == "DOWN"
    finally:
        await a1.close()


async def test_bulk_reaches_each_host_in_few_messages(api, cluster):
    hosts = await register_hosts(api, 5)
    clients = [StreamClient(cluster.address("svc_dpm"), h) for h in hosts]
    try:
        for c in clients:
            await c.next()
        n = await new_network(api)
        await new_subnet(api, n.id, "10.62.0.0/22")
        r = await api.ports.CreatePorts(port_pb2.CreatePortsRequest(ports=[
            port_pb2.Port(network_id=n.id, binding_host_id=hosts[i % 5]) for i in range(500)]))
        for c, h in zip(clients, hosts):
            mine = {p.id for p in r.ports if p.binding_host_id == h}
            seen, neighbors = set(), set()
            while len(seen) < 100 or len(neighbors) < 400:
                m = await c.next()
                seen |= {p.id for p in m.ports}
                neighbors |= {x.port_id for x in m.neighbors}
            assert seen == mine and len(neighbors) == 400
            # 500 ports over ~20 transactions: a handful of messages, not hundreds.
            assert len(c.received) <= 25, len(c.received)
    finally:
        for c in clients:
            await c.close()


async def test_a_bulk_is_held_until_it_has_landed(api, cluster):
    """Four bulk creates in a row, each one transaction of 100 ports: the
    hosts hear of none of them until the last has landed, then get all of
    it in one message (pushing at each transaction gave 20 ports first)."""
    hosts = await register_hosts(api, 5)
    clients = [StreamClient(cluster.address("svc_dpm"), h) for h in hosts]
    try:
        for c in clients:
            await c.next()  # the FULL state on connect
        n = await new_network(api)
        await new_subnet(api, n.id, "10.63.0.0/22")
        created = []
        for _ in range(4):
            r = await api.ports.CreatePorts(port_pb2.CreatePortsRequest(ports=[
                port_pb2.Port(network_id=n.id, binding_host_id=hosts[i % 5]) for i in range(100)]))
            created += r.ports
            await asyncio.sleep(0.01)
        for c, h in zip(clients, hosts):
            m = await c.next()
            assert {p.id for p in m.ports} == {p.id for p in created if p.binding_host_id == h}
            assert len(m.neighbors) == 320  # the other hosts' ports, in the same message
    finally:
        for c in clients:
            await c.close()
