"""lemm.mix.mixer.track_outputs, the stems of a data set: each track's share of apply_mix, effects included."""

from __future__ import annotations

import numpy as np
import pytest

from lemm.errors import ParameterError
from lemm.mix import MixSettings, TrackMix, apply_mix
from lemm.mix.mixer import track_outputs
from lemm.mix.settings import CompressorSettings

SAMPLE_RATE = 16000


def _stems(n: int = 2 * SAMPLE_RATE) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    decay = np.exp(-np.arange(n) / 2000.0).astype(np.float32)
    return {
        "kick": (rng.standard_normal((1, n)) * decay).astype(np.float32),  # decays into subnormals, as IIR tails do
        "pad": rng.standard_normal((2, n)).astype(np.float32) * 0.1,
        "lead": rng.standard_normal((1, n)).astype(np.float32) * 0.2,
        "muted": rng.standard_normal((2, n)).astype(np.float32),
    }


def test_shares_sum_to_the_mix_with_sends_ducking_and_mute() -> None:
    stems = _stems()
    settings = MixSettings(tracks={
        "kick": TrackMix(gain_db=-3.0, reverb_send_db=-20.0),
        "pad": TrackMix(pan=-0.4, highpass_hz=200.0, reverb_send_db=-8.0, delay_send_db=-12.0,
                        sidechain_source="kick", sidechain_depth_db=6.0),
        "lead": TrackMix(pan=0.3, compressor=CompressorSettings(ratio=3.0, threshold_db=-20.0), delay_send_db=-10.0,
                         reverb_send_db=-14.0),
        "muted": TrackMix(mute=True, reverb_send_db=0.0),
    })
    shares = track_outputs(stems, settings, sample_rate=SAMPLE_RATE)
    assert list(shares) == list(stems)
    assert all(s.shape == (2, 2 * SAMPLE_RATE) and s.dtype == np.float32 for s in shares.values())
    assert not np.any(shares["muted"])
    mix = apply_mix(stems, settings, sample_rate=SAMPLE_RATE)
    total = np.sum([s.astype(np.float64) for s in shares.values()], axis=0)
    assert np.abs(total - mix).max() < 1e-5 * np.abs(mix).max()
    # each share is that track alone through the mixer (its sends' returns included); the pad ducks under the
    # kick's stem, so the kick stays in, 120 dB down (its residue is below 1e-5)
    for name in ("pad", "lead"):
        alone = MixSettings(tracks={n: t if n == name else TrackMix(mute=True) for n, t in settings.tracks.items()})
        alone = MixSettings(tracks={**alone.tracks, "kick": TrackMix(gain_db=-120.0)}) if name == "pad" else alone
        np.testing.assert_allclose(shares[name], apply_mix(stems, alone, sample_rate=SAMPLE_RATE), atol=1e-5)
        assert np.abs(shares[name]).max() > 0.05
    assert np.array_equal(shares["kick"], track_outputs(stems, settings, sample_rate=SAMPLE_RATE)["kick"])  # deterministic


def test_missing_track_settings_are_refused() -> None:
    with pytest.raises(ParameterError, match="settings.tracks"):
        track_outputs(_stems(), MixSettings(tracks={"kick": TrackMix()}), sample_rate=SAMPLE_RATE)
