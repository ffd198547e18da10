"""The last-chorus lift: a key change up by ``plan.lift_semitones`` from the last chorus to the end.

The song is composed in the home key, then every pitched part from the last
chorus's first bar on moves up, each (track, section) as a block so melodies
and voicings keep their shape: by ``+n`` where that stays inside the
instrument's range, else by ``n - 12`` (the same pitch classes an octave
lower); a block too wide for either folds its outlying notes by an octave. Chord symbols move by ``+n`` and a key change is written at the lift.
Drums never move. Regeneration works in the unlifted frame and lifts its
result the same way, so a regenerated slice stays in the new key.

Examples
--------
>>> from lemm.score.model import Note
>>> [n.pitch for n in lift_block([Note(60, 0, 480), Note(64, 480, 480)], semitones=2, low=48, high=67)]
[62, 66]
>>> [n.pitch for n in lift_block([Note(60, 0, 480), Note(67, 480, 480)], semitones=2, low=48, high=67)]
[50, 57]
"""

from __future__ import annotations

import dataclasses

from lemm.compose.instruments import PRESET_RANGES
from lemm.compose.plan_model import Plan
from lemm.score.harmony import transpose_symbol
from lemm.score.model import ChordSymbol, KeyChange, Note, Score, Track

__all__ = ["lift_tick", "lift_block", "lift_score", "unlift_score"]


def lift_tick(plan: Plan, score: Score) -> int | None:
    """First tick of the lifted part (the last chorus), or None when the plan has no lift."""
    if plan.lift_semitones == 0:
        return None
    choruses = [s for s in score.sections if s.kind == "chorus"]
    if len(choruses) < 2:
        return None
    return choruses[-1].start_tick


def lift_block(notes: list[Note], *, semitones: int, low: int, high: int) -> list[Note]:
    """Move a block of notes up by ``semitones`` or, if that leaves ``low..high``, by ``semitones - 12``.

    When neither shift keeps the whole block in range, the one leaving fewer
    notes outside is taken and those notes alone fold by an octave.
    """
    if not notes:
        return []

    def outside(shift: int) -> int:
        return sum(not low <= n.pitch + shift <= high for n in notes)

    shift = min((semitones, semitones - 12), key=outside)  # ties keep the step up
    out = []
    for n in notes:
        p = n.pitch + shift
        while p > high and p - 12 >= low:
            p -= 12
        while p < low and p + 12 <= high:
            p += 12
        out.append(dataclasses.replace(n, pitch=min(127, max(0, p))))
    return out


def _lift_track(track: Track, score: Score, tick: int, semitones: int) -> Track:
    if track.is_drum or semitones == 0:
        return track
    low, high = PRESET_RANGES.get(track.preset, (0, 127))
    kept = [n for n in track.notes if n.start_tick < tick]
    moved: list[Note] = []
    for section in score.sections:
        if section.end_tick <= tick:
            continue
        block = [n for n in track.notes if max(tick, section.start_tick) <= n.start_tick < section.end_tick]
        moved += lift_block(block, semitones=semitones, low=low, high=high)
    rest = [n for n in track.notes if n.start_tick >= tick and not any(s.start_tick <= n.start_tick < s.end_tick for s in score.sections)]
    notes = sorted(kept + moved + [dataclasses.replace(n, pitch=min(127, n.pitch + semitones)) for n in rest], key=lambda n: (n.start_tick, n.pitch))
    return dataclasses.replace(track, notes=tuple(notes))


def _shift_chords(score: Score, tick: int, semitones: int) -> tuple[ChordSymbol, ...]:
    return tuple(
        dataclasses.replace(c, symbol=transpose_symbol(c.symbol, semitones)) if c.start_tick >= tick else c for c in score.chords
    )


def lift_score(score: Score, plan: Plan) -> Score:
    """The score with the plan's last-chorus lift applied (unchanged when the plan has none)."""
    tick = lift_tick(plan, score)
    if tick is None:
        return score
    n = plan.lift_semitones
    home = [k for k in score.keys if k.tick <= tick][-1]
    keys = tuple(k for k in score.keys if k.tick < tick) + (KeyChange(tick, transpose_symbol(home.tonic, n), home.mode),)
    return dataclasses.replace(
        score,
        keys=keys,
        chords=_shift_chords(score, tick, n),
        tracks=tuple(_lift_track(t, score, tick, n) for t in score.tracks),
    )


def unlift_score(score: Score, plan: Plan) -> Score:
    """The inverse frame for regeneration: chords and pitched notes after the lift moved down by the lift.

    (Notes a lift moved by ``n - 12`` come back an octave high; :func:`lift_block`
    folds them again when the regenerated notes are lifted.)
    """
    tick = lift_tick(plan, score)
    if tick is None:
        return score
    n = plan.lift_semitones

    def down(t: Track) -> Track:
        if t.is_drum:
            return t
        return dataclasses.replace(t, notes=tuple(dataclasses.replace(x, pitch=max(0, x.pitch - n)) if x.start_tick >= tick else x for x in t.notes))

    return dataclasses.replace(score, keys=tuple(k for k in score.keys if k.tick < tick) or score.keys[:1],
                               chords=_shift_chords(score, tick, -n), tracks=tuple(down(t) for t in score.tracks))
