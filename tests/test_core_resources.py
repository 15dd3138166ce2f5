"""VPCs, subnets, nodes and ports through real gRPC against real etcd."""
import uuid

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from alcor.v1 import common_pb2, ipam_pb2, network_pb2, node_pb2, port_pb2, subnet_pb2
from runtime.errors import reason_of
from svc_ip.store import IpamStore


def uid() -> str:
    return uuid.uuid4().hex[:8]


async def new_network(api, **kw):
    r = await api.networks.CreateNetworks(network_pb2.CreateNetworksRequest(
        network=network_pb2.Network(name=kw.pop("name", "net-" + uid()), **kw)))
    return r.network


async def new_subnet(api, network_id, cidr="10.0.0.0/24", version=4, **kw):
    r = await api.subnets.CreateSubnets(subnet_pb2.CreateSubnetsRequest(
        subnet=subnet_pb2.Subnet(network_id=network_id, cidr=cidr, ip_version=version, **kw)))
    return r.subnet


async def expect_error(coro, code, reason):
    with pytest.raises(grpc.aio.AioRpcError) as e:
        await coro
    assert e.value.code() == code, e.value.details()
    assert reason_of(e.value) == reason, e.value.details()
    return e.value


async def test_health_and_reflection(cluster):
    for p in cluster.processes:
        if p.name.startswith("svc_"):
            async with grpc.aio.insecure_channel(p.address) as ch:
                r = await health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest())
                assert r.status == health_pb2.HealthCheckResponse.SERVING


async def test_network_crud_and_unique_vnis(api):
    r = await api.networks.CreateNetworks(network_pb2.CreateNetworksRequest(
        networks=[network_pb2.Network(name=f"bulk-{i}") for i in range(20)]))
    vnis = [n.provider_segmentation_id for n in r.networks]
    assert len(set(vnis)) == 20 and all(n.status == "ACTIVE" and n.mtu == 1450 for n in r.networks)
    n = r.networks[0]
    got = (await api.networks.GetNetwork(network_pb2.GetNetworkRequest(id=n.id))).network
    assert got == n
    upd = await api.networks.UpdateNetwork(network_pb2.UpdateNetworkRequest(
        id=n.id, network=network_pb2.Network(name="renamed"), update_mask={"paths": ["name"]}))
    assert upd.network.name == "renamed" and upd.network.revision_number > n.revision_number
    await expect_error(api.networks.UpdateNetwork(network_pb2.UpdateNetworkRequest(
        id=n.id, network=network_pb2.Network(name="x"), update_mask={"paths": ["name"]},
        if_revision=n.revision_number)), grpc.StatusCode.FAILED_PRECONDITION,
        "RevisionNumberConstraintFailed")
    await api.networks.DeleteNetwork(network_pb2.DeleteNetworkRequest(id=n.id))
    await expect_error(api.networks.GetNetwork(network_pb2.GetNetworkRequest(id=n.id)),
                       grpc.StatusCode.NOT_FOUND, "NetworkNotFound")


async def test_requested_vni_in_use(api):
    n = await new_network(api)
    await expect_error(api.networks.CreateNetworks(network_pb2.CreateNetworksRequest(
        network=network_pb2.Network(provider_segmentation_id=n.provider_segmentation_id))),
        grpc.StatusCode.ALREADY_EXISTS, "SegmentationIdInUse")


@pytest.mark.parametrize("subnet,code,reason", [
    (dict(cidr="10.0.0.0/33", ip_version=4), grpc.StatusCode.INVALID_ARGUMENT, "InvalidCIDR"),
    (dict(cidr="banana", ip_version=4), grpc.StatusCode.INVALID_ARGUMENT, "InvalidCIDR"),
    (dict(cidr="2001:db8::/64", ip_version=4), grpc.StatusCode.INVALID_ARGUMENT, "InvalidCIDR"),
    (dict(cidr="10.0.0.0/24", ip_version=4,
          allocation_pools=[common_pb2.AllocationPool(start="10.0.1.1", end="10.0.1.9")]),
     grpc.StatusCode.INVALID_ARGUMENT, "InvalidAllocationPool"),
    (dict(cidr="10.0.0.0/24", ip_version=4, network_id="no-such-network"),
     grpc.StatusCode.NOT_FOUND, "NetworkNotFound"),
])
async def test_bad_subnets(api, subnet, code, reason):
    n = await new_network(api)
    subnet.setdefault("network_id", n.id)
    await expect_error(api.subnets.CreateSubnets(subnet_pb2.CreateSubnetsRequest(
        subnet=subnet_pb2.Subnet(**subnet))), code, reason)


