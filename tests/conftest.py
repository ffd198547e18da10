"""Shared fixtures: one short song composed, rendered and saved once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run (CI on a fresh clone must not be
# flaky); HYPOTHESIS_PROFILE=explore draws new ones to hunt for bugs.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _lemm_logger_restored():
    """Each test starts with the ``lemm`` logger as a library user has it (tests that run the CLI's
    logging set-up directly must not turn propagation off for the tests after them)."""
    import logging

    log = logging.getLogger("lemm")
    saved = (list(log.handlers), log.level, log.propagate)
    yield
    log.handlers[:] = saved[0]
    log.setLevel(saved[1])
    log.propagate = saved[2]
LYRICS = ROOT / "examples" / "lyrics.txt"


@pytest.fixture(scope="session")
def short_song_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 0:30 pop song with lyrics, written by the CLI into a fresh folder."""
    from lemm.cli import main

    out = tmp_path_factory.mktemp("song") / "short"
    status = main(["compose", "a bright pop song", "--tags", "pop", "--lyrics", str(LYRICS),
                   "--duration", "0:30", "--seed", "7", "--out", str(out)])
    assert status == 0
    return out


@pytest.fixture(scope="session")
def daw_song(tmp_path_factory: pytest.TempPathFactory):
    """A 0:10 pop song (composed, rendered, mixed) and its saved folder, made once for the DAW export and bridge tests.

    Read-only: a test that changes files works on a copy (``shutil.copytree``).
    """
    import lemm

    folder = tmp_path_factory.mktemp("daw_song") / "song"
    song = lemm.compose("a short pop song", tags=("pop",), duration="0:10", seed=3)
    song.save(folder)
    return song, folder


@pytest.fixture
def fail_os_write(monkeypatch: pytest.MonkeyPatch):
    """A function ``(fail_at, err) -> calls``: lemm's low-level file writes (``lemm.io.atomic._os_write``) raise
    ``err`` at call number ``fail_at`` (None: never); ``calls[0]`` counts the calls. A full disk or a read-only
    file system at any chosen write, for the tests of atomic files and song folders."""
    from lemm.io import atomic

    def install(fail_at: int | None, err: BaseException | None = None) -> list[int]:
        calls = [0]
        real = os.write

        def write(fd, data):
            calls[0] += 1
            if calls[0] == fail_at:
                raise err
            return real(fd, data)

        monkeypatch.setattr(atomic, "_os_write", write)
        return calls

    return install
