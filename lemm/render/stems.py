"""A score -> its stems: every track rendered by (track, section) slices, with an optional content-addressed cache.

This is the render stage of a song (:meth:`lemm.Song.render`, ``lemm render``) and of a
notebook (:func:`render_tracks`): one function, so the same score, seed and settings
give the same stems wherever they are rendered. A plan made from a guide recording
starts at the guide's first downbeat: ``start_offset_seconds`` of silence before bar 1,
added here, lines the stems up with the guide in a DAW.

Every stem is the sum of its slices: the notes of one track that start in one
section, rendered with that slice's own seed (``derive_seed(seed, track,
section)``) over the song's time line, tails and all. A slice's audio depends
only on what is hashed into its key (the slice's notes, the track's sound and
expression, a song preset's own numbers when the track uses one, the tempo
map, the render settings, the seed and lemm's version),
so after an edit only the slices whose key changed are rendered again, and
every untouched stem comes out bit-identical. Rendering always goes through
slices, cache or not, so the audio does not depend on whether a cache is used.

The cache is a plain folder (``DIR/cache/``) of ``<key>.npz`` files, each the
trimmed audio of one slice, its start sample and a SHA-256 over the key, the
start and the audio. An entry is used only when that hash checks out: a
damaged or tampered entry (or one from lemm before 0.2, without a hash) is
rendered again, and the event logged (logger ``lemm.render.stems``). The
cache is safe to delete; only files named ``<32 hex digits>.npz`` are lemm's
(pruning leaves anything else in the folder alone).

Examples
--------
>>> from lemm.score.model import Score, Section, Track, Note
>>> s = Score(sections=(Section("verse 1", "verse", 0, 1920), Section("chorus 1", "chorus", 1920, 1920)),
...           tracks=(Track("bass", "bass", "synth_bass", notes=(Note(40, 0, 480), Note(43, 1920, 480))),))
>>> [(sl.track_name, sl.section_name, len(sl.track.notes)) for sl in track_slices(s)]
[('bass', 'verse 1', 1), ('bass', 'chorus 1', 1)]
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import logging
import math
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lemm.errors import ParameterError
from lemm.io.npz_cache import entry_path, prune_entries, read_entry, write_entry
from lemm.io.stem_store import StemStore
from lemm.progress import report_step
from lemm.render.presets import Preset, preset_to_dict
from lemm.render.settings import RenderSettings
from lemm.render.song_presets import check_song_presets, check_track_presets
from lemm.render.track import render_track_span, single_thread
from lemm.score.jsonio import to_jsonable
from lemm.score.model import Score, Track
from lemm.score.timing import ticks_to_seconds
from lemm.seeding import check_seed, derive_seed
from lemm.version import __version__
from lemm.vocals.sing import sing_track_span

__all__ = [
    "Slice", "track_slices", "slice_key", "RenderCache", "render_stems", "render_tracks", "RenderStats", "song_n_samples",
    "MAX_TAIL_SECONDS",
]

WHOLE_SONG = "(whole song)"

#: Longest tail (reverb and releases) after the last bar, in seconds.
MAX_TAIL_SECONDS = 2.0

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class Slice:
    """The notes of one track that start in one section, as a track of their own."""

    track_name: str
    section_name: str
    track: Track


def track_slices(score: Score) -> list[Slice]:
    """Split every track into per-section slices (notes assigned by start tick).

    Notes before the first section go to the first section, notes after the
    last to the last one; a score without sections is one slice per track.
    Slices without notes are left out.
    """
    out: list[Slice] = []
    sections = list(score.sections)
    for track in score.tracks:
        if not sections:
            if track.notes:
                out.append(Slice(track.name, WHOLE_SONG, track))
            continue
        groups: list[list] = [[] for _ in sections]
        k = 0
        for note in track.notes:  # notes are sorted by start
            while k + 1 < len(sections) and note.start_tick >= sections[k + 1].start_tick:
                k += 1
            groups[k].append(note)
        for section, notes in zip(sections, groups, strict=True):
            if notes:
                out.append(Slice(track.name, section.name, dataclasses.replace(track, notes=tuple(notes))))
    return out


def slice_key(sl: Slice, score: Score, *, settings: RenderSettings, seed: int, n_samples: int, preset: "Preset | None" = None) -> str:
    """Content hash of everything that shapes a slice's audio (not pan or gain hints: the mixer applies those).

    ``preset`` is the song preset the slice's track uses (None for a stock one):
    its numbers are hashed too, so a refitted timbre renders again.
    """
    track = to_jsonable(sl.track)
    track.pop("pan")
    track.pop("gain_db")
    payload = {
        "version": __version__,
        "track": track,
        "section": sl.section_name,
        "resolution": score.resolution,
        "tempos": to_jsonable(score.tempos),
        "meters": to_jsonable(score.meters),
        "sample_rate": settings.sample_rate,
        "device": settings.device,
        "seed": derive_seed(seed, sl.track_name, sl.section_name),
        "n_samples": n_samples,
    }
    if preset is not None:
        payload["song_preset"] = preset_to_dict(preset)
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def slice_digest(key: str, start: int, audio: np.ndarray) -> str:
    """SHA-256 (hex) over a cache entry's key, start sample, shape and float32 samples: what :class:`RenderCache` checks."""
    a = np.ascontiguousarray(audio, dtype=np.float32)
    h = hashlib.sha256()
    h.update(f"{key}:{int(start)}:{a.shape}".encode("ascii"))
    h.update(a.tobytes())
    return h.hexdigest()


