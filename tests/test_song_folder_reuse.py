"""A re-write of a song folder keeps the audio files whose content did not change, and writes the same bytes as a fresh write."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import lemm
from lemm.project.folder import CONTENT_KEYS_FIELD, write_song_files

AUDIO_GLOBS = ("stems/*.wav", "printed/*.flac", "printed/returns/*.flac", "mix.wav", "master.wav")


def _audio(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {p.relative_to(folder).as_posix(): (p.stat().st_ino, p.read_bytes()) for g in AUDIO_GLOBS for p in folder.glob(g)}


def test_an_unchanged_file_is_kept_and_every_file_equals_a_fresh_write(tmp_path: Path) -> None:
    song = lemm.compose("a calm folk song", tags=("folk",), duration="0:10", seed=1)
    song.render()
    song.mix()
    write_song_files(song, tmp_path / "A", action="compose")
    before = _audio(tmp_path / "A")
    keys = json.loads((tmp_path / "A" / "report.json").read_text())[CONTENT_KEYS_FIELD]
    assert sorted(keys) == sorted(before) and len(before) >= 6

    bass = song.mix_settings.tracks["bass"]
    song.mix_settings = song.mix_settings.with_track("bass", dataclasses.replace(bass, gain_db=bass.gain_db + 3.0))
    song.mix()  # the same stems, a louder bass
    write_song_files(song, tmp_path / "A", action="mix")
    write_song_files(song, tmp_path / "fresh", action="mix")
    after, fresh = _audio(tmp_path / "A"), _audio(tmp_path / "fresh")
    assert sorted(after) == sorted(fresh) == sorted(before)
    for rel in fresh:
        assert after[rel][1] == fresh[rel][1], rel  # the same bytes as written from scratch
    kept = sorted(rel for rel in after if after[rel][0] == before[rel][0])
    changed = sorted(rel for rel in after if after[rel][1] != before[rel][1])
    assert [rel for rel in kept if rel.startswith("stems/")] == sorted(rel for rel in before if rel.startswith("stems/"))
    assert "printed/bass.flac" in changed and "mix.wav" in changed and "master.wav" in changed
    assert not set(kept) & set(changed)  # a kept file is an unchanged one
    assert any(rel.startswith("printed/") and rel != "printed/bass.flac" for rel in kept)
    assert not list((tmp_path / "A" / ".lemm").glob("staging-*"))
