"""The real `openstack` CLI (python-openstackclient) against the gateway for
security groups, their rules, ports' groups and routers: what an operator
types, checked against what Neutron would answer.

What the CLI calls, for the record:
- `security group rule create` with no remote sends remote_ip_prefix
  0.0.0.0/0 (or ::/0 with --ethertype IPv6); unset attributes of a rule are
  null, which `security group rule list` shows as "0.0.0.0/0" / None.
- `router show` builds interfaces_info from GET /v2.0/ports?device_id=<router>
  (the ports whose device_owner is not network:router_gateway), and
  `port list --router R` is the same query. Alcor's interfaces are not ports
  (routing is distributed to every host, see router.proto): the CLI shows
  interfaces_info [] and the attached subnets are in alcor:subnet_ids.
"""
from __future__ import annotations

import json
import subprocess
import uuid

import pytest

from cluster.local import free_port, wait_tcp
from tests.conftest_gateway import assert_neutron_error, client, unique
from tests.test_openstack_cli import OPENSTACK, _env

pytestmark = pytest.mark.skipif(not OPENSTACK.exists(), reason="python-openstackclient is not installed")


class Cli:
    """Runs the CLI against one endpoint with one way of authenticating."""

    def __init__(self, endpoint: str, auth: tuple[str, ...] = ("--os-auth-type", "none")):
        self.endpoint, self.auth = endpoint, auth

    def _argv(self, args: tuple[str, ...]) -> list[str]:
        return [str(OPENSTACK), *self.auth, "--os-endpoint", self.endpoint, *args]

    def _run(self, args: tuple[str, ...]) -> subprocess.CompletedProcess:
        return subprocess.run(self._argv(args), capture_output=True, text=True, env=_env(), timeout=120)

    def __call__(self, *args: str):
        """Output as JSON (for commands that show something)."""
        p = self._run((*args, "-f", "json"))
        assert p.returncode == 0, f"{' '.join(args)}\n{p.stdout}\n{p.stderr}"
        return json.loads(p.stdout)

    def do(self, *args: str) -> None:
        """A command without output (set, unset, delete, add, remove)."""
        p = self._run(args)
        assert p.returncode == 0, f"{' '.join(args)}\n{p.stdout}\n{p.stderr}"
        assert p.stdout == "", p.stdout

    def fails(self, *args: str) -> str:
        """A command that must fail; its error output."""
        p = self._run(args)
        assert p.returncode != 0, f"{' '.join(args)} succeeded:\n{p.stdout}"
        return p.stderr

    def all_fail(self, *commands: tuple[str, ...]) -> list[str]:
        """Independent commands that must all fail, run concurrently (the
        CLI takes seconds to start); their error outputs, in order."""
        procs = [subprocess.Popen(self._argv(c), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, env=_env()) for c in commands]
        errs = []
        for c, p in zip(commands, procs):
            out, err = p.communicate(timeout=120)
            assert p.returncode != 0, f"{' '.join(c)} succeeded:\n{out}"
            errs.append(err)
        return errs


@pytest.fixture(scope="module")
def osc(cluster) -> Cli:
    return Cli(cluster.gateway_url)


@pytest.fixture(scope="module")
def http(cluster):
    with client(cluster.gateway_url) as c:
        yield c


@pytest.fixture(scope="module")
def member(cluster, tmp_path_factory) -> Cli:
    """The CLI as a member of a project that has never been seen: a second
    gateway on the session cluster with a token file."""
    token, project = uuid.uuid4().hex, unique("cli-proj")
    path = tmp_path_factory.mktemp("cli-tokens") / "tokens.json"
    path.write_text(json.dumps({"tokens": {token: {"project_id": project, "roles": ["member"]}}}))
    listen = f"127.0.0.1:{free_port()}"
    p = cluster.start_gateway(listen=listen, replica=2, extra_env={"ALCOR_TOKEN_FILE": str(path)})
    wait_tcp(listen, p)
    cli = Cli(f"http://{listen}", ("--os-auth-type", "admin_token", "--os-token", token))
    cli.project = project
    yield cli
    cluster.stop_process(p)


