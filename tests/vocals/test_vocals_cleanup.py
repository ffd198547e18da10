"""Cleanup of recorded vocals: tuning, timing, denoise, shifts, bad takes, the CLI. Synthetic voices, numpy references."""

from __future__ import annotations

import argparse

import librosa
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lemm.cli_vocals import add_vocals_subcommands
from lemm.errors import ParameterError
from lemm.vocals.analysis import PitchTrack, prepare_take, track_pitch
from lemm.vocals.clean import clean_vocal
from lemm.vocals.denoise import reduce_noise
from lemm.vocals.judge import word_correct
from lemm.vocals.timing import melody_onsets, onset_anchors, time_map
from lemm.vocals.transform import shift_pitch, stretch_time
from lemm.vocals.tuning import correct_pitch, note_segments, parse_key

SR = 16000


def _voice(f0_hz: np.ndarray, sample_rate: int = SR, *, formants=(700.0, 1200.0, 2600.0)) -> np.ndarray:
    """A vowel: harmonics of a time-varying f0 shaped by three formant resonances (numpy only)."""
    phase = 2 * np.pi * np.cumsum(f0_hz) / sample_rate
    out = np.zeros(f0_hz.size)
    for k in range(1, 40):
        fk = k * f0_hz
        gain = sum(1.0 / (1.0 + ((fk - f) / 90.0) ** 2) for f in formants) / k**0.5
        out += np.where(fk < sample_rate / 2 - 200, gain, 0.0) * np.sin(k * phase)
    return 0.3 * out / np.max(np.abs(out))


def _cents(f0: np.ndarray, ref_hz: float) -> np.ndarray:
    return 1200 * np.log2(f0 / ref_hz)


def test_parse_key_matches_music21_scales() -> None:
    import music21

    for text, tonic, mode in (("A minor", "A", "minor"), ("Eb major", "E-", "major"), ("F#m", "F#", "minor")):
        scale = music21.scale.MajorScale(tonic) if mode == "major" else music21.scale.MinorScale(tonic)
        assert sorted(parse_key(text)) == sorted({p.pitchClass for p in scale.getPitches()})
    assert parse_key("chromatic") == tuple(range(12))
    with pytest.raises(ParameterError, match="key"):
        parse_key("H dorian")


@settings(max_examples=25, deadline=None)
@given(st.floats(-0.45, 0.45), st.sampled_from([57, 59, 60, 62, 64, 65, 67]))
def test_humanized_correction_moves_the_note_centre_and_keeps_vibrato(detune, pitch) -> None:
    t = np.arange(400) * 0.005
    vib = 0.3 * np.sin(2 * np.pi * 5.5 * t)
    f0 = 440.0 * 2 ** ((pitch + detune + vib - 69) / 12)
    fixed = correct_pitch(PitchTrack(t, f0), key="C major", humanize=True)
    cents = _cents(fixed.f0_hz, 440.0 * 2 ** ((pitch - 69) / 12))
    assert abs(np.median(cents)) < 1.0
    np.testing.assert_allclose(cents - np.median(cents), 100 * (vib - np.median(vib)), atol=1e-6)  # vibrato untouched


def test_hard_tune_flattens_and_melody_targets_follow_the_score() -> None:
    t = np.arange(400) * 0.005
    f0 = np.where(t < 1.0, 220.0 * 2 ** (0.4 / 12), 247.0 * 2 ** (-0.35 / 12)) * 2 ** (0.2 * np.sin(2 * np.pi * 5 * t) / 12)
    melody = [(57, 0.0, 1.0), (59, 1.0, 2.0)]
    fixed = correct_pitch(PitchTrack(t, f0), melody=melody, retune_ms=0.0)
    ref = np.where(t < 1.0, librosa.midi_to_hz(57), librosa.midi_to_hz(59))
    np.testing.assert_allclose(fixed.f0_hz, ref, rtol=1e-9)
    segs = note_segments(PitchTrack(t, f0), melody=melody)
    assert [s.target_midi for s in segs] == [57.0, 59.0]
    with pytest.raises(ParameterError, match="retune_ms"):
        correct_pitch(PitchTrack(t, f0), key="A minor", retune_ms=-1)
    with pytest.raises(ParameterError, match="key/melody"):
        correct_pitch(PitchTrack(t, f0))


