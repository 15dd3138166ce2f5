"""Pure router logic: defaults, and the MAC every host answers a router's
gateway addresses with (the same on every host: routing is distributed)."""
from __future__ import annotations

import uuid

from alcor.v1 import router_pb2
from runtime import context
from runtime.errors import InvalidInput, NotFound
from runtime.resources import now

UPDATABLE = {"name", "description", "admin_state_up", "tags", "routes"}


def not_found(router_id: str) -> NotFound:
    return NotFound(f"Router {router_id} could not be found", reason="RouterNotFound")


def visible(r: router_pb2.Router) -> bool:
    return context.visible(r.project_id)


def new_router(req: router_pb2.Router, project: str) -> router_pb2.Router:
    if req.id or req.subnet_ids or req.network_id:
        raise InvalidInput("id and interfaces are read-only; add interfaces with "
                           "add_router_interface.", reason="BadRequest")
    if req.routes:
        raise InvalidInput("Static routes are not supported.", reason="BadRequest")
    r = router_pb2.Router()
    r.CopyFrom(req)
    r.id = str(uuid.uuid4())
    r.project_id = r.tenant_id = project
    if not r.HasField("admin_state_up"):
        r.admin_state_up = True
    r.distributed = True
    r.ha = False
    r.status = "ACTIVE"
    r.created_at = r.updated_at = now()
    return r

