"""`alcor bench`: provisioning benchmarks against a cluster it starts itself
(with simulated hosts running the recording data plane) or a given endpoint.

Every scenario is named and runs alone (`alcor bench latency`); `--quick`
runs each at a tenth of the scale. Figures print as a table, each next to its
target and, where it has one, its storage floor: the same work done straight
against etcd (keys written in 128-operation transactions) in the same run.
A JSON file keeps them.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from alcor.v1 import goalstate_pb2 as gs
from cluster.hosts import host_names, start_hosts, underlay_ip
from cluster.http import HttpConnection
from runtime import collector, keys
from runtime.store import ETCD_DEFAULT_TXN_OPS, Absent, Put, Store, Unit
from runtime.watch import list_and_watch

# The storage floor is defined as keys written in transactions of etcd's
# default size, whatever the cluster's etcd allows (cluster.local raises it).
FLOOR_TXN_OPS = ETCD_DEFAULT_TXN_OPS
# In this order when all run: the list scenario leaves 100,000 more ports
# for every service to digest, so the scenarios that time the control plane
# at work on hosts (resync above all) run before it.
SCENARIOS = ("latency", "throughput", "bulk", "resync", "list", "grpc_bulk", "floor")


@dataclass
class Scale:
    latency_ports: int = 200
    clients: int = 64
    seconds: float = 20.0
    bulk_ports: int = 10_000
    bulk_hosts: int = 1_000
    bulk_vpcs: int = 100
    list_ports: int = 100_000
    list_page: int = 1_000
    resync_ports: int = 10_000
    grpc_bulk_ports: int = 1_000

    @classmethod
    def quick(cls) -> "Scale":
        return cls(latency_ports=20, clients=64, seconds=2.0, bulk_ports=1_000, bulk_hosts=100,
                   bulk_vpcs=10, list_ports=10_000, list_page=1_000, resync_ports=1_000,
                   grpc_bulk_ports=100)


# Targets on the 2-core machine (issue 6); None: reported, no target.
TARGETS = {
    "latency.post_p50_ms": ("<=", 8), "latency.active_p50_ms": ("<=", 15),
    "latency.active_p99_ms": ("<=", 40), "throughput.active_ports_per_s": (">=", 1000),
    "throughput.errors": ("<=", 0), "bulk.all_active_s": ("<=", 3),
    "list.page_p50_ms": ("<=", 50), "list.filtered_p50_ms": ("<=", 10), "resync.full_state_s": ("<=", 1),
}


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, max(0, math.ceil(p / 100 * len(v)) - 1))]


class Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, label: str, total: float, enabled: bool = True):
        self.label, self.total, self.enabled = label, max(total, 1e-9), enabled and sys.stderr.isatty()
        self.done = 0.0

    def update(self, done: float) -> None:
        self.done = done
        if self.enabled:
            width = 30
            filled = int(width * min(done / self.total, 1.0))
            sys.stderr.write(f"\r{self.label:<12} [{'#' * filled}{'.' * (width - filled)}] "
                             f"{min(done / self.total, 1.0) * 100:5.1f}%")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 60 + "\r")
        print(f"  {self.label}: done", file=sys.stderr)


class ActiveWatch:
    """When each port's status record (what the API's status is read from)
    first says ACTIVE, from one etcd watch of all of them."""

    def __init__(self, etcd: str):
        self.store = Store(etcd)
        self._seen: dict[str, float] = {}
        self._waiting: dict[str, asyncio.Future] = {}
        # (how many ACTIVE ports, the future told when that many are)
        self._counts: list[tuple[int, asyncio.Future]] = []
        self._last = 0.0  # when the latest port turned ACTIVE
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        ready = asyncio.get_running_loop().create_future()

        async def on_snapshot(listed, revision):
            for kv in listed[keys.PORT_STATUSES]:
                self._record(kv.key, kv.value, 0.0)
            if not ready.done():
                ready.set_result(None)

        async def on_changes(changes, revision):
            now = time.perf_counter()
            for ch in changes:
                if ch.value is not None:
                    self._record(ch.key, ch.value, now)

        self._task = asyncio.create_task(list_and_watch(
            self.store, [keys.PORT_STATUSES], on_snapshot, on_changes, self._stop))
        await ready

    def _record(self, key: bytes, value: bytes, at: float) -> None:
        if gs.PortStatusRecord.FromString(value).status != "ACTIVE":
            return
        pid = key[len(keys.PORT_STATUSES):].decode()
        if pid in self._seen:
            return
        self._seen[pid] = self._last = at
        f = self._waiting.pop(pid, None)
        if f is not None and not f.done():
            f.set_result(at)
        if self._counts and len(self._seen) >= self._counts[0][0]:
            done = [f for n, f in self._counts if n <= len(self._seen)]
            self._counts = [(n, f) for n, f in self._counts if n > len(self._seen)]
            for f in done:
                if not f.done():
                    f.set_result(at)

    @property
    def count(self) -> int:
        """Ports whose status has said ACTIVE (before the watch, or since)."""
        return len(self._seen)

    async def until_count(self, n: int, timeout: float) -> float:
        """The moment the n-th port turned ACTIVE."""
        if len(self._seen) >= n:
            return self._last
        f = asyncio.get_running_loop().create_future()
        self._counts.append((n, f))
        self._counts.sort(key=lambda e: e[0])
        try:
            return await asyncio.wait_for(f, timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(f"{len(self._seen)} of {n} ports ACTIVE after {timeout}s") from None

    async def active(self, port_id: str, timeout: float) -> float:
        if port_id in self._seen:
            return self._seen[port_id]
        f = self._waiting.setdefault(port_id, asyncio.get_running_loop().create_future())
        try:
            return await asyncio.wait_for(asyncio.shield(f), timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(f"port {port_id} not ACTIVE after {timeout}s") from None

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
        await self.store.close()


@dataclass
class Bench:
    base: str
    dpm: str
    etcd: str
    scale: Scale
    progress: bool = True
    host_names: list[str] = field(default_factory=list)
    host_processes: int = 2
    hosts_procs: list = field(default_factory=list)
    stats_paths: list = field(default_factory=list)
    results: dict = field(default_factory=dict)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    networks: list[str] = field(default_factory=list)
    port_addr: str = ""  # svc_port, for the gRPC scenario
    # False: the ports are created with port_security_enabled false (no
    # security group, so no member lists to fan out to every host).
    port_security: bool = True

    def port(self, **attrs) -> dict:
        if not self.port_security:
            attrs["port_security_enabled"] = False
        return attrs

    def conn(self, project: str = "") -> HttpConnection:
        u = urlparse(self.base)
        headers = {"X-Auth-Token": "bench"}
        if project:
            headers["X-Project-Id"] = project
        return HttpConnection(u.hostname, u.port or 80, headers)

    async def call(self, c: HttpConnection, method: str, path: str, body=None, want=(200, 201, 204)):
        status, data = await c.request(method, path, body)
        if status not in want:
            raise RuntimeError(f"{method} {path}: {status} {json.dumps(data)[:300]}")
        return data

    # --- set-up --------------------------------------------------------------

    async def setup(self) -> None:
        s = self.scale
        c = self.conn()
        names = host_names("bench", s.bulk_hosts)
        existing = await self.call(c, "GET", "/v2.0/nodes?name=" + names[0])
        if not existing.get("nodes"):
            for i in range(0, len(names), 500):
                await self.call(c, "POST", "/v2.0/nodes", {"nodes": [
                    {"name": n, "local_ip": underlay_ip(i + j)} for j, n in enumerate(names[i:i + 500])]})
        self.host_names = names
        # The simulated hosts run in a process of their own: in the load
        # generator's they would steal its event loop and slow the very
        # requests it times.
        # One per core: on one box, 1,000 agents are the heaviest process.
        stats_dir = Path(tempfile.mkdtemp(prefix="alcor-bench-hosts-"))
        n = max(1, self.host_processes)
        for k in range(n):
            first, last = k * s.bulk_hosts // n, (k + 1) * s.bulk_hosts // n
            path = str(stats_dir / f"stats-{k}.json")
            self.stats_paths.append(path)
            self.hosts_procs.append(subprocess.Popen(
                [sys.executable, "-m", "cluster.hosts", "--dpm", self.dpm, "--prefix", "bench",
                 "--first", str(first), "--count", str(last - first), "--stats", path],
                cwd=Path(__file__).resolve().parent.parent))
        nets = await self.call(c, "POST", "/v2.0/networks", {"networks": [
            {"name": f"bench-vpc-{i}", "shared": True} for i in range(s.bulk_vpcs)]})
        self.networks = [n["id"] for n in nets["networks"]]
        for i in range(0, len(self.networks), 25):  # svc_vpc takes 25 subnets a call
            await self.call(c, "POST", "/v2.0/subnets", {"subnets": [
                {"network_id": n, "cidr": "10.0.0.0/16", "ip_version": 4} for n in self.networks[i:i + 25]]})
        await c.close()
        deadline = time.perf_counter() + 120
        while (await self.host_stats()).get("connected", 0) < s.bulk_hosts:
            if any(p.poll() is not None for p in self.hosts_procs) or time.perf_counter() > deadline:
                raise RuntimeError("the simulated hosts did not all connect")
            await asyncio.sleep(0.1)

    async def host_stats(self, newer_than: float = 0.0) -> dict:
        """The hosts processes' latest stats (each written after `newer_than`),
        summed: how many hosts are connected, each one's message count."""
        total = {"connected": 0, "messages": {}}
        for path in self.stats_paths:
            while True:
                try:
                    stats = json.loads(Path(path).read_text())
                    if stats["at"] > newer_than:
                        break
                except (OSError, ValueError):
                    pass
                await asyncio.sleep(0.05)
            total["connected"] += stats["connected"]
            total["messages"].update(stats["messages"])
        return total

    async def settle(self, quiet: float = 1.0, timeout: float = 60.0) -> None:
        """Waits until no simulated host has received a goal state for
        `quiet` seconds: the previous work's fan-out has been delivered, so
        the next scenario times its own work, not a backlog."""
        start = time.perf_counter()
        last, since = None, time.perf_counter()
        while time.perf_counter() - start < timeout:
            total = sum((await self.host_stats(newer_than=time.time()))["messages"].values())
            if total != last:
                last, since = total, time.perf_counter()
            elif time.perf_counter() - since >= quiet:
                return
            await asyncio.sleep(0.1)

    def stop_hosts(self) -> None:
        for p in self.hosts_procs:
            if p.poll() is None:
                p.terminate()
        for p in self.hosts_procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()

    async def wait_active(self, c: HttpConnection, project: str, statuses: ActiveWatch,
                          expected: int, timeout: float = 300.0) -> float:
        """The moment every port of the project is ACTIVE: when `expected`
        ports' status records (what the API's status is read from) have said
        so, by the watch, and the API confirms. (Counting the records in etcd
        every 10 ms instead cost etcd 2.2 ms of CPU a count at 25,000 records:
        the measuring loaded the system it measured.)"""
        deadline = time.perf_counter() + timeout
        while True:
            seen = await statuses.until_count(expected, max(deadline - time.perf_counter(), 0.001))
            page = await self.call(c, "GET", f"/v2.0/ports?project_id={project}&status=DOWN&limit=1&fields=id")
            if not page["ports"]:
                return seen
            # Some record that was there before said ACTIVE meanwhile: one
            # of this project's ports is still to come.
            expected = statuses.count + 1

    # --- floor: the same keys straight into etcd ------------------------------

    async def floor_write(self, n: int) -> float:
        """Seconds to write n fresh keys in 128-operation compare transactions."""
        store = Store(self.etcd)
        tag = os.urandom(4).hex()
        units = [Unit([Absent(k)], [Put(k, b"x" * 400)])
                 for k in (f"/bench-floor/{tag}/{i:08d}".encode() for i in range(n))]
        t = time.perf_counter()
        await store.commit_many(units, FLOOR_TXN_OPS)
        took = time.perf_counter() - t
        await store.close()
        return took

    async def floor_single_p50(self, n: int = 100) -> float:
        store = Store(self.etcd)
        tag = os.urandom(4).hex()
        lat = []
        for i in range(n):
            k = f"/bench-floor/{tag}/s{i}".encode()
            t = time.perf_counter()
            await store.commit(Unit([Absent(k)], [Put(k, b"x" * 400)]))
            lat.append(time.perf_counter() - t)
        await store.close()
        return statistics.median(lat)

    async def floor_concurrent_rate(self, clients: int, seconds: float) -> float:
        store = Store(self.etcd)
        tag = os.urandom(4).hex()
        count = 0
        deadline = time.perf_counter() + seconds

        async def worker(w: int):
            nonlocal count
            i = 0
            while time.perf_counter() < deadline:
                k = f"/bench-floor/{tag}/{w}/{i}".encode()
                await store.commit(Unit([Absent(k)], [Put(k, b"x" * 400)]))
                i += 1
                count += 1

        t = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(clients)))
        rate = count / (time.perf_counter() - t)
        await store.close()
        return rate

    async def floor_read(self, n: int) -> float:
        """Seconds to read n keys in one ranged read."""
        store = Store(self.etcd)
        t = time.perf_counter()
        await store.range(b"/alcor/ports/", b"/alcor/ports0", limit=n)
        took = time.perf_counter() - t
        await store.close()
        return took

    async def etcd_txns(self) -> int:
        """Transactions etcd has served so far (its gRPC server metrics)."""
        u = urlparse(f"http://{self.etcd}")
        reader, writer = await asyncio.open_connection(u.hostname, u.port)
        writer.write(f"GET /metrics HTTP/1.0\r\nHost: {u.hostname}\r\n\r\n".encode())
        text = (await reader.read()).decode()
        writer.close()
        return sum(int(float(line.rsplit(" ", 1)[1])) for line in text.splitlines()
                   if line.startswith("grpc_server_handled_total{")
                   and 'grpc_method="Txn"' in line)

    # --- scenarios -----------------------------------------------------------

    async def grpc_bulk(self) -> dict:
        """One CreatePorts of grpc_bulk_ports unbound ports straight to svc_port
        over gRPC (the generated stub): its time and the etcd transactions it
        took, counted from etcd's own metrics."""
        if not self.port_addr:
            return {"skipped": "needs svc_port's address (--port-addr)"}
        import grpc

        from alcor.v1 import port_pb2, port_pb2_grpc
        n = self.scale.grpc_bulk_ports
        async with grpc.aio.insecure_channel(self.port_addr) as ch:
            stub = port_pb2_grpc.PortServiceStub(ch)
            md = [("x-alcor-project-id", f"bench-grpc-{os.urandom(3).hex()}"),
                  ("x-alcor-roles", "member")]
            await stub.CreatePorts(port_pb2.CreatePortsRequest(
                port=port_pb2.Port(network_id=self.networks[0])), metadata=md)  # warm
            before = await self.etcd_txns()
            t = time.perf_counter()
            r = await stub.CreatePorts(port_pb2.CreatePortsRequest(ports=[
                port_pb2.Port(network_id=self.networks[i % len(self.networks)])
                for i in range(n)]), metadata=md, timeout=120)
            took = time.perf_counter() - t
            txns = await self.etcd_txns() - before
        assert len(r.ports) == n
        floor = await self.floor_write(n)
        return {"ports": n, "created_s": took, "etcd_txns": txns,
                "floor_write_s": floor, "floor_ratio": took / floor}

    async def floor(self) -> dict:
        """The storage floor alone: what etcd does for the same amounts of
        keys in this run, without any of Alcor."""
        s = self.scale
        return {"write_keys": s.bulk_ports, "write_s": await self.floor_write(s.bulk_ports),
                "txn_p50_ms": await self.floor_single_p50() * 1e3,
                "concurrent_keys_per_s": await self.floor_concurrent_rate(s.clients,
                                                                          min(s.seconds, 5.0)),
                "read_page_ms": await self.floor_read(s.list_page) * 1e3}

    async def latency(self) -> dict:
        s = self.scale
        c = self.conn("bench-latency")
        post, active = [], []
        bar = Progress("latency", s.latency_ports, self.progress)
        statuses = ActiveWatch(self.etcd)
        await statuses.start()
        try:
            for i in range(s.latency_ports):
                host = self.host_names[i % len(self.host_names)]
                body = {"port": self.port(network_id=self.networks[i % len(self.networks)],
                                          device_id=f"lat-{i}", **{"binding:host_id": host})}
                t = time.perf_counter()
                r = await self.call(c, "POST", "/v2.0/ports", body)
                post.append(time.perf_counter() - t)
                pid = r["port"]["id"]
                # ACTIVE when the status the API reads turns ACTIVE in etcd (a
                # client hears of it as Nova does, by an event, not by polling:
                # a GET every half millisecond loaded the path it timed), then
                # confirmed through the API.
                seen = await statuses.active(pid, timeout=10)
                got = await self.call(c, "GET", f"/v2.0/ports/{pid}?fields=status")
                if got["port"]["status"] != "ACTIVE":
                    raise AssertionError(f"port {pid}: etcd says ACTIVE, the API {got['port']['status']}")
                active.append(seen - t)
                bar.update(i + 1)
        finally:
            await statuses.stop()
        bar.close()
        await c.close()
        floor = await self.floor_single_p50()
        # The VPCs are used round robin: the first ports of each are a network's
        # first (nothing held or known for it yet), the rest land on networks in use.
        first = len(self.networks)
        return {"post_p50_ms": pct(post, 50) * 1e3, "post_p99_ms": pct(post, 99) * 1e3,
                "active_p50_ms": pct(active, 50) * 1e3, "active_p99_ms": pct(active, 99) * 1e3,
                "post_first_port_p50_ms": pct(post[:first], 50) * 1e3,
                "post_network_in_use_p50_ms": pct(post[first:], 50) * 1e3,
                "active_network_in_use_p50_ms": pct(active[first:], 50) * 1e3,
                "floor_txn_p50_ms": floor * 1e3, "floor_ratio": pct(active, 50) / floor}

    async def throughput(self) -> dict:
        s = self.scale
        project = f"bench-tp-{os.urandom(3).hex()}"
        conns = [self.conn(project) for _ in range(s.clients)]
        created, errors = 0, 0
        statuses = ActiveWatch(self.etcd)
        await statuses.start()
        active_before = statuses.count
        before = (await self.host_stats())["messages"]
        start = time.perf_counter()
        deadline = start + s.seconds
        bar = Progress("throughput", s.seconds, self.progress)

        async def client(c: HttpConnection, w: int):
            nonlocal created, errors
            i = 0
            while time.perf_counter() < deadline:
                host = self.host_names[(w * 7919 + i) % len(self.host_names)]
                body = {"port": self.port(network_id=self.networks[(w + i) % len(self.networks)],
                                          **{"binding:host_id": host})}
                status, _ = await c.request("POST", "/v2.0/ports", body)
                if status == 201:
                    created += 1
                else:
                    errors += 1
                i += 1

        async def ticker():
            while time.perf_counter() < deadline:
                bar.update(time.perf_counter() - start)
                await asyncio.sleep(0.2)

        await asyncio.gather(ticker(), *(client(c, w) for w, c in enumerate(conns)))
        bar.close()
        api_done = time.perf_counter()
        try:
            all_active = await self.wait_active(conns[0], project, statuses, active_before + created)
        finally:
            await statuses.stop()
        for c in conns:
            await c.close()
        await asyncio.sleep(0.3)  # let trailing messages land before counting
        after = (await self.host_stats(newer_than=time.time()))["messages"]
        messages = sum(after.values()) - sum(before.values())
        floor = await self.floor_concurrent_rate(s.clients, min(s.seconds, 5.0))
        rate = created / (all_active - start)
        # Goal-state messages the hosts got per port created: the port's own
        # host's, and the paced fan-out of its neighbor and member changes.
        return {"created": created, "errors": errors, "api_ports_per_s": created / (api_done - start),
                "messages_per_port": messages / max(created, 1),
                "active_ports_per_s": rate, "floor_keys_per_s": floor, "floor_ratio": rate / floor}

    async def bulk(self) -> dict:
        s = self.scale
        project = f"bench-bulk-{os.urandom(3).hex()}"
        c = self.conn(project)
        before = (await self.host_stats())["messages"]
        await self.settle()
        statuses = ActiveWatch(self.etcd)
        await statuses.start()
        active_before = statuses.count
        ports = [self.port(network_id=self.networks[i % s.bulk_vpcs], device_id=f"bulk-{i}",
                           **{"binding:host_id": self.host_names[(i * 7) % s.bulk_hosts]})
                 for i in range(s.bulk_ports)]
        t = time.perf_counter()
        r = await self.call(c, "POST", "/v2.0/ports", {"ports": ports})
        created = time.perf_counter() - t
        assert len(r["ports"]) == s.bulk_ports
        try:
            done = await self.wait_active(c, project, statuses, active_before + s.bulk_ports)
        finally:
            await statuses.stop()
        await c.close()
        await asyncio.sleep(0.3)  # let trailing messages land before counting
        after = (await self.host_stats(newer_than=time.time()))["messages"]
        msgs = [after[h] - before.get(h, 0) for h in self.host_names]
        floor = await self.floor_write(s.bulk_ports)
        return {"ports": s.bulk_ports, "created_s": created, "all_active_s": done - t,
                "messages_per_host_max": max(msgs), "messages_per_host_mean": statistics.mean(msgs),
                "floor_write_s": floor, "floor_ratio": (done - t) / floor}

    async def list(self) -> dict:
        s = self.scale
        project = f"bench-list-{os.urandom(3).hex()}"
        c = self.conn(project)
        admin = self.conn()
        have = 0
        bar = Progress("list setup", s.list_ports, self.progress)
        # A network without subnets: its ports take no address (100,000 would
        # not fit a /16), so the setup stores ports and nothing else.
        net = (await self.call(c, "POST", "/v2.0/networks",
                               {"network": {"name": f"bench-list-{project}"}}))["network"]["id"]
        while have < s.list_ports:
            n = min(5_000, s.list_ports - have)
            await self.call(c, "POST", "/v2.0/ports", {"ports": [
                {"network_id": net, "device_id": f"dev-{(have + j) % 1000}"} for j in range(n)]})
            have += n
            bar.update(have)
        bar.close()
        pages, marker = [], ""
        total = 0
        while True:
            t = time.perf_counter()
            q = f"/v2.0/ports?limit={s.list_page}" + (f"&marker={marker}" if marker else "")
            page = await self.call(admin, "GET", q)
            pages.append(time.perf_counter() - t)
            total += len(page["ports"])
            if len(page["ports"]) < s.list_page or len(pages) >= 50:
                break
            marker = page["ports"][-1]["id"]
        filtered = []
        for i in range(50):
            t = time.perf_counter()
            got = await self.call(admin, "GET", f"/v2.0/ports?device_id=dev-{i}")
            filtered.append(time.perf_counter() - t)
            assert got["ports"], "device_id filter found nothing"
        await c.close()
        await admin.close()
        floor = await self.floor_read(s.list_page)
        return {"stored_ports_at_least": s.list_ports, "pages_read": len(pages),
                "page_p50_ms": pct(pages, 50) * 1e3, "filtered_p50_ms": pct(filtered, 50) * 1e3,
                "floor_read_page_ms": floor * 1e3, "floor_ratio": pct(pages, 50) / floor}

    async def resync(self) -> dict:
        s = self.scale
        c = self.conn()
        host = f"resync-{os.urandom(3).hex()}"
        await self.call(c, "POST", "/v2.0/nodes", {"node": {"name": host, "local_ip": "172.30.0.1"}})
        for i in range(0, s.resync_ports, 5_000):
            await self.call(c, "POST", "/v2.0/ports", {"ports": [
                self.port(network_id=self.networks[(i + j) % len(self.networks)],
                          **{"binding:host_id": host})
                for j in range(min(5_000, s.resync_ports - i))]})
        await c.close()
        # The host "reconnects": its ports were created a while ago, and
        # what creating them sent to the other hosts is delivered.
        await self.settle()
        stop = asyncio.Event()
        t = time.perf_counter()
        (h,) = start_hosts([host], self.dpm, stop)
        try:
            while len(h.driver.ports) < s.resync_ports or h.agent.reconciles == 0:
                if time.perf_counter() - t > 60:
                    raise TimeoutError(
                        f"resync did not complete: {len(h.driver.ports)} of {s.resync_ports} ports "
                        f"programmed after 60s, applied revision {h.agent.applied_revision}")
                await asyncio.sleep(0.002)
            took = time.perf_counter() - t
        finally:
            # Also on failure: an agent left running would still hold its
            # stream when the cluster stops, and report that instead.
            stop.set()
            await asyncio.gather(h.task, return_exceptions=True)
        floor = await self.floor_read(s.resync_ports)
        return {"ports": s.resync_ports, "full_state_s": took, "neighbors": len(h.driver.arp),
                "floor_read_s": floor, "floor_ratio": took / floor}


