"""What a listener hears of the drum kits: kicks that stop, hats above the wash, velocity that changes timbre."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

from lemm.render.drums import list_drum_kits, render_drum_track
from lemm.score.model import Note, Score, TempoChange, Track

SR = 48000
TEMPO = (TempoChange(0, 120.0),)  # 1 tick = 1/960 s


def _render(kit: str, notes: tuple[Note, ...], seconds: float) -> np.ndarray:
    track = Track(name="drums", role="drums", preset=kit, is_drum=True, notes=notes)
    audio, _ = render_drum_track(track, Score(tempos=TEMPO, tracks=(track,)), sample_rate=SR, seed=3, n_samples=int(seconds * SR))
    return audio.astype(np.float64).mean(0)


def _band_power(x: np.ndarray, low_hz: float, high_hz: float) -> np.ndarray:
    """Power of ``x`` in a band, smoothed over 20 ms (scipy Butterworth: an independent filter)."""
    y = scipy.signal.sosfilt(scipy.signal.butter(4, (low_hz, high_hz), btype="band", fs=SR, output="sos"), x)
    win = int(0.02 * SR)
    return np.convolve(y**2, np.ones(win) / win, mode="valid")


@pytest.mark.parametrize("kit", list_drum_kits())
def test_kick_low_band_falls_40_db_within_300_ms(kit):
    power = _band_power(_render(kit, (Note(36, 0, 240, 100),), 1.0), 30.0, 100.0)
    peak = int(np.argmax(power))
    fall_db = 10 * np.log10(power[peak] / max(power[peak + int(0.3 * SR)], 1e-30))
    assert fall_db >= 40.0


def test_kick_pitch_sweeps_down():
    x = _render("synth_kit", (Note(36, 0, 240, 100),), 0.3)
    zero_up = np.flatnonzero((x[:-1] < 0) & (x[1:] >= 0)) / SR
    periods = np.diff(zero_up)
    early = 1.0 / periods[(zero_up[1:] > 0.002) & (zero_up[1:] < 0.02)].mean()
    late = 1.0 / periods[(zero_up[1:] > 0.08) & (zero_up[1:] < 0.15)].mean()
    assert early > 1.8 * late and 40.0 < late < 70.0


def test_hats_stand_above_the_snare_wash():
    # a bar of 8th-note closed hats over backbeat snares: the hat band at the hits vs between them
    notes = [Note(42, i * 240, 120, 90) for i in range(8)] + [Note(38, 480, 120, 110), Note(38, 1440, 120, 110)]
    x = _render("synth_kit", tuple(sorted(notes, key=lambda n: (n.start_tick, n.pitch))), 2.2)
    power = _band_power(x, 6000.0, 16000.0)
    hop = int(0.005 * SR)
    at_hits = [power[int(i * 0.25 * SR) : int((i * 0.25 + 0.03) * SR)].max() for i in range(8)]
    between = np.concatenate([power[int((i * 0.25 + 0.06) * SR) : int((i + 1) * 0.25 * SR) : hop] for i in range(8)])
    assert 10 * np.log10(np.median(at_hits) / np.median(between)) >= 20.0


@pytest.mark.parametrize("key", [36, 38, 42])
def test_velocity_changes_timbre_not_only_level(key):
    """The spectral centroid of a hard hit differs from a soft one's (a level change would leave it)."""

    def centroid(velocity: int) -> float:
        x = _render("synth_kit", (Note(key, 0, 120, velocity),), 0.3)
        spec = np.abs(np.fft.rfft(x)) ** 2
        f = np.fft.rfftfreq(len(x), 1.0 / SR)
        return float((f * spec).sum() / spec.sum())

    soft, hard = centroid(40), centroid(120)
    assert hard > 1.1 * soft


def test_snare_has_body_below_1_khz():
    x = _render("synth_kit", (Note(38, 0, 120, 100),), 0.5)
    spec = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1.0 / SR)
    body, total = spec[(f >= 150) & (f < 1000)].sum(), spec.sum()
    assert body / total > 0.2


def test_open_hat_snaps_then_rings():
    # synth_kit's open hat: its 6-16 kHz band falls about 6 dB in the first 40 ms (the snap), then
    # decays as its 150 ms ring (the 808 open hats of FluidR3 and MuseScore General fall 6 dB by 40-60 ms)
    power = _band_power(_render("synth_kit", (Note(46, 0, 960, 100),), 1.0), 6000.0, 16000.0)
    peak = int(np.argmax(power))
    db = 10 * np.log10(np.maximum(power, 1e-30) / power[peak])

    def at(seconds: float) -> float:
        return float(db[peak + int(seconds * SR)])

    snap = -at(0.04)
    ring_per_100_ms = at(0.1) - at(0.2)
    assert 4.0 <= snap <= 9.0  # without the snap: 2.3 dB (the ring alone)
    assert 4.5 <= ring_per_100_ms <= 7.5  # power: 20 log10(e) * 0.1 / 0.15 = 5.8 dB, the noise's own scatter aside
