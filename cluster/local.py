"""A local Alcor cluster: etcd from Debian's etcd-server, then every service
as its own process on fixed (or given) ports, each awaited until its gRPC
health check says SERVING. Used by `alcor up` and by the test fixtures."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

ROOT = Path(__file__).resolve().parent.parent

# The local etcd allows transactions of this many operations, and the
# services are told so (runtime.store.max_txn_ops): a bulk create takes a
# quarter of the transactions it takes at etcd's default of 128.
ETCD_MAX_TXN_OPS = 512

# service name -> (module, Settings field with its address)
SERVICES = {
    "svc_vpc": "vpc_addr",
    "svc_ip": "ip_addr",
    "svc_mac": "mac_addr",
    "svc_dpm": "dpm_addr",
    "svc_port": "port_addr",
}
DEFAULT_PORTS = {
    "etcd": 2379, "etcd_peer": 2380, "svc_vpc": 50051, "svc_ip": 50052, "svc_mac": 50053,
    "svc_port": 50054, "svc_dpm": 50055, "gateway": 9696,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def etcd_binary() -> str | None:
    return shutil.which("etcd") or (("/usr/bin/etcd") if os.path.exists("/usr/bin/etcd") else None)


@dataclass
class Process:
    name: str
    address: str
    popen: subprocess.Popen
    log: Path


@dataclass
class LocalCluster:
    base_dir: Path
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    # Extra replicas per service (each on a port of its own).
    replicas: dict[str, int] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    with_gateway: bool = True
    # Simulated hosts with agents: "recording" runs them all in one process
    # (python -m cluster.hosts); "linux" builds a namespace per host on a
    # fabric and runs a real agent process per host (needs root).
    hosts: int = 0
    host_driver: str = "recording"
    host_prefix: str = "host"
    fabric: object = None
    processes: list[Process] = field(default_factory=list)

    @classmethod
    def on_free_ports(cls, base_dir: Path, **kw) -> "LocalCluster":
        return cls(base_dir, ports={k: free_port() for k in DEFAULT_PORTS}, **kw)

    # --- addresses -----------------------------------------------------------

    def address(self, name: str) -> str:
        return f"127.0.0.1:{self.ports[name]}"

    @property
    def etcd_endpoint(self) -> str:
        return self.address("etcd")

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    def service_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "ALCOR_ETCD": self.etcd_endpoint,
            "ALCOR_GATEWAY_ADDR": self.address("gateway"),
            "ALCOR_ETCD_MAX_TXN_OPS": str(ETCD_MAX_TXN_OPS),
            "PYTHONPATH": str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        })
        for svc, field_name in SERVICES.items():
            env["ALCOR_" + field_name.upper()] = self.address(svc)
        env.update(self.env)
        return env

    # --- life cycle ----------------------------------------------------------

    def _spawn(self, name: str, argv: list[str], address: str, env: dict[str, str]) -> Process:
        logs = self.base_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log = logs / f"{name}.log"
        fh = open(log, "ab")
        popen = subprocess.Popen(argv, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=ROOT,
                                 start_new_session=True)
        p = Process(name, address, popen, log)
        self.processes.append(p)
        return p

    def start_etcd(self) -> Process:
        binary = etcd_binary()
        if binary is None:
            raise RuntimeError("etcd is not installed (Debian package etcd-server); run `make setup`")
        data = self.base_dir / "etcd"
        peer = f"http://127.0.0.1:{self.ports['etcd_peer']}"
        client = f"http://{self.etcd_endpoint}"
        argv = [binary, "--name", "alcor", "--data-dir", str(data),
                "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", f"alcor={peer}", "--quota-backend-bytes", str(8 << 30),
                "--max-request-bytes", str(10 << 20), "--max-txn-ops", str(ETCD_MAX_TXN_OPS),
                "--logger", "zap", "--log-level", "warn"]
        p = self._spawn("etcd", argv, self.etcd_endpoint, dict(os.environ))
        wait_tcp(self.etcd_endpoint, p)
        return p

    def start_service(self, name: str, listen: str | None = None, replica: int = 0,
                      extra_env: dict[str, str] | None = None) -> Process:
        env = self.service_env()
        address = listen or self.address(name)
        env["ALCOR_LISTEN"] = address
        env.update(extra_env or {})
        label = name if replica == 0 else f"{name}-{replica}"
        return self._spawn(label, [sys.executable, "-m", name], address, env)

    def start_gateway(self, listen: str | None = None, replica: int = 0,
                      extra_env: dict[str, str] | None = None) -> Process:
        """The REST gateway; another one (replica > 0) may listen elsewhere
        with extra settings, e.g. ALCOR_TOKEN_FILE."""
        env = self.service_env()
        address = listen or self.address("gateway")
        env["ALCOR_LISTEN"] = address
        env.update(extra_env or {})
        label = "gateway" if replica == 0 else f"gateway-{replica}"
        return self._spawn(label, [sys.executable, "-m", "gateway"], address, env)

    def start(self, timeout: float = 60.0) -> "LocalCluster":
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.start_etcd()
        started = []
        for name in SERVICES:
            started.append(self.start_service(name))
            for i in range(1, self.replicas.get(name, 0) + 1):
                started.append(self.start_service(name, f"127.0.0.1:{free_port()}", replica=i))
        for p in started:
            wait_serving(p, timeout)
        if self.with_gateway and (ROOT / "gateway" / "__main__.py").exists():
            gw = self.start_gateway()
            wait_tcp(gw.address, gw, timeout)
        if self.hosts:
            self.start_hosts()
        return self

    def host_names(self) -> list[str]:
        return [f"{self.host_prefix}-{i:04d}" for i in range(self.hosts)]

    def start_hosts(self) -> None:
        """Registers the simulated hosts as nodes and starts their agents."""
        from alcor.v1 import node_pb2, node_pb2_grpc
        from cluster.hosts import underlay_ip

        names = self.host_names()
        if self.host_driver == "linux":
            from cluster.fabric import Fabric

            self.fabric = Fabric(self.host_prefix, self.hosts).create()
            ips = [self.fabric.underlay_ip(i) for i in range(self.hosts)]
        else:
            ips = [underlay_ip(i) for i in range(self.hosts)]
        with grpc.insecure_channel(self.address("svc_dpm")) as ch:
            stub = node_pb2_grpc.NodeServiceStub(ch)
            have = {n.name for n in stub.ListNodes(node_pb2.ListNodesRequest(name=names)).nodes}
            todo = [node_pb2.Node(name=n, local_ip=ip) for n, ip in zip(names, ips) if n not in have]
            if todo:
                stub.CreateNodes(node_pb2.CreateNodesRequest(nodes=todo))
        env = self.service_env()
        if self.host_driver == "linux":
            for i, name in enumerate(names):
                self._spawn(f"agent-{name}", [sys.executable, "-m", "agent", "--host-name", name,
                            "--dpm", self.address("svc_dpm"), "--driver", "linux",
                            "--host-netns", self.fabric.host_ns(i), "--local-ip", ips[i]],
                            "", env)
        else:
            self._spawn("hosts", [sys.executable, "-m", "cluster.hosts", "--dpm", self.address("svc_dpm"),
                                  "--prefix", self.host_prefix, "--count", str(self.hosts)], "", env)

    def replicas_of(self, name: str) -> list[Process]:
        return [p for p in self.processes if p.name == name or p.name.startswith(name + "-")]

    def stop_process(self, p: Process, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
        if p.popen.poll() is None:
            p.popen.send_signal(sig)
            try:
                p.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                p.popen.kill()
                p.popen.wait()
        if p in self.processes:
            self.processes.remove(p)

    def stop(self) -> None:
        # Services first (they drain), etcd last.
        for p in reversed([p for p in self.processes if p.name != "etcd"]):
            if p.popen.poll() is None:
                p.popen.send_signal(signal.SIGTERM)
        for p in list(self.processes):
            if p.name != "etcd":
                self.stop_process(p)
        for p in list(self.processes):
            self.stop_process(p)
        if self.fabric is not None:
            self.fabric.destroy()
            self.fabric = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def wait_tcp(address: str, proc: Process | None = None, timeout: float = 30.0) -> None:
    host, port = address.rsplit(":", 1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.name} exited early; see {proc.log}:\n{tail(proc.log)}")
        try:
            with socket.create_connection((host, int(port)), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"{address} did not open in {timeout}s")


def health(address: str, timeout: float = 1.0) -> str:
    try:
        with grpc.insecure_channel(address) as ch:
            r = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=timeout)
            return health_pb2.HealthCheckResponse.ServingStatus.Name(r.status)
    except grpc.RpcError as e:
        return f"UNREACHABLE ({e.code().name})"


def wait_serving(proc: Process, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.name} exited early; see {proc.log}:\n{tail(proc.log)}")
        if health(proc.address, 0.5) == "SERVING":
            return
        time.sleep(0.05)
    raise TimeoutError(f"{proc.name} at {proc.address} not SERVING after {timeout}s:\n{tail(proc.log)}")


def tail(path: Path, n: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""
