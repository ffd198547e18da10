"""Hypothesis strategies that generate valid lemm scores, for round-trip tests anywhere.

Use ``scores()`` for any valid score, or narrow it: ``scores(grid="notation")``
keeps every position on a 16th-note or 8th-triplet grid (what MusicXML can
notate exactly), ``min_notes=1`` guarantees at least one note (MIDI needs one).

>>> from hypothesis import given
>>> @given(scores(max_tracks=2))
... def test(s): assert s.end_tick >= 0
"""

from __future__ import annotations

from hypothesis import strategies as st

from lemm.score import model as m

__all__ = ["scores", "tracks", "notes_for", "lyrics", "CHORD_SYMBOLS", "TRACK_PRESETS"]

CHORD_SYMBOLS = ("C", "Am", "F", "G7", "Dm7", "Bbmaj7", "F#m7b5", "Ebsus4", "C/E", "Gadd9", "Bdim", "Aaug", "E7sus4")
TRACK_PRESETS = (
    ("keys", "acoustic_piano", 0),
    ("keys", "electric_piano", 4),
    ("bass", "electric_bass", 33),
    ("bass", "synth_bass", 38),
    ("guitar", "steel_guitar", 25),
    ("strings", "string_ensemble", 48),
    ("pad", "synth_pad", 89),
    ("lead", "synth_lead", 80),
    ("brass", "brass", 61),
    ("woodwind", "flute", 73),
    ("vocal", "voice_high", 52),
)
_NAME_CHARS = "abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789-_.éüñ"
_WORD_CHARS = "abcdefghijklmnoprstuvwyzéüöñ'"


def _name(max_size: int = 12) -> st.SearchStrategy[str]:
    return st.text(_NAME_CHARS, min_size=1, max_size=max_size).map(str.strip).filter(bool)


def lyrics() -> st.SearchStrategy[m.Lyric]:
    """A sung syllable or a melisma extension."""
    word = st.builds(m.Lyric, st.text(_WORD_CHARS, min_size=1, max_size=5), st.sampled_from(m.SYLLABICS))
    return st.one_of(word, st.just(m.Lyric("", "single", True)))


