"""Pure node (host) logic: validation and defaults."""
from __future__ import annotations

import ipaddress
import re
import uuid

from alcor.v1 import node_pb2
from runtime.errors import InvalidInput, NotFound
from runtime.resources import now
from svc_mac.macs import normalize as normalize_mac

UPDATABLE = {"name", "local_ip", "mac_address"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$")


def check(n: node_pb2.Node) -> None:
    if not _NAME.match(n.name):
        raise InvalidInput(f"Invalid input for name. Reason: '{n.name}' is not a valid host name.")
    try:
        ipaddress.ip_address(n.local_ip)
    except ValueError:
        raise InvalidInput(f"Invalid input for local_ip. Reason: '{n.local_ip}' is not a valid "
                           "IP address.") from None
    if n.mac_address:
        n.mac_address = normalize_mac(n.mac_address)


def new_node(req: node_pb2.Node, project: str) -> node_pb2.Node:
    if req.id:
        raise InvalidInput("Attribute 'id' is read-only.", reason="BadRequest")
    n = node_pb2.Node()
    n.CopyFrom(req)
    check(n)
    n.id = str(uuid.uuid4())
    n.project_id = n.tenant_id = req.project_id or project
    n.created_at = n.updated_at = now()
    return n


def host_not_registered(name: str) -> InvalidInput:
    return InvalidInput(f"Host {name} is not a registered node.", reason="HostNotRegistered")


def not_found(node_id: str) -> NotFound:
    return NotFound(f"Node {node_id} could not be found.", reason="NodeNotFound")
