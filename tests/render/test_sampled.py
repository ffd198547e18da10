"""The sampled instruments: index, pitch against an FFT peak, layers, release, round robin, prefix and device paths."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from lemm.render import render_track
from lemm.render.sampled import ROUND_ROBIN_SEMITONES, list_sampled, load_sampled, render_sampled_track, zone_choice
from lemm.score.model import CurvePoint, ExpressionCurve, Note, Score, TempoChange, Track

SR = 16000
TEMPO = (TempoChange(0, 120.0),)  # 1 tick = 1/960 s


def _render(name: str, notes: tuple[Note, ...], **kw) -> np.ndarray:
    track = Track(name="x", role="keys", preset=name, notes=notes, expression=kw.pop("expression", ()))
    return render_track(track, Score(tempos=TEMPO, tracks=(track,)), sample_rate=kw.pop("sample_rate", SR), **kw)


@pytest.mark.parametrize("name", list_sampled())
def test_index_and_files_agree(name):
    inst = load_sampled(name)
    assert len(inst.files) == len(inst.roots) and all(len(z) == len(inst.velocities) for z in inst.files)
    assert max(np.diff(inst.roots)) <= 2 * ROUND_ROBIN_SEMITONES  # between the roots no note is read more than 4 semitones from its recording
    for zone in inst.files:
        for file in zone:
            info = sf.info(inst.folder / file)
            assert info.samplerate == inst.sample_rate and info.channels == 1 and 0.1 < info.duration < 5.0
    assert (inst.folder / "CREDITS.md").is_file()


def test_zone_choice_round_robin():
    roots = (48, 54, 60)
    assert zone_choice(roots, 54, 0) == (1, 0.0)
    assert zone_choice(roots, 54, 1) == (1, 0.0)  # the other zones are 6 semitones away: no round robin
    assert zone_choice(roots, 57, 0) == (1, 3.0)  # a tie takes the lower root
    assert zone_choice(roots, 57, 1) == (2, -3.0)
    assert zone_choice(roots, 57, 2) == (1, 3.0)


def test_key_ranges_play_the_soundfonts_zone():
    """The electric guitar keeps FluidR3's zones: each key plays the recording whose range holds it, on every repeat."""
    inst = load_sampled("electric_guitar")
    lows, highs = zip(*inst.key_ranges, strict=True)
    assert lows[0] == 0 and highs[-1] == 127 and all(h + 1 == lo for h, lo in zip(highs[:-1], lows[1:], strict=True))
    for key in range(40, 89):
        zone = next(i for i, (lo, hi) in enumerate(inst.key_ranges) if lo <= key <= hi)
        assert [zone_choice(inst.roots, key, r, key_ranges=inst.key_ranges) for r in (0, 1)] == [(zone, key - inst.roots[zone])] * 2
    assert zone_choice(inst.roots, 66, 0) == (5, 2.0)  # without the ranges the nearest root (64) would play it
    assert zone_choice((40, 50), 60.0, 1, key_ranges=((0, 44), (45, 55))) == (1, 10.0)  # past every range: the nearest root


@pytest.mark.parametrize("name", list_sampled())
@pytest.mark.parametrize("pitch", [45, 62, 71])
def test_pitch_is_the_written_one(name, pitch):
    """The fundamental's FFT peak (zero-padded, Hann) within 12 cents of equal temperament, for shifted zones too."""
    a = _render(name, (Note(pitch, 0, 960, 100),), n_samples=SR)
    seg = a.mean(0)[SR // 10 : SR // 10 + SR // 2].astype(np.float64)
    spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg)), 16 * len(seg)))
    freqs = np.fft.rfftfreq(16 * len(seg), 1 / SR)
    f0 = 440.0 * 2 ** ((pitch - 69) / 12)
    near = (freqs > f0 * 2 ** (-0.5 / 12)) & (freqs < f0 * 2 ** (0.5 / 12))
    assert abs(1200 * np.log2(freqs[near][np.argmax(spec[near])] / f0)) < 12


