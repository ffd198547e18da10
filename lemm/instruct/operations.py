"""Edit operations an instruction becomes: frozen data that says in plain words what it does.

Each operation names tracks and sections (never ticks), so operations stay valid one
after another; ``op.describe()`` is the line ``lemm edit`` prints before applying and
``op.apply(song)`` returns a new :class:`~lemm.song.Song` (no audio) and never changes
``song``. What the words mean:

- ``louder``/``quieter`` in sections: every note's velocity is scaled (x1.25 / x0.75;
  "much" doubles the change, "a bit" halves it). For the whole song: the track's mix gain
  changes (+/-4 dB, or "by N dB"): the stored mix settings if the song has them for that
  track, else the score track's ``gain_db`` hint the automatic mix adds.
- ``heavier``/``lighter``: the part is written again for those sections by the composer at
  energy +/-0.25 (busier or sparser: more or fewer hits, fills and chord strokes), with
  the song's own seed, and its velocities move +/-12. The melody (lead, vocal) and parts the
  composer does not write only get the velocity change.
- ``brighter``/``darker``: the track's ``brightness`` curve moves +/-0.2 (0..1) in the span.
- ``transpose``: notes move by semitones (drums never); when every track moves, the chord
  symbols and the key move too (a key change for a span; the opening key for the whole song).
- ``double``/``halve the length``: each named section gets twice / half its bars in the
  composer's plan of the score (:func:`lemm.compose.score_plan.plan_for_score`) and the whole
  score is **re-composed** from it (song seed and lyrics): edits made to notes before are
  replaced, and every later section moves later (or earlier). That plan becomes the song's
  record of how it was composed.
- ``swap X for Y``: the track's preset and GM program change, notes untouched.
- ``remove``/``mute`` in sections: the track's notes there are deleted. For the whole song,
  ``remove`` deletes the track, ``mute`` mutes it in the mix settings.
- ``remove the backing vocals`` (``no backing vocals``): every backing-vocal track goes as
  ``remove`` takes a track; the lead vocal stays.
- ``add``: a new part, written by the composer over the score's chords (song seed).
- ``tempo``: the score gets one new tempo; notes stay on their beats.

Only the score, the mix settings and the requested length (``RenderSettings.requested_seconds``,
where the song's length in time changes) are edited; the brief (what was asked) and the plan the
song was composed from (a record) are never rewritten (the composer reads the score, see :mod:`lemm.compose.score_plan`).

Examples
--------
>>> ScaleVelocity("strings", ("bridge",), 0.75).describe()
'strings in bridge: velocities x0.75'
>>> Transpose(None, ("chorus 2",), 2).describe()
'all tracks in chorus 2: transpose up 2 semitones (chord symbols and key too; drums untouched)'
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from lemm.compose.arrange import compose_score, part_specs, track_for_part
from lemm.compose.instruments import PRESET_PROGRAMS
from lemm.compose.plan_edit import resize_section
from lemm.compose.plan_model import Plan
from lemm.compose.regen import regenerate, regenerate_notes
from lemm.compose.score_plan import plan_for_score
from lemm.errors import ParameterError
from lemm.instruct.errors import InstructionError
from lemm.mix.settings import MixSettings, TrackMix
from lemm.score.edit import add_track, remove_track, set_tempo, transpose
from lemm.score.harmony import transpose_symbol
from lemm.score.model import ChordSymbol, CurvePoint, ExpressionCurve, KeyChange, Note, Score, Track
from lemm.seeding import derive_seed
from lemm.song import Song
from lemm.validate import GAIN_HINT_RANGE_DB, MIX_GAIN_RANGE_DB

__all__ = [
    "Operation", "ScaleVelocity", "ChangeGain", "Intensify", "ShiftBrightness", "Regenerate", "Transpose",
    "ResizeSections", "SwapPreset", "RemoveNotes", "RemoveTrack", "RemoveBackingVocals", "MuteTrack", "AddPart", "SetTempo",
    "transpose_chord_symbol",
]



def _where(sections: tuple[str, ...]) -> str:
    return "the whole song" if not sections else ", ".join(sections)


def _new_song(song, *, render_settings=None, score=None, mix_settings=dataclasses.MISSING):
    """``song`` with a new score, render or mix settings; its brief and plan (what was asked, how it was composed) as they were."""
    return Song(
        song.brief,
        song.plan,
        score if score is not None else song.score,
        render_settings if render_settings is not None else song.render_settings,
        song.mix_settings if mix_settings is dataclasses.MISSING else mix_settings,
        presets=dict(song.presets),
    )


def _spans(score: Score, sections: tuple[str, ...]) -> list[tuple[int, int]]:
    if not sections:
        return [(0, max(score.end_tick, 1) + 1)]
    return [(score.section(s).start_tick, score.section(s).end_tick) for s in sections]


def _inside(tick: int, spans: list[tuple[int, int]]) -> bool:
    return any(lo <= tick < hi for lo, hi in spans)


def _map_notes(score: Score, track: str, sections: tuple[str, ...], fn) -> Score:
    t = score.track(track)
    spans = _spans(score, sections)
    notes = tuple(fn(n) if _inside(n.start_tick, spans) else n for n in t.notes)
    new = dataclasses.replace(t, notes=tuple(sorted(notes, key=lambda n: (n.start_tick, n.pitch))))
    return dataclasses.replace(score, tracks=tuple(new if x.name == track else x for x in score.tracks))


def _clamp_velocity(v: float) -> int:
    return int(min(127, max(1, round(v))))


class Operation:
    """Base of the edit operations: ``describe()`` in plain words, ``apply(song) -> Song``."""

    def describe(self) -> str:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def apply(self, song):  # pragma: no cover
        raise NotImplementedError


@dataclass(frozen=True)
class ScaleVelocity(Operation):
    """Scale the velocity of ``track``'s notes that start in ``sections`` by ``factor``."""

    track: str
    sections: tuple[str, ...]
    factor: float

    def describe(self) -> str:
        return f"{self.track} in {_where(self.sections)}: velocities x{self.factor:g}"

    def apply(self, song):
        score = _map_notes(song.score, self.track, self.sections, lambda n: dataclasses.replace(n, velocity=_clamp_velocity(n.velocity * self.factor)))
        return _new_song(song, score=score)


