"""Client of the speech worker: text -> spoken audio with phoneme timings.

espeak-ng (GPL-3) runs only in a separate process, the worker script
:mod:`lemm.vocals.espeak_worker`; this module starts it, sends JSON-line
requests and reads the answers with a time limit. A worker that does not
answer in time is killed and :class:`lemm.errors.WorkerError` is raised, so
the worker can never hang lemm.

Examples
--------
>>> with SpeechWorker() as worker:  # doctest: +SKIP
...     utt = worker.speak("hello world", words=("hello", "world"))
>>> utt.audio.dtype, utt.phonemes[0].name  # doctest: +SKIP
(dtype('float32'), 'h')
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lemm.errors import DependencyError, ParameterError, WorkerError

__all__ = ["PhonemeEvent", "Utterance", "SpeechWorker", "DEFAULT_VOICE"]

#: espeak-ng voice used as the speech source of the singing voices.
DEFAULT_VOICE = "en-us+klatt5"

_WORKER_PATH = Path(__file__).with_name("espeak_worker.py")


@dataclass(frozen=True)
class PhonemeEvent:
    """One spoken phoneme: espeak's name (e.g. ``"'aI"``) and its span in samples."""

    name: str
    start_sample: int
    end_sample: int


@dataclass(frozen=True)
class Utterance:
    """Spoken audio and its phonemes.

    Attributes
    ----------
    audio : np.ndarray [shape=(n_samples,)], float32 in [-1, 1]
    sample_rate : int
    phonemes : tuple[PhonemeEvent, ...]
        In time order, spans contiguous up to the end of the audio.
    word_phonemes : tuple[tuple[str, ...], ...]
        espeak's phoneme names for each requested word spoken alone.
    """

    audio: np.ndarray
    sample_rate: int
    phonemes: tuple[PhonemeEvent, ...]
    word_phonemes: tuple[tuple[str, ...], ...]


def _loader_root() -> str:
    spec = importlib.util.find_spec("espeakng_loader")
    if spec is None or not spec.submodule_search_locations:
        raise DependencyError('espeak-ng is needed for singing: pip install "espeakng-loader>=0.2.4"')
    return str(Path(list(spec.submodule_search_locations)[0]).parent)


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        try:  # the worker leads its own process group: a child speaking for it goes too
            os.killpg(proc.pid, signal.SIGKILL)
        except (AttributeError, OSError):
            proc.kill()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover
        pass
    for stream in (proc.stdin, proc.stdout):
        try:
            if stream is not None:
                stream.close()
        except OSError:  # pragma: no cover
            pass


def _pump(stream, out: queue.Queue) -> None:
    """Reader thread: forward the worker's lines; ``None`` marks the end."""
    try:
        for line in stream:
            out.put(line)
    except (OSError, ValueError):
        pass
    out.put(None)


