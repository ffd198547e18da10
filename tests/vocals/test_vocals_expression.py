"""The singer's expression and spectrum: per-transition pitch dynamics, late varied vibrato, brightening (plain numpy references)."""

from __future__ import annotations

import numpy as np
import pytest

from lemm.errors import ParameterError
from lemm.vocals.brightness import brighten_envelope
from lemm.vocals.pitch import sung_f0_hz, transition_dynamics
from lemm.vocals.sing import synthesis_rate

FRAME = 0.005


def _cents(f0: np.ndarray, midi: float) -> np.ndarray:
    return 1200.0 * np.log2(f0 / (440.0 * 2 ** ((midi - 69) / 12)))


def _transition_seconds(note_seconds: float, interval: int) -> float:
    """Time from 10 % to 90 % of a rise between two notes of ``note_seconds`` (no vibrato: notes under 0.4 s or depth 0)."""
    t = np.arange(0.0, 4 * note_seconds + 1.0, FRAME)
    notes = [(60, 0.5, 0.5 + note_seconds), (60 + interval, 0.5 + note_seconds, 0.5 + 2 * note_seconds)]
    f0 = sung_f0_hz(t, notes, rng=np.random.default_rng(0), vibrato_depth_cents=np.zeros(t.size))
    semis = 12 * np.log2(f0 / f0[np.searchsorted(t, 0.5 + 0.5 * note_seconds)])
    smooth = np.convolve(semis, np.ones(5) / 5, mode="same")  # the fine fluctuation is 0.05 semitones
    lo = np.flatnonzero(smooth > 0.1 * interval)[0]
    hi = np.flatnonzero(smooth > 0.9 * interval)[0]
    return (hi - lo) * FRAME


def test_transitions_are_quicker_between_short_notes_and_leaps_glide() -> None:
    fast, slow = _transition_seconds(0.2, 2), _transition_seconds(0.8, 2)
    assert fast < slow * 0.75, (fast, slow)
    step, leap = _transition_seconds(0.6, 2), _transition_seconds(0.6, 7)
    assert leap > step * 1.3, (step, leap)
    (w_step, z_step), _ = transition_dynamics(2, 0.6)
    (w_leap, z_leap), _ = transition_dynamics(7, 0.6)
    assert w_leap < w_step and z_leap > z_step


def test_vibrato_starts_late_and_varies_from_note_to_note() -> None:
    t = np.arange(0.0, 6.0, FRAME)
    notes = [(62, 0.5, 2.0), (62, 2.0, 3.5), (62, 3.5, 5.0)]
    f0 = sung_f0_hz(t, notes, rng=np.random.default_rng(4))
    cents = _cents(f0, 62)
    depths, rates = [], []
    for _p, s, e in notes:
        early = (t >= s + 0.05) & (t < s + 0.3)
        assert np.std(cents[early]) < 8.0  # no vibrato in the first 30 % of the note
        late = (t >= s + 0.9) & (t < e - 0.05)
        x = cents[late] - cents[late].mean()
        depths.append(np.sqrt(2) * np.std(x))
        spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size), 8192))
        rates.append(np.fft.rfftfreq(8192, FRAME)[np.argmax(spectrum)])
    assert all(10.0 < d < 40.0 for d in depths) and max(depths) - min(depths) > 1.0
    assert all(4.8 < r < 6.8 for r in rates) and max(rates) - min(rates) > 0.05
    again = sung_f0_hz(t, notes, rng=np.random.default_rng(4))
    np.testing.assert_array_equal(f0, again)


def test_brighten_extends_voiced_harmonics_and_leaves_unvoiced_frames() -> None:
    rate = 24000
    freqs = np.arange(513) * rate / 1024
    dull = np.where(freqs < 4000.0, 1.0, 1e-6)
    sp = np.stack([dull, dull])
    ap = np.full_like(sp, 0.05)
    out_sp, out_ap = brighten_envelope(sp, ap, np.array([1.0, 0.0]), sample_rate=rate, presence_db=4.0)
    db = 10 * np.log10(out_sp[0])
    at = lambda f: db[np.searchsorted(freqs, f)]  # noqa: E731
    assert at(6300.0) == pytest.approx(-24.0, abs=1.5)  # one octave above 3.15 kHz at -24 dB/octave
    assert at(3000.0) == pytest.approx(4.0, abs=0.3)  # the presence bell
    assert at(500.0) == pytest.approx(0.0, abs=0.1)
    assert out_ap[0, np.searchsorted(freqs, 9000.0)] == pytest.approx(0.3, abs=1e-6)
    assert out_ap[0, np.searchsorted(freqs, 3000.0)] == pytest.approx(0.05)
    np.testing.assert_allclose(out_sp[1], sp[1], rtol=1e-12)  # an unvoiced frame keeps its envelope
    np.testing.assert_array_equal(out_ap[1], ap[1])
    with pytest.raises(ParameterError, match="presence_db"):
        brighten_envelope(sp, ap, np.ones(2), sample_rate=rate, presence_db=30.0)


def test_sung_stem_has_harmonics_above_5k() -> None:
    from lemm.score.model import Lyric, Note, Score, TempoChange, Track
    from lemm.vocals import sing_track

    track = Track("vocal", "vocal", "voice_low", notes=(Note(52, 480, 960, lyric=Lyric("ah")),))
    y = sing_track(track, Score(tempos=(TempoChange(0, 120.0),), tracks=(track,)))[0].astype(np.float64)
    seg = y[int(0.56 * 48000) : int(0.8 * 48000)]  # the note (0.5..1.5 s) before its vibrato starts
    spec = np.abs(np.fft.rfft(seg * np.hanning(seg.size))) ** 2
    f = np.fft.rfftfreq(seg.size, 1 / 48000)
    f0 = 440.0 * 2 ** ((52 - 69) / 12)
    band = (f > 5000) & (f < 8000)
    share_db = 10 * np.log10(spec[band].sum() / spec.sum())
    assert share_db > -45.0, share_db  # was about -60 dB with harmonics stopping at 4.5 kHz
    # harmonic: the band's energy sits on multiples of f0
    k = np.round(f[band] / f0)
    near = np.abs(f[band] - k * f0) < 0.2 * f0
    assert spec[band][near].sum() > 0.6 * spec[band].sum()


def test_synthesis_rate() -> None:
    assert [synthesis_rate(r) for r in (48000, 44100, 96000, 32000, 16000, 192000)] == [24000, 22050, 24000, 32000, 16000, 24000]