@dataclass(frozen=True)
class ChangeGain(Operation):
    """Change ``track``'s level for the whole song by ``gain_db`` (mix settings, else the score's gain hint)."""

    track: str
    gain_db: float

    def describe(self) -> str:
        return f"{self.track} (whole song): gain {self.gain_db:+g} dB"

    def _checked(self, now_db: float, low_db: float, high_db: float, what: str) -> float:
        """``now_db + gain_db``, or an InstructionError if that is outside ``low_db..high_db``: never a silent clamp,
        so the report ("gain +1000 dB") is always what was applied."""
        new_db = now_db + self.gain_db
        if not low_db <= new_db <= high_db:
            raise InstructionError(
                f"cannot change {self.track}'s level by {self.gain_db:+g} dB: its {what} would be {new_db:+g} dB; "
                f"accepted {low_db:+g}..{high_db:+g} dB (it is at {now_db:+g} dB now, so a change in "
                f"{low_db - now_db:+g}..{high_db - now_db:+g} dB)")
        return new_db

    def apply(self, song):
        track = song.score.track(self.track)
        mix = song.mix_settings
        if mix is not None and self.track in mix.tracks:
            old = mix.tracks[self.track]
            new = dataclasses.replace(old, gain_db=self._checked(old.gain_db, *MIX_GAIN_RANGE_DB, "mix gain"))
            return _new_song(song, mix_settings=mix.with_track(self.track, new))
        hint = self._checked(track.gain_db, *GAIN_HINT_RANGE_DB, "gain hint")
        score = dataclasses.replace(song.score, tracks=tuple(dataclasses.replace(t, gain_db=hint) if t.name == self.track else t for t in song.score.tracks))
        return _new_song(song, score=score)


