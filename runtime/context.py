"""Per-request context that travels with every call: request id, project,
roles, and whether the caller is an admin. Set by the server interceptor from
incoming metadata, forwarded by the client interceptor to every downstream
call."""
from __future__ import annotations

import contextvars
import uuid
from dataclasses import dataclass

REQUEST_ID = "x-request-id"
# Per call, never forwarded: names one call so that a retry of it (by gRPC, the
# mesh or a client) returns the first outcome instead of doing the work again.
IDEMPOTENCY_KEY = "x-idempotency-key"
PROJECT_ID = "x-alcor-project-id"
ROLES = "x-alcor-roles"


@dataclass(frozen=True, slots=True)
class RequestContext:
    request_id: str = ""
    # Empty project with admin: a trusted in-mesh caller acting for everyone.
    project_id: str = ""
    roles: tuple[str, ...] = ("admin",)
    # The caller's name for this one call (x-idempotency-key), if any.
    idempotency_key: str = ""
    # Whether the caller named the request itself (x-request-id), so that a
    # retried create with the same id is recognised.
    request_id_given: bool = False

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    def metadata(self) -> list[tuple[str, str]]:
        md = [(ROLES, ",".join(self.roles))]
        if self.request_id:
            md.append((REQUEST_ID, self.request_id))
        if self.project_id:
            md.append((PROJECT_ID, self.project_id))
        return md


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "alcor_request_context", default=RequestContext()
)


def current() -> RequestContext:
    return _current.get()


def from_metadata(md: dict[str, str]) -> RequestContext:
    roles = tuple(r for r in md.get(ROLES, "admin").split(",") if r)
    return RequestContext(
        request_id=md.get(REQUEST_ID) or uuid.uuid4().hex,
        project_id=md.get(PROJECT_ID, ""),
        roles=roles,
        idempotency_key=md.get(IDEMPOTENCY_KEY, ""),
        request_id_given=bool(md.get(REQUEST_ID)),
    )


def activate(ctx: RequestContext) -> contextvars.Token:
    return _current.set(ctx)


def reset(token: contextvars.Token) -> None:
    _current.reset(token)


def visible(project_id: str) -> bool:
    """May the current caller see a resource of `project_id`?"""
    ctx = current()
    return ctx.is_admin or ctx.project_id == project_id
