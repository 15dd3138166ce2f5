"""A keyed work queue in the controller-runtime style: adding a key that is
already queued is a no-op; a key being worked on is never handed to a second
worker, and if it is added again meanwhile it is worked once more after."""
from __future__ import annotations

import asyncio
from typing import Hashable


class KeyedQueue:
    def __init__(self):
        self._queue: list[Hashable] = []
        self._queued: set[Hashable] = set()
        self._active: set[Hashable] = set()
        self._redo: set[Hashable] = set()
        self._ready = asyncio.Event()

    def add(self, key: Hashable) -> None:
        if key in self._active:
            self._redo.add(key)
        elif key not in self._queued:
            self._queued.add(key)
            self._queue.append(key)
            self._ready.set()

    def add_all(self, keys) -> None:
        for k in keys:
            self.add(k)

    async def get_batch(self, max_items: int = 1 << 30) -> list[Hashable]:
        """Every queued key (up to max_items), marked active."""
        while not self._queue:
            self._ready.clear()
            await self._ready.wait()
        batch, self._queue = self._queue[:max_items], self._queue[max_items:]
        for k in batch:
            self._queued.discard(k)
            self._active.add(k)
        return batch

    def done(self, key: Hashable) -> None:
        self._active.discard(key)
        if key in self._redo:
            self._redo.discard(key)
            self.add(key)

    def __len__(self) -> int:
        return len(self._queue)