async def test_subnets_overlap_and_in_use(api):
    n = await new_network(api)
    s4 = await new_subnet(api, n.id, "10.9.0.0/24")
    s6 = await new_subnet(api, n.id, "2001:db8:9::/64", 6)
    assert s6.gateway_ip.string_value == "2001:db8:9::1"
    await expect_error(new_subnet(api, n.id, "10.9.0.128/25"), grpc.StatusCode.INVALID_ARGUMENT,
                       "InvalidInput")
    net = (await api.networks.GetNetwork(network_pb2.GetNetworkRequest(id=n.id))).network
    assert set(net.subnets) == {s4.id, s6.id}
    await expect_error(api.networks.DeleteNetwork(network_pb2.DeleteNetworkRequest(id=n.id)),
                       grpc.StatusCode.FAILED_PRECONDITION, "NetworkInUse")
    p = (await api.ports.CreatePorts(port_pb2.CreatePortsRequest(
        port=port_pb2.Port(network_id=n.id)))).port
    assert {f.subnet_id for f in p.fixed_ips} == {s4.id, s6.id}  # one address per IP version
    await expect_error(api.subnets.DeleteSubnet(subnet_pb2.DeleteSubnetRequest(id=s4.id)),
                       grpc.StatusCode.FAILED_PRECONDITION, "SubnetInUse")
    await api.ports.DeletePort(port_pb2.DeletePortRequest(id=p.id))
    await api.subnets.DeleteSubnet(subnet_pb2.DeleteSubnetRequest(id=s4.id))
    await api.subnets.DeleteSubnet(subnet_pb2.DeleteSubnetRequest(id=s6.id))
    await api.networks.DeleteNetwork(network_pb2.DeleteNetworkRequest(id=n.id))


async def test_nodes_and_binding(api):
    name = "host-" + uid()
    r = await api.nodes.CreateNodes(node_pb2.CreateNodesRequest(
        node=node_pb2.Node(name=name, local_ip="192.168.1.10", mac_address="02:00:00:00:00:0A")))
    assert r.node.mac_address == "02:00:00:00:00:0a"
    await expect_error(api.nodes.CreateNodes(node_pb2.CreateNodesRequest(
        node=node_pb2.Node(name=name, local_ip="192.168.1.11"))),
        grpc.StatusCode.ALREADY_EXISTS, "NodeNameInUse")
    await expect_error(api.nodes.CreateNodes(node_pb2.CreateNodesRequest(
        node=node_pb2.Node(name="h-" + uid(), local_ip="300.1.1.1"))),
        grpc.StatusCode.INVALID_ARGUMENT, "InvalidInput")
    n = await new_network(api)
    await new_subnet(api, n.id, "10.20.0.0/24")
    await expect_error(api.ports.CreatePorts(port_pb2.CreatePortsRequest(
        port=port_pb2.Port(network_id=n.id, binding_host_id="nowhere-" + uid()))),
        grpc.StatusCode.INVALID_ARGUMENT, "HostNotRegistered")
    p = (await api.ports.CreatePorts(port_pb2.CreatePortsRequest(
        port=port_pb2.Port(network_id=n.id, binding_host_id=name)))).port
    assert p.binding_vif_type == "bridge"
    await expect_error(api.nodes.DeleteNode(node_pb2.DeleteNodeRequest(id=r.node.id)),
                       grpc.StatusCode.FAILED_PRECONDITION, "NodeInUse")
    await api.ports.DeletePort(port_pb2.DeletePortRequest(id=p.id))
    await api.nodes.DeleteNode(node_pb2.DeleteNodeRequest(id=r.node.id))


async def test_port_lifecycle(api):
    n = await new_network(api)
    s = await new_subnet(api, n.id, "10.30.0.0/24")
    p = (await api.ports.CreatePorts(port_pb2.CreatePortsRequest(port=port_pb2.Port(
        network_id=n.id, device_id="vm-1", fixed_ips=[common_pb2.FixedIp(ip_address="10.30.0.50")])))).port
    assert p.fixed_ips[0].subnet_id == s.id and p.mac_address.startswith("fa:16:3e:")
    await expect_error(api.ports.CreatePorts(port_pb2.CreatePortsRequest(port=port_pb2.Port(
        network_id=n.id, fixed_ips=[common_pb2.FixedIp(subnet_id=s.id, ip_address="10.30.0.50")]))),
        grpc.StatusCode.ALREADY_EXISTS, "IpAddressAlreadyAllocated")
    await expect_error(api.ports.CreatePorts(port_pb2.CreatePortsRequest(port=port_pb2.Port(
        network_id=n.id, mac_address=p.mac_address))), grpc.StatusCode.ALREADY_EXISTS, "MacAddressInUse")
    await expect_error(api.ports.CreatePorts(port_pb2.CreatePortsRequest(port=port_pb2.Port(
        network_id=n.id, fixed_ips=[common_pb2.FixedIp(subnet_id=s.id, ip_address="10.31.0.5")]))),
        grpc.StatusCode.INVALID_ARGUMENT, "InvalidIpForSubnet")
    # Changing fixed_ips reallocates; the old address goes back to the pool.
    u = (await api.ports.UpdatePort(port_pb2.UpdatePortRequest(
        id=p.id, port=port_pb2.Port(fixed_ips=[common_pb2.FixedIp(ip_address="10.30.0.60")], name="web"),
        update_mask={"paths": ["fixed_ips", "name"]}))).port
    assert [f.ip_address for f in u.fixed_ips] == ["10.30.0.60"] and u.name == "web"
    q = (await api.ports.CreatePorts(port_pb2.CreatePortsRequest(port=port_pb2.Port(
        network_id=n.id, fixed_ips=[common_pb2.FixedIp(ip_address="10.30.0.50")])))).port
    listed = await api.ports.ListPorts(port_pb2.ListPortsRequest(network_id=[n.id]))
    assert {x.id for x in listed.ports} == {p.id, q.id}
    by_dev = await api.ports.ListPorts(port_pb2.ListPortsRequest(device_id=["vm-1"], network_id=[n.id]))
    assert [x.id for x in by_dev.ports] == [p.id]
    # Delete releases IP and MAC: both can be taken again.
    await api.ports.DeletePort(port_pb2.DeletePortRequest(id=p.id))
    again = (await api.ports.CreatePorts(port_pb2.CreatePortsRequest(port=port_pb2.Port(
        network_id=n.id, mac_address=u.mac_address,
        fixed_ips=[common_pb2.FixedIp(ip_address="10.30.0.60")])))).port
    assert again.mac_address == u.mac_address
    await expect_error(api.ports.GetPort(port_pb2.GetPortRequest(id=p.id)),
                       grpc.StatusCode.NOT_FOUND, "PortNotFound")


