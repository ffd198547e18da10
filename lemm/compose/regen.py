"""Regenerate one (track, section) of a score and leave every other note as it was.

``regenerate(score, plan, track="drums", section="chorus 2", seed=9)`` rewrites
the notes of that track that start in that section with the part's generator
``make_rng(derive_seed(seed, track, section))`` (the same derivation the
composer uses, so unrelated parts never share a random stream), over the
score's own chord symbols (so the new part fits the harmony the score has,
edits included). ``plan`` is the song's plan record: the composer writes from
the plan :func:`lemm.compose.score_plan.plan_for_score` derives from the score
(its tempo, key, sections, energies and tracks as they are now) in the record's
style, so nothing has to be kept in step with the score.

What is rewritten
-----------------
- Accompaniment (drums, bass, chordal parts, counter-lines): written afresh.
  With the song's own seed this gives back exactly what the composer wrote.
- The melody in a section that repeats other material (a later chorus repeats
  the first chorus's hook; an instrumental intro/outro plays its opening or
  closing bars): a *variation* of that material, taken from the score as it is
  now: same rhythm (and syllables), some phrases with new pitches.
- A backing vocal (:mod:`lemm.compose.backing`): derived again from the lead
  vocal's notes in the section as the score has them now (after a new vocal
  take, regenerating the backing makes it follow).
- The vocal elsewhere: with ``lyrics`` the section's lines are set again (new
  rhythm and pitches, one note per syllable); without, the sung rhythm and
  syllables are kept and every phrase gets new pitches.

Boundaries
----------
Only notes that *start* in the section are replaced. New notes are cut to end
by the section's end, so nothing new rings into the next section. A note from
before the section that still sounds into it is kept as it is; in a melody
(one note at a time) new notes that would start under it are moved to its end,
or dropped when less than 30 ticks of them would be left.

Examples
--------
>>> from lemm.compose.brief import Brief
>>> from lemm.compose.planner import make_plan
>>> from lemm.compose.arrange import compose_score
>>> plan = make_plan(Brief(tags=("pop",), duration_seconds=30.0, seed=1))
>>> score = compose_score(plan, seed=1)
>>> name = plan.sections[-1].name
>>> new = regenerate(score, plan, track="drums", section=name, seed=9)
>>> new.track("bass") == score.track("bass"), new.track("drums") != score.track("drums")
(True, True)
"""

from __future__ import annotations

from dataclasses import replace

from lemm.compose.arrange import (
    _lyric_lines,
    _same_text,
    _section_lines,
    _tile,
    clip_to_span,
    finish_part,
    is_melody,
    melody_source,
    part_specs,
    section_ticks,
    vocal_pickups,
    write_fresh,
)
from lemm.compose.backing import backing_section, is_backing
from lemm.compose.context import build_context
from lemm.compose.expression import dynamic_marks, vibrato_curves
from lemm.compose.instruments import PRESET_PROGRAMS, PRESET_RANGES, PartSpec
from lemm.compose.lift import lift_block, lift_tick, unlift_score
from lemm.compose.melody import melody_range, vary_melody
from lemm.compose.plan_model import Plan
from lemm.compose.score_plan import plan_for_score
from lemm.errors import ParameterError
from lemm.score.model import Note, Score, Track
from lemm.seeding import check_seed, derive_seed, make_rng

__all__ = ["regenerate", "regenerate_notes"]


def _spec_for(plan: Plan, track: Track, lyrics: str | None) -> PartSpec:
    specs = part_specs(plan, lyrics=lyrics, vocal=track.role == "vocal")
    spec = next((s for s in specs if s.name == track.name), None)
    if spec is None:
        raise ParameterError.for_field("track", track.name, f"a track the composer writes ({', '.join(s.name for s in specs)})")
    if track.preset in PRESET_PROGRAMS and track.preset != spec.preset:
        spec = replace(spec, preset=track.preset)
    return spec


