"""Stereo spread without delays: the mid is kept, the low end stays mono, a band's mix lands in the target image."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.fft
import scipy.signal

from lemm.errors import ParameterError
from lemm.mix import apply_mix, auto_mix_settings
from lemm.mix.meters import stereo_correlation
from lemm.mix.settings import MixSettings, TrackMix
from lemm.mix.stereo import fold_down_loss_db, low_end_correlation, spectral_spread

SR = 48000


def _noise(seed: int, seconds: float = 4.0, channels: int = 1) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal((channels, int(seconds * SR))) * 0.1).astype(np.float32)


@pytest.mark.parametrize("amount", [0.3, 0.6, 1.0])
def test_spread_keeps_the_mid_and_matches_its_formula(amount):
    x = _noise(1)
    y = spectral_spread(x, sample_rate=SR, amount=amount, low_hz=20.0)
    np.testing.assert_allclose((y[0] + y[1]) / 2, x[0], atol=2e-5)
    expected = (1 - amount**2 / 2) / (1 + amount**2 / 2)  # G averages 1/2 in power over a broadband source
    assert abs(stereo_correlation(y) - expected) < 0.05
    assert fold_down_loss_db(y, sample_rate=SR) <= 10 * np.log10(1 + amount**2 / 2) + 0.1


def test_spread_leaves_the_low_end_mono():
    low = scipy.signal.sosfilt(scipy.signal.butter(4, 120.0, fs=SR, output="sos"), _noise(2)).astype(np.float32)
    y = spectral_spread(low, sample_rate=SR, amount=1.0, low_hz=200.0)
    assert low_end_correlation(y, sample_rate=SR, cutoff_hz=120.0) > 0.999


def test_spread_of_a_stereo_source_adds_to_its_side():
    x = _noise(3, channels=2)
    y = spectral_spread(x, sample_rate=SR, amount=0.5)
    np.testing.assert_allclose(y[0] + y[1], x[0] + x[1], atol=5e-5)
    assert spectral_spread(x, sample_rate=SR, amount=0.0).tobytes() == np.stack([x[0], x[1]]).tobytes()


@pytest.mark.parametrize(("low_hz", "bands_per_octave"), [(200.0, 2.0), (20.0, 2.0), (1000.0, 6.0)])
def test_spread_into_out_gives_the_same_samples(low_hz, bands_per_octave):
    """``out=`` (the channel strip's in-place widening) against the formula: the comb applied by one float64 FFT, padded by 4 s (no wrap)."""
    x = _noise(4, seconds=1.0, channels=2)
    n = x.shape[1]
    n_fft = scipy.fft.next_fast_len(n + 8 * SR, real=True)
    mid, side = (x[0] + x[1]) / 2, (x[0] - x[1]) / 2
    f = np.fft.rfftfreq(n_fft, 1.0 / SR)
    octaves = np.log2(np.maximum(f, 1e-6) / low_hz)
    comb = np.sin(np.pi * bands_per_octave * np.maximum(octaves, 0.0)) * (0.5 - 0.5 * np.cos(np.pi * np.clip(octaves, 0.0, 1.0)))
    padded = np.zeros(n_fft)
    padded[4 * SR : 4 * SR + n] = mid  # zero phase: the response before 0 lands in the padding, not on the other end
    added = np.fft.irfft(np.fft.rfft(padded) * 0.5 * comb, n_fft)[4 * SR : 4 * SR + n]
    expected = np.stack([mid + side + added, mid - side - added])
    fresh = spectral_spread(x, sample_rate=SR, amount=0.5, low_hz=low_hz, bands_per_octave=bands_per_octave)
    np.testing.assert_allclose(fresh, expected, atol=2e-6)  # 0.1 rms noise: the cut response is > 100 dB under it
    inplace = x.copy()
    assert spectral_spread(inplace, sample_rate=SR, amount=0.5, low_hz=low_hz, bands_per_octave=bands_per_octave, out=inplace) is inplace
    assert inplace.tobytes() == fresh.tobytes()
    with pytest.raises(ParameterError, match="out"):
        spectral_spread(x, sample_rate=SR, amount=0.5, out=np.zeros((2, n), np.float64))


def test_spread_of_a_long_source_is_the_same_in_every_frame():
    """Many overlap-add frames (a 3 s click train): each click's response equals the first one's, wherever its frame starts."""
    x = np.zeros((1, 3 * SR), np.float32)
    clicks = np.arange(SR // 10, 3 * SR - SR // 10, 12345)
    x[0, clicks] = 0.5
    y = spectral_spread(x, sample_rate=SR, amount=1.0)
    side = (y[0] - y[1]) / 2
    first = side[clicks[0] - 4800 : clicks[0] + 4801]
    assert np.abs(first).max() > 0.01
    for c in clicks[1:]:
        np.testing.assert_allclose(side[c - 4800 : c + 4801], first, atol=1e-7)


def test_channel_strip_spread_round_trips_settings():
    s = MixSettings(tracks={"pad": TrackMix(spread=0.7)})
    assert MixSettings.from_dict(s.to_dict()) == s


def test_band_mix_lands_in_the_stereo_target():
    """Six independent mono stems placed by role: correlation 0.5-0.85, side/mid -14..-6 dB, fold-down <= 1.5 dB."""
    roles = {"drums": "drums", "bass": "bass", "piano": "keys", "pad": "pad", "guitar": "guitar", "lead": "lead"}
    stems = {name: _noise(10 + i) for i, name in enumerate(roles)}
    stems["bass"] = scipy.signal.sosfilt(scipy.signal.butter(4, 250.0, fs=SR, output="sos"), stems["bass"]).astype(np.float32)
    settings = auto_mix_settings(stems, roles=roles, sample_rate=SR)
    settings = MixSettings(tracks={n: TrackMix(gain_db=t.gain_db, pan=t.pan, spread=t.spread) for n, t in settings.tracks.items()})
    mix = apply_mix(stems, settings, sample_rate=SR)
    mid, side = (mix[0] + mix[1]) / 2, (mix[0] - mix[1]) / 2
    side_mid_db = 10 * np.log10(np.mean(side**2) / np.mean(mid**2))
    assert 0.5 <= stereo_correlation(mix) <= 0.85
    assert -14.0 <= side_mid_db <= -6.0
    assert fold_down_loss_db(mix, sample_rate=SR) <= 1.5
    assert low_end_correlation(mix, sample_rate=SR) > 0.98


def test_master_widens_a_narrow_mix_toward_min_side_mid():
    from lemm.mix import MasterSettings, master

    rng = np.random.default_rng(5)
    mid = rng.standard_normal(SR * 6).astype(np.float32) * 0.1
    side = rng.standard_normal(SR * 6).astype(np.float32) * 0.1 * 10 ** (-16 / 20)  # side/mid -16 dB
    narrow = np.stack([mid + side, mid - side])

    def side_mid_db(x: np.ndarray, **kw) -> float:
        out, _ = master(x, sample_rate=SR, settings=MasterSettings(mono_bass_hz=None, tilt_strength=0.0, **kw))
        m, s = (out[0] + out[1]) / 2, (out[0] - out[1]) / 2
        return 10 * np.log10(np.mean(s.astype(np.float64) ** 2) / np.mean(m.astype(np.float64) ** 2))

    assert abs(side_mid_db(narrow, min_side_mid_db=None) + 16.0) < 0.5
    assert abs(side_mid_db(narrow) - (-16.0 + 20 * np.log10(1.5))) < 0.5  # widened, at most 1.5x
    wide = np.stack([mid + 4 * side, mid - 4 * side])  # -4 dB: left alone
    assert abs(side_mid_db(wide) - side_mid_db(wide, min_side_mid_db=None)) < 0.1
