"""The stages from a brief to a master, as plain functions of data.

``plan -> compose -> render (instruments and vocals, by slices: lemm.render.stems) -> mix -> master``.
Each function takes the previous stage's data and returns the next; the
:class:`lemm.song.Song` object only holds the results. Timings in seconds
are collected per stage for the report.
"""

from __future__ import annotations

import ctypes
import dataclasses
import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from lemm.compose.arrange import compose_score
from lemm.compose.brief import Brief
from lemm.compose.chord_input import apply_chords
from lemm.compose.plan_model import Plan
from lemm.compose.planner import make_plan as _make_plan
from lemm.errors import ParameterError
from lemm.mix import MixSettings, auto_mix_settings, master
from lemm.mix.mixer import mix_with_strips
from lemm.mix.strip_cache import StripCache
from lemm.mix.targets import tilt_target_for_genre
from lemm.progress import StageTimer
from lemm.render.settings import RenderSettings
from lemm.score.model import Score
from lemm.vocals.register import voice_for_track

if TYPE_CHECKING:
    from lemm.compose.guide import GuideAnalysis

__all__ = [
    "MASTER_FADE_SECONDS",
    "make_plan",
    "make_score",
    "mix_and_master_parts",
    "release_freed_memory",
    "steady_pieces",
]


def make_plan(
    brief: Brief,
    *,
    guide: "GuideAnalysis | None" = None,
    keep_chords: bool = False,
    keep_melody: bool = False,
    chords: str | None = None,
) -> Plan:
    """Plan a song from a brief (tempo, key, meter, sections, energy, instruments).

    With ``guide`` (an analysis of a guide audio or MIDI file) the plan follows the
    guide's time line, optionally keeping its chords and melody; ``chords`` (a
    ``--chords`` text such as ``"Am F C G"`` or ``"verse: Am F; chorus: C G"``) then
    fixes the chords of the sections it names.
    """
    plan = _make_plan(brief, guide=guide, keep_chords=keep_chords, keep_melody=keep_melody)
    return plan if not chords else apply_chords(plan, chords)


def make_score(plan: Plan, brief: Brief) -> Score:
    """Compose the score that follows ``plan`` (and the brief's lyrics and seed)."""
    title = " ".join(brief.prompt.split())[:60].strip() or f"lemm song {brief.seed}"  # one line: titles hold no line breaks
    score = compose_score(plan, lyrics=brief.lyrics, seed=brief.seed, title=title)
    # each vocal line is sung by the voice whose comfortable range suits its melody (the asked-for one unless clearly not)
    tracks = tuple(voice_for_track(t) for t in score.tracks)
    return score if all(a is b for a, b in zip(tracks, score.tracks, strict=True)) else dataclasses.replace(score, tracks=tracks)


#: The fade-out at the mix's end that the master is made of (:func:`_master_faded`), seconds.
MASTER_FADE_SECONDS = 0.05


def _master_faded(
    mixed: np.ndarray, *, sample_rate: int, settings: object, fade_seconds: float = MASTER_FADE_SECONDS
) -> tuple[np.ndarray, object]:
    """:func:`lemm.mix.master` of ``mixed`` with its last ``fade_seconds`` faded out (gains ``linspace(1, 0) ** 2``), without a copy of the whole mix.

    The tail is faded in place while the master is made and put back after, also on an
    error: ``mixed`` comes back as it was (a read-only ``mixed`` is copied first).
    """
    n = min(mixed.shape[-1], int(fade_seconds * sample_rate))
    if n > 1 and not mixed.flags.writeable:
        mixed = mixed.copy()
    tail = mixed[..., -n:].copy() if n > 1 else None
    try:
        if tail is not None:
            mixed[..., -n:] *= np.linspace(1.0, 0.0, n, dtype=mixed.dtype) ** 2
        mastered, report = master(mixed, sample_rate=sample_rate, settings=settings)
        if np.may_share_memory(mastered, mixed):  # (a master that passed its input through) keeps the faded tail
            mastered = mastered.copy()
    finally:
        if tail is not None:
            mixed[..., -n:] = tail
    return mastered, report


