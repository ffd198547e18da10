"""The render stage is one function: ``lemm.render.render_stems`` / ``render_tracks``, ``Song.render()`` and
``lemm render`` give the same stems (same slices, same (track, section) seeds, the guide's start offset added
in the render stage itself)."""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pytest

import lemm
from lemm.cli import main
from lemm.render import render_stems, render_tracks
from lemm.render.settings import RenderSettings
from lemm.render.stems import song_n_samples

SR = 16000


@pytest.fixture(scope="module")
def song():
    composed = lemm.compose("a calm folk song", tags=("folk",), lyrics="la la la\nhere we go", duration="0:10", seed=7,
                            render_settings=RenderSettings(sample_rate=SR))
    keep = {t.name for t in composed.score.tracks if t.role in ("bass", "drums", "vocal")}
    score = dataclasses.replace(composed.score, tracks=tuple(t for t in composed.score.tracks if t.name in keep))
    settings = dataclasses.replace(composed.render_settings, start_offset_seconds=0.3125)  # as if planned from a guide: 5000 samples at 16 kHz
    out = dataclasses.replace(composed.with_score(score), render_settings=settings)
    assert {t.role for t in out.score.tracks} >= {"bass", "vocal"}
    return out


def test_render_stems_render_tracks_and_song_render_agree(song):
    stems = dict(song.render(n_workers=1))
    n = song_n_samples(song.score, sample_rate=SR, requested_seconds=song.brief.duration_seconds)
    offset = 5000
    assert all(a.shape == (2, offset + n) for a in stems.values())
    assert all(not a[:, :offset].any() for a in stems.values()) and all(a[:, offset:].any() for a in stems.values())

    direct, stats = render_stems(song.score, settings=song.render_settings, seed=song.seed, n_samples=n, n_workers=2)
    assert list(direct) == list(stems) and not stats.cached
    for name in stems:
        np.testing.assert_array_equal(direct[name], stems[name])

    instruments = render_tracks(song.score, sample_rate=SR, seed=song.seed, n_samples=n,
                                start_offset_seconds=song.render_settings.start_offset_seconds)
    assert set(instruments) == {t.name for t in song.score.tracks if t.role != "vocal"}
    for name, audio in instruments.items():
        np.testing.assert_array_equal(audio, stems[name])
    vocal = next(t.name for t in song.score.tracks if t.role == "vocal")
    sung = render_tracks(song.score, sample_rate=SR, seed=song.seed, n_samples=n, track_names=[vocal],
                         start_offset_seconds=song.render_settings.start_offset_seconds)
    np.testing.assert_array_equal(sung[vocal], stems[vocal])

    other_seed = render_tracks(song.score, sample_rate=SR, seed=song.seed + 1, n_samples=n, track_names=[vocal],
                               start_offset_seconds=song.render_settings.start_offset_seconds)
    assert not np.array_equal(other_seed[vocal], stems[vocal])  # the comparison can fail


def test_lemm_render_writes_the_stems_song_save_wrote(song, tmp_path):
    saved = tmp_path / "saved"
    song.with_score(song.score).save(saved)
    again = tmp_path / "again"
    shutil.copytree(saved, again)
    shutil.rmtree(again / "cache")  # rendered afresh, not read back from the cache
    assert main(["-q", "render", str(again)]) == 0
    names = sorted(p.name for p in (saved / "stems").iterdir())
    assert names == sorted(f"{t.name}.wav" for t in song.score.tracks)
    for name in names:
        assert (again / "stems" / name).read_bytes() == (saved / "stems" / name).read_bytes(), name