def test_clean_vocal_retunes_a_detuned_voice_measured_by_pyin() -> None:
    t = np.arange(int(1.5 * SR)) / SR
    target = 220.0
    sharp = _voice(np.full(t.size, target * 2 ** (45 / 1200)))
    result = clean_vocal(sharp, SR, key="A minor")
    assert result.audio.shape == (1, t.size) and result.audio.dtype == np.float32
    f0, voiced, _ = librosa.pyin(result.audio[0].astype(np.float64), fmin=100, fmax=400, sr=SR, frame_length=1024, hop_length=160)
    mid = voiced & (np.arange(f0.size) > 15) & (np.arange(f0.size) < f0.size - 15)
    assert abs(np.median(_cents(f0[mid], target))) < 10.0
    stereo = clean_vocal(np.stack([sharp, sharp]), SR, key="A minor")
    assert stereo.audio.shape == (2, t.size)


def test_time_map_and_anchors() -> None:
    anchors = onset_anchors(np.array([0.52, 1.47, 3.0]), melody=[(60, 0.5, 1.0), (62, 1.5, 2.0)], max_shift_ms=100)
    assert anchors == [(0.5, 0.52), (1.5, 1.47)]
    grid = onset_anchors(np.array([0.26, 0.49]), grid_seconds=0.25)
    assert grid == [(0.25, 0.26), (0.5, 0.49)]
    src = time_map(anchors, np.array([0.5, 1.0, 1.5, 2.5]), duration_seconds=3.0)
    np.testing.assert_allclose(src, [0.52, 0.52 + 0.5 * (1.47 - 0.52), 1.47, 2.47])


def test_melody_onsets_find_vowel_starts_after_consonant_gaps() -> None:
    rng = np.random.default_rng(0)
    starts = [0.5, 1.03, 1.48]  # performed; written at 0.5, 1.0, 1.5
    t = np.arange(2 * SR) / SR
    audio = 0.001 * rng.standard_normal(t.size)
    f0 = np.zeros(t.size)
    for s in starts:
        on = (t >= s) & (t < s + 0.4)
        f0[on] = 200.0
    audio += _voice(np.where(f0 > 0, f0, 200.0)) * (f0 > 0)
    pitch = track_pitch(audio, SR)
    found = melody_onsets(pitch, audio, SR, np.array([0.5, 1.0, 1.5]))
    np.testing.assert_allclose(found, starts, atol=0.012)


def test_denoise_raises_snr_on_a_voice_in_white_noise() -> None:
    rng = np.random.default_rng(1)
    sr = 48000  # the song rate: white noise spreads over 24 kHz, the voice does not
    t = np.arange(2 * sr) / sr
    voice = _voice(np.full(t.size, 180.0), sr) * ((t > 0.6) & (t < 1.6))
    noise = rng.standard_normal(t.size)
    noise *= np.sqrt(np.mean(voice**2) / np.mean(noise**2) / 10.0)  # 10 dB SNR
    out = reduce_noise(voice + noise, sr)

    def snr(y):
        return 10 * np.log10(np.sum(voice**2) / np.sum((y - voice) ** 2))

    assert snr(out) > snr(voice + noise) + 1.0
    np.testing.assert_allclose(reduce_noise(voice + noise, sr, prop_decrease=0.0), voice + noise, atol=1e-9)


def _lpc_formants(x: np.ndarray) -> np.ndarray:
    y = librosa.resample(x, orig_sr=SR, target_sr=8000)[2000:6000]
    a = librosa.lpc(np.append(y[0], y[1:] - 0.63 * y[:-1]) * np.hamming(y.size - 0 if False else y.size), order=10)
    roots = [r for r in np.roots(a) if np.imag(r) > 0 and np.abs(r) > 0.85]
    return np.array(sorted(f for f in np.angle(roots) * 8000 / (2 * np.pi) if f > 300)[:3])


def test_formant_preserving_shift_keeps_lpc_formants_and_pitch_moves() -> None:
    t = np.arange(SR) / SR
    x = _voice(np.full(t.size, 110.0))
    ref = _lpc_formants(x)
    for n in (-5.0, 5.0):
        kept = shift_pitch(x, SR, semitones=n)[0].astype(np.float64)
        assert np.max(np.abs(_lpc_formants(kept) / ref - 1)) < 0.05
        f0 = track_pitch(kept, SR).f0_hz
        assert abs(np.median(_cents(f0[f0 > 0], 110.0)) - 100 * n) < 10.0
    plain = shift_pitch(x, SR, semitones=5.0, preserve_formants=False)[0].astype(np.float64)
    assert np.max(np.abs(_lpc_formants(plain) / ref - 1)) > 0.15
    assert stretch_time(x, SR, rate=0.5).shape == (1, 2 * SR)


