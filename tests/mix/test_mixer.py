"""apply_mix: sums, pan, sends, determinism, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from lemm.errors import ParameterError
from lemm.mix import MixSettings, TrackMix, apply_mix, auto_mix_settings
from lemm.mix.dynamics import compressor_gain
from lemm.mix.filters import apply_sos, track_filter_sos
from lemm.mix.mixer import channel_strip
from lemm.mix.panning import pan_matrix
from lemm.mix.settings import CompressorSettings

from .signals import SAMPLE_RATE, dense_mix, sparse_notes


def _stems(n: int = SAMPLE_RATE) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(5)
    return {
        "a": rng.standard_normal((2, n)).astype(np.float32) * 0.1,
        "b": rng.standard_normal((1, n)).astype(np.float32) * 0.1,
    }


def test_plain_settings_give_the_panned_sum() -> None:
    stems = _stems()
    stems["c"] = stems["a"].copy()  # float32 stereo at the centre: the fast path must not write into it
    s = MixSettings(tracks={"a": TrackMix(gain_db=-6.0), "b": TrackMix(pan=0.5), "c": TrackMix(gain_db=-120.0)})
    out = apply_mix(stems, s, sample_rate=SAMPLE_RATE)
    np.testing.assert_array_equal(stems["c"], stems["a"])
    theta = (0.5 + 1) * np.pi / 4
    expected = stems["a"] * 10 ** (-6 / 20) + np.vstack([np.cos(theta) * stems["b"], np.sin(theta) * stems["b"]])
    np.testing.assert_allclose(out, expected, atol=1e-6)
    assert out.dtype == np.float32 and out.shape == (2, SAMPLE_RATE)


def test_mute_highpass_compressor_and_send() -> None:
    stems = _stems()
    base = MixSettings(tracks={"a": TrackMix(), "b": TrackMix(mute=True)})
    np.testing.assert_allclose(apply_mix(stems, base, sample_rate=SAMPLE_RATE), stems["a"], atol=1e-7)
    hp = base.with_track("a", TrackMix(highpass_hz=12000.0))  # removes about half of white noise's power
    assert np.std(apply_mix(stems, hp, sample_rate=SAMPLE_RATE)) == pytest.approx(np.std(stems["a"]) * np.sqrt(0.5), rel=0.1)
    comp = base.with_track("a", TrackMix(compressor=CompressorSettings(threshold_db=-30.0, ratio=8.0)))
    squeezed = apply_mix(stems, comp, sample_rate=SAMPLE_RATE)[:, SAMPLE_RATE // 2 :]  # after the attack
    assert np.abs(squeezed).max() < np.abs(stems["a"]).max() * 0.5
    wet = base.with_track("a", TrackMix(reverb_send_db=0.0))
    tail = apply_mix({k: np.concatenate([v, np.zeros_like(v)], axis=1) for k, v in stems.items()}, wet, sample_rate=SAMPLE_RATE)
    assert np.abs(tail[:, SAMPLE_RATE + 2400 :]).max() > 1e-3  # the reverb rings on after the dry signal stops


def test_auto_mix_is_deterministic_and_finite() -> None:
    stems = {"drums": dense_mix(2.0), "keys": sparse_notes(2.0)[:1], "pad": dense_mix(2.0, seed=4) * 0.1}
    roles = {"drums": "drums", "keys": "keys", "pad": "pad"}
    s = auto_mix_settings(stems, roles=roles, sample_rate=SAMPLE_RATE)
    originals = {k: v.copy() for k, v in stems.items()}
    a = apply_mix(stems, s, sample_rate=SAMPLE_RATE)
    for name, x in stems.items():  # inputs untouched
        np.testing.assert_array_equal(x, originals[name])
    b = apply_mix(stems, s, sample_rate=SAMPLE_RATE, workers=1)
    np.testing.assert_array_equal(a, b)
    assert np.all(np.isfinite(a))


def test_errors_name_the_stem() -> None:
    stems = _stems()
    s = MixSettings(tracks={"a": TrackMix(), "b": TrackMix(), "c": TrackMix()})
    with pytest.raises(ParameterError, match=r"'c' has 100 samples, stem 'a' has 48000"):
        apply_mix({**stems, "c": np.zeros((2, 100))}, s, sample_rate=SAMPLE_RATE)
    bad = stems["a"].copy()
    bad[1, 7] = np.nan
    with pytest.raises(ParameterError, match=r"stems\['a'\].*non-finite"):
        apply_mix({**stems, "a": bad}, s, sample_rate=SAMPLE_RATE)
    with pytest.raises(ParameterError, match=r"stems\['c'\].*2 \(stereo\) channels"):
        apply_mix({**stems, "c": np.zeros((6, SAMPLE_RATE))}, s, sample_rate=SAMPLE_RATE)
    with pytest.raises(ParameterError, match="settings.tracks"):
        apply_mix(stems, MixSettings(tracks={"a": TrackMix()}), sample_rate=SAMPLE_RATE)
    with pytest.raises(ParameterError, match="stems"):
        apply_mix({}, s, sample_rate=SAMPLE_RATE)
    with pytest.raises(ParameterError, match="settings"):
        apply_mix(stems, {"a": {}}, sample_rate=SAMPLE_RATE)  # type: ignore[arg-type]


def test_silent_stems_mix_to_silence() -> None:
    stems = {"a": np.zeros((2, 4800)), "b": np.zeros((1, 4800))}
    s = MixSettings(tracks={"a": TrackMix(highpass_hz=100.0, reverb_send_db=0.0), "b": TrackMix(compressor=CompressorSettings(-20.0, 4.0))})
    np.testing.assert_array_equal(apply_mix(stems, s, sample_rate=SAMPLE_RATE), 0.0)


@pytest.mark.parametrize("ducked", [False, True])
def test_channel_strip_compressor_is_the_whole_gain_curve_times_the_audio(ducked: bool) -> None:
    # the strip makes the compressor's gain curve by parts: the same samples as the whole curve, multiplied once
    rng = np.random.default_rng(3)
    n = 3 * 65536 + 1234  # several parts, and a last control block cut short
    audio = (rng.standard_normal((2, n)) * np.linspace(0.01, 0.8, n)).astype(np.float32)
    duck = (0.5 + 0.5 * rng.random(n)).astype(np.float32) if ducked else None
    track = TrackMix(gain_db=-2.0, highpass_hz=60.0, compressor=CompressorSettings(threshold_db=-24.0, ratio=4.0, attack_ms=3.0, release_ms=80.0))
    filtered = apply_sos(audio, track_filter_sos(sample_rate=SAMPLE_RATE, highpass_hz=60.0))
    gain = compressor_gain(filtered, sample_rate=SAMPLE_RATE, threshold_db=-24.0, ratio=4.0, attack_ms=3.0, release_ms=80.0,
                           knee_db=track.compressor.knee_db, input_gain_db=-2.0)
    if ducked:
        gain *= duck
    fader = (pan_matrix(0.0, 2) * 10.0 ** (-2.0 / 20.0)).astype(np.float32).diagonal()[:, None]
    expected = (filtered * gain[None, :]) * fader
    assert np.array_equal(channel_strip(audio, track, sample_rate=SAMPLE_RATE, duck_gain=duck), expected)
