"""Pure IPAM: a subnet's address space as offsets from its network address,
allocation state as bitmap blocks of 256 offsets, and the allocation of
requested or next-free addresses against that state.

No I/O here: the store reads the blocks, these functions compute the new
blocks, the store writes them back in one compare transaction."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from alcor.v1 import subnet_pb2
from runtime import bitmap
from runtime.errors import Conflict, Exhausted, InvalidInput

Blocks = dict[int, bytearray]  # block index -> bitmap


@dataclass(frozen=True)
class AddressSpace:
    subnet_id: str
    network_id: str
    version: int
    base: int  # the network address as an integer
    size: int  # number of addresses in the cidr
    pools: tuple[tuple[int, int], ...]  # offset ranges, inclusive, in order
    gateway: int | None  # offset of the gateway, if any

    @classmethod
    def of(cls, s: subnet_pb2.Subnet) -> "AddressSpace":
        net = ipaddress.ip_network(s.cidr)
        base = int(net.network_address)
        pools = tuple(sorted(
            (int(ipaddress.ip_address(p.start)) - base, int(ipaddress.ip_address(p.end)) - base)
            for p in s.allocation_pools
        ))
        gw = None
        if s.gateway_ip.WhichOneof("kind") == "string_value" and s.gateway_ip.string_value:
            gw = int(ipaddress.ip_address(s.gateway_ip.string_value)) - base
        return cls(s.id, s.network_id, net.version, base, net.num_addresses, pools, gw)

    def address(self, offset: int) -> str:
        return str(ipaddress.ip_address(self.base + offset))

    def offset_of(self, ip: str) -> int:
        """Offset of a requested address; it must be a host address of the subnet."""
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            raise InvalidInput(f"Invalid input for fixed_ips. Reason: '{ip}' is not a valid "
                               "IP address.") from None
        off = int(addr) - self.base
        if addr.version != self.version or not 0 <= off < self.size:
            raise InvalidInput(f"IP address {ip} is not a valid IP for the specified subnet.",
                               reason="InvalidIpForSubnet")
        if off == 0 or (self.version == 4 and off == self.size - 1):
            raise InvalidInput(f"IP address {ip} is not a valid IP for the specified subnet.",
                               reason="InvalidIpForSubnet")
        return off


@dataclass
class Allocator:
    """Allocation state of the subnets a batch touches. Changes are staged per
    caller (`begin`/`commit`/`rollback`) so one caller's failure leaves the
    others' allocations in place."""

    blocks: dict[str, Blocks]
    changed: dict[str, set[int]] = field(default_factory=dict)
    _staged: dict[tuple[str, int], bytearray | None] = field(default_factory=dict)
    _cursor: dict[str, int] = field(default_factory=dict)

    def _block(self, subnet_id: str, index: int, create: bool) -> bytearray | None:
        blocks = self.blocks.setdefault(subnet_id, {})
        b = blocks.get(index)
        if b is None and create:
            b = blocks[index] = bitmap.empty()
            self._staged.setdefault((subnet_id, index), None)
        elif b is not None and (subnet_id, index) not in self._staged:
            self._staged[(subnet_id, index)] = bytearray(b)
        return b

    def begin(self) -> None:
        self._staged = {}

    def commit(self) -> dict[tuple[str, int], bytearray | None]:
        """Keeps the caller's changes; returns the blocks it touched, each
        as it was before (None: the block did not exist)."""
        staged = self._staged
        for sid, idx in staged:
            self.changed.setdefault(sid, set()).add(idx)
        self._staged = {}
        return staged

    def rollback(self) -> None:
        for (sid, idx), before in self._staged.items():
            if before is None:
                self.blocks[sid].pop(idx, None)
            else:
                self.blocks[sid][idx] = before
        self._staged = {}
        self._cursor = {}

    def taken(self, space: AddressSpace, off: int) -> bool:
        b = self.blocks.get(space.subnet_id, {}).get(off >> 8)
        return b is not None and bitmap.is_set(b, off & 0xFF)

    def take(self, space: AddressSpace, ip: str) -> str:
        off = space.offset_of(ip)
        if off == space.gateway:
            raise Conflict(f"IP address {ip} is the gateway of subnet {space.subnet_id}.",
                           reason="IpAddressInUse")
        if self.taken(space, off):
            raise Conflict(f"IP address {ip} already allocated in subnet {space.subnet_id}",
                           reason="IpAddressAlreadyAllocated")
        bitmap.set_bit(self._block(space.subnet_id, off >> 8, True), off & 0xFF)
        return space.address(off)

    def next_free(self, space: AddressSpace) -> str | None:
        """The lowest free pool address at or after this batch's cursor."""
        start = self._cursor.get(space.subnet_id, 0)
        for lo, hi in space.pools:
            cand = max(lo, start)
            while cand <= hi:
                idx = cand >> 8
                block_hi = min(hi, (idx << 8) | 0xFF)
                b = self.blocks.get(space.subnet_id, {}).get(idx)
                bit = (cand & 0xFF) if b is None else bitmap.first_clear(b, cand & 0xFF, block_hi & 0xFF)
                if bit is not None:
                    off = (idx << 8) | bit
                    if off == space.gateway:
                        cand = off + 1
                        continue
                    bitmap.set_bit(self._block(space.subnet_id, idx, True), bit)
                    self._cursor[space.subnet_id] = off + 1
                    return space.address(off)
                cand = block_hi + 1
        return None

    def release(self, space_base: int, subnet_id: str, ip: str) -> bool:
        off = int(ipaddress.ip_address(ip)) - space_base
        b = self._block(subnet_id, off >> 8, False)
        if b is None or not bitmap.is_set(b, off & 0xFF):
            return False  # already free: not an error
        bitmap.clear_bit(b, off & 0xFF)
        self._cursor.pop(subnet_id, None)
        return True


def exhausted(network_id: str) -> Exhausted:
    return Exhausted(f"No more IP addresses available on network {network_id}.",
                     reason="IpAddressGenerationFailure")
