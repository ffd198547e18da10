"""Delay, sidechain, masking EQ, tilt, width, targets, reference matching, dither, the CLI."""

from __future__ import annotations

import argparse
import dataclasses
import json

import numpy as np
import pyloudnorm
import pytest
import scipy.signal
import soundfile as sf

from lemm.errors import FileFormatError, ParameterError
from lemm.mix import (
    MasterSettings,
    MixSettings,
    TrackMix,
    apply_mix,
    auto_mix_settings,
    fold_down_loss_db,
    master,
    match_reference,
    measure,
    resolve_target,
    settings_for_target,
    spectral_tilt,
    tpdf_dither,
)
from lemm.mix.cli import add_mix_subcommands, master_file
from lemm.mix.delay import delay
from lemm.mix.sidechain import ducking_gain

from .signals import SAMPLE_RATE, dense_mix, dynamic_signal, sine, sparse_notes, stereo


def test_delay_repeats_match_feedback_formula() -> None:
    x = np.zeros((2, 8000))
    x[:, 0] = 1.0
    wet = delay(x, sample_rate=8000, time_ms=50.0, feedback=0.5, highpass_hz=0.0, lowpass_hz=24000.0, ping_pong=False)
    taps = wet[0, [400, 800, 1200, 1600]]
    np.testing.assert_allclose(taps, [1.0, 0.5, 0.25, 0.125], rtol=1e-6)
    # repeats until they fall below -60 dB: 0.5 ** 9 is the last one over 1e-3
    assert wet[0, 4000] == pytest.approx(0.5**9) and wet[0, 4400] == 0.0
    assert np.count_nonzero(wet[0]) == 10


