"""The real `openstack` CLI (python-openstackclient) against the gateway:
`--os-auth-type none --os-endpoint http://127.0.0.1:PORT`, output as JSON."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest_gateway import unique

OPENSTACK = Path(sys.executable).with_name("openstack")

pytestmark = pytest.mark.skipif(not OPENSTACK.exists(), reason="python-openstackclient is not installed")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env["OS_CLIENT_CONFIG_FILE"] = os.devnull  # no clouds.yaml of the machine
    return env


@pytest.fixture(scope="module")
def osc(cluster):
    def run(*args: str, auth: tuple[str, ...] = (), expect_json: bool = True):
        argv = [str(OPENSTACK), *(auth or ("--os-auth-type", "none")),
                "--os-endpoint", cluster.gateway_url, *args]
        if expect_json:
            argv += ["-f", "json"]
        p = subprocess.run(argv, capture_output=True, text=True, env=_env(), timeout=120)
        assert p.returncode == 0, f"{' '.join(args)}\n{p.stdout}\n{p.stderr}"
        return json.loads(p.stdout) if expect_json else p.stdout
    return run


def test_network_subnet_port_life_cycle(osc):
    name, renamed = unique("cli-net"), unique("cli-renamed")
    net = osc("network", "create", name)
    assert net["name"] == name and net["admin_state_up"] is True and net["status"] == "ACTIVE"
    assert net["project_id"] == "default"

    listed = osc("network", "list")
    assert {"ID": net["id"], "Name": name, "Subnets": []} in listed

    shown = osc("network", "show", name)  # a name: the CLI tries /networks/<name>, then ?name=
    assert shown["id"] == net["id"] and shown["mtu"] == 1450

    # (the CLI sends "mtu": "1400", a string)
    osc("network", "set", "--name", renamed, "--description", "from the CLI", "--mtu", "1400", name,
        expect_json=False)
    shown = osc("network", "show", net["id"])
    assert (shown["name"], shown["description"], shown["mtu"]) == (renamed, "from the CLI", 1400)
    assert shown["revision_number"] > net["revision_number"]

    s4 = osc("subnet", "create", "--network", renamed, "--subnet-range", "10.0.0.0/24", unique("cli-s4"))
    assert s4["cidr"] == "10.0.0.0/24" and s4["gateway_ip"] == "10.0.0.1" and s4["ip_version"] == 4
    assert s4["allocation_pools"] == [{"start": "10.0.0.2", "end": "10.0.0.254"}]
    s6 = osc("subnet", "create", "--network", renamed, "--ip-version", "6",
             "--subnet-range", "fd00:c1::/64", unique("cli-s6"))
    assert s6["cidr"] == "fd00:c1::/64" and s6["ip_version"] == 6

    p1 = osc("port", "create", "--network", renamed, unique("cli-p1"))
    assert p1["network_id"] == net["id"] and p1["mac_address"]
    assert {ip["subnet_id"] for ip in p1["fixed_ips"]} == {s4["id"], s6["id"]}

    p2_name = unique("cli-p2")
    p2 = osc("port", "create", "--network", renamed,
             "--fixed-ip", f"subnet={s4['name']},ip-address=10.0.0.50", p2_name)
    assert p2["fixed_ips"] == [{"subnet_id": s4["id"], "ip_address": "10.0.0.50"}]

    ports = osc("port", "list", "--network", renamed)
    assert {p["ID"] for p in ports} == {p1["id"], p2["id"]}
    by_id = {p["ID"]: p for p in ports}
    assert by_id[p2["id"]]["Fixed IP Addresses"] == [{"subnet_id": s4["id"], "ip_address": "10.0.0.50"}]
    assert by_id[p2["id"]]["Name"] == p2_name

    shown = osc("port", "show", p2_name)
    assert shown["id"] == p2["id"] and shown["status"] == "DOWN"

    osc("port", "delete", p2_name, p1["id"], expect_json=False)
    assert osc("port", "list", "--network", renamed) == []
    osc("subnet", "delete", s4["id"], s6["id"], expect_json=False)
    osc("network", "delete", renamed, expect_json=False)
    assert all(n["ID"] != net["id"] for n in osc("network", "list"))


def test_cli_errors_are_reported(osc, cluster):
    argv = [str(OPENSTACK), "--os-auth-type", "none", "--os-endpoint", cluster.gateway_url,
            "network", "show", unique("missing")]
    p = subprocess.run(argv, capture_output=True, text=True, env=_env(), timeout=120)
    assert p.returncode != 0 and "No Network found" in p.stderr