@dataclass(frozen=True)
class Intensify(Operation):
    """Heavier (positive) or lighter: rewrite the part at energy + ``energy_delta``, then velocity + ``velocity_delta``.

    ``rewrite`` False: velocity only (melody parts, parts the composer does not write).
    """

    track: str
    sections: tuple[str, ...]
    energy_delta: float
    velocity_delta: int
    rewrite: bool = True

    def describe(self) -> str:
        word = "busier" if self.energy_delta > 0 else "sparser"
        how = f"written again at energy {self.energy_delta:+g} ({word}), " if self.rewrite else ""
        return f"{self.track} in {_where(self.sections)}: {how}velocity {self.velocity_delta:+d}"

    def apply(self, song):
        score = song.score
        score.track(self.track)
        names = self.sections or tuple(s.name for s in score.sections)
        if self.rewrite:
            for name in names:
                score = regenerate(score, song.plan, track=self.track, section=name, seed=song.seed, lyrics=song.brief.lyrics,
                                   energy_delta=self.energy_delta)
        score = _map_notes(score, self.track, names, lambda n: dataclasses.replace(n, velocity=_clamp_velocity(n.velocity + self.velocity_delta)))
        return _new_song(song, score=score)


def _curve_value(points: tuple[CurvePoint, ...], tick: int, default: float) -> float:
    if not points:
        return default
    if tick <= points[0].tick:
        return points[0].value
    for a, b in zip(points, points[1:], strict=False):
        if a.tick <= tick <= b.tick:
            return a.value if b.tick == a.tick else a.value + (b.value - a.value) * (tick - a.tick) / (b.tick - a.tick)
    return points[-1].value


def shift_curve(points: tuple[CurvePoint, ...], spans: list[tuple[int, int]], delta: float, *, default: float, low: float, high: float) -> tuple[CurvePoint, ...]:
    """Breakpoints of a piecewise-linear curve with ``delta`` added inside each ``[lo, hi)`` span (clipped to low..high).

    >>> [(p.tick, p.value) for p in shift_curve((), [(100, 200)], 0.2, default=0.5, low=0.0, high=1.0)]
    [(99, 0.5), (100, 0.7), (199, 0.7), (200, 0.5)]
    """
    spans = sorted(spans)
    ticks = sorted({p.tick for p in points} | {t for lo, hi in spans for t in (max(lo - 1, 0), lo, hi - 1, hi)})
    out = []
    for t in ticks:
        v = _curve_value(points, t, default)
        if _inside(t, spans):
            v = min(high, max(low, v + delta))
        out.append(CurvePoint(t, round(v, 4)))
    return tuple(out)


@dataclass(frozen=True)
class ShiftBrightness(Operation):
    """Move ``track``'s brightness curve (0 dark .. 0.5 neutral .. 1 bright) by ``delta`` in ``sections``."""

    track: str
    sections: tuple[str, ...]
    delta: float

    def describe(self) -> str:
        return f"{self.track} in {_where(self.sections)}: brightness {self.delta:+g}"

    def apply(self, song):
        t = song.score.track(self.track)
        old = t.curve("brightness")
        points = shift_curve(old.points if old else (), _spans(song.score, self.sections), self.delta, default=0.5, low=0.0, high=1.0)
        curve = ExpressionCurve("brightness", points)
        expression = tuple(curve if c.name == "brightness" else c for c in t.expression) if old else t.expression + (curve,)
        new = dataclasses.replace(t, expression=expression)
        return _new_song(song, score=dataclasses.replace(song.score, tracks=tuple(new if x.name == t.name else x for x in song.score.tracks)))


