"""Voice leading: ranges, small movement, no outer-voice parallels (checked with music21), inversions."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from music21 import note, voiceLeading

from lemm.compose import metrics
from lemm.compose.arrange import compose_score
from lemm.compose.brief import Brief
from lemm.compose.counter import guide_tones
from lemm.compose.keys import parallel_outer, voice_chord
from lemm.compose.planner import make_plan
from lemm.score.harmony import parse_chord

DIATONIC = ["C", "Dm", "Em", "F", "G", "Am", "G7", "Fmaj7", "Dm7", "E7", "Bb", "Fm", "A7", "C/E", "G/B"]


def m21_parallel(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    q = voiceLeading.VoiceLeadingQuartet(note.Note(max(a)), note.Note(max(b)), note.Note(min(a)), note.Note(min(b)))
    return bool(q.parallelFifth() or q.parallelUnisonOrOctave())


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(DIATONIC), min_size=2, max_size=12), st.integers(48, 60))
def test_voicings_in_register_smooth_and_without_parallels(symbols, low):
    high = low + 21
    prev, vs = None, []
    for sym in symbols:
        prev = voice_chord(parse_chord(sym).pitch_classes, previous=prev, low=low, high=high)
        vs.append(prev)
    assert all(low <= p <= high for v in vs for p in v)
    assert all({p % 12 for p in v} <= set(parse_chord(s).pitch_classes) for v, s in zip(vs, symbols, strict=True))
    assert not any(m21_parallel(a, b) for a, b in zip(vs, vs[1:], strict=False))
    # our detector agrees with music21 on every pair
    assert all(parallel_outer(a, b) == m21_parallel(a, b) for a, b in zip(vs, vs[1:], strict=False))
    assert metrics.mean_voice_movement(vs) <= 3.0


def test_parallel_detector_against_music21_on_root_position_triads():
    root_pos = [(60, 64, 67), (62, 65, 69), (64, 67, 71), (65, 69, 72), (67, 71, 74)]
    for a in root_pos:
        for b in root_pos:
            assert parallel_outer(a, b) == m21_parallel(a, b)
    assert parallel_outer((60, 64, 67), (62, 65, 69))


def test_guide_tones_prefer_third_and_seventh():
    assert guide_tones(parse_chord("Am7"))[:2] == (0, 7)
    assert guide_tones(parse_chord("C"))[0] == 4


def test_songs_meet_the_voice_leading_targets():
    for genre, seed in (("pop", 3), ("cinematic", 1), ("rnb", 2), ("edm", 5)):
        plan = make_plan(Brief(tags=(genre,), duration_seconds=75.0, seed=seed))
        score = compose_score(plan, seed=seed)
        assert metrics.range_violations(score) == 0
        assert metrics.chord_tone_fraction(score) >= 0.9
        runs = [run for t in score.tracks for run in metrics.pad_voicings(t) if len(run) > 1]
        assert runs, genre
        assert metrics.mean_voice_movement(runs) <= 3.0
        for vs in runs:
            assert not any(m21_parallel(a, b) for a, b in zip(vs, vs[1:], strict=False))


def test_bass_line_inversions_walk_by_step():
    from lemm.compose.harmony import _bass_inversions

    bars = [["C"], ["G"], ["Am"], ["F"]]
    _bass_inversions(bars, "C", "major")
    assert bars[1] == ["G/B"]
    basses = [parse_chord(b[0]).bass_pc for b in bars[:3]]
    assert all(min((b - a) % 12, (a - b) % 12) <= 2 for a, b in zip(basses, basses[1:], strict=False))
