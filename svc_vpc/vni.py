"""Pure VNI choice. A VNI is unique region-wide; the store's create-if-absent
guard on the VNI's key is what makes it so, this only picks candidates."""
from __future__ import annotations

import random

from runtime.errors import Exhausted

# Ranges up to this size are scanned for free VNIs; larger ones are probed at
# random, where a collision (retried) is rare and no scan is needed.
SCAN_LIMIT = 1 << 16


def choose_free(used: set[int], n: int, lo: int, hi: int) -> list[int]:
    """The lowest `n` free VNIs of [lo, hi]."""
    out = []
    v = lo
    while len(out) < n and v <= hi:
        if v not in used:
            out.append(v)
        v += 1
    if len(out) < n:
        raise Exhausted(
            "Unable to create the network. No tenant network is available for allocation.",
            reason="NoNetworkAvailable",
        )
    return out


def choose_random(n: int, lo: int, hi: int, rng: random.Random | None = None) -> list[int]:
    rng = rng or random.Random()
    if hi - lo + 1 < n:
        raise Exhausted("Unable to create the network. No tenant network is available for "
                        "allocation.", reason="NoNetworkAvailable")
    return rng.sample(range(lo, hi + 1), n)