def test_round_robin_plays_another_recording():
    pitch = 63  # between the piano's roots 60 and 66
    notes = (Note(pitch, 0, 480, 100), Note(pitch, 960, 480, 100))
    a = _render("acoustic_piano", notes, n_samples=2 * SR).mean(0)
    first, second = a[: SR // 4], a[SR : SR + SR // 4]
    assert np.sqrt(np.mean(first**2)) == pytest.approx(np.sqrt(np.mean(second**2)), rel=0.5)
    assert np.max(np.abs(first - second)) > 0.2 * np.max(np.abs(first))


def test_release_after_note_off_and_levels_by_velocity():
    held = _render("acoustic_piano", (Note(60, 0, 480, 100),), n_samples=2 * SR)[0]  # note-off at 0.5 s
    def rms(x: np.ndarray) -> float:
        return float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))

    release = load_sampled("acoustic_piano").release_ms / 1000.0
    after = int((0.5 + release) * SR)
    assert rms(held[after : after + SR // 20]) < 1e-3 * rms(held[int(0.3 * SR) : int(0.45 * SR)])  # the release is done
    assert rms(held[int(0.55 * SR) : int(0.6 * SR)]) > 0.05 * rms(held[int(0.3 * SR) : int(0.45 * SR)])  # ... and not a cut
    soft = _render("acoustic_piano", (Note(60, 0, 480, 35),))[0, : SR // 2]
    hard = _render("acoustic_piano", (Note(60, 0, 480, 120),))[0, : SR // 2]
    assert rms(hard) > 4.0 * rms(soft)


def test_bend_curve_moves_the_pitch_and_prefix_and_silence():
    bend = (ExpressionCurve("pitch_bend_semitones", (CurvePoint(0, 2.0),)),)
    a = _render("steel_guitar", (Note(57, 0, 960, 100),), expression=bend, n_samples=SR).mean(0)
    b = _render("steel_guitar", (Note(59, 0, 960, 100),), n_samples=SR).mean(0)
    sa, sb = (np.abs(np.fft.rfft(x[:8000] * np.hanning(8000), 65536)) for x in (a, b))
    freqs = np.fft.rfftfreq(65536, 1 / SR)
    band = (freqs > 200) & (freqs < 300)
    assert abs(freqs[band][np.argmax(sa[band])] - freqs[band][np.argmax(sb[band])]) < 1.0
    full = _render("steel_guitar", (Note(57, 0, 960, 100), Note(64, 480, 960, 90)))
    part = _render("steel_guitar", (Note(57, 0, 960, 100), Note(64, 480, 960, 90)), n_samples=5000)
    np.testing.assert_array_equal(part, full[:, :5000])
    track = Track(name="x", role="keys", preset="steel_guitar", notes=())
    audio, _controls = render_sampled_track(track, Score(tempos=TEMPO, tracks=(track,)), sample_rate=SR, n_samples=100)
    assert audio.shape == (2, 100) and not audio.any()


@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="no CUDA device")
def test_gpu_render_matches_cpu():
    notes = (Note(50, 0, 960, 100), Note(67, 240, 480, 70))
    cpu = _render("acoustic_piano", notes)
    gpu = _render("acoustic_piano", notes, device="cuda")
    np.testing.assert_allclose(gpu, cpu, atol=1e-4 * np.abs(cpu).max())


def test_a_looped_sound_lasts_as_long_as_the_note():
    inst = load_sampled("synth_pad")
    assert all(loop is not None for loop in inst.loops)
    a = _render("synth_pad", (Note(60, 0, 9600, 100),), n_samples=12 * SR).mean(0)  # a 10 s note, 3.2 s recordings
    rms = [float(np.sqrt(np.mean(a[i * SR : (i + 1) * SR] ** 2))) for i in range(12)]
    assert min(rms[2:10]) > 0.5 * max(rms[2:10])  # no gap or drop while the loop repeats
    assert rms[11] < 0.01 * rms[9]  # released after the note-off (1 s release)
    spec = np.abs(np.fft.rfft(a[5 * SR : 6 * SR] * np.hanning(SR), 8 * SR))
    freqs = np.fft.rfftfreq(8 * SR, 1 / SR)
    near = (freqs > 250) & (freqs < 280)
    assert abs(1200 * np.log2(freqs[near][np.argmax(spec[near])] / 261.6256)) < 12


def test_fast_read_equals_the_reference_read_bit_for_bit():
    """The coefficient-row read (:func:`_hermite_read`) and the frame-to-sample lerp are the reference forms' exact values."""
    import torch

    from lemm.render.sampled import _frames_to_samples, _hermite, _hermite_read, _hermite_rows, _zone_audio

    rng = np.random.default_rng(5)
    x = _zone_audio("acoustic_piano", SR, "cpu")[3][1]
    rows = _hermite_rows(x)
    pos = np.concatenate(([0.0], np.cumsum(rng.uniform(0.5, 2.0, x.shape[0]))))  # runs past the recording's end
    assert pos[-1] > x.shape[0]
    assert np.array_equal(_hermite_read(rows.numpy(), pos), _hermite(x, torch.as_tensor(pos)).numpy())
    for n_frames, hop, n in ((1, 64, 100), (7, 64, 300), (7, 64, 600), (40, 441, 40 * 441 + 5), (9, 64, 700), (9, 64, 200)):
        values = rng.uniform(0.2, 3.0, n_frames) if n_frames != 9 else np.full(n_frames, 1.0 / 3.0)  # 9: a steady value
        ref = np.interp(np.arange(n, dtype=np.float64), np.arange(n_frames, dtype=np.float64) * hop, values)
        assert np.array_equal(_frames_to_samples(values, hop, n), ref)
