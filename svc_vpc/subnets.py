"""Pure subnet logic: CIDR checks, Neutron's defaults for the gateway and the
allocation pools, and the validation of pools, gateway and overlaps."""
from __future__ import annotations

import ipaddress
import uuid
from dataclasses import dataclass

from google.protobuf import struct_pb2

from alcor.v1 import common_pb2, network_pb2, subnet_pb2
from runtime import context
from runtime.errors import InvalidInput
from runtime.resources import apply_mask, now

IpNet = ipaddress.IPv4Network | ipaddress.IPv6Network
Addr = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_cidr(cidr: str, ip_version: int) -> IpNet:
    if ip_version not in (4, 6):
        raise InvalidInput(f"Invalid input for ip_version. Reason: {ip_version} is not in [4, 6].")
    try:
        net = ipaddress.ip_network(cidr, strict=True)
    except ValueError:
        try:
            loose = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            raise InvalidInput(f"Invalid input for cidr. Reason: '{cidr}' is not a valid IP "
                               "subnet.", reason="InvalidCIDR") from None
        raise InvalidInput(f"Invalid input for cidr. Reason: '{cidr}' isn't a recognized IP "
                           f"subnet cidr, '{loose}' is recommended.", reason="InvalidCIDR") from None
    if net.version != ip_version:
        raise InvalidInput(f"Invalid input for operation: Cidr {cidr} does not match "
                           f"ip_version {ip_version}.", reason="InvalidCIDR")
    if net.num_addresses < (4 if ip_version == 4 else 2):
        raise InvalidInput(f"Invalid input for cidr. Reason: {cidr} is too small for a subnet.",
                           reason="InvalidCIDR")
    return net


def host_bounds(net: IpNet) -> tuple[Addr, Addr]:
    """First and last usable address: IPv4 loses network and broadcast, IPv6
    loses the subnet-router anycast address (the network address)."""
    if net.version == 4:
        return net.network_address + 1, net.broadcast_address - 1
    return net.network_address + 1, net.broadcast_address


def parse_ip(value: str, what: str) -> Addr:
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        raise InvalidInput(f"Invalid input for {what}. Reason: '{value}' is not a valid IP address.") from None


def check_gateway(net: IpNet, gateway: str) -> Addr:
    gw = parse_ip(gateway, "gateway_ip")
    if gw.version != net.version or gw not in net:
        raise InvalidInput(f"Invalid input for operation: Gateway IP {gateway} is not in subnet {net}.",
                           reason="InvalidIpForSubnet")
    if net.version == 4 and gw in (net.network_address, net.broadcast_address):
        raise InvalidInput(f"Invalid input for operation: Gateway IP {gateway} conflicts with the "
                           f"network or broadcast address of {net}.")
    return gw


@dataclass(frozen=True)
class Pool:
    start: Addr
    end: Addr


def default_pools(net: IpNet, gateway: Addr | None) -> list[Pool]:
    """The whole host range, split around the gateway."""
    first, last = host_bounds(net)
    if gateway is None or not (first <= gateway <= last):
        return [Pool(first, last)]
    pools = []
    if gateway > first:
        pools.append(Pool(first, gateway - 1))
    if gateway < last:
        pools.append(Pool(gateway + 1, last))
    return pools


def check_pools(net: IpNet, raw: list[tuple[str, str]], gateway: Addr | None) -> list[Pool]:
    pools = []
    first, last = host_bounds(net)
    for start_s, end_s in raw:
        start, end = parse_ip(start_s, "allocation_pools"), parse_ip(end_s, "allocation_pools")
        if start.version != net.version or end.version != net.version:
            raise InvalidInput(f"Invalid input for operation: allocation pool {start_s}-{end_s} "
                               f"is not of IP version {net.version}.", reason="InvalidAllocationPool")
        if start > end:
            raise InvalidInput(f"The allocation pool {start_s}-{end_s} is not valid.",
                               reason="InvalidAllocationPool")
        if not (first <= start and end <= last):
            raise InvalidInput(f"The allocation pool {start_s}-{end_s} spans beyond the subnet "
                               f"cidr {net}.", reason="InvalidAllocationPool")
        if gateway is not None and start <= gateway <= end:
            raise InvalidInput(f"Gateway ip {gateway} conflicts with allocation pool "
                               f"{start_s}-{end_s}.", reason="GatewayConflictWithAllocationPools")
        pools.append(Pool(start, end))
    pools.sort(key=lambda p: p.start)
    for a, b in zip(pools, pools[1:]):
        if b.start <= a.end:
            raise InvalidInput(f"Found overlapping allocation pools: {a.start}-{a.end} and "
                               f"{b.start}-{b.end}.", reason="OverlappingAllocationPools")
    return pools


def overlapping(net: IpNet, others: list[IpNet]) -> IpNet | None:
    for o in others:
        if o.version == net.version and o.overlaps(net):
            return o
    return None


