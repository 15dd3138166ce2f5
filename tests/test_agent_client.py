"""The agent's stream to svc_dpm, over real gRPC against a stand-in
controller (tests.agent_helpers.FakeController), with the recording driver."""
from __future__ import annotations

import asyncio
import time

import grpc
import pytest

from agent.client import Agent, Backoff, run_agent
from agent.model import Kind
from agent.recording import RecordingDataPlane
from alcor.v1 import goalstate_pb2 as gs
from alcor.v1 import goalstate_pb2_grpc
from tests.agent_helpers import (DELETE, FakeController, delta, full, mac_of, neighbor, port,
                                 serve_fake_controller, subnet, vpc)
from tests.conftest import eventually

A = "vpc-a"
SUCCESS, FAILURE = gs.PROGRAMMING_STATUS_SUCCESS, gs.PROGRAMMING_STATUS_FAILURE
OUT_OF_ORDER, INVALID_ARG = gs.PROGRAMMING_STATUS_OUT_OF_ORDER, gs.PROGRAMMING_STATUS_INVALID_ARG


def host_full(revision: int, host: str = "h1", ports: int = 2) -> gs.HostGoalState:
    return full(revision, host, vpcs=[vpc(A, 1001)],
                subnets=[subnet("sa", A, "10.0.0.0/24", "10.0.0.1")],
                ports=[port(f"p{i}", A, mac_of(i), [("sa", f"10.0.0.{i + 2}")], f"ns{i}")
                       for i in range(ports)])


def port_statuses(report: gs.ProgrammingReport) -> dict[str, int]:
    return {s.id: s.status for s in report.statuses if s.type == gs.RESOURCE_TYPE_PORT}


class Running:
    """An Agent running against a FakeController until the test ends."""

    def __init__(self, controller: FakeController, server, addr: str, agent: Agent):
        self.controller, self.server, self.addr, self.agent = controller, server, addr, agent
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(agent.run(addr, self.stop))

    def reports(self) -> list[gs.ProgrammingReport]:
        return self.controller.reports[self.agent.host_name]

    async def report(self, revision: int) -> gs.ProgrammingReport:
        return await eventually(lambda: next(
            (r for r in reversed(self.reports()) if r.revision == revision), None))

    async def close(self):
        self.stop.set()
        await asyncio.wait_for(self.task, 5)
        await self.server.stop(0)


@pytest.fixture
async def start():
    running: list[Running] = []

    async def _start(on_hello, driver=None, resync_seconds: float = 10.0) -> Running:
        controller = FakeController(on_hello)
        server, addr = await serve_fake_controller(controller)
        agent = Agent("h1", driver or RecordingDataPlane("h1"), resync_seconds,
                      Backoff(0.02, 0.2))
        running.append(Running(controller, server, addr, agent))
        return running[-1]

    yield _start
    for r in running:
        await r.close()


async def test_hello_full_then_a_report_per_goal_state(start):
    r = await start(lambda host, applied: [host_full(3)])
    report = await r.report(3)
    assert r.controller.hellos == [("h1", 0)]
    assert port_statuses(report) == {"p0": SUCCESS, "p1": SUCCESS}
    assert all(s.type == gs.RESOURCE_TYPE_PORT for s in report.statuses)

    await r.controller.connections["h1"].send(delta(3, 4, "h1", ports=[
        port("p9", A, mac_of(9), [("sa", "10.0.0.99")], "ns9"),
        port("p0", A, mac_of(0), op=DELETE)]))
    report = await r.report(4)
    # The ports the delta carried (p0 is gone: no status), not the unchanged p1.
    assert port_statuses(report) == {"p9": SUCCESS}
    assert set(r.agent.driver.ports) == {"p1", "p9"} and r.agent.applied_revision == 4


async def test_a_report_also_carries_statuses_that_changed_meanwhile(start):
    r = await start(lambda host, applied: [host_full(3)])
    await r.report(3)
    r.agent.driver.fail(Kind.PORT, "p1", "disk full")
    await r.controller.connections["h1"].send(delta(3, 4, "h1", ports=[
        port("p9", A, mac_of(9), [("sa", "10.0.0.99")], "ns9")]))
    report = await r.report(4)
    assert port_statuses(report) == {"p9": SUCCESS, "p1": gs.PROGRAMMING_STATUS_FAILURE}


