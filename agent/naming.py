"""Deterministic names for what the agent creates on a host.

Linux caps interface names at 15 characters, and a VPC or port id is a
36-character UUID, so names carry a short hash of the id instead. The same id
always gives the same name, which is how a reconcile finds what an earlier
one (or an earlier process) created. Each kind has its own prefix and hash
length, so `owned_kind` can tell our devices from anybody else's by name;
the Linux driver also checks its IFLA_IFALIAS marker before deleting one.
"""
from __future__ import annotations

import functools
import hashlib

BRIDGE_PREFIX = "br-"
VXLAN_PREFIX = "vx-"
VETH_HOST_PREFIX = "vh-"
VETH_PORT_PREFIX = "vp-"
ROUTER_HOST_PREFIX = "vr-"
NAMESPACE_PREFIX = "alcor-"
ROUTER_NAMESPACE_PREFIX = "alcor-r-"
# Inside a router's namespace there is one interface, always this one.
ROUTER_INTERFACE = "rtr0"

# (prefix, hex digits): 8 hex for VPCs (a host carries tens of them), 10 for
# ports (a host carries thousands; 40 bits keeps collisions negligible).
_KINDS = {
    "bridge": (BRIDGE_PREFIX, 8),
    "vxlan": (VXLAN_PREFIX, 8),
    "veth_host": (VETH_HOST_PREFIX, 10),
    "veth_port": (VETH_PORT_PREFIX, 10),
    "router_host": (ROUTER_HOST_PREFIX, 10),
}
_HEX = frozenset("0123456789abcdef")

IFNAMSIZ = 15


@functools.lru_cache(maxsize=1 << 16)
def short_hash(resource_id: str, digits: int) -> str:
    return hashlib.blake2s(resource_id.encode(), digest_size=8).hexdigest()[:digits]


def _name(kind: str, resource_id: str) -> str:
    prefix, digits = _KINDS[kind]
    return prefix + short_hash(resource_id, digits)


def bridge_name(vpc_id: str) -> str:
    return _name("bridge", vpc_id)


def vxlan_name(vpc_id: str) -> str:
    return _name("vxlan", vpc_id)


def veth_host_name(port_id: str) -> str:
    """The veth end that stays on the host, enslaved to the VPC's bridge."""
    return _name("veth_host", port_id)


def veth_port_name(port_id: str) -> str:
    """The veth end inside the port's network namespace."""
    return _name("veth_port", port_id)


def router_host_name(router_id: str) -> str:
    """The host end of the veth joining a router's namespace to its VPC's
    bridge."""
    return _name("router_host", router_id)


def router_namespace(router_id: str, host_netns: str = "") -> str:
    """Where a router lives on each host that routes for it. A simulated host
    (a namespace of its own) prefixes its name: hosts sharing one kernel
    must not share a router."""
    name = ROUTER_NAMESPACE_PREFIX + short_hash(router_id, 10)
    return f"{host_netns}-{name}" if host_netns else name


def default_namespace(port_id: str) -> str:
    """Namespace for a port whose goal state names none."""
    return NAMESPACE_PREFIX + short_hash(port_id, 10)


def owned_kind(ifname: str) -> str | None:
    """'bridge', 'vxlan', 'veth_host', 'veth_port' or 'router_host' when `ifname` has the
    exact shape of a name this module makes, else None."""
    for kind, (prefix, digits) in _KINDS.items():
        if (len(ifname) == len(prefix) + digits and ifname.startswith(prefix)
                and _HEX.issuperset(ifname[len(prefix):])):
            return kind
    return None
