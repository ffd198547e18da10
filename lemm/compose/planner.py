"""Brief -> Plan: genre profile, tempo, key, meter, section map, energy per bar, parts.

Order of decisions (each reported in ``Plan.understood`` when it came from the brief):

1. Genre: the first tag that names a genre; else the earliest genre word in the
   prompt; else pop.
2. The prompt is read with :mod:`lemm.compose.vocabulary` (tags are read too, after it).
3. Seeded choices use ``make_rng(derive_seed(brief.seed, "plan"))`` in a fixed order:
   meter, mode, key, tempo, form.
4. Length: ``brief.duration_seconds``, unless it is the default (210 s) and the prompt
   says a length. Bars are fitted (and the tempo nudged by at most 4 % inside the
   genre's range when the prompt gave no bpm) so that the plan is within one bar of
   the length.

Examples
--------
>>> from lemm.compose.brief import Brief
>>> plan = make_plan(Brief(prompt="sad piano ballad in D minor, 70 bpm", duration_seconds=60.0))
>>> plan.genre, plan.key_tonic, plan.key_mode, plan.tempo_bpm
('ballad', 'D', 'minor', 70.0)
>>> abs(plan.duration_seconds - 60.0) <= plan.beats_per_bar * 60.0 / plan.tempo_bpm
True
"""

from __future__ import annotations

import numpy as np

from lemm.compose.brief import Brief
from lemm.compose.form import energy_curve, fit_bars, fit_form, name_sections
from lemm.compose.instruments import PRESET_PROGRAMS, PartSpec
from lemm.compose.plan_model import Instrument, Plan, PlanSection, Understood
from lemm.compose.profiles import GenreProfile, genre_for_word, load_profile
from lemm.compose.vocabulary import PromptReading, read_prompt
from lemm.seeding import derive_seed, make_rng

__all__ = ["make_plan", "DEFAULT_DURATION_SECONDS", "plan_parts"]

#: ``Brief.duration_seconds`` default; a length in the prompt wins only over this value.
DEFAULT_DURATION_SECONDS = 210.0


def _pick_genre(brief: Brief, reading: PromptReading) -> tuple[str, list[Understood]]:
    for tag in brief.tags:
        g = genre_for_word(tag)
        if g is not None:
            return g, [Understood(tag, f"genre {g} (from tags)")]
    if reading.genre is not None:
        return reading.genre, []
    return "pop", [Understood("", "genre pop (default: no genre named)")]


def _merge_tags(reading: PromptReading, tags: tuple[str, ...]) -> None:
    """Read mood/tempo/arc words in the tags too (genre tags are handled separately)."""
    if not tags:
        return
    extra = read_prompt(" , ".join(t for t in tags if genre_for_word(t) is None))
    for u in extra.understood:
        reading.understood.append(Understood(u.words, u.meaning + " (from tags)"))
    reading.mood = reading.mood or extra.mood
    reading.mode = reading.mode or extra.mode
    reading.tempo_shift += extra.tempo_shift
    reading.energy_offset += extra.energy_offset
    reading.tempo_position = reading.tempo_position if reading.tempo_position is not None else extra.tempo_position
    reading.key_tonic = reading.key_tonic or extra.key_tonic
    reading.key_mode = reading.key_mode or extra.key_mode
    reading.meter = reading.meter or extra.meter
    reading.arcs = tuple(dict.fromkeys(reading.arcs + extra.arcs))
    reading.add_parts += [p for p in extra.add_parts if all(q.name != p.name for q in reading.add_parts)]
    reading.remove = tuple(dict.fromkeys(reading.remove + extra.remove))
    reading.voice = reading.voice or extra.voice
    reading.instrumental = reading.instrumental or extra.instrumental


def _matches_refusal(part: PartSpec, word: str) -> bool:
    """Whether refusing ``word`` ("piano", "guitar", "drums", "bass", "strings"...) removes ``part``."""
    w = word.lower()
    if w == "drums":
        return part.is_drum or part.role in ("drums", "percussion")
    if w in ("bass", "synth bass"):
        return part.role == "bass"
    if w in ("piano",):
        return part.preset in ("acoustic_piano", "electric_piano")
    if "guitar" in w:
        return part.role == "guitar" or "guitar" in part.preset
    if w in ("strings", "orchestra"):
        return part.role == "strings"
    if w in ("synth", "synths", "pad", "pads"):
        return part.preset in ("synth_pad", "synth_lead") and part.role != "lead"
    from lemm.compose.instruments import INSTRUMENT_WORDS

    spec = INSTRUMENT_WORDS.get(w)
    return spec is not None and (part.preset == spec.preset or part.name == spec.name)


