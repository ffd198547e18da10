"""``lemm bridge``: a loopback server that lets a DAW companion (the CLAP plugin, a script) talk to a song folder.

- It binds 127.0.0.1 only (:func:`check_host` refuses anything else).
- Each session has a random token (:func:`new_token`, from :mod:`secrets`),
  written with the port to a file only its owner can read (:func:`write_token_file`, mode 0600).
- A connection's first message must be ``hello`` with that token and the
  protocol version; anything else, or a wrong token, is answered with an
  ``error`` (code ``unauthorized``) and the connection is closed.
- A malformed frame or message is answered with an ``error`` naming the rule
  broken; a frame whose sizes cannot be trusted closes that connection. No
  message can stop the server.

What the messages mean (``docs/bridge.md`` has every field):

====================  =====================================================================
from the DAW          the bridge
====================  =====================================================================
``hello``             checks token and version, answers ``welcome`` (tracks, sections, tempo)
``transport``         keeps the DAW's play state, position and tempo (:attr:`BridgeState.transport`)
``notes``             keeps guide notes (song positions in seconds) for ``save_guide``
``guide_audio``       keeps guide audio (float32 payload at a song position)
``save_guide``        writes ``bridge/guide.mid`` / ``bridge/guide.wav`` into the song folder
``render``            sends the current ``stem`` (and ``midi``) of a track, or the mix; with ``subscribe`` also after each regeneration
``regenerate``        regenerates a track in a section, re-renders the song folder, sends the new ``stem`` and ``midi``,
                      and pushes the new stems to the other sessions that subscribed
``ping``              ``pong``
====================  =====================================================================
"""

from __future__ import annotations

import hmac
import os
import secrets
import socket
import socketserver
import threading
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dc_field
from pathlib import Path
from typing import Any

import numpy as np

from lemm.bridge.protocol import (
    MAX_CLIENT_PAYLOAD_BYTES,
    PROTOCOL_VERSION,
    ProtocolError,
    decode_header,
    encode_frame,
    field,
    frame_sizes,
)
from lemm.compose.regen import regenerate
from lemm.errors import LemmError, ParameterError
from lemm.io.atomic import atomic_path
from lemm.io.audio import write_audio
from lemm.score.midi import score_to_midi
from lemm.score.timing import ticks_to_seconds
from lemm.seeding import check_seed, derive_seed
from lemm.song import load, read_song_json, rerender_song_folder

__all__ = ["LOOPBACK_HOST", "BridgeServer", "BridgeState", "SongFolderBackend", "check_host", "new_token", "write_token_file"]

#: The only address the bridge binds.
LOOPBACK_HOST = "127.0.0.1"
#: Most guide note events kept (older ones are dropped first).
MAX_GUIDE_NOTES = 100_000
#: Most guide audio kept, in samples per channel (10 minutes at 48 kHz).
MAX_GUIDE_SAMPLES = 48000 * 600


def check_host(host: str) -> str:
    """``host`` if it is the loopback address 127.0.0.1, else a ParameterError (the bridge never listens outside).

    >>> check_host("127.0.0.1")
    '127.0.0.1'
    """
    if host != LOOPBACK_HOST:
        raise ParameterError.for_field("bridge host", host, f"{LOOPBACK_HOST} (the bridge binds the loopback address only)")
    return host


def new_token() -> str:
    """A fresh session token: 32 hex digits from :func:`secrets.token_hex`."""
    return secrets.token_hex(16)


