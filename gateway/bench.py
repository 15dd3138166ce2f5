"""Load figures for the gateway: requests/s and p50/p99 at a fixed
concurrency for GET /v2.0/networks/{id} and a single POST /v2.0/ports through
the gateway, and the same GET straight over gRPC, so the gateway's cost reads
as a ratio.

    python -m gateway.bench                       # the local cluster's default ports
    python -m gateway.bench --gateway http://127.0.0.1:9696 --vpc 127.0.0.1:50051 \\
        --concurrency 32 --duration 10

HTTP load comes from wrk (Debian package wrk) when it is installed, else from
a small asyncio keep-alive client; gRPC load from grpc.aio with one channel.
The script creates a network with a /16 subnet for the ports it makes and
leaves them behind (a bench, not a test)."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlparse

import grpc

from alcor.v1 import network_pb2, network_pb2_grpc


@dataclass
class Figures:
    name: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int = 0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def line(self) -> str:
        return (f"{self.name:<34} {self.rps:>9.0f} req/s   p50 {self.p50_ms:>7.2f} ms   "
                f"p99 {self.p99_ms:>7.2f} ms   ({self.requests} requests, {self.errors} errors)")


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    i = min(len(sorted_values) - 1, max(0, int(round(q * (len(sorted_values) - 1)))))
    return sorted_values[i]


def _http(method: str, url: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read() or b"{}")


# --- HTTP load: wrk ------------------------------------------------------------

_WRK_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def _wrk_ms(text: str, label: str) -> float:
    m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    return float(m.group(1)) * _WRK_UNITS[m.group(2)] if m else float("nan")


def wrk(name: str, url: str, concurrency: int, duration: float, body: bytes | None = None) -> Figures:
    threads = max(1, min(concurrency, os.cpu_count() or 1))
    argv = ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{int(duration)}s", "--latency"]
    script = None
    if body is not None:
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        script.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                     f"wrk.body = {json.dumps(body.decode())}\n")
        script.close()
        argv += ["-s", script.name]
    try:
        out = subprocess.run(argv + [url], capture_output=True, text=True, check=True).stdout
    finally:
        if script:
            os.unlink(script.name)
    total = int(re.search(r"(\d+) requests in ([\d.]+)(s|m)", out).group(1))
    secs_m = re.search(r"requests in ([\d.]+)(ms|s|m)", out)
    secs = float(secs_m.group(1)) * {"ms": 1e-3, "s": 1.0, "m": 60.0}[secs_m.group(2)]
    errors = 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        errors += int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        errors += sum(int(x) for x in m.groups())
    return Figures(name, total, secs, _wrk_ms(out, "50"), _wrk_ms(out, "99"), errors)


# --- HTTP load: asyncio fallback ---------------------------------------------------


async def _http_worker(host: str, port: int, request: bytes, stop: float, lat: list[float]) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    errors = 0
    try:
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))
            if length:
                await reader.readexactly(length)
            lat.append(time.perf_counter() - t0)
            errors += status >= 300
    finally:
        writer.close()
    return errors


async def py_http(name: str, url: str, concurrency: int, duration: float,
                  body: bytes | None = None) -> Figures:
    u = urlparse(url)
    method = "POST" if body is not None else "GET"
    head = f"{method} {u.path} HTTP/1.1\r\nHost: {u.netloc}\r\nContent-Type: application/json\r\n"
    request = (head + f"Content-Length: {len(body or b'')}\r\n\r\n").encode() + (body or b"")
    lat: list[float] = []
    t0 = time.perf_counter()
    stop = t0 + duration
    errs = await asyncio.gather(*[_http_worker(u.hostname, u.port or 80, request, stop, lat)
                                  for _ in range(concurrency)])
    secs = time.perf_counter() - t0
    lat.sort()
    return Figures(name, len(lat), secs, _percentile(lat, .5) * 1e3, _percentile(lat, .99) * 1e3, sum(errs))


# --- gRPC load ----------------------------------------------------------------------


async def grpc_get(address: str, network_id: str, concurrency: int, duration: float) -> Figures:
    lat: list[float] = []
    errors = 0
    async with grpc.aio.insecure_channel(address) as ch:
        stub = network_pb2_grpc.NetworkServiceStub(ch)
        req = network_pb2.GetNetworkRequest(id=network_id)
        md = (("x-alcor-roles", "admin"), ("x-alcor-project-id", "default"))
        await stub.GetNetwork(req, metadata=md)
        stop = time.perf_counter() + duration

        async def worker():
            nonlocal errors
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                try:
                    await stub.GetNetwork(req, metadata=md, timeout=30)
                except grpc.aio.AioRpcError:
                    errors += 1
                lat.append(time.perf_counter() - t0)

        t0 = time.perf_counter()
        await asyncio.gather(*[worker() for _ in range(concurrency)])
        secs = time.perf_counter() - t0
    lat.sort()
    return Figures("gRPC GetNetwork (direct)", len(lat), secs, _percentile(lat, .5) * 1e3,
                   _percentile(lat, .99) * 1e3, errors)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--gateway", default="http://127.0.0.1:9696")
    p.add_argument("--vpc", default="127.0.0.1:50051", help="svc_vpc's gRPC address")
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    p.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    args = p.parse_args(argv)

    base = args.gateway.rstrip("/")
    net = _http("POST", f"{base}/v2.0/networks", {"network": {"name": "bench"}})["network"]
    _http("POST", f"{base}/v2.0/subnets", {"subnet": {"network_id": net["id"], "ip_version": 4,
                                                      "cidr": "10.200.0.0/16", "name": "bench"}})
    use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk"))
    get_url = f"{base}/v2.0/networks/{net['id']}"
    post_url = f"{base}/v2.0/ports"
    post_body = json.dumps({"port": {"network_id": net["id"]}}).encode()
    c, d = args.concurrency, args.duration

    results = []
    print(f"concurrency {c}, {d:.0f} s each, HTTP client: {'wrk' if use_wrk else 'python asyncio'}")
    if use_wrk:
        results.append(wrk("HTTP GET /v2.0/networks/{id}", get_url, c, d))
    else:
        results.append(asyncio.run(py_http("HTTP GET /v2.0/networks/{id}", get_url, c, d)))
    print(results[-1].line(), flush=True)
    results.append(asyncio.run(grpc_get(args.vpc, net["id"], c, d)))
    print(results[-1].line(), flush=True)
    if use_wrk:
        results.append(wrk("HTTP POST /v2.0/ports (single)", post_url, c, d, post_body))
    else:
        results.append(asyncio.run(py_http("HTTP POST /v2.0/ports (single)", post_url, c, d, post_body)))
    print(results[-1].line(), flush=True)
    get_http, get_grpc = results[0], results[1]
    print(f"gateway GET throughput = {get_http.rps / get_grpc.rps:.2f} x direct gRPC; "
          f"p50 {get_http.p50_ms - get_grpc.p50_ms:+.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
