"""python -m svc_mac: serves MacService."""
from alcor.v1 import mac_pb2, mac_pb2_grpc
from runtime.server import Registration, run
from svc_mac.servicer import MacServicer
from svc_mac.store import MacStore


async def register(server, store, settings) -> Registration:
    mac_pb2_grpc.add_MacServiceServicer_to_server(MacServicer(MacStore(store, settings.mac_oui)), server)
    return Registration(services=[mac_pb2.DESCRIPTOR.services_by_name["MacService"].full_name])


if __name__ == "__main__":
    run("svc_mac", "mac_addr", register)