def regenerate_notes(
    score: Score, plan: Plan, *, track: str, section: str, seed: int, lyrics: str | None = None, energy_delta: float = 0.0
) -> tuple[Note, ...]:
    """The new notes of (track, section), all starting in the section and ending by its end.

    See :func:`regenerate` for the parameters.
    """
    check_seed(seed)
    score.track(track)  # ScoreError naming the known tracks
    score.section(section)  # ScoreError naming the known sections
    return _new_notes(score, _composer_plan(score, plan, section, energy_delta), track=track, section=section, seed=seed, lyrics=lyrics)


def _composer_plan(score: Score, record: Plan, section: str, energy_delta: float) -> Plan:
    """The plan the composer writes with: derived from the score, in the record's style (energy moved in ``section``)."""
    return with_energy(plan_for_score(score, record), section, energy_delta)


def _new_notes(score: Score, plan: Plan, *, track: str, section: str, seed: int, lyrics: str | None) -> tuple[Note, ...]:
    notes = _regenerate_in_home_key(unlift_score(score, plan), plan, track=track, section=section, seed=seed, lyrics=lyrics)
    tick = lift_tick(plan, score)
    if tick is None or not notes or notes[0].start_tick < tick or score.track(track).is_drum:
        return notes
    low, high = PRESET_RANGES.get(score.track(track).preset, (0, 127))
    return tuple(lift_block(list(notes), semitones=plan.lift_semitones, low=low, high=high))


def _regenerate_in_home_key(score: Score, plan: Plan, *, track: str, section: str, seed: int, lyrics: str | None) -> tuple[Note, ...]:
    the_track = score.track(track)
    spec = _spec_for(plan, the_track, lyrics)
    ctx = build_context(plan, seed=seed, resolution=score.resolution, chords=score.chords)
    index = ctx.section_index(section)
    lo, hi = section_ticks(ctx, index)
    rng = make_rng(derive_seed(seed, track, section))
    notes: list[Note]
    if is_backing(spec):  # from the lead vocal as the score has it now
        lead = next((s for s in part_specs(plan, lyrics=lyrics, vocal=True) if is_melody(s)), None)
        sung = score.track(lead.name).notes if lead is not None and lead.name in {t.name for t in score.tracks} else ()
        notes = backing_section(ctx, spec, index, [n for n in sung if lo <= n.start_tick < hi], rng)
    elif is_melody(spec):
        sec = plan.sections[index]
        source = melody_source(ctx, index)
        low, high = melody_range(spec.preset, sec.kind)
        sheet = _lyric_lines(lyrics)
        by_section = _section_lines(ctx, sheet) if sheet is not None else None
        derived = source is not None and (spec.role == "lead" or sec.kind == "chorus")
        if derived and spec.role == "vocal" and by_section is not None:  # a chorus with new words is set again
            derived = _same_text(by_section[source[0]], by_section[index])
        current = [n for n in the_track.notes if lo <= n.start_tick < hi]
        if derived:
            base = _tile(ctx, list(the_track.notes), source, index, spec.preset) or current
            notes = vary_melody(ctx, base, rng, low=low, high=high, fraction=0.5)
        elif spec.role == "vocal" and lyrics is None:
            notes = vary_melody(ctx, current, rng, low=low, high=high, fraction=1.0)
        else:
            notes = write_fresh(ctx, spec, index, rng, by_section[index] if by_section else None)
            if spec.role == "vocal" and by_section:
                notes = vocal_pickups(ctx, spec, index, notes, by_section[index])[0]
    else:
        notes = write_fresh(ctx, spec, index, rng, None)
    notes = [n if n.start_tick >= lo else replace(n, start_tick=lo) for n in notes]
    return tuple(finish_part(ctx, spec, clip_to_span(notes, lo, hi)))


