"""The instruction grammar: an English sentence -> edit operations, or a refusal that says why.

The grammar is small and written down (docs/instructions.md); nothing is guessed with a
model and nothing goes over the network. A sentence is one or more clauses joined by ";"
or "then"; each clause is one verb with a target and an optional scope::

    make TRACK heavier|lighter|louder|quieter|brighter|darker [in SECTION] [by N dB]
    quieter|louder|... TRACK [in SECTION]          turn TRACK up|down
    regenerate TRACK|SECTION [in SECTION] [with seed N]
    transpose [TRACK|SECTION] up|down N semitones|a half step|a step|an octave [in SECTION]
    double|halve the length of SECTION             make SECTION twice|half as long
    swap TRACK for INSTRUMENT                      replace TRACK with INSTRUMENT
    remove|mute TRACK [in|from SECTION]            add INSTRUMENT [in SECTION]
    remove|mute the backing vocals [in SECTION]    no backing vocals | lead vocal only
    set the tempo to N bpm                         faster | slower | a bit faster

Anything else is refused with :class:`~lemm.instruct.errors.InstructionError`, whose
message names the part that was not understood (an unknown track lists the song's tracks)
and summarises what lemm can do.

Examples
--------
>>> from lemm.compose.plan_model import Instrument, Plan, PlanSection
>>> from lemm.song import compose
>>> plan = Plan(genre="pop", tempo_bpm=120.0, sections=(PlanSection("verse", "verse", 2, 0.5),
...             PlanSection("chorus", "chorus", 2, 0.8)), energy_per_bar=(0.5, 0.5, 0.8, 0.8),
...             instruments=(Instrument("drums", "drums", "synth_kit", is_drum=True),))
>>> song = compose("pop", duration="0:10", seed=1, plan=plan)
>>> for op in parse_instruction("make the drums heavier in the chorus", song):
...     print(op.describe())
drums in chorus: written again at energy +0.25 (busier), velocity +12
>>> parse_instruction("make it sound like the Beatles", song)
Traceback (most recent call last):
...
lemm.instruct.errors.InstructionError: lemm did not understand 'make it sound like the Beatles'.
...
"""

from __future__ import annotations

import re

from lemm.compose.arrange import part_specs
from lemm.compose.backing import is_backing
from lemm.compose.instruments import INSTRUMENT_WORDS
from lemm.compose.score_plan import plan_for_score
from lemm.errors import LemmError
from lemm.instruct.errors import InstructionError
from lemm.instruct.operations import (
    AddPart,
    ChangeGain,
    Intensify,
    MuteTrack,
    Operation,
    Regenerate,
    RemoveBackingVocals,
    RemoveNotes,
    RemoveTrack,
    ResizeSections,
    ScaleVelocity,
    SetTempo,
    ShiftBrightness,
    SwapPreset,
    Transpose,
)
from lemm.instruct.targets import (
    KIND_WORDS,
    SONG_WORDS,
    NotFound,
    normalise,
    preset_kind,
    resolve_preset,
    resolve_sections,
    resolve_tracks,
)

__all__ = ["parse_instruction", "LEVEL_STEP_DB", "VELOCITY_STEP", "ENERGY_STEP", "HEAVY_VELOCITY_STEP", "BRIGHTNESS_STEP", "TEMPO_STEP"]

#: Whole-song gain change of "louder"/"quieter", dB ("much" x2, "a bit" x0.5).
LEVEL_STEP_DB = 4.0
#: Velocity scale change of "louder"/"quieter" in sections: x(1 +/- VELOCITY_STEP * amount).
VELOCITY_STEP = 0.25
#: Plan energy change of "heavier"/"lighter".
ENERGY_STEP = 0.25
#: Velocity change of "heavier"/"lighter".
HEAVY_VELOCITY_STEP = 12
#: Brightness curve change of "brighter"/"darker".
BRIGHTNESS_STEP = 0.2
#: Relative tempo change of "faster"/"slower".
TEMPO_STEP = 0.1

_AMOUNTS = {"much": 2.0, "a lot": 2.0, "way": 2.0, "far": 2.0, "a lot more": 2.0, "a bit": 0.5, "a little bit": 0.5,
            "a little": 0.5, "slightly": 0.5, "somewhat": 0.5, "a touch": 0.5}
