"""python -m svc_dpm: serves NodeService (the host registry) and
GoalStateService (goal-state delivery to agents)."""
import os

from alcor.v1 import goalstate_pb2, node_pb2, node_pb2_grpc
from runtime.server import Registration, run
from svc_dpm.delivery import Delivery, add_GoalStateServiceServicer_to_server
from svc_dpm.node_servicer import NodeServicer
from svc_dpm.node_store import NodeStore


async def register(server, store, settings) -> Registration:
    node_pb2_grpc.add_NodeServiceServicer_to_server(
        NodeServicer(NodeStore(store, settings.default_project)), server)
    # How often at most one host hears from us while changes keep coming: the
    # first change goes out at once, later ones within the window wait for
    # its end and go out together (a bulk create reaches a host in a few
    # messages, not one per etcd transaction).
    interval = float(os.environ.get("ALCOR_DPM_MIN_INTERVAL_MS", "50")) / 1000
    delivery = Delivery(store, min_interval=interval)
    add_GoalStateServiceServicer_to_server(delivery, server)
    return Registration(
        services=[node_pb2.DESCRIPTOR.services_by_name["NodeService"].full_name,
                  goalstate_pb2.DESCRIPTOR.services_by_name["GoalStateService"].full_name],
        background=[delivery.run],
    )


if __name__ == "__main__":
    run("svc_dpm", "dpm_addr", register)
