"""The Song: a thin object holding a brief, its plan, score, audio and report.

The work is done by the functions of each stage (:mod:`lemm.pipeline`,
:func:`lemm.render.render_stems`, :mod:`lemm.mix`); a Song only keeps their
results together so a notebook can go ``compose -> render -> mix -> save`` step
by step. Saving renders and mixes what is missing (with the folder's render
cache), then hands the audio to :mod:`lemm.project.folder`, which only writes.

Examples
--------
>>> import lemm
>>> song = lemm.compose("a calm folk song", tags=("folk",), duration="0:20", seed=1)  # doctest: +SKIP
>>> song.plan.tempo_bpm                                                               # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lemm import pipeline
from lemm.compose.brief import Brief, parse_duration, read_lyrics_file
from lemm.compose.chord_input import apply_chords
from lemm.compose.guide import analyze_guide
from lemm.compose.instruments import PRESET_PROGRAMS
from lemm.compose.plan_edit import load_plan
from lemm.compose.plan_model import Plan
from lemm.errors import ParameterError
from lemm.io.stem_store import StemStore
from lemm.limits import check_render_memory
from lemm.mix.auto import retime_delay
from lemm.mix.strip_cache import STRIPS_FOLDER, StripCache
from lemm.progress import Progress, StageTimer
from lemm.project.commit import pause_point, song_folder_write
from lemm.project.folder import (
    check_before_work,
    kept_takes,
    make_report,
    read_song_file,
    read_version_data,
    song_fields_from_dict,
    take_rel,
    use_kept_takes,
)
from lemm.project.staging import SongStaging
from lemm.render.settings import RenderSettings
from lemm.render.song_presets import check_song_presets
from lemm.render.stems import RenderCache, render_stems, song_n_samples
from lemm.score.model import Score

if TYPE_CHECKING:
    from lemm.compose.guide import GuideAnalysis
    from lemm.mix.mastering import MasterReport
    from lemm.render.presets import Preset

__all__ = ["Song", "compose", "load", "read_song_json", "read_song_version", "song_from_dict", "write_song_folder", "rerender_song_folder"]


@dataclass
class Song:
    """A song and everything made from it so far.

    Attributes
    ----------
    brief : Brief
    plan : Plan
        The plan the song was composed from: a read-only record of how it was made.
        Nothing after composition reads it but the composer when it writes again,
        through :func:`lemm.compose.score_plan.plan_for_score` (which reads the score).
    score : Score
        The music, and with the settings the one editable state (genre in ``score.genre``).
    render_settings : RenderSettings
        Including the guide's start offset (``start_offset_seconds``, silence before bar 1).
    mix_settings : lemm.mix.MixSettings or None
        None until mixed (then the settings used, editable and stored).
    stems : Mapping[str, np.ndarray [shape=(2, n_samples)]] or None
        After :meth:`render` a :class:`lemm.io.stem_store.StemStore`: each stem is
        read (mapped read-only from lemm's own file) when asked for, so the stems are
        never all in memory; a dict of arrays set by hand works the same.
    mix_audio, master_audio : np.ndarray [shape=(2, n_samples)] or None
    master_report : lemm.mix.MasterReport or None
        Loudness and peak measurements of the master.
    seconds_per_stage : dict[str, float]
        Wall-clock seconds per stage.
    cpu_seconds_per_stage : dict[str, float]
        This process's CPU seconds per stage (all threads; on a shared machine they say what lemm itself used).
    render_stats : lemm.render.stems.RenderStats or None
        Which (track, section) slices the last render rendered and which it reused.
    presets : dict[str, lemm.render.Preset]
        The song's own presets (e.g. timbres from :func:`lemm.render.fit_preset`),
        by name; a track whose ``preset`` names one renders with it, and
        song.json keeps them (see :mod:`lemm.render.song_presets`).
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
    stems: Mapping[str, np.ndarray] | None = None
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
        """A new Song with ``score`` and no audio (it must be re-rendered).

        Where the score's opening tempo changed, an automatic (tempo-synced) delay
        time follows it (:func:`lemm.mix.auto.retime_delay`); a person's own is kept.
        """
        mix = self.mix_settings
        if mix is not None:
            mix = retime_delay(mix, old_tempo_bpm=self.score.tempos[0].tempo_bpm, new_tempo_bpm=score.tempos[0].tempo_bpm)
        return Song(self.brief, self.plan, score, self.render_settings, mix, presets=dict(self.presets))

    def with_preset(self, preset: "Preset", *, tracks: tuple[str, ...] = ()) -> "Song":
        """A new Song (no audio) that holds ``preset`` as a song preset and plays ``tracks`` with it.

        Parameters
        ----------
        preset : lemm.render.Preset
            Kept under ``preset.name`` (replacing a song preset of that name);
            the name must not be a stock preset, drum kit or voice.
        tracks : tuple of str
            Names of non-vocal, non-drum tracks of the score to switch to it;
            their notes and GM programs stay as they are.

        Raises
        ------
        ParameterError
            A bad preset or name, an unknown track, or a vocal or drum track.

        Examples
        --------
        >>> song = lemm.compose("a calm folk song", tags=("folk",), duration="0:20", seed=1)  # doctest: +SKIP
        >>> song = song.with_preset(lemm.render.fit_preset(notes, sample_rate=48000, name="my_cello"), tracks=("bass",))  # doctest: +SKIP
        """
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
        return Song(self.brief, self.plan, score, self.render_settings, self.mix_settings, presets=presets)

    def render(
        self, *, cache_dir: str | os.PathLike | None = None, progress: Progress | None = None, n_workers: int | None = None
    ) -> Mapping[str, np.ndarray]:
        """Render every track (instruments and vocals) to stems; returns and keeps them (a :class:`lemm.io.stem_store.StemStore`).

        Parameters
        ----------
        cache_dir : path or None
            A render cache folder: slices whose content did not change since the
            last render there are reused (see :mod:`lemm.render.stems`).
        n_workers : int or None
            Threads rendering slices side by side (default: one per CPU); the
            stems do not depend on it. A process that is itself one of many
            workers (``lemm dataset``) asks for 1.
        """
        timer = StageTimer(progress)
        n_samples = song_n_samples(
            self.score, sample_rate=self.sample_rate, requested_seconds=self.render_settings.length_asked_seconds(self.brief.duration_seconds)
        )
        check_render_memory(n_tracks=len(self.score.tracks), sample_rate=self.sample_rate,
                            duration_seconds=n_samples / self.sample_rate + self.render_settings.start_offset_seconds)  # before any stem is allocated
        cache = RenderCache(cache_dir) if cache_dir is not None else None
        with timer.stage("render"):
            store = StemStore()  # the stems go to lemm's own files, one slice at a time (removed with the store)
            try:
                stems, stats = render_stems(
                    self.score, settings=self.render_settings, seed=self.seed, n_samples=n_samples, cache=cache, presets=self.presets,
                    n_workers=n_workers, store=store,
                )
            except BaseException:
                store.close()  # the song keeps the stems it had
                raise
            self.stems, self.render_stats = stems, stats
            pipeline.release_freed_memory()  # the render's freed heap: not held through the mix
        if progress and cache is not None:
            progress(f"rendered {len(self.render_stats.rendered)} slices, reused {len(self.render_stats.cached)} from the cache")
        self.seconds_per_stage.update(timer.seconds)
        self.cpu_seconds_per_stage.update(timer.cpu_seconds)
        self.mix_audio = self.master_audio = self.master_report = self.mix_parts = None
        return self.stems

    def mix(
        self, *, progress: Progress | None = None, n_workers: int | None = None, cache_dir: str | os.PathLike | None = None,
        on_mixed: Callable[[np.ndarray, tuple[np.ndarray, ...], Any, Any], None] | None = None,
    ) -> np.ndarray:
        """Mix and master the stems (rendering first if needed, with the same ``n_workers``); returns the master.

        ``n_workers`` threads run the channel strips (default: up to 2); the master does not depend on it.
        ``cache_dir`` (a render cache folder) keeps the processed channel strips in its
        ``strips/`` folder, so a later mix processes only the strips whose stem or
        settings changed (see :mod:`lemm.mix.strip_cache`); the master does not depend on it.
        ``on_mixed`` is called between the mix and the master (see
        :func:`lemm.pipeline.mix_and_master_parts`; a song folder's write starts there).
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
            n_workers=n_workers,
            strip_cache=None if cache_dir is None else StripCache(Path(cache_dir) / STRIPS_FOLDER),
            on_mixed=on_mixed,
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
        return write_song_folder(self, path, force=force, progress=progress)

    def report(self) -> dict:
        """The song's report: loudness, peak, length, timings, seed, version."""
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
    render_settings : RenderSettings or None
        Sample rate, device and bit depth (default :class:`RenderSettings`); its
        ``start_offset_seconds`` is set to the plan's (the guide's lead-in, 0
        without a guide), so the song's stems line up with the guide.

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
                the_plan = apply_chords(the_plan, chords)
        else:
            the_plan = pipeline.make_plan(
                brief, guide=_as_guide(guide), keep_chords=keep_chords, keep_melody=keep_melody, chords=chords
            )
    with timer.stage("compose"):
        score = pipeline.make_score(the_plan, brief)
    settings = dataclasses.replace(render_settings or RenderSettings(), start_offset_seconds=the_plan.start_offset_seconds)
    song = Song(brief=brief, plan=the_plan, score=score, render_settings=settings)
    song.seconds_per_stage.update(timer.seconds)
    song.cpu_seconds_per_stage.update(timer.cpu_seconds)
    return song


