"""Rule-based melody: phrase rhythms, chord tones on strong beats, steps in between.

Rules (``method="rules"``):

- **Range**: each preset has a singable/playable melody range (:data:`MELODY_RANGES`);
  verses sit in its lower part, choruses in its upper part.
- **Phrases**: 2-bar phrases in 4/4 (1 bar when a bar is long), notes in the first
  part and a rest of at least a beat at the end. The first phrase's rhythm is a
  motif reused by the next phrases; the last phrase of a section ends on a long
  note.
- **Pitch**: on the downbeat and mid-bar the note is a chord tone; on other beats a
  chord tone is strongly preferred; between beats the line moves by step in the
  key (a repeat or a third now and then); a leap is followed by a step back;
  phrases follow an arch contour; a phrase ends on a chord tone (the section's
  last phrase on the tonic when the chord allows). Choices are drawn with the
  part's seeded generator, so the same seed gives the same melody.
- **Motif**: phrases that share the motif rhythm repeat the first phrase's shape,
  moved by the diatonic step that best fits their chords, with strong-beat notes
  snapped to chord tones.

Examples
--------
>>> melody_range("voice_high", "chorus")
(60, 76)
>>> pick_method("rules")
'rules'
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from lemm.compose.context import ArrangeContext, velocity_for
from lemm.compose.instruments import PRESET_RANGES
from lemm.compose.melody.model import PitchDecoder, section_novelty_bonus
from lemm.errors import ParameterError
from lemm.score.model import Note

__all__ = ["MELODY_RANGES", "METHODS", "generate_melody", "instrumental_rhythm", "melody_range", "phrase_bars", "pick_method", "pitch_line", "split_phrases", "vary_melody"]

#: Melody range per preset (inclusive MIDI pitches).
MELODY_RANGES: dict[str, tuple[int, int]] = {
    "voice_low": (48, 67),
    "voice_high": (57, 76),
    "synth_lead": (62, 84),
    "flute": (65, 84),
    "electric_guitar": (57, 79),
    "steel_guitar": (55, 76),
    "nylon_guitar": (55, 76),
    "brass": (55, 77),
    "string_ensemble": (62, 84),
    "organ": (60, 81),
    "electric_piano": (62, 81),
    "acoustic_piano": (62, 84),
}

#: Melody methods: these rules, or the lieder-trained transformer (:mod:`lemm.compose.melody.model`)
#: choosing the pitches on the same rhythms.
METHODS = ("rules", "model")

Phrase = list[tuple[int, int]]  # (start_tick, duration_ticks) per note

#: With ``method="model"``, phrases sharing the first phrase's rhythm repeat its shape (as the rules do).
MODEL_REUSES_MOTIF = True


def pick_method(method: str) -> str:
    """Validate a melody method name."""
    if method not in METHODS:
        raise ParameterError.for_field("method", method, f"one of {', '.join(METHODS)}")
    return method


def melody_range(preset: str, kind: str) -> tuple[int, int]:
    """The part of the preset's melody range a section kind uses."""
    low, high = MELODY_RANGES.get(preset, PRESET_RANGES.get(preset, (60, 84)))
    if kind in ("chorus", "drop", "post-chorus"):
        return low + 3, high
    if kind in ("bridge", "pre-chorus"):
        return low + 2, high - 1
    return low, high - 3


def phrase_bars(*, tempo_bpm: float, meter_numerator: int, meter_denominator: int) -> int:
    """Bars per melodic phrase (and per sung lyric line): 1 when a bar is long (>= 4 s, or 6+ felt beats), else 2.

    A sung line takes about 5-8 s (two bars of 4/4 from 60 to 96 bpm), so its syllables get the
    quarter / eighth mix of sung melody rather than a patter of sixteenths.
    """
    compound = meter_denominator == 8 and meter_numerator % 3 == 0 and meter_numerator >= 6
    felt_beats = meter_numerator // 3 if compound else meter_numerator
    bar_seconds = meter_numerator * 4.0 / meter_denominator * 60.0 / tempo_bpm
    return 1 if bar_seconds >= 4.0 or felt_beats >= 6 else 2


def _phrase_bars(ctx: ArrangeContext) -> int:
    plan = ctx.plan
    return phrase_bars(tempo_bpm=plan.tempo_bpm, meter_numerator=plan.meter_numerator, meter_denominator=plan.meter_denominator)


_SIMPLE_CELLS = [([2.0], 3.0), ([1.0, 1.0], 3.0), ([-1.0, 1.0], 1.2), ([1.5, 0.5], 1.0), ([0.5, 0.5, 1.0], 0.6)]
_COMPOUND_CELLS = [([3.0], 2.5), ([2.0, 1.0], 3.0), ([1.0, 1.0, 1.0], 2.0), ([-1.0, 1.0, 1.0], 1.0)]


