"""Where a request's time goes, from the spans every process wrote with
ALCOR_TRACE_FILE set: for each trace whose root span matches a name, each
span's start offset and duration relative to the root; printed as medians
over all matching traces, in order of start.

  ALCOR_TRACE_FILE=/tmp/spans.jsonl alcor up ...; (send requests)
  python tools/trace_breakdown.py /tmp/spans.jsonl "POST /v2.0/ports"
"""
from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict


def main(path: str, root_name: str) -> None:
    by_trace: dict[str, list[dict]] = defaultdict(list)
    with open(path) as f:
        for line in f:
            if line.strip():
                s = json.loads(line)
                by_trace[s["trace"]].append(s)
    offsets: dict[str, list[float]] = defaultdict(list)
    durations: dict[str, list[float]] = defaultdict(list)
    roots = 0
    for spans in by_trace.values():
        root = next((s for s in spans if not s["parent"] and s["name"].startswith(root_name)), None)
        if root is None:
            continue
        roots += 1
        seen: dict[str, int] = defaultdict(int)
        for s in sorted(spans, key=lambda s: s["start"]):
            label = f"{s['service']}: {s['name']}"
            seen[label] += 1
            if seen[label] > 1:
                label += f" #{seen[label]}"
            offsets[label].append((s["start"] - root["start"]) / 1e6)
            durations[label].append((s["end"] - s["start"]) / 1e6)
    print(f"{roots} traces rooted at {root_name!r}; medians in ms")
    print(f"{'start':>8} {'took':>8}  {'n':>5}  span")
    for label in sorted(offsets, key=lambda k: statistics.median(offsets[k])):
        print(f"{statistics.median(offsets[label]):8.2f} {statistics.median(durations[label]):8.2f}  "
              f"{len(offsets[label]):5d}  {label}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "POST")
