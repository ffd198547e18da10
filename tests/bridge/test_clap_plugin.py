"""The CLAP plugin in a minimal C host (tests/clap_host/host.c), under ASan + UBSan, against lemm's bridge.

The host checks entry, factory, descriptor and extensions, activates the plugin at
48 kHz / 256 frames and runs 10,000 process calls with a playing transport and notes
after the bridge's stem arrived; it compares every output sample with the stem at the
transport's song position, and reads the plugin's audio-thread audit (allocations,
locks, blocking calls counted by link-time wrappers in the test build). LeakSanitizer
checks for leaks when the host exits.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from lemm.bridge.server import write_token_file

ROOT = Path(__file__).resolve().parents[2]
BLOCKS = 10_000

pytestmark = pytest.mark.skipif(shutil.which("cmake") is None or shutil.which("gcc") is None, reason="needs cmake and gcc")


@pytest.fixture(scope="module")
def host_build(tmp_path_factory) -> Path:
    build = tmp_path_factory.mktemp("clap_build")
    subprocess.run(["cmake", "-S", str(ROOT / "tests" / "clap_host"), "-B", str(build), "-DCMAKE_BUILD_TYPE=Debug",
                    f"-DLEMM_PLUGIN_DIR={ROOT / 'plugins' / 'clap'}"], check=True, capture_output=True)
    subprocess.run(["cmake", "--build", str(build), "--parallel", "2"], check=True, capture_output=True)
    return build


def _run_host(build: Path, expected: Path, channels: int, blocks: int, env: dict[str, str]) -> tuple[subprocess.CompletedProcess, dict]:
    env = {**os.environ, "ASAN_OPTIONS": "detect_leaks=1:halt_on_error=1", "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1", **env}
    run = subprocess.run([str(build / "clap_host"), str(build / "plugin" / "lemm.clap"), str(expected), str(channels), str(blocks)],
                         env=env, capture_output=True, text=True, timeout=300, check=False)
    summary = [line for line in run.stdout.splitlines() if line.startswith("blocks=")]
    results = dict(item.split("=") for item in summary[-1].split()) if summary else {}
    return run, results


def test_plugin_plays_the_stem_in_sync_without_touching_the_allocator(host_build, bridge, bridge_song, tmp_path):
    audio, rate = sf.read(str(bridge_song / "mix.wav"), dtype="float32", always_2d=True)  # what the bridge sends for "mix"
    expected = tmp_path / "expected.f32"
    audio.astype("<f4").tofile(expected)
    token_file = write_token_file(tmp_path / "bridge", port=bridge.port, token=bridge.token)
    run, r = _run_host(host_build, expected, audio.shape[1], BLOCKS, {"LEMM_BRIDGE_FILE": str(token_file), "LEMM_BRIDGE_TRACK": "mix"})
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
    for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error", "check failed"):
        assert marker not in run.stderr, run.stderr[-4000:]
    assert int(r["compared"]) == BLOCKS and int(r["failures"]) == 0 and int(r["connected"]) == 1
    assert int(r["mismatches"]) == 0 and float(r["max_diff"]) == 0.0  # every sample is the stem's at the song position
    assert (int(r["allocs"]), int(r["locks"]), int(r["syscalls"])) == (0, 0, 0)
    assert int(r["notes_sent"]) == int(r["notes_in"]) > 0
    # what the DAW told lemm: the host's transport and its notes at their song positions
    assert bridge.state.transport["tempo_bpm"] == 123.0 and bridge.state.transport["time_signature"] == [3, 4]
    sent = [tuple(int(x) for x in m.groups()) for m in re.finditer(r"^note=(\d+),(\d+)$", run.stdout, re.MULTILINE)]
    with bridge.state.lock:
        ons = [(round(seconds * rate), pitch) for seconds, pitch, velocity, on, _ in bridge.state.notes if on]
        offs = [(round(seconds * rate), pitch) for seconds, pitch, velocity, on, _ in bridge.state.notes if not on]
    assert ons == sent
    assert offs == [(frame + 100, pitch) for frame, pitch in sent]
    assert bridge.counts.get("render") == 1


def test_audit_counts_an_allocation_made_on_purpose(host_build, bridge, bridge_song, tmp_path):
    """The audit can fail: the test build's self-test allocates in process(), and the count shows it."""
    audio, _ = sf.read(str(bridge_song / "mix.wav"), dtype="float32", always_2d=True)
    expected = tmp_path / "expected.f32"
    audio.astype("<f4").tofile(expected)
    token_file = write_token_file(tmp_path / "bridge", port=bridge.port, token=bridge.token)
    run, r = _run_host(host_build, expected, audio.shape[1], 20, {"LEMM_BRIDGE_FILE": str(token_file), "LEMM_CLAP_AUDIT_SELFTEST": "1"})
    assert run.returncode == 0, run.stderr[-4000:]
    assert int(r["allocs"]) >= 2 * int(r["blocks"]) > 0  # a malloc and a free per block
    assert np.isfinite(float(r["max_diff"]))