class RenderCache:
    """A folder of rendered slices keyed by :func:`slice_key` (safe to delete).

    Examples
    --------
    >>> import tempfile
    >>> cache = RenderCache(tempfile.mkdtemp())
    >>> cache.put("0" * 32, 10, np.ones((2, 3), np.float32))
    >>> start, audio = cache.get("0" * 32)
    >>> start, audio.shape
    (10, (2, 3))
    """

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)

    def _path(self, key: str) -> Path:
        return entry_path(self.folder, key)

    def get(self, key: str) -> tuple[int, np.ndarray] | None:
        """The cached (start_sample, audio) of a slice, or None (also for an entry whose hash does not check out)."""
        path = self._path(key)
        data = read_entry(path, ("start", "audio"), what="render cache")
        if data is None:
            return None
        start, audio = int(data["start"]), np.asarray(data["audio"], dtype=np.float32)
        if audio.ndim != 2 or slice_digest(key, start, audio) != data["sha256"]:
            log.warning("render cache entry %s does not match its hash (damaged or changed): rendering the slice again", path)
            return None
        return start, audio

    def put(self, key: str, start: int, audio: np.ndarray) -> None:
        """Store a slice atomically, with its hash."""
        audio = np.ascontiguousarray(audio, dtype=np.float32)
        write_entry(self._path(key), {"start": np.int64(start), "audio": audio}, sha256=slice_digest(key, start, audio))

    def prune(self, keep: set[str]) -> int:
        """Remove entries (files named ``<32 hex digits>.npz``) whose key is not in ``keep``; returns how many were removed."""
        return prune_entries(self.folder, keep=keep)


@dataclass(frozen=True)
class RenderStats:
    """How a render went: slices rendered and slices taken from the cache."""

    rendered: tuple[tuple[str, str], ...]
    cached: tuple[tuple[str, str], ...]


def _trim(audio: np.ndarray) -> tuple[int, np.ndarray]:
    nonzero = np.flatnonzero(np.any(audio != 0.0, axis=0))
    if nonzero.size == 0:
        return 0, np.zeros((audio.shape[0], 0), np.float32)
    return int(nonzero[0]), np.ascontiguousarray(audio[:, nonzero[0] : nonzero[-1] + 1], dtype=np.float32)


def _render_slice(sl: Slice, score: Score, *, settings: RenderSettings, seed: int, n_samples: int, preset: "Preset | None") -> tuple[int, np.ndarray]:
    slice_seed = derive_seed(seed, sl.track_name, sl.section_name)
    # only the slice's own span is rendered (the stem is silent around it): what _trim keeps of it is the same
    if sl.track.role == "vocal":
        # slices already run side by side: one thread per slice
        offset, audio = sing_track_span(sl.track, score, sample_rate=settings.sample_rate, seed=slice_seed, n_samples=n_samples, n_workers=1)
    else:
        offset, audio = render_track_span(sl.track, score, sample_rate=settings.sample_rate, seed=slice_seed, device=settings.device,
                                          n_samples=n_samples, preset=preset)
    start, trimmed = _trim(audio)
    return (offset + start if trimmed.shape[-1] else 0), trimmed


def _slice_cost(sl: Slice, score: Score) -> float:
    """A rough render cost of a slice, for scheduling: its span in seconds (sung slices cost about 3x) plus its notes."""
    notes = sl.track.notes
    span = float(ticks_to_seconds(score, max(n.end_tick for n in notes)) - ticks_to_seconds(score, min(n.start_tick for n in notes)))
    return span * (3.0 if sl.track.role == "vocal" else 1.0) + 0.01 * len(notes)


