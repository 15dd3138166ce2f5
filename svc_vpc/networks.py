"""Pure network logic: Neutron's defaults and what a caller may set."""
from __future__ import annotations

import uuid

from alcor.v1 import network_pb2
from runtime import context
from runtime.errors import InvalidInput, NotFound
from runtime.resources import now

UPDATABLE = {
    "name", "description", "admin_state_up", "mtu", "shared", "router_external", "tags",
    "port_security_enabled",
}
NETWORK_TYPES = {"", "vxlan"}


def owner_project(requested: str, default_project: str) -> str:
    """The project a new resource belongs to. A non-admin may only name its own."""
    ctx = context.current()
    if requested:
        if not ctx.is_admin and requested != ctx.project_id:
            # Naming another project's id must not reveal anything about it.
            raise InvalidInput("Cannot create a resource for another project.", reason="BadRequest")
        return requested
    return ctx.project_id or default_project


def new_network(req: network_pb2.Network, *, default_project: str, mtu: int,
                vni_range: tuple[int, int]) -> network_pb2.Network:
    if req.provider_network_type not in NETWORK_TYPES:
        raise InvalidInput(f"Invalid input for operation: network_type value "
                           f"'{req.provider_network_type}' not supported.")
    if req.HasField("provider_segmentation_id"):
        if not context.current().is_admin:
            raise InvalidInput("Only an admin may choose provider:segmentation_id.",
                               reason="BadRequest")
        lo, hi = vni_range
        if not lo <= req.provider_segmentation_id <= hi:
            raise InvalidInput(f"Invalid input for operation: segmentation_id "
                               f"{req.provider_segmentation_id} is outside [{lo}, {hi}].")
    if req.HasField("mtu") and not 68 <= req.mtu <= 9000:
        raise InvalidInput(f"Invalid input for mtu. Reason: {req.mtu} is not in [68, 9000].")
    if req.subnets:
        raise InvalidInput("Cannot set subnets on a network; create subnets instead.")
    if req.id:
        raise InvalidInput("Attribute 'id' is read-only.", reason="BadRequest")
    out = network_pb2.Network()
    out.CopyFrom(req)
    out.id = str(uuid.uuid4())
    out.project_id = owner_project(req.project_id or req.tenant_id, default_project)
    out.tenant_id = out.project_id
    out.status = "ACTIVE"
    out.provider_network_type = "vxlan"
    if not out.HasField("admin_state_up"):
        out.admin_state_up = True
    if not out.HasField("mtu"):
        out.mtu = mtu
    if not out.HasField("shared"):
        out.shared = False
    if not out.HasField("router_external"):
        out.router_external = False
    if not out.HasField("port_security_enabled"):
        out.port_security_enabled = True
    out.created_at = out.updated_at = now()
    out.revision_number = 0
    return out


def visible(n: network_pb2.Network) -> bool:
    return context.visible(n.project_id) or n.shared


def not_found(network_id: str) -> NotFound:
    return NotFound(f"Network {network_id} could not be found.", reason="NetworkNotFound")
