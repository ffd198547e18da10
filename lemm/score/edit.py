"""Pure edits of a score: each function returns a new, validated object and never mutates its input.

Examples
--------
>>> from lemm.score.model import Score, Track, Note
>>> piano = Track("piano", "keys", "acoustic_piano", notes=(Note(60, 0, 480), Note(64, 480, 480)))
>>> s = Score(tracks=(piano,))
>>> up = transpose(s, 2)
>>> [n.pitch for n in up.track("piano").notes], [n.pitch for n in s.track("piano").notes]
([62, 66], [60, 64])
>>> [n.pitch for n in notes_in_span(piano, 240, 960)]
[64]
"""

from __future__ import annotations

import dataclasses

from lemm.errors import ParameterError, ScoreError
from lemm.score.model import Note, Score, TempoChange, Track

__all__ = [
    "replace_track",
    "add_track",
    "remove_track",
    "set_notes",
    "notes_in_span",
    "replace_notes_in_span",
    "transpose",
    "set_tempo",
    "section_span",
]


def _note_key(n: Note) -> tuple[int, int]:
    return (n.start_tick, n.pitch)


def _check_span(start_tick: int, end_tick: int | None) -> None:
    if isinstance(start_tick, bool) or not isinstance(start_tick, int) or start_tick < 0:
        raise ParameterError.for_field("start_tick", start_tick, "an integer tick >= 0")
    if end_tick is not None and (isinstance(end_tick, bool) or not isinstance(end_tick, int) or end_tick < start_tick):
        raise ParameterError.for_field("end_tick", end_tick, f"None or an integer tick >= start_tick ({start_tick})")


def replace_track(score: Score, track: Track) -> Score:
    """The score with the track of the same name replaced by ``track`` (same position).

    Raises
    ------
    ScoreError
        If the score has no track called ``track.name``.
    """
    score.track(track.name)  # raises, naming the known tracks
    return dataclasses.replace(score, tracks=tuple(track if t.name == track.name else t for t in score.tracks))


def add_track(score: Score, track: Track) -> Score:
    """The score with ``track`` appended; its name must be new.

    >>> from lemm.score.model import Score, Track
    >>> [t.name for t in add_track(Score(), Track("bass", "bass", "electric_bass")).tracks]
    ['bass']
    """
    if not isinstance(track, Track):
        raise ParameterError.for_field("track", type(track).__name__, "a Track")
    if any(t.name == track.name for t in score.tracks):
        raise ScoreError.for_field("track.name", track.name, "a name not used by another track")
    return dataclasses.replace(score, tracks=score.tracks + (track,))


def remove_track(score: Score, name: str) -> Score:
    """The score without the track called ``name`` (ScoreError if there is none)."""
    score.track(name)
    return dataclasses.replace(score, tracks=tuple(t for t in score.tracks if t.name != name))


def set_notes(track: Track, notes) -> Track:
    """The track with ``notes`` (any iterable of Note), sorted by (start_tick, pitch)."""
    notes = tuple(notes)
    if not all(isinstance(n, Note) for n in notes):
        raise ParameterError.for_field("notes", [type(n).__name__ for n in notes if not isinstance(n, Note)][:3], "Note objects only")
    return dataclasses.replace(track, notes=tuple(sorted(notes, key=_note_key)))


def notes_in_span(track: Track, start_tick: int, end_tick: int) -> tuple[Note, ...]:
    """Notes that start in ``[start_tick, end_tick)``, in track order."""
    _check_span(start_tick, end_tick)
    return tuple(n for n in track.notes if start_tick <= n.start_tick < end_tick)


def replace_notes_in_span(track: Track, start_tick: int, end_tick: int, new_notes) -> Track:
    """Replace the notes that start in ``[start_tick, end_tick)`` with ``new_notes``.

    Notes that start before the span and ring into it are kept as they are;
    ``new_notes`` must start inside the span.

    >>> from lemm.score.model import Track, Note
    >>> t = Track("p", "keys", "acoustic_piano", notes=(Note(60, 0, 960), Note(62, 480, 480), Note(64, 960, 480)))
    >>> [(n.pitch, n.start_tick) for n in replace_notes_in_span(t, 480, 960, [Note(67, 600, 120)]).notes]
    [(60, 0), (67, 600), (64, 960)]
    """
    _check_span(start_tick, end_tick)
    new_notes = tuple(new_notes)
    for n in new_notes:
        if not isinstance(n, Note) or not start_tick <= n.start_tick < end_tick:
            raise ParameterError.for_field("new_notes start_tick", getattr(n, "start_tick", n), f"a Note starting in {start_tick}..{end_tick - 1}")
    kept = tuple(n for n in track.notes if not start_tick <= n.start_tick < end_tick)
    return set_notes(track, kept + new_notes)


def transpose(score: Score, semitones: int, *, track: str | None = None, start_tick: int = 0, end_tick: int | None = None) -> Score:
    """Transpose notes that start in ``[start_tick, end_tick)`` by ``semitones``.

    Parameters
    ----------
    score : Score
    semitones : int
        Positive is up.
    track : str, optional
        Only this track (default: every track). Drum tracks are never transposed.
    start_tick, end_tick : int
        The span (default: the whole song).

    Raises
    ------
    ParameterError
        If a transposed pitch would leave 0..127, or the span is invalid.
    """
    if isinstance(semitones, bool) or not isinstance(semitones, int):
        raise ParameterError.for_field("semitones", semitones, "an integer")
    _check_span(start_tick, end_tick)
    if track is not None:
        score.track(track)
    stop = end_tick if end_tick is not None else max(score.end_tick, start_tick) + 1

    def shift(n: Note) -> Note:
        if not start_tick <= n.start_tick < stop:
            return n
        if not 0 <= n.pitch + semitones <= 127:
            raise ParameterError.for_field("semitones", semitones, f"a shift keeping pitch {n.pitch} (tick {n.start_tick}) in 0..127")
        return dataclasses.replace(n, pitch=n.pitch + semitones)

    new = []
    for t in score.tracks:
        if t.is_drum or (track is not None and t.name != track) or semitones == 0:
            new.append(t)
        else:
            new.append(set_notes(t, (shift(n) for n in t.notes)))
    return dataclasses.replace(score, tracks=tuple(new))


def set_tempo(score: Score, tempo_bpm: float) -> Score:
    """The score with one constant tempo (every tempo change replaced).

    >>> from lemm.score.model import Score
    >>> set_tempo(Score(), 96).tempos
    (TempoChange(tick=0, tempo_bpm=96.0),)
    """
    if isinstance(tempo_bpm, bool) or not isinstance(tempo_bpm, (int, float)):
        raise ParameterError.for_field("tempo_bpm", tempo_bpm, "a number in 20..400")
    return dataclasses.replace(score, tempos=(TempoChange(0, float(tempo_bpm)),))


def section_span(score: Score, name: str) -> tuple[int, int]:
    """``(start_tick, end_tick)`` of the section called ``name`` (end exclusive)."""
    s = score.section(name)
    return s.start_tick, s.end_tick
