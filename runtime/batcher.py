"""Group commit: concurrent callers' requests are coalesced into one batch,
handled by one function call (one read, one etcd transaction), and each
caller gets its own outcome back. Under load this turns N contending
read-modify-write cycles on a hot key into one."""
from __future__ import annotations

import asyncio
import inspect
from typing import Awaitable, Callable, Generic, TypeVar

Req = TypeVar("Req")
Res = TypeVar("Res")

# handle(requests) -> one outcome per request: a result, or an exception
# to raise in that caller only.
Handler = Callable[[list[Req]], Awaitable[list["Res | BaseException"]]]


class GroupCommit(Generic[Req, Res]):
    """Batches are handled one at a time. A handler may return, instead of
    the outcomes, an awaitable of them (the part of its work that only
    waits, on etcd say): the next batch is then handled meanwhile, with up
    to `overlap` batches finishing at once, and the handler orders
    whatever must be ordered."""

    def __init__(self, handle: Handler, max_batch: int = 512, overlap: int = 1):
        self._handle = handle
        self._max_batch = max_batch
        self._pending: list[tuple[Req, asyncio.Future]] = []
        self._running = False
        self._finishing = asyncio.Semaphore(overlap)

    async def submit(self, request: Req) -> Res:
        fut = asyncio.get_running_loop().create_future()
        self._pending.append((request, fut))
        if not self._running:
            self._running = True
            asyncio.get_running_loop().create_task(self._drain())
        return await fut

    async def _drain(self) -> None:
        try:
            while self._pending:
                await self._finishing.acquire()
                # Yield once so callers arriving in the same loop tick join.
                await asyncio.sleep(0)
                batch, self._pending = (
                    self._pending[: self._max_batch],
                    self._pending[self._max_batch :],
                )
                try:
                    outcomes = await self._handle([r for r, _ in batch])
                except Exception as e:  # the whole batch failed alike
                    outcomes = [e] * len(batch)
                if inspect.isawaitable(outcomes):
                    asyncio.ensure_future(outcomes).add_done_callback(
                        lambda t, batch=batch: self._settle(batch, t))
                else:
                    self._answer(batch, outcomes)
                    self._finishing.release()
        finally:
            self._running = False

    def _settle(self, batch, task: asyncio.Future) -> None:
        self._finishing.release()
        if task.cancelled():
            outcomes = [asyncio.CancelledError()] * len(batch)
        elif task.exception() is not None:
            outcomes = [task.exception()] * len(batch)
        else:
            outcomes = task.result()
        self._answer(batch, outcomes)

    @staticmethod
    def _answer(batch, outcomes) -> None:
        for (_, fut), out in zip(batch, outcomes):
            if fut.done():
                continue
            if isinstance(out, BaseException):
                fut.set_exception(out)
            else:
                fut.set_result(out)
