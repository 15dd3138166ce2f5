"""One CreatePorts call as it goes through a create batch: its ports, what
it was decided on and what it got, and the one rule for what it gives back."""
from __future__ import annotations

from dataclasses import dataclass, field

from runtime import context

# How many times a create goes round when its network changed under it.
STALE_LOOKUP_ATTEMPTS = 5


class StaleNetwork(Exception):
    """A create compared its network against a look-up that is now stale."""


@dataclass
class CreateCall:
    """One CreatePorts call waiting in the group commit: its validated ports,
    its idempotency key and the caller's context (the batch runs elsewhere)."""

    ports: list
    key: str
    ctx: context.RequestContext
    attempt: int = 0
    ips: list = field(default_factory=list)
    macs: list = field(default_factory=list)
    units: list = field(default_factory=list)
    networks: dict = field(default_factory=dict)  # the look-ups it was decided on
    replayed: tuple = (False, False)  # whether its IPs, its MACs were a record's
    outcome: object = None

    def allocated_for_it(self, held_ips=frozenset(), held_macs=frozenset()) -> tuple[list, list]:
        """What the allocators gave this call and nobody else holds: what it
        gives back when it does not use it. A replayed outcome (a record of
        an earlier call with the same key) belongs to that call; what a
        concurrent duplicate's ports hold is theirs."""
        ips_replayed, macs_replayed = self.replayed
        return ([] if ips_replayed else [a for a in self.ips if a.ip_address not in held_ips],
                [] if macs_replayed else [m for m in self.macs if m not in held_macs])

    @property
    def alloc_key(self) -> str:
        # A create that goes round again (a stale look-up) gave back what it
        # allocated: its next allocations must not replay the first ones.
        return self.key if not self.attempt else f"{self.key}~{self.attempt}"

    def network_revisions(self) -> dict[str, int]:
        return {p.network_id: self.networks[p.network_id].network.revision_number for p in self.ports}