@st.composite
def notes_for(draw, *, end_tick: int, step_ticks: tuple[int, ...], drum: bool = False, max_notes: int = 16, with_lyrics: bool = False) -> tuple[m.Note, ...]:
    """Sorted notes whose starts and durations are multiples of one of ``step_ticks``."""
    out = []
    for _ in range(draw(st.integers(0, max_notes))):
        step = draw(st.sampled_from(step_ticks))
        start = step * draw(st.integers(0, max(0, end_tick // step - 1)))
        duration = step * draw(st.integers(1, 8))
        pitch = draw(st.integers(35, 81) if drum else st.integers(21, 108))
        articulation = draw(st.none() | st.sampled_from(m.ARTICULATIONS))
        lyric = draw(st.none() | lyrics()) if with_lyrics else None
        out.append(m.Note(pitch, start, duration, draw(st.integers(1, 127)), articulation, lyric))
    return tuple(sorted(out, key=lambda n: (n.start_tick, n.pitch)))


def _curve(name: str, end_tick: int) -> st.SearchStrategy[m.ExpressionCurve]:
    low, high = m.CURVE_RANGES[name]
    point = st.tuples(st.integers(0, end_tick), st.floats(low, high, allow_nan=False))
    return st.lists(point, min_size=1, max_size=5).map(
        lambda pts: m.ExpressionCurve(name, tuple(m.CurvePoint(t, v) for t, v in sorted(pts, key=lambda p: p[0])))
    )


@st.composite
def tracks(draw, *, name: str, end_tick: int, step_ticks: tuple[int, ...], max_notes: int = 16, extras: bool = True) -> m.Track:
    """One valid track; ``extras`` adds pan, gain, dynamic marks, hairpins and curves."""
    drum = draw(st.booleans())
    if drum:
        role, preset, program = "drums", draw(st.sampled_from(("synth_kit", "acoustic_kit"))), 0
    else:
        role, preset, program = draw(st.sampled_from(TRACK_PRESETS))
    notes = draw(notes_for(end_tick=end_tick, step_ticks=step_ticks, drum=drum, max_notes=max_notes, with_lyrics=role == "vocal"))
    kwargs = {}
    if extras:
        kwargs["pan"] = draw(st.floats(-1, 1, allow_nan=False))
        kwargs["gain_db"] = draw(st.floats(-60, 24, allow_nan=False))
        ticks = sorted(draw(st.sets(st.integers(0, end_tick), max_size=3)))
        kwargs["dynamics"] = tuple(m.DynamicMark(t, draw(st.sampled_from(m.DYNAMIC_MARKINGS))) for t in ticks)
        starts = sorted(draw(st.sets(st.integers(0, end_tick), max_size=2)))
        kwargs["hairpins"] = tuple(m.Hairpin(s, draw(st.integers(1, 960)), draw(st.sampled_from(("crescendo", "diminuendo")))) for s in starts)
        names = draw(st.sets(st.sampled_from(tuple(m.CURVE_RANGES)), max_size=3))
        kwargs["expression"] = tuple(draw(_curve(n, end_tick)) for n in sorted(names))
    return m.Track(name, role, preset, program=program, is_drum=drum, notes=notes, **kwargs)


@st.composite
def scores(
    draw,
    *,
    resolutions: tuple[int, ...] = (96, 480, 960),
    grid: str = "any",
    max_tracks: int = 3,
    max_notes: int = 16,
    min_notes: int = 0,
    extras: bool = True,
) -> m.Score:
    """Valid scores: meter/key/tempo changes, sections, chords, tracks with notes.

    Parameters
    ----------
    grid : {"any", "notation"}
        "any": note positions and lengths on any tick; "notation": on a 16th-note
        or 8th-triplet grid (MusicXML notates them exactly), and no two notes of
        one pitch starting together in a track.
    min_notes : int
        At least this many notes in the first track.
    extras : bool
        Pan, gain, dynamics, hairpins and expression curves on tracks.
    """
    resolution = draw(st.sampled_from(resolutions))
    meters, tick = [], 0
    for _ in range(draw(st.integers(1, 3))):
        num, den = draw(st.sampled_from(((4, 4), (3, 4), (6, 8), (2, 4), (5, 4), (7, 8), (2, 2))))
        meters.append(m.MeterChange(tick, num, den))
        tick += draw(st.integers(1, 4)) * meters[-1].bar_ticks(resolution)
    end_tick = tick
    step_ticks = (1, resolution // 4, resolution // 3) if grid == "any" else (resolution // 4, resolution // 3)
    change_ticks = sorted({0} | draw(st.sets(st.integers(1, end_tick), max_size=2)))
    tempos = tuple(m.TempoChange(t, draw(st.floats(20, 400, allow_nan=False))) for t in change_ticks)
    key_ticks = sorted({0} | draw(st.sets(st.sampled_from([x.tick for x in meters]), max_size=2)))
    keys = tuple(m.KeyChange(t, draw(st.sampled_from(m.PITCH_CLASSES)), draw(st.sampled_from(m.MODES))) for t in key_ticks)
    bounds = sorted(draw(st.sets(st.integers(0, end_tick // step_ticks[-1]), min_size=0, max_size=5)))
    bounds = [b * step_ticks[-1] for b in bounds]
    sections = []
    for i, (a, b) in enumerate(zip(bounds, bounds[1:], strict=False)):
        kind = draw(st.sampled_from(m.SECTION_KINDS))
        sections.append(m.Section(f"{kind} {i + 1}", kind, a, b - a, draw(st.floats(0, 1, allow_nan=False))))
    chord_bounds = [b * resolution for b in sorted(draw(st.sets(st.integers(0, end_tick // resolution), max_size=5)))]
    chords = tuple(m.ChordSymbol(a, b - a, draw(st.sampled_from(CHORD_SYMBOLS))) for a, b in zip(chord_bounds, chord_bounds[1:], strict=False) if draw(st.booleans()))
    names = draw(st.lists(_name(), min_size=1, max_size=max_tracks, unique_by=lambda s: s.lower()))
    out_tracks = [draw(tracks(name=n, end_tick=end_tick, step_ticks=step_ticks, max_notes=max_notes, extras=extras)) for n in names]
    if grid == "notation":  # notation cannot tell apart two notes of one pitch that start together
        out_tracks = [_with_notes(t, tuple({(n.start_tick, n.pitch): n for n in reversed(t.notes)}.values())) for t in out_tracks]
    if min_notes and len(out_tracks[0].notes) < min_notes:
        extra = tuple(m.Note(60 if not out_tracks[0].is_drum else 38, i * step_ticks[-1] % max(1, end_tick), step_ticks[-1]) for i in range(min_notes))
        out_tracks[0] = _with_notes(out_tracks[0], out_tracks[0].notes + extra)
    title = draw(st.text(_NAME_CHARS, max_size=16))
    return m.Score(title=title, resolution=resolution, tempos=tempos, meters=tuple(meters), keys=keys,
                   sections=tuple(sections), chords=chords, tracks=tuple(out_tracks))  # fmt: skip


def _with_notes(track: m.Track, notes: tuple[m.Note, ...]) -> m.Track:
    import dataclasses

    return dataclasses.replace(track, notes=tuple(sorted(notes, key=lambda n: (n.start_tick, n.pitch))))