def _as_plan(plan: Plan | str | os.PathLike) -> Plan:
    if isinstance(plan, (str, os.PathLike)):
        plan = load_plan(plan)
    if not isinstance(plan, Plan):
        raise ParameterError.for_field("plan", type(plan).__name__, "a Plan or the path of a plan JSON file")
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
    return analyze_guide(guide)


def song_from_dict(data: Any, *, source: str = "song.json") -> Song:
    """Rebuild a Song (without audio) from :func:`lemm.project.folder.song_to_dict` data, validating all of it."""
    return Song(**song_fields_from_dict(data, source=source))


def read_song_json(path: str | os.PathLike) -> Song:
    """Load ``DIR/song.json`` (or a song.json path) into a Song without audio."""
    data, source = read_song_file(path)
    return song_from_dict(data, source=source)


def load(path: str | os.PathLike) -> Song:
    """Load a song folder (its song.json) written by :meth:`Song.save` or ``lemm compose``."""
    return read_song_json(path)


def read_song_version(folder: str | os.PathLike, version: int) -> Song:
    """Load saved ``version`` of a song folder's song.json (see :mod:`lemm.project.history`) without audio.

    Raises
    ------
    ParameterError
        ``version`` is not a saved version.
    FileFormatError
        The version's file is missing, or not song JSON.
    """
    return song_from_dict(read_version_data(folder, version), source=f"version {version}")


