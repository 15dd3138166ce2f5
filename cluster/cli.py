"""The `alcor` command.

  alcor up       start etcd and every service locally, wait until all are
                 SERVING, print where each listens, stop on Ctrl-C
  alcor up --mesh
                 the same behind a local Envoy (mesh/): listeners on the
                 usual ports, replicas behind them, the chart's policy
  alcor status   each service's health
"""
from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from cluster.local import DEFAULT_PORTS, ROOT, SERVICES, LocalCluster, health


def cmd_up(args) -> int:
    cluster = LocalCluster(Path(args.dir), replicas={s: args.replicas - 1 for s in SERVICES}
                           if args.replicas > 1 else {})
    if args.mesh:
        cluster = _mesh_cluster(args, cluster.replicas)
    cluster.hosts, cluster.host_driver = args.hosts, args.host_driver
    if args.host_driver == "linux" and args.hosts:
        from cluster.fabric import can_make_namespaces

        why = can_make_namespaces()
        if why:
            print(f"--host-driver linux: {why}", file=sys.stderr)
            return 2
    stop = {"now": False}

    def on_signal(*_):
        stop["now"] = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        cluster.start()
        print("Alcor is up:")
        for p in cluster.processes:
            print(f"  {p.name:<10} {p.address:<22} log {p.log}")
        if any(p.name == "gateway" for p in cluster.processes):
            print(f"\nNeutron API: {cluster.gateway_url}  (openstack --os-auth-type none "
                  f"--os-endpoint {cluster.gateway_url} network list)")
        if args.mesh:
            print("\n" + cluster.describe())
        print("Ctrl-C stops everything.", flush=True)
        while not stop["now"]:
            for p in cluster.processes:
                if p.popen.poll() is not None:
                    print(f"{p.name} exited with {p.popen.returncode}; see {p.log}", file=sys.stderr)
                    stop["now"] = True
            time.sleep(0.5)
    finally:
        print("stopping...", flush=True)
        cluster.stop()
    return 0


def _mesh_cluster(args, replicas: dict[str, int]):
    # mesh/ is not a package of the installed distribution: import it from the tree.
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from mesh.local import MeshCluster
    from mesh.policy import load_values

    return MeshCluster(Path(args.dir), replicas=replicas, values=load_values(*args.mesh_values))


def cmd_status(args) -> int:
    ok = True
    for name in SERVICES:
        addr = f"127.0.0.1:{DEFAULT_PORTS[name]}"
        st = health(addr)
        ok &= st == "SERVING"
        print(f"{name:<10} {addr:<18} {st}")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:
        from cluster import bench

        return bench.main(argv[1:])
    parser = argparse.ArgumentParser(prog="alcor")
    sub = parser.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("up", help="start the local control plane")
    up.add_argument("--dir", default=str(ROOT / ".alcor"), help="data and logs directory")
    up.add_argument("--replicas", type=int, default=1, help="replicas of each service")
    up.add_argument("--hosts", type=int, default=0,
                    help="simulated hosts with agents, registered as nodes host-0000...")
    up.add_argument("--host-driver", choices=("recording", "linux"), default="recording",
                    help="recording: all agents in one process, nothing programmed; linux: a network "
                         "namespace per host on a fabric and a real agent each (root)")
    up.add_argument("--mesh", action="store_true",
                    help="put a local Envoy in front of every service (policy: helm/alcor/values.yaml)")
    up.add_argument("--mesh-values", action="append", default=[], metavar="FILE",
                    help="with --mesh: values merged over the chart's, e.g. helm/alcor/ci/canary-values.yaml")
    up.set_defaults(fn=cmd_up)
    sub.add_parser("bench", help="provisioning benchmarks (alcor bench --help)")
    st = sub.add_parser("status", help="health of each local service")
    st.set_defaults(fn=cmd_status)
    args = parser.parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