@pytest.mark.parametrize("rate", [8000, 96000])
def test_any_rate_and_mono_or_stereo_take(rate) -> None:
    t = np.arange(rate // 2) / rate
    x = _voice(np.full(t.size, 200.0), rate)
    out = clean_vocal(np.stack([x, 0.5 * x]), rate, key="G major", retune_ms=50.0)
    assert out.audio.shape == (2, t.size) and np.all(np.isfinite(out.audio))


def test_bad_takes_raise_clear_errors() -> None:
    with pytest.raises(ParameterError, match="silence"):
        clean_vocal(np.zeros(SR), SR, key="A minor")
    with pytest.raises(ParameterError, match="sample_rate"):
        prepare_take(np.ones(SR), 4000)
    with pytest.raises(ParameterError, match="length"):
        prepare_take(np.ones(10), SR)
    with pytest.raises(ParameterError, match="non-finite"):
        prepare_take(np.full(SR, np.nan), SR)
    with pytest.raises(ParameterError, match="timing"):
        clean_vocal(np.ones(SR) * 0.1, SR, timing="melody")
    for options, field in (({"retune_ms": -5.0}, "retune_ms"), ({"retune_ms": float("nan")}, "retune_ms"), ({"max_shift_ms": 0.0}, "max_shift_ms")):
        with pytest.raises(ParameterError, match=field):  # refused even where the option would not be used
            clean_vocal(np.ones(SR) * 0.1, SR, **options)
    clipped = np.clip(3 * _voice(np.full(SR, 200.0)), -1, 1)
    out = clean_vocal(clipped, SR, key="A minor")
    assert np.max(np.abs(out.audio)) <= 0.999


def test_word_correct_counts_aligned_hits() -> None:
    assert word_correct("come back home and stay with me", "come back home stay with me") == (6, 7)
    assert word_correct("the sun", "") == (0, 2)
    assert word_correct("we are", "we we are are") == (2, 2)


def test_cli_parses_clean_and_shift(tmp_path) -> None:
    import soundfile as sf

    parser = argparse.ArgumentParser(prog="lemm")
    add_vocals_subcommands(parser.add_subparsers(dest="command"))
    src = tmp_path / "take.wav"
    t = np.arange(SR // 2) / SR
    sf.write(src, _voice(np.full(t.size, 220.0 * 2 ** (0.3 / 12))), SR)
    out = tmp_path / "out.wav"
    args = parser.parse_args(["vocals", "clean", str(src), "-o", str(out), "--key", "A minor", "--retune-ms", "0"])
    assert args.func(args) == 0 and sf.info(out).frames == t.size
    args = parser.parse_args(["vocals", "shift", str(src), "-o", str(out), "--semitones", "-3"])
    assert args.func(args) == 0
    args = parser.parse_args(["vocals", "clean", str(src), "-o", str(tmp_path / "same.wav")])
    with pytest.raises(ParameterError, match="--key, --melody, --timing, --denoise"):  # nothing asked: no silent copy
        args.func(args)
    assert not (tmp_path / "same.wav").exists()
    with pytest.raises(SystemExit):
        parser.parse_args(["vocals", "clean", str(src), "-o", str(out), "--key", "A", "--melody", "x.mid"])


def test_synthetic_take_has_the_faults_it_reports() -> None:
    from lemm.vocals.takes import synthetic_take

    melody = [(50, 0.5, 1.4), (53, 1.4, 2.3)]
    take = synthetic_take(melody, ["so", "far"], sample_rate=SR, snr_db=10.0, seed=3, vibrato_depth_cents=0.0)
    assert take.audio.shape == take.clean.shape and take.sample_rate == SR
    assert [abs(d) for d in take.detune_cents] == [45.0, 45.0]
    assert all(abs(p[1] - m[1]) <= 0.04 for p, m in zip(take.performed, melody, strict=True))
    noise = take.audio - take.clean
    assert 10 * np.log10(np.mean(take.clean**2) / np.mean(noise**2)) == pytest.approx(10.0, abs=1e-6)
    f0, voiced, _ = librosa.pyin(take.clean, fmin=120, fmax=200, sr=SR, frame_length=1024, hop_length=160, resolution=0.05)
    times = np.arange(f0.size) * 160 / SR
    for (p, s, e), d in zip(take.performed, take.detune_cents, strict=True):
        sel = voiced & (times > s + 0.25) & (times < e - 0.1)
        assert abs(np.median(_cents(f0[sel], librosa.midi_to_hz(p))) - d) < 8.0