def _verdict(key: str, value) -> str:
    t = TARGETS.get(key)
    if t is None or not isinstance(value, (int, float)):
        return ""
    op, goal = t
    ok = value <= goal if op == "<=" else value >= goal
    return f"{op} {goal} {'met' if ok else 'MISSED'}"


def table(results: dict) -> str:
    lines = [f"{'figure':<38} {'value':>12}  target", "-" * 70]
    for scenario, figures in results.items():
        for k, v in figures.items():
            key = f"{scenario}.{k}"
            val = f"{v:,.2f}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int) else str(v)
            lines.append(f"{key:<38} {val:>12}  {_verdict(key, v)}")
    return "\n".join(lines)


async def run(args) -> dict:
    scale = Scale.quick() if args.quick else Scale()
    cluster = None
    if args.endpoint:
        base, dpm, etcd, port_addr = args.endpoint.rstrip("/"), args.dpm, args.etcd, args.port_addr
        if not (dpm and etcd):
            raise SystemExit("--endpoint needs --dpm (for the simulated hosts) and --etcd (for the floor)")
    else:
        from cluster.local import LocalCluster

        base_dir = Path(args.dir or tempfile.mkdtemp(prefix="alcor-bench-"))
        cluster = LocalCluster.on_free_ports(base_dir)
        print(f"starting a local cluster in {base_dir} ...", file=sys.stderr)
        await asyncio.get_running_loop().run_in_executor(None, cluster.start)
        base, dpm, etcd = cluster.gateway_url, cluster.address("svc_dpm"), cluster.etcd_endpoint
        port_addr = cluster.address("svc_port")
    bench = None
    try:  # whatever fails, the cluster started here goes with it
        bench = Bench(base, dpm, etcd, scale, progress=not args.no_progress, port_addr=port_addr or "",
                      port_security=not args.no_port_security, host_processes=args.host_processes)
        await bench.setup()
        for name in args.scenarios or SCENARIOS:
            print(f"running {name} ...", file=sys.stderr)
            bench.results[name] = await getattr(bench, name)()
    finally:
        if bench is not None:
            bench.stop.set()
            bench.stop_hosts()
        if cluster is not None:
            await asyncio.get_running_loop().run_in_executor(None, cluster.stop)
    return bench.results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="alcor bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenarios", nargs="*", help=f"any of {', '.join(SCENARIOS)} (default: all)")
    p.add_argument("--quick", action="store_true", help="a tenth of the scale (the test suite's smoke run)")
    p.add_argument("--endpoint", help="a running gateway (default: start a local cluster)")
    p.add_argument("--dpm", help="svc_dpm address for the simulated hosts (with --endpoint)")
    p.add_argument("--etcd", help="etcd endpoint for the storage floor (with --endpoint)")
    p.add_argument("--port-addr", help="svc_port's gRPC address, for grpc_bulk (with --endpoint)")
    p.add_argument("--dir", help="where the local cluster keeps its data")
    p.add_argument("--json", default="bench-results.json", help="where to write the figures")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--host-processes", type=int, default=2,
                   help="processes the simulated hosts are spread over (default: one per core here)")
    p.add_argument("--no-port-security", action="store_true",
                   help="create ports without security groups (Neutron's port_security_enabled "
                        "false): shows what the default group's member fan-out costs")
    args = p.parse_args(argv)
    for name in args.scenarios:
        if name not in SCENARIOS:
            p.error(f"unknown scenario {name!r}; choose from {', '.join(SCENARIOS)}")
    random.seed(1)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    collector.tune()  # the load generator too: its pauses would count against the cluster
    results = asyncio.run(run(args))
    print(table(results))
    Path(args.json).write_text(json.dumps(results, indent=2))
    print(f"\nfigures written to {args.json}")
    missed_errors = results.get("throughput", {}).get("errors", 0)
    return 1 if missed_errors else 0


if __name__ == "__main__":
    sys.exit(main())
