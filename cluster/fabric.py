"""Simulated hosts as network namespaces: a "fabric" namespace holds the
underlay bridge (not the root namespace, where bridge netfilter can drop
bridged traffic), and each host namespace hangs off it by a veth with its own
underlay address. Agents run in the root namespace (so they reach svc_dpm on
127.0.0.1) and program their host namespace (--host-netns)."""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field


def run(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run(argv, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {r.stderr.strip()}")
    return r


def can_make_namespaces() -> str | None:
    """None when this machine can build a fabric; otherwise why not."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if shutil.which("ip") is None:
        return "iproute2 (ip) is not installed"
    probe = f"alcor-probe-{os.getpid()}"
    r = run("ip", "netns", "add", probe, check=False)
    if r.returncode != 0:
        return f"cannot create a network namespace: {r.stderr.strip()}"
    run("ip", "netns", "del", probe, check=False)
    return None


@dataclass
class Fabric:
    prefix: str
    hosts: int
    subnet: str = "192.168.200"
    namespaces: list[str] = field(default_factory=list)

    @property
    def fabric_ns(self) -> str:
        return f"{self.prefix}-fab"

    def host_ns(self, i: int) -> str:
        return f"{self.prefix}-h{i}"

    def underlay_ip(self, i: int) -> str:
        return f"{self.subnet}.{i + 1}"

    def create(self) -> "Fabric":
        fab = self.fabric_ns
        run("ip", "netns", "add", fab)
        self.namespaces.append(fab)
        run("ip", "-n", fab, "link", "add", "fabric", "type", "bridge")
        run("ip", "-n", fab, "link", "set", "fabric", "up")
        for i in range(self.hosts):
            ns = self.host_ns(i)
            run("ip", "netns", "add", ns)
            self.namespaces.append(ns)
            run("ip", "-n", ns, "link", "set", "lo", "up")
            # The underlay link: "u<i>" on the fabric bridge, "eth0" in the host.
            run("ip", "link", "add", f"{self.prefix[:6]}u{i}", "netns", fab, "type", "veth",
                "peer", "name", "eth0", "netns", ns)
            run("ip", "-n", fab, "link", "set", f"{self.prefix[:6]}u{i}", "master", "fabric", "up")
            run("ip", "-n", ns, "addr", "add", f"{self.underlay_ip(i)}/24", "dev", "eth0")
            run("ip", "-n", ns, "link", "set", "eth0", "up")
        return self

    def destroy(self) -> None:
        for ns in reversed(self.namespaces):
            run("ip", "netns", "del", ns, check=False)
        self.namespaces.clear()

    def __enter__(self):
        return self.create()

    def __exit__(self, *exc):
        self.destroy()
