"""The Song: a thin object holding a brief, its plan, score, audio and report.

The work is done by the functions in :mod:`lemm.pipeline` and
:mod:`lemm.project.folder`; a Song only keeps their results together so a
notebook can go ``compose -> render -> mix -> save`` step by step.

Examples
--------
>>> import lemm
>>> song = lemm.compose("a calm folk song", tags=("folk",), duration="0:20", seed=1)  # doctest: +SKIP
>>> song.plan.tempo_bpm                                                               # doctest: +SKIP
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lemm import pipeline
from lemm.compose.brief import Brief, parse_duration, read_lyrics_file
from lemm.compose.plan_model import Plan
from lemm.errors import ParameterError
from lemm.pipeline import Progress, StageTimer
from lemm.project.settings import RenderSettings
from lemm.score.model import Score

if TYPE_CHECKING:
    from lemm.compose.guide import GuideAnalysis
    from lemm.mix.mastering import MasterReport
    from lemm.render.presets import Preset

__all__ = ["Song", "compose", "load"]


@dataclass
class Song:
    """A song and everything made from it so far.

    Attributes
    ----------
    brief : Brief
    plan : Plan
    score : Score
    render_settings : RenderSettings
    mix_settings : lemm.mix.MixSettings or None
        None until mixed (then the settings used, editable and stored).
    stems : dict[str, np.ndarray [shape=(2, n_samples)]] or None
    mix_audio, master_audio : np.ndarray [shape=(2, n_samples)] or None
    master_report : lemm.mix.MasterReport or None
        Loudness and peak measurements of the master.
    seconds_per_stage : dict[str, float]
        Wall-clock seconds per stage.
    cpu_seconds_per_stage : dict[str, float]
        This process's CPU seconds per stage (all threads; on a shared machine they say what lemm itself used).
    render_stats : lemm.project.slices.RenderStats or None
        Which (track, section) slices the last render rendered and which it reused.
    presets : dict[str, lemm.render.Preset]
        The song's own presets (e.g. timbres from :func:`lemm.render.fit_preset`),
        by name; a track whose ``preset`` names one renders with it, and
        song.json keeps them (see :mod:`lemm.project.presets`).
    mix_parts : tuple or None
        ``(stems, mix_settings, MixParts)`` of the last mix: its channel strips
        and returns (:class:`lemm.mix.mixer.MixParts`), reused for the printed
        stems when the song is saved with these same stems and mix settings objects.
    """

    brief: Brief
    plan: Plan
    score: Score
    render_settings: RenderSettings = field(default_factory=RenderSettings)
    mix_settings: object | None = None
    stems: dict[str, np.ndarray] | None = None
    mix_audio: np.ndarray | None = None
    master_audio: np.ndarray | None = None
    master_report: MasterReport | None = None
    seconds_per_stage: dict[str, float] = field(default_factory=dict)
    render_stats: object | None = None
    presets: dict[str, "Preset"] = field(default_factory=dict)
    mix_parts: tuple | None = field(default=None, repr=False, compare=False)
    cpu_seconds_per_stage: dict[str, float] = field(default_factory=dict, repr=False, compare=False)

    @property
    def seed(self) -> int:
        """The brief's seed."""
        return self.brief.seed

    @property
    def sample_rate(self) -> int:
        """Sample rate of the audio, in Hz."""
        return self.render_settings.sample_rate

    def with_score(self, score: Score) -> "Song":
        """A new Song with ``score`` and no audio (it must be re-rendered)."""
        return Song(self.brief, self.plan, score, self.render_settings, self.mix_settings, presets=dict(self.presets))

    def with_preset(self, preset: "Preset", *, tracks: tuple[str, ...] = ()) -> "Song":
        """A new Song (no audio) that holds ``preset`` as a song preset and plays ``tracks`` with it.

        Parameters
        ----------
        preset : lemm.render.Preset
            Kept under ``preset.name`` (replacing a song preset of that name);
            the name must not be a stock preset, drum kit or voice.
        tracks : tuple of str
            Names of non-vocal, non-drum tracks to switch to it (score and
            plan); their notes and GM programs stay as they are.

        Raises
        ------
        ParameterError
            A bad preset or name, an unknown track, or a vocal or drum track.

        Examples
        --------
        >>> song = lemm.compose("a calm folk song", tags=("folk",), duration="0:20", seed=1)  # doctest: +SKIP
        >>> song = song.with_preset(lemm.render.fit_preset(notes, sample_rate=48000, name="my_cello"), tracks=("bass",))  # doctest: +SKIP
        """
        import dataclasses

        from lemm.project.presets import check_song_presets

        presets = check_song_presets({**self.presets, getattr(preset, "name", None): preset})
        known = {t.name: t for t in self.score.tracks}
        for name in tracks:
            if name not in known:
                raise ParameterError.for_field("tracks item", name, "one of the score's tracks: " + ", ".join(known))
            if known[name].role == "vocal" or known[name].is_drum:
                raise ParameterError.for_field("tracks item", name, "a pitched instrument track (not vocal or drums)")
        wanted = set(tracks)
        score = dataclasses.replace(
            self.score, tracks=tuple(dataclasses.replace(t, preset=preset.name) if t.name in wanted else t for t in self.score.tracks)
        )
        plan = dataclasses.replace(
            self.plan, instruments=tuple(dataclasses.replace(i, preset=preset.name) if i.name in wanted else i for i in self.plan.instruments)
        )
        return Song(self.brief, plan, score, self.render_settings, self.mix_settings, presets=presets)

    def render(
        self, *, cache_dir: str | os.PathLike | None = None, progress: Progress | None = None, n_workers: int | None = None
    ) -> dict[str, np.ndarray]:
        """Render every track (instruments and vocals) to stems; returns and keeps them.

        Parameters
        ----------
        cache_dir : path or None
            A render cache folder: slices whose content did not change since the
            last render there are reused (see :mod:`lemm.project.slices`).
        n_workers : int or None
            Threads rendering slices side by side (default: one per CPU); the
            stems do not depend on it. A process that is itself one of many
            workers (``lemm dataset``) asks for 1.
        """
        from lemm.limits import check_render_memory
        from lemm.project.slices import RenderCache, render_stems

        timer = StageTimer(progress)
        n_samples = pipeline.song_n_samples(
            self.score, sample_rate=self.sample_rate, requested_seconds=self.brief.duration_seconds
        )
        check_render_memory(n_tracks=len(self.score.tracks), duration_seconds=n_samples / self.sample_rate + self.plan.start_offset_seconds,
                            sample_rate=self.sample_rate)  # before any stem is allocated
        cache = RenderCache(cache_dir) if cache_dir is not None else None
        with timer.stage("render"):
            stems, self.render_stats = render_stems(
                self.score, settings=self.render_settings, seed=self.seed, n_samples=n_samples, cache=cache, presets=self.presets,
                n_workers=n_workers,
            )
            # A plan made from a guide recording starts at the guide's first downbeat:
            # silence before bar 1 lines the stems up with the guide in a DAW.
            offset = int(round(self.plan.start_offset_seconds * self.sample_rate))
            self.stems = {k: np.pad(v, ((0, 0), (offset, 0))) if offset else v for k, v in stems.items()}
        if progress and cache is not None:
            progress(f"rendered {len(self.render_stats.rendered)} slices, reused {len(self.render_stats.cached)} from the cache")
        self.seconds_per_stage.update(timer.seconds)
        self.cpu_seconds_per_stage.update(timer.cpu_seconds)
        self.mix_audio = self.master_audio = self.master_report = self.mix_parts = None
        return self.stems

    def mix(self, *, progress: Progress | None = None, n_workers: int | None = None) -> np.ndarray:
        """Mix and master the stems (rendering first if needed, with the same ``n_workers``); returns the master.

        ``n_workers`` threads run the channel strips (default: up to 2); the master does not depend on it.
        """
        if self.stems is None:
            self.render(progress=progress, n_workers=n_workers)
        timer = StageTimer(progress)
        self.mix_audio, self.master_audio, self.master_report, self.mix_settings, parts = pipeline.mix_and_master_parts(
            self.stems,
            self.score,
            settings=self.render_settings,
            mix_settings=self.mix_settings,
            timer=timer,
            genre=self.plan.genre,
            tempo_bpm=self.plan.tempo_bpm,
            n_workers=n_workers,
        )
        self.mix_parts = (self.stems, self.mix_settings, parts)  # what they were made of: checked by identity before reuse
        self.seconds_per_stage.update(timer.seconds)
        self.cpu_seconds_per_stage.update(timer.cpu_seconds)
        return self.master_audio

    def save(self, path: str | os.PathLike, *, force: bool = False, progress: Progress | None = None) -> Path:
        """Write the song folder at ``path`` as one unit (rendering and mixing first if needed).

        ``path`` may be missing, an empty folder or a song folder: lemm's own files
        there are replaced, everything else is kept (see :mod:`lemm.project.folder`).

        Parameters
        ----------
        path : path
        force : bool
            Also write into a non-empty folder that is not a song folder, beside its
            files (a name holding a file lemm did not write is refused all the same).
        progress : callable, optional

        Raises
        ------
        OutputPathError
            Before any work, for a folder that cannot take the song (a file, read-only,
            no space, a foreign folder without ``force``, ...); while writing, if a
            write fails (then the folder is as it was).
        """
        from lemm.project.folder import write_song_folder

        return write_song_folder(self, path, force=force, progress=progress)

    def report(self) -> dict:
        """The song's report: loudness, peak, length, timings, seed, version."""
        from lemm.project.folder import make_report

        return make_report(self)