async def test_reconnects_with_the_applied_revision(start):
    r = await start(lambda host, applied: [host_full(5)] if applied == 0 else [])
    await r.report(5)
    r.controller.connections["h1"].drop()
    await eventually(lambda: len(r.controller.hellos) == 2)
    assert r.controller.hellos == [("h1", 0), ("h1", 5)]


async def test_reconnects_with_backoff_after_the_controller_restarts(start):
    r = await start(lambda host, applied: [host_full(5)] if applied == 0 else [])
    await r.report(5)
    port_number = int(r.addr.rsplit(":", 1)[1])
    await r.server.stop(0)
    await asyncio.sleep(0.5)  # several failed attempts while nothing listens
    server = grpc.aio.server()
    goalstate_pb2_grpc.add_GoalStateServiceServicer_to_server(r.controller, server)
    server.add_insecure_port(f"127.0.0.1:{port_number}")
    await server.start()
    r.server = server
    await eventually(lambda: len(r.controller.hellos) == 2, timeout=5)
    assert r.controller.hellos[-1] == ("h1", 5)


async def test_out_of_order_delta_asks_for_a_full_state(start):
    hellos = []

    def on_hello(host, applied):  # revision 3 for the first hello, 10 after
        hellos.append(applied)
        return [host_full(3 if len(hellos) == 1 else 10)]

    r = await start(on_hello)
    await r.report(3)
    await r.controller.connections["h1"].send(delta(8, 9, "h1", ports=[
        port("p5", A, mac_of(5))]))
    report = await r.report(9)
    assert [(s.id, s.status) for s in report.statuses] == [("p5", OUT_OF_ORDER)]
    assert "based on revision 8, the agent applied 3" in report.statuses[0].reason
    # It reconnects saying it has nothing applied, and takes the FULL answer.
    report = await r.report(10)
    assert r.controller.hellos == [("h1", 0), ("h1", 0)]
    assert port_statuses(report) == {"p0": SUCCESS, "p1": SUCCESS}
    assert r.agent.applied_revision == 10 and not r.agent.resync_wanted


async def test_failures_are_reported_and_the_resync_reports_recovery(start):
    driver = RecordingDataPlane("h1")
    driver.fail(Kind.PORT, "p1", "veth: device busy")
    r = await start(lambda host, applied: [host_full(3)], driver, resync_seconds=0.05)
    report = await r.report(3)
    (failed,) = [s for s in report.statuses if s.id == "p1"]
    assert (failed.status, failed.reason) == (FAILURE, "veth: device busy")

    driver.heal(Kind.PORT, "p1")
    await eventually(lambda: port_statuses(r.reports()[-1]) == {"p0": SUCCESS, "p1": SUCCESS})
    assert r.reports()[-1].revision == 3
    # Nothing changes after that: the periodic resync reports nothing more.
    count = len(r.reports())
    await asyncio.sleep(0.3)
    assert len(r.reports()) == count and driver.reconciles > 3


async def test_a_recovery_seen_while_disconnected_is_reported_after_reconnecting(start):
    driver = RecordingDataPlane("h1")
    driver.fail(Kind.PORT, "p1", "veth: device busy")
    r = await start(lambda host, applied: [host_full(3)] if applied == 0 else [], driver,
                    resync_seconds=0.05)
    assert port_statuses(await r.report(3))["p1"] == FAILURE
    port_number = int(r.addr.rsplit(":", 1)[1])
    await r.server.stop(0)
    driver.heal(Kind.PORT, "p1")
    reconciles = driver.reconciles
    await eventually(lambda: driver.reconciles > reconciles + 1)  # healed while cut off

    server = grpc.aio.server()
    goalstate_pb2_grpc.add_GoalStateServiceServicer_to_server(r.controller, server)
    server.add_insecure_port(f"127.0.0.1:{port_number}")
    await server.start()
    r.server = server
    # The controller answers the hello with nothing: the report comes anyway.
    await eventually(lambda: port_statuses(r.reports()[-1]) == {"p0": SUCCESS, "p1": SUCCESS},
                     timeout=5)
    assert r.controller.hellos[-1] == ("h1", 3) and r.reports()[-1].revision == 3


