"""lemm bridge: loopback only, token required, malformed input survived, a regenerate round trip returns the new stem."""

from __future__ import annotations

import io
import json
import os
import socket
import stat
import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from lemm.bridge.client import BridgeClient, read_token_file, stem_audio
from lemm.bridge.protocol import PROTOCOL_VERSION, ProtocolError, encode_frame
from lemm.bridge.server import BridgeServer, SongFolderBackend, write_token_file
from lemm.errors import ParameterError


def _alive(server) -> bool:
    with BridgeClient.connect(port=server.port, token=server.token) as c:
        (reply, _), = c.request({"type": "ping"})
        return c.welcome["type"] == "welcome" and reply["type"] == "pong"


def _raw(server, data: bytes) -> list[dict]:
    return _raw_port(server.port, data)


def test_binds_loopback_only(bridge_song):
    for host in ("0.0.0.0", "", "::", "localhost", "192.168.1.2"):
        with pytest.raises(ParameterError, match="127.0.0.1"):
            BridgeServer(SongFolderBackend(bridge_song), host=host)
    server = BridgeServer(SongFolderBackend(bridge_song))
    try:
        assert server.server_address[0] == "127.0.0.1" and server.port > 0
    finally:
        server.server_close()


def test_token_file_is_private_and_tokens_are_fresh(tmp_path, bridge_song):
    a, b = BridgeServer(SongFolderBackend(bridge_song)), BridgeServer(SongFolderBackend(bridge_song))
    try:
        assert a.token != b.token and len(a.token) == 32
        path = write_token_file(tmp_path / "run" / "bridge", port=a.port, token=a.token)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert read_token_file(path) == (a.port, a.token)
    finally:
        a.server_close()
        b.server_close()


def test_wrong_or_missing_token_is_refused(bridge):
    hello = {"type": "hello", "protocol": PROTOCOL_VERSION}
    for header in ({**hello, "token": "0" * 32}, {**hello, "token": bridge.token[:-1]}, hello, {**hello, "token": 7},
                   {"type": "render", "track": "mix", "token": bridge.token}, {"type": "ping"}):
        replies = _raw(bridge, encode_frame(header) + encode_frame({"type": "render", "track": "mix"}))
        assert [r["code"] for r in replies] == ["unauthorized"], header  # refused, nothing served, closed
    assert bridge.counts["refused"] == 6 and "render" not in bridge.counts
    replies = _raw(bridge, encode_frame({**hello, "token": bridge.token, "protocol": 99}))
    assert [r["code"] for r in replies] == ["version"]
    with BridgeClient.connect(port=bridge.port, token=bridge.token) as c:
        assert c.welcome["type"] == "welcome" and "bass" in c.welcome["tracks"]


