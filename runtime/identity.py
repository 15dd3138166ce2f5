"""Values memoized by the identity of the objects they were made from.

Caches of shared objects (a VPC's neighbor table, a group's member list, a
security group) compare by `is`, not by content: equality walks whole
messages. An id is unique only while its object lives, so each entry holds
its objects, and a hit must be those very objects."""
from __future__ import annotations

MISSING = object()


class IdentityMemo:
    def __init__(self, bound: int = 0):
        self._by_ids: dict[tuple[int, int], tuple[object, object, object]] = {}
        self.bound = bound  # entries at most (0: as many as the memo lives for)

    def get(self, a, b=None):
        """The value put for these objects, or MISSING."""
        hit = self._by_ids.get((id(a), id(b)))
        if hit is not None and hit[0] is a and hit[1] is b:
            return hit[2]
        return MISSING

    def entries(self) -> list[tuple[object, object, object]]:
        """(a, b, value) for everything memoized."""
        return list(self._by_ids.values())

    def put(self, value, a, b=None):
        if self.bound and len(self._by_ids) >= self.bound:
            self._by_ids.clear()
        self._by_ids[(id(a), id(b))] = (a, b, value)
        return value
