"""Shared fixtures: one short song composed, rendered and saved once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
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
