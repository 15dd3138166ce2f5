"""Pure IPAM and MAC allocation against bitmap blocks."""
import pytest

from alcor.v1 import common_pb2, subnet_pb2
from runtime import bitmap
from runtime.errors import Conflict, InvalidInput
from svc_ip.pools import AddressSpace, Allocator
from svc_mac import macs


def space(cidr="10.0.0.0/24", pools=(("10.0.0.2", "10.0.0.254"),), gw="10.0.0.1"):
    s = subnet_pb2.Subnet(id="s", network_id="n", cidr=cidr,
                          allocation_pools=[common_pb2.AllocationPool(start=a, end=b) for a, b in pools])
    if gw:
        s.gateway_ip.string_value = gw
    else:
        s.gateway_ip.null_value = 0
    return AddressSpace.of(s)


@pytest.mark.parametrize("bits,lo,hi,want", [
    ([], 0, 255, 0), ([0, 1, 2], 0, 255, 3), (list(range(256)), 0, 255, None),
    (list(range(8)), 0, 255, 8), ([5], 5, 5, None), ([], 250, 255, 250),
])
def test_first_clear(bits, lo, hi, want):
    b = bitmap.empty()
    for i in bits:
        bitmap.set_bit(b, i)
    assert bitmap.first_clear(b, lo, hi) == want


def test_next_free_is_sequential_and_skips_taken():
    sp = space()
    a = Allocator({})
    assert [a.next_free(sp) for _ in range(3)] == ["10.0.0.2", "10.0.0.3", "10.0.0.4"]
    a.take(sp, "10.0.0.6")
    assert [a.next_free(sp) for _ in range(2)] == ["10.0.0.5", "10.0.0.7"]


def test_exhaustion_of_a_small_pool():
    sp = space("10.0.0.0/28", (("10.0.0.2", "10.0.0.14"),))
    a = Allocator({})
    got = [a.next_free(sp) for _ in range(13)]
    assert len(set(got)) == 13 and None not in got
    assert a.next_free(sp) is None


def test_pool_crossing_blocks():
    sp = space("10.0.0.0/22", (("10.0.0.250", "10.0.1.5"),))
    a = Allocator({})
    got = [a.next_free(sp) for _ in range(12)]
    assert got[0] == "10.0.0.250" and got[-1] == "10.0.1.5" and a.next_free(sp) is None


@pytest.mark.parametrize("ip,exc,reason", [
    ("10.0.0.1", Conflict, "IpAddressInUse"),             # the gateway
    ("10.0.0.0", InvalidInput, "InvalidIpForSubnet"),     # network address
    ("10.0.0.255", InvalidInput, "InvalidIpForSubnet"),   # broadcast
    ("10.0.1.5", InvalidInput, "InvalidIpForSubnet"),     # outside
    ("2001:db8::5", InvalidInput, "InvalidIpForSubnet"),  # wrong version
    ("10.0.0.300", InvalidInput, "InvalidInput"),
])
def test_take_rejects(ip, exc, reason):
    with pytest.raises(exc) as e:
        Allocator({}).take(space(), ip)
    assert e.value.reason == reason


def test_take_twice_is_already_allocated():
    a = Allocator({})
    a.take(space(), "10.0.0.50")
    with pytest.raises(Conflict) as e:
        a.take(space(), "10.0.0.50")
    assert e.value.reason == "IpAddressAlreadyAllocated"


def test_rollback_restores_blocks_for_the_failed_caller_only():
    sp = space()
    a = Allocator({})
    a.begin(); a.take(sp, "10.0.0.10"); a.commit()
    a.begin(); a.take(sp, "10.0.0.11"); a.rollback()
    assert a.taken(sp, 10) and not a.taken(sp, 11)
    assert a.changed == {"s": {0}}


def test_release_is_idempotent():
    sp = space()
    a = Allocator({})
    a.take(sp, "10.0.0.9")
    assert a.release(sp.base, "s", "10.0.0.9") is True
    assert a.release(sp.base, "s", "10.0.0.9") is False


def test_ipv6_space():
    sp = space("2001:db8::/64", (("2001:db8::2", "2001:db8::ffff:ffff:ffff:ffff"),), "2001:db8::1")
    a = Allocator({})
    assert a.next_free(sp) == "2001:db8::2"
    assert a.take(sp, "2001:db8::dead:beef") == "2001:db8::dead:beef"


@pytest.mark.parametrize("raw,want", [
    ("FA:16:3E:00:00:01", "fa:16:3e:00:00:01"), ("fa-16-3e-aa-bb-cc", "fa:16:3e:aa:bb:cc"),
    ("fa163eaabbcc", "fa:16:3e:aa:bb:cc"), ("01:00:5e:00:00:01", None),  # multicast
    ("00:00:00:00:00:00", None), ("zz:16:3e:00:00:01", None), ("fa:16:3e:00:00", None),
])
def test_mac_normalize(raw, want):
    if want is None:
        with pytest.raises(InvalidInput):
            macs.normalize(raw)
    else:
        assert macs.normalize(raw) == want


@pytest.mark.parametrize("oui,ok", [("fa:16:3e", True), ("02:00:00", True), ("00:16:3e", False),
                                    ("fb:16:3e", False), ("fa:16", False)])
def test_oui_must_be_local_unicast(oui, ok):
    if ok:
        assert macs.parse_oui(oui) == oui
    else:
        with pytest.raises(ValueError):
            macs.parse_oui(oui)


def test_mac_allocator_requested_and_free():
    a = macs.MacAllocator("fa:16:3e", {}, 0)
    a.begin()
    assert a.take("fa:16:3e:00:01:00") == "fa:16:3e:00:01:00"
    with pytest.raises(Conflict) as e:
        a.take("FA:16:3E:00:01:00")
    assert e.value.reason == "MacAddressInUse"
    got = {a.next_free(range(0, 2)) for _ in range(300)}
    assert len(got) == 300 and "fa:16:3e:00:00:00" not in got and "fa:16:3e:00:01:00" not in got
    assert a.take("02:00:00:00:00:01") == "02:00:00:00:00:01"  # outside the OUI: own key


def test_first_clear_matches_a_bit_by_bit_scan():
    import random
    rng = random.Random(7)
    for _ in range(300):
        b = bitmap.empty()
        for i in rng.sample(range(256), rng.randrange(257)):
            bitmap.set_bit(b, i)
        lo = rng.randrange(256)
        hi = rng.randrange(lo, 256)
        want = next((i for i in range(lo, hi + 1) if not bitmap.is_set(b, i)), None)
        assert bitmap.first_clear(b, lo, hi) == want


def test_mac_cursor_finds_what_a_release_or_rollback_frees():
    a = macs.MacAllocator("fa:16:3e", {}, 0)
    window = range(0, 3)
    a.begin()
    first = [a.next_free(window) for _ in range(600)]
    assert first[0] == "fa:16:3e:00:00:01" and len(set(first)) == 600
    a.commit()
    assert a.release("fa:16:3e:00:00:05")
    assert a.next_free(window) == "fa:16:3e:00:00:05"  # freed behind the cursor
    a.begin()
    staged = [a.next_free(window) for _ in range(3)]
    a.rollback()
    assert [a.next_free(window) for _ in range(3)] == staged
    rest = [a.next_free(window) for _ in range(3 * 256)]
    assert rest.count(None) == 3 * 256 - (3 * 256 - 1 - 600 - 3)  # the window fills, then None
    assert a.next_free(range(3, 4)) == "fa:16:3e:00:03:00"  # another window starts afresh