async def test_list_paging_and_sorting(api):
    n = await new_network(api)
    await new_subnet(api, n.id, "10.40.0.0/24")
    created = (await api.ports.CreatePorts(port_pb2.CreatePortsRequest(ports=[
        port_pb2.Port(network_id=n.id, name=f"p{i % 7}") for i in range(45)]))).ports
    seen, marker = [], ""
    for _ in range(10):
        page = await api.ports.ListPorts(port_pb2.ListPortsRequest(network_id=[n.id], limit=10, marker=marker))
        seen += [p.id for p in page.ports]
        if not page.ports_links:
            break
        marker = page.ports[-1].id
    assert sorted(seen) == sorted(p.id for p in created) and len(seen) == 45
    srt = await api.ports.ListPorts(port_pb2.ListPortsRequest(
        network_id=[n.id], sort_key=["name"], sort_dir=["desc"], limit=5))
    assert [p.name for p in srt.ports] == ["p6"] * 5


async def test_subnet_bulk_fits_one_transaction_or_is_refused_whole(api):
    nets = (await api.networks.CreateNetworks(network_pb2.CreateNetworksRequest(
        networks=[network_pb2.Network(name=f"bulk-{i}") for i in range(30)]))).networks
    reqs = [subnet_pb2.Subnet(network_id=n.id, cidr="10.9.0.0/24", ip_version=4) for n in nets]
    # Atomic means one etcd transaction: 30 subnets do not fit one, nothing is created.
    await expect_error(api.subnets.CreateSubnets(subnet_pb2.CreateSubnetsRequest(subnets=reqs)),
                       grpc.StatusCode.INVALID_ARGUMENT, "InvalidInput")
    listed = await api.subnets.ListSubnets(subnet_pb2.ListSubnetsRequest(network_id=[nets[0].id]))
    assert not listed.subnets
    made = await api.subnets.CreateSubnets(subnet_pb2.CreateSubnetsRequest(subnets=reqs[:25]))
    assert len(made.subnets) == 25


class _LaggingView:
    """A network view whose watch has not yet brought the network's new subnet."""

    def __init__(self, network):
        self.network = network

    def get(self, network_id):
        if network_id == self.network.id:
            return network_pb2.NetworkWithSubnets(network=self.network)
        return None


async def test_a_fixed_ip_in_a_subnet_the_watch_has_not_brought_yet(api):
    # A subnet created a moment ago, then a port with an address in it: the
    # allocator must not refuse it on a watched network that lags etcd.
    ipam = IpamStore(api.store)
    n = await new_network(api)
    stale = (await ipam.networks.get_many({n.id}))[n.id]
    s = await new_subnet(api, n.id, "10.31.0.0/24")
    ipam.view = _LaggingView(stale)
    ask = [ipam_pb2.IpRequest(network_id=n.id, ip_address="10.31.0.50")]
    (allocated,) = await ipam.allocate([(ask, "")])
    assert [(a.subnet_id, a.ip_address) for a in allocated] == [(s.id, "10.31.0.50")]
    ask = [ipam_pb2.IpRequest(network_id=n.id, ip_address="10.31.0.51")]
    (reserved,), _, _ = await ipam.reserve([ask], chain=f"lag-{uid()}")
    assert [(a.subnet_id, a.ip_address) for a in reserved] == [(s.id, "10.31.0.51")]
