"""Reads and block writes too large for one transaction, against real etcd:
they come back whole, and a conflict in one transaction undoes the others."""
import uuid

import pytest

from runtime import bitmap
from runtime.blockstore import BlockChange, write_blocks
from runtime.store import MAX_TXN_OPS, Put, StoreConflict, Unit, Absent, pack


def uid() -> str:
    return uuid.uuid4().hex[:8]


def bits(*on: int) -> bytes:
    b = bitmap.empty()
    for i in on:
        bitmap.set_bit(b, i)
    return bytes(b)


async def test_read_of_more_than_one_transaction_comes_back_whole(api):
    base = f"/alcor/test/many/{uid()}/".encode()
    n = MAX_TXN_OPS + 40  # point keys and prefixes, over two transactions
    await api.store.commit_many([Unit([Absent(base + b"k%d" % i)], [Put(base + b"k%d" % i, b"v%d" % i)])
                                 for i in range(n)])
    await api.store.commit_many([Unit([Absent(base + b"p%d/x" % i)], [Put(base + b"p%d/x" % i, b"w")])
                                 for i in range(n)])
    points, ranged = await api.store.read(keys=[base + b"k%d" % i for i in range(n)] + [base + b"none"],
                                          prefixes=[base + b"p%d/" % i for i in range(n)])
    assert {k: kv.value for k, kv in points.items()} == {base + b"k%d" % i: b"v%d" % i for i in range(n)}
    assert all([kv.key for kv in ranged[base + b"p%d/" % i]] == [base + b"p%d/x" % i] for i in range(n))


def test_pack_keeps_units_whole_and_transactions_in_bounds():
    units = [Unit([Absent(b"g%d" % i)] * (1 + i % 3), [Put(b"w%d" % i, b"")] * (i % 5)) for i in range(300)]
    groups = pack(units)
    assert [u for g in groups for u in g] == units
    for g in groups:
        assert len({x for u in g for x in u.guards}) <= MAX_TXN_OPS  # compared once each
        assert sum(len(u.writes) for u in g) <= MAX_TXN_OPS
    assert len(groups) < 10


@pytest.mark.parametrize("conflict", [False, True])
async def test_block_writes_over_many_transactions(api, conflict):
    base = f"/alcor/test/blocks/{uid()}/".encode()
    groups = [([], [BlockChange(base + b"%03d" % i, None, 0, bits(1, i % 256))]) for i in range(300)]
    if conflict:  # one block someone else took meanwhile: its group's guard fails
        await api.store.commit(Unit([Absent(base + b"150")], [Put(base + b"150", bits(7))]))
    if not conflict:
        assert await write_blocks(api.store, groups) is None  # several transactions
        got = await api.store.get_many([c.key for _, cs in groups for c in cs])
        assert {k: kv.value for k, kv in got.items()} == {c.key: c.after for _, cs in groups for c in cs}
        return
    with pytest.raises(StoreConflict):
        await write_blocks(api.store, groups)
    got = await api.store.get_many([c.key for _, cs in groups for c in cs])
    # Every group that landed was undone (all-zero blocks are deleted); the
    # other writer's block is as it left it.
    assert {k: kv.value for k, kv in got.items()} == {base + b"150": bits(7)}


async def test_the_local_etcd_takes_transactions_as_large_as_the_services_pack(api):
    """cluster.local raises etcd's --max-txn-ops and tells the services: a
    transaction of that many operations lands in one piece (one revision)."""
    from cluster.local import ETCD_MAX_TXN_OPS

    base = f"/alcor/test/wide/{uid()}/".encode()
    units = [Unit([Absent(base + b"%04d" % i)], [Put(base + b"%04d" % i, b"v")]) for i in range(ETCD_MAX_TXN_OPS)]
    applied = await api.store.commit_many(units, ETCD_MAX_TXN_OPS)
    assert len(applied) == 1
    got = await api.store.get_many([base + b"%04d" % i for i in range(ETCD_MAX_TXN_OPS)])
    assert {kv.mod_revision for kv in got.values()} == {applied[0][1]} and len(got) == ETCD_MAX_TXN_OPS


def test_transaction_size_comes_from_the_environment_and_never_below_etcds_default(monkeypatch):
    from runtime.store import ETCD_DEFAULT_TXN_OPS, max_txn_ops

    monkeypatch.delenv("ALCOR_ETCD_MAX_TXN_OPS", raising=False)
    assert max_txn_ops() == ETCD_DEFAULT_TXN_OPS
    monkeypatch.setenv("ALCOR_ETCD_MAX_TXN_OPS", "512")
    assert max_txn_ops() == 512
    monkeypatch.setenv("ALCOR_ETCD_MAX_TXN_OPS", "64")
    with pytest.raises(ValueError, match="below etcd's default"):
        max_txn_ops()
    groups = pack([Unit([Absent(b"g%d" % i)], [Put(b"w%d" % i, b"")] * 3) for i in range(300)], 512)
    assert [sum(len(u.writes) for u in g) for g in groups] == [510, 390]


@pytest.mark.parametrize("parent_there", [True, False])
async def test_a_guard_units_share_is_compared_once_and_still_guards_them_all(api, parent_there):
    """Ports of a bulk guard their network (group, host) alike: one
    transaction compares it once, and when it fails nothing lands."""
    base = f"/alcor/test/shared/{uid()}/".encode()
    parent = base + b"parent"
    if parent_there:
        await api.store.commit(Unit([Absent(parent)], [Put(parent, b"p")]))
    from runtime.store import Present
    units = [Unit([Absent(base + b"c%03d" % i), Present(parent)], [Put(base + b"c%03d" % i, b"c")])
             for i in range(100)]
    if not parent_there:
        with pytest.raises(StoreConflict):
            await api.store.create_all(units)
        assert not await api.store.get_many([base + b"c%03d" % i for i in range(100)])
        return
    revs = await api.store.create_all(units)
    assert len(revs) == 100 and len(set(revs)) == 1  # one transaction
    (batch, rev), = await api.store.commit_many(
        [Unit([Absent(base + b"d%03d" % i), Present(parent)], [Put(base + b"d%03d" % i, b"d")]) for i in range(100)])
    assert len(batch.guards) == 101 and rev > revs[0]
