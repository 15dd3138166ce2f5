"""The watched view of networks and subnets (svc_port and svc_ip look
networks up there instead of calling svc_vpc): against the real cluster, it
answers what svc_vpc's LookupNetworks answers, follows changes, and tells
its listeners which networks changed."""
import asyncio

from alcor.v1 import network_pb2, subnet_pb2
from runtime.network_view import NetworkView
from runtime.store import Store
from tests.conftest import eventually
from tests.test_core_resources import new_network, new_subnet


async def test_the_view_answers_as_svc_vpc_and_follows_changes(api, cluster):
    store = Store(cluster.etcd_endpoint)
    view = NetworkView(store)
    changed: list[set[str]] = []
    view.listeners.append(changed.append)
    task = asyncio.ensure_future(view.run())
    try:
        await eventually(lambda: view.ready)
        n = await new_network(api)
        s1 = await new_subnet(api, n.id, "10.70.0.0/24")
        s2 = await new_subnet(api, n.id, "fd70::/64", version=6)

        async def same_as_svc_vpc():
            got = view.get(n.id)
            want = (await api.networks.LookupNetworks(network_pb2.LookupNetworksRequest(ids=[n.id]))).networks[0]
            return got is not None and got == want

        await eventually(same_as_svc_vpc)
        assert [s.id for s in view.get(n.id).subnets] == [s1.id, s2.id]
        assert any(n.id in ids for ids in changed)
        await api.subnets.DeleteSubnet(subnet_pb2.DeleteSubnetRequest(id=s2.id))
        await eventually(lambda: [s.id for s in view.get(n.id).subnets] == [s1.id])
        await eventually(same_as_svc_vpc)
        await api.subnets.DeleteSubnet(subnet_pb2.DeleteSubnetRequest(id=s1.id))
        await api.networks.DeleteNetwork(network_pb2.DeleteNetworkRequest(id=n.id))
        await eventually(lambda: view.get(n.id) is None)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await store.close()