def instrumental_rhythm(ctx: ArrangeContext, start_tick: int, n_beats: int, energy: float, rng: np.random.Generator, *, rest_beats: int = 1) -> Phrase:
    """A phrase rhythm: beat cells (quarter, two eighths, syncopation...) then a held last note and a rest.

    Busier cells are likelier at higher energy. Returns ``(start_tick, duration_ticks)`` pairs.
    """
    sub = ctx.sub_ticks
    cells = _COMPOUND_CELLS if ctx.compound else _SIMPLE_CELLS
    weights = np.array([w * ((0.6 + energy) if len([d for d in c if d > 0]) > 1 else (1.4 - energy)) for c, w in cells])
    weights /= weights.sum()
    play_beats = max(1, n_beats - rest_beats)
    out: Phrase = []
    beat = 0
    while beat < play_beats:
        left = play_beats - beat
        if left >= 2 and rng.random() < 0.12 + 0.2 * (1 - energy):
            out.append((start_tick + beat * ctx.beat_ticks, 2 * ctx.beat_ticks))
            beat += 2
            continue
        cell = cells[int(rng.choice(len(cells), p=weights))][0]
        t = start_tick + beat * ctx.beat_ticks
        for d in cell:
            length = int(round(abs(d) * sub))
            if d > 0:
                out.append((t, length))
            t += length
        beat += 1
    if not out:
        out.append((start_tick, ctx.beat_ticks))
    # hold the last note to the rest
    last_start = out[-1][0]
    end = start_tick + play_beats * ctx.beat_ticks
    out[-1] = (last_start, max(out[-1][1], end - last_start))
    return out


def _softmax_choice(cands: list[int], costs: np.ndarray, rng: np.random.Generator, temperature: float = 0.55) -> int:
    z = -(costs - costs.min()) / temperature
    p = np.exp(z)
    p /= p.sum()
    return cands[int(rng.choice(len(cands), p=p))]


