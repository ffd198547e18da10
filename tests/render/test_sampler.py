"""The sampled acoustic kit: it plays the shipped one-shots, by velocity layer, choked and panned."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from lemm.errors import FileFormatError
from lemm.render import render_track
from lemm.render.drums import SAMPLED_KITS
from lemm.render.extract_kit import LAYER_VELOCITIES, VOICE_KEYS
from lemm.render.sampler import KITS_DIR, available_kits, kit_samples
from lemm.score.model import Note, Score, TempoChange, Track

SR = 48000  # the kit's own rate: no resampling, so samples can be compared exactly
TEMPO = (TempoChange(0, 120.0),)


def render(notes, n_samples=None, seed=0, sample_rate=SR):
    t = Track(name="drums", role="drums", preset="acoustic_kit", is_drum=True, notes=tuple(notes))
    return render_track(t, Score(tempos=TEMPO, tracks=(t,)), sample_rate=sample_rate, seed=seed, n_samples=n_samples)


def test_kit_is_shipped_small_and_credited():
    assert "acoustic_kit" in available_kits() and "acoustic_kit" in SAMPLED_KITS
    folder = KITS_DIR / "acoustic_kit"
    assert sum(p.stat().st_size for p in folder.iterdir()) < 3 * 2**20
    assert "FluidR3_GM" in (folder / "CREDITS.md").read_text() and "MIT" in (folder / "CREDITS.md").read_text()
    shots = kit_samples("acoustic_kit", SR)
    assert set(shots) == set(VOICE_KEYS)
    for velocities, layers, _ in shots.values():
        assert velocities == LAYER_VELOCITIES and all(x.dtype == np.float32 and x[-1] == 0.0 for x in layers)


def test_a_hit_at_a_layer_velocity_is_that_file():
    vel = LAYER_VELOCITIES[-1]
    audio = render([Note(38, 0, 120, vel)])
    data, sr = sf.read(KITS_DIR / "acoustic_kit" / f"snare_v{vel:03d}.flac", dtype="float64")
    mono = audio.mean(0)[: len(data)].astype(np.float64)
    n0 = SR // 500  # after the 1 ms ramp
    corr = np.dot(mono[n0:], data[n0:]) / np.linalg.norm(mono[n0:]) / np.linalg.norm(data[n0:])
    assert sr == SR and corr > 0.9999


def test_velocity_layers_get_louder():
    peaks = [np.abs(render([Note(36, 0, 120, v)])).max() for v in (20, 45, 70, 100, 127)]
    assert all(b > a for a, b in zip(peaks, peaks[1:], strict=False))


def test_voices_sit_in_their_registers():
    def centroid(key):
        y = render([Note(key, 0, 120, 100)], n_samples=SR // 4).mean(0)
        spec = np.abs(np.fft.rfft(y))
        return (spec * np.fft.rfftfreq(len(y), 1 / SR)).sum() / spec.sum()

    assert centroid(36) < centroid(38) < centroid(42)


def test_open_hat_is_choked():
    alone = render([Note(46, 0, 120, 100)], n_samples=SR)
    choked = render([Note(46, 0, 120, 100), Note(42, 240, 120, 1)], n_samples=SR)
    late = slice(int(0.45 * SR), int(0.9 * SR))
    assert np.sqrt(np.mean(choked[:, late] ** 2)) < 0.05 * np.sqrt(np.mean(alone[:, late] ** 2))


def test_resampled_render_and_seed_variation():
    a = render([Note(38, 0, 120, 100), Note(38, 960, 120, 100)], sample_rate=16000, seed=1)
    assert a.shape[0] == 2 and np.all(np.isfinite(a))
    first, second = a[:, :8000], a[:, 16000:24000]
    assert 10 ** (-1.1 / 20) < np.abs(second).max() / np.abs(first).max() < 10 ** (1.1 / 20)  # +-0.5 dB each


def test_unreadable_kit_raises(tmp_path, monkeypatch):
    import lemm.render.sampler as sampler

    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "kit.json").write_text("{not json")
    monkeypatch.setattr(sampler, "KITS_DIR", tmp_path)
    with pytest.raises(FileFormatError):
        sampler.kit_samples("broken", SR)
