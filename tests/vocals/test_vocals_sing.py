"""sing_track: a vocal track of a score -> a sung stem, checked with librosa's pYIN and plain numpy."""

from __future__ import annotations

import os
from pathlib import Path

import librosa
import numpy as np
import pytest

from lemm.errors import ParameterError
from lemm.score.model import CurvePoint, ExpressionCurve, Lyric, Note, Score, TempoChange, Track
from lemm.score.timing import ticks_to_seconds
from lemm.vocals import sing_track

SR = 48000
# "sum-mer in the ci-ty" + a melisma + two notes without lyrics, at 100 bpm; first note at 1.2 s
_LYRICS = [Lyric("Sum", "begin"), Lyric("mer", "end"), Lyric("in"), Lyric("the"), Lyric("ci", "begin"),
           Lyric("ty", "end"), Lyric("", extend=True), None, None]
_PITCHES = [57, 59, 60, 59, 57, 55, 57, 60, 62]
_DURATIONS = [240, 240, 480, 240, 240, 480, 480, 480, 720]


def _track(preset: str, *, lyrics: bool = True, shift: int = 0, expression: tuple = ()) -> Track:
    notes, tick = [], 960
    for lyric, pitch, dur in zip(_LYRICS, _PITCHES, _DURATIONS, strict=True):
        notes.append(Note(pitch + shift, tick, dur, velocity=100, lyric=lyric if lyrics else None))
        tick += dur
    return Track("vocal", "vocal", preset, notes=tuple(notes), expression=expression)


def _score(track: Track) -> Score:
    return Score(tempos=(TempoChange(0, 100.0),), tracks=(track,))


def _note_spans(track: Track, score: Score) -> list[tuple[int, float, float]]:
    return [(n.pitch, float(ticks_to_seconds(score, n.start_tick)), float(ticks_to_seconds(score, n.end_tick))) for n in track.notes]


@pytest.fixture(scope="module")
def low() -> tuple[Track, Score, np.ndarray]:
    track = _track("voice_low", shift=-12)
    score = _score(track)
    return track, score, sing_track(track, score, seed=3)


def _pitch_errors_cents(audio: np.ndarray, spans: list[tuple[int, float, float]]) -> np.ndarray:
    y = librosa.resample(audio.astype(np.float64), orig_sr=SR, target_sr=16000)
    f0, voiced, _ = librosa.pyin(y, fmin=60.0, fmax=900.0, sr=16000, frame_length=1024, hop_length=160)
    times = np.arange(f0.size) * 0.01
    errors = []
    for pitch, start, end in spans:
        sel = (times >= start + 0.06) & (times < end - 0.04) & voiced
        errors.extend(1200.0 * np.log2(f0[sel] / librosa.midi_to_hz(pitch)))
    return np.abs(np.array(errors))


def test_stem_shape_dtype_and_time_line(low) -> None:
    track, score, stem = low
    spans = _note_spans(track, score)
    last_end = spans[-1][2]
    assert stem.shape == (2, int(np.ceil((last_end + 0.5) * SR))) and stem.dtype == np.float32
    assert np.all(np.isfinite(stem)) and np.max(np.abs(stem)) <= 1.0
    np.testing.assert_array_equal(stem[0], stem[1])
    first_start = spans[0][1]
    assert np.all(stem[:, : int((first_start - 0.3) * SR)] == 0.0), "silence before the first note's onset"
    for _pitch, start, end in spans:
        seg = stem[0, int((start + 0.03) * SR) : int((end - 0.03) * SR)]
        assert np.sqrt(np.mean(seg**2)) > 0.01, f"voice must sound during the note at {start:.2f} s"
    assert np.max(np.abs(stem[:, int((last_end + 0.15) * SR) :])) < 1e-3


def test_sung_pitch_follows_the_notes(low) -> None:
    track, score, stem = low
    errors = _pitch_errors_cents(stem[0], _note_spans(track, score))
    assert errors.size > 100
    assert np.median(errors) <= 25.0, f"median pitch error {np.median(errors):.1f} cents"


def test_same_seed_gives_identical_bytes_and_cut_length_is_a_prefix(low) -> None:
    track, score, stem = low
    again = sing_track(track, score, seed=3)
    assert again.tobytes() == stem.tobytes()
    cut = sing_track(track, score, seed=3, n_samples=SR * 2)
    assert cut.shape == (2, SR * 2)
    np.testing.assert_array_equal(cut, stem[:, : SR * 2])
    longer = sing_track(track, score, seed=3, n_samples=stem.shape[1] + 100)
    assert longer.shape[1] == stem.shape[1] + 100 and np.all(longer[:, stem.shape[1] :] == 0)


def _lpc_formants(x: np.ndarray) -> np.ndarray:
    """Median F1-F3 (Hz) of 40 ms frames: LPC order 12 at 10 kHz, roots with bandwidth < 400 Hz."""
    frames = librosa.util.frame(librosa.resample(x, orig_sr=SR, target_sr=10000), frame_length=400, hop_length=200)
    found = []
    for fr in frames.T:
        a = librosa.lpc(np.append(fr[0], fr[1:] - 0.63 * fr[:-1]) * np.hamming(fr.size), order=12)
        roots = [r for r in np.roots(a) if np.imag(r) > 0]
        freqs = sorted(f for f, r in zip(np.angle(roots) * 10000 / (2 * np.pi), roots, strict=True) if f > 200 and -0.5 * 10000 / np.pi * np.log(np.abs(r)) < 400)
        if len(freqs) >= 3:
            found.append(freqs[:3])
    return np.median(np.array(found), axis=0)


