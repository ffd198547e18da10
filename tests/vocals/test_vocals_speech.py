"""The espeak-ng speech worker: a separate process that answers in time or is killed."""

from __future__ import annotations

import os

import numpy as np
import pytest

from lemm.errors import ParameterError, WorkerError
from lemm.vocals.phonetics import count_nuclei, is_vowel
from lemm.vocals.speech import SpeechWorker


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_worker_speaks_a_line_with_ordered_phonemes() -> None:
    with SpeechWorker() as worker:
        pid = worker.pid
        assert pid != os.getpid()
        utt = worker.speak("summer in the city", words=("summer", "in", "the", "city"))
        again = worker.speak("summer in the city")  # the worker is reused
    assert _gone(pid), "the worker process must exit when the context closes"
    assert utt.audio.dtype == np.float32 and utt.audio.ndim == 1
    assert utt.sample_rate == 22050
    assert 0.5 < utt.audio.size / utt.sample_rate < 3.0
    assert np.sqrt(np.mean(utt.audio**2)) > 0.01 and np.max(np.abs(utt.audio)) <= 1.0
    # espeak's synthesiser keeps some state between utterances: same length, nearly the same audio
    assert again.audio.size == utt.audio.size and [p.name for p in again.phonemes] == [p.name for p in utt.phonemes]
    with SpeechWorker() as fresh:  # a fresh worker given the same request gives the same samples
        np.testing.assert_array_equal(fresh.speak("summer in the city").audio, utt.audio)
    starts = [p.start_sample for p in utt.phonemes]
    assert starts == sorted(starts) and all(p.end_sample <= utt.audio.size for p in utt.phonemes)
    names = [p.name.lstrip("',") for p in utt.phonemes]
    assert names[:2] == ["s", "V"]  # "summer" starts with s + the STRUT vowel
    assert sum(is_vowel(p.name) for p in utt.phonemes) == 6  # sum-mer in the ci-ty
    assert [count_nuclei(w) for w in utt.word_phonemes] == [2, 1, 1, 2]


def test_worker_is_killed_when_it_does_not_answer_in_time() -> None:
    worker = SpeechWorker()
    pid = worker.pid
    with pytest.raises(WorkerError, match="within"):
        worker.speak("this line takes longer than a microsecond to say " * 5, timeout_seconds=1e-6)
    assert not worker.alive and _gone(pid)
    with pytest.raises(WorkerError, match="not running"):
        worker.speak("hello")
    worker.close()  # closing twice is harmless


def test_worker_reports_errors_and_stays_usable() -> None:
    with SpeechWorker() as worker:
        with pytest.raises(WorkerError, match="no voice"):
            worker.speak("hello", voice="no-such-voice")
        assert worker.alive
        assert worker.speak("hello").audio.size > 0
        with pytest.raises(ParameterError, match="text"):
            worker.speak("   ")
        with pytest.raises(ParameterError, match="rate_wpm"):
            worker.speak("hello", rate_wpm=5)
    with pytest.raises(ParameterError, match="timeout_seconds"):
        SpeechWorker(timeout_seconds=0)


def test_fresh_requests_sound_like_a_new_workers_first_utterance() -> None:
    lines = ("the city lights are shining bright", "summer in the city", "hold on to the night")
    first = {}
    for line in lines:
        with SpeechWorker() as new:
            first[line] = new.speak(line).audio
    with SpeechWorker() as worker:
        worker.speak("something else entirely, said first")  # leaves state behind
        stale = worker.speak(lines[1]).audio
        assert not np.array_equal(stale, first[lines[1]]), "espeak-ng carries state over (the reason for fresh)"
        pid = worker.pid
        for line in lines + lines[::-1]:
            np.testing.assert_array_equal(worker.speak(line, fresh=True).audio, first[line])
        assert worker.pid != pid and _gone(pid), "a worker that spoke stale state is restarted once"
        pid = worker.pid
        for line in lines:
            np.testing.assert_array_equal(worker.speak(line, fresh=True).audio, first[line])
        assert worker.pid == pid, "fresh requests fork: the worker itself stays clean and is kept"
        # where the worker cannot fork, each fresh request after the first restarts it
        worker._can_fork = False
        for line in lines:
            np.testing.assert_array_equal(worker.speak(line, fresh=True).audio, first[line])
        assert _gone(pid)


def test_a_fresh_request_that_times_out_leaves_no_process_behind() -> None:
    worker = SpeechWorker()
    pid = worker.pid
    with pytest.raises(WorkerError, match="within"):
        worker.speak("this line takes longer than a microsecond to say " * 20, timeout_seconds=1e-6, fresh=True)
    assert not worker.alive and _gone(pid)
    if hasattr(os, "killpg"):  # the worker led its own group: its speaking child was killed with it
        assert _group_ends(pid), f"a process of the worker's group {pid} is still running"


def _group_ends(pgid: int, *, within_seconds: float = 5.0) -> bool:
    """Whether process group ``pgid`` has no running process within ``within_seconds``.

    The killed worker's child is not ours to reap: it is re-parented and may stay a zombie
    (dead, reaped later by init) for a moment on a busy machine, and a process killed by
    SIGKILL may take a moment to die. Where /proc lists processes, a zombie counts as ended.
    """
    import time

    deadline = time.monotonic() + within_seconds
    while True:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        if os.path.isdir("/proc") and not _running_in_group(pgid):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def _running_in_group(pgid: int) -> list[int]:
    """Pids of group ``pgid`` that are not zombies (from /proc/<pid>/stat: state, then the group)."""
    running = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            running.append(int(entry))
    return running
