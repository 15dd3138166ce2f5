"""The one place that turns a failure into an HTTP status and a Neutron error
body: {"NeutronError": {"type": ..., "message": ..., "detail": ""}}.

A service's gRPC status carries the Neutron exception name as
google.rpc.ErrorInfo.reason; on the Neutron API the reason decides the status
(Neutron's fault map wins, as STYLE.md says), and only a reason the table
does not know falls back to grpc-gateway's code table, with a log line.
"""
from __future__ import annotations

import logging

import grpc
from google.rpc import status_pb2

from runtime.errors import reason_of, status_code, status_reason

log = logging.getLogger("alcor.gateway")

# grpc-gateway's runtime.HTTPStatusFromCode.
GRPC_TO_HTTP: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
}

# Neutron's fault map, by exception name. Any reason ending in NotFound is a
# 404 and any ending in InUse a 409 without being listed.
REASON_STATUS: dict[str, int] = {
    "IpAddressGenerationFailure": 409,
    "IpAddressAlreadyAllocated": 409,
    "MacAddressInUse": 409,
    "MacAddressGenerationFailure": 409,
    "NodeNameInUse": 409,
    "SegmentationIdInUse": 409,
    "Conflict": 409,
    "OverQuota": 409,
    "NoNetworkAvailable": 409,
    "SecurityGroupCannotRemoveDefault": 409,  # an InUse in Neutron
    "SecurityGroupCannotUpdateDefault": 409,
    "InvalidInput": 400,
    "BadRequest": 400,
    "HTTPBadRequest": 400,
    "InvalidIpForSubnet": 400,
    "InvalidCIDR": 400,
    "InvalidAllocationPool": 400,
    "OverlappingAllocationPools": 400,
    "GatewayConflictWithAllocationPools": 400,
    "HostNotRegistered": 400,
    "NotAuthorized": 403,
    "RevisionNumberConstraintFailed": 412,
    "ServiceUnavailable": 503,
}

# The error type to show when a status carries no reason (a foreign server,
# or the channel itself failing).
CODE_TYPES: dict[grpc.StatusCode, str] = {
    grpc.StatusCode.CANCELLED: "RequestCancelled",
    grpc.StatusCode.UNKNOWN: "InternalError",
    grpc.StatusCode.INVALID_ARGUMENT: "BadRequest",
    grpc.StatusCode.DEADLINE_EXCEEDED: "GatewayTimeout",
    grpc.StatusCode.NOT_FOUND: "NotFound",
    grpc.StatusCode.ALREADY_EXISTS: "Conflict",
    grpc.StatusCode.PERMISSION_DENIED: "NotAuthorized",
    grpc.StatusCode.UNAUTHENTICATED: "Unauthorized",
    grpc.StatusCode.RESOURCE_EXHAUSTED: "OverQuota",
    grpc.StatusCode.FAILED_PRECONDITION: "BadRequest",
    grpc.StatusCode.ABORTED: "Conflict",
    grpc.StatusCode.OUT_OF_RANGE: "BadRequest",
    grpc.StatusCode.UNIMPLEMENTED: "NotImplemented",
    grpc.StatusCode.INTERNAL: "InternalError",
    grpc.StatusCode.UNAVAILABLE: "ServiceUnavailable",
    grpc.StatusCode.DATA_LOSS: "InternalError",
}

_logged_fallbacks: set[tuple[str, grpc.StatusCode]] = set()


def http_status(code: grpc.StatusCode, reason: str | None) -> int:
    if reason:
        if reason.endswith("NotFound"):
            return 404
        if reason.endswith("InUse"):
            return 409
        status = REASON_STATUS.get(reason)
        if status is not None:
            return status
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        return 400
    status = GRPC_TO_HTTP.get(code, 500)
    key = (reason or "", code)
    if key not in _logged_fallbacks:
        _logged_fallbacks.add(key)
        log.warning("no Neutron status for reason %r; %s -> HTTP %d by the gRPC code table",
                    reason, code.name, status)
    return status


class HttpError(Exception):
    """A failure with its HTTP status and Neutron error type."""

    def __init__(self, status: int, type_: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict:
        return neutron_error(self.type, self.message)


def neutron_error(type_: str, message: str) -> dict:
    return {"NeutronError": {"type": type_, "message": message, "detail": ""}}


def bad_request(message: str) -> HttpError:
    return HttpError(400, "HTTPBadRequest", message)


def from_rpc_error(err: grpc.aio.AioRpcError) -> HttpError:
    return _from_code(err.code(), reason_of(err), err.details())


def from_status(st: status_pb2.Status) -> HttpError:
    """The same for one call's outcome in a batch (a google.rpc.Status)."""
    return _from_code(status_code(st), status_reason(st) or None, st.message)


def _from_code(code: grpc.StatusCode, reason: str | None, details: str | None) -> HttpError:
    status = http_status(code, reason)
    message = details or code.name
    if reason is None and status >= 500:
        # Channel-level failures carry grpc-core text ("failed to connect to
        # all addresses..."): log it, answer something a client can use.
        log.warning("backend call failed: %s %s", code.name, message)
        message = {
            503: "The service is unavailable; try again later.",
            504: "The request did not complete within its deadline.",
        }.get(status, "Request failed: internal server error while processing your request.")
    return HttpError(status, reason or CODE_TYPES.get(code, "InternalError"), message)
