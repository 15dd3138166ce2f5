"""Simulated hosts: many agents with the recording data plane in one process
(each with its own stream to svc_dpm), for local clusters and scale runs.

  python -m cluster.hosts --dpm 127.0.0.1:50055 --prefix sim --count 100
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from agent.client import Agent
from agent.recording import RecordingDataPlane
from runtime import collector


def host_names(prefix: str, count: int, first: int = 0) -> list[str]:
    return [f"{prefix}-{i:04d}" for i in range(first, first + count)]


def underlay_ip(i: int) -> str:
    """A distinct underlay address per simulated host (never routed anywhere)."""
    return f"172.31.{i // 250}.{i % 250 + 1}"


@dataclass
class SimHost:
    name: str
    agent: Agent
    driver: RecordingDataPlane
    messages: int = 0
    task: asyncio.Task | None = None


def start_hosts(names: list[str], dpm_addr: str, stop: asyncio.Event,
                resync_seconds: float = 30.0, first: int = 0) -> list[SimHost]:
    """Starts an agent per name in the running loop; they stop with `stop`.
    The i-th gets underlay address underlay_ip(first + i)."""
    hosts = []
    for i, name in enumerate(names, start=first):
        driver = RecordingDataPlane(name, underlay_ip(i))
        agent = Agent(name, driver, resync_seconds)
        h = SimHost(name, agent, driver)
        original = agent.handle_goal_states

        async def counted(batch, h=h, original=original):
            h.messages += len(batch)
            return await original(batch)

        agent.handle_goal_states = counted
        h.task = asyncio.create_task(agent.run(dpm_addr, stop))
        hosts.append(h)
    return hosts


async def amain(args) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    hosts = start_hosts(host_names(args.prefix, args.count, args.first), args.dpm, stop,
                        first=args.first)
    collector.tune()
    logging.getLogger("alcor.hosts").info("%d simulated hosts running", len(hosts))
    if args.stats:
        asyncio.create_task(_write_stats(args.stats, hosts))
    await stop.wait()
    await asyncio.gather(*(h.task for h in hosts), return_exceptions=True)


async def _write_stats(path: str, hosts: list[SimHost], every: float = 0.25) -> None:
    """What the hosts got, for a load generator in another process: how many
    have their first goal state and each one's message count."""
    tmp = Path(path + ".tmp")
    while True:
        tmp.write_text(json.dumps({
            "at": time.time(), "connected": sum(h.agent.has_goal_state for h in hosts),
            "messages": {h.name: h.messages for h in hosts}}))
        tmp.replace(path)  # readers never see half a file
        await asyncio.sleep(every)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m cluster.hosts")
    p.add_argument("--dpm", required=True)
    p.add_argument("--prefix", default="sim")
    p.add_argument("--count", type=int, default=3)
    p.add_argument("--first", type=int, default=0,
                   help="number of the first host (several processes can share a fleet)")
    p.add_argument("--log-level", default="WARNING")
    p.add_argument("--stats", help="keep a JSON file of connections and message counts here")
    args = p.parse_args(argv)
    logging.basicConfig(level=args.log_level)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(amain(args))


if __name__ == "__main__":
    main()