_AMT = r"(?:(?P<amt>" + "|".join(sorted(map(re.escape, _AMOUNTS), key=len, reverse=True)) + r")\s+)?"
_ADJECTIVES = {"heavier": ("heavy", 1), "lighter": ("heavy", -1), "busier": ("heavy", 1), "sparser": ("heavy", -1),
               "punchier": ("heavy", 1), "louder": ("level", 1), "quieter": ("level", -1), "softer": ("level", -1),
               "brighter": ("bright", 1), "darker": ("bright", -1), "duller": ("bright", -1)}
_ADJ = r"(?P<adj>" + "|".join(_ADJECTIVES) + r")"
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}
_UNITS = [(r"semitones?|half[ -]?steps?|half[ -]?tones?", 1), (r"whole[ -]?steps?|full[ -]?steps?|whole[ -]?tones?|steps?|tones?", 2),
          (r"octaves?", 12), (r"fourths?", 5), (r"fifths?", 7)]


def _split_scope(t: str, preps: str = "in|during|across|throughout") -> tuple[str, str | None]:
    m = re.match(r"^(?:in|during|for) (?P<scope>[^,]+), (?P<core>.+)$", t)
    if m:
        return m.group("core"), m.group("scope")
    m = re.match(r"^(?P<core>.+?)\s+(?P<scope>everywhere|throughout(?: the (?:whole |entire )?song)?|all the way through)$", t)
    if m:
        return m.group("core"), "everywhere"
    m = re.match(rf"^(?P<core>.+?)\s+(?:{preps})\s+(?P<scope>.+)$", t)
    if m:
        return m.group("core"), m.group("scope")
    return t, None


def _scope_sections(scope: str | None, song) -> tuple[str, ...] | None:
    """Sections a scope names, or None for the whole song."""
    if scope is None or scope.strip() in SONG_WORDS or re.sub(r"^the\s+", "", scope.strip()) in SONG_WORDS:
        return None
    return resolve_sections(scope, song.score)


def _mentions_section(phrase: str) -> bool:
    words = set(KIND_WORDS) | {"choruses", "verses", "bridges", "intros", "outros", "pre-choruses"}
    return any(re.search(rf"\b{re.escape(w)}\b", phrase) for w in words)


def _target(phrase: str, song) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
    """(tracks, sections or None) a target phrase names: a track phrase, or a section phrase (all tracks)."""
    score = song.score
    try:
        return resolve_tracks(phrase, score), None
    except NotFound as track_err:
        try:
            return tuple(t.name for t in score.tracks), resolve_sections(phrase, score)
        except NotFound as section_err:
            if _mentions_section(phrase):
                raise section_err from None
            raise NotFound(f"{track_err}; sections are: {', '.join(s.name for s in score.sections)}") from None


def _both(target_sections, scope_sections):
    if target_sections is not None and scope_sections is not None:
        return tuple(s for s in target_sections if s in scope_sections) or scope_sections
    return scope_sections if scope_sections is not None else target_sections


def _amount(m: re.Match) -> float:
    return _AMOUNTS.get(m.group("amt") or "", 1.0)


def _composer_parts(song) -> set[str]:
    try:
        return {s.name for s in part_specs(plan_for_score(song.score, song.plan), lyrics=song.brief.lyrics) if s.role not in ("vocal", "lead")}
    except LemmError:  # a score (or plan record) the composer cannot write into: velocity-only edits
        return set()


# --- handlers: each returns operations, or None when the clause is not its verb -------------


