"""Typed domain errors with Neutron-style reasons, and the one table that maps
them to gRPC codes.

Logic raises these; the server interceptor turns them into a gRPC status
carrying a google.rpc.ErrorInfo (reason = the Neutron exception name), and
`from_rpc_error` turns such a status back into the same error on the client
side, so a reason survives every hop up to the REST gateway.
"""
from __future__ import annotations

import grpc
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

DOMAIN = "alcor.io"


class AlcorError(Exception):
    """Base of every domain error. `reason` is the Neutron exception name."""

    code: grpc.StatusCode = grpc.StatusCode.INTERNAL
    reason: str = "InternalError"

    def __init__(self, message: str, *, reason: str | None = None):
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"


class InvalidInput(AlcorError):
    code = grpc.StatusCode.INVALID_ARGUMENT
    reason = "InvalidInput"


class NotFound(AlcorError):
    code = grpc.StatusCode.NOT_FOUND
    reason = "NotFound"


class Conflict(AlcorError):
    """The request is valid but clashes with what exists (Neutron's 409s)."""

    code = grpc.StatusCode.ALREADY_EXISTS
    reason = "Conflict"


class InUse(AlcorError):
    code = grpc.StatusCode.FAILED_PRECONDITION
    reason = "InUse"


class Exhausted(AlcorError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED
    reason = "OverQuota"


class PreconditionFailed(AlcorError):
    """If-Match named a revision that is no longer current."""

    code = grpc.StatusCode.FAILED_PRECONDITION
    reason = "RevisionNumberConstraintFailed"


class Unavailable(AlcorError):
    code = grpc.StatusCode.UNAVAILABLE
    reason = "ServiceUnavailable"


class Contention(AlcorError):
    """Optimistic concurrency gave up after its bounded retries."""

    code = grpc.StatusCode.ABORTED
    reason = "Conflict"


# The one table: Neutron reason -> gRPC code. Reasons not listed take the code
# of the class that raised them. The gateway maps codes (and, on /v2.0 paths,
# these reasons) to HTTP statuses.
REASON_CODES: dict[str, grpc.StatusCode] = {
    "NetworkNotFound": grpc.StatusCode.NOT_FOUND,
    "SubnetNotFound": grpc.StatusCode.NOT_FOUND,
    "PortNotFound": grpc.StatusCode.NOT_FOUND,
    "NodeNotFound": grpc.StatusCode.NOT_FOUND,
    "HostNotRegistered": grpc.StatusCode.INVALID_ARGUMENT,
    "SecurityGroupNotFound": grpc.StatusCode.NOT_FOUND,
    "RouterNotFound": grpc.StatusCode.NOT_FOUND,
    "NetworkInUse": grpc.StatusCode.FAILED_PRECONDITION,
    "SubnetInUse": grpc.StatusCode.FAILED_PRECONDITION,
    "NodeInUse": grpc.StatusCode.FAILED_PRECONDITION,
    "SecurityGroupInUse": grpc.StatusCode.FAILED_PRECONDITION,
    "RouterInUse": grpc.StatusCode.FAILED_PRECONDITION,
    "PortSecurityAndIPRequiredForSecurityGroups": grpc.StatusCode.FAILED_PRECONDITION,
    "SecurityGroupRuleNotFound": grpc.StatusCode.NOT_FOUND,
    "RouterInterfaceNotFoundForSubnet": grpc.StatusCode.NOT_FOUND,
    "RouterInterfaceInUse": grpc.StatusCode.ALREADY_EXISTS,
    "SecurityGroupRuleExists": grpc.StatusCode.ALREADY_EXISTS,
    "SecurityGroupDefaultAlreadyExists": grpc.StatusCode.ALREADY_EXISTS,
    "SecurityGroupCannotRemoveDefault": grpc.StatusCode.FAILED_PRECONDITION,
    "SecurityGroupCannotUpdateDefault": grpc.StatusCode.FAILED_PRECONDITION,
    "IpAddressInUse": grpc.StatusCode.ALREADY_EXISTS,
    "IpAddressAlreadyAllocated": grpc.StatusCode.ALREADY_EXISTS,
    "MacAddressInUse": grpc.StatusCode.ALREADY_EXISTS,
    "NodeNameInUse": grpc.StatusCode.ALREADY_EXISTS,
    "SegmentationIdInUse": grpc.StatusCode.ALREADY_EXISTS,
    "IpAddressGenerationFailure": grpc.StatusCode.RESOURCE_EXHAUSTED,
    "MacAddressGenerationFailure": grpc.StatusCode.RESOURCE_EXHAUSTED,
    "NoNetworkAvailable": grpc.StatusCode.RESOURCE_EXHAUSTED,
    "InvalidInput": grpc.StatusCode.INVALID_ARGUMENT,
    "InvalidIpForSubnet": grpc.StatusCode.INVALID_ARGUMENT,
    "InvalidAllocationPool": grpc.StatusCode.INVALID_ARGUMENT,
    "OverlappingAllocationPools": grpc.StatusCode.INVALID_ARGUMENT,
    "GatewayConflictWithAllocationPools": grpc.StatusCode.INVALID_ARGUMENT,
    "InvalidCIDR": grpc.StatusCode.INVALID_ARGUMENT,
    "BadRequest": grpc.StatusCode.INVALID_ARGUMENT,
    "NotAuthorized": grpc.StatusCode.PERMISSION_DENIED,
    "RevisionNumberConstraintFailed": grpc.StatusCode.FAILED_PRECONDITION,
    "ServiceUnavailable": grpc.StatusCode.UNAVAILABLE,
}


def code_for(err: AlcorError) -> grpc.StatusCode:
    return REASON_CODES.get(err.reason, err.code)


def to_status_proto(err: AlcorError) -> status_pb2.Status:
    """The google.rpc.Status of a domain error (ErrorInfo carries the reason)."""
    info = error_details_pb2.ErrorInfo(reason=err.reason, domain=DOMAIN)
    st = status_pb2.Status(code=code_for(err).value[0], message=err.message)
    st.details.add().Pack(info)
    return st


def to_status(err: AlcorError) -> grpc.Status:
    return rpc_status.to_status(to_status_proto(err))


def status_code(st: status_pb2.Status) -> grpc.StatusCode:
    return next((c for c in grpc.StatusCode if c.value[0] == st.code), grpc.StatusCode.UNKNOWN)


def status_reason(st: status_pb2.Status) -> str | None:
    """The ErrorInfo reason a google.rpc.Status carries, if any."""
    for detail in st.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info.reason
    return None


def from_status_proto(st: status_pb2.Status) -> AlcorError:
    """The domain error a google.rpc.Status carries (per-call errors of a batch)."""
    code, reason = status_code(st), status_reason(st)
    cls = _BY_CODE.get(code, AlcorError)
    out = cls(st.message or code.name, reason=reason or cls.reason)
    if reason is None and cls is AlcorError:
        out.code = code
    return out


_BY_CODE: dict[grpc.StatusCode, type[AlcorError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidInput,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.ALREADY_EXISTS: Conflict,
    grpc.StatusCode.FAILED_PRECONDITION: InUse,
    grpc.StatusCode.RESOURCE_EXHAUSTED: Exhausted,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.ABORTED: Contention,
}


def reason_of(err: grpc.aio.AioRpcError | grpc.RpcError) -> str | None:
    """The ErrorInfo reason an RPC error carries, if any."""
    try:
        st = rpc_status.from_call(err)
    except Exception:  # malformed details from a foreign server
        return None
    return None if st is None else status_reason(st)


def from_rpc_error(err: grpc.aio.AioRpcError) -> AlcorError:
    """Rebuilds the domain error a downstream service raised, so it can be
    re-raised unchanged (reason and code intact) one hop up."""
    reason = reason_of(err)
    cls = _BY_CODE.get(err.code(), AlcorError)
    out = cls(err.details() or str(err.code()), reason=reason or cls.reason)
    if reason is None and cls is AlcorError:
        out.code = err.code()
    return out
