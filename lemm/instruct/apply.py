"""Apply parsed operations to a song: pure (a new Song, no audio), all or nothing.

Examples
--------
>>> from lemm.compose.plan_model import Instrument, Plan, PlanSection
>>> from lemm.song import compose
>>> from lemm.instruct.grammar import parse_instruction
>>> plan = Plan(genre="pop", tempo_bpm=120.0, sections=(PlanSection("verse", "verse", 2, 0.5),
...             PlanSection("chorus", "chorus", 2, 0.8)), energy_per_bar=(0.5, 0.5, 0.8, 0.8),
...             instruments=(Instrument("drums", "drums", "synth_kit", is_drum=True),))
>>> song = compose("pop", duration="0:10", seed=1, plan=plan)
>>> new = apply_operations(song, parse_instruction("set the tempo to 90 bpm", song))
>>> new.score.tempos[0].tempo_bpm, song.score.tempos[0].tempo_bpm
(90.0, 120.0)
"""

from __future__ import annotations

import bisect

from lemm.instruct.errors import InstructionError
from lemm.instruct.operations import Operation

__all__ = ["apply_operations", "empty_sections"]


def empty_sections(score) -> tuple[str, ...]:
    """Names of the sections in which no note of any track starts."""
    starts = sorted(n.start_tick for t in score.tracks for n in t.notes)
    empty = []
    for s in score.sections:
        i = bisect.bisect_left(starts, s.start_tick)
        if i == len(starts) or starts[i] >= s.end_tick:
            empty.append(s.name)
    return tuple(empty)


def apply_operations(song, ops) -> "object":
    """A new Song with ``ops`` applied in order; ``song`` itself is never changed.

    Parameters
    ----------
    song : lemm.Song
    ops : sequence of Operation
        From :func:`lemm.instruct.grammar.parse_instruction`.

    Returns
    -------
    lemm.Song
        Without audio (render or mix it to hear the edit). A re-composing operation
        (section length) replaces the score by one composed from the edited plan.

    Raises
    ------
    InstructionError
        If the edits would leave a section that had notes with none (nothing is applied).
    lemm.errors.LemmError
        From an edit function (e.g. a transposition out of 0..127); nothing is applied.
    """
    ops = tuple(ops)
    if not all(isinstance(op, Operation) for op in ops):
        raise InstructionError.for_field("ops", [type(op).__name__ for op in ops], "Operation objects from parse_instruction")
    before = set(empty_sections(song.score))
    new = song
    for op in ops:
        new = op.apply(new)
    emptied = [s for s in empty_sections(new.score) if s not in before and s in {x.name for x in song.score.sections}]
    if emptied:
        raise InstructionError(
            f"this edit would leave {', '.join(repr(s) for s in emptied)} with no notes on any track; nothing was changed "
            "(mute fewer tracks, or halve the section's length instead)"
        )
    return new
