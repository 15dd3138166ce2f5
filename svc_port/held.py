"""Reservations this replica holds and has not committed, per allocator, in
the order the allocator decided them (a chain: see runtime/reservation.py).
Pure bookkeeping: which held reservation serves which call, which are left
for the next creates, and which a dropped one takes down with it.

Held ahead of need, a reservation takes the allocator's round trip off a
create's path: a single port create is then one etcd transaction after the
gateway. Only default requests are held (a network's next address of each
IP version, a next free MAC); anything else asks the allocator."""
from __future__ import annotations

from dataclasses import dataclass, field

from runtime.reservation import still_valid
from runtime.store import Unit


@dataclass
class Held:
    purpose: object  # what it serves: (network, revision, versions) for IPs, None for a MAC
    got: list  # what it allocates: IpAllocations, or MACs
    unit: Unit


@dataclass
class Chain:
    items: list[Held] = field(default_factory=list)
    # The allocator's knowledge may be off from etcd (a reservation of ours
    # was dropped or failed): the next request is asked fresh, and what is
    # held goes (a fresh decision would hand it out again).
    stale: bool = False
    seq: int = 0  # requests made on this chain (see ReserveIpsRequest.chain_seq)

    def take(self, purpose, n: int, taken: set[int], prefix: bool = False) -> list[Held]:
        """Up to n held reservations for `purpose` not in `taken` (ids),
        earliest first. With `prefix` (they all share the same blocks, as
        MACs do), only from the front of the chain."""
        out = []
        for h in self.items:
            if len(out) == n:
                break
            if id(h) in taken:
                continue
            if h.purpose == purpose:
                out.append(h)
            elif prefix:
                break
        return out

    def count(self, purpose, taken: set[int] = frozenset()) -> int:
        return sum(1 for h in self.items if h.purpose == purpose and id(h) not in taken)

    def unused(self, taken: set[int], network_id: str | None = None) -> bool:
        """Whether anything not in `taken` is held (for that network)."""
        return any(id(h) not in taken and (network_id is None or (h.purpose and h.purpose[0] == network_id))
                   for h in self.items)

    def networks(self) -> int:
        return len({h.purpose[0] for h in self.items if h.purpose})

    def holds_other_revision_of(self, network_id: str, revision: int) -> bool:
        return any(h.purpose and h.purpose[0] == network_id and h.purpose[1] != revision
                   for h in self.items)

    def without_keys(self, keys: set[bytes]) -> None:
        """Drops what guards or writes any of these keys: an allocator
        decided them afresh (it no longer counts these as taken)."""
        self.items = [h for h in self.items
                      if not any(g.key in keys for g in h.unit.guards)
                      and not any(w.key in keys for w in h.unit.writes)]

    def forget(self) -> None:
        """What is held goes, and the next request is asked fresh."""
        self.items = []
        self.stale = True

    def add(self, items: list[Held]) -> None:
        self.items += items

    def drop(self, dropped: list[Held]) -> list[Held]:
        """Drops these and what was decided on top of them; returns all that
        went. The allocator still counts them taken: the chain is stale."""
        gone_ids = {id(h) for h in dropped}
        kept = still_valid([h.unit for h in self.items],
                           {i for i, h in enumerate(self.items) if id(h) not in gone_ids})
        gone = [h for i, h in enumerate(self.items) if i not in kept]
        self.items = [h for i, h in enumerate(self.items) if i in kept]
        if gone:
            self.stale = True
        return gone

    def committed(self, used: list[Held]) -> None:
        ids = {id(h) for h in used}
        self.items = [h for h in self.items if id(h) not in ids]


    def order(self, used: list[Held]) -> list[Held]:
        """`used` in chain order (the order their units compose in)."""
        ids = {id(h) for h in used}
        return [h for h in self.items if id(h) in ids]