def compose(
    prompt: str = "",
    *,
    tags: tuple[str, ...] | list[str] = (),
    lyrics: str | os.PathLike | None = None,
    duration: str | float = "3:30",
    seed: int = 0,
    plan: Plan | str | os.PathLike | None = None,
    guide: str | os.PathLike | "GuideAnalysis" | None = None,
    keep_chords: bool = False,
    keep_melody: bool = False,
    chords: str | None = None,
    render_settings: RenderSettings | None = None,
    progress: Progress | None = None,
) -> Song:
    """Plan and compose a song from a brief (no audio yet: call ``render``/``mix``/``save``).

    Parameters
    ----------
    prompt : str
        What the song should be ("a dreamy synth-pop song in D minor, 100 bpm").
    tags : sequence of str
        Genre and mood tags, e.g. ``("pop", "upbeat")``.
    lyrics : str, path or None
        Lyrics text, or a path to a UTF-8 text file with them.
    duration : str or float
        ``"M:SS"`` or seconds, 0:10..10:00.
    seed : int
        Seed of every random choice.
    plan : Plan, path or None
        A plan (or a plan JSON file, e.g. an edited ``plan.json``) to follow exactly
        instead of planning from the prompt. Not together with ``guide``.
    guide : path, GuideAnalysis or None
        A guide audio (WAV, FLAC, OGG, MP3) or MIDI file, or its analysis
        (:func:`lemm.compose.guide.analyze_guide`): the plan follows its tempo,
        meter, key, sections and energy, on its time line.
    keep_chords, keep_melody : bool
        With a guide: keep its chords per bar / its melody (MIDI guides).
    chords : str or None
        Chords to use, e.g. ``"Am F C G"`` or ``"verse: Am F C G; chorus: F G C Am"``
        (see :mod:`lemm.compose.chord_input`); applied to whichever plan is used.

    Returns
    -------
    Song
    """
    if isinstance(lyrics, Path) or (isinstance(lyrics, str) and "\n" not in lyrics and lyrics.endswith(".txt")):
        lyrics = read_lyrics_file(lyrics)
    if isinstance(tags, str):
        raise ParameterError.for_field("tags", tags, "a list or tuple of tag strings, e.g. ('pop', 'upbeat')")
    if plan is not None and guide is not None:
        raise ParameterError.for_field("guide", str(guide), "no guide when a plan is given (the plan already fixes the time line)")
    if (keep_chords or keep_melody) and guide is None:
        raise ParameterError.for_field(
            "keep_chords" if keep_chords else "keep_melody", True, "True only together with a guide file"
        )
    brief = Brief(prompt=prompt, tags=tuple(tags), lyrics=lyrics, duration_seconds=parse_duration(duration), seed=seed)
    timer = StageTimer(progress)
    with timer.stage("plan"):
        if plan is not None:
            the_plan = _as_plan(plan)
            if chords:
                from lemm.compose.chord_input import apply_chords

                the_plan = apply_chords(the_plan, chords)
        else:
            the_plan = pipeline.make_plan(
                brief, guide=_as_guide(guide), keep_chords=keep_chords, keep_melody=keep_melody, chords=chords
            )
    with timer.stage("compose"):
        score = pipeline.make_score(the_plan, brief)
    song = Song(brief=brief, plan=the_plan, score=score, render_settings=render_settings or RenderSettings())
    song.seconds_per_stage.update(timer.seconds)
    song.cpu_seconds_per_stage.update(timer.cpu_seconds)
    return song