def write_song_folder(
    song: "Song", path: str | os.PathLike, *, force: bool = False, progress: Progress | None = None, action: str = "compose"
) -> Path:
    """Write ``song`` as a song folder at ``path`` (rendering and mixing it first if needed), as one unit.

    ``path`` may be missing, an empty folder or a song folder (lemm's own files
    are replaced, its history kept). An unrendered song is rendered with the
    folder's render cache (a new folder gets one), so later edits re-render
    only what changed.

    Parameters
    ----------
    song : Song
    path : path
    force : bool
        Also write into a non-empty folder that is not a song folder: lemm's
        files go beside the others; a name that holds a file lemm did not write
        is refused all the same.
    progress : callable, optional
    action : str
        The label of the new version in ``history/``.

    Raises
    ------
    OutputPathError
        Before any work: ``path`` cannot be a folder (a file, under a file, ``/``,
        /proc), is read-only, lacks the space, or is a non-empty folder that is not
        a song folder (without ``force``), or one of lemm's names there holds
        something lemm did not write. While writing: a write failed (no space,
        read-only); then the folder is as it was.
    FileFormatError
        The folder's history is damaged (before any work).
    """
    with song_folder_write(path, force=force) as write:
        check_before_work(write, song, with_cache=song.stems is None)
        with SongStaging(song, write) as staging:  # each file written as soon as it is final, beside the stages after it
            staging.stage_scores()
            if song.master_audio is None:
                if song.stems is None:
                    song.render(cache_dir=write.cache_folder, progress=progress)
                staging.stage_stems()
                song.mix(progress=progress, cache_dir=write.cache_folder, on_mixed=staging.stage_mix)
            pause_point("rendered")
            staging.finish(timer=StageTimer(progress), action=action)
        write.commit()
    return Path(path)


def rerender_song_folder(song: "Song", folder: str | os.PathLike, *, action: str, progress: Progress | None = None) -> Path:
    """Render ``song`` into its existing song folder, reusing the folder's render cache, and write it as one unit.

    Only the (track, section) slices whose content changed are rendered again;
    then the song is mixed and mastered, lemm's files are replaced together
    and song.json is saved as a new version labelled ``action`` in the same
    commit. The folder is checked first (a song folder, writable, room on the
    disk, a readable history), so a failure leaves it as it was.

    Raises
    ------
    OutputPathError
        ``folder`` is not a song folder, is read-only or lacks the space, or a write failed.
    FileFormatError
        The folder's history is damaged (before any work).
    """
    with song_folder_write(folder, must_be_song=True) as write:
        check_before_work(write, song, with_cache=not write.cache_folder.is_dir())  # an existing cache grows by what changed
        with SongStaging(song, write) as staging:  # each file written as soon as it is final (unchanged ones kept)
            staging.stage_scores()
            song.render(cache_dir=write.cache_folder, progress=progress)
            takes = use_kept_takes(song, kept_takes(write))  # an imported take stays the vocal until its file is deleted
            if takes and progress:
                progress("kept the imported take of " + ", ".join(f"{k!r} ({take_rel(k)})" for k in takes))
            staging.stage_stems()
            song.mix(progress=progress, cache_dir=write.cache_folder, on_mixed=staging.stage_mix)
            pause_point("rendered")
            staging.finish(timer=StageTimer(progress), action=action, takes=takes)
        write.commit()
    return Path(folder)

