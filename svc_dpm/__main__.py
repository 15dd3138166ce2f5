"""python -m svc_dpm: serves NodeService (and, with the data plane, goal-state delivery)."""
from alcor.v1 import node_pb2, node_pb2_grpc
from runtime.server import Registration, run
from svc_dpm.node_servicer import NodeServicer
from svc_dpm.node_store import NodeStore


async def register(server, store, settings) -> Registration:
    node_pb2_grpc.add_NodeServiceServicer_to_server(
        NodeServicer(NodeStore(store, settings.default_project)), server)
    return Registration(services=[node_pb2.DESCRIPTOR.services_by_name["NodeService"].full_name])


if __name__ == "__main__":
    run("svc_dpm", "dpm_addr", register)
