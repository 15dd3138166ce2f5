"""python -m svc_ip: serves IpamService."""
from alcor.v1 import ipam_pb2, ipam_pb2_grpc
from runtime.network_view import NetworkView
from runtime.server import Registration, run
from svc_ip.servicer import IpamServicer
from svc_ip.store import IpamStore


async def register(server, store, settings) -> Registration:
    view = NetworkView(store)
    ipam_pb2_grpc.add_IpamServiceServicer_to_server(IpamServicer(IpamStore(store, view)), server)
    return Registration(services=[ipam_pb2.DESCRIPTOR.services_by_name["IpamService"].full_name],
                        background=[view.run])


if __name__ == "__main__":
    run("svc_ip", "ip_addr", register)
