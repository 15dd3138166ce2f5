"""Pure readers of the request headers the gateway turns into call metadata:
X-Request-Id, Grpc-Timeout and If-Match."""
from __future__ import annotations

import re
import uuid

from gateway.errors import bad_request

# What may travel as a request id: printable, short, no spaces (it becomes
# gRPC metadata and a response header). Anything else is replaced.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9_.:/+=-]{1,128}$")
_TIMEOUT = re.compile(r"^(\d{1,8})([HMSmun])$")
_UNITS = {"H": 3600.0, "M": 60.0, "S": 1.0, "m": 1e-3, "u": 1e-6, "n": 1e-9}
_IF_MATCH = re.compile(r'^(?:revision_number=)?"?(\d{1,18})"?$')


def request_id(headers: dict[str, str]) -> str:
    """The caller's X-Request-Id (or X-OpenStack-Request-Id) when it is a
    sane token, else a fresh Neutron-style one."""
    for name in ("x-request-id", "x-openstack-request-id"):
        given = headers.get(name)
        if given and _REQUEST_ID.match(given):
            return given
    return "req-" + str(uuid.uuid4())


def idempotency_key(headers: dict[str, str]) -> str:
    """Idempotency-Key: the caller's name for this one call, so that a retry
    of it gets the first outcome (forwarded as x-idempotency-key)."""
    given = headers.get("idempotency-key", "")
    if given and not _REQUEST_ID.match(given):
        raise bad_request("Idempotency-Key must be 1-128 characters of [A-Za-z0-9_.:/+=-].")
    return given


def grpc_timeout(raw: str | None, default: float, maximum: float) -> float:
    """Grpc-Timeout ("5S", "100m": digits and a unit, as in the gRPC wire
    format) in seconds; the default when absent; capped at maximum."""
    if raw is None:
        return default
    m = _TIMEOUT.match(raw.strip())
    if m is None:
        raise bad_request(f"Invalid Grpc-Timeout {raw!r}: expected up to 8 digits and a unit "
                          "(H, M, S, m, u, n), e.g. 5S or 100m.")
    return min(int(m.group(1)) * _UNITS[m.group(2)], maximum)


def if_match_revision(raw: str | None) -> int:
    """The revision an If-Match header constrains an update or delete to:
    Neutron's "revision_number=N", or a bare (or quoted) N. 0 means no
    constraint (no header, or "*")."""
    if raw is None:
        return 0
    raw = raw.strip()
    if raw in ("", "*"):
        return 0
    m = _IF_MATCH.match(raw)
    if m is None or int(m.group(1)) == 0:
        raise bad_request(f"Invalid If-Match {raw!r}: expected revision_number=N with N > 0.")
    return int(m.group(1))