def test_fuzzed_frames_never_stop_it(bridge):
    rng = np.random.default_rng(26)
    hello = encode_frame({"type": "hello", "protocol": PROTOCOL_VERSION, "token": bridge.token})
    valid = [{"type": "transport", "playing": True, "song_position_seconds": 1.0, "tempo_bpm": 120.0},
             {"type": "notes", "events": [[0.5, 60, 100, True, 0]]}, {"type": "render", "track": "mix"}, {"type": "ping"}]
    junk_values = [None, True, -1, 2**70, 1e308, "x" * 300, [], {}, [[1, 2]], [[0.1, 60, 100, True, 99]], "NaN", -0.0]
    for case in range(100):
        choice = case % 5
        if choice == 0:  # random bytes
            data = rng.integers(0, 256, rng.integers(1, 64), dtype=np.uint8).tobytes()
        elif choice == 1:  # sizes that lie
            data = struct.pack(">II", int(rng.integers(0, 2**32)), int(rng.integers(0, 2**32))) + b"{}"
        elif choice == 2:  # valid frame, non-JSON or non-object header
            body = [b"\xff\xfe", b"[1,2]", b'{"type": 5}', b"NaN", b'{"type":"ping","x":Infinity}', b"{" * 5000][case // 5 % 6]
            data = hello + struct.pack(">II", len(body), 0) + body
        elif choice == 3:  # authorised, a real message with fields swapped for junk
            message = dict(valid[int(rng.integers(len(valid)))])
            key = list(message)[int(rng.integers(len(message)))]
            message[key] = junk_values[int(rng.integers(len(junk_values)))]
            data = hello + encode_frame(message) if isinstance(message["type"], str) else hello
        else:  # authorised, truncated frame
            frame = encode_frame(valid[int(rng.integers(len(valid)))])
            data = hello + frame[: int(rng.integers(1, len(frame)))]
        replies = _raw(bridge, data)
        assert all(r.get("type") in {"welcome", "error", "pong", "stem", "midi"} for r in replies), (case, replies)
    assert _alive(bridge)
    with bridge.state.lock:
        assert all(0 <= p <= 127 and 0 <= ch <= 15 for _, p, _, _, ch in bridge.state.notes)


def test_transport_notes_and_guide_reach_lemm(bridge, bridge_song):
    import mido

    with BridgeClient.connect(port=bridge.port, token=bridge.token) as c:
        c.send({"type": "transport", "playing": True, "song_position_seconds": 2.5, "song_position_beats": 5.0,
                "tempo_bpm": 120.0, "time_signature": [3, 4]})
        c.send({"type": "notes", "events": [[0.5, 60, 100, True, 0], [1.0, 60, 0, False, 0], [1.0, 64, 90, True, 0], [1.5, 64, 0, False, 0]]})
        tone = (0.25 * np.sin(np.arange(4800) / 48000 * 2 * np.pi * 440)).astype("<f4")
        c.send({"type": "guide_audio", "song_position_seconds": 1.0, "sample_rate": 48000, "channels": 1}, tone.tobytes())
        (saved, _), = c.request({"type": "save_guide", "id": 3})
    assert bridge.state.transport["tempo_bpm"] == 120.0 and bridge.state.transport["time_signature"] == [3, 4]
    assert saved == {"type": "saved", "files": ["bridge/guide.mid", "bridge/guide.wav"], "id": 3}
    midi = mido.MidiFile(str(bridge_song / "bridge" / "guide.mid"))
    ons, now = [], 0.0
    for message in midi:
        now += message.time
        if message.type == "note_on" and message.velocity > 0:
            ons.append((round(now, 6), message.note))
    assert ons == [(0.5, 60), (1.0, 64)]
    audio, rate = sf.read(str(bridge_song / "bridge" / "guide.wav"), always_2d=True)
    assert rate == 48000 and audio.shape[0] == 48000 + 4800
    np.testing.assert_allclose(audio[48000:, 0], tone, atol=1e-4)


def test_render_sends_the_file_with_its_position(bridge, bridge_song):
    with BridgeClient.connect(port=bridge.port, token=bridge.token) as c:
        (stem, payload), (midi, smf) = c.request({"type": "render", "track": "bass", "id": "a"}, replies=2)
        (error, _), = c.request({"type": "render", "track": "nope"})
    on_disk, _ = sf.read(str(bridge_song / "stems" / "bass.wav"), dtype="float32", always_2d=True)
    assert stem["song_position_seconds"] == 0.0 and stem["id"] == "a"
    np.testing.assert_array_equal(stem_audio(stem, payload), on_disk.T)
    assert midi["type"] == "midi" and smf[:4] == b"MThd"
    assert error["type"] == "error" and "bass" in error["message"]


def test_regenerate_round_trip_returns_the_new_stem(bridge, bridge_song):
    import mido

    song = json.loads((bridge_song / "song.json").read_text())
    section = song["score"]["sections"][-1]["name"]
    before, _ = sf.read(str(bridge_song / "stems" / "bass.wav"), dtype="float32", always_2d=True)
    with BridgeClient.connect(port=bridge.port, token=bridge.token) as c:
        (stem, payload), (midi, smf) = c.request({"type": "regenerate", "track": "bass", "section": section, "seed": 1234, "id": 9},
                                                 replies=2)
    assert stem["type"] == "stem", stem
    after, _ = sf.read(str(bridge_song / "stems" / "bass.wav"), dtype="float32", always_2d=True)
    received = stem_audio(stem, payload)
    np.testing.assert_array_equal(received, after.T)  # the new stem, as the folder now holds it
    assert (stem["seed"], stem["id"], stem["section"]) == (1234, 9, section)
    start, end = (round(stem[k] * 48000) for k in ("section_start_seconds", "section_end_seconds"))
    assert np.max(np.abs(after[start:end] - before[start:end])) > 1e-3  # the section changed
    notes = [m for m in mido.MidiFile(file=io.BytesIO(smf)) if m.type == "note_on" and m.velocity > 0]
    score = json.loads((bridge_song / "song.json").read_text())["score"]
    bass = next(t for t in score["tracks"] if t["name"] == "bass")
    assert len(notes) == len(bass["notes"]) and midi["seed"] == 1234


def test_lemm_bridge_command(bridge_song, tmp_path, capsys):
    import signal
    import subprocess
    import sys
    import time

    from lemm.cli import main

    assert main(["bridge", str(bridge_song), "--host", "0.0.0.0", "--token-file", str(tmp_path / "t")]) == 2
    assert "127.0.0.1" in capsys.readouterr().err and not (tmp_path / "t").exists()

    token_file = tmp_path / "run" / "bridge"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    # `python -m lemm.cli bridge ...` with Ctrl-C as a terminal gives it: a runner started in the background of a
    # non-interactive shell (CI) has SIGINT ignored, and a child inherits that, so the test sets it back first.
    run_cli = ("import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
               "sys.argv[0] = 'lemm'; runpy.run_module('lemm.cli', run_name='__main__')")
    process = subprocess.Popen([sys.executable, "-c", run_cli, "bridge", str(bridge_song), "--token-file", str(token_file)],
                               env=env, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(2400):  # the command writes the file once it listens (a loaded machine may take long to start Python)
            if token_file.exists() or process.poll() is not None:
                break
            time.sleep(0.05)
        assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
        port, token = read_token_file(token_file)
        assert _raw_port(port, encode_frame({"type": "hello", "protocol": PROTOCOL_VERSION, "token": "0" * 32}))[0]["code"] == "unauthorized"
        with BridgeClient.connect(port=port, token=token) as c:
            assert c.welcome["type"] == "welcome"
            (pong, _), = c.request({"type": "ping"})
            assert pong["type"] == "pong"
    finally:
        process.send_signal(signal.SIGINT)
        try:  # communicate, not wait: stderr is drained while the bridge stops (a full pipe would block it)
            _, err = process.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            _, err = process.communicate()
            pytest.fail(f"lemm bridge did not stop within 120 s of Ctrl-C; its stderr:\n{err[-4000:]}")
    assert process.returncode == 0, err[-4000:]
    assert "127.0.0.1:" in err


def _raw_port(port: int, data: bytes) -> list[dict]:
    """Send raw bytes on a fresh connection, half-close, and read every frame the bridge answers until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        client = BridgeClient(sock)
        out = []
        while True:
            try:
                out.append(client.receive()[0])
            except (ProtocolError, OSError):
                return out