@dataclass(frozen=True)
class Regenerate(Operation):
    """Write ``track`` in ``section`` again (see :func:`lemm.compose.regen.regenerate`); ``seed`` None = derived."""

    track: str
    section: str
    seed: int | None = None

    def take_seed(self, song_seed: int) -> int:
        """The seed of the new take: ``seed``, or ``derive_seed(song_seed, "regen", track, section)`` as ``lemm regen``."""
        return self.seed if self.seed is not None else derive_seed(song_seed, "regen", self.track, self.section)

    def describe(self) -> str:
        seed = "" if self.seed is None else f", seed {self.seed}"
        return f"{self.track} in {self.section}: regenerate (a new take{seed}; everything else untouched)"

    def apply(self, song):
        score = regenerate(song.score, song.plan, track=self.track, section=self.section, seed=self.take_seed(song.seed), lyrics=song.brief.lyrics)
        return _new_song(song, score=score)


def transpose_chord_symbol(symbol: str, semitones: int) -> str:
    """A chord symbol moved by ``semitones`` (see :func:`lemm.score.harmony.transpose_symbol`).

    >>> transpose_chord_symbol("F#m7/A", 2), transpose_chord_symbol("Bb", -3)
    ('Abm7/B', 'G')
    """
    return transpose_symbol(symbol, semitones)


def _key_name(tonic: str, semitones: int) -> str:
    return transpose_chord_symbol(tonic, semitones)


def _transpose_keys(score: Score, spans: list[tuple[int, int]], semitones: int) -> tuple[KeyChange, ...]:
    def key_at(tick: int) -> KeyChange:
        return [k for k in score.keys if k.tick <= tick][-1]

    end = score.end_tick
    events: dict[int, KeyChange] = {k.tick: k for k in score.keys}
    for lo, hi in spans:
        for k in [k for k in score.keys if lo < k.tick < hi] + [dataclasses.replace(key_at(lo), tick=lo)]:
            events[k.tick] = KeyChange(k.tick, _key_name(k.tonic, semitones), k.mode)
        if hi < end and not _inside(hi, spans):
            events.setdefault(hi, dataclasses.replace(key_at(hi), tick=hi))
    keys = [events[t] for t in sorted(events)]
    merged = [keys[0]]
    for k in keys[1:]:
        if (k.tonic, k.mode) != (merged[-1].tonic, merged[-1].mode):
            merged.append(k)
    return tuple(merged)


@dataclass(frozen=True)
class Transpose(Operation):
    """Move notes by ``semitones``: one track (``track``) or every track (None: chords and key too)."""

    track: str | None
    sections: tuple[str, ...]
    semitones: int

    def describe(self) -> str:
        word = "up" if self.semitones > 0 else "down"
        n = abs(self.semitones)
        what = f"transpose {word} {n} semitone{'s' if n != 1 else ''}"
        if self.track is None:
            return f"all tracks in {_where(self.sections)}: {what} (chord symbols and key too; drums untouched)"
        return f"{self.track} in {_where(self.sections)}: {what}"

    def apply(self, song):
        score = song.score
        spans = _spans(score, self.sections)
        for lo, hi in spans:
            score = transpose(score, self.semitones, track=self.track, start_tick=lo, end_tick=hi)
        if self.track is None:
            chords = tuple(ChordSymbol(c.start_tick, c.duration_ticks, transpose_chord_symbol(c.symbol, self.semitones)) if _inside(c.start_tick, spans) else c for c in score.chords)
            score = dataclasses.replace(score, chords=chords, keys=_transpose_keys(score, spans if self.sections else [(0, score.end_tick + 1)], self.semitones))
        return _new_song(song, score=score)


def _settings_for(song, plan: Plan):
    """The song's render settings asking for the length of ``plan`` (the composer's plan of a score), the guide's lead-in included (the brief is left as asked)."""
    seconds = min(600.0, max(10.0, round(plan.duration_seconds + song.render_settings.start_offset_seconds, 2)))
    return dataclasses.replace(song.render_settings, requested_seconds=seconds)