# --- subnet records ---------------------------------------------------------

UPDATABLE = {
    "name", "description", "gateway_ip", "allocation_pools", "enable_dhcp", "dns_nameservers",
    "host_routes", "tags", "service_types",
}
IPV6_MODES = {"", "slaac", "dhcpv6-stateful", "dhcpv6-stateless"}


def gateway_of(s: subnet_pb2.Subnet) -> str | None:
    """The subnet's gateway address, None when it has none."""
    kind = s.gateway_ip.WhichOneof("kind")
    return s.gateway_ip.string_value if kind == "string_value" and s.gateway_ip.string_value else None


def _resolve(net: IpNet, s: subnet_pb2.Subnet, gateway_given: bool) -> None:
    """Validates gateway, pools, DNS servers and routes of `s` in place,
    filling Neutron's defaults (gateway: the first host address unless given
    or null; pools: the host range minus the gateway)."""
    kind = s.gateway_ip.WhichOneof("kind") if s.HasField("gateway_ip") else None
    if not gateway_given or kind is None:
        gw = host_bounds(net)[0]
    elif kind == "null_value":
        gw = None
    elif kind == "string_value":
        gw = check_gateway(net, s.gateway_ip.string_value) if s.gateway_ip.string_value else None
    else:
        raise InvalidInput("Invalid input for gateway_ip. Reason: it must be an IP address or null.")
    if gw is None:
        s.gateway_ip.null_value = struct_pb2.NULL_VALUE
    else:
        s.gateway_ip.string_value = str(gw)
    raw = [(p.start, p.end) for p in s.allocation_pools]
    pools = check_pools(net, raw, gw) if raw else default_pools(net, gw)
    del s.allocation_pools[:]
    s.allocation_pools.extend(common_pb2.AllocationPool(start=str(p.start), end=str(p.end))
                              for p in pools)
    for d in s.dns_nameservers:
        parse_ip(d, "dns_nameservers")
    for r in s.host_routes:
        try:
            ipaddress.ip_network(r.destination, strict=False)
        except ValueError:
            raise InvalidInput(f"Invalid input for host_routes. Reason: '{r.destination}' is not "
                               "a valid destination.") from None
        parse_ip(r.nexthop, "host_routes")


def new_subnet(req: subnet_pb2.Subnet, network: network_pb2.Network, others: list[IpNet],
               default_project: str) -> subnet_pb2.Subnet:
    if req.id:
        raise InvalidInput("Attribute 'id' is read-only.", reason="BadRequest")
    if not req.cidr:
        raise InvalidInput("Invalid input for operation: cidr is required (subnet pools are "
                           "not supported).")
    net = parse_cidr(req.cidr, req.ip_version)
    clash = overlapping(net, others)
    if clash is not None:
        raise InvalidInput(f"Invalid input for operation: Requested subnet with cidr: {net} for "
                           f"network: {network.id} overlaps with another subnet ({clash}).")
    if req.ipv6_address_mode not in IPV6_MODES or req.ipv6_ra_mode not in IPV6_MODES:
        raise InvalidInput("Invalid input for ipv6_address_mode or ipv6_ra_mode.")
    if net.version == 4 and (req.ipv6_address_mode or req.ipv6_ra_mode):
        raise InvalidInput("ipv6_ra_mode and ipv6_address_mode cannot be set on an IPv4 subnet.")
    s = subnet_pb2.Subnet()
    s.CopyFrom(req)
    s.id = str(uuid.uuid4())
    s.cidr = str(net)
    ctx = context.current()
    project = req.project_id or req.tenant_id
    if project and project != network.project_id and not ctx.is_admin:
        raise InvalidInput("Cannot create a subnet for another project.", reason="BadRequest")
    s.project_id = s.tenant_id = project or network.project_id or default_project
    if not s.HasField("enable_dhcp"):
        s.enable_dhcp = True
    _resolve(net, s, gateway_given=req.HasField("gateway_ip"))
    s.created_at = s.updated_at = now()
    return s


def updated_subnet(old: subnet_pb2.Subnet, patch: subnet_pb2.Subnet, paths: list[str]) -> subnet_pb2.Subnet:
    new = subnet_pb2.Subnet()
    new.CopyFrom(old)
    apply_mask(new, patch, paths, UPDATABLE)
    net = ipaddress.ip_network(new.cidr)
    touched = {p.split(".")[0] for p in paths}
    if "gateway_ip" in touched and not patch.HasField("gateway_ip"):
        new.gateway_ip.null_value = struct_pb2.NULL_VALUE  # explicit null: remove the gateway
    if not new.HasField("enable_dhcp"):
        new.enable_dhcp = old.enable_dhcp
    _resolve(net, new, gateway_given=True)
    return new


def visible(s: subnet_pb2.Subnet) -> bool:
    return context.visible(s.project_id)
