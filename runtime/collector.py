"""Cyclic garbage collector settings for Alcor's long-running processes.

CPython's default (a young collection every 700 allocations, an older one
every 10 of those) was made for short scripts. Our processes hold big,
long-lived heaps (svc_dpm's snapshot, an agent's goal state, 500 simulated
hosts), and every older collection walks all of it: measured under the
throughput benchmark, collection took 30% of svc_dpm's and the gateway's
CPU, and more than half of a simulated-hosts process's. Nearly everything
we free goes by reference count, so collecting rarely costs little memory.

`tune()` at start: a young collection every 50,000 allocations (the 25%
heap-growth rule still bounds full collections) and what start-up built
(modules, settings, channels) frozen out of every later collection."""
from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000
OLDER_EVERY = 10  # young collections per next-generation one (CPython's own)


def tune() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, OLDER_EVERY, OLDER_EVERY)
