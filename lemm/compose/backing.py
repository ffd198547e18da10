"""Backing vocals: a harmony line or a double of the lead vocal, sung by the same singer.

A genre profile asks for backing vocals with a part of role ``vocal`` and a backing
style (:data:`BACKING_STYLES`), usually only in some section kinds (``"sections":
["chorus"]``). The part exists only when the song is sung by one of lemm's voices
(:data:`lemm.compose.instruments.VOICES`); it is a vocal track like the lead, so the
singer renders it and MIDI, MusicXML and the stems carry it.

- ``harmony``: under every lead note, the scale tone a third below (a sixth below in
  a section whose generator picks the sixth, about one in four), on the same
  rhythm and syllables; on a strong beat (downbeat, mid-bar) a harmony note that is
  not a tone of the chord sounding there moves down to the nearest chord tone
  that is still a third to a sixth below the lead. A harmony note that would leave
  the voice's range takes the other interval (sixth / third), else the note is
  left to the lead alone.
- ``double``: the lead's notes an octave away, sung by the singer's other voice
  (:func:`backing_voice`): an octave below under a high lead, above over a low one,
  when the whole section fits that voice's range there, else in unison.

The notes depend only on the lead's notes of the same section and the part's own
generator ``make_rng(derive_seed(seed, track, section))``, so a (track, section)
is written, and rewritten, alone (:func:`lemm.compose.regen.regenerate` derives a
section's harmony from the score's lead as it is now).

Examples
--------
>>> from lemm.compose.plan_model import Plan, PlanSection
>>> from lemm.compose.context import build_context
>>> from lemm.score.model import Note
>>> plan = Plan(genre="pop", tempo_bpm=100.0, key_tonic="C", key_mode="major",
...             sections=(PlanSection("chorus", "chorus", 2, 0.8),), energy_per_bar=(0.8, 0.8))
>>> ctx = build_context(plan, seed=0)
>>> lead = [Note(72, 0, 480), Note(71, 480, 480)]
>>> [n.pitch for n in harmony_line(ctx, lead, low=55, high=76, sixth=False)]  # C5 -> A4, B4 -> G4
[69, 67]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from lemm.compose.context import ArrangeContext
from lemm.compose.instruments import BACKING_STYLES, VOICES, PartSpec, range_of
from lemm.score.model import Note

__all__ = ["BACKING_STYLES", "HARMONY_SIXTH_PROBABILITY", "backing_section", "backing_voice", "double_line", "harmony_line", "is_backing"]

#: Chance that a section's harmony sits a sixth (not a third) below the lead.
HARMONY_SIXTH_PROBABILITY = 0.25
#: Velocity of a backing note relative to its lead note (the backing sits behind the lead).
VELOCITY_SCALE = 0.85
_THIRD = (3, 4)
_SIXTH = (8, 9)


def is_backing(spec: PartSpec) -> bool:
    """Whether a part is a backing vocal (role ``vocal``, a backing style)."""
    return spec.role == "vocal" and spec.style in BACKING_STYLES


def backing_voice(style: str, lead_voice: str) -> str:
    """The voice a backing part sings with: the lead's own for a harmony, the other voice for a double.

    >>> backing_voice("harmony", "voice_high"), backing_voice("double", "voice_high")
    ('voice_high', 'voice_low')
    """
    if style == "double" and lead_voice in VOICES:
        return next(v for v in VOICES if v != lead_voice)
    return lead_voice


def _below(ctx: ArrangeContext, lead: int, intervals: Sequence[int], low: int, high: int) -> int | None:
    """The scale tone ``intervals`` semitones below ``lead`` (the diatonic one first) inside ``[low, high]``."""
    for d in intervals:
        p = lead - d
        if low <= p <= high and p % 12 in ctx.scale_pcs:
            return p
    return None


def harmony_line(ctx: ArrangeContext, lead: Sequence[Note], *, low: int, high: int, sixth: bool) -> list[Note]:
    """A harmony under ``lead`` (see the module docstring): one note per lead note it can harmonise.

    Parameters
    ----------
    ctx : ArrangeContext
    lead : sequence of Note
        The lead vocal's notes (one section), in time order.
    low, high : int
        The backing voice's range (inclusive MIDI pitches).
    sixth : bool
        Harmonise a sixth below (else a third below).

    Returns
    -------
    list[Note]
        Same onsets, durations, articulations and lyrics as the lead notes harmonised,
        velocities scaled by :data:`VELOCITY_SCALE`.
    """
    first, second = (_SIXTH, _THIRD) if sixth else (_THIRD, _SIXTH)
    out = []
    for n in lead:
        p = _below(ctx, n.pitch, first, low, high)
        if p is None:
            p = _below(ctx, n.pitch, second, low, high)
        if p is None:
            continue
        chord = ctx.chord_at(n.start_tick).chord.pitch_classes
        if ctx.metric_weight(n.start_tick) >= 0.75 and p % 12 not in chord:
            tones = [q for q in range(n.pitch - 9, n.pitch - 2) if low <= q <= high and q % 12 in chord]
            if tones:
                p = min(tones, key=lambda q: (abs(q - p), q))
        out.append(replace(n, pitch=int(p), velocity=max(1, round(n.velocity * VELOCITY_SCALE))))
    return out


def double_line(lead: Sequence[Note], *, low: int, high: int) -> list[Note]:
    """The lead an octave below (else above) when all of it fits ``[low, high]`` there, else in unison.

    Velocities are scaled by :data:`VELOCITY_SCALE`; a unison note outside the range moves by octaves into it.
    """
    if not lead:
        return []
    lo, hi = min(n.pitch for n in lead), max(n.pitch for n in lead)
    shift = next((s for s in (-12, 12) if low <= lo + s and hi + s <= high), 0)
    out = []
    for n in lead:
        p = n.pitch + shift
        while p < low:
            p += 12
        while p > high:
            p -= 12
        out.append(replace(n, pitch=int(p), velocity=max(1, round(n.velocity * VELOCITY_SCALE))))
    return out


def backing_section(ctx: ArrangeContext, spec: PartSpec, section_index: int, lead: Sequence[Note], rng: np.random.Generator) -> list[Note]:
    """The backing part's notes in one section, from the lead vocal's notes there.

    Empty when the part does not sing in this section kind (``spec.sections``), below
    its ``min_energy``, or when its preset is not one of the singer's voices.
    """
    sec = ctx.plan.sections[section_index]
    if spec.preset not in VOICES or (spec.sections and sec.kind not in spec.sections) or sec.energy < spec.min_energy:
        return []
    lead = sorted((n for n in lead if n.lyric is not None), key=lambda n: n.start_tick)
    low, high = range_of(spec.preset)
    if spec.style == "double":
        return double_line(lead, low=low, high=high)
    return harmony_line(ctx, lead, low=low, high=high, sixth=bool(rng.random() < HARMONY_SIXTH_PROBABILITY))