def _as_plan(plan: Plan | str | os.PathLike) -> Plan:
    if isinstance(plan, (str, os.PathLike)):
        from lemm.compose.plan_edit import load_plan

        plan = load_plan(plan)
    if not isinstance(plan, Plan):
        raise ParameterError.for_field("plan", type(plan).__name__, "a Plan or the path of a plan JSON file")
    from lemm.compose.instruments import PRESET_PROGRAMS

    for inst in plan.instruments:  # a preset lemm does not have is refused, never silently played by a stand-in
        if inst.preset not in PRESET_PROGRAMS:
            raise ParameterError.for_field(
                f"plan instrument {inst.name!r} preset", inst.preset,
                f"one of {', '.join(sorted(PRESET_PROGRAMS))} (a song's own preset, e.g. a fitted timbre, is added to a song "
                "folder with lemm timbre add after composing)")
    return plan


def _as_guide(guide: "str | os.PathLike | GuideAnalysis | None") -> "GuideAnalysis | None":
    if guide is None or not isinstance(guide, (str, os.PathLike)):
        return guide
    from lemm.compose.guide import analyze_guide

    return analyze_guide(guide)


def load(path: str | os.PathLike) -> Song:
    """Load a song folder (its song.json) written by :meth:`Song.save` or ``lemm compose``."""
    from lemm.project.folder import read_song_json

    return read_song_json(path)