def test_sidechain_ducks_on_kick_only() -> None:
    rate = SAMPLE_RATE
    n = 2 * rate
    drums = np.zeros(n)
    t = np.arange(4800) / rate
    for start in (0, rate):
        drums[start : start + 4800] += np.sin(2 * np.pi * 50 * t) * np.exp(-t * 20)
    drums[rate // 2 : rate // 2 + 4800] += 0.3 * np.sin(2 * np.pi * 8000 * t)  # a hat: high, must not duck
    g = ducking_gain(drums[None], sample_rate=rate, depth_db=6.0, release_ms=50.0)
    db = 20 * np.log10(g)
    assert db[: rate // 4].min() == pytest.approx(-6.0, abs=0.5)
    assert db[rate // 2 + 2000 : rate // 2 + 4000].min() > -0.5
    stems = {"drums": np.stack([drums, drums]), "pad": stereo(sine(220.0, -12.0, 2.0))}
    s = auto_mix_settings(stems, roles={"drums": "drums", "pad": "pad"}, sample_rate=rate, sidechain=True)
    assert s.tracks["pad"].sidechain_source == "drums" and s.tracks["pad"].sidechain_depth_db == 4.0
    only_pad = s.with_track("drums", TrackMix(mute=True))
    ducked = apply_mix(stems, only_pad, sample_rate=rate)
    plain = apply_mix(stems, only_pad.with_track("pad", dataclasses.replace(s.tracks["pad"], sidechain_depth_db=0.0)), sample_rate=rate)
    ratio_db = 20 * np.log10(np.abs(ducked[:, 200:600]).max() / np.abs(plain[:, 200:600]).max())
    assert -4.5 <= ratio_db <= -2.0  # most of the 4 dB depth during the kick's loudest hit
    hat = slice(rate // 2, rate // 2 + 4800)
    assert 20 * np.log10(np.abs(ducked[:, hat]).max() / np.abs(plain[:, hat]).max()) > -0.5  # the hat does not duck
    with pytest.raises(ParameterError, match="sidechain_source"):
        apply_mix(stems, s.with_track("pad", TrackMix(sidechain_source="kick", sidechain_depth_db=3.0)), sample_rate=rate)


def test_masking_eq_carves_bass_and_vocal_room() -> None:
    rate = SAMPLE_RATE
    t = np.arange(3 * rate) / rate
    kick = np.zeros(3 * rate)
    for s in range(0, 3 * rate - 9600, rate // 2):
        kick[s : s + 9600] += np.sin(2 * np.pi * 62 * t[:9600]) * np.exp(-t[:9600] * 10)
    bass = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate([55.0, 110.0, 165.0], 1)) * 0.3
    vocal = sum(np.sin(2 * np.pi * 220 * h * t) / h for h in range(1, 20)) * 0.2  # harmonics up to 4 kHz
    keys = dense_mix(3.0)[0] * 0.5
    stems = {"drums": stereo(kick), "bass": stereo(bass), "vocal": stereo(vocal), "keys": stereo(keys)}
    roles = {"drums": "drums", "bass": "bass", "vocal": "vocal", "keys": "keys"}
    s = auto_mix_settings(stems, roles=roles, sample_rate=rate)
    (bass_cut,) = s.tracks["bass"].eq
    assert bass_cut.gain_db < 0 and 55.0 <= bass_cut.frequency_hz <= 70.0  # at the kick's 62 Hz (1/3-octave grid)
    (keys_cut,) = s.tracks["keys"].eq
    assert keys_cut.gain_db <= -1.5 and 1000.0 <= keys_cut.frequency_hz <= 4000.0
    assert s.tracks["vocal"].eq == () and s.tracks["vocal"].delay_send_db is not None


def test_spectral_tilt_of_pink_and_white_noise() -> None:
    rng = np.random.default_rng(5)
    white = rng.standard_normal((2, SAMPLE_RATE * 4))
    spectrum = np.fft.rfft(white, axis=-1)
    f = np.fft.rfftfreq(white.shape[1], 1 / SAMPLE_RATE)
    spectrum[:, 1:] /= np.sqrt(f[1:])  # 1/f power: pink
    pink = np.fft.irfft(spectrum, n=white.shape[1], axis=-1)
    assert spectral_tilt(white, sample_rate=SAMPLE_RATE) == pytest.approx(3.01, abs=0.15)
    assert spectral_tilt(pink, sample_rate=SAMPLE_RATE) == pytest.approx(0.0, abs=0.15)


def test_master_moves_tilt_toward_target_and_keeps_mono_safe() -> None:
    rng = np.random.default_rng(9)
    wide = scipy.signal.sosfilt(scipy.signal.butter(2, 8000, fs=SAMPLE_RATE, output="sos"), rng.standard_normal((2, SAMPLE_RATE * 6)), axis=-1) * 0.1
    before = spectral_tilt(wide, sample_rate=SAMPLE_RATE)
    out, report = master(wide, sample_rate=SAMPLE_RATE, settings=MasterSettings(tilt_target_db_per_octave=before - 2.0, tilt_strength=0.5))
    assert report.tilt_correction_db_per_octave == pytest.approx(-1.0, abs=0.01)
    assert report.spectral_tilt_db_per_octave == pytest.approx(before - 1.0, abs=0.3)
    assert fold_down_loss_db(wide, sample_rate=SAMPLE_RATE) == pytest.approx(3.0, abs=0.1)  # uncorrelated
    assert report.mono_fold_down_loss_db <= 1.3 and report.side_gain < 1.0
    assert report.low_end_correlation >= 0.9
    assert len(report.short_term_lufs) == 4 and len(report.gain_reduction_db) == 6
    json.dumps(report.to_dict())  # JSON-ready (no numpy types)


@pytest.mark.parametrize("name", ["streaming", "apple", "loud", "broadcast", "-18"])
def test_targets(name: str) -> None:
    lufs, ceiling = resolve_target(name)
    s = settings_for_target(MixSettings(), name)
    out, report = master(dynamic_signal(4.0), sample_rate=SAMPLE_RATE, settings=s.master)
    assert pyloudnorm.Meter(SAMPLE_RATE).integrated_loudness(out.T.astype(np.float64)) == pytest.approx(lufs, abs=0.3)
    assert report.true_peak_dbtp <= ceiling and np.abs(out).max() < 1.0
    with pytest.raises(ParameterError, match="target"):
        resolve_target("louder")


def test_reference_matching_reaches_reference_loudness_and_width() -> None:
    mix = dense_mix(5.0, seed=1) * 0.3
    ref = sparse_notes(5.0, seed=2)
    ref[1] = ref[0]  # a mono-compatible, narrow reference
    s = match_reference(MixSettings(), mix, ref, sample_rate=SAMPLE_RATE)
    ref_m = measure(ref, sample_rate=SAMPLE_RATE)
    assert s.master.target_lufs == pytest.approx(max(-30.0, ref_m["integrated_lufs"]), abs=0.01)
    assert s.master.stereo_width == 0.0
    with pytest.raises(ParameterError, match="reference"):
        match_reference(MixSettings(), mix, np.zeros((2, 48000)), sample_rate=SAMPLE_RATE)


def test_tpdf_dither_statistics() -> None:
    x = np.zeros((2, 200_000))
    y = tpdf_dither(x, bit_depth=16, seed=3).astype(np.float64) * 32768
    assert set(np.unique(y)) <= {-1.0, 0.0, 1.0}
    # round(TPDF on [-1, 1]) at 0 is +-1 with probability (1/2)**2 / 2 = 1/8 each: variance 1/4
    assert np.var(y) == pytest.approx(0.25, abs=0.01)
    np.testing.assert_array_equal(y, tpdf_dither(x, bit_depth=16, seed=3).astype(np.float64) * 32768)


def test_cli_master_file(tmp_path) -> None:
    parser = argparse.ArgumentParser()
    add_mix_subcommands(parser.add_subparsers(dest="command"))
    mono = sparse_notes(4.0)[:1].T
    sf.write(tmp_path / "in.wav", mono, 44100, subtype="PCM_24")
    args = parser.parse_args(["master", str(tmp_path / "in.wav"), "-o", str(tmp_path / "out.wav"), "--bit-depth", "16"])
    assert args.func(args) == 0
    data, rate = sf.read(tmp_path / "out.wav", always_2d=True)
    assert rate == 44100 and data.shape[1] == 2
    assert pyloudnorm.Meter(rate).integrated_loudness(data) == pytest.approx(-14.0, abs=0.3)
    sf.write(tmp_path / "surround.wav", np.zeros((4800, 6)), 48000)
    with pytest.raises(ParameterError, match="channels"):
        master_file(tmp_path / "surround.wav", tmp_path / "x.wav")
    (tmp_path / "ref.wav").write_text("not audio")
    with pytest.raises(FileFormatError):
        master_file(tmp_path / "in.wav", tmp_path / "y.wav", reference=tmp_path / "ref.wav")
    assert not (tmp_path / "x.wav").exists() and not (tmp_path / "y.wav").exists()
