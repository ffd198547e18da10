"""Cost against song length: the end-to-end run (benchmarks/e2e.py) at 1, 3.5, 7 and 14 minutes.

Each length runs in its own process (so each peak RSS is its own). Prints one JSON line:
per length the total and per-stage seconds, CPU seconds, peak RSS (also per stage) and the fluidsynth baseline
of the same score in the same run, and each total's ratio to the 3.5-minute one (the target
is a 14-minute song within 4.5x the 3:30 time, in the same memory bound).

Usage::

    python benchmarks/scaling.py [--quick] [--seed 1]

``--quick`` stops at 3.5 minutes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
LENGTHS = ("1:00", "3:30", "7:00", "14:00")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="stop at 3.5 minutes")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    runs = {}
    for length in LENGTHS[:2] if args.quick else LENGTHS:
        out = subprocess.run([sys.executable, str(HERE / "e2e.py"), "--duration", length, "--seed", str(args.seed)],
                             check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        runs[length] = json.loads(out)
    base = runs["3:30"]["total_seconds"]
    print(json.dumps({
        "benchmark": "scaling",
        "baseline": "the 3:30 run (ratio_to_3_30), and fluidsynth per length in each run",
        "runs": {length: {key: r[key] for key in ("song_seconds", "total_seconds", "total_cpu_seconds", "stage_seconds", "peak_rss_mb", "stage_peak_rss_mb",
                                                   "fluidsynth_seconds", "ratio_to_fluidsynth")}
                 | {"ratio_to_3_30": round(r["total_seconds"] / base, 2)} for length, r in runs.items()},
        "max_peak_rss_mb": max(r["peak_rss_mb"] for r in runs.values()),
    }))


if __name__ == "__main__":
    main()
