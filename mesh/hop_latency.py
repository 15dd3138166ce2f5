"""What one Envoy hop costs: p50 (and p90, p99) of a unary gRPC call made
straight to a svc_vpc replica and the same call through the mesh's Envoy
listener, on a local MeshCluster (one replica per service).

  python -m mesh.hop_latency [--calls 3000]

Two calls: grpc.health.v1 Check (no etcd: the hop alone) and ListNetworks
with limit 1 (a real read). Calls are sequential on one long-lived channel
each, alternating direct and Envoy in rounds so load on the machine hits
both alike."""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from alcor.v1 import network_pb2, network_pb2_grpc
from mesh.local import MeshCluster


def _percentiles(samples: list[float]) -> dict[str, float]:
    q = statistics.quantiles(samples, n=100)
    return {"p50": statistics.median(samples) * 1e3, "p90": q[89] * 1e3, "p99": q[98] * 1e3}


def measure(calls: int = 3000, rounds: int = 10) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        cluster = MeshCluster.on_free_ports(Path(tmp)).start()
        try:
            direct = cluster.replicas_of("svc_vpc")[0].address
            via = cluster.address("svc_vpc")
            chans = {"direct": grpc.insecure_channel(direct), "envoy": grpc.insecure_channel(via)}
            probes = {
                "health.Check": lambda ch: health_pb2_grpc.HealthStub(ch).Check(
                    health_pb2.HealthCheckRequest(), timeout=5),
                "ListNetworks": lambda ch: network_pb2_grpc.NetworkServiceStub(ch).ListNetworks(
                    network_pb2.ListNetworksRequest(limit=1), timeout=5),
            }
            out = {}
            for name, call in probes.items():
                samples: dict[str, list[float]] = {"direct": [], "envoy": []}
                for path, ch in chans.items():  # warm up connections and code paths
                    for _ in range(200):
                        call(ch)
                for _ in range(rounds):
                    for path, ch in chans.items():
                        for _ in range(calls // rounds):
                            t = time.perf_counter()
                            call(ch)
                            samples[path].append(time.perf_counter() - t)
                res = {path: _percentiles(s) for path, s in samples.items()}
                res["added_p50_ms"] = res["envoy"]["p50"] - res["direct"]["p50"]
                out[name] = res
            for ch in chans.values():
                ch.close()
            return out
        finally:
            cluster.stop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m mesh.hop_latency", description=__doc__.split("\n")[0])
    ap.add_argument("--calls", type=int, default=3000, help="calls per path and probe")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    result = measure(args.calls)
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    for name, res in result.items():
        print(f"{name}: added by Envoy p50 {res['added_p50_ms']:.3f} ms")
        for path in ("direct", "envoy"):
            r = res[path]
            print(f"  {path:<7} p50 {r['p50']:.3f} ms  p90 {r['p90']:.3f} ms  p99 {r['p99']:.3f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
