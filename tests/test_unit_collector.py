"""runtime.collector: what every process's entry point sets (in a fresh
interpreter, so this test process keeps its own collector settings)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_tune_freezes_start_up_and_collects_the_young_rarely():
    out = subprocess.run([sys.executable, "-c", (
        "import gc, json; from runtime import collector; before = gc.get_freeze_count(); "
        "collector.tune(); print(json.dumps([before, gc.get_freeze_count(), gc.get_threshold()]))")],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout
    before, frozen, threshold = json.loads(out)
    assert before == 0 and frozen > 1000  # the modules imported, at least
    assert threshold == [50_000, 10, 10]

