"""Group commit: concurrent submits become batches, each caller gets its own
outcome, and a handler that answers with an awaitable lets the next batch be
handled while it finishes (up to `overlap` at once)."""
import asyncio

import pytest

from runtime.batcher import GroupCommit


async def test_concurrent_submits_are_batched_and_answered_alone():
    seen = []

    async def handle(reqs):
        seen.append(list(reqs))
        return [ValueError(r) if r < 0 else r * 10 for r in reqs]

    gc = GroupCommit(handle)
    got = await asyncio.gather(*(gc.submit(r) for r in (1, 2, -3, 4)), return_exceptions=True)
    assert got[:2] == [10, 20] and isinstance(got[2], ValueError) and got[3] == 40
    assert seen == [[1, 2, -3, 4]]


async def test_a_finishing_batch_does_not_hold_up_the_next():
    started, release = [], asyncio.Event()

    async def handle(reqs):
        started.append(list(reqs))

        async def finish():
            await release.wait()
            return [r + 1 for r in reqs]
        return asyncio.ensure_future(finish())

    gc = GroupCommit(handle, overlap=2)
    first = asyncio.ensure_future(gc.submit(1))
    await asyncio.sleep(0.01)
    second = asyncio.ensure_future(gc.submit(2))
    await asyncio.sleep(0.01)
    assert started == [[1], [2]]  # the second was handled while the first finishes
    third = asyncio.ensure_future(gc.submit(3))
    await asyncio.sleep(0.01)
    assert started == [[1], [2]]  # two finishing: the third waits its turn
    release.set()
    assert await asyncio.gather(first, second, third) == [2, 3, 4]


async def test_a_finishing_batch_that_fails_fails_its_callers():
    async def handle(reqs):
        async def finish():
            raise RuntimeError("etcd gone")
        return asyncio.ensure_future(finish())

    gc = GroupCommit(handle, overlap=2)
    with pytest.raises(RuntimeError):
        await gc.submit(1)