def _anything(rule: dict) -> bool:
    """A rule of any protocol, port and remote (null or absent in the JSON)."""
    return all(rule.get(k) is None for k in ("protocol", "port_range_min", "port_range_max",
                                             "remote_ip_prefix", "remote_group_id"))


# --- security groups ---------------------------------------------------------


def test_security_group_life_cycle(osc):
    name, renamed = unique("cli-sg"), unique("cli-sg-renamed")
    g = osc("security", "group", "create", "--description", "made by the CLI", name)
    assert (g["name"], g["description"], g["project_id"], g["stateful"]) == \
        (name, "made by the CLI", "default", True)
    # Neutron's new group: everything out (IPv4 and IPv6, any protocol, no
    # remote), nothing in.
    assert sorted((r["direction"], r["ethertype"]) for r in g["rules"]) == \
        [("egress", "IPv4"), ("egress", "IPv6")]
    assert all(_anything(r) and r["security_group_id"] == g["id"] for r in g["rules"])

    listed = osc("security", "group", "list")
    row = next(x for x in listed if x["ID"] == g["id"])
    assert (row["Name"], row["Description"], row["Project"]) == (name, "made by the CLI", "default")

    shown = osc("security", "group", "show", name)  # by name
    assert shown["id"] == g["id"] and {r["id"] for r in shown["rules"]} == {r["id"] for r in g["rules"]}

    osc.do("security", "group", "set", "--name", renamed, "--description", "renamed", name)
    shown = osc("security", "group", "show", g["id"])
    assert (shown["name"], shown["description"]) == (renamed, "renamed")
    assert shown["revision_number"] > g["revision_number"]

    # Without --description the CLI sends the name as the description.
    other = osc("security", "group", "create", unique("cli-sg"))
    assert other["description"] == other["name"]

    osc.do("security", "group", "delete", renamed, other["id"])
    ids = {x["ID"] for x in osc("security", "group", "list")}
    assert g["id"] not in ids and other["id"] not in ids
    assert "No SecurityGroup found" in osc.fails("security", "group", "show", g["id"])
    # Its rules went with it.
    assert not [r for r in osc("security", "group", "rule", "list") if r["Security Group"] == g["id"]]


