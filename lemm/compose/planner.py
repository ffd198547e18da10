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
5. Form: a lyric sheet with section labels (``[Verse 1]``, ``[Chorus]``...) gives the
   sections, in its order and as long as its lines need
   (:func:`lemm.compose.lyric_sheet.form_from_sheet`); otherwise one of the genre's
   forms is fitted to the length.
6. With a guide (:class:`lemm.compose.guide.GuideAnalysis`), the guide's time line
   wins: its tempo, meter, key, bars, sections and energy per bar are taken as
   they are, ``start_offset_seconds`` is its first downbeat (so rendered stems line
   up with the guide in a DAW), and optionally its chords (one per bar) and its
   melody are kept. The prompt and tags still pick the genre, the parts and the mood.

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

from typing import TYPE_CHECKING

import numpy as np

from lemm.compose.brief import Brief
from lemm.compose.form import energy_curve, fit_bars, fit_form, name_sections
from lemm.compose.instruments import INSTRUMENT_WORDS, PRESET_PROGRAMS, PartSpec
from lemm.compose.lyric_sheet import form_from_sheet, parse_lyric_sheet
from lemm.compose.melody.rules import phrase_bars
from lemm.compose.plan_model import Instrument, Plan, PlanSection, Understood
from lemm.compose.profiles import GenreProfile, genre_for_word, load_profile
from lemm.compose.vocabulary import PromptReading, read_prompt
from lemm.seeding import derive_seed, make_rng

if TYPE_CHECKING:
    from lemm.compose.guide.analysis import GuideAnalysis

__all__ = ["DEFAULT_DURATION_SECONDS", "make_plan", "plan_parts", "sections_from_guide"]

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
    reading.backing_vocals = reading.backing_vocals if reading.backing_vocals is not None else extra.backing_vocals


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
    spec = INSTRUMENT_WORDS.get(w)
    return spec is not None and (part.preset == spec.preset or part.name == spec.name)


def plan_parts(profile: GenreProfile, reading: PromptReading, *, has_lyrics: bool) -> tuple[Instrument, ...]:
    """The plan's instruments: the profile's parts, minus refused, plus asked for, plus the melody part.

    The profile's backing vocals (parts of role ``vocal``) come after the vocal, only in a sung song
    and unless the prompt refused them (``reading.backing_vocals`` False: "no backing vocals").
    """
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
    out = [Instrument(p.name, p.role, p.preset, p.program, p.is_drum) for p in parts if p.role != "vocal"]
    if has_lyrics and not reading.instrumental:
        voice = reading.voice or profile.voice
        out.append(Instrument("vocal", "vocal", voice, PRESET_PROGRAMS[voice]))
        # backing vocals after the lead (their voice follows the lead's: lemm.compose.backing)
        if reading.backing_vocals is not False:
            out += [Instrument(p.name, p.role, p.preset, p.program, p.is_drum) for p in parts if p.role == "vocal"]
    else:
        lead = profile.lead_preset
        out.append(Instrument("lead", "lead", lead, PRESET_PROGRAMS[lead]))
    return tuple(out)


def sections_from_guide(guide: GuideAnalysis, *, keep_chords: bool = False) -> tuple[PlanSection, ...]:
    """Plan sections on a guide's bars: its kinds and lengths, named "verse 1", "verse 2"...

    Energies are the means of the guide's energy per bar; with ``keep_chords``
    each section carries the guide's chord of each of its bars.
    """
    names = name_sections([s.kind for s in guide.sections])
    energy = np.asarray(guide.energy_per_bar, dtype=float)
    out = []
    for sec, name in zip(guide.sections, names, strict=True):
        bars = slice(sec.start_bar, sec.start_bar + sec.bars)
        chords = tuple(guide.chords_per_bar[bars]) if keep_chords and guide.chords_per_bar else ()
        out.append(PlanSection(name, sec.kind, sec.bars, float(round(float(energy[bars].mean()), 4)), chords))
    return tuple(out)


