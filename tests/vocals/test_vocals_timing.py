"""Timing correction: onsets to a grid (the CLI's ``clean --timing grid``) and to a melody, and the sung vowel boundaries."""

from __future__ import annotations

import argparse

import librosa
import numpy as np
import soundfile as sf

from lemm.cli_vocals import add_vocals_subcommands
from lemm.vocals.boundaries import refine_vowel_onsets
from lemm.vocals.clean import clean_vocal

SR = 16000
_WRITTEN = np.array([0.5, 1.0, 1.5, 2.0])
_PERFORMED = np.array([0.535, 0.965, 1.53, 1.975])  # 35 ms late, 35 early, 30 late, 25 early


def _harmonics(f0_hz: float, n: int, formants: tuple[float, ...], sample_rate: int = SR) -> np.ndarray:
    """A steady voiced sound: harmonics of f0 shaped by resonances (numpy only)."""
    t = np.arange(n) / sample_rate
    out = np.zeros(n)
    for k in range(1, int(0.45 * sample_rate / f0_hz)):
        gain = sum(1.0 / (1.0 + ((k * f0_hz - f) / 90.0) ** 2) for f in formants) / k**0.5
        out += gain * np.sin(2 * np.pi * k * f0_hz * t)
    return out / np.max(np.abs(out))


def _legato_take(vowel_starts: np.ndarray, sample_rate: int = SR) -> np.ndarray:
    """One voiced run: a nasal murmur ("m": one low resonance, 20 dB down) before each 350 ms vowel."""
    n = int(2.6 * sample_rate)
    nasal = 0.03 * _harmonics(180.0, n, (250.0,), sample_rate)
    vowel = 0.3 * _harmonics(180.0, n, (700.0, 1200.0, 2600.0), sample_rate)
    t = np.arange(n) / sample_rate
    on = np.zeros(n, dtype=bool)
    murmur = (t >= vowel_starts[0] - 0.07) & (t < vowel_starts[-1] + 0.45)  # murmurs of 80 ms and more between vowels
    for s in vowel_starts:
        on |= (t >= s) & (t < s + 0.35)
    rng = np.random.default_rng(0)
    return np.where(on, vowel, np.where(murmur, nasal, 0.0)) + 1e-4 * rng.standard_normal(n)


def _vowel_onsets_librosa(audio: np.ndarray, sample_rate: int, near: np.ndarray) -> np.ndarray:
    """Independent measure: where the 400..2500 Hz level (librosa STFT, 1 ms hop) crosses halfway up, near each time."""
    hop = sample_rate // 1000
    spec = np.abs(librosa.stft(audio.astype(np.float64), n_fft=256, hop_length=hop)) ** 2
    freqs = librosa.fft_frequencies(sr=sample_rate, n_fft=256)
    level = 10 * np.log10(spec[(freqs >= 400) & (freqs <= 2500)].sum(axis=0) + 1e-12)
    out = []
    for t in near:
        c = int(round(t * 1000))
        seg = level[c - 60 : c + 60]
        half = 0.5 * (np.median(level[c - 55 : c - 35]) + np.median(level[c + 35 : c + 55]))
        out.append((c - 60 + int(np.argmax(seg >= half))) / 1000.0)
    return np.array(out)


def test_clean_timing_grid_from_the_cli_puts_vowel_onsets_on_the_grid(tmp_path) -> None:
    take = _legato_take(_PERFORMED)
    np.testing.assert_allclose(_vowel_onsets_librosa(take, SR, _PERFORMED), _PERFORMED, atol=0.006)  # the measure works
    src, out = tmp_path / "take.wav", tmp_path / "out.wav"
    sf.write(src, take, SR, subtype="FLOAT")
    parser = argparse.ArgumentParser(prog="lemm")
    add_vocals_subcommands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["vocals", "clean", str(src), "-o", str(out), "--timing", "grid", "--bpm", "120", "--grid", "8"])
    assert args.func(args) == 0
    fixed, rate = sf.read(out, always_2d=True)
    assert rate == SR
    dev_ms = 1000 * np.abs(_vowel_onsets_librosa(fixed[:, 0], SR, _WRITTEN) - _WRITTEN)
    assert dev_ms.mean() <= 10.0 and dev_ms.max() <= 20.0, dev_ms
    before_ms = 1000 * np.abs(_PERFORMED - _WRITTEN)
    assert dev_ms.mean() < 0.5 * before_ms.mean()


def test_clean_timing_grid_and_melody_warp_each_performed_onset_to_its_note() -> None:
    take = _legato_take(_PERFORMED)
    melody = [(57, float(s), float(s) + 0.5) for s in _WRITTEN]
    for options in ({"timing": "grid", "grid_seconds": 0.25}, {"timing": "melody", "melody": melody, "tune": False}):
        result = clean_vocal(take, SR, **options)
        grid = np.arange(0.0, result.audio.shape[1] / SR, 0.001)
        mapped = np.interp(_PERFORMED, result.source_seconds(grid), grid)  # output time of each performed onset
        assert len(result.anchors) == 4, options["timing"]
        np.testing.assert_allclose(mapped, _WRITTEN, atol=0.012)
        assert abs(result.audio.shape[1] - take.size - (_WRITTEN[-1] - _PERFORMED[-1]) * SR) <= 0.01 * SR


def test_melody_timing_of_a_sung_take_with_voiced_and_cluster_onsets() -> None:
    from lemm.vocals.takes import synthetic_take

    melody = [(50, 0.5, 1.1), (52, 1.1, 1.7), (53, 1.7, 2.3)]
    take = synthetic_take(melody, ["so", "bright", "night"], sample_rate=SR, seed=1, timing_ms=40.0)
    result = clean_vocal(take.clean, SR, melody=melody, timing="melody", tune=False)
    grid = np.arange(0.0, result.audio.shape[1] / SR, 0.001)
    mapped = np.interp([s for _p, s, _e in take.performed], result.source_seconds(grid), grid)
    dev_ms = 1000 * np.abs(mapped - [s for _p, s, _e in melody])
    assert dev_ms.max() <= 20.0, dev_ms


def test_vowel_boundary_after_a_nasal_moves_to_the_level_rise_only() -> None:
    take = _legato_take(np.array([0.5]))
    phonemes = [("m", 0.43, 0.54), ("'a", 0.54, 0.9)]  # espeak-like: the reported vowel start is 40 ms late
    refined = refine_vowel_onsets(phonemes, take, SR)
    assert abs(refined[1][1] - 0.5) < 0.006 and refined[0][2] == refined[1][1] and refined[0][1] == 0.43
    stop = [("t", 0.43, 0.54), ("'a", 0.54, 0.9)]  # not a sonorant: left alone
    assert refine_vowel_onsets(stop, take, SR) == stop
    late = [("m", 0.40, 0.47), ("'a", 0.47, 0.9)]  # reported before the rise: never moved later
    assert refine_vowel_onsets(late, take, SR) == late
