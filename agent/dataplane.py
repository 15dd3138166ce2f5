"""The data-plane driver interface: what the agent asks of whatever programs
the host (Linux through netlink, or an in-memory recorder for scale tests).

A driver is level-triggered. `reconcile` gets the whole desired state, reads
what the host actually has, and makes the two agree: it creates what is
missing, fixes what differs and removes what it owns that is no longer
desired. Calling it twice with the same state changes nothing the second
time, and calling it again after somebody changed the host by hand repairs
the drift. It never raises for one resource's failure: that resource gets a
FAILURE outcome and the rest is still programmed.
"""
from __future__ import annotations

import enum
from typing import NamedTuple, Protocol

from agent.model import HostState, Kind
from alcor.v1 import goalstate_pb2 as gs_pb2


class Status(enum.IntEnum):
    """Values are alcor.v1.ProgrammingStatus's."""

    SUCCESS = gs_pb2.PROGRAMMING_STATUS_SUCCESS
    FAILURE = gs_pb2.PROGRAMMING_STATUS_FAILURE
    INVALID_ARG = gs_pb2.PROGRAMMING_STATUS_INVALID_ARG
    PENDING = gs_pb2.PROGRAMMING_STATUS_PENDING
    OUT_OF_ORDER = gs_pb2.PROGRAMMING_STATUS_OUT_OF_ORDER


class Outcome(NamedTuple):
    """How programming one resource went. (A tuple: every reconcile makes one
    per port, 10,000 on a big host.)"""

    kind: Kind
    id: str
    status: Status
    reason: str = ""
    elapsed_us: int = 0
    revision: int = 0

    def to_proto(self) -> gs_pb2.ResourceStatus:
        return gs_pb2.ResourceStatus(
            type=self.kind, id=self.id, status=self.status, reason=self.reason,
            revision=self.revision, elapsed_us=min(self.elapsed_us, 0xFFFFFFFF))


class DataPlane(Protocol):
    async def reconcile(self, state: HostState) -> list[Outcome]:
        """Makes the host match `state`. Returns an outcome for every port of
        `state`, and for any other resource that was not programmed
        (INVALID_ARG or FAILURE); a VPC, subnet or neighbor without an
        outcome succeeded."""
        ...

    async def close(self) -> None:
        """Releases what the driver holds (sockets); leaves the host as
        programmed, so an agent restart does not interrupt traffic."""
        ...