def recompose(song, plan: Plan):
    """A new Song whose score is composed afresh from ``plan`` (song seed, lyrics and title), no audio.

    ``plan`` becomes the song's plan: the record of how its new score was composed.
    """
    score = compose_score(plan, lyrics=song.brief.lyrics, seed=song.seed, title=song.score.title)
    return Song(song.brief, plan, score, _settings_for(song, plan), song.mix_settings, presets=dict(song.presets))


@dataclass(frozen=True)
class ResizeSections(Operation):
    """Scale each of ``sections`` by ``factor`` (2: double, 0.5: halve) in the composer's plan of the score, then re-compose.

    ``old_bars`` is what the sections had when the instruction was read (for :meth:`describe`);
    the new lengths are computed from the score the operation is applied to
    (:func:`lemm.compose.score_plan.plan_for_score`).
    """

    sections: tuple[str, ...]
    factor: float
    old_bars: tuple[int, ...] = ()

    def describe(self) -> str:
        def bars(n: float) -> str:
            return f"{n:g} bar{'s' if n != 1 else ''}"

        sizes = ", ".join(f"{s} {bars(a)} -> {bars(int(a * self.factor))}" for s, a in zip(self.sections, self.old_bars, strict=True)) or ", ".join(self.sections)
        return f"plan: {sizes}; then re-compose the whole score from the plan (same seed and lyrics): note edits made before are replaced and later sections move"

    def apply(self, song):
        plan = plan_for_score(song.score, song.plan)
        for name in self.sections:
            old = next((s.bars for s in plan.sections if s.name == name), None)
            if old is None:
                raise ParameterError.for_field("section", name, "a section of the score (" + ", ".join(s.name for s in plan.sections) + ")")
            bars = int(old * self.factor)
            if not 1 <= bars <= 256:
                raise ParameterError(f"section {name!r} would have {bars} bars ({old} x {self.factor:g}); a section has 1..256 bars")
            plan = resize_section(plan, name, bars)
        return recompose(song, plan)


@dataclass(frozen=True)
class SwapPreset(Operation):
    """Give ``track`` another preset (and its GM program); notes untouched.

    A song preset (``Song.presets``) has no GM program of its own: the track keeps its program.
    """

    track: str
    old_preset: str
    preset: str

    def describe(self) -> str:
        return f"{self.track}: sound {self.old_preset} -> {self.preset} (notes untouched)"

    def apply(self, song):
        t = song.score.track(self.track)
        program = PRESET_PROGRAMS.get(self.preset, t.program)
        new = dataclasses.replace(t, preset=self.preset, program=program)
        score = dataclasses.replace(song.score, tracks=tuple(new if x.name == t.name else x for x in song.score.tracks))
        return _new_song(song, score=score)


@dataclass(frozen=True)
class RemoveNotes(Operation):
    """Delete ``track``'s notes that start in ``sections``."""

    track: str
    sections: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.track} in {_where(self.sections)}: remove its notes (silent there)"

    def apply(self, song):
        t = song.score.track(self.track)
        spans = _spans(song.score, self.sections)
        new = dataclasses.replace(t, notes=tuple(n for n in t.notes if not _inside(n.start_tick, spans)))
        return _new_song(song, score=dataclasses.replace(song.score, tracks=tuple(new if x.name == t.name else x for x in song.score.tracks)))


@dataclass(frozen=True)
class RemoveTrack(Operation):
    """Delete the track."""

    track: str

    def describe(self) -> str:
        return f"{self.track}: remove the track from the song"

    def apply(self, song):
        return _new_song(song, score=remove_track(song.score, self.track))


@dataclass(frozen=True)
class RemoveBackingVocals(Operation):
    """Delete the song's backing-vocal tracks (harmony, double), each as :class:`RemoveTrack` does; the lead vocal stays."""

    tracks: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.tracks:
            raise ParameterError.for_field("RemoveBackingVocals.tracks", self.tracks, "the names of one or more backing-vocal tracks")

    def describe(self) -> str:
        return f"backing vocals ({', '.join(self.tracks)}): remove from the song (the lead vocal sings alone)"

    def apply(self, song):
        for name in self.tracks:
            song = RemoveTrack(name).apply(song)
        return song


