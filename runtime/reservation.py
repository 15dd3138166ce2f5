"""Reservations on the wire: the guarded writes an allocator decided, for
the caller to commit in its own transaction (see protos/alcor/v1/
reservation.proto). Only the translation lives here; what a reservation
holds is the allocator's business, and committing it is the caller's."""
from __future__ import annotations

from alcor.v1 import reservation_pb2
from runtime.store import Absent, At, Delete, Holds, Put, Unit


def to_proto(unit: Unit) -> reservation_pb2.Reservation:
    out = reservation_pb2.Reservation()
    for g in unit.guards:
        if isinstance(g, Absent):
            out.guards.add(key=g.key, absent=True)
        elif isinstance(g, At):
            out.guards.add(key=g.key, mod_revision=g.mod_revision)
        elif isinstance(g, Holds):
            out.guards.add(key=g.key, value=g.value)
        else:
            raise ValueError(f"a reservation cannot carry a {type(g).__name__} guard")
    for w in unit.writes:
        if isinstance(w, Put):
            if w.lease:
                raise ValueError("a reservation cannot carry a leased write")
            out.writes.add(key=w.key, value=w.value)
        elif isinstance(w, Delete):
            out.writes.add(key=w.key, delete=True)
        else:
            raise ValueError(f"a reservation cannot carry a {type(w).__name__}")
    return out


def to_unit(r: reservation_pb2.Reservation) -> Unit:
    u = Unit()
    for g in r.guards:
        kind = g.WhichOneof("condition")
        if kind == "absent":
            u.guards.append(Absent(g.key))
        elif kind == "mod_revision":
            u.guards.append(At(g.key, g.mod_revision))
        elif kind == "value":
            u.guards.append(Holds(g.key, g.value))
        else:
            raise ValueError("a reservation guard names no condition")
    for w in r.writes:
        u.writes.append(Delete(w.key) if w.delete else Put(w.key, w.value))
    return u


def size(r: reservation_pb2.Reservation) -> tuple[int, int]:
    """(guards, writes): what it adds to the caller's transaction."""
    return len(r.guards), len(r.writes)