def test_voice_high_is_formant_shifted_up(low) -> None:
    from lemm.vocals.sing import VOICES

    track, score, stem_low = low
    high_track = _track("voice_high", shift=-12)
    stem_high = sing_track(high_track, _score(high_track), seed=3)
    assert stem_high.shape == stem_low.shape and not np.array_equal(stem_high, stem_low)
    _pitch, start, end = _note_spans(track, score)[-1]  # the held neutral vowel, same pitch in both
    mid = slice(int((start + 0.15) * SR), int((end - 0.1) * SR))
    ratio = _lpc_formants(stem_high[0, mid].astype(np.float64)) / _lpc_formants(stem_low[0, mid].astype(np.float64))
    assert np.all((ratio > 1.01) & (ratio < 1.1)), ratio
    assert abs(float(np.mean(ratio)) - VOICES["voice_high"].formant_scale) < 0.025


def test_melody_without_lyrics_is_sung_on_a_vowel() -> None:
    track = _track("voice_high", lyrics=False)
    score = _score(track)
    stem = sing_track(track, score)
    spans = _note_spans(track, score)
    for _pitch, start, end in spans:
        assert np.sqrt(np.mean(stem[0, int((start + 0.03) * SR) : int((end - 0.03) * SR)] ** 2)) > 0.01
    assert np.median(_pitch_errors_cents(stem[0], spans)) <= 25.0


def test_dynamics_curve_scales_loudness(low) -> None:
    track, score, stem = low
    quiet = _track("voice_low", shift=-12, expression=(ExpressionCurve("dynamics", (CurvePoint(0, 0.25),)),))
    stem_quiet = sing_track(quiet, _score(quiet), seed=3)
    ratio = np.sqrt(np.mean(stem_quiet**2) / np.mean(stem**2))
    assert ratio == pytest.approx(0.25, rel=0.05)


def test_bad_input_raises_parameter_error() -> None:
    track = _track("violin")
    with pytest.raises(ParameterError, match="voice_low, voice_high"):
        sing_track(track, _score(track))
    good = _track("voice_low")
    with pytest.raises(ParameterError, match="sample_rate"):
        sing_track(good, _score(good), sample_rate=100)
    with pytest.raises(ParameterError, match="n_samples"):
        sing_track(good, _score(good), n_samples=-1)
    with pytest.raises(ParameterError, match="seed"):
        sing_track(good, _score(good), seed=-1)
    for bad in (0, -2, 1.5, True):
        with pytest.raises(ParameterError, match="n_workers"):
            sing_track(good, _score(good), n_workers=bad)


def test_empty_track_is_silence() -> None:
    track = Track("vocal", "vocal", "voice_low")
    assert sing_track(track, _score(track)).shape == (2, 0)
    stem = sing_track(track, _score(track), n_samples=480)
    assert stem.shape == (2, 480) and not np.any(stem)


@pytest.mark.usefixtures("low")  # after a song was sung
def test_no_worker_process_is_left_behind() -> None:
    proc = Path("/proc")
    if not proc.is_dir():
        pytest.skip("needs /proc")
    me = str(os.getpid())
    left = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if stat[1] == me and b"espeak_worker" in cmdline:
            left.append(entry.name)
    assert left == []


def test_a_phrase_does_not_depend_on_the_phrases_before_it() -> None:
    first = (Note(50, 0, 480, lyric=Lyric("sky")), Note(52, 480, 480, lyric=Lyric("blue")))
    second = (Note(48, 2880, 480, lyric=Lyric("summer")), Note(50, 3360, 480, lyric=Lyric("rain")))
    both = Track("vocal", "vocal", "voice_low", notes=first + second)
    alone = Track("vocal", "vocal", "voice_low", notes=second)
    score = Score(tempos=(TempoChange(0, 120.0),), tracks=(both,))
    a = sing_track(both, score, seed=5)
    b = sing_track(alone, score, seed=5, n_samples=a.shape[1])
    cut = int(2.5 * SR)  # the second phrase starts at 3 s; the first has ended by then
    assert np.any(a[:, cut:]) and not np.any(b[:, :cut])
    np.testing.assert_array_equal(a[:, cut:], b[:, cut:])


def test_output_does_not_depend_on_the_number_of_workers() -> None:
    # three phrases (rests of 1 s between them), the middle two overlapping in their release tails
    notes = []
    for k, (start, words) in enumerate(((0, ("sky", "blue")), (1920, ("summer", "rain")), (3840, ("hold", "on")))):
        notes += [Note(50 + k, start + 480 * i, 480, lyric=Lyric(w)) for i, w in enumerate(words)]
    track = Track("vocal", "vocal", "voice_low", notes=tuple(notes))
    score = Score(tempos=(TempoChange(0, 120.0),), tracks=(track,))
    one = sing_track(track, score, seed=2, n_workers=1)
    assert one.tobytes() == sing_track(track, score, seed=2, n_workers=3).tobytes()
    assert one.tobytes() == sing_track(track, score, seed=2).tobytes()


def test_span_is_the_stem_where_the_voice_sings() -> None:
    from lemm.vocals.sing import sing_track_span

    track = _track("voice_high")
    score = _score(track)
    n = 8 * SR
    full = sing_track(track, score, sample_rate=SR, seed=4, n_samples=n, n_workers=1)
    start, audio = sing_track_span(track, score, sample_rate=SR, seed=4, n_samples=n, n_workers=1)
    end = start + audio.shape[1]
    assert audio.dtype == np.float32 and 0 < start < end <= n
    assert np.array_equal(full[:, start:end], audio)  # bit for bit
    assert not full[:, :start].any() and not full[:, end:].any()
