"""python -m svc_vpc: serves NetworkService and SubnetService."""
from alcor.v1 import (network_pb2, network_pb2_grpc, router_pb2, router_pb2_grpc, security_group_pb2,
                      security_group_pb2_grpc, subnet_pb2, subnet_pb2_grpc)
from runtime.server import Registration, run
from svc_vpc.policy_servicer import RouterServicer, SecurityGroupRuleServicer, SecurityGroupServicer
from svc_vpc.router_store import RouterStore
from svc_vpc.servicer import NetworkServicer, SubnetServicer
from svc_vpc.sg_store import SgStore
from svc_vpc.store import VpcStore


async def register(server, store, settings) -> Registration:
    vpcs = VpcStore(store, settings)
    network_pb2_grpc.add_NetworkServiceServicer_to_server(NetworkServicer(vpcs), server)
    subnet_pb2_grpc.add_SubnetServiceServicer_to_server(SubnetServicer(vpcs), server)
    groups = SgStore(store, settings.default_project)
    security_group_pb2_grpc.add_SecurityGroupServiceServicer_to_server(SecurityGroupServicer(groups), server)
    security_group_pb2_grpc.add_SecurityGroupRuleServiceServicer_to_server(
        SecurityGroupRuleServicer(groups), server)
    router_pb2_grpc.add_RouterServiceServicer_to_server(
        RouterServicer(RouterStore(store, settings.default_project)), server)
    sgs = security_group_pb2.DESCRIPTOR.services_by_name
    return Registration(services=[
        network_pb2.DESCRIPTOR.services_by_name["NetworkService"].full_name,
        subnet_pb2.DESCRIPTOR.services_by_name["SubnetService"].full_name,
        sgs["SecurityGroupService"].full_name,
        sgs["SecurityGroupRuleService"].full_name,
        router_pb2.DESCRIPTOR.services_by_name["RouterService"].full_name,
    ])


if __name__ == "__main__":
    run("svc_vpc", "vpc_addr", register)