def plan_parts(profile: GenreProfile, reading: PromptReading, *, has_lyrics: bool) -> tuple[Instrument, ...]:
    """The plan's instruments: the profile's parts, minus refused, plus asked for, plus the melody part."""
    parts = [p for p in profile.parts if not any(_matches_refusal(p, w) for w in reading.remove)]
    for spec in reading.add_parts:
        if any(_matches_refusal(spec, w) for w in reading.remove):
            continue
        if spec.is_drum and any(p.is_drum for p in parts):
            continue
        if spec.role == "bass" and any(p.role == "bass" for p in parts):
            continue
        if any(p.preset == spec.preset or p.name == spec.name for p in parts):
            continue
        parts.append(spec)
    out = [Instrument(p.name, p.role, p.preset, p.program, p.is_drum) for p in parts]
    if has_lyrics and not reading.instrumental:
        voice = reading.voice or profile.voice
        out.append(Instrument("vocal", "vocal", voice, PRESET_PROGRAMS[voice]))
    else:
        lead = profile.lead_preset
        out.append(Instrument("lead", "lead", lead, PRESET_PROGRAMS[lead]))
    return tuple(out)


def make_plan(brief: Brief) -> Plan:
    """Turn a brief into a plan (see the module docstring for the rules).

    Parameters
    ----------
    brief : Brief

    Returns
    -------
    Plan
        Deterministic for a given brief (its seed included).
    """
    reading = read_prompt(brief.prompt)
    genre, genre_notes = _pick_genre(brief, reading)
    _merge_tags(reading, brief.tags)
    profile = load_profile(genre)
    rng = make_rng(derive_seed(brief.seed, "plan"))
    understood = list(reading.understood) + genre_notes

    # meter
    meter_draw = rng.random()
    if reading.meter is not None:
        meter = reading.meter
    else:
        meter = profile.meters[0] if len(profile.meters) == 1 or meter_draw < 0.75 else profile.meters[1 + int(meter_draw * 97) % (len(profile.meters) - 1)]
    beats_per_bar = meter[0] * 4.0 / meter[1]

    # mode and key
    weights = np.array([profile.modes.get("major", 0.5), profile.modes.get("minor", 0.5)], dtype=float)
    drawn_mode = "major" if rng.random() < weights[0] / weights.sum() else "minor"
    mode = reading.key_mode or reading.mode or drawn_mode
    keys = profile.keys_major if mode == "major" else profile.keys_minor
    drawn_tonic = keys[int(rng.integers(len(keys)))]
    tonic = reading.key_tonic or drawn_tonic

    # tempo
    low, high = profile.tempo_bpm
    drawn_pos = float(rng.uniform(0.25, 0.75))
    if reading.tempo_bpm is not None:
        tempo = float(reading.tempo_bpm)
    else:
        pos = reading.tempo_position if reading.tempo_position is not None else drawn_pos
        if reading.tempo_position is not None:
            pos = pos + (drawn_pos - 0.5) * 0.2
        pos = float(np.clip(pos + reading.tempo_shift, -0.15, 1.15))
        tempo = float(round(low + pos * (high - low)))
    tempo_range = None if reading.tempo_bpm is not None else (min(low, tempo), max(high, tempo))

    # length
    duration = float(brief.duration_seconds)
    if reading.duration_seconds is not None and brief.duration_seconds == DEFAULT_DURATION_SECONDS:
        duration = reading.duration_seconds
    n_bars, tempo = fit_bars(duration, tempo_bpm=tempo, beats_per_bar=beats_per_bar, tempo_range=tempo_range)

    # form
    form = profile.forms[int(rng.integers(len(profile.forms)))]
    kinds_bars = fit_form(form, n_bars, profile.section_bars, profile.extend)
    swing = reading.swing if reading.swing is not None else profile.swing
    if meter[1] == 8 and meter[0] % 3 == 0:
        swing = 0.0  # compound meters are already in threes
    energy_offset = reading.energy_offset + (-0.1 if "soft" in reading.arcs else 0.0) + (0.1 if "loud" in reading.arcs else 0.0)
    energy = energy_curve(kinds_bars, profile.energy, offset=energy_offset, arcs=reading.arcs)
    names = name_sections([k for k, _ in kinds_bars])
    sections = []
    bar = 0
    for (kind, bars), name in zip(kinds_bars, names):
        sections.append(PlanSection(name, kind, bars, float(round(float(np.mean(energy[bar : bar + bars])), 4))))
        bar += bars

    return Plan(
        genre=profile.name,
        tempo_bpm=float(tempo),
        key_tonic=tonic,
        key_mode=mode,
        meter_numerator=meter[0],
        meter_denominator=meter[1],
        swing=float(np.clip(swing, 0.0, 0.5)),
        sections=tuple(sections),
        energy_per_bar=tuple(float(e) for e in energy),
        instruments=plan_parts(profile, reading, has_lyrics=brief.lyrics is not None and brief.lyrics.strip() != ""),
        understood=tuple(understood),
        mood=reading.mood or "neutral",
    )