def steady_pieces(mixed: np.ndarray, *, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """``mixed`` as two pieces that stay as they are while the master is made: a view of all but its end, and a copy of its end.

    The master fades the mix's last :data:`MASTER_FADE_SECONDS` in place and puts them
    back after (:func:`_master_faded`); a writer running beside the master reads these
    pieces (joined along time they are ``mixed``) instead of ``mixed``.
    """
    n = min(mixed.shape[-1], int(MASTER_FADE_SECONDS * sample_rate) + 1)
    cut = mixed.shape[-1] - n
    return mixed[..., :cut], mixed[..., cut:].copy()


def release_freed_memory() -> None:
    """Hand the heap memory freed by a stage back to the system (glibc's ``malloc_trim``; elsewhere nothing).

    glibc keeps freed heap pages (the arrays under its mmap threshold, up to 32 MB,
    and the many small ones of a render, in one arena per thread) for reuse; the next
    stage's large arrays are mapped afresh, so those pages would stay resident for
    nothing. Called between stages; the audio does not depend on it.
    """
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


@functools.cache
def _libc() -> object | None:
    try:
        libc = ctypes.CDLL(None)
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:  # pragma: no cover - no C library to load
        return None



def mix_and_master_parts(
    stems: Mapping[str, np.ndarray],
    score: Score,
    *,
    settings: RenderSettings,
    mix_settings: object | None,
    timer: StageTimer,
    n_workers: int | None = None,
    strip_cache: StripCache | None = None,
    on_mixed: Callable[[np.ndarray, tuple[np.ndarray, ...], object, object], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, dict, object, object]:
    """Mix the stems with ``mix_settings`` (automatic where None) and master the mix.

    Returns
    -------
    mix : np.ndarray [shape=(2, n)] float32
    master : np.ndarray [shape=(2, n)] float32
    master_report : lemm.mix.MasterReport
        The mastering report (loudness, true peak, ...).
    mix_settings : lemm.mix.MixSettings
        The settings used (store them so a person can edit them).
    parts : lemm.mix.mixer.MixParts
        The channel strips and returns the mix was summed from (the printed
        stems reuse them, see :func:`lemm.export.printed.write_printed`).

    The score's genre (``score.genre``) picks the master's target tilt, and its opening tempo times
    the delay send (so a tempo changed in MuseScore and imported times it too), for
    settings made automatically (stored settings are kept as they are).
    ``n_workers`` threads run the channel strips (default: up to 2); the result
    does not depend on it. With ``strip_cache`` the strips that did not change
    are read from it (see :mod:`lemm.mix.strip_cache`); the result does not depend on it.
    ``on_mixed(mix, pieces, mix_settings, parts)`` is called between the mix and the master
    (a song folder's writer starts on ``mix.wav`` and the printed files there): ``mix``
    may be read until it returns, ``pieces`` (:func:`steady_pieces`) during the master too.
    """
    if not stems:
        raise ParameterError.for_field("stems", "no stems", "at least one rendered track")
    tracks = {t.name: t for t in score.tracks if t.name in stems}
    with timer.stage("mix"):
        # Stored settings for every stem (a re-render of a song folder) use nothing of the
        # automatic ones: those (an analysis of every stem) are only made when needed.
        stored_tracks = {} if mix_settings is None else mix_settings.to_dict().get("tracks", {})
        auto = None
        if mix_settings is None or any(name not in stored_tracks for name in stems):
            auto = auto_mix_settings(
                stems,
                roles={n: t.role for n, t in tracks.items()},
                sample_rate=settings.sample_rate,
                # A pan of 0.0 is the score's default, not a request: the mixer places those by role.
                pan_hints={n: t.pan for n, t in tracks.items() if t.pan != 0.0},
                gain_hints_db={n: t.gain_db for n, t in tracks.items()},
                tempo_bpm=score.tempos[0].tempo_bpm,
            )
            auto = dataclasses.replace(
                auto, master=dataclasses.replace(auto.master, tilt_target_db_per_octave=tilt_target_for_genre(score.genre))
            )
        used = auto if mix_settings is None else merge_mix_settings(mix_settings, auto, names=list(stems))
        parts = mix_with_strips(stems, used, sample_rate=settings.sample_rate, workers=n_workers, cache=strip_cache)
        mixed = parts.mix
        release_freed_memory()
    if on_mixed is not None:
        on_mixed(mixed, steady_pieces(mixed, sample_rate=settings.sample_rate), used, parts)
    with timer.stage("master"):
        mastered, report = _master_faded(mixed, sample_rate=settings.sample_rate, settings=used.master)
        release_freed_memory()
    return mixed, mastered, report, used, parts


def merge_mix_settings(stored: object, auto: object, *, names: list[str]) -> object:
    """Keep a person's stored settings; take automatic ones only for tracks the stored ones lack (``auto`` may be None where none lacks)."""
    stored_d = stored.to_dict()
    tracks = dict(stored_d.get("tracks", {}))
    for name in names:
        if name not in tracks:
            tracks[name] = auto.to_dict()["tracks"][name]
    stored_d["tracks"] = {n: tracks[n] for n in names}
    return MixSettings.from_dict(stored_d)