def _tempo(t: str, song, extras: dict) -> tuple[Operation, ...] | None:  # noqa: ARG001  (every clause handler takes text, song, extras)
    old = float(song.score.tempos[0].tempo_bpm)  # the score's: an imported edit may have changed it
    core, scope = _split_scope(t)
    bpm = None
    m = (re.match(r"^(?:set|change|make|put) (?:the )?(?:tempo|bpm|speed) (?:to |at |= ?)?(?P<bpm>\d+(?:\.\d+)?)(?: ?bpm)?$", core)
         or re.match(r"^(?:tempo|bpm)\s*(?:to |of |= ?|: ?)?(?P<bpm>\d+(?:\.\d+)?)(?: ?bpm)?$", core)
         or re.match(r"^(?:at )?(?P<bpm>\d+(?:\.\d+)?) ?bpm$", core))
    if m:
        bpm = float(m.group("bpm"))
    else:
        m = (re.match(rf"^(?:make (?:it|the song|everything|the track|the whole song|the tempo|the whole thing) )?{_AMT}(?P<dir>faster|slower|quicker)(?: by (?P<by>\d+(?:\.\d+)?) ?bpm)?$", core)
             or re.match(r"^(?P<dir>speed|slow)(?: (?:it|the song|things|the tempo|everything))? (?:up|down)(?: (?P<amt2>a bit|a little|a lot|slightly))?(?: by (?P<by>\d+(?:\.\d+)?) ?bpm)?$", core))
        if not m:
            return None
        up = m.group("dir") in ("faster", "quicker", "speed")
        amt = _AMOUNTS.get(m.groupdict().get("amt") or m.groupdict().get("amt2") or "", 1.0)
        if m.group("by"):
            bpm = old + float(m.group("by")) * (1 if up else -1)
        else:
            bpm = float(round(old * (1 + (TEMPO_STEP if up else -TEMPO_STEP) * amt)))
    if scope is not None:
        raise NotFound("the tempo applies to the whole song, not to one section")
    if not 20.0 <= bpm <= 400.0:
        raise NotFound(f"tempo_bpm must be in 20..400, got {bpm:g}")
    return (SetTempo(old, bpm),)


def _swap(t: str, song, extras: dict) -> tuple[Operation, ...] | None:  # noqa: ARG001  (every clause handler takes text, song, extras)
    core, scope = _split_scope(t, "in|during")
    m = (re.match(r"^(?:swap|switch|exchange|trade) (?:out )?(?P<a>.+?) (?:for|with|to|into) (?P<b>.+)$", core)
         or re.match(r"^replace (?P<a>.+?) (?:with|by) (?P<b>.+)$", core)
         or re.match(r"^(?:change|turn) (?P<a>.+?) (?:to|into) (?P<b>.+)$", core)
         or re.match(r"^use (?P<b>.+?) instead of (?P<a>.+)$", core)
         or re.match(r"^(?:play|have) (?P<a>.+?) (?:on|with) (?P<b>.+)$", core))
    if not m:
        return None
    if scope is not None:
        raise NotFound("a sound swap applies to the whole track (a track has one instrument); leave out the section")
    tracks = resolve_tracks(m.group("a"), song.score)
    preset = resolve_preset(m.group("b"), song_presets=song.presets)
    ops = []
    for name in tracks:
        track = song.score.track(name)
        need = "kit" if track.is_drum else "voice" if track.role == "vocal" else "instrument"
        if preset_kind(preset) != need:
            accepted = {"kit": "a drum kit (synth kit, acoustic kit)", "voice": "a voice (voice low, voice high)",
                        "instrument": "an instrument, not a drum kit or voice"}[need]
            raise NotFound(f"track {name!r} needs {accepted}, got {preset.replace('_', ' ')!r}")
        if track.preset == preset:
            raise NotFound(f"track {name!r} already plays {preset.replace('_', ' ')}")
        ops.append(SwapPreset(name, track.preset, preset))
    return tuple(ops)


