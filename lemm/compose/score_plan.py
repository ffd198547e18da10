"""The composer's plan of a score as it is now: what regeneration and edits compose from.

After composition the score is the song's one editable state; the plan a song
was composed from stays as it was, a read-only record. When the composer writes
again (a regenerated part, a heavier part, an added part, a re-composition), it
needs a plan: :func:`plan_for_score` derives it from the score, so an edit made
to the score (a tempo, a transposition, a swapped or removed track, an import)
is what the composer sees, and nothing has to be kept in step.

Where each fact of the plan comes from:

- from the score: tempo (the opening one), meter, key (the opening one), genre
  (``score.genre``), the sections (names, kinds, lengths in bars, energies), the
  parts (each track's name, role, preset, GM program, drum flag, and how the
  composer plays it: ``Track.style`` and ``Track.min_energy``);
- from the record, for what the score does not hold and no edit changes (how
  the composer plays): mood, swing, the melody method, the last-chorus lift,
  the order of the parts it lists, the bar-by-bar energy of a section the
  score still has with the record's start, length and energy (else the
  section's energy in every bar), and the fixed chords and guide melody, moved
  by the interval from the record's key to the score's.

Examples
--------
>>> import dataclasses
>>> from lemm.compose.brief import Brief
>>> from lemm.compose.planner import make_plan
>>> from lemm.compose.arrange import compose_score
>>> from lemm.score.edit import set_tempo
>>> record = make_plan(Brief(tags=("pop",), duration_seconds=30.0, seed=1))
>>> score = compose_score(record, seed=1)
>>> plan_for_score(score, record) == record
True
>>> plan_for_score(set_tempo(score, 90.0), record).tempo_bpm
90.0
"""

from __future__ import annotations

import dataclasses

from lemm.compose.plan_model import Instrument, Plan, PlanNote, PlanSection
from lemm.errors import ScoreError
from lemm.score.harmony import pitch_class, transpose_symbol
from lemm.score.model import Score, Section, Track

__all__ = ["plan_for_score"]


def plan_for_score(score: Score, record: Plan) -> Plan:
    """The plan the composer writes ``score`` with now: the score's facts, the record's style.

    Parameters
    ----------
    score : Score
        The song's score (possibly edited since it was composed).
    record : Plan
        The plan the song was composed from (read, never changed).

    Returns
    -------
    Plan
        Equal to ``record`` for a score as the composer wrote it (see the module
        docstring for where each field comes from).

    Raises
    ------
    ScoreError
        A score the composer cannot write into: no sections, sections that are
        not back to back in whole bars from the first bar, or a meter change.
    """
    bar_ticks = _bar_ticks(score)
    shift = _key_shift(record, score)
    by_name = {s.name: (s, b) for s, b in zip(record.sections, record.section_start_bars(), strict=True)}
    record_energy = list(record.energy_per_bar)
    sections, energy = [], []
    for sec in score.sections:
        start, bars = sec.start_tick // bar_ticks, sec.duration_ticks // bar_ticks
        old, old_start = by_name.get(sec.name, (None, None))
        same = old is not None and (old_start, old.bars, old.energy) == (start, bars, sec.energy)
        energy += record_energy[start : start + bars] if same else [sec.energy] * bars
        chords = tuple(transpose_symbol(c, shift) for c in old.chords) if old is not None else ()
        start_bar = start if old is not None and old.start_bar is not None else None
        sections.append(PlanSection(sec.name, sec.kind, bars, sec.energy, chords, start_bar))
    return dataclasses.replace(
        record,
        genre=score.genre or record.genre,
        tempo_bpm=score.tempos[0].tempo_bpm,
        key_tonic=score.keys[0].tonic,
        key_mode=score.keys[0].mode,
        meter_numerator=score.meters[0].numerator,
        meter_denominator=score.meters[0].denominator,
        sections=tuple(sections),
        energy_per_bar=tuple(energy),
        instruments=_instruments(score.tracks, record.instruments),
        melody=_moved_melody(record.melody, shift),
    )


def _bar_ticks(score: Score) -> int:
    """Ticks per bar, after checking the score has the shape the composer writes (back-to-back sections of whole bars)."""
    if len(score.meters) != 1:
        raise ScoreError(f"the composer writes in one meter; the score has {len(score.meters)} meter changes")
    if not score.sections:
        raise ScoreError("the composer writes section by section; the score has no sections")
    bar_ticks = score.meters[0].bar_ticks(score.resolution)
    end = 0
    for sec in score.sections:
        if sec.start_tick != end or sec.duration_ticks % bar_ticks:
            raise ScoreError(_shape_message(sec, end, bar_ticks))
        end = sec.end_tick
    return bar_ticks


def _shape_message(sec: Section, end: int, bar_ticks: int) -> str:
    return (f"section {sec.name!r} must start where the one before it ends (tick {end}) and last whole bars "
            f"({bar_ticks} ticks each) for the composer to write in it; it starts at tick {sec.start_tick} "
            f"and lasts {sec.duration_ticks} ticks")


def _key_shift(record: Plan, score: Score) -> int:
    """Semitones from the record's key to the score's opening key, in -6..5 (0 where they are the same)."""
    return (pitch_class(score.keys[0].tonic) - pitch_class(record.key_tonic) + 6) % 12 - 6


def _instruments(tracks: tuple[Track, ...], recorded: tuple[Instrument, ...]) -> tuple[Instrument, ...]:
    """The score's tracks as plan parts (style and rest threshold from the track): the record's order for those it has, then the others in score order."""
    by_name = {t.name: t for t in tracks}
    kept = [
        dataclasses.replace(i, preset=t.preset, program=t.program, is_drum=t.is_drum, style=t.style, min_energy=t.min_energy)
        for i in recorded if (t := by_name.get(i.name)) is not None and t.role == i.role
    ]
    known = {i.name for i in kept}
    added = [Instrument(t.name, t.role, t.preset, t.program, is_drum=t.is_drum, style=t.style, min_energy=t.min_energy)
             for t in tracks if t.name not in known]
    return tuple(kept + added)


def _moved_melody(melody: tuple[PlanNote, ...], shift: int) -> tuple[PlanNote, ...]:
    if shift == 0:
        return melody
    return tuple(dataclasses.replace(n, pitch=n.pitch + shift) for n in melody if 0 <= n.pitch + shift <= 127)
