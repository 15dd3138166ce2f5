"""python -m agent: the host agent.

    python -m agent --host-name node-1 --local-ip 192.168.100.1
    python -m agent --driver recording --host-name sim-1   # programs nothing

Defaults come from runtime.config.Settings (ALCOR_DPM_ADDR, ALCOR_LOG_LEVEL,
ALCOR_DEFAULT_MTU). SIGTERM/SIGINT stop the agent and leave the host as
programmed, so restarting the agent does not interrupt traffic.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import socket

from agent.client import run_agent
from agent.dataplane import DataPlane
from runtime import collector
from runtime.config import Settings


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    settings = Settings.from_env()
    p = argparse.ArgumentParser(prog="python -m agent", description=__doc__.split("\n")[0])
    p.add_argument("--host-name", default=socket.gethostname(),
                   help="this host's node name (the ports' binding:host_id)")
    p.add_argument("--dpm", default=settings.dpm_addr, help="svc_dpm address (host:port)")
    p.add_argument("--driver", choices=("linux", "recording"), default="linux")
    p.add_argument("--host-netns", default="",
                   help="program this named network namespace as the host (default: our own)")
    p.add_argument("--local-ip", default="", help="this host's underlay (VTEP) address")
    p.add_argument("--mtu", type=int, default=settings.default_mtu,
                   help="MTU of VXLAN devices and port veths")
    p.add_argument("--resync-seconds", type=float, default=10.0,
                   help="how often to re-reconcile against the host to repair drift")
    p.add_argument("--log-level", default=settings.log_level)
    return p.parse_args(argv)


def make_driver(args: argparse.Namespace) -> DataPlane:
    if args.driver == "recording":
        from agent.recording import RecordingDataPlane

        return RecordingDataPlane(args.host_name, args.local_ip)
    from agent.linux import LinuxDataPlane

    if not args.local_ip:
        logging.getLogger("alcor.agent").warning(
            "--local-ip is not set: VXLAN devices will use whatever source address the "
            "underlay route picks")
    return LinuxDataPlane(args.host_netns, args.local_ip, args.mtu)


async def amain(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    driver = make_driver(args)
    collector.tune()
    try:
        await run_agent(args.host_name, args.dpm, driver, stop, args.resync_seconds)
    finally:
        await driver.close()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    level = logging.getLevelName(args.log_level.upper())
    logging.basicConfig(level=level, format=f"%(asctime)s agent[{args.host_name}] %(levelname)s "
                                            "%(name)s: %(message)s")
    # pyroute2 logs every netlink message at DEBUG: noise, not diagnosis.
    logging.getLogger("pyroute2").setLevel(max(level, logging.INFO))
    asyncio.run(amain(args))


if __name__ == "__main__":
    main()
