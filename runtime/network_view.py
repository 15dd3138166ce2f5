"""Networks and their subnets as last watched from etcd (svc_vpc writes them),
for services that look them up on every create: svc_port (a port's network
and the subnets its addresses come from) and svc_ip (the subnets of a
network). A look-up here costs no round trip.

Only a shortcut, never the truth: whoever decides from it compares in its
transaction that the network is still at the revision seen here (svc_port's
port create does), so a view behind etcd costs a retry with a fresh look-up,
never a wrong port. Rebuilt from a list after any watch failure."""
from __future__ import annotations

from typing import Callable

from alcor.v1 import network_pb2, subnet_pb2
from runtime import keys
from runtime.store import KV, Store
from runtime.watch import Change, list_and_watch

NETWORKS, SUBNETS = keys.resources("networks"), keys.resources("subnets")


class NetworkView:
    def __init__(self, store: Store):
        self.store = store
        self.networks: dict[str, network_pb2.Network] = {}
        self.subnets: dict[str, subnet_pb2.Subnet] = {}
        self.ready = False
        # Built on first use, dropped when the network or a subnet changes.
        self._built: dict[str, network_pb2.NetworkWithSubnets] = {}
        # Called with the ids of networks that changed (or got subnets) as
        # the watch sees them (not for the first list).
        self.listeners: list[Callable[[set[str]], None]] = []

    async def run(self) -> None:
        await list_and_watch(self.store, [NETWORKS, SUBNETS], self._on_snapshot, self._on_changes)

    def get(self, network_id: str) -> network_pb2.NetworkWithSubnets | None:
        """The network with its subnets in the network's order, as svc_vpc's
        LookupNetworks answers it; None when not seen (yet)."""
        if not self.ready:
            return None
        got = self._built.get(network_id)
        if got is not None:
            return got
        n = self.networks.get(network_id)
        if n is None:
            return None
        got = network_pb2.NetworkWithSubnets(
            network=n, subnets=[self.subnets[s] for s in n.subnets if s in self.subnets])
        self._built[network_id] = got
        return got

    # --- keeping up ----------------------------------------------------------

    async def _on_snapshot(self, listed: dict[bytes, list[KV]], revision: int) -> None:
        self.networks, self.subnets, self._built = {}, {}, {}
        for kv in listed[NETWORKS]:
            self._put(NETWORKS, kv.key, kv.value, kv.mod_revision)
        for kv in listed[SUBNETS]:
            self._put(SUBNETS, kv.key, kv.value, kv.mod_revision)
        self.ready = True

    async def _on_changes(self, changes: list[Change], revision: int) -> None:
        touched: set[str] = set()
        for c in changes:
            prefix = NETWORKS if c.key.startswith(NETWORKS) else SUBNETS
            if c.value is None:
                rid = c.key[len(prefix):].decode()
                if prefix == NETWORKS:
                    self.networks.pop(rid, None)
                    self._built.pop(rid, None)
                else:
                    s = self.subnets.pop(rid, None)
                    if s is not None:
                        self._built.pop(s.network_id, None)
            else:
                touched.add(self._put(prefix, c.key, c.value, c.mod_revision))
        for listener in self.listeners:
            listener(touched)

    def _put(self, prefix: bytes, key: bytes, value: bytes, revision: int) -> str:
        """Keeps the record; returns the id of the network it concerns."""
        if prefix == NETWORKS:
            n = network_pb2.Network.FromString(value)
            n.revision_number = revision
            self.networks[n.id] = n
            self._built.pop(n.id, None)
            return n.id
        s = subnet_pb2.Subnet.FromString(value)
        s.revision_number = revision
        self.subnets[s.id] = s
        self._built.pop(s.network_id, None)
        return s.network_id
