"""Group commit: concurrent callers' requests are coalesced into one batch,
handled by one function call (one read, one etcd transaction), and each
caller gets its own outcome back. Under load this turns N contending
read-modify-write cycles on a hot key into one."""
from __future__ import annotations

import asyncio
from typing import Awaitable, Callable, Generic, TypeVar

Req = TypeVar("Req")
Res = TypeVar("Res")

# handle(requests) -> one outcome per request: a result, or an exception
# to raise in that caller only.
Handler = Callable[[list[Req]], Awaitable[list["Res | BaseException"]]]


class GroupCommit(Generic[Req, Res]):
    def __init__(self, handle: Handler, max_batch: int = 512):
        self._handle = handle
        self._max_batch = max_batch
        self._pending: list[tuple[Req, asyncio.Future]] = []
        self._running = False

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
                for (_, fut), out in zip(batch, outcomes):
                    if fut.done():
                        continue
                    if isinstance(out, BaseException):
                        fut.set_exception(out)
                    else:
                        fut.set_result(out)
        finally:
            self._running = False