def render_stems(
    score: Score,
    *,
    settings: RenderSettings,
    seed: int,
    n_samples: int,
    cache: RenderCache | None = None,
    n_workers: int | None = None,
    presets: Mapping[str, "Preset"] | None = None,
    track_names: Sequence[str] | None = None,
    store: StemStore | None = None,
) -> tuple[Mapping[str, np.ndarray], RenderStats]:
    """Render every track of ``score`` to a stereo stem [shape=(2, offset + n_samples)], slice by slice.

    Parameters
    ----------
    score : Score
    settings : RenderSettings
        Sample rate, device, and the start offset: ``settings.start_offset_seconds``
        of silence before bar 1 (a song planned from a guide recording starts at
        the guide's first downbeat), ``offset = round(start_offset_seconds * sample_rate)`` samples.
    seed : int
        The song seed; each slice derives its own.
    n_samples : int
        Length of every stem after the offset.
    cache : RenderCache or None
        Where to reuse and store slices; entries this score no longer uses are pruned.
    n_workers : int or None
        Slices rendered side by side (threads; each renders with one torch thread).
    presets : mapping of str to Preset, optional
        The song's own presets (see :mod:`lemm.render.song_presets`): a non-vocal
        track whose ``preset`` names one renders with it.
    track_names : sequence of str, optional
        Render only these tracks (default: all); each renders exactly as in the whole song.
    store : StemStore, optional
        An empty :class:`lemm.io.stem_store.StemStore` to render into: each slice is
        added into its stem's file (the same sums), so the stems are never all in
        memory; it is then returned as the stems. Default: arrays in memory.

    Returns
    -------
    stems : dict[str, np.ndarray [shape=(2, offset + n_samples)]], or ``store``
        One stem per track, in score order (silent for a track without notes).
    stats : RenderStats

    Raises
    ------
    ParameterError
        A non-vocal track whose preset is neither stock nor a song preset
        (before anything renders), or bad ``presets``.
    """
    own = check_song_presets({} if presets is None else presets)
    check_track_presets(score, own)
    wanted = None if track_names is None else {score.track(name).name for name in track_names}  # unknown names raise
    slices = [sl for sl in track_slices(score) if wanted is None or sl.track_name in wanted]
    slice_presets = [None if sl.track.role == "vocal" else own.get(sl.track.preset) for sl in slices]
    keys = [slice_key(sl, score, settings=settings, seed=seed, n_samples=n_samples, preset=p) for sl, p in zip(slices, slice_presets, strict=True)]
    offset = int(round(settings.start_offset_seconds * settings.sample_rate))  # the silence before bar 1 is part of each stem
    names = [t.name for t in score.tracks if wanted is None or t.name in wanted]
    if store is None:
        stems: dict[str, np.ndarray] | StemStore = {name: np.zeros((2, offset + n_samples), np.float32) for name in names}
    else:
        if len(store):
            raise ParameterError.for_field("store", repr(store), "an empty StemStore")
        for name in names:
            store.create(name, n_samples=offset + n_samples)
        stems = store
    # Each slice is added into its stem as soon as the slices before it in the same
    # track are in: per stem in slice order (the order of the float sums), so the
    # stems are the same whatever was cached or finished first, and only the slices
    # waiting for an earlier one of their track are held.
    sequence: dict[str, list[int]] = {}
    for i, sl in enumerate(slices):
        sequence.setdefault(sl.track_name, []).append(i)
    added = dict.fromkeys(sequence, 0)
    waiting: dict[int, tuple[int, np.ndarray]] = {}

    def deliver(i: int, result: tuple[int, np.ndarray]) -> None:
        waiting[i] = result
        name = slices[i].track_name
        order = sequence[name]
        while added[name] < len(order) and order[added[name]] in waiting:
            start, audio = waiting.pop(order[added[name]])
            end = min(n_samples, start + audio.shape[-1])
            if end > start and store is None:
                stems[name][:, offset + start : offset + end] += audio[:, : end - start]
            elif end > start:
                store.add(name, offset + start, audio[:, : end - start])  # the same float32 sums, in the stem's file
            added[name] += 1

    todo = []
    for i, key in enumerate(keys):
        hit = cache.get(key) if cache is not None else None
        if hit is not None:
            deliver(i, hit)
        else:
            todo.append(i)

    finished = itertools.count(1)

    def work(i: int) -> tuple[int, np.ndarray]:
        result = _render_slice(slices[i], score, settings=settings, seed=seed, n_samples=n_samples, preset=slice_presets[i])
        report_step("render", next(finished), len(todo))  # a bar on a terminal; nothing in logs and pipes
        return result

    def done(i: int, result: tuple[int, np.ndarray]) -> None:
        if cache is not None:
            cache.put(keys[i], *result)
        deliver(i, result)

    workers = max(1, min(n_workers or (os.cpu_count() or 1), len(todo) or 1))
    with single_thread():
        if workers == 1:
            for i in todo:
                done(i, work(i))
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                # the costliest slices first, so no long one is left running alone at the end
                futures = {pool.submit(work, i): i for i in sorted(todo, key=lambda i: -_slice_cost(slices[i], score))}
                for future in as_completed(futures):
                    done(futures[future], future.result())
    if cache is not None:
        cache.prune(set(keys))
    stats = RenderStats(
        rendered=tuple((slices[i].track_name, slices[i].section_name) for i in todo),
        cached=tuple((slices[i].track_name, slices[i].section_name) for i in sorted(set(range(len(slices))) - set(todo))),
    )
    return stems, stats


