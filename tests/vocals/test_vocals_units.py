"""The pure parts of singing: phrases from notes, syllable spans, the time warp, the f0 contour."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lemm.errors import ParameterError
from lemm.score.model import CurvePoint, ExpressionCurve, Lyric, Note, Score, TempoChange, Track
from lemm.units import midi_to_hz
from lemm.vocals.layout import gate_intervals, layout_syllables, source_time
from lemm.vocals.phonetics import SpokenSyllable, syllable_spans
from lemm.vocals.phrases import NEUTRAL_VOWEL, vocal_phrases
from lemm.vocals.pitch import sung_f0_hz


def _score(*notes: Note) -> tuple[Track, Score]:
    track = Track("vocal", "vocal", "voice_low", notes=tuple(notes))
    return track, Score(tempos=(TempoChange(0, 120.0),), tracks=(track,))


def test_phrases_group_words_melismas_and_rests() -> None:
    track, score = _score(
        Note(60, 0, 480, lyric=Lyric("Hel", "begin")),
        Note(62, 480, 480, lyric=Lyric("lo", "end")),
        Note(64, 960, 480, lyric=Lyric("", extend=True)),
        Note(65, 1440, 480, lyric=Lyric("world!")),
        Note(67, 3840, 480),  # after a 2 s rest, no lyric
        Note(69, 4320, 480),
        Note(60, 4800, 240, lyric=Lyric("🎵")),  # no Latin letter
    )
    phrases = vocal_phrases(track, score)
    assert [p.text for p in phrases] == ["hello world", f"{NEUTRAL_VOWEL} {NEUTRAL_VOWEL}"]
    hello = phrases[0].words[0]
    assert [s.text for s in hello.syllables] == ["hel", "lo"] and [len(s.notes) for s in hello.syllables] == [1, 2]
    neutral = phrases[1].words[0].syllables[0]
    assert neutral.neutral and [n.pitch for n in neutral.notes] == [67, 69]
    assert phrases[0].start_seconds == 0.0 and phrases[1].start_seconds == 4.0
    assert sum(len(s.notes) for p in phrases for s in p.syllables) == 7  # no note dropped


def test_phrases_are_monophonic_and_respect_staccato() -> None:
    track, score = _score(
        Note(60, 0, 960, lyric=Lyric("a")), Note(64, 0, 480, lyric=Lyric("b")), Note(62, 480, 480, articulation="staccato", lyric=Lyric("c"))
    )
    notes = [n for p in vocal_phrases(track, score) for s in p.syllables for n in s.notes]
    assert [n.pitch for n in notes] == [64, 62]
    assert notes[1].end_seconds - notes[1].start_seconds == 0.25


def test_syllable_spans_split_consonants_and_share_vowels() -> None:
    # "summer in": s V m 3 | I n ; "mer" gets the m as onset
    ph = [("s", 0, 10), ("'V", 10, 30), ("m", 30, 40), ("3", 40, 60), ("'I", 60, 70), ("n", 70, 80), ("_:", 80, 90)]
    spans = syllable_spans(ph, [2, 1], [2, 1], [1, 0])
    assert [(s.onset_start, s.vowel_start, s.vowel_end, s.coda_end) for s in spans] == [
        (0, 10, 30, 30), (30, 40, 60, 60), (60, 60, 70, 80)]
    # "fire" sung on two notes but spoken with one nucleus: the vowel is shared in time
    spans = syllable_spans([("f", 0, 10), ("'aI3", 10, 50)], [2], [1], [1])
    assert [(s.vowel_start, s.vowel_end) for s in spans] == [(10, 30), (30, 50)]
    # more spoken nuclei than sung syllables: one syllable spans both
    spans = syllable_spans([("'aU", 0, 20), ("3", 20, 40)], [1], [2], [0])
    assert [(s.vowel_start, s.vowel_end) for s in spans] == [(0, 20 + 20)]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0.0, 0.15), st.floats(0.02, 0.3), st.floats(0.0, 0.15), st.floats(0.05, 1.5), st.floats(0.0, 0.5)),
                min_size=1, max_size=8))
def test_layout_puts_vowels_on_notes_and_keeps_order(parts) -> None:
    spans, notes, t_src, t_note = [], [], 0.0, 0.5
    for onset, vowel, coda, note_len, rest in parts:
        spans.append(SpokenSyllable(t_src, t_src + onset, t_src + onset + vowel, t_src + onset + vowel + coda))
        t_src += onset + vowel + coda
        notes.append((t_note, t_note + note_len))
        t_note += note_len + rest
    layouts = layout_syllables(spans, notes)
    for lay, (start, end), prev in zip(layouts, notes, [None] + layouts[:-1], strict=True):
        assert lay.vowel_start == start and lay.onset_start <= start <= lay.vowel_end <= lay.coda_end <= end + 1e-9
        assert lay.onset_start >= 0.0
        if prev is not None:
            assert lay.onset_start >= prev.coda_end - 1e-9
    times = np.linspace(0.0, t_note + 1.0, 500)
    src = source_time(layouts, times)
    assert np.all(np.diff(src) >= -1e-9) and src[0] >= 0.0 and src[-1] <= t_src + 1e-9
    np.testing.assert_allclose(source_time(layouts, [lay.vowel_start for lay in layouts]), [s.vowel_start for s in spans], atol=1e-5)
    gates = gate_intervals(layouts)
    assert all(a < b for a, b in gates) and all(b1 < a2 for (_a1, b1), (a2, _b2) in zip(gates, gates[1:], strict=False))


def test_f0_contour_follows_notes_with_vibrato_from_the_curve() -> None:
    times = np.arange(0.0, 3.0, 0.005)
    notes = [(57, 0.0, 1.0), (64, 1.0, 3.0)]
    f0 = sung_f0_hz(times, notes, rng=np.random.default_rng(0))
    cents = 1200 * np.log2(f0 / np.where(times < 1.0, midi_to_hz(57), midi_to_hz(64)))
    steady = (times % 1.0 > 0.15) | (times > 1.15)
    assert np.median(np.abs(cents[steady])) < 25.0
    again = sung_f0_hz(times, notes, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(f0, again)
    depth = np.full(times.size, 80.0)
    rate = np.full(times.size, 6.0)
    f0_vib = sung_f0_hz(times, notes, rng=np.random.default_rng(0), vibrato_depth_cents=depth, vibrato_rate_hz=rate)
    no_vib = sung_f0_hz(times, notes, rng=np.random.default_rng(0), vibrato_depth_cents=np.zeros(times.size), vibrato_rate_hz=rate)
    dev = 1200 * np.log2(f0_vib / no_vib)
    late = times > 1.6
    assert 70.0 < np.max(np.abs(dev[late])) < 90.0  # peak deviation = the curve's depth
    spectrum = np.abs(np.fft.rfft(dev[late] * np.hanning(late.sum())))
    freqs = np.fft.rfftfreq(late.sum(), 0.005)
    assert abs(freqs[np.argmax(spectrum)] - 6.0) < 0.5


def test_expression_curves_validate_names() -> None:
    curve = ExpressionCurve("vibrato_depth_cents", (CurvePoint(0, 30.0),))
    assert curve.points[0].value == 30.0


def test_envelope_smoothing_is_a_boxcar_of_one_harmonic_spacing() -> None:
    from lemm.vocals.world import smooth_envelope_for_f0

    sample_rate, n_bins = 16000, 513
    freqs = np.arange(n_bins) * sample_rate / 1024
    log_env = 3.0 * np.exp(-(((freqs - 2000.0) / 60.0) ** 2) / 2)  # a narrow formant peak, 60 Hz wide
    f0 = np.array([250.0, 0.0])
    out = smooth_envelope_for_f0(np.exp(np.stack([log_env, log_env])), f0, sample_rate)
    width = 250.0 / (sample_rate / 1024)  # 16 bins
    box = np.convolve(log_env, np.ones(int(width)) / int(width), mode="same")
    np.testing.assert_allclose(np.log(out[0][20:-20]), box[20:-20], atol=0.15)
    np.testing.assert_array_equal(out[1], np.exp(log_env))  # unvoiced frames untouched
    flat = np.full((1, n_bins), 3.0)
    np.testing.assert_allclose(smooth_envelope_for_f0(flat, np.array([300.0]), sample_rate), flat, rtol=1e-9)


def test_envelope_smoothing_width_is_bounded_in_hz() -> None:
    from lemm.vocals.world import smooth_envelope_for_f0

    sample_rate, n_bins = 16000, 513
    freqs = np.arange(n_bins) * sample_rate / 1024
    log_env = 3.0 * np.exp(-(((freqs - 2000.0) / 60.0) ** 2) / 2)
    env = np.exp(np.stack([log_env, log_env]))
    f0 = np.array([400.0, 150.0])
    out = smooth_envelope_for_f0(env, f0, sample_rate, max_width_hz=200.0)
    # the 400 Hz frame is smoothed over 200 Hz (a boxcar of 12.8 bins), not over 400 Hz
    box = np.convolve(log_env, np.ones(13) / 13, mode="same")
    np.testing.assert_allclose(np.log(out[0][20:-20]), box[20:-20], atol=0.15)
    wide = smooth_envelope_for_f0(env, f0, sample_rate)
    assert np.log(out[0]).max() > np.log(wide[0]).max() + 0.5  # the formant peak keeps more of its height
    # a frame under the bound is smoothed exactly as without it
    np.testing.assert_array_equal(out[1], wide[1])
    for bad in (0.0, -200.0, float("nan"), True, "200"):
        with pytest.raises(ParameterError, match="max_width_hz"):
            smooth_envelope_for_f0(env, f0, sample_rate, max_width_hz=bad)


def test_formant_scale_per_frame_moves_voiced_frames_only() -> None:
    from lemm.vocals.sing import _voiced_weight
    from lemm.vocals.world import reshape_envelope

    voiced = np.r_[np.zeros(20, dtype=bool), np.ones(40, dtype=bool), np.zeros(20, dtype=bool)]
    scale = 1.0 + 0.1 * _voiced_weight(voiced, 200.0)
    assert scale[0] == 1.0 and scale[40] == pytest.approx(1.1) and np.all(np.diff(scale[:40]) >= 0)
    rng = np.random.default_rng(0)
    env = np.exp(rng.standard_normal((voiced.size, 513)))
    per_frame = reshape_envelope(env, source_rate=22050, target_rate=48000, formant_scale=scale)
    for i in (0, 40):  # each frame as if reshaped alone with its own scale
        alone = reshape_envelope(env[i : i + 1], source_rate=22050, target_rate=48000, formant_scale=float(scale[i]))
        np.testing.assert_allclose(per_frame[i], alone[0], rtol=1e-12)


@pytest.mark.parametrize("is_aperiodicity", [False, True])
def test_formant_scale_groups_give_the_per_frame_mapping_bit_for_bit(monkeypatch, is_aperiodicity) -> None:
    from lemm.vocals import world

    rng = np.random.default_rng(1)
    env = np.exp(rng.standard_normal((60, 513))) if not is_aperiodicity else rng.random((60, 513))
    scale = 1.0 + 0.01 * (np.arange(60) % 7)  # 7 values: mapped group by group
    grouped = world.reshape_envelope(env, source_rate=22050, target_rate=48000, formant_scale=scale, is_aperiodicity=is_aperiodicity)
    monkeypatch.setattr(world, "_MAX_SCALE_GROUPS", 0)  # the 2-D gather, frame by frame
    per_frame = world.reshape_envelope(env, source_rate=22050, target_rate=48000, formant_scale=scale, is_aperiodicity=is_aperiodicity)
    assert np.array_equal(grouped, per_frame)


def test_reshape_envelope_to_a_given_fft_size_keeps_the_envelope_on_its_frequencies() -> None:
    from lemm.vocals.world import reshape_envelope

    freqs = np.arange(513) * 22050 / 1024
    env = np.exp(-((freqs - 700.0) / 300.0) ** 2)[None, :] + 1e-6  # a formant at 700 Hz
    out = reshape_envelope(env, source_rate=22050, target_rate=24000, fft_size=512)
    out_freqs = np.arange(257) * 24000 / 512
    assert out.shape == (1, 257) and abs(out_freqs[np.argmax(out[0])] - 700.0) <= 24000 / 512
    np.testing.assert_allclose(out[0, out_freqs < 3000], np.interp(out_freqs[out_freqs < 3000], freqs, env[0]), rtol=0.05)
    for bad in (511, 8, 512.0, True):
        with pytest.raises(ParameterError, match="fft_size"):
            reshape_envelope(env, source_rate=22050, target_rate=24000, fft_size=bad)
