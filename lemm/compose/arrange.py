"""Plan -> Score: the rule-based arranger.

The score gets the plan's tempo, meter and key, its sections (ticks from bars),
chord symbols (one or two per bar, see :mod:`lemm.compose.harmony`) and one track
per plan instrument:

- drums (:mod:`lemm.compose.drums`), bass (:mod:`lemm.compose.bass`), chordal parts
  (:mod:`lemm.compose.keys`), the melody (:mod:`lemm.compose.melody`);
- with lyrics, the melody is a vocal track (name ``"vocal"``, one note per syllable,
  :mod:`lemm.compose.lyrics_align`); without, a ``"lead"`` track;
- expression on every track (:mod:`lemm.compose.expression`).

Each (track, section) is written with its own generator,
``make_rng(derive_seed(seed, track_name, section_name))``, so a part can be
rewritten alone (:func:`compose_part`, :func:`lemm.compose.regen.regenerate`)
without touching the others. Every note is cut at the end of the section it
starts in, so no note crosses a section boundary.

Form: the chorus melody is written once (in the first chorus) and repeated in
every later chorus that sings the same words, as the hook; a later verse (or
pre-chorus, or a chorus with new words) sings the first one's tune adapted to its
syllables (:mod:`lemm.compose.reprise`); lyrics with section labels follow them
(:mod:`lemm.compose.lyric_sheet`). Risers, drops (:mod:`lemm.compose.transitions`)
and hand percussion (:mod:`lemm.compose.percussion`) mark the way into choruses,
and a part plays only in its profile's ``sections`` when it names some. An instrumental lead plays the chorus's first
bars in the intro and its last bars in the outro (the intro and outro also
take the chorus's chord progression when the genre has none of their own).
Backing vocals (a profile part of role ``vocal`` with style ``harmony`` or
``double``) sing under the lead in their sections (:mod:`lemm.compose.backing`)
when the song is sung by one of lemm's voices.
Plan instruments are played in their ``style`` with their ``min_energy``
(when the plan gives neither, the genre profile's part of the same name
decides).

Examples
--------
>>> from lemm.compose.brief import Brief
>>> from lemm.compose.planner import make_plan
>>> plan = make_plan(Brief(prompt="upbeat pop", duration_seconds=30.0, seed=1))
>>> score = compose_score(plan, seed=1, title="demo")
>>> score.title, score.resolution, len(score.sections) == len(plan.sections)
('demo', 480, True)
>>> [t.name for t in score.tracks][-1]
'lead'
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from lemm.compose.backing import backing_section, backing_voice, is_backing
from lemm.compose.bass import bass_section
from lemm.compose.context import ArrangeContext, build_context, velocity_for
from lemm.compose.drums import drum_section
from lemm.compose.expression import brightness_curve, dynamic_marks, dynamics_curve, hairpins, vibrato_curves
from lemm.compose.instruments import (
    BACKING_STYLES,
    DRUM_KITS,
    INSTRUMENT_WORDS,
    PRESET_PROGRAMS,
    VOICES,
    PartSpec,
    clamp_to_range,
    styles_for_role,
)
from lemm.compose.keys import chord_part_section
from lemm.compose.lift import lift_score
from lemm.compose.lyric_sheet import LyricSheet, parse_lyric_sheet, sheet_lines_for_sections
from lemm.compose.lyrics_align import line_slots, lines_for_sections, syllable_rhythm
from lemm.compose.melody import generate_melody, melody_range, snap_strong_beats
from lemm.compose.melody.model import load_model
from lemm.compose.melody.rhythm import lied_rhythm
from lemm.compose.percussion import percussion_section
from lemm.compose.pickups import add_pickups, opening_rhythm
from lemm.compose.plan_model import Plan
from lemm.compose.profiles import load_profile
from lemm.compose.reprise import group_by_slots, reprise_notes
from lemm.compose.text_setting import syllable_flags
from lemm.compose.transitions import drop_before_chorus, riser_section
from lemm.errors import ParameterError
from lemm.score.model import ChordSymbol, KeyChange, Lyric, MeterChange, Note, Score, Section, TempoChange, Track
from lemm.seeding import check_seed, derive_seed, make_rng
from lemm.text.syllables import LyricLine

__all__ = ["compose_part", "compose_score", "melody_source", "part_specs", "track_for_part"]

RESOLUTION = 480
#: Sung section kinds whose later occurrences take the first one's tune (:mod:`lemm.compose.reprise`).
REPRISE_KINDS = ("verse", "pre-chorus", "chorus")


def part_specs(plan: Plan, *, lyrics: str | None = None, vocal: bool | None = None) -> list[PartSpec]:
    """The parts to write: plan instruments with their playing style; the melody part as vocal or lead.

    Parameters
    ----------
    plan : Plan
    lyrics : str, optional
        With lyrics the melody part is the ``"vocal"`` track.
    vocal : bool, optional
        Force the melody part to be the vocal (True) or the lead (False);
        default: whether lyrics are given.

    Raises
    ------
    ParameterError
        If an instrument's style does not fit its role.
    """
    profile = load_profile(plan.genre)
    sung = lyrics is not None if vocal is None else bool(vocal)
    specs: list[PartSpec] = []
    backing: list[PartSpec] = []
    melody_done = False
    for inst in plan.instruments:
        in_profile = profile.part(inst.name)
        if inst.role == "vocal" and (inst.style or (in_profile.style if in_profile is not None else "")) in BACKING_STYLES:
            backing.append(PartSpec(inst.name, "vocal", inst.preset, inst.program, False, inst.style or in_profile.style,
                                    float(inst.min_energy) if inst.min_energy > 0 or in_profile is None else in_profile.min_energy,
                                    in_profile.pan if in_profile is not None else 0.0, in_profile.gain_db if in_profile is not None else 0.0,
                                    in_profile.sections if in_profile is not None else ()))
            continue
        if inst.role in ("vocal", "lead") and not melody_done:
            melody_done = True
            if sung:
                preset = inst.preset if inst.role == "vocal" and inst.preset in PRESET_PROGRAMS else profile.voice
                specs.append(PartSpec("vocal", "vocal", preset, PRESET_PROGRAMS[preset], False, "melody"))
            else:
                preset = inst.preset if inst.role == "lead" and inst.preset in PRESET_PROGRAMS else profile.lead_preset
                specs.append(PartSpec("lead", "lead", preset, PRESET_PROGRAMS[preset], False, "melody", pan=0.05))
            continue
        if inst.role in ("vocal", "lead"):
            continue
        known = in_profile or next((w for w in INSTRUMENT_WORDS.values() if w.name == inst.name), None)
        explicit = inst.style != "" or inst.min_energy > 0
        if inst.style and inst.style not in styles_for_role(inst.role):
            raise ParameterError.for_field(f"instrument {inst.name!r} style", inst.style, f"one of {', '.join(styles_for_role(inst.role))} for role {inst.role!r}")
        style = inst.style if inst.style else (known.style if known is not None and known.style in styles_for_role(inst.role) else "")
        min_energy = float(inst.min_energy) if explicit else (in_profile.min_energy if in_profile is not None else 0.0)
        specs.append(
            PartSpec(
                inst.name, inst.role, inst.preset if inst.preset in PRESET_PROGRAMS else _stand_in_preset(inst.program, known),
                inst.program, inst.is_drum, style, min_energy,
                known.pan if known is not None else 0.0, known.gain_db if known is not None else 0.0,
                in_profile.sections if in_profile is not None else (),
            )
        )
    if not melody_done:
        if sung:
            specs.append(PartSpec("vocal", "vocal", profile.voice, PRESET_PROGRAMS[profile.voice], False, "melody"))
        else:
            specs.append(PartSpec("lead", "lead", profile.lead_preset, PRESET_PROGRAMS[profile.lead_preset], False, "melody", pan=0.05))
    lead = next(s for s in specs if is_melody(s))
    if lead.role == "vocal" and lead.preset in VOICES:  # backing vocals only beside lemm's own singer
        for b in backing:
            voice = backing_voice(b.style, lead.preset)
            specs.insert(specs.index(lead) + 1 + backing.index(b), replace(b, preset=voice, program=PRESET_PROGRAMS[voice]))
    return specs


def _stand_in_preset(program: int, known: PartSpec | None) -> str:
    """The stock preset a part played by a song's own preset (e.g. a fitted timbre) is written for.

    A song preset keeps the GM program of the part it replaced (or was added
    as), so the stock preset of that program gives the range and idiom; else
    the part's instrument word, else the piano (the widest range).
    """
    same_program = [name for name, prog in PRESET_PROGRAMS.items() if prog == program and name not in DRUM_KITS and name not in VOICES]
    if same_program:
        return same_program[0]
    return known.preset if known is not None else "acoustic_piano"


def _lyric_lines(lyrics: str | None) -> LyricSheet | None:
    if lyrics is None:
        return None
    return parse_lyric_sheet(lyrics)  # raises ParameterError for text without letters


def _section_lines(ctx: ArrangeContext, sheet: LyricSheet) -> list[list[LyricLine]]:
    """Lines sung in each section: a labelled sheet's blocks by kind, else the stanza rule."""
    kinds = [s.kind for s in ctx.plan.sections]
    if sheet.labelled:
        return sheet_lines_for_sections(sheet, kinds)
    caps = [s.bars * ctx.beats_per_bar // 2 for s in ctx.plan.sections]
    return lines_for_sections(sheet.lines, kinds, caps)


def _slots(ctx: ArrangeContext, index: int, n_lines: int) -> list[tuple[int, int]]:
    return line_slots(ctx, index, n_lines, repeat=ctx.plan.sections[index].kind in ("chorus", "pre-chorus"))


def _line_rhythm(ctx: ArrangeContext, start: int, n_beats: int, syllables, rng, *, prior: dict | None, function_words) -> list[tuple[int, int]]:
    """One sung line's rhythm: the lieder rhythm model (``prior``), else the rule rhythm."""
    if prior is not None:
        return lied_rhythm(ctx, start, n_beats, syllables, rng, prior=prior, function_words=function_words)
    return syllable_rhythm(ctx, start, n_beats, syllables, rng, function_words=function_words)


def _vocal_notes(ctx: ArrangeContext, spec: PartSpec, index: int, lines: list[LyricLine], rng) -> list[Note]:
    if not lines:
        return []
    slots = _slots(ctx, index, len(lines))
    rhythm, sylls = [], []
    prior = None
    if ctx.plan.melody_method == "model":
        prior = load_model().config["rhythm_prior"]
    for k, (start, n_beats) in enumerate(slots):
        line = lines[k % len(lines)]
        syl = [s for w in line.words for s in w.syllables]
        flags = syllable_flags(line)
        draw = partial(_line_rhythm, ctx, start, n_beats, syl, prior=prior, function_words=flags)
        # the section's first line takes its pickup inside the section (later lines: add_pickups)
        ph = opening_rhythm(ctx, draw, rng, stressed=[s.stressed for s in syl], function_words=flags) if k == 0 else draw(rng)
        rhythm.append(ph)
        sylls.append(syl[: len(ph)])
    syllabics = [[s.syllabic for s in group] for group in sylls]
    notes = generate_melody(ctx, index, preset=spec.preset, rng=rng, rhythm=rhythm, syllables=syllabics, method=ctx.plan.melody_method)
    flat = [s for group in sylls for s in group]
    out = []
    for n, s in zip(notes, flat, strict=True):
        out.append(replace(n, lyric=Lyric(s.text, s.syllabic)))
    return out


def melody_source(ctx: ArrangeContext, index: int) -> tuple[int, int, int] | None:
    """Where a melody section takes its material from: ``(source_index, first_bar_offset, n_bars)`` or None.

    Later choruses repeat the first chorus (the hook); an instrumental intro
    plays the first chorus's opening bars, an outro its closing bars. Other
    sections (and the first chorus) are written fresh.
    """
    kinds = [s.kind for s in ctx.plan.sections]
    if "chorus" not in kinds:
        return None
    first = kinds.index("chorus")
    if index == first:
        return None
    n_src = ctx.plan.sections[first].bars
    kind = kinds[index]
    n_dst = ctx.plan.sections[index].bars
    if kind == "chorus":
        return first, 0, n_src
    if kind == "intro":
        return first, 0, min(n_src, n_dst)
    if kind == "outro":
        n = min(n_src, n_dst)
        return first, n_src - n, n
    return None


def _tile(ctx: ArrangeContext, notes: list[Note], source: tuple[int, int, int], dst_index: int, preset: str) -> list[Note]:
    """Source bars repeated over the destination section (cut at its end), strong beats snapped to its chords."""
    src_index, offset, n_src = source
    src_bar = ctx.section_bounds(src_index)[0] + offset
    dst_bar, dst_n = ctx.section_bounds(dst_index)
    lo, hi = src_bar * ctx.bar_ticks, (src_bar + n_src) * ctx.bar_ticks
    picked = [n for n in notes if lo <= n.start_tick < hi]
    out: list[Note] = []
    for rep in range(-(-dst_n // n_src)):
        delta = (dst_bar + rep * n_src - src_bar) * ctx.bar_ticks
        for n in picked:
            t = n.start_tick + delta
            if t >= (dst_bar + dst_n) * ctx.bar_ticks:
                continue
            shift = velocity_for(ctx.energy(t // ctx.bar_ticks), low=64, high=112) - velocity_for(ctx.energy(n.start_tick // ctx.bar_ticks), low=64, high=112)
            out.append(replace(n, start_tick=t, velocity=int(min(max(n.velocity + shift, 1), 127))))
    if not out:
        return out
    low, high = melody_range(preset, ctx.plan.sections[dst_index].kind)
    rhythm = [(n.start_tick, n.duration_ticks) for n in out]
    pitches = snap_strong_beats(ctx, rhythm, [n.pitch for n in out], min(low, min(n.pitch for n in out)), max(high, max(n.pitch for n in out)))
    return [replace(n, pitch=p) for n, p in zip(out, pitches, strict=True)]


def _monophonic(notes: list[Note]) -> list[Note]:
    """Clip each note to end where the next begins (no overlaps in a melody line)."""
    out = sorted(notes, key=lambda n: (n.start_tick, n.pitch))
    for i in range(len(out) - 1):
        gap = out[i + 1].start_tick - out[i].start_tick
        if out[i].end_tick > out[i + 1].start_tick and gap > 0:
            out[i] = replace(out[i], duration_ticks=gap)
    return out


def section_ticks(ctx: ArrangeContext, index: int) -> tuple[int, int]:
    """``(start_tick, end_tick)`` of section ``index``."""
    first_bar, n_bars = ctx.section_bounds(index)
    return first_bar * ctx.bar_ticks, (first_bar + n_bars) * ctx.bar_ticks


def clip_to_span(notes, lo: int, hi: int) -> list[Note]:
    """Notes that start in ``[lo, hi)``, each cut to end by ``hi``."""
    return [n if n.end_tick <= hi else replace(n, duration_ticks=hi - n.start_tick) for n in notes if lo <= n.start_tick < hi]


def _write(ctx: ArrangeContext, spec: PartSpec, index: int, seed: int, lines_by_section, cache: dict) -> list[Note]:
    """Notes of one (track, section): all start inside the section and end by its end.

    A melody section is written once per ``cache`` (later sections take their tune from it); a
    vocal's lines then get their pickups (:mod:`lemm.compose.pickups`).
    """
    notes = _unpicked(ctx, spec, index, seed, lines_by_section, cache)
    if spec.role == "vocal" and is_melody(spec) and lines_by_section:
        like = None
        src = reprise_source(ctx, index, lines_by_section)
        if src is not None:  # a returning verse moves the lines its template moved
            tpl = _unpicked(ctx, spec, src, seed, lines_by_section, cache)
            _, like = vocal_pickups(ctx, spec, src, tpl, lines_by_section[src])
        return vocal_pickups(ctx, spec, index, notes, lines_by_section[index], like=like)[0]
    return notes


def vocal_pickups(ctx: ArrangeContext, spec: PartSpec, index: int, notes: list[Note], lines: list[LyricLine] | None, *, like=None) -> tuple[list[Note], list[int]]:
    """A vocal section's notes with pickups into its lines, and each slot's shift (:func:`lemm.compose.pickups.add_pickups`)."""
    if not lines:
        return notes, []
    low, high = melody_range(spec.preset, ctx.plan.sections[index].kind)
    return add_pickups(ctx, notes, _slots(ctx, index, len(lines)), lines, low=low, high=high, like=like)


def _unpicked(ctx: ArrangeContext, spec: PartSpec, index: int, seed: int, lines_by_section, cache: dict) -> list[Note]:
    key = (spec.name, index)
    if is_melody(spec) and key in cache:
        return cache[key]
    lo, hi = section_ticks(ctx, index)
    notes = _write_raw(ctx, spec, index, seed, lines_by_section, cache)
    notes = [n if n.start_tick >= lo else replace(n, start_tick=lo) for n in notes]
    notes = clip_to_span(notes, lo, hi)
    if is_melody(spec):
        cache[key] = notes
    return notes


def is_melody(spec: PartSpec) -> bool:
    """Whether the part is the song's melody (vocal or lead)."""
    return spec.role in ("vocal", "lead") and spec.effective_style == "melody"


def write_fresh(ctx: ArrangeContext, spec: PartSpec, index: int, rng, lines: list[LyricLine] | None) -> list[Note]:
    """Notes of one (track, section) written from scratch with ``rng`` (no hook repetition)."""
    sec = ctx.plan.sections[index]
    if spec.sections and sec.kind not in spec.sections:
        return []
    if spec.role == "percussion":
        return percussion_section(ctx, spec, index, rng)
    if spec.is_drum or spec.role == "drums":
        return drum_section(ctx, index, rng, style=spec.style)
    if spec.role == "bass":
        return drop_before_chorus(ctx, index, bass_section(ctx, index, rng, min_energy=spec.min_energy, style=spec.style))
    if is_melody(spec):
        if spec.role == "vocal":
            return _vocal_notes(ctx, spec, index, lines or [], rng)
        if sec.kind in ("intro", "outro", "break") and sec.energy < 0.5:
            return []
        return generate_melody(ctx, index, preset=spec.preset, rng=rng, method=ctx.plan.melody_method)
    if spec.effective_style == "riser":
        return riser_section(ctx, spec, index, rng)
    return drop_before_chorus(ctx, index, chord_part_section(ctx, spec, index, rng))


def reprise_source(ctx: ArrangeContext, index: int, lines_by_section) -> int | None:
    """The earlier section whose tune a sung section takes again: the first of its kind (verse, pre-chorus, chorus) with lines."""
    kind = ctx.plan.sections[index].kind
    if not lines_by_section or not lines_by_section[index] or kind not in REPRISE_KINDS:
        return None
    return next((j for j in range(index) if ctx.plan.sections[j].kind == kind and lines_by_section[j]), None)


def _same_text(a: list[LyricLine], b: list[LyricLine]) -> bool:
    return [[w.text.lower() for w in ln.words] for ln in a] == [[w.text.lower() for w in ln.words] for ln in b]


def _template(ctx: ArrangeContext, spec: PartSpec, source: int, seed: int, lines_by_section, cache: dict) -> list[Note]:
    return _unpicked(ctx, spec, source, seed, lines_by_section, cache)  # lines grouped by slot: before pickups


def _write_raw(ctx: ArrangeContext, spec: PartSpec, index: int, seed: int, lines_by_section, cache: dict) -> list[Note]:
    sec = ctx.plan.sections[index]
    rng = make_rng(derive_seed(seed, spec.name, sec.name))
    lines = lines_by_section[index] if lines_by_section else None
    if is_melody(spec) and spec.role == "lead":
        source = melody_source(ctx, index)
        if source is not None:
            return _tile(ctx, _template(ctx, spec, source[0], seed, lines_by_section, cache), source, index, spec.preset)
    elif is_melody(spec):
        src = reprise_source(ctx, index, lines_by_section)
        if src is not None:
            template = _template(ctx, spec, src, seed, lines_by_section, cache)
            n_src = ctx.plan.sections[src].bars
            if sec.kind == "chorus" and sec.bars % n_src == 0 and _same_text(lines_by_section[src], lines):
                return _tile(ctx, template, (src, 0, n_src), index, spec.preset)
            src_slots = _slots(ctx, src, len(lines_by_section[src]))
            notes = reprise_notes(
                ctx, group_by_slots(template, src_slots, ctx.beat_ticks), [t for t, _ in src_slots], section_index=index,
                slots=_slots(ctx, index, len(lines)), lines=lines, preset=spec.preset, rng=rng, vary_end=sec.kind == "verse",
            )
            if notes is not None:
                return notes
    return write_fresh(ctx, spec, index, rng, lines)


def write_backing(ctx: ArrangeContext, spec: PartSpec, lead_spec: PartSpec, index: int, seed: int, lines_by_section, cache: dict) -> list[Note]:
    """Notes of a backing vocal in one section: from the lead vocal's finished notes there (:mod:`lemm.compose.backing`)."""
    lead = finish_part(ctx, lead_spec, _write(ctx, lead_spec, index, seed, lines_by_section, cache))
    rng = make_rng(derive_seed(seed, spec.name, ctx.plan.sections[index].name))
    return backing_section(ctx, spec, index, lead, rng)


def _write_part(ctx: ArrangeContext, specs: list[PartSpec], spec: PartSpec, index: int, seed: int, lines_by_section, cache: dict) -> list[Note]:
    if is_backing(spec):
        lead = next((s for s in specs if is_melody(s) and s.role == "vocal"), None)
        return [] if lead is None else write_backing(ctx, spec, lead, index, seed, lines_by_section, cache)
    return _write(ctx, spec, index, seed, lines_by_section, cache)


def _drum_gate(ctx: ArrangeContext, spec: PartSpec, notes: list[Note]) -> list[Note]:
    if spec.min_energy <= 0:
        return notes
    return [n for n in notes if ctx.energy(n.start_tick // ctx.bar_ticks) >= spec.min_energy]


def compose_part(
    plan: Plan,
    *,
    track_name: str,
    section_name: str,
    seed: int = 0,
    lyrics: str | None = None,
    context: ArrangeContext | None = None,
) -> tuple[Note, ...]:
    """Notes of one (track, section), exactly as :func:`compose_score` writes them for that seed.

    Parameters
    ----------
    plan : Plan
    track_name : str
        A track name of the score (``"drums"``, ``"bass"``, ``"vocal"``...).
    section_name : str
        A section name of the plan (``"chorus 2"``).
    seed : int
        Song seed; the part's generator is ``derive_seed(seed, track_name, section_name)``.
    lyrics : str, optional
        Lyrics (needed for the vocal track).
    context : ArrangeContext, optional
        A prebuilt context for ``plan`` and ``seed`` (saves time when called in a loop).

    Raises
    ------
    ParameterError
        If the track or section is not in the plan.
    """
    check_seed(seed)
    ctx = context or build_context(plan, seed=seed, resolution=RESOLUTION)
    specs = part_specs(plan, lyrics=lyrics)
    spec = next((s for s in specs if s.name == track_name), None)
    if spec is None:
        raise ParameterError.for_field("track_name", track_name, f"one of {', '.join(s.name for s in specs)}")
    index = ctx.section_index(section_name)
    lines = _lyric_lines(lyrics)
    lines_by_section = _section_lines(ctx, lines) if lines else None
    return tuple(finish_part(ctx, spec, _write_part(ctx, specs, spec, index, seed, lines_by_section, {})))


def finish_part(ctx: ArrangeContext, spec: PartSpec, notes: list[Note]) -> list[Note]:
    """Energy gate for drums, pitches into the preset's range (by octaves), monophonic melody, sorted."""
    if spec.is_drum or spec.role in ("drums", "percussion"):
        notes = _drum_gate(ctx, spec, notes)
    else:
        notes = [replace(n, pitch=clamp_to_range(n.pitch, spec.preset)) for n in notes]
    if spec.role in ("vocal", "lead"):
        notes = _monophonic(notes)
    return sorted(notes, key=lambda n: (n.start_tick, n.pitch))


def track_for_part(plan: Plan, spec: PartSpec, notes, *, bar_ticks: int, resolution: int) -> Track:
    """A score track for a part's notes with its expression (marks, hairpins, curves).

    The track keeps how the plan's instrument of the same name and role is
    played (``Instrument.style``, ``min_energy``, as the plan gives them), so
    writing the part again follows the score alone; a part the plan does not
    list keeps the defaults.
    """
    notes = tuple(notes)
    inst = next((i for i in plan.instruments if i.name == spec.name and i.role == spec.role), None)
    expression = [dynamics_curve(plan, bar_ticks=bar_ticks), brightness_curve(plan, bar_ticks=bar_ticks)]
    if spec.role in ("vocal", "lead"):
        expression += list(vibrato_curves(notes, resolution=resolution, voice=spec.role == "vocal"))
    return Track(
        name=spec.name,
        role=spec.role,
        preset=spec.preset,
        program=spec.program,
        is_drum=spec.is_drum,
        pan=float(spec.pan),
        gain_db=float(spec.gain_db),
        notes=notes,
        dynamics=dynamic_marks(plan, notes, bar_ticks=bar_ticks),
        hairpins=hairpins(plan, bar_ticks=bar_ticks) if notes else (),
        expression=tuple(expression),
        style=inst.style if inst is not None else "",
        min_energy=float(inst.min_energy) if inst is not None else 0.0,
    )


def compose_score(plan: Plan, *, lyrics: str | None = None, seed: int = 0, title: str = "untitled") -> Score:
    """Write the whole score for a plan.

    Parameters
    ----------
    plan : Plan
    lyrics : str, optional
        Lyrics, one sung line per line, blank lines between stanzas. With lyrics the
        melody is a ``"vocal"`` track with one note per syllable.
    seed : int
        Song seed (0..2**32-1).
    title : str
        Score title.

    Returns
    -------
    Score
        Deterministic for (plan, lyrics, seed, title).

    Raises
    ------
    ParameterError
        For a bad seed, lyrics without any word of letters, or an instrument
        style that does not fit its role.
    """
    check_seed(seed)
    if not isinstance(title, str):
        raise ParameterError.for_field("title", title, "a string")
    lines = _lyric_lines(lyrics)
    ctx = build_context(plan, seed=seed, resolution=RESOLUTION)
    lines_by_section = _section_lines(ctx, lines) if lines else None
    specs = part_specs(plan, lyrics=lyrics)
    cache: dict = {}
    tracks = []
    for spec in specs:
        notes: list[Note] = []
        for index in range(len(plan.sections)):
            notes += _write_part(ctx, specs, spec, index, seed, lines_by_section, cache)
        notes = finish_part(ctx, spec, notes)
        tracks.append(track_for_part(plan, spec, notes, bar_ticks=ctx.bar_ticks, resolution=ctx.resolution))
    sections = []
    for sec, start_bar in zip(plan.sections, ctx.section_start_bars, strict=True):
        sections.append(Section(sec.name, sec.kind, start_bar * ctx.bar_ticks, sec.bars * ctx.bar_ticks, float(sec.energy)))
    score = Score(
        title=title,
        resolution=ctx.resolution,
        tempos=(TempoChange(0, float(plan.tempo_bpm)),),
        meters=(MeterChange(0, plan.meter_numerator, plan.meter_denominator),),
        keys=(KeyChange(0, plan.key_tonic, plan.key_mode),),
        sections=tuple(sections),
        chords=tuple(ChordSymbol(c.start_tick, c.duration_ticks, c.symbol) for c in ctx.chords),
        tracks=tuple(tracks),
        genre=plan.genre,
    )
    return lift_score(score, plan)  # the plan's last-chorus key change, if any