async def test_periodic_resync_repairs_drift(start):
    driver = RecordingDataPlane("h1")
    r = await start(lambda host, applied: [host_full(3)], driver, resync_seconds=0.05)
    await r.report(3)
    del driver.ports["p0"]
    await eventually(lambda: "p0" in driver.ports)


# --- the agent's logic without a stream --------------------------------------------

async def test_goal_states_that_queue_up_are_reconciled_once():
    driver = RecordingDataPlane()
    agent = Agent("h1", driver)
    reports = await agent.handle_goal_states([
        host_full(1), delta(1, 2, "h1", ports=[port("p0", A, "", op=DELETE)]),
        delta(2, 3, "h1", ports=[port("p7", A, mac_of(7), [("sa", "10.0.0.70")], "ns7")])])
    # One report for the three, at the last one's revision.
    (report,) = reports
    assert report.revision == 3
    assert driver.reconciles == 1
    assert port_statuses(report) == {"p1": SUCCESS, "p7": SUCCESS}


async def test_an_update_that_changes_no_status_is_not_answered():
    agent = Agent("h1", RecordingDataPlane())
    await agent.handle_goal_states([host_full(1)])
    remote = neighbor("q1", A, "10.0.0.90", mac_of(90), "192.0.2.9", 1001, "sa")
    assert await agent.handle_goal_states([delta(1, 2, "h1", neighbors=[remote])]) == []
    assert agent.applied_revision == 2
    # A neighbor the agent refuses is a status to give, and is given.
    bad = neighbor("q2", A, "10.0.0.91", "not-a-mac", "192.0.2.9", 1001, "sa")
    (report,) = await agent.handle_goal_states([delta(2, 3, "h1", neighbors=[bad])])
    assert report.revision == 3
    assert [(s.id, s.status) for s in report.statuses] == [("q2", INVALID_ARG)]


async def test_what_follows_an_out_of_order_delta_waits_for_the_full_state():
    agent = Agent("h1", RecordingDataPlane())
    reports = await agent.handle_goal_states([
        host_full(1), delta(5, 6, "h1", vpcs=[vpc("x", 5)]),
        delta(6, 7, "h1", vpcs=[vpc("y", 6)])])
    assert [r.revision for r in reports] == [1, 6, 7]
    assert [[s.status for s in r.statuses] for r in reports[1:]] == [[OUT_OF_ORDER],
                                                                    [OUT_OF_ORDER]]
    assert agent.resync_wanted and agent.applied_revision == 1
    await agent.handle_goal_states([host_full(8)])
    assert not agent.resync_wanted and agent.applied_revision == 8


async def test_a_message_without_update_type_is_answered_invalid():
    agent = Agent("h1", RecordingDataPlane())
    await agent.handle_goal_states([host_full(1)])
    (report,) = await agent.handle_goal_states([gs.HostGoalState(revision=2, vpcs=[vpc("x", 5)])])
    assert [(s.id, s.status) for s in report.statuses] == [("x", INVALID_ARG)]
    assert agent.applied_revision == 1


async def test_nothing_is_reconciled_before_the_first_goal_state():
    driver = RecordingDataPlane()
    agent = Agent("h1", driver)
    assert await agent.resync() is None and driver.reconciles == 0


# --- many agents in one process -------------------------------------------------------

async def test_hundreds_of_agents_in_one_process():
    hosts = 300
    controller = FakeController(lambda host, applied: [host_full(1, host, ports=20)])
    server, addr = await serve_fake_controller(controller)
    stop = asyncio.Event()
    drivers = [RecordingDataPlane(f"sim-{i}") for i in range(hosts)]
    started = time.perf_counter()
    tasks = [asyncio.create_task(run_agent(d.host_name, addr, d, stop)) for d in drivers]
    try:
        await eventually(lambda: len(controller.reports) == hosts, timeout=60)
        elapsed = time.perf_counter() - started
        print(f"\n{hosts} agents connected, programmed 20 ports each and reported "
              f"in {elapsed:.2f} s")
        assert all(len(d.ports) == 20 for d in drivers)
        assert all(port_statuses(controller.last_report(d.host_name)) ==
                   {f"p{i}": SUCCESS for i in range(20)} for d in drivers)
    finally:
        stop.set()
        agents = await asyncio.gather(*tasks)
        await server.stop(0)
    assert {a.applied_revision for a in agents} == {1}
