"""The extraction tool's spectral balance (tools/extract_sampled_instruments.py): a note moved toward another's balance."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import scipy.signal

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import extract_sampled_instruments as extract  # noqa: E402

RATE = 32000


def _band_db(x: np.ndarray, low_hz: float, high_hz: float) -> float:
    """Welch power (dB) of ``x`` between two frequencies (scipy: independent of the tool's mel analysis)."""
    f, p = scipy.signal.welch(x, fs=RATE, nperseg=4096)
    return float(10 * np.log10(p[(f >= low_hz) & (f < high_hz)].mean()))


def _decaying_noise(seed: int, tilt_db_per_octave: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = RATE
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / RATE).clip(min=50.0)
    spec *= 10 ** (tilt_db_per_octave * np.log2(f / 1000.0) / 20)
    return np.fft.irfft(spec, n) * np.exp(-np.arange(n) / (0.4 * RATE))


def test_half_way_balance_moves_half_the_tilt():
    dark, bright = _decaying_noise(1, -6.0), _decaying_noise(2, 0.0)
    moved = extract.balance_toward({"a": dark}, {"a": bright}, 0.5, RATE)["a"]
    # 500 Hz vs 4 kHz: 3 octaves, 18 dB apart in the dark note, 0 in the bright one -> 9 dB half way
    spread = lambda x: _band_db(x, 400, 600) - _band_db(x, 3500, 4500)  # noqa: E731
    assert spread(dark) > 15.0
    assert abs(spread(bright)) < 3.0
    assert 6.0 <= spread(moved) <= 12.0


def test_layer_above_adds_only_the_high_band():
    low = scipy.signal.sosfilt(scipy.signal.butter(8, 2000, fs=RATE, output="sos"), _decaying_noise(3, 0.0))
    other = _decaying_noise(4, 0.0)
    out = extract.layer_above({"a": low}, {"a": other}, 4000.0, -9.0, RATE)["a"]
    assert abs(_band_db(out, 300, 1500) - _band_db(low, 300, 1500)) < 0.5
    assert abs(_band_db(out, 6000, 12000) - (_band_db(other, 6000, 12000) - 9.0)) < 1.0
