"""The CLAP plugin in a minimal C host (tests/clap_host/host.c), under ASan + UBSan, against lemm's bridge.

The host checks entry, factory, descriptor and extensions, activates the plugin at
48 kHz / 256 frames and runs 10,000 process calls with a playing transport and notes
after the bridge's stem arrived; it compares every output sample with the stem at the
transport's song position, and reads the plugin's audio-thread audit (allocations,
locks, blocking calls counted by link-time wrappers in the test build). LeakSanitizer
checks for leaks when the host exits.
"""

from __future__ import annotations

import json
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


def test_a_regenerated_stem_replaces_the_playing_one(host_build, bridge, bridge_song, tmp_path):
    """Another client regenerates the bass; the bridge pushes the new mix to the plugin, which swaps it in at a block boundary."""
    import threading

    from lemm.bridge.client import BridgeClient

    before, _ = sf.read(str(bridge_song / "mix.wav"), dtype="float32", always_2d=True)
    expected = tmp_path / "expected.f32"
    before.astype("<f4").tofile(expected)
    token_file = write_token_file(tmp_path / "bridge", port=bridge.port, token=bridge.token)
    dump = tmp_path / "after.bin"
    env = {**os.environ, "ASAN_OPTIONS": "detect_leaks=1:halt_on_error=1", "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1",
           "LEMM_BRIDGE_FILE": str(token_file)}
    host = subprocess.Popen([str(host_build / "clap_host"), str(host_build / "plugin" / "lemm.clap"), str(expected), str(before.shape[1]),
                             "500", "2", str(dump)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    output: list[str] = []
    ready = threading.Event()

    def read() -> None:
        for line in host.stdout:
            output.append(line)
            if line.strip() == "ready":
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert ready.wait(120), "the first stem never played"
        section = json.loads((bridge_song / "song.json").read_text())["score"]["sections"][0]["name"]
        with BridgeClient.connect(port=bridge.port, token=bridge.token) as client:
            (stem, _), _ = client.request({"type": "regenerate", "track": "bass", "section": section, "seed": 777}, replies=2)
        assert stem["type"] == "stem", stem
        host.wait(timeout=240)
    finally:
        if host.poll() is None:
            host.kill()
        reader.join(timeout=10)
    stderr = host.stderr.read()
    assert host.returncode == 0, "".join(output)[-2000:] + stderr[-4000:]
    summary = dict(item.split("=") for item in output[-1].split())
    assert int(summary["mismatches"]) == 0 and int(summary["stems"]) == 2 and int(summary["allocs"]) == 0
    after, _ = sf.read(str(bridge_song / "mix.wav"), dtype="float32", always_2d=True)
    assert np.max(np.abs(after - before)) > 1e-3  # the regeneration changed the mix
    record = np.dtype([("frame", "<i8"), ("left", "<f4", 256), ("right", "<f4", 256)])
    blocks = np.fromfile(dump, dtype=record)
    assert len(blocks) == int(summary["dumped"]) >= 2000
    padded = np.vstack([after, np.zeros((256 * 8, after.shape[1]), np.float32)])
    for block in blocks:
        want = padded[block["frame"]:block["frame"] + 256]
        np.testing.assert_array_equal(block["left"], want[:, 0])
        np.testing.assert_array_equal(block["right"], want[:, 1])


def test_the_plugin_shows_a_refused_token_and_a_missing_bridge(host_build, bridge, tmp_path):
    expected = tmp_path / "expected.f32"
    np.zeros(512, "<f4").tofile(expected)
    wrong = write_token_file(tmp_path / "wrong", port=bridge.port, token="f" * 32)
    run, _ = _run_host(host_build, expected, 2, 0, {"LEMM_BRIDGE_FILE": str(wrong)})
    assert run.returncode == 0 and run.stdout.strip().endswith("connection=refused failures=0"), run.stdout + run.stderr[-3000:]
    assert bridge.counts.get("refused", 0) >= 1 and "sessions" not in bridge.counts
    missing = tmp_path / "no-such-file"
    run, _ = _run_host(host_build, expected, 2, 0, {"LEMM_BRIDGE_FILE": str(missing)})
    assert run.returncode == 0 and run.stdout.strip().endswith("connection=no bridge failures=0"), run.stdout + run.stderr[-3000:]
