"""Reservations: the guarded writes an allocator decided, for the caller to
commit in its own transaction (see protos/alcor/v1/reservation.proto); their
translation to and from the wire, and how a chain of them composes.

An allocator decides each reservation from the state its earlier ones leave,
so they chain: a later one guards a block on the value an earlier one writes.
What a reservation holds is the allocator's business; which of them to
commit, and when, is the caller's."""
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


class BrokenChain(Exception):
    """Reservations that were not decided one on top of the other: a later
    one guards a key on something other than what an earlier one writes."""


def compose(units: list[Unit]) -> Unit:
    """Reservations of one chain, in the order they were decided, as one
    unit: per key the first guard and the last write (a guard on what an
    earlier one writes is implied by it). Raises BrokenChain when they do
    not chain: committed together, both could take the same address."""
    written: dict[bytes, object] = {}
    guards: dict = {}
    for u in units:
        for g in u.guards:
            w = written.get(g.key)
            if w is not None:
                if (isinstance(g, Holds) and isinstance(w, Put) and w.value == g.value) \
                        or (isinstance(g, Absent) and isinstance(w, Delete)):
                    continue
                raise BrokenChain(f"a reservation guards {g.key!r} on what no earlier one wrote")
            guards.setdefault(g, None)
        for w in u.writes:
            written.pop(w.key, None)
            written[w.key] = w
    return Unit(list(guards), list(written.values()))


def still_valid(units: list[Unit], kept: set[int]) -> set[int]:
    """Which of the `kept` reservations of a chain still hold once the
    others are dropped: one that guards a key a dropped one writes was
    decided on top of it, and goes too."""
    tainted: set[bytes] = set()
    valid = set()
    for i, u in enumerate(units):
        if i in kept and not any(g.key in tainted for g in u.guards):
            valid.add(i)
        else:
            tainted.update(w.key for w in u.writes)
    return valid
