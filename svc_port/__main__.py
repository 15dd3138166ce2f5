"""python -m svc_port: serves PortService."""
from alcor.v1 import (ipam_pb2_grpc, mac_pb2_grpc, network_pb2_grpc, node_pb2_grpc, port_pb2, port_pb2_grpc,
                      security_group_pb2_grpc)
from runtime.clients import channel
from runtime.network_view import NetworkView
from runtime.server import Registration, run
from svc_port.orchestrator import PortOrchestrator
from svc_port.servicer import PortServicer
from svc_port.store import PortStore


async def register(server, store, settings) -> Registration:
    t = settings.rpc_timeout
    chans = [channel(a, t) for a in (settings.vpc_addr, settings.ip_addr, settings.mac_addr,
                                     settings.dpm_addr)]
    ports = PortStore(store)
    mirror = ports.mirror()
    view = NetworkView(store)
    orch = PortOrchestrator(
        ports, settings,
        vpc=network_pb2_grpc.NetworkServiceStub(chans[0]),
        ipam=ipam_pb2_grpc.IpamServiceStub(chans[1]),
        macs=mac_pb2_grpc.MacServiceStub(chans[2]),
        nodes=node_pb2_grpc.NodeServiceStub(chans[3]),
        groups=security_group_pb2_grpc.SecurityGroupServiceStub(chans[0]),
        view=view,
    )
    port_pb2_grpc.add_PortServiceServicer_to_server(PortServicer(orch), server)

    async def close():
        for c in chans:
            await c.close()

    return Registration(
        services=[port_pb2.DESCRIPTOR.services_by_name["PortService"].full_name],
        background=[orch.finish_pending_releases, mirror.run, view.run],
        on_stop=[close],
    )


if __name__ == "__main__":
    run("svc_port", "port_addr", register)