def make_plan(brief: Brief, *, guide: GuideAnalysis | None = None, keep_chords: bool = False, keep_melody: bool = False) -> Plan:
    """Turn a brief into a plan (see the module docstring for the rules).

    Parameters
    ----------
    brief : Brief
    guide : GuideAnalysis, optional
        Analysis of a guide audio or MIDI file (:func:`lemm.compose.guide.analyze_guide`);
        the plan then follows its time line.
    keep_chords : bool
        With a guide: fix each bar's chord to the guide's.
    keep_melody : bool
        With a guide that has a melody (MIDI): the lead/vocal plays it (``Plan.melody``).

    Returns
    -------
    Plan
        Deterministic for a given brief (its seed included) and guide.
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

    if guide is not None:
        return _plan_from_guide(brief, guide, profile, reading, understood, keep_chords=keep_chords, keep_melody=keep_melody)

    # length
    duration = float(brief.duration_seconds)
    if reading.duration_seconds is not None and brief.duration_seconds == DEFAULT_DURATION_SECONDS:
        duration = reading.duration_seconds
    n_bars, tempo = fit_bars(duration, tempo_bpm=tempo, beats_per_bar=beats_per_bar, tempo_range=tempo_range)

    # form: the lyric sheet's labels when it has them, else the genre's form
    form = profile.forms[int(rng.integers(len(profile.forms)))]
    sheet = parse_lyric_sheet(brief.lyrics) if brief.lyrics is not None and brief.lyrics.strip() else None
    if sheet is not None and sheet.labelled:
        per_line = phrase_bars(tempo_bpm=tempo, meter_numerator=meter[0], meter_denominator=meter[1])
        kinds_bars = form_from_sheet(sheet, n_bars, bars_per_line=per_line, section_bars=profile.section_bars)
        understood.append(Understood("lyric labels", "form from the lyric sheet's labels: " + ", ".join(k for k, _ in kinds_bars)))
    else:
        kinds_bars = fit_form(form, n_bars, profile.section_bars, profile.extend)
    swing = reading.swing if reading.swing is not None else profile.swing
    if meter[1] == 8 and meter[0] % 3 == 0:
        swing = 0.0  # compound meters are already in threes
    energy_offset = reading.energy_offset + (-0.1 if "soft" in reading.arcs else 0.0) + (0.1 if "loud" in reading.arcs else 0.0)
    energy = energy_curve(kinds_bars, profile.energy, offset=energy_offset, arcs=reading.arcs)
    names = name_sections([k for k, _ in kinds_bars])
    sections = []
    bar = 0
    for (kind, bars), name in zip(kinds_bars, names, strict=True):
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
        lift_semitones=2 if "lift" in reading.arcs and sum(k == "chorus" for k, _ in kinds_bars) >= 2 else 0,
    )


def _plan_from_guide(
    brief: Brief, guide: GuideAnalysis, profile: GenreProfile, reading: PromptReading, understood: list[Understood], *, keep_chords: bool, keep_melody: bool
) -> Plan:
    """The plan on a guide's time line (rule 5 of the module docstring)."""
    said = understood.append
    for what, given in (("tempo", reading.tempo_bpm), ("key", reading.key_tonic), ("meter", reading.meter), ("length", reading.duration_seconds)):
        if given is not None:
            said(Understood(str(given), f"ignored: the {what} comes from the guide"))
    tempo = float(np.clip(guide.tempo_bpm, 20.0, 400.0))
    said(Understood(f"guide {guide.source}", f"{guide.kind} guide: tempo {tempo:g} bpm, meter {guide.meter_numerator}/{guide.meter_denominator}, key {guide.key_tonic} {guide.key_mode}, {guide.n_bars} bars, bar 1 at {guide.start_offset_seconds:.3f} s"))
    sections = sections_from_guide(guide, keep_chords=keep_chords)
    if keep_chords and guide.chords_per_bar:
        said(Understood(f"guide {guide.source}", "chords kept from the guide (one per bar)"))
    melody = ()
    if keep_melody and guide.melody:
        melody = tuple(guide.melody)
        said(Understood(f"guide {guide.source}", f"melody kept from the guide ({len(melody)} notes)"))
    energy_offset = reading.energy_offset + (-0.1 if "soft" in reading.arcs else 0.0) + (0.1 if "loud" in reading.arcs else 0.0)
    energy = np.clip(np.asarray(guide.energy_per_bar, dtype=float) + energy_offset, 0.05, 1.0)
    sections = tuple(PlanSection(s.name, s.kind, s.bars, float(round(float(energy[b : b + s.bars].mean()), 4)), s.chords) for s, b in zip(sections, np.cumsum([0] + [x.bars for x in sections[:-1]]), strict=True))
    swing = reading.swing if reading.swing is not None else (guide.swing if guide.swing >= 0.1 else 0.0)
    return Plan(
        genre=profile.name,
        tempo_bpm=tempo,
        key_tonic=guide.key_tonic,
        key_mode=guide.key_mode,
        meter_numerator=guide.meter_numerator,
        meter_denominator=guide.meter_denominator,
        swing=float(np.clip(swing, 0.0, 0.5)),
        sections=sections,
        energy_per_bar=tuple(float(round(e, 4)) for e in energy),
        instruments=plan_parts(profile, reading, has_lyrics=brief.lyrics is not None and brief.lyrics.strip() != ""),
        understood=tuple(understood),
        mood=reading.mood or "neutral",
        start_offset_seconds=float(round(guide.start_offset_seconds, 6)),
        melody=melody,
    )