@dataclass(frozen=True)
class MuteTrack(Operation):
    """Mute the track in the mix settings (notes kept; unmute in song.json's mix settings)."""

    track: str

    def describe(self) -> str:
        return f"{self.track}: mute in the mix (notes kept)"

    def apply(self, song):
        song.score.track(self.track)
        mix = song.mix_settings if song.mix_settings is not None else MixSettings()
        old = mix.tracks.get(self.track, TrackMix())
        return _new_song(song, mix_settings=mix.with_track(self.track, dataclasses.replace(old, mute=True)))


@dataclass(frozen=True)
class AddPart(Operation):
    """Add a part and write its notes with the composer in ``sections`` (empty = every section).

    ``preset`` is the stock instrument the part is written for (range, idiom,
    GM program); ``sound``, when given, is the song's own preset (e.g. a fitted
    timbre, ``Song.presets``) that plays it. The new track records the style and
    rest threshold the composer wrote it with (``Track.style``, ``min_energy``),
    so a later take of it plays the same way.
    """

    name: str
    role: str
    preset: str
    sections: tuple[str, ...]
    sound: str = ""

    def describe(self) -> str:
        played = f", played by the song's preset {self.sound!r}" if self.sound else ""
        return f"add a part {self.name!r} ({self.role}, {self.preset}{played}) written by the composer in {_where(self.sections)}"

    def apply(self, song):
        silent = Track(self.name, self.role, self.preset, PRESET_PROGRAMS[self.preset], is_drum=self.role in ("drums", "percussion"))
        plan = plan_for_score(add_track(song.score, silent), song.plan)  # the composer's plan, with the new part
        spec = next(s for s in part_specs(plan, lyrics=song.brief.lyrics) if s.name == self.name)
        bar_ticks = song.score.meters[0].bar_ticks(song.score.resolution)
        played = {"style": spec.style, "min_energy": float(spec.min_energy)}  # how it is written now, kept in its track for later takes
        empty = dataclasses.replace(track_for_part(plan, spec, (), bar_ticks=bar_ticks, resolution=song.score.resolution), **played)
        score = add_track(song.score, empty)
        notes: list[Note] = []
        for name in self.sections or tuple(s.name for s in score.sections):
            notes += regenerate_notes(score, song.plan, track=self.name, section=name, seed=song.seed, lyrics=song.brief.lyrics)
        track = track_for_part(plan, spec, sorted(notes, key=lambda n: (n.start_tick, n.pitch)), bar_ticks=bar_ticks, resolution=song.score.resolution)
        track = dataclasses.replace(track, **played)
        score = add_track(song.score, track)
        edited = _new_song(song, score=score)
        if not self.sound:
            return edited
        if self.sound not in song.presets:
            raise ParameterError.for_field("sound", self.sound, "one of the song's presets: " + (", ".join(sorted(song.presets)) or "(none)"))
        return edited.with_preset(song.presets[self.sound], tracks=(self.name,))


@dataclass(frozen=True)
class SetTempo(Operation):
    """One tempo for the whole song (notes keep their beats; the render settings ask for the new length in time)."""

    old_tempo_bpm: float
    tempo_bpm: float

    def describe(self) -> str:
        return f"tempo {self.old_tempo_bpm:g} -> {self.tempo_bpm:g} bpm (whole song; notes keep their beats)"

    def apply(self, song):
        if not (math.isfinite(self.tempo_bpm) and 20.0 <= self.tempo_bpm <= 400.0):
            raise ParameterError.for_field("tempo_bpm", self.tempo_bpm, "a number in 20..400")
        score = set_tempo(song.score, self.tempo_bpm)
        return _new_song(song, render_settings=_settings_for(song, plan_for_score(score, song.plan)), score=score)
