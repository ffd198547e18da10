"""The render cache re-renders only changed (track, section) slices; history keeps every version."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import lemm
from lemm.cli import main
from lemm.project.history import list_versions
from lemm.render.stems import RenderCache, render_stems, track_slices
from lemm.score.edit import replace_track, section_span
from lemm.score.model import Note


def _small_song():
    return lemm.compose("a calm folk song", tags=("folk",), duration="0:20", seed=3)


def test_stems_do_not_depend_on_the_cache(tmp_path: Path) -> None:
    song = _small_song()
    n = 48000 * 22
    plain, _ = render_stems(song.score, settings=song.render_settings, seed=song.seed, n_samples=n)
    cache = RenderCache(tmp_path / "cache")
    first, stats1 = render_stems(song.score, settings=song.render_settings, seed=song.seed, n_samples=n, cache=cache)
    second, stats2 = render_stems(song.score, settings=song.render_settings, seed=song.seed, n_samples=n, cache=cache)
    assert len(stats1.cached) == 0 and len(stats2.rendered) == 0
    assert len(stats2.cached) == len(track_slices(song.score))
    for name in plain:
        assert np.array_equal(plain[name], first[name]) and np.array_equal(first[name], second[name])


def test_one_edited_slice_is_all_that_renders(tmp_path: Path) -> None:
    song = _small_song()
    n = 48000 * 22
    cache = RenderCache(tmp_path / "cache")
    before, _ = render_stems(song.score, settings=song.render_settings, seed=song.seed, n_samples=n, cache=cache)
    section = song.score.sections[1]
    track = next(t for t in song.score.tracks if not t.is_drum and any(section.start_tick <= x.start_tick < section.end_tick for x in t.notes))
    start, end = section_span(song.score, section.name)
    notes = tuple(Note(x.pitch + 1, x.start_tick, x.duration_ticks, x.velocity) if start <= x.start_tick < end else x for x in track.notes)
    edited = replace_track(song.score, track.__class__(**{**track.__dict__, "notes": notes}))
    after, stats = render_stems(edited, settings=song.render_settings, seed=song.seed, n_samples=n, cache=cache)
    assert stats.rendered == ((track.name, section.name),)
    for name in before:
        assert np.array_equal(before[name], after[name]) == (name != track.name), name


def test_damaged_cache_entry_is_rendered_again(tmp_path: Path) -> None:
    song = _small_song()
    cache = RenderCache(tmp_path / "cache")
    a, _ = render_stems(song.score, settings=song.render_settings, seed=song.seed, n_samples=48000 * 22, cache=cache)
    victim = sorted((tmp_path / "cache").glob("*.npz"))[0]
    victim.write_bytes(b"not an npz")
    b, stats = render_stems(song.score, settings=song.render_settings, seed=song.seed, n_samples=48000 * 22, cache=cache)
    assert len(stats.rendered) == 1
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_history_and_checkout(short_song_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    work = tmp_path / "hist"
    shutil.copytree(short_song_dir, work)
    assert [v.action for v in list_versions(work)] == ["compose"]
    first = lemm.load(work).score
    section = first.sections[-1].name
    assert main(["regen", str(work), "--track", "bass", "--section", section, "--seed", "5"]) == 0
    assert main(["checkout", str(work), "1"]) == 0
    versions = list_versions(work)
    assert [v.version for v in versions] == [1, 2, 3]
    assert versions[1].action.startswith("regen bass") and versions[2].action == "checkout 1"
    assert lemm.load(work).score == first
    capsys.readouterr()
    assert main(["history", str(work)]) == 0
    assert "checkout 1" in capsys.readouterr().out
    assert main(["checkout", str(work), "42"]) == 2
    assert "version must be a saved version: 1..3, got 42" in capsys.readouterr().err


def test_render_reuses_the_cache_after_compose(short_song_dir: Path, tmp_path: Path) -> None:
    work = tmp_path / "again"
    shutil.copytree(short_song_dir, work)
    song = lemm.load(work)
    song.render(cache_dir=work / "cache")
    assert song.render_stats.rendered == ()
    saved = json.loads((work / "song.json").read_text())
    assert saved["seed"] == song.seed