def song_n_samples(score: Score, *, sample_rate: int, requested_seconds: float | None = None) -> int:
    """Length of every stem, mix and master in samples.

    The song's last bar plus a tail for releases and reverb. The tail is cut
    short where it would take the file more than one bar past the requested
    duration (the master fades it out).

    Examples
    --------
    >>> from lemm.score.model import Score, Section
    >>> s = Score(sections=(Section("verse 1", "verse", 0, 4 * 1920),))  # 4 bars at 120 bpm = 8 s
    >>> song_n_samples(s, sample_rate=1000, requested_seconds=8.0)  # + a 1.8 s tail: 0.9 of a 2 s bar
    9800
    """
    end_seconds = float(ticks_to_seconds(score, score.end_tick))
    bar_ticks = score.meters[-1].bar_ticks(score.resolution)
    bar_seconds = float(ticks_to_seconds(score, score.end_tick + bar_ticks)) - end_seconds
    tail = MAX_TAIL_SECONDS
    if requested_seconds is not None:
        tail = min(tail, requested_seconds + 0.9 * bar_seconds - end_seconds)
    tail = max(tail, 0.1)
    return int(math.ceil((end_seconds + tail) * sample_rate))


def render_tracks(
    score: Score,
    *,
    sample_rate: int = 48000,
    seed: int = 0,
    device: str = "cpu",
    n_samples: int | None = None,
    track_names: Sequence[str] | None = None,
    n_workers: int | None = None,
    start_offset_seconds: float = 0.0,
    presets: Mapping[str, "Preset"] | None = None,
) -> dict[str, np.ndarray]:
    """Render every non-vocal track of ``score`` (or those named), exactly as a song renders them.

    The same slices, seeds (``derive_seed(seed, track, section)``) and sums as
    :meth:`lemm.Song.render` and ``lemm render`` (this calls :func:`render_stems`):
    with the song's seed, sample rate, length and start offset, a notebook hears the
    song's own stems. Output does not depend on ``n_workers``.

    Parameters
    ----------
    score : Score
    sample_rate : int
        One of :data:`lemm.render.settings.SAMPLE_RATES`.
    seed : int
        The song seed; each (track, section) slice derives its own.
    device : str
        ``"cpu"`` or ``"cuda[:N]"``.
    n_samples : int, optional
        Length of every stem before the offset; default :func:`song_n_samples` (the last bar plus a tail).
    track_names : sequence of str, optional
        Render only these tracks (vocal ones too: they are sung with :func:`lemm.vocals.sing_track`).
    n_workers : int, optional
        Slices rendered side by side; default one per CPU.
    start_offset_seconds : float
        Silence before bar 1 (:attr:`lemm.render.settings.RenderSettings.start_offset_seconds`
        of the song: a song planned from a guide starts at its first downbeat).
    presets : mapping of str to Preset, optional
        A song's own presets (:attr:`lemm.Song.presets`).

    Returns
    -------
    dict of track name to np.ndarray [shape=(2, offset + n_samples)], float32, in score order.

    Examples
    --------
    >>> from lemm.score.model import Note, Score, Track
    >>> bass = Track(name="bass", role="bass", preset="electric_bass", notes=(Note(40, 0, 480, 100),))
    >>> stems = render_tracks(Score(tracks=(bass,)), sample_rate=16000, n_samples=16000, n_workers=1)
    >>> sorted(stems), stems["bass"].shape
    (['bass'], (2, 16000))
    """
    check_seed(seed)
    if n_workers is not None and (isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1):
        raise ParameterError.for_field("n_workers", n_workers, "None or an integer >= 1")
    if n_samples is not None and (isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 0):
        raise ParameterError.for_field("n_samples", n_samples, "None or an integer >= 0")
    names = [t.name for t in score.tracks if t.role != "vocal"] if track_names is None else list(track_names)
    if not names:
        return {}
    settings = RenderSettings(sample_rate=sample_rate, device=device, start_offset_seconds=start_offset_seconds)
    length = song_n_samples(score, sample_rate=sample_rate) if n_samples is None else int(n_samples)
    stems, _ = render_stems(
        score, settings=settings, seed=seed, n_samples=length, n_workers=n_workers, presets=presets,
        track_names=names,
    )
    return stems
