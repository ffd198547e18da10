"""Background writes of a song folder: errors surface once, on the main thread, after every writer stopped; pieces give the same file.

:class:`lemm.io.background.BackgroundWrites` is tested on plain functions; the song
folder's use of it (:mod:`lemm.project.staging`) on a 0:10 song, whose re-render
writes the score files during the render, the stems during the mix, and mix.wav
and the printed files during the master.
"""

from __future__ import annotations

import errno
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from lemm import pipeline
from lemm.errors import LemmError, ParameterError
from lemm.io.audio import write_audio
from lemm.io.background import BackgroundWriteError, BackgroundWrites

# --- BackgroundWrites ---------------------------------------------------------------------------------------


def test_the_first_error_is_raised_once_and_later_writes_are_skipped() -> None:
    ran: list[str] = []
    gate = threading.Event()

    def fail(err: BaseException) -> None:
        gate.wait(5)
        raise err

    with pytest.raises(OSError, match="first") as caught, BackgroundWrites(n_workers=1) as writes:
        writes.submit(fail, OSError(errno.ENOSPC, "first"))
        writes.submit(fail, OSError(errno.ENOSPC, "second"))  # skipped: the first set the stop
        writes.submit(ran.append, "late")
        gate.set()
        writes.finish()
    assert caught.value.strerror == "first" and ran == []
    assert writes.stop.is_set()


def test_an_error_that_is_not_lemms_or_the_systems_becomes_one_lemm_error() -> None:
    def bug() -> None:
        raise ZeroDivisionError("oops")

    with pytest.raises(BackgroundWriteError, match="ZeroDivisionError: oops") as caught, BackgroundWrites() as writes:
        writes.submit(bug)
    assert isinstance(caught.value, LemmError) and isinstance(caught.value.__cause__, ZeroDivisionError)


def test_lemm_errors_and_ctrl_c_pass_as_they_are() -> None:
    def raise_it(err: BaseException) -> None:
        raise err

    for err in (ParameterError("bad"), KeyboardInterrupt()):
        with pytest.raises(type(err)), BackgroundWrites() as writes:
            writes.submit(raise_it, err)


def test_a_failed_write_is_raised_at_the_next_submit() -> None:
    def fail() -> None:
        raise OSError(errno.EROFS, "read-only")

    with pytest.raises(OSError, match="read-only"), BackgroundWrites() as writes:
        writes.submit(fail).exception(timeout=5)
        writes.submit(lambda: None)
        pytest.fail("submit after a failed write must raise")


def test_an_error_of_the_main_thread_waits_for_the_writes_under_way_and_ends_the_threads() -> None:
    threads = threading.active_count()
    started, finished, skipped = threading.Event(), threading.Event(), []

    def slow() -> None:
        started.set()
        time.sleep(0.2)
        finished.set()

    with pytest.raises(KeyError), BackgroundWrites(n_workers=1) as writes:
        writes.submit(slow)
        writes.submit(skipped.append, 1)
        started.wait(5)
        raise KeyError("the main thread's own error")
    assert finished.is_set() and skipped == []  # waited for; the one not started never ran
    assert threading.active_count() == threads


# --- pieces ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("suffix", "bit_depth"), [(".wav", 16), (".wav", 24), (".wav", 32), (".flac", 24)])
def test_a_file_written_from_pieces_is_the_file_of_their_concatenation(tmp_path: Path, suffix: str, bit_depth: int) -> None:
    rng = np.random.default_rng(4)
    audio = (rng.standard_normal((2, (1 << 17) + 2403)) * 0.3).astype(np.float32)
    whole = write_audio(tmp_path / f"whole{suffix}", audio, sample_rate=48000, bit_depth=bit_depth, gain=0.7)
    body, tail = pipeline.steady_pieces(audio, sample_rate=48000)
    assert tail.base is None and np.shares_memory(body, audio)
    pieces = write_audio(tmp_path / f"pieces{suffix}", (body, tail), sample_rate=48000, bit_depth=bit_depth, gain=0.7)
    assert pieces.read_bytes() == whole.read_bytes()
    with pytest.raises(ParameterError, match="non-finite"):
        write_audio(tmp_path / f"nan{suffix}", (body, np.full_like(tail, np.nan)), sample_rate=48000, bit_depth=bit_depth)


def test_the_master_leaves_the_steady_pieces_as_they_are() -> None:
    """The master fades the mix's end in place while it runs: the pieces a writer reads meanwhile do not change."""
    from lemm.mix import MasterSettings

    rng = np.random.default_rng(5)
    mix = (rng.standard_normal((2, 48000)) * 0.1).astype(np.float32)
    body, tail = pipeline.steady_pieces(mix, sample_rate=48000)
    seen: list[np.ndarray] = []
    real_master = pipeline.master

    def master(audio, **kwargs):
        seen.append(np.concatenate([body, tail], axis=-1) - audio)  # what the pieces hold minus the master's (faded) input
        return real_master(audio, **kwargs)

    pipeline.master = master
    try:
        pipeline._master_faded(mix, sample_rate=48000, settings=MasterSettings())
    finally:
        pipeline.master = real_master
    n = int(pipeline.MASTER_FADE_SECONDS * 48000)
    assert np.any(seen[0][:, -n:] != 0) and not np.any(seen[0][:, :-n])  # the master's input was faded there ...
    assert np.array_equal(np.concatenate([body, tail], axis=-1), mix)  # ... the pieces never were


@pytest.mark.parametrize("cut", [0, 1, 2400, 4095, 4096])
def test_the_content_key_of_pieces_is_that_of_their_concatenation(cut: int) -> None:
    from lemm.export.common import audio_content_key

    audio = np.random.default_rng(6).standard_normal((2, 4096)).astype(np.float32)
    for a in (audio, audio[:1]):
        whole = audio_content_key(a, kind="wav", trim_db=-1.5, sample_rate=48000, bit_depth=24)
        assert audio_content_key((a[:, :cut], a[:, cut:].copy()), kind="wav", trim_db=-1.5, sample_rate=48000, bit_depth=24) == whole
    assert audio_content_key((audio[:, :cut], audio[:, cut:] * 2), kind="wav", trim_db=-1.5, sample_rate=48000, bit_depth=24) != whole