def test_security_group_rules(osc, http):
    g = osc("security", "group", "create", unique("cli-rules"))
    peer = osc("security", "group", "create", unique("cli-peer"))
    egress = {r["id"] for r in g["rules"]}

    ssh = osc("security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22",
              "--remote-ip", "0.0.0.0/0", g["name"])
    assert {k: ssh[k] for k in ("security_group_id", "direction", "ether_type", "protocol",
                                "port_range_min", "port_range_max", "remote_ip_prefix",
                                "remote_group_id", "project_id")} == \
        {"security_group_id": g["id"], "direction": "ingress", "ether_type": "IPv4", "protocol": "tcp",
         "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "0.0.0.0/0",
         "remote_group_id": None, "project_id": "default"}

    icmp = osc("security", "group", "rule", "create", "--ingress", "--protocol", "icmp", g["id"])
    assert (icmp["direction"], icmp["protocol"], icmp["port_range_min"], icmp["port_range_max"]) == \
        ("ingress", "icmp", None, None)
    assert icmp["remote_ip_prefix"] == "0.0.0.0/0"  # what the CLI sends when given no remote

    ping = osc("security", "group", "rule", "create", "--protocol", "icmp", "--icmp-type", "8",
               "--icmp-code", "0", g["id"])
    assert (ping["protocol"], ping["port_range_min"], ping["port_range_max"]) == ("icmp", 8, 0)

    from_peer = osc("security", "group", "rule", "create", "--remote-group", peer["name"], g["id"])
    assert (from_peer["remote_group_id"], from_peer["remote_ip_prefix"], from_peer["protocol"]) == \
        (peer["id"], None, None)
    assert (from_peer["direction"], from_peer["ether_type"]) == ("ingress", "IPv4")

    v6 = osc("security", "group", "rule", "create", "--ethertype", "IPv6", g["id"])
    assert (v6["ether_type"], v6["remote_ip_prefix"], v6["protocol"]) == ("IPv6", "::/0", None)

    dns = osc("security", "group", "rule", "create", "--egress", "--protocol", "udp", "--dst-port", "53",
              "--remote-ip", "10.1.2.3/8", g["id"])
    assert (dns["direction"], dns["protocol"], dns["port_range_min"], dns["port_range_max"]) == \
        ("egress", "udp", 53, 53)
    assert dns["remote_ip_prefix"] == "10.0.0.0/8"  # as Neutron: the network of the prefix

    made = {ssh["id"], icmp["id"], ping["id"], from_peer["id"], v6["id"], dns["id"]}
    rows = {r["ID"]: r for r in osc("security", "group", "rule", "list", g["name"])}
    assert set(rows) == egress | made
    assert rows[ssh["id"]] == {"ID": ssh["id"], "IP Protocol": "tcp", "Ethertype": "IPv4",
                               "IP Range": "0.0.0.0/0", "Port Range": "22:22", "Direction": "ingress",
                               "Remote Security Group": None, "Remote Address Group": None}
    assert rows[ping["id"]]["Port Range"] == "type=8"  # (the CLI leaves out code 0)
    assert rows[from_peer["id"]]["Remote Security Group"] == peer["id"]
    # The default egress rules have no protocol and no remote: the CLI shows
    # null, and an IP range of everything (Neutron's null remote_ip_prefix).
    assert sorted((rows[i]["Ethertype"], rows[i]["IP Range"], rows[i]["IP Protocol"],
                   rows[i]["Remote Security Group"]) for i in egress) == \
        [("IPv4", "0.0.0.0/0", None, None), ("IPv6", "::/0", None, None)]

    assert [r["ID"] for r in osc("security", "group", "rule", "list", "--ingress", "--protocol", "tcp",
                                 g["id"])] == [ssh["id"]]
    assert {r["ID"] for r in osc("security", "group", "rule", "list", "--egress", g["id"])} == \
        egress | {dns["id"]}
    everywhere = {r["ID"]: r for r in osc("security", "group", "rule", "list")}
    assert everywhere[ssh["id"]]["Security Group"] == g["id"]

    shown = osc("security", "group", "rule", "show", ssh["id"])
    assert {k: shown[k] for k in ssh if k != "revision_number"} == \
        {k: ssh[k] for k in ssh if k != "revision_number"}

    # Duplicates are refused (409 SecurityGroupRuleExists), as Neutron
    # compares them: a protocol's number is its name, and 0.0.0.0/0 (what
    # the CLI sends without a remote) is the same as no remote.
    dups = (("--protocol", "tcp", "--dst-port", "22", "--remote-ip", "0.0.0.0/0"),
            ("--protocol", "6", "--dst-port", "22:22"),
            ("--egress",),  # the group's own egress rule
            ("--egress", "--ethertype", "IPv6"))
    errs = osc.all_fail(*[("security", "group", "rule", "create", *d, g["id"]) for d in dups])
    for dup, err in zip(dups, errs):
        assert "ConflictException: 409" in err and "Security group rule already exists" in err, (dup, err)
    r = http.post("/v2.0/security-group-rules", json={"security_group_rule": {
        "security_group_id": g["id"], "direction": "ingress", "protocol": "tcp",
        "port_range_min": 22, "port_range_max": 22}})
    assert_neutron_error(r, 409, "SecurityGroupRuleExists")

    # Bad input is a 400, never a 5xx.
    # (the CLI itself refuses --dst-port 90:80; HTTP below)
    bads = ((("--protocol", "tcp", "--dst-port", "0"), "port_range_min must be <="),
            (("--protocol", "bogus"), "protocol bogus not supported"),
            (("--remote-ip", "2001:db8::/64"), "Conflicting value ethertype IPv4"),
            (("--ethertype", "IPv6", "--remote-ip", "10.0.0.0/8"), "Conflicting value ethertype IPv6"),
            (("--remote-ip", "not-a-prefix"), "is not a valid IP prefix"))
    errs = osc.all_fail(*[("security", "group", "rule", "create", *b, g["id"]) for b, _ in bads])
    for (bad, says), err in zip(bads, errs):
        assert "BadRequestException: 400" in err and says in err, (bad, err)
    for rule, type_ in (
            (dict(protocol="tcp", port_range_min=90, port_range_max=80), "SecurityGroupInvalidPortRange"),
            (dict(protocol="tcp", port_range_min=0, port_range_max=0), "SecurityGroupInvalidPortRange"),
            (dict(protocol="bogus"), "SecurityGroupRuleInvalidProtocol"),
            (dict(protocol="256"), "SecurityGroupRuleInvalidProtocol"),
            (dict(remote_ip_prefix="::/0"), "SecurityGroupConflictingEthertype"),
            (dict(ethertype="IPv6", remote_ip_prefix="0.0.0.0/0"), "SecurityGroupConflictingEthertype"),
            (dict(remote_ip_prefix="10.0.0.0/8", remote_group_id=peer["id"]),
             "SecurityGroupRemoteGroupAndRemoteIpPrefix"),
            (dict(port_range_min=80, port_range_max=80), "SecurityGroupProtocolRequiredWithPorts"),
            (dict(protocol="gre", port_range_min=80, port_range_max=80),
             "SecurityGroupInvalidProtocolForPortRange"),
            (dict(protocol="icmp", port_range_min=256), "SecurityGroupInvalidIcmpValue"),
            (dict(protocol="icmp", port_range_max=0), "SecurityGroupMissingIcmpType"),
            (dict(protocol="ipv6-icmp", ethertype="IPv4"), "SecurityGroupEthertypeConflictWithProtocol"),
            (dict(ethertype="IPv5"), "InvalidInput"),
            (dict(direction="sideways"), "InvalidInput"),
            (dict(port_range_min="eighty", protocol="tcp"), "HTTPBadRequest")):
        body = {"security_group_id": g["id"], "direction": "ingress", **rule}
        r = http.post("/v2.0/security-group-rules", json={"security_group_rule": body})
        assert_neutron_error(r, 400, type_)
    r = http.post("/v2.0/security-group-rules", json={"security_group_rule": {
        "security_group_id": g["id"], "direction": "ingress", "remote_group_id": unique("missing")}})
    assert_neutron_error(r, 404, "SecurityGroupNotFound")

    osc.do("security", "group", "rule", "delete", ssh["id"], dns["id"])
    assert set(r["ID"] for r in osc("security", "group", "rule", "list", g["id"])) == \
        egress | made - {ssh["id"], dns["id"]}
    assert "No SecurityGroupRule found" in osc.fails("security", "group", "rule", "show", ssh["id"])
    # Deleted, the same rule may be made again.
    r = http.post("/v2.0/security-group-rules", json={"security_group_rule": {
        "security_group_id": g["id"], "direction": "ingress", "protocol": "tcp",
        "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "0.0.0.0/0"}})
    assert r.status_code == 201, r.text

    # Deleting a group deletes the rules of other groups naming it as their
    # remote group (Neutron's foreign key cascades).
    osc.do("security", "group", "delete", peer["name"])
    left = {r["ID"] for r in osc("security", "group", "rule", "list", g["id"])}
    assert from_peer["id"] not in left and icmp["id"] in left
    assert_neutron_error(http.get(f"/v2.0/security-group-rules/{from_peer['id']}"), 404,
                         "SecurityGroupRuleNotFound")
    osc.do("security", "group", "delete", g["id"])


def test_port_security_groups(osc, http):
    net = osc("network", "create", unique("cli-sg-net"))
    sub = osc("subnet", "create", "--network", net["id"], "--subnet-range", "10.61.0.0/24", unique("cli-sg-sub"))
    a = osc("security", "group", "create", unique("cli-a"))
    b = osc("security", "group", "create", unique("cli-b"))

    p = osc("port", "create", "--network", net["id"], "--security-group", a["name"], unique("cli-sg-port"))
    assert p["security_group_ids"] == [a["id"]]
    # No group named: the project's default group.
    plain = osc("port", "create", "--network", net["id"], unique("cli-plain"))
    (default_id,) = plain["security_group_ids"]
    default = osc("security", "group", "show", default_id)
    assert (default["name"], default["project_id"]) == ("default", "default")

    assert [x["ID"] for x in osc("port", "list", "--security-group", a["id"])] == [p["id"]]

    # `port set --security-group` adds to the port's groups.
    osc.do("port", "set", "--security-group", b["name"], p["name"])
    assert sorted(osc("port", "show", p["id"])["security_group_ids"]) == sorted([a["id"], b["id"]])
    osc.do("port", "unset", "--security-group", a["id"], p["id"])
    assert osc("port", "show", p["name"])["security_group_ids"] == [b["id"]]
    osc.do("port", "set", "--no-security-group", p["id"])
    assert osc("port", "show", p["id"])["security_group_ids"] == []
    osc.do("port", "set", "--no-security-group", "--security-group", a["id"], p["id"])
    assert osc("port", "show", p["id"])["security_group_ids"] == [a["id"]]

    # A group in use cannot be deleted: SecurityGroupInUse, 409.
    err = osc.fails("security", "group", "delete", a["name"])
    assert "ConflictException: 409" in err and "in use" in err, err
    assert_neutron_error(http.delete(f"/v2.0/security-groups/{a['id']}"), 409, "SecurityGroupInUse")
    assert osc("security", "group", "show", a["id"])["id"] == a["id"]
    # An unknown group on a port is a 404.
    err = osc.fails("port", "set", "--security-group", unique("missing"), p["id"])
    assert "No SecurityGroup found" in err, err

    # `--no-security-group --no-fixed-ip` send "security_groups": [] and
    # "fixed_ips": []: Neutron's port with no group and no address.
    bare = osc("port", "create", "--network", net["id"], "--no-security-group", "--no-fixed-ip",
               unique("cli-bare"))
    assert (bare["security_group_ids"], bare["fixed_ips"]) == ([], [])
    assert "alcor:empty_lists" not in osc("port", "show", bare["id"])

    osc.do("port", "delete", p["id"], plain["id"], bare["id"])
    osc.do("security", "group", "delete", a["id"], b["id"])
    osc.do("subnet", "delete", sub["id"])
    osc.do("network", "delete", net["id"])


def test_default_group_of_a_new_project(member):
    # The first look creates the project's default group: egress anywhere,
    # ingress from members of the same group.
    (row,) = member("security", "group", "list")
    assert (row["Name"], row["Project"]) == ("default", member.project)
    default = member("security", "group", "show", "default")
    assert default["id"] == row["ID"]
    assert sorted((r["direction"], r["ethertype"], r.get("remote_group_id")) for r in default["rules"]) == \
        [("egress", "IPv4", None), ("egress", "IPv6", None),
         ("ingress", "IPv4", default["id"]), ("ingress", "IPv6", default["id"])]
    assert all(r.get("protocol") is None and r.get("remote_ip_prefix") is None for r in default["rules"])
    # Listing again does not make another one.
    assert [x["ID"] for x in member("security", "group", "list")] == [default["id"]]

    err = member.fails("security", "group", "delete", "default")
    assert "ConflictException: 409" in err and "default security group" in err, err
    err = member.fails("security", "group", "set", "--name", "not-default", "default")
    assert "ConflictException: 409" in err and "default security group" in err, err
    err = member.fails("security", "group", "create", "default")
    assert "ConflictException: 409" in err, err

    net = member("network", "create", unique("cli-member-net"))
    sub = member("subnet", "create", "--network", net["id"], "--subnet-range", "10.62.0.0/24",
                 unique("cli-m-sub"))
    port = member("port", "create", "--network", net["id"], unique("cli-member-port"))
    assert port["security_group_ids"] == [default["id"]] and port["project_id"] == member.project
    member.do("port", "delete", port["id"])
    member.do("subnet", "delete", sub["id"])
    member.do("network", "delete", net["id"])


# --- routers -----------------------------------------------------------------


def test_router_life_cycle(osc, http):
    net = osc("network", "create", unique("cli-r-net"))
    s1 = osc("subnet", "create", "--network", net["id"], "--subnet-range", "10.63.1.0/24", unique("cli-r-s1"))
    s2 = osc("subnet", "create", "--network", net["id"], "--subnet-range", "10.63.2.0/24", unique("cli-r-s2"))
    name, renamed = unique("cli-router"), unique("cli-router-renamed")

    r = osc("router", "create", name)
    assert (r["name"], r["status"], r["admin_state_up"], r["distributed"], r["ha"], r["project_id"]) == \
        (name, "ACTIVE", True, True, False, "default")
    assert r["external_gateway_info"] is None and r["routes"] == []
    assert (r["alcor:subnet_ids"], r["alcor:network_id"]) == ([], "")
    row = next(x for x in osc("router", "list") if x["ID"] == r["id"])
    assert row == {"ID": r["id"], "Name": name, "Status": "ACTIVE", "State": True, "Project": "default",
                   "Distributed": True, "HA": False}

    osc.do("router", "add", "subnet", name, s1["name"])
    osc.do("router", "add", "subnet", r["id"], s2["id"])
    shown = osc("router", "show", name)
    assert set(shown["alcor:subnet_ids"]) == {s1["id"], s2["id"]}
    assert shown["alcor:network_id"] == net["id"]
    # The CLI asks GET /v2.0/ports?device_id=<router>: interfaces are not
    # ports in Alcor, so it lists none (see the module docstring).
    assert shown["interfaces_info"] == []
    assert osc("port", "list", "--router", name) == []

    err = osc.fails("router", "add", "subnet", name, s1["id"])
    assert "BadRequestException: 400" in err and "already has a port on subnet" in err, err
    err = osc.fails("subnet", "delete", s1["id"])
    assert "in use" in err.lower() or "409" in err, err
    err = osc.fails("router", "delete", name)
    assert "ConflictException: 409" in err, err
    assert_neutron_error(http.delete(f"/v2.0/routers/{r['id']}"), 409, "RouterInUse")

    osc.do("router", "set", "--name", renamed, "--description", "from the CLI", name)
    osc.do("router", "remove", "subnet", renamed, s1["name"])
    assert osc("router", "show", r["id"])["alcor:subnet_ids"] == [s2["id"]]
    err = osc.fails("router", "remove", "subnet", renamed, s1["id"])
    assert "NotFoundException: 404" in err, err
    osc.do("router", "remove", "subnet", r["id"], s2["id"])
    shown = osc("router", "show", renamed)
    assert (shown["name"], shown["description"], shown["alcor:subnet_ids"], shown["alcor:network_id"]) == \
        (renamed, "from the CLI", [], "")

    osc.do("router", "delete", renamed)
    assert "No Router found" in osc.fails("router", "show", r["id"])
    assert all(x["ID"] != r["id"] for x in osc("router", "list"))
    osc.do("subnet", "delete", s1["id"], s2["id"])  # free again
    osc.do("network", "delete", net["id"])