def with_energy(plan: Plan, section: str, delta: float) -> Plan:
    """``plan`` with ``delta`` added to each bar energy of ``section`` (clipped to 0..1) and its mean as the section's energy.

    >>> from lemm.compose.plan_model import PlanSection
    >>> p = Plan(genre="pop", tempo_bpm=120.0, sections=(PlanSection("verse", "verse", 2, 0.5),), energy_per_bar=(0.4, 0.9))
    >>> q = with_energy(p, "verse", 0.25)
    >>> q.energy_per_bar, q.sections[0].energy
    ((0.65, 1.0), 0.825)
    """
    if delta == 0.0:
        return plan
    start = dict(zip((s.name for s in plan.sections), plan.section_start_bars(), strict=True))[section]
    sec = next(s for s in plan.sections if s.name == section)
    energy = list(plan.energy_per_bar)
    for b in range(start, start + sec.bars):
        energy[b] = round(min(1.0, max(0.0, energy[b] + delta)), 4)
    mean = sum(energy[start : start + sec.bars]) / sec.bars
    sections = tuple(replace(s, energy=round(mean, 4)) if s.name == section else s for s in plan.sections)
    return replace(plan, sections=sections, energy_per_bar=tuple(energy))


def regenerate(
    score: Score, plan: Plan, *, track: str, section: str, seed: int, lyrics: str | None = None, energy_delta: float = 0.0
) -> Score:
    """The score with the notes of one track in one section written again.

    The composer writes from the score as it is now (:func:`lemm.compose.score_plan.plan_for_score`:
    its tempo, key, meter, sections, energies, chords and tracks), in the style the song was
    composed in (``plan``: mood, swing, each part's style); ``plan`` is read, never checked
    against the score or changed.

    Parameters
    ----------
    score : Score
        A score written by :func:`lemm.compose.arrange.compose_score` (possibly edited since).
    plan : Plan
        The plan the song was composed from: its record, read for the style the score does not hold.
    track : str
        Track name as in the score (``"drums"``, ``"bass"``, ``"vocal"``...).
    section : str
        Section name as in the score (``"chorus 2"``).
    seed : int
        Seed of the new take (0..2**32-1); the part's generator is
        ``derive_seed(seed, track, section)``.
    lyrics : str, optional
        The song's lyrics: with them a vocal section is set again from its
        lines; without, the vocal keeps its rhythm and syllables.
    energy_delta : float
        Write the part as if the section's bar energies were this much higher
        (``lemm edit``'s heavier/lighter: busier or sparser); 0 for a plain new take.

    Returns
    -------
    Score
        Every note of every other track, and of this track outside the
        section, is unchanged; the track's dynamic marks and vibrato follow its
        new notes.

    Raises
    ------
    ScoreError
        For a track or section name the score does not have (the message lists
        the known names), or a score whose sections the composer cannot write
        into (not back to back in whole bars, a meter change).
    ParameterError
        For a bad seed, or a track the composer does not write.
    """
    check_seed(seed)
    old = score.track(track)  # ScoreError naming the known tracks
    sec = score.section(section)
    plan = _composer_plan(score, plan, section, energy_delta)
    new_notes = _new_notes(score, plan, track=track, section=section, seed=seed, lyrics=lyrics)
    lo, hi = sec.start_tick, sec.end_tick
    kept = [n for n in old.notes if not lo <= n.start_tick < hi]
    if old.role in ("vocal", "lead"):
        ringing = max((n.end_tick for n in kept if n.start_tick < lo), default=lo)
        moved = []
        for n in new_notes:
            if n.start_tick < ringing:
                if n.end_tick - ringing < 30:
                    continue
                n = replace(n, start_tick=ringing, duration_ticks=n.end_tick - ringing)
            moved.append(n)
        new_notes = tuple(moved)
    notes = tuple(sorted(kept + list(new_notes), key=lambda n: (n.start_tick, n.pitch)))
    bar_ticks = score.meters[0].bar_ticks(score.resolution)
    expression = old.expression
    if old.curve("vibrato_depth_cents") is not None:
        depth, _ = vibrato_curves(notes, resolution=score.resolution, voice=old.role == "vocal")
        expression = tuple(depth if c.name == depth.name else c for c in old.expression)
    new_track = replace(old, notes=notes, dynamics=dynamic_marks(plan, notes, bar_ticks=bar_ticks), expression=expression)
    return replace(score, tracks=tuple(new_track if t.name == track else t for t in score.tracks))
