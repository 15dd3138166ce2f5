"""The etcd key schema, in one place.

Each service's store module writes only its own families, but some invariants
span families (a subnet may not be deleted while addresses are allocated from
it); those are enforced inside one etcd transaction by comparing keys of the
other family, which is why the whole schema lives here.
"""
from __future__ import annotations

ROOT = "/alcor"


def _k(*parts: str) -> bytes:
    return "/".join((ROOT, *parts)).encode()


def prefix_end(prefix: bytes) -> bytes:
    """The exclusive end of the range of keys starting with `prefix`."""
    b = bytearray(prefix)
    for i in range(len(b) - 1, -1, -1):
        if b[i] < 0xFF:
            b[i] += 1
            return bytes(b[: i + 1])
    return b"\0"


from urllib.parse import quote


# Resources: one key per resource, its protobuf encoding as the value.
def resource(family: str, resource_id: str) -> bytes:
    return _k(family, resource_id)


def resources(family: str) -> bytes:
    return _k(family, "")


def index(family: str, attribute: str, value: str, resource_id: str = "") -> bytes:
    """Secondary index: one empty key per (attribute value, resource). Values
    are quoted so a '/' in a device_id cannot forge another key."""
    return _k("idx", family, attribute, quote(value, safe=""), resource_id)


def unique(family: str, attribute: str, value: str) -> bytes:
    """A unique attribute (a node's name, a project's default group): the
    key holds the owner (its id, or for nodes the whole record)."""
    return _k("uniq", family, attribute, quote(value, safe=""))


# svc_vpc: VNIs are unique region-wide; a key per VNI holds its network id.
def vni(vni_value: int) -> bytes:
    return _k("vni", f"{vni_value:08d}")


VNIS = _k("vni", "")


# svc_ip: one bitmap of 256 addresses per key, by offset in the subnet. A block
# whose last address is released is deleted, so "no key under ip_blocks" means
# "nothing allocated" (what subnet delete compares).
def ip_block(subnet_id: str, block: int) -> bytes:
    return _k("ipam", subnet_id, f"{block:032x}")


def ip_blocks(subnet_id: str) -> bytes:
    return _k("ipam", subnet_id, "")


# svc_mac: one bitmap of 256 MACs per key under the OUI; MACs outside the OUI
# (requested explicitly) get a key each.
def mac_block(block: int) -> bytes:
    return _k("macs", "oui", f"{block:06x}")


MAC_BLOCKS = _k("macs", "oui", "")


def foreign_mac(mac: str) -> bytes:
    return _k("macs", "foreign", mac)


# svc_port: ports whose addresses are yet to be released, written in the
# port's delete transaction so a crash between delete and release leaks nothing.
def pending_release(port_id: str) -> bytes:
    return _k("pending-release", port_id)


PENDING_RELEASES = _k("pending-release", "")


# Idempotency records: a retried create with the same request id returns the
# first result.
def request_record(service: str, request_id: str) -> bytes:
    return _k("requests", service, quote(request_id, safe=""))


# svc_dpm: the data-plane status of a port, as its host's agent reported it.
def port_status(port_id: str) -> bytes:
    return _k("port-status", port_id)


PORT_STATUSES = _k("port-status", "")
