"""Bounded retries on optimistic-concurrency conflicts, and on nothing else:
a StoreConflict means our transaction did not apply, so running the whole
read-compute-write again is safe. Any other error propagates at once."""
from __future__ import annotations

from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from runtime.store import StoreConflict

# Enough for heavy contention between replicas on one hot key (each replica
# group-commits its own callers, so contenders are replicas, not requests).
CONFLICT_ATTEMPTS = 50

on_conflict = retry(
    retry=retry_if_exception_type(StoreConflict),
    stop=stop_after_attempt(CONFLICT_ATTEMPTS),
    wait=wait_random_exponential(multiplier=0.001, max=0.05),
    reraise=True,
)
