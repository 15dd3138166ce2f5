"""`alcor bench --quick`: every scenario at a tenth of the scale, as a smoke
test. It must complete and report no errors; its timings are printed, never
asserted (speed is measured by the full run, see BENCHMARKS.md)."""
import json
import subprocess
import sys

from cluster.local import ROOT, etcd_binary

import pytest


@pytest.mark.skipif(etcd_binary() is None, reason="etcd is not installed; `make test` installs it")
def test_bench_quick_completes_without_errors(tmp_path):
    out = tmp_path / "bench.json"
    r = subprocess.run([sys.executable, "-m", "cluster", "bench", "--quick", "--no-progress",
                        "--json", str(out), "--dir", str(tmp_path / "cluster")],
                       cwd=ROOT, capture_output=True, text=True, timeout=600)
    print(r.stdout)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    results = json.loads(out.read_text())
    assert set(results) == {"latency", "throughput", "bulk", "list", "resync", "grpc_bulk", "floor"}
    assert results["throughput"]["errors"] == 0 and results["throughput"]["created"] > 0
    assert results["bulk"]["ports"] == 1000
    assert results["resync"]["ports"] == 1000
    assert results["grpc_bulk"]["ports"] == 100 and results["grpc_bulk"]["etcd_txns"] > 0
    assert results["floor"]["write_keys"] == 1000


def test_agent_bench_completes():
    """python -m agent.bench at a small scale: it adds and removes every
    neighbor through the real agent (run() checks the removals applied)."""
    r = subprocess.run([sys.executable, "-m", "agent.bench", "--held", "200", "--per", "20",
                        "--messages", "5"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "add" in r.stdout and "remove" in r.stdout and "us per neighbor" in r.stdout