def write_token_file(path: str | os.PathLike, *, port: int, token: str) -> Path:
    """Write ``lemm-bridge 1`` / ``host`` / ``port`` / ``token`` lines to ``path``, readable by its owner only (0600), atomically."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(f"lemm-bridge {PROTOCOL_VERSION}\nhost {LOOPBACK_HOST}\nport {int(port)}\ntoken {token}\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return target


@dataclass
class BridgeState:
    """What the DAW has told the bridge: the latest transport, guide notes and guide audio (guarded by ``lock``)."""

    transport: dict[str, Any] = dc_field(default_factory=dict)
    notes: list[tuple[float, int, int, bool, int]] = dc_field(default_factory=list)
    guide_audio: list[tuple[float, int, np.ndarray]] = dc_field(default_factory=list)
    lock: threading.Lock = dc_field(default_factory=threading.Lock, repr=False)


class SongFolderBackend:
    """The song-folder side of the bridge: reads stems, MIDI and facts, regenerates parts.

    Parameters
    ----------
    folder : path
        A song folder written by ``lemm compose``.
    """

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)
        read_song_json(self.folder)  # fails early, naming the folder, if it is not a song folder
        self.lock = threading.Lock()  # one regeneration (or read during one) at a time

    def facts(self) -> dict[str, Any]:
        """Tracks, sections (with their seconds), tempo and sample rate, for ``welcome``."""
        song = read_song_json(self.folder)
        s = song.score
        return {
            "title": s.title,
            "tracks": [t.name for t in s.tracks],
            "sections": [{"name": x.name, "start_seconds": float(ticks_to_seconds(s, x.start_tick)),
                          "end_seconds": float(ticks_to_seconds(s, x.end_tick))} for x in s.sections],
            "tempo_bpm": float(s.tempos[0].tempo_bpm),
            "sample_rate": int(song.render_settings.sample_rate),
        }

    def stem(self, track: str, *, kind: str = "stem") -> tuple[dict[str, Any], bytes]:
        """A ``stem`` message: the file's samples as written, float32 interleaved, from song position 0 s."""
        import soundfile as sf

        names = [t.name for t in read_song_json(self.folder).score.tracks]
        if track == "mix":
            path = self.folder / "mix.wav"
        elif track not in names:
            raise ProtocolError(f"track must be \"mix\" or one of the song's tracks ({', '.join(names)}), got {track!r:.80}")
        elif kind == "printed":
            flac = self.folder / "printed" / f"{track}.flac"
            path = flac if flac.is_file() else self.folder / "printed" / f"{track}.wav"  # an older folder's WAV
        elif kind == "stem":
            path = self.folder / "stems" / f"{track}.wav"
        else:
            raise ProtocolError(f"kind must be \"stem\" or \"printed\", got {kind!r:.40}")
        audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
        header = {"type": "stem", "track": track, "kind": kind if track != "mix" else "mix", "song_position_seconds": 0.0,
                  "sample_rate": int(rate), "channels": int(audio.shape[1]), "frames": int(audio.shape[0]), "format": "f32le"}
        return header, np.ascontiguousarray(audio, dtype="<f4").tobytes()

    def midi(self, track: str) -> tuple[dict[str, Any], bytes]:
        """A ``midi`` message: a Standard MIDI File of the track's notes with the song's tempo map, from song position 0 s."""
        import dataclasses
        import io

        score = read_song_json(self.folder).score
        buffer = io.BytesIO()
        score_to_midi(dataclasses.replace(score, tracks=(score.track(track),))).save(file=buffer)
        return {"type": "midi", "track": track, "song_position_seconds": 0.0, "format": "smf"}, buffer.getvalue()

    def regenerate(self, track: str, section: str, *, seed: int | None) -> int:
        """Regenerate ``track`` in ``section`` and re-render the folder (as ``lemm regen``); returns the seed used."""
        song = load(self.folder)
        used = derive_seed(song.seed, "regen", track, section) if seed is None else check_seed(seed)
        score = regenerate(song.score, song.plan, track=track, section=section, seed=used, lyrics=song.brief.lyrics)
        rerender_song_folder(song.with_score(score), self.folder, action=f"bridge regen {track} in {section} (seed {used})")
        return used

    def save_guide(self, state: BridgeState, *, sample_rate: int) -> list[str]:
        """Write the guide notes (``bridge/guide.mid``, 480 ticks per beat at 120 bpm) and audio (``bridge/guide.wav``)."""
        import mido

        out = self.folder / "bridge"
        out.mkdir(exist_ok=True)
        with state.lock:
            notes = sorted(state.notes)
            chunks = list(state.guide_audio)
        written = []
        if notes:
            midi = mido.MidiFile(ticks_per_beat=480)
            part = mido.MidiTrack()
            midi.tracks.append(part)
            now = 0
            for seconds, pitch, velocity, on, channel in notes:
                tick = max(now, round(seconds * 960))  # 120 bpm: 960 ticks per second
                kind = "note_on" if on else "note_off"
                part.append(mido.Message(kind, note=pitch, velocity=velocity if on else 0, channel=channel, time=tick - now))
                now = tick
            with atomic_path(out / "guide.mid") as tmp:
                midi.save(str(tmp))
            written.append("bridge/guide.mid")
        if chunks:
            end = max(round(start * sample_rate) + a.shape[1] for start, _, a in chunks)
            audio = np.zeros((2, end), np.float32)
            for start, _, a in chunks:
                first = round(start * sample_rate)
                audio[:, first:first + a.shape[1]] += a if a.shape[0] == 2 else np.vstack([a, a])
            write_audio(out / "guide.wav", audio, sample_rate=sample_rate)
            written.append("bridge/guide.wav")
        return written


