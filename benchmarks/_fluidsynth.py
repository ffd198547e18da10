"""Shared by the speed benchmarks: the fluidsynth baseline and process measurements."""

from __future__ import annotations

import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")


def fluidsynth_seconds(midi: Path, *, sample_rate: int = 48000) -> float | None:
    """Wall seconds of ``fluidsynth -ni -F out.wav -r 48000 FluidR3_GM.sf2 score.mid`` (None where not installed)."""
    if shutil.which("fluidsynth") is None or not SOUNDFONT.is_file():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run(["fluidsynth", "-ni", "-F", str(Path(tmp) / "out.wav"), "-r", str(sample_rate), str(SOUNDFONT), str(midi)],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return round(time.perf_counter() - start, 3)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class Clock:
    """Wall and process-CPU seconds per named stage (the machine may be shared: CPU seconds say what lemm used)."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def run(self, name: str, fn):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        self.wall[name] = round(self.wall.get(name, 0.0) + time.perf_counter() - wall, 3)
        self.cpu[name] = round(self.cpu.get(name, 0.0) + time.process_time() - cpu, 3)
        return result
