"""python -m svc_vpc: serves NetworkService and SubnetService."""
from alcor.v1 import network_pb2, network_pb2_grpc, subnet_pb2, subnet_pb2_grpc
from runtime.server import Registration, run
from svc_vpc.servicer import NetworkServicer, SubnetServicer
from svc_vpc.store import VpcStore


async def register(server, store, settings) -> Registration:
    vpcs = VpcStore(store, settings)
    network_pb2_grpc.add_NetworkServiceServicer_to_server(NetworkServicer(vpcs), server)
    subnet_pb2_grpc.add_SubnetServiceServicer_to_server(SubnetServicer(vpcs), server)
    return Registration(services=[
        network_pb2.DESCRIPTOR.services_by_name["NetworkService"].full_name,
        subnet_pb2.DESCRIPTOR.services_by_name["SubnetService"].full_name,
    ])


if __name__ == "__main__":
    run("svc_vpc", "vpc_addr", register)
