"""Sections that return: a later verse (pre-chorus, chorus with new words) sings the first one's tune on its own words.

A song's second verse is the first verse's melody again, adapted to new syllables: the
same rhythm and contour skeleton, with notes split where a line has more syllables and
merged where it has fewer (a variation, not a new tune). Line by line
(:func:`adapt_line`), the new line's syllables are placed on candidate onsets: the template
line's onsets (free) and the eighth-note grid between them (a split, cost
:data:`SPLIT_COST`); a template onset left out costs :data:`MERGE_COST` (its note is
merged into the one before); the text-setting costs of
:func:`lemm.compose.text_setting.downbeat_penalty` keep function words off the downbeat, and
:func:`~lemm.compose.text_setting.hold_penalty` keeps them (and unstressed syllables) off long
notes: a merge or a split that leaves "to" on a held note ("from end *to* end") costs more than
one that gives the hold to a stressed syllable.
The last syllable takes the template's last (held) note, so phrase ends and breaths stay
where they were. A split note repeats its pitch or steps towards the next one; strong-beat
notes are then snapped to the new section's chords. In a later verse the end of the last
line is sung afresh (:func:`reprise_notes` with ``vary_end``), so verses differ where the
listener expects a turn.

Examples
--------
>>> from lemm.text.syllables import syllabify
>>> line = syllabify("walking down the road")[0]
>>> len([s for w in line.words for s in w.syllables])
5
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lemm.compose.context import ArrangeContext, velocity_for
from lemm.compose.melody import melody_range, pitch_line, snap_strong_beats
from lemm.compose.text_setting import downbeat_penalty, hold_penalty, syllable_flags
from lemm.score.model import Lyric, Note
from lemm.text.syllables import LyricLine

__all__ = ["MERGE_COST", "SPLIT_COST", "adapt_line", "group_by_slots", "reprise_notes"]

#: Cost of singing a syllable on a position the template line has no note on.
SPLIT_COST = 1.2
#: Cost of leaving out a template note (it merges into the note before).
MERGE_COST = 1.0
#: A melody note sounds this many ticks less than its slot (as :func:`lemm.compose.melody.generate_melody` writes it).
NOTE_GAP_TICKS = 6
#: Notes at the end of a later verse's last line that are sung afresh.
VARIED_TAIL_NOTES = 3


def group_by_slots(notes: Sequence[Note], slots: Sequence[tuple[int, int]], beat_ticks: int) -> list[list[Note]]:
    """The notes starting in each ``(start_tick, n_beats)`` slot, in time order."""
    out = []
    for start, n_beats in slots:
        end = start + n_beats * beat_ticks
        out.append(sorted((n for n in notes if start <= n.start_tick < end), key=lambda n: n.start_tick))
    return out


def _between(ctx: ArrangeContext, a: int, b: int) -> int:
    """A pitch on the way from ``a`` to ``b``: a scale tone between them, else ``a`` (a repeated note)."""
    if abs(b - a) < 2:
        return a
    step = 1 if b > a else -1
    cands = [p for p in range(a + step, b, step) if p % 12 in ctx.scale_pcs]
    return cands[0] if abs(b - a) > 4 and cands else (cands[len(cands) // 2] if cands else a)


def adapt_line(ctx: ArrangeContext, template: Sequence[tuple[int, int, int]], *, start_tick: int, span_ticks: int, stressed: Sequence[bool], function_words: Sequence[bool]) -> list[tuple[int, int, int]] | None:
    """The template line's ``(offset_ticks, duration_ticks, pitch)`` notes adapted to ``len(stressed)`` syllables.

    Parameters
    ----------
    template : sequence of (offset_ticks, duration_ticks, pitch)
        The first time's line, offsets from its slot start, in time order; durations as sounding
        (:data:`NOTE_GAP_TICKS` short of the rhythm's slot, which the result gives back).
    start_tick : int
        Where the new line's slot starts (metric weights are read there).
    span_ticks : int
        Slot length; no note starts at or after it.
    stressed, function_words : sequence of bool
        One flag per syllable of the new line.

    Returns
    -------
    list of (start_tick, duration_ticks, pitch) or None
        One note per syllable; None when the template is empty or the line cannot fit.
    """
    n = len(stressed)
    if not template or n == 0:
        return None
    onsets = [t for t, _, _ in template]
    last_on = onsets[-1]
    unit = ctx.sub_ticks
    cands = sorted(set(onsets) | {k * unit for k in range(last_on // unit + 1)})
    if len(cands) < n:
        cands = sorted(set(cands) | {k * unit // 2 for k in range(2 * last_on // unit + 1)})
    cands = [c for c in cands if 0 <= c <= last_on and c < span_ticks]
    if len(cands) < n or cands[-1] != last_on:
        return None
    is_tpl = np.array([c in set(onsets) for c in cands])
    tpl_before = np.cumsum(is_tpl) - is_tpl  # template onsets strictly before each candidate
    m = len(cands)
    local = np.zeros((n, m))
    for j, c in enumerate(cands):
        w = ctx.metric_weight(start_tick + c)
        for i in range(n):
            local[i, j] = (0.0 if is_tpl[j] else SPLIT_COST + (0.4 if c % unit else 0.0)) + downbeat_penalty(weight=w, function_word=bool(function_words[i]), stressed=bool(stressed[i]))
    inf = 1e18
    cost = np.full((n, m), inf)
    back = np.zeros((n, m), dtype=int)
    cost[0] = local[0] + MERGE_COST * tpl_before
    pos_beats = np.asarray(cands, dtype=np.float64) / ctx.beat_ticks
    for i in range(1, n):
        weak = bool(function_words[i - 1]) or not bool(stressed[i - 1])
        for j in range(i, m):
            prev = cost[i - 1, :j]
            skipped = tpl_before[j] - tpl_before[:j] - is_tpl[:j]
            total = prev + MERGE_COST * skipped
            if weak:  # syllable i - 1 is held from its candidate to this one
                total = total + hold_penalty(beats=pos_beats[j] - pos_beats[:j], function_word=bool(function_words[i - 1]), stressed=bool(stressed[i - 1]))
            k = int(np.argmin(total))
            cost[i, j] = total[k] + local[i, j]
            back[i, j] = k
    j = m - 1
    if cost[n - 1, j] >= inf:
        return None
    chosen = [j]
    for i in range(n - 1, 0, -1):
        j = int(back[i, j])
        chosen.append(j)
    chosen.reverse()
    pos = [cands[j] for j in chosen]
    out = []
    for i, c in enumerate(pos):
        k = max(q for q in range(len(onsets)) if onsets[q] <= c) if c >= onsets[0] else 0
        if c == onsets[k]:
            pitch = template[k][2]
        else:
            nxt = template[k + 1][2] if k + 1 < len(template) and c > onsets[k] else template[k][2]
            pitch = _between(ctx, template[k][2], nxt)
        if i + 1 < len(pos):
            nxt_on = pos[i + 1]
            dur = template[k][1] + NOTE_GAP_TICKS if c == onsets[k] and k + 1 < len(onsets) and nxt_on == onsets[k + 1] else nxt_on - c
            dur = min(dur, nxt_on - c)
        else:
            dur = template[-1][1] + NOTE_GAP_TICKS
        out.append((start_tick + c, max(30, min(dur, span_ticks - c)), int(pitch)))
    return out


def reprise_notes(
    ctx: ArrangeContext,
    template_phrases: Sequence[Sequence[Note]],
    template_starts: Sequence[int],
    *,
    section_index: int,
    slots: Sequence[tuple[int, int]],
    lines: Sequence[LyricLine],
    preset: str,
    rng: np.random.Generator,
    vary_end: bool,
) -> list[Note] | None:
    """A section's vocal notes on the template section's tune (see the module docstring).

    Parameters
    ----------
    template_phrases : sequence of sequence of Note
        The first section's notes, one list per sung line slot.
    template_starts : sequence of int
        Start tick of each template slot.
    slots : sequence of (start_tick, n_beats)
        This section's line slots (line ``k`` is sung in slot ``k``, cycling the lines).
    lines : sequence of LyricLine
        This section's lines.
    vary_end : bool
        Sing the end of the last line afresh (a later verse).

    Returns
    -------
    list[Note] or None
        One note per syllable, with lyrics; None when a line has no template to follow.
    """
    sec = ctx.plan.sections[section_index]
    low, high = melody_range(preset, sec.kind)
    usable = [k for k, ph in enumerate(template_phrases) if ph]
    if not usable or not lines:
        return None
    out: list[Note] = []
    for k, (start, n_beats) in enumerate(slots):
        line = lines[k % len(lines)]
        syl = [s for w in line.words for s in w.syllables]
        flags = syllable_flags(line)
        src = usable[k % len(usable)] if k >= len(template_phrases) or not template_phrases[k] else k
        phrase = template_phrases[src]
        tpl = [(n.start_tick - template_starts[src], n.duration_ticks, n.pitch) for n in phrase]
        notes = adapt_line(ctx, tpl, start_tick=start, span_ticks=n_beats * ctx.beat_ticks, stressed=[s.stressed for s in syl], function_words=flags)
        if notes is None:
            return None
        rhythm = [(t, d) for t, d, _ in notes]
        lo, hi = min(low, min(p for *_, p in notes)), max(high, max(p for *_, p in notes))
        pitches = snap_strong_beats(ctx, rhythm, [p for *_, p in notes], lo, hi)
        if vary_end and k == len(slots) - 1 and len(notes) > 1:
            n_tail = min(VARIED_TAIL_NOTES, len(notes) - 1)
            tail = rhythm[-n_tail:]
            fresh = pitch_line(ctx, tail, low=lo, high=hi, rng=rng, previous=pitches[-n_tail - 1], final=False, contour="rise")
            old = pitches[-n_tail:]
            for j in range(n_tail - 1, -1, -1):  # a turn the listener hears: at least two of the tail's notes change
                if sum(a != b for a, b in zip(fresh, old, strict=True)) >= min(2, n_tail):
                    break
                if fresh[j] == old[j]:
                    tones = [q for q in range(lo, hi + 1) if q % 12 in ctx.chord_at(tail[j][0]).chord.pitch_classes and q != old[j]]
                    fresh[j] = min(tones, key=lambda q: (abs(q - old[j]), q)) if tones else fresh[j]
            pitches = pitches[:-n_tail] + fresh
        vel_src = {n.start_tick - template_starts[src]: n.velocity for n in phrase}
        for i, ((t, d), p, s) in enumerate(zip(rhythm, pitches, syl, strict=True)):
            base = vel_src.get(t - start, phrase[0].velocity)
            shift = velocity_for(ctx.energy(t // ctx.bar_ticks), low=64, high=112) - velocity_for(ctx.energy(phrase[0].start_tick // ctx.bar_ticks), low=64, high=112)
            art = "legato" if i + 1 < len(rhythm) and t + d >= rhythm[i + 1][0] - 5 else None
            out.append(Note(int(p), ctx.swing_tick(t), max(30, d - NOTE_GAP_TICKS), int(min(max(base + shift, 1), 127)), art, Lyric(s.text, s.syllabic)))
    return out