class SpeechWorker:
    """A running espeak-ng worker process; use as a context manager.

    Parameters
    ----------
    timeout_seconds : float
        Longest wait for the worker's start and for each answer, > 0.

    Raises
    ------
    WorkerError
        If the worker fails to start or answer in time (it is then killed).
    """

    def __init__(self, *, timeout_seconds: float = 30.0) -> None:
        if not isinstance(timeout_seconds, (int, float)) or not timeout_seconds > 0:
            raise ParameterError.for_field("timeout_seconds", timeout_seconds, "a number of seconds > 0")
        self.timeout_seconds = float(timeout_seconds)
        self._start()

    def _start(self) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        # -I: the worker sees neither lemm nor the caller's directory; it imports only ctypes code.
        self._proc = subprocess.Popen(
            [sys.executable, "-I", "-u", str(_WORKER_PATH), _loader_root()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=hasattr(os, "killpg"),
        )
        self._finalizer = weakref.finalize(self, _kill, self._proc)
        self._lines: queue.Queue = queue.Queue()
        threading.Thread(target=_pump, args=(self._proc.stdout, self._lines), daemon=True).start()
        hello = self._read(self.timeout_seconds, "start")
        if not hello.get("ready"):
            self.close()
            raise WorkerError(f"speech worker failed to start: {hello.get('error', hello)}")
        self.sample_rate = int(hello["sample_rate"])
        self._can_fork = bool(hello.get("fresh"))
        self._dirty = False  # the process has spoken (not from a forked child): its state moved on

    @property
    def pid(self) -> int:
        """Process id of the worker."""
        return self._proc.pid

    @property
    def alive(self) -> bool:
        """True while the worker process runs."""
        return self._proc.poll() is None

    def _read(self, timeout_seconds: float, what: str) -> dict:
        try:
            line = self._lines.get(timeout=timeout_seconds)
        except queue.Empty:
            self.close(force=True)
            raise WorkerError(f"speech worker did not answer {what} within {timeout_seconds:g} s; it was killed") from None
        if line is None:
            code = self._proc.poll()
            self.close(force=True)
            raise WorkerError(f"speech worker exited during {what} (exit code {code})")
        try:
            return json.loads(line)
        except json.JSONDecodeError as err:
            self.close(force=True)
            raise WorkerError(f"speech worker sent an unreadable answer during {what}: {line[:80]!r}") from err

    def speak(
        self,
        text: str,
        *,
        words: tuple[str, ...] = (),
        voice: str = DEFAULT_VOICE,
        rate_wpm: int = 175,
        timeout_seconds: float | None = None,
        fresh: bool = False,
    ) -> Utterance:
        """Speak ``text`` as one utterance.

        espeak-ng carries synthesiser state from one utterance to the next, so
        by default an utterance depends on what this worker said before;
        ``fresh=True`` speaks from the state of a new worker, so the same
        request always gives the same samples: a forked child of the worker
        speaks it (about 1 ms; the worker itself stays clean), and a worker
        that has spoken without ``fresh`` (or cannot fork) is restarted first.

        Parameters
        ----------
        text : str
            What to say (plain text).
        words : tuple[str, ...]
            Words whose dictionary phonemes to return as well (for alignment).
        voice : str
            espeak-ng voice name, e.g. ``"en-us+klatt5"``.
        rate_wpm : int
            Speaking rate in words per minute, 80..450.
        timeout_seconds : float or None
            Time limit for this answer; None uses the worker's limit.
        fresh : bool
            Speak from a new worker's state (see above).

        Returns
        -------
        Utterance

        Raises
        ------
        WorkerError
            If the worker is closed, fails, or does not answer in time (it is killed).
        """
        if not isinstance(text, str) or not text.strip():
            raise ParameterError.for_field("text", text, "a non-empty string")
        if not isinstance(rate_wpm, int) or not 80 <= rate_wpm <= 450:
            raise ParameterError.for_field("rate_wpm", rate_wpm, "an integer in 80..450")
        if not self.alive:
            raise WorkerError("speech worker is not running (closed or killed)")
        if fresh and self._dirty:  # a new process starts from a clean state
            self.close()
            self._start()
        fork = bool(fresh) and self._can_fork  # the child speaks; this process stays clean
        self._dirty = self._dirty or not fork
        request = {"op": "speak", "text": text, "voice": voice, "rate_wpm": rate_wpm, "words": list(words), "fresh": fork}
        try:
            self._proc.stdin.write((json.dumps(request) + "\n").encode("utf-8"))
            self._proc.stdin.flush()
        except (OSError, ValueError) as err:
            self.close(force=True)
            raise WorkerError(f"speech worker cannot take requests: {err}") from err
        answer = self._read(self.timeout_seconds if timeout_seconds is None else float(timeout_seconds), "speak")
        if not answer.get("ok"):
            raise WorkerError(f"speech worker failed to speak {text[:40]!r}: {answer.get('error')}")
        pcm = np.frombuffer(base64.b64decode(answer["audio_b64"]), dtype="<i2")
        audio = (pcm.astype(np.float32) / 32768.0).astype(np.float32)
        raw = [(str(n), int(s)) for n, s in answer["phonemes"]]
        events = []
        for i, (name, start) in enumerate(raw):
            end = raw[i + 1][1] if i + 1 < len(raw) else len(audio)
            events.append(PhonemeEvent(name, min(start, len(audio)), min(max(end, start), len(audio))))
        word_phonemes = tuple(tuple(p for p in s.split() if p) for s in answer["word_phonemes"])
        return Utterance(audio=audio, sample_rate=int(answer["sample_rate"]), phonemes=tuple(events), word_phonemes=word_phonemes)

    def close(self, *, force: bool = False) -> None:
        """Stop the worker (politely unless ``force``); safe to call twice."""
        proc = self._proc
        if proc.poll() is None and not force:
            try:
                proc.stdin.write(b'{"op": "quit"}\n')
                proc.stdin.flush()
                proc.wait(timeout=2)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                pass
        self._finalizer()

    def __enter__(self) -> "SpeechWorker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