def pitch_line(
    ctx: ArrangeContext,
    rhythm: Phrase,
    *,
    low: int,
    high: int,
    rng: np.random.Generator,
    previous: int | None = None,
    final: bool = False,
    contour: str = "arch",
) -> list[int]:
    """Pitches for one phrase (see the module docstring for the rules).

    Parameters
    ----------
    rhythm : list of (start_tick, duration_ticks)
    low, high : int
        Inclusive range.
    previous : int, optional
        Last pitch of the previous phrase (for a smooth join).
    final : bool
        End on the tonic when the last chord contains it.
    contour : {"arch", "rise", "fall", "wave"}
    """
    scale = [p for p in range(low, high + 1) if p % 12 in ctx.scale_pcs]
    mid = (low + high) / 2.0
    prev = previous if previous is not None else int(scale[len(scale) // 2])
    prev_step = 0
    n = len(rhythm)
    out: list[int] = []
    for i, (tick, dur) in enumerate(rhythm):
        x = i / max(n - 1, 1)
        shape = {"arch": np.sin(np.pi * x), "rise": x, "fall": 1.0 - x, "wave": 0.5 + 0.5 * np.sin(2 * np.pi * x)}[contour]
        target = mid - 3.0 + 7.0 * float(shape)
        chord = ctx.chord_at(tick).chord
        chord_pcs = set(chord.pitch_classes)
        w = ctx.metric_weight(tick)
        strong = w >= 0.75
        last = i == n - 1
        if strong or last:
            cands = [p for p in range(low, high + 1) if p % 12 in chord_pcs]
        else:
            cands = [p for p in scale if abs(p - prev) <= 5] or scale
        if not cands:
            cands = scale
        costs = []
        for p in cands:
            step = p - prev
            size = abs(step)
            c = {0: 1.3, 1: 0.0, 2: 0.0, 3: 0.9, 4: 1.1, 5: 1.8, 7: 2.4}.get(size, 1.9 if size < 7 else 3.5 + 0.3 * (size - 7))
            if abs(prev_step) > 4 and np.sign(step) == np.sign(prev_step):
                c += 2.5  # recover from a leap by a step the other way
            c += 0.22 * abs(p - target)
            if p % 12 not in chord_pcs:
                c += 2.2 * w + (0.0 if dur < ctx.beat_ticks else 1.0)
            if last:
                if p % 12 == chord.root_pc:
                    c -= 0.6
                if final and p % 12 == ctx.tonic_pc:
                    c -= 2.5
            costs.append(c)
        p = _softmax_choice(cands, np.array(costs), rng)
        prev_step = p - prev
        prev = p
        out.append(p)
    return out


def _fit_shift(ctx: ArrangeContext, rhythm: Phrase, pitches: list[int], low: int, high: int) -> list[int]:
    """Move a phrase shape diatonically to fit new chords; snap strong-beat notes to chord tones."""
    scale = [p for p in range(low - 12, high + 13) if p % 12 in ctx.scale_pcs]
    best: tuple[float, list[int]] | None = None
    for shift in (0, -1, 1, -2, 2, 3, -3):
        moved = []
        for p in pitches:
            idx = min(range(len(scale)), key=lambda k: abs(scale[k] - p))
            moved.append(scale[min(max(idx + shift, 0), len(scale) - 1)])
        if min(moved) < low or max(moved) > high:
            continue
        score = abs(shift) * 0.3
        for (tick, _), p in zip(rhythm, moved, strict=True):
            if ctx.metric_weight(tick) >= 0.55 and p % 12 not in ctx.chord_at(tick).chord.pitch_classes:
                score += 1.0
        if best is None or score < best[0]:
            best = (score, moved)
    moved = best[1] if best is not None else list(pitches)
    return snap_strong_beats(ctx, rhythm, moved, low, high)


def snap_strong_beats(ctx: ArrangeContext, rhythm: Phrase, pitches: list[int], low: int, high: int) -> list[int]:
    """Move notes on the downbeat / mid-bar (and the last note) that are not chord tones to the nearest chord tone."""
    out = list(pitches)
    for i, ((tick, _), p) in enumerate(zip(rhythm, pitches, strict=True)):
        chord_pcs = ctx.chord_at(tick).chord.pitch_classes
        if (ctx.metric_weight(tick) >= 0.75 or i == len(rhythm) - 1) and p % 12 not in chord_pcs:
            cands = [q for q in range(low, high + 1) if q % 12 in chord_pcs]
            if cands:
                out[i] = min(cands, key=lambda q: (abs(q - p), q))
    return out


def phrase_slots(ctx: ArrangeContext, section_index: int) -> list[tuple[int, int]]:
    """(start_tick, n_beats) of each melodic phrase slot of a section."""
    first_bar, n_bars = ctx.section_bounds(section_index)
    pb = min(_phrase_bars(ctx), n_bars)
    slots = []
    b = 0
    while b < n_bars:
        length = min(pb, n_bars - b)
        slots.append(((first_bar + b) * ctx.bar_ticks, length * ctx.beats_per_bar))
        b += length
    return slots


def generate_melody(
    ctx: ArrangeContext,
    section_index: int,
    *,
    preset: str,
    rng: np.random.Generator,
    method: str = "rules",
    rhythm: list[Phrase] | None = None,
    syllables: list[list[str]] | None = None,
) -> list[Note]:
    """Melody notes for one section.

    Parameters
    ----------
    ctx : ArrangeContext
    section_index : int
    preset : str
        The melody part's preset (picks the range).
    rng : np.random.Generator
        The part's own generator.
    method : {"rules", "model"}
        How to choose the pitches: these rules, or the transformer with constrained
        decoding (:class:`lemm.compose.melody.model.PitchDecoder`), on the given rhythm (with lyrics
        the caller writes it: the rule rhythm, or :func:`lemm.compose.melody.rhythm.lied_rhythm` for the model).
    rhythm : list of phrases, optional
        Given phrase rhythms (e.g. one note per lyric syllable); when None an
        instrumental motif rhythm is made.
    syllables : list of list of str, optional
        MusicXML ``syllabic`` value per note of each phrase of ``rhythm`` (conditions the model).

    Returns
    -------
    list[Note]
        Sorted notes, legato inside phrases, inside ``melody_range``.
    """
    pick_method(method)
    sec = ctx.plan.sections[section_index]
    low, high = melody_range(preset, sec.kind)
    if rhythm is None:
        slots = phrase_slots(ctx, section_index)
        motif: Phrase | None = None
        rhythm = []
        for k, (start, n_beats) in enumerate(slots):
            e = ctx.energy(start // ctx.bar_ticks)
            is_last = k == len(slots) - 1
            if motif is not None and not is_last and (k % 4 != 3):
                delta = start - slots[0][0]
                rhythm.append([(t + delta, d) for t, d in motif if t + delta < start + n_beats * ctx.beat_ticks])
                continue
            rest = 1 if n_beats <= 4 else 2
            ph = instrumental_rhythm(ctx, start, n_beats, e, rng, rest_beats=rest + (1 if is_last and n_beats > 4 else 0))
            if motif is None:
                motif = [(t - start + slots[0][0], d) for t, d in ph]
            rhythm.append(ph)
    contours = ("arch", "rise", "fall", "wave")
    contour_a = contours[int(rng.integers(len(contours)))]
    decoder = None
    if method == "model":
        decoder = PitchDecoder(ctx, low=low, high=high, kind=sec.kind, rng=rng, novelty_bonus=section_novelty_bonus(rng))
    notes: list[Note] = []
    first_shape: tuple[Phrase, list[int]] | None = None
    prev: int | None = None
    for k, ph in enumerate(rhythm):
        if not ph:
            continue
        final = k == len(rhythm) - 1
        same_rhythm = first_shape is not None and len(ph) == len(first_shape[0]) and all(
            d == d0 and (t - ph[0][0]) == (t0 - first_shape[0][0][0]) for (t, d), (t0, d0) in zip(ph, first_shape[0], strict=True)
        )
        if same_rhythm and not final and (decoder is None or MODEL_REUSES_MOTIF):
            pitches = _fit_shift(ctx, ph, first_shape[1], low, high)
            if decoder is not None:
                decoder.phrase(ph, forced=pitches, syllables=syllables[k] if syllables else None)
        elif decoder is not None:
            pitches = decoder.phrase(ph, syllables=syllables[k] if syllables else None, final=final)
            if first_shape is None:
                first_shape = (ph, pitches)
        else:
            contour = contour_a if k % 2 == 0 else contours[int(rng.integers(len(contours)))]
            pitches = pitch_line(ctx, ph, low=low, high=high, rng=rng, previous=prev, final=final, contour=contour)
            if first_shape is None:
                first_shape = (ph, pitches)
        prev = pitches[-1]
        for i, ((t, d), p) in enumerate(zip(ph, pitches, strict=True)):
            e = ctx.energy(t // ctx.bar_ticks)
            accent = 6 if ctx.metric_weight(t) >= 0.75 else (0 if ctx.metric_weight(t) >= 0.55 else -5)
            vel = velocity_for(e, low=64, high=112, accent=accent + rng.normal(0.0, 2.0))
            art = "legato" if i < len(ph) - 1 and t + d >= ph[i + 1][0] - 5 else None
            notes.append(Note(int(min(max(p, low), high)), ctx.swing_tick(t), max(30, d - 6), vel, art))
    notes.sort(key=lambda n: (n.start_tick, n.pitch))
    return notes


def split_phrases(notes: list[Note], *, gap_ticks: int) -> list[list[Note]]:
    """Cut a melody into phrases wherever a rest of at least ``gap_ticks`` separates two notes."""
    phrases: list[list[Note]] = []
    for n in sorted(notes, key=lambda n: (n.start_tick, n.pitch)):
        if phrases and n.start_tick - phrases[-1][-1].end_tick < gap_ticks:
            phrases[-1].append(n)
        else:
            phrases.append([n])
    return phrases


def vary_melody(ctx: ArrangeContext, notes: list[Note], rng: np.random.Generator, *, low: int, high: int, fraction: float = 0.5) -> list[Note]:
    """A variation of a melody: same rhythm, lyrics, velocities; some phrases get new pitches.

    Each phrase (see :func:`split_phrases`, rests of half a beat or more) is
    re-pitched with :func:`pitch_line` with probability ``fraction`` (at least
    one phrase is); the line joins the unchanged phrases smoothly and the last
    phrase still ends on a chord tone. ``fraction=1`` writes new pitches
    everywhere on the old rhythm.

    Returns
    -------
    list[Note]
        As many notes as given, same start ticks and durations; differs from
        ``notes`` unless no other pitches fit.
    """
    if not notes:
        return []
    low, high = min(low, min(n.pitch for n in notes)), max(high, max(n.pitch for n in notes))
    phrases = split_phrases(notes, gap_ticks=max(1, ctx.beat_ticks // 2))
    contours = ("arch", "rise", "fall", "wave")
    original = [n.pitch for ph in phrases for n in ph]
    out: list[Note] = []
    for attempt in range(4):
        chosen = {k for k in range(len(phrases)) if rng.random() < (fraction if attempt == 0 else 1.0)}
        if not chosen:
            chosen = {int(rng.integers(len(phrases)))}
        out, prev = [], None
        for k, ph in enumerate(phrases):
            if k in chosen:
                rhythm = [(n.start_tick, n.duration_ticks) for n in ph]
                contour = contours[int(rng.integers(len(contours)))]
                pitches = pitch_line(ctx, rhythm, low=low, high=high, rng=rng, previous=prev, final=k == len(phrases) - 1, contour=contour)
                ph = [replace(n, pitch=int(p)) for n, p in zip(ph, pitches, strict=True)]
            out += ph
            prev = ph[-1].pitch
        if [n.pitch for n in out] != original:
            break
    return out