def _length(t: str, song, extras: dict) -> tuple[Operation, ...] | None:  # noqa: ARG001  (every clause handler takes text, song, extras)
    m = (re.match(r"^(?P<v>double|halve|half|cut in half) (?:the )?(?:length of (?:the )?|size of (?:the )?)?(?P<s>.+?)(?:'s)?(?: length| size| in length| section| sections)?$", t)
         or re.match(r"^make (?P<s>.+?) (?P<v>twice as long|half as long|double (?:the )?length|half (?:the )?length)$", t)
         or re.match(r"^(?P<v>cut) (?P<s>.+?) in half$", t))
    if not m:
        return None
    factor = 2 if m.group("v").startswith(("double", "twice")) else 0.5
    try:
        sections = resolve_sections(m.group("s"), song.score)
    except NotFound:
        try:
            resolve_tracks(m.group("s"), song.score)
        except NotFound:
            raise
        raise NotFound("double/halve change the length of sections, not of a track; name a section, e.g. 'double the chorus length'") from None
    bar_ticks = song.score.meters[0].bar_ticks(song.score.resolution)
    old = {s.name: s.duration_ticks // bar_ticks for s in song.score.sections}
    new = []
    for s in sections:
        bars = old[s] * 2 if factor == 2 else old[s] // 2
        if bars < 1:
            raise NotFound(f"halving {s!r} ({old[s]} bar) would leave the section empty")
        if bars > 256:
            raise NotFound(f"{s!r} would have {bars} bars; a section has at most 256")
        new.append(bars)
    return (ResizeSections(sections, float(factor), tuple(old[s] for s in sections)),)


def _semitones(amount: str) -> int | None:
    amount = amount.strip()
    if re.fullmatch(r"\d+", amount):
        return int(amount)
    m = re.fullmatch(r"(?P<n>\d+|[a-z]+|half an?|half a)?\s*(?P<unit>[a-z -]+?)", amount)
    if not m:
        return None
    n_word, unit = (m.group("n") or "a"), m.group("unit")
    for pattern, size in _UNITS:
        if re.fullmatch(pattern, unit):
            if n_word.startswith("half"):
                return size // 2 if size == 2 else None
            n = int(n_word) if n_word.isdigit() else _NUMBER_WORDS.get(n_word)
            return None if n is None else n * size
    return None


def _transpose(t: str, song, extras: dict) -> tuple[Operation, ...] | None:  # noqa: ARG001  (every clause handler takes text, song, extras)
    core, scope = _split_scope(t)
    m = re.match(r"^(?:transpose|shift|move|pitch|take|bring|put|raise|lower)(?: (?P<t>.+?))? (?:(?P<dir>up|down) (?P<amt>.+)|(?P<dir2>up|down)|by (?P<by>[+-]?\d+)(?: semitones?| half[ -]?steps?)?)$", core)
    if not m or not (core.startswith("transpose") or m.group("dir") or m.group("dir2")):
        return None
    if m.group("by") is not None:
        semitones = int(m.group("by"))
    else:
        semitones = 2 if m.group("dir2") else _semitones(m.group("amt"))  # "up" alone: a step
        if semitones is None:
            raise NotFound(f"unknown interval {m.group('amt')!r}; say N semitones, a half step, a step, an octave, a fifth")
        semitones *= 1 if (m.group("dir") or m.group("dir2")) == "up" else -1
    if semitones == 0 or abs(semitones) > 24:
        raise NotFound(f"a transposition must be 1..24 semitones, got {semitones}")
    phrase = m.group("t")
    if phrase in (None, "it", "everything", "the song", "the whole song", "all", "the key"):
        tracks, target_sections = tuple(x.name for x in song.score.tracks), None
    else:
        tracks, target_sections = _target(phrase, song)
    sections = _both(target_sections, _scope_sections(scope, song)) or ()
    all_tracks = set(tracks) == {x.name for x in song.score.tracks}
    if all_tracks:
        return (Transpose(None, sections, semitones),)
    pitched = [name for name in tracks if not song.score.track(name).is_drum]
    if not pitched:
        raise NotFound("drum tracks are never transposed (their pitches are drum sounds)")
    return tuple(Transpose(name, sections, semitones) for name in pitched)


def _regenerate(t: str, song, extras: dict) -> tuple[Operation, ...] | None:
    core, scope = _split_scope(t)
    m = re.match(r"^(?:regenerate|regen|re-generate|redo|re-do|rewrite|re-write|recompose|re-compose|reroll|re-roll|rewrite|"
                 r"(?:give me |try |write |make )?(?:a new|another|a different|a fresh) (?:take|version|part) (?:of|for|on)) (?P<t>.+)$", core)
    if not m:
        return None
    tracks, target_sections = _target(m.group("t"), song)
    sections = _both(target_sections, _scope_sections(scope, song)) or tuple(s.name for s in song.score.sections)
    writable = {s.name for s in _all_parts(song)}
    bad = [x for x in tracks if x not in writable]
    if bad:
        raise NotFound(f"track {bad[0]!r} was not written by the composer, so it cannot be regenerated (composer parts: {', '.join(sorted(writable))})")
    seed = extras.pop("seed", None)
    return tuple(Regenerate(x, s, seed) for x in tracks for s in sections)


def _all_parts(song):
    try:
        return part_specs(plan_for_score(song.score, song.plan), lyrics=song.brief.lyrics, vocal=any(x.role == "vocal" for x in song.score.tracks))
    except LemmError:  # a score (or plan record) the composer cannot write into
        return []


def _remove(t: str, song, extras: dict) -> tuple[Operation, ...] | None:  # noqa: ARG001  (every clause handler takes text, song, extras)
    m = re.match(r"^take (?P<t>.+?) out(?: of (?P<s>.+))?$", t)
    if m:
        verb, phrase, scope = "remove", m.group("t"), m.group("s")
    else:
        core, scope = _split_scope(t, "in|during|from|across|throughout")
        m = re.match(r"^(?P<v>remove|delete|mute|silence|cut out|cut|drop out|get rid of|kill|lose|take out) (?P<t>.+)$", core)
        if not m:
            return None
        verb, phrase = m.group("v"), m.group("t")
    tracks, target_sections = _target(phrase, song)
    sections = _both(target_sections, _scope_sections(scope, song))
    if target_sections is not None and scope is None and verb != "mute":
        raise NotFound("lemm cannot delete a section; to shorten it say 'halve the length of ...', to silence it say 'mute everything in ...'")
    if sections is not None:
        return tuple(RemoveNotes(x, sections) for x in tracks)
    if verb in ("mute", "silence"):
        return tuple(MuteTrack(x) for x in tracks)
    if len(tracks) == len(song.score.tracks):
        raise NotFound("removing every track would leave the song empty")
    return tuple(RemoveTrack(x) for x in tracks)


#: What names the backing vocals: "the backing vocals", "backup singers", "the harmonies", "harmony vocals".
_BACKING = (r"(?:the |all the |all |any |any more |more )?(?:(?:backing|backup|back-up|background|harmony|supporting)[ -]?"
            r"(?:vocals?|voices?|singers?|vocalists?|vocal tracks?|harmon(?:y|ies))|(?:vocal )?harmonies)")


def _backing_tracks(song) -> tuple[str, ...]:
    """The score's backing-vocal tracks: the plan's backing parts, else every vocal track after the first (the lead)."""
    vocal = [x.name for x in song.score.tracks if x.role == "vocal"]
    specs = [s.name for s in _all_parts(song) if is_backing(s)]
    if specs:
        return tuple(x for x in vocal if x in specs)
    return tuple(vocal[1:])


def _backing(t: str, song, extras: dict) -> tuple[Operation, ...] | None:  # noqa: ARG001  (every clause handler takes text, song, extras)
    """ "remove/mute the backing vocals [in SECTION]", "no backing vocals", "lead vocal only", "solo voice"."""
    core, scope = _split_scope(t, "in|during|from|across|throughout")
    m = (re.match(rf"^(?P<v>remove|delete|mute|silence|cut out|cut|drop|get rid of|kill|lose|take out) {_BACKING}$", core)
         or re.match(rf"^(?:no|without|none of)(?: more)? {_BACKING}$", core)
         or re.match(r"^(?:(?:just|only) )?(?:the )?lead vocals? (?:only|alone)$|^(?:just|only) the lead vocals?$|^(?:a )?solo voice$", core))
    if not m:
        return None
    tracks = _backing_tracks(song)
    if not tracks:
        vocal = [x.name for x in song.score.tracks if x.role == "vocal"]
        raise NotFound("the song has no backing vocals (vocal tracks: " + (", ".join(vocal) or "none") + ")")
    sections = _scope_sections(scope, song)
    if sections is not None:
        return tuple(RemoveNotes(x, sections) for x in tracks)
    if m.groupdict().get("v") in ("mute", "silence"):
        return tuple(MuteTrack(x) for x in tracks)
    return (RemoveBackingVocals(tracks),)


_ADD_ROLE = {"acoustic_piano": "keys", "electric_piano": "keys", "organ": "keys", "steel_guitar": "guitar", "nylon_guitar": "guitar",
             "electric_guitar": "guitar", "electric_bass": "bass", "synth_bass": "bass", "string_ensemble": "strings", "cello": "strings",
             "brass": "brass", "flute": "woodwind", "synth_lead": "arp", "synth_pad": "pad", "synth_kit": "drums", "acoustic_kit": "drums"}


def _add(t: str, song, extras: dict) -> tuple[Operation, ...] | None:  # noqa: ARG001  (every clause handler takes text, song, extras)
    core, scope = _split_scope(t)
    m = re.match(r"^(?:add|bring in|put in) (?:in )?(?:a |an |some |the |more |another )?(?P<i>.+)$", core)
    if not m:
        return None
    word = re.sub(r"\s+(?:part|track|line|sound)$", "", m.group("i").strip())
    own = _song_preset_part(word, song)
    if own is not None:
        sound, as_word = own
        base, role, preset = _part_for_word(as_word)
        if preset_kind(preset) != "instrument":
            raise NotFound(f"the song's preset {sound!r} is a pitched instrument; it can play a part of an instrument, not {as_word!r}")
        return (AddPart(_free_part_name(sound.replace("_", " "), song), role, preset, _scope_sections(scope, song) or (), sound=sound),)
    base, role, preset = _part_for_word(word)
    return (AddPart(_free_part_name(base, song), role, preset, _scope_sections(scope, song) or ()),)


def _part_for_word(word: str) -> tuple[str, str, str]:
    """(part name, role, stock preset) of an instrument word ("cello", "strings", "electric piano")."""
    preset = resolve_preset(word)
    if preset_kind(preset) == "voice":
        raise NotFound("lemm cannot add a voice; a song has one sung part (compose with lyrics)")
    spec = INSTRUMENT_WORDS.get(word)
    if spec is not None and spec.preset == preset:
        return spec.name, spec.role, preset
    return preset.replace("_", " "), _ADD_ROLE[preset], preset


def _song_preset_part(word: str, song) -> tuple[str, str] | None:
    """``(song preset, instrument word it plays as)`` when ``word`` names one of the song's presets, else None.

    "my cello as strings" -> ``("my_cello", "strings")``; without "as ...", the
    instrument word inside the preset's name ("my_cello" -> "cello").
    """
    if not song.presets:
        return None
    m = re.match(r"^(?P<s>.+?) (?:as|playing|like) (?:a |an |the )?(?P<w>.+?)(?: part| line| track)?$", word)
    phrase, as_word = (m.group("s"), m.group("w")) if m else (word, None)
    try:
        sound = resolve_preset(phrase, song_presets=song.presets)
    except NotFound:
        return None
    if sound not in song.presets:
        return None
    if as_word is None:
        tokens = re.split(r"[\s_\-]+", sound.lower())
        spans = [" ".join(tokens[i : i + n]) for n in range(len(tokens), 0, -1) for i in range(len(tokens) - n + 1)]
        as_word = next((w for w in spans if _names_instrument(w)), None)
        if as_word is None:
            raise NotFound(f"say which part the song's preset {sound!r} plays, e.g. \"add {sound.replace('_', ' ')} as strings\" "
                           "(an instrument: piano, strings, cello, bass, guitar, brass, flute, pad, organ, ...)")
    return sound, as_word


def _names_instrument(word: str) -> bool:
    try:
        return preset_kind(resolve_preset(word)) == "instrument"
    except NotFound:
        return False


def _free_part_name(base: str, song) -> str:
    names = {x.name for x in song.score.tracks}
    name, k = base, 2
    while name in names:
        name, k = f"{base} {k}", k + 1
    return name


def _level(t: str, song, extras: dict) -> tuple[Operation, ...] | None:
    core, scope = _split_scope(t)
    m = (re.match(rf"^make (?P<t>.+?) {_AMT}{_ADJ}$", core)
         or re.match(rf"^{_AMT}{_ADJ} (?P<t>.+)$", core)
         or re.match(rf"^(?P<t>.+?) {_AMT}{_ADJ}$", core))
    if m:
        kind, sign = _ADJECTIVES[m.group("adj")]
        amount = _amount(m)
    else:
        m = re.match(r"^turn (?P<dir>up|down) (?P<t>.+)$", core) or re.match(
            r"^turn (?P<t>.+?) (?P<dir>up|down)(?: (?P<amt>a bit|a little|a lot|slightly))?$", core)
        if not m:
            return None
        kind, sign = "level", (1 if m.group("dir") == "up" else -1)
        amount = _AMOUNTS.get(m.groupdict().get("amt") or "", 1.0)
    tracks, target_sections = _target(m.group("t"), song)
    sections = _both(target_sections, _scope_sections(scope, song))
    gain_db = extras.pop("gain_db", None)
    if kind == "level":
        if sections is None:
            step = gain_db if gain_db is not None else LEVEL_STEP_DB * amount
            return tuple(ChangeGain(x, round(sign * step, 2)) for x in tracks)
        if gain_db is not None:
            raise NotFound("a level in dB applies to a whole track; in a section say 'quieter', 'much quieter' or 'a bit louder'")
        return tuple(ScaleVelocity(x, sections, round(1.0 + sign * VELOCITY_STEP * amount, 4)) for x in tracks)
    if gain_db is not None:
        extras["gain_db"] = gain_db  # refused below: dB goes with louder/quieter only
    if kind == "bright":
        return tuple(ShiftBrightness(x, sections or (), round(sign * BRIGHTNESS_STEP * amount, 4)) for x in tracks)
    composer = _composer_parts(song)
    return tuple(
        Intensify(x, sections or (), round(sign * ENERGY_STEP * amount, 4), int(round(sign * HEAVY_VELOCITY_STEP * amount)), x in composer)
        for x in tracks
    )


_HANDLERS = (_tempo, _swap, _length, _transpose, _regenerate, _backing, _remove, _add, _level)


def _parse_clause(raw: str, song) -> tuple[Operation, ...]:
    t = normalise(raw)
    if not t:
        raise InstructionError.refuse(raw, "the instruction is empty")
    extras: dict = {}
    m = re.search(r",?\s+(?:with|using) (?:the )?seed (\d+)\b", t)
    if m:
        extras["seed"] = int(m.group(1))
        t = (t[: m.start()] + t[m.end():]).strip()
    m = re.search(r"\s+by (\d+(?:\.\d+)?) ?(?:db|decibels?)\b", t)
    if m:
        extras["gain_db"] = float(m.group(1))
        t = (t[: m.start()] + t[m.end():]).strip()
    try:
        for handler in _HANDLERS:
            ops = handler(t, song, extras)
            if ops is not None:
                break
        else:
            raise InstructionError.refuse(raw)
    except NotFound as err:
        raise InstructionError.refuse(raw, str(err)) from None
    if "seed" in extras:
        raise InstructionError.refuse(raw, "'with seed N' goes with regenerate only")
    if "gain_db" in extras:
        raise InstructionError.refuse(raw, "'by N dB' goes with louder/quieter only")
    if not ops:
        raise InstructionError.refuse(raw, "it names nothing to change")
    return ops


def parse_instruction(text: str, song) -> tuple[Operation, ...]:
    """The operations an instruction asks for, checked against ``song`` (nothing is changed).

    Parameters
    ----------
    text : str
        One instruction in the grammar (docs/instructions.md), or several joined by ";" or "then".
    song : lemm.Song
        The song the names (tracks, sections) refer to.

    Returns
    -------
    tuple of Operation
        In order; ``op.describe()`` says what each does.

    Raises
    ------
    InstructionError
        For a sentence outside the grammar, an unknown track, section or instrument, or an
        edit that cannot be done (e.g. halving a one-bar section); the message says which and
        lists what lemm can do.
    """
    if not isinstance(text, str):
        raise InstructionError.refuse(repr(text), "an instruction must be a string")
    clauses = [c for c in re.split(r"\s*;\s*|\s*,?\s+and then\s+|\s*,?\s+then\s+", text.strip()) if c.strip()]
    if not clauses:
        raise InstructionError.refuse(text, "the instruction is empty")
    ops: list[Operation] = []
    for clause in clauses:
        ops += _parse_clause(clause, song)
    return tuple(ops)