def _request_id(header: dict[str, Any]) -> int | str | None:
    """The request's ``id`` echoed in replies: an integer or a short string, else None."""
    value = header.get("id")
    if isinstance(value, int) and not isinstance(value, bool) and -2**53 <= value <= 2**53:
        return value
    return value if isinstance(value, str) and len(value) <= 100 else None


class _Refused(Exception):
    """The connection must close after the error already sent."""


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(min(n - got, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


class _Handler(socketserver.BaseRequestHandler):
    server: BridgeServer

    def setup(self) -> None:
        self.send_lock = threading.Lock()  # replies and pushes from other sessions' regenerations share the socket

    def finish(self) -> None:
        self.server.unsubscribe(self)

    def send(self, header: dict[str, Any], payload: bytes = b"") -> None:
        frame = encode_frame(header, payload)
        with self.send_lock:
            self.request.sendall(frame)

    def error(self, code: str, message: str, request_id: int | str | None = None) -> None:
        reply = {"type": "error", "code": code, "message": message[:500]}
        if request_id is not None:
            reply["id"] = request_id
        self.send(reply)

    def handle(self) -> None:  # one connection
        self.request.settimeout(self.server.hello_timeout_seconds)  # a silent stranger does not hold a thread for long
        authorized = False
        try:
            while True:
                prefix = _recv_exact(self.request, 8)
                if prefix is None:
                    return
                try:
                    header_bytes, payload_bytes = frame_sizes(prefix, max_payload_bytes=MAX_CLIENT_PAYLOAD_BYTES)
                except ProtocolError as err:  # the stream cannot be resynchronised
                    self.error("bad_frame", str(err))
                    return
                body = _recv_exact(self.request, header_bytes + payload_bytes)
                if body is None:
                    return
                try:
                    header = decode_header(body[:header_bytes])
                except ProtocolError as err:
                    self.error("bad_message", str(err))
                    if not authorized:
                        return
                    continue
                if not authorized:
                    authorized = self._hello(header)  # raises _Refused
                    self.request.settimeout(self.server.idle_timeout_seconds)
                    continue
                try:
                    self.server.dispatch(self, header, body[header_bytes:])
                except ProtocolError as err:
                    self.error("bad_message", str(err), _request_id(header))
                except LemmError as err:
                    self.error("failed", f"{type(err).__name__}: {err}", _request_id(header))
        except (_Refused, OSError):
            return
        except Exception as err:  # noqa: BLE001 - a bug must not take the server down; the client is told
            try:
                self.error("internal", f"{type(err).__name__}: {err}")
            except OSError:
                pass

    def _hello(self, header: dict[str, Any]) -> bool:
        token = header.get("token")
        if header.get("type") != "hello" or not isinstance(token, str) or not hmac.compare_digest(
            token.encode("utf-8", "replace"), self.server.token.encode("ascii")
        ):
            self.server.count("refused")
            self.error("unauthorized", "the first message must be hello with this session's token")
            raise _Refused
        if header.get("protocol") != PROTOCOL_VERSION:
            self.error("version", f"protocol must be {PROTOCOL_VERSION}, got {header.get('protocol')!r:.40}")
            raise _Refused
        self.server.count("sessions")
        self.send({"type": "welcome", "protocol": PROTOCOL_VERSION, "server": "lemm", **self.server.backend.facts()})
        return True


class BridgeServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    """The bridge: a threading TCP server on 127.0.0.1 with a session token.

    Parameters
    ----------
    backend : SongFolderBackend
        The song folder it serves.
    host : str
        Must be ``"127.0.0.1"``.
    port : int
        0 picks a free port (read :attr:`port`).
    token : str or None
        None makes a new one (:func:`new_token`).

    Examples
    --------
    >>> BridgeServer(None, host="0.0.0.0")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    lemm.errors.ParameterError: bridge host must be 127.0.0.1 ...
    """

    daemon_threads = True
    allow_reuse_address = True
    idle_timeout_seconds = 600.0
    hello_timeout_seconds = 10.0

    def __init__(self, backend: Any, *, host: str = LOOPBACK_HOST, port: int = 0, token: str | None = None) -> None:
        check_host(host)
        if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
            raise ParameterError.for_field("bridge port", port, "an integer in 0..65535 (0: any free port)")
        self.backend = backend
        self.token = new_token() if token is None else token
        if not isinstance(self.token, str) or len(self.token) < 16:
            raise ParameterError.for_field("bridge token", "<hidden>", "a string of at least 16 characters")
        self.state = BridgeState()
        self.subscribers: dict[_Handler, set[tuple[str, str]]] = {}
        self._subscribers_lock = threading.Lock()
        self.counts: dict[str, int] = {}
        self._counts_lock = threading.Lock()
        self.handlers: dict[str, Callable[[_Handler, dict[str, Any], bytes], None]] = {
            "transport": self._transport, "notes": self._notes, "guide_audio": self._guide_audio, "save_guide": self._save_guide,
            "render": self._render, "regenerate": self._regenerate, "ping": self._ping, "hello": self._ping,
        }
        super().__init__((host, port), _Handler)

    @property
    def port(self) -> int:
        """The TCP port listened on."""
        return int(self.server_address[1])

    def count(self, what: str) -> None:
        with self._counts_lock:
            self.counts[what] = self.counts.get(what, 0) + 1

    def dispatch(self, handler: _Handler, header: dict[str, Any], payload: bytes) -> None:
        kind = header["type"]
        if kind not in self.handlers:
            raise ProtocolError(f"message type must be one of {', '.join(sorted(self.handlers))}, got {kind!r:.40}")
        self.count(kind)
        self.handlers[kind](handler, header, payload)

    # -- messages ---------------------------------------------------------------------------------
    def _ping(self, handler: _Handler, header: dict[str, Any], payload: bytes) -> None:  # noqa: ARG002  (every message handler takes handler, header, payload)
        handler.send({"type": "pong", "protocol": PROTOCOL_VERSION})

    def _transport(self, handler: _Handler, header: dict[str, Any], payload: bytes) -> None:  # noqa: ARG002  (every message handler takes handler, header, payload)
        signature = field(header, "time_signature", list, default=[4, 4])
        if len(signature) != 2 or not all(isinstance(x, int) and not isinstance(x, bool) and 1 <= x <= 64 for x in signature):
            raise ProtocolError(f"time_signature must be [numerator, denominator] in 1..64, got {signature!r:.40}")
        transport = {
            "playing": field(header, "playing", bool),
            "song_position_seconds": float(field(header, "song_position_seconds", (int, float), minimum=-1e6, maximum=1e7)),
            "song_position_beats": float(field(header, "song_position_beats", (int, float), default=0.0, minimum=-1e7, maximum=1e8)),
            "tempo_bpm": float(field(header, "tempo_bpm", (int, float), minimum=1.0, maximum=1000.0)),
            "time_signature": list(signature),
        }
        with self.state.lock:
            self.state.transport = transport

    def _notes(self, handler: _Handler, header: dict[str, Any], payload: bytes) -> None:  # noqa: ARG002  (every message handler takes handler, header, payload)
        events = field(header, "events", list)
        parsed = []
        for e in events:
            if not (isinstance(e, list) and len(e) == 5):
                raise ProtocolError(f"each note event must be [song_position_seconds, pitch, velocity, on, channel], got {e!r:.60}")
            seconds, pitch, velocity, on, channel = e
            ok = (isinstance(seconds, (int, float)) and not isinstance(seconds, bool) and -1e6 <= seconds <= 1e7
                  and all(isinstance(x, int) and not isinstance(x, bool) for x in (pitch, velocity, channel))
                  and 0 <= pitch <= 127 and 0 <= velocity <= 127 and 0 <= channel <= 15 and isinstance(on, bool))
            if not ok:
                raise ProtocolError(f"note event out of range (seconds, pitch 0..127, velocity 0..127, bool, channel 0..15): {e!r:.60}")
            parsed.append((float(seconds), pitch, velocity, on, channel))
        with self.state.lock:
            self.state.notes.extend(parsed)
            del self.state.notes[:-MAX_GUIDE_NOTES]

    def _guide_audio(self, handler: _Handler, header: dict[str, Any], payload: bytes) -> None:  # noqa: ARG002  (every message handler takes handler, header, payload)
        channels = field(header, "channels", int, minimum=1, maximum=2)
        field(header, "sample_rate", int, minimum=8000, maximum=384000)
        start = float(field(header, "song_position_seconds", (int, float), minimum=0.0, maximum=1e5))
        if len(payload) % (4 * channels):
            raise ProtocolError(f"guide_audio payload must be whole float32 frames of {channels} channel(s), got {len(payload)} bytes")
        audio = np.frombuffer(payload, dtype="<f4").reshape(-1, channels).T.astype(np.float32)
        if not np.all(np.isfinite(audio)):
            raise ProtocolError("guide_audio samples must be finite")
        with self.state.lock:
            self.state.guide_audio.append((start, channels, audio))
            while sum(a.shape[1] for _, _, a in self.state.guide_audio) > MAX_GUIDE_SAMPLES:
                self.state.guide_audio.pop(0)

    def _save_guide(self, handler: _Handler, header: dict[str, Any], payload: bytes) -> None:  # noqa: ARG002  (every message handler takes handler, header, payload)
        written = self.backend.save_guide(self.state, sample_rate=self.backend.facts()["sample_rate"])
        handler.send({"type": "saved", "files": written, "id": _request_id(header)})

    def unsubscribe(self, handler: _Handler) -> None:
        with self._subscribers_lock:
            self.subscribers.pop(handler, None)

    def _render(self, handler: _Handler, header: dict[str, Any], payload: bytes) -> None:  # noqa: ARG002  (every message handler takes handler, header, payload)
        track = field(header, "track", str)
        kind = field(header, "kind", str, default="stem")
        subscribe = field(header, "subscribe", bool, default=False)
        with self.backend.lock:
            stem_header, audio = self.backend.stem(track, kind=kind)
            midi = self.backend.midi(track) if track != "mix" else None
        if subscribe:
            with self._subscribers_lock:
                self.subscribers.setdefault(handler, set()).add((track, kind))
        handler.send({**stem_header, "id": _request_id(header)}, audio)
        if midi is not None:
            handler.send({**midi[0], "id": _request_id(header)}, midi[1])

    def _push_updates(self, regenerated: str, *, skip: _Handler) -> None:
        """After a regeneration: every other session's subscribed stems, read again (the mix changed too)."""
        with self._subscribers_lock:
            targets = [(h, sorted(subs)) for h, subs in self.subscribers.items() if h is not skip]
        for target, subscriptions in targets:
            for track, kind in subscriptions:
                with self.backend.lock:
                    stem_header, audio = self.backend.stem(track, kind=kind)
                try:
                    target.send({**stem_header, "pushed": True, "regenerated": regenerated}, audio)
                except OSError:  # that session went away; its handler unsubscribes it
                    break

    def _regenerate(self, handler: _Handler, header: dict[str, Any], payload: bytes) -> None:  # noqa: ARG002  (every message handler takes handler, header, payload)
        track = field(header, "track", str)
        section = field(header, "section", str)
        seed = field(header, "seed", int, default=None, minimum=0, maximum=2**63 - 1)
        kind = field(header, "kind", str, default="stem")
        with self.backend.lock:
            used = self.backend.regenerate(track, section, seed=seed)
            stem_header, audio = self.backend.stem(track, kind=kind)
            midi_header, midi = self.backend.midi(track)
        facts = {s["name"]: s for s in self.backend.facts()["sections"]}
        extra = {"id": _request_id(header), "seed": used, "section": section}
        if section in facts:
            extra.update(section_start_seconds=facts[section]["start_seconds"], section_end_seconds=facts[section]["end_seconds"])
        handler.send({**stem_header, **extra}, audio)
        handler.send({**midi_header, **extra}, midi)
        self._push_updates(track, skip=handler)
