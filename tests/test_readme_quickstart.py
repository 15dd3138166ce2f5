"""Starts the local cluster the way the README does (`make run`) and talks to
it with `buf curl` over server reflection: list services, create a VPC, a
subnet and a port, and read them back."""
import json
import os
import signal
import subprocess
import time

import pytest

from cluster.local import DEFAULT_PORTS, ROOT

BUF = ROOT / "node_modules" / ".bin" / "buf"


def ports_free() -> bool:
    import socket

    for port in DEFAULT_PORTS.values():
        with socket.socket() as s:
            # Servers bind with SO_REUSEADDR, so a port in TIME_WAIT is free to them.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def buf_curl(address: str, method: str | None = None, data: dict | None = None, *extra: str):
    argv = [str(BUF), "curl", "--protocol", "grpc", "--http2-prior-knowledge", *extra]
    if data is not None:
        argv += ["-d", json.dumps(data)]
    url = f"http://{address}" + (f"/{method}" if method else "")
    r = subprocess.run(argv + [url], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.fixture
def make_run(tmp_path):
    if not BUF.exists():
        pytest.skip("buf is not installed (npm ci installs it; `make test` runs that)")
    if not ports_free():
        pytest.skip("the README's fixed ports are taken (is `make run` already running?)")
    log = open(tmp_path / "make-run.log", "w+")
    proc = subprocess.Popen(["make", "--no-print-directory", "run", f"ALCOR_UP_ARGS=--dir {tmp_path}/alcor"],
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 120
    while "Ctrl-C stops everything" not in (tmp_path / "make-run.log").read_text():
        assert proc.poll() is None, (tmp_path / "make-run.log").read_text()
        assert time.monotonic() < deadline, "make run did not come up"
        time.sleep(0.2)
    yield proc
    # Ctrl-C: the terminal sends SIGINT to the whole foreground group, make included.
    os.killpg(proc.pid, signal.SIGINT)
    proc.wait(60)
    text = (tmp_path / "make-run.log").read_text()
    assert "stopping..." in text, text[-3000:]
    deadline = time.monotonic() + 15
    while not ports_free():  # every process of the cluster is gone
        assert time.monotonic() < deadline, "the cluster did not stop cleanly"
        time.sleep(0.1)


def test_make_run_then_buf_curl(make_run, tmp_path):
    vpc = f"127.0.0.1:{DEFAULT_PORTS['svc_vpc']}"
    port_svc = f"127.0.0.1:{DEFAULT_PORTS['svc_port']}"
    services = buf_curl(vpc, None, None, "--list-services").split()
    assert {"alcor.v1.NetworkService", "alcor.v1.SubnetService", "grpc.health.v1.Health"} <= set(services)
    assert "alcor.v1.PortService" in buf_curl(port_svc, None, None, "--list-services")

    net = json.loads(buf_curl(vpc, "alcor.v1.NetworkService/CreateNetworks", {"network": {"name": "demo"}}))
    nid = net["network"]["id"]
    sub = json.loads(buf_curl(vpc, "alcor.v1.SubnetService/CreateSubnets",
                              {"subnet": {"network_id": nid, "cidr": "10.0.0.0/24", "ip_version": 4}}))
    assert sub["subnet"]["gateway_ip"] == "10.0.0.1"
    port = json.loads(buf_curl(port_svc, "alcor.v1.PortService/CreatePorts",
                               {"port": {"network_id": nid, "name": "p1"}}))
    pid = port["port"]["id"]
    assert port["port"]["fixed_ips"][0]["ip_address"] == "10.0.0.2"

    got = json.loads(buf_curl(port_svc, "alcor.v1.PortService/GetPort", {"id": pid}))
    assert got["port"]["name"] == "p1" and got["port"]["network_id"] == nid
    got_net = json.loads(buf_curl(vpc, "alcor.v1.NetworkService/GetNetwork", {"id": nid}))
    assert got_net["network"]["subnets"] == [sub["subnet"]["id"]]

    status = subprocess.run([str(ROOT / ".venv" / "bin" / "alcor"), "status"], capture_output=True, text=True)
    assert status.returncode == 0 and status.stdout.count("SERVING") == 5, status.stdout
