"""A security group's member addresses, kept as its ports come, change and
go, with what changed since the last member list was taken.

Pure data. The default group holds nearly every port: rebuilding its list by
walking its ports on each change of one of them made every round of pushes
O(ports) in protobuf field reads (a sixth of svc_dpm's CPU under load)."""
from __future__ import annotations

from bisect import bisect_left, insort


class GroupMembers:
    __slots__ = ("_counts", "ordered", "_added", "_removed")

    def __init__(self) -> None:
        # Address -> how many of the group's ports hold it (the same address
        # in two VPCs is one member until both ports are gone).
        self._counts: dict[str, int] = {}
        self.ordered: list[str] = []  # the addresses, sorted: the list hosts get
        self._added: set[str] = set()
        self._removed: set[str] = set()

    def add(self, ip: str) -> None:
        n = self._counts.get(ip, 0)
        self._counts[ip] = n + 1
        if n:
            return
        insort(self.ordered, ip)
        if ip in self._removed:  # gone and back since the last list: no change
            self._removed.discard(ip)
        else:
            self._added.add(ip)

    def remove(self, ip: str) -> None:
        n = self._counts.get(ip, 0)
        if n > 1:
            self._counts[ip] = n - 1
            return
        if not n:
            return
        del self._counts[ip]
        del self.ordered[bisect_left(self.ordered, ip)]
        if ip in self._added:
            self._added.discard(ip)
        else:
            self._removed.add(ip)

    def changed(self) -> bool:
        return bool(self._added or self._removed)

    def take_changes(self) -> tuple[frozenset, frozenset]:
        """(added, removed) since the last call, and starts a new interval."""
        out = frozenset(self._added), frozenset(self._removed)
        self._added.clear()
        self._removed.clear()
        return out

    def __len__(self) -> int:
        return len(self.ordered)
