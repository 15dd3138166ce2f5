"""Pure port logic: validation, Neutron defaults, the IP requests a port
needs, and how an update's fixed_ips map onto what the port holds."""
from __future__ import annotations

import ipaddress
import uuid
from dataclasses import dataclass

from alcor.v1 import common_pb2, ipam_pb2, network_pb2, port_pb2
from runtime import context
from runtime.errors import InvalidInput, NotFound
from runtime.resources import now
from svc_mac.macs import normalize as normalize_mac

UPDATABLE = {
    "name", "description", "device_id", "device_owner", "binding_host_id", "binding_profile",
    "binding_vnic_type", "admin_state_up", "fixed_ips", "mac_address", "security_groups", "tags",
    "allowed_address_pairs", "port_security_enabled",
}
VNIC_TYPES = {"normal", "direct", "macvtap", "baremetal", "direct-physical", "virtio-forwarder",
              "smart-nic", "remote-managed"}
VIF_TYPE_BOUND = "bridge"
VIF_TYPE_UNBOUND = "unbound"


def not_found(port_id: str) -> NotFound:
    return NotFound(f"Port {port_id} could not be found.", reason="PortNotFound")


def visible(p: port_pb2.Port) -> bool:
    return context.visible(p.project_id)


def _check_ip(value: str) -> None:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise InvalidInput(f"Invalid input for fixed_ips. Reason: '{value}' is not a valid IP "
                           "address.") from None


def check_fixed_ips(fixed: list[common_pb2.FixedIp]) -> None:
    seen = set()
    for f in fixed:
        if not f.subnet_id and not f.ip_address:
            raise InvalidInput("Invalid input for fixed_ips. Reason: an entry needs subnet_id "
                               "or ip_address.")
        if f.ip_address:
            _check_ip(f.ip_address)
            if f.ip_address in seen:
                raise InvalidInput(f"Invalid input for fixed_ips. Reason: duplicate IP address "
                                   f"'{f.ip_address}'.")
            seen.add(f.ip_address)


def new_port(req: port_pb2.Port, default_project: str) -> port_pb2.Port:
    """A validated port with Neutron's defaults; fixed_ips and MAC come later."""
    if req.id:
        raise InvalidInput("Attribute 'id' is read-only.", reason="BadRequest")
    if not req.network_id:
        raise InvalidInput("Invalid input for operation: network_id is required.")
    if req.status or req.revision_number or req.created_at:
        raise InvalidInput("status, revision_number and created_at are read-only.",
                           reason="BadRequest")
    p = port_pb2.Port()
    p.CopyFrom(req)
    p.id = str(uuid.uuid4())
    ctx = context.current()
    project = req.project_id or req.tenant_id
    if project and not ctx.is_admin and project != ctx.project_id:
        raise InvalidInput("Cannot create a port for another project.", reason="BadRequest")
    p.project_id = p.tenant_id = project or ctx.project_id or default_project
    if p.mac_address:
        p.mac_address = normalize_mac(p.mac_address)
    check_fixed_ips(list(p.fixed_ips))
    if not p.HasField("admin_state_up"):
        p.admin_state_up = True
    if not p.HasField("port_security_enabled"):
        p.port_security_enabled = True
    p.binding_vnic_type = p.binding_vnic_type or "normal"
    if p.binding_vnic_type not in VNIC_TYPES:
        raise InvalidInput(f"Invalid input for binding:vnic_type: '{p.binding_vnic_type}'.")
    p.binding_vif_type = VIF_TYPE_BOUND if p.binding_host_id else VIF_TYPE_UNBOUND
    if not p.HasField("binding_profile"):
        p.binding_profile.SetInParent()
    p.binding_vif_details.SetInParent()
    p.status = "DOWN"
    p.created_at = p.updated_at = now()
    return p


def ip_requests(p: port_pb2.Port, net: network_pb2.NetworkWithSubnets) -> list[ipam_pb2.IpRequest]:
    """What to ask IPAM for: the requested fixed_ips, or, when none are given,
    one address of each IP version the network has subnets of."""
    if p.fixed_ips:
        return [ipam_pb2.IpRequest(subnet_id=f.subnet_id, ip_address=f.ip_address,
                                   network_id=p.network_id) for f in p.fixed_ips]
    if "fixed_ips" in p.empty_lists:
        return []  # "fixed_ips": [] asks for a port without addresses
    versions = sorted({s.ip_version for s in net.subnets})
    return [ipam_pb2.IpRequest(network_id=p.network_id, ip_version=v) for v in versions]


@dataclass
class FixedIpPlan:
    keep: list[common_pb2.FixedIp]
    allocate: list[ipam_pb2.IpRequest]
    release: list[ipam_pb2.IpAllocation]


def plan_fixed_ips(old: port_pb2.Port, wanted: list[common_pb2.FixedIp]) -> FixedIpPlan:
    """An update's fixed_ips replace the port's: addresses named and held are
    kept, a bare subnet_id keeps an address the port holds there, anything
    else is allocated, and what is no longer wanted is released."""
    check_fixed_ips(wanted)
    held = list(old.fixed_ips)
    keep: list[common_pb2.FixedIp] = []
    allocate: list[ipam_pb2.IpRequest] = []
    for w in wanted:
        match = next((h for h in held if (w.ip_address and h.ip_address == w.ip_address
                                          and (not w.subnet_id or w.subnet_id == h.subnet_id))), None)
        if match is None and not w.ip_address:
            match = next((h for h in held if h.subnet_id == w.subnet_id), None)
        if match is not None:
            held.remove(match)
            keep.append(match)
        else:
            allocate.append(ipam_pb2.IpRequest(subnet_id=w.subnet_id, ip_address=w.ip_address,
                                               network_id=old.network_id))
    release = [ipam_pb2.IpAllocation(subnet_id=h.subnet_id, ip_address=h.ip_address) for h in held]
    return FixedIpPlan(keep, allocate, release)


def allocations_of(p: port_pb2.Port) -> list[ipam_pb2.IpAllocation]:
    return [ipam_pb2.IpAllocation(subnet_id=f.subnet_id, ip_address=f.ip_address,
                                  network_id=p.network_id) for f in p.fixed_ips]


def port_status(p: port_pb2.Port, rec) -> tuple[str, str]:
    """(status, reason) of a port given what its host reported (a
    PortStatusRecord or None): DOWN until the bound host's agent reports it
    programmed, then ACTIVE; ERROR with the agent's reason when it failed."""
    if not p.binding_host_id or rec is None or rec.host_name != p.binding_host_id:
        return "DOWN", ""
    if rec.status == "ERROR":
        return "ERROR", rec.reason
    if not p.admin_state_up:
        return "DOWN", ""
    return "ACTIVE", ""
