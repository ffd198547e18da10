"""Score tracks -> dry stereo stems: the public entry points of :mod:`lemm.render`.

Pitched tracks go through the harmonic-plus-noise synth
(:mod:`lemm.render.instrument`), drum tracks through :mod:`lemm.render.drums`.
Vocal tracks belong to :mod:`lemm.vocals`. Pan and reverb are the mixer's.

Examples
--------
>>> from lemm.score.model import Note, Score, Track
>>> bass = Track(name="bass", role="bass", preset="electric_bass", notes=(Note(40, 0, 480, 100),))
>>> drums = Track(name="drums", role="drums", preset="synth_kit", is_drum=True, notes=(Note(36, 0, 240, 100),))
>>> score = Score(tracks=(bass, drums))
>>> render_track(bass, score, sample_rate=16000, n_samples=16000, seed=1).shape
(2, 16000)

A whole score renders with :func:`lemm.render.stems.render_stems` (every track, slice by slice).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import torch

from lemm.errors import ParameterError, RenderError
from lemm.render.drums import DRUM_KITS, list_drum_kits, render_drum_span, render_drum_track
from lemm.render.instrument import render_instrument_span, render_instrument_track
from lemm.render.presets import Preset, load_preset
from lemm.render.sampled import list_sampled, render_sampled_span, render_sampled_track
from lemm.render.synth import hop_samples
from lemm.score.model import Score, Track
from lemm.seeding import check_seed

__all__ = ["render_track", "render_track_span", "single_thread"]


def _check_device(device: str) -> torch.device:
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ParameterError.for_field("device", device, "'cpu', 'cuda' or 'cuda:N'") from err
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ParameterError.for_field("device", device, "'cpu' (no CUDA device is available here)")
    if dev.type not in ("cpu", "cuda"):
        raise ParameterError.for_field("device", device, "'cpu', 'cuda' or 'cuda:N'")
    return dev


@contextlib.contextmanager
def single_thread() -> Iterator[None]:
    """Run torch with one intra-op thread inside the block (restored after).

    lemm renders with one intra-op thread so that results do not depend on the
    thread count (parallel reductions round differently) and so that several
    tracks can render side by side without oversubscribing the cores.
    """
    previous = torch.get_num_threads()
    if previous != 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if previous != 1:
            torch.set_num_threads(previous)


def render_track(
    track: Track,
    score: Score,
    *,
    sample_rate: int = 48000,
    seed: int = 0,
    device: str = "cpu",
    n_samples: int | None = None,
    return_controls: bool = False,
    preset: Preset | None = None,
) -> np.ndarray | tuple[np.ndarray, dict[str, np.ndarray]]:
    """Render the dry stereo stem of one non-vocal track.

    Parameters
    ----------
    track : Track
        A pitched track (``track.preset`` one of :func:`list_presets`) or a drum
        track (``is_drum=True`` or a kit preset, see :func:`list_drum_kits`).
    score : Score
        Supplies the tempo map (and nothing else is read from it).
    sample_rate : int
        Hz, 8000..384000.
    seed : int
        Seed of every random part (noise, drum variation); same seed -> same samples.
    device : str
        ``"cpu"`` or ``"cuda"``.
    n_samples : int, optional
        Output length; None renders until the last note's release ends.
    return_controls : bool
        Also return the per-frame controls (for plotting).
    preset : Preset, optional
        Render a pitched track with this preset instead of ``track.preset``
        (e.g. one from :func:`lemm.render.fit_preset`).

    Returns
    -------
    audio : np.ndarray [shape=(2, n_samples)], float32
        Dry stem; stereo only from the instrument itself (detuned copies, kit pieces).
    controls : dict of str to np.ndarray [shape=(n_frames,)]
        Only with ``return_controls=True``: ``time_seconds``, ``amplitude`` and,
        for pitched tracks, ``f0_hz``, ``brightness``, ``n_voices``.

    Raises
    ------
    ParameterError
        Vocal track, unknown preset or kit, bad sample rate, seed, device or n_samples.
    RenderError
        If the rendered audio is not finite.
    """
    dev, n, preset, kind = _checked(track, sample_rate=sample_rate, seed=seed, device=device, n_samples=n_samples, preset=preset)
    full, _ = _RENDERERS[kind]
    with single_thread():
        audio, controls = full(track, score, sample_rate=sample_rate, seed=seed, device=dev, n_samples=n, preset=preset)
    audio = _finite(track, audio)
    return (audio, controls) if return_controls else audio


def render_track_span(
    track: Track, score: Score, *, sample_rate: int = 48000, seed: int = 0, device: str = "cpu", n_samples: int, preset: Preset | None = None,
) -> tuple[int, np.ndarray]:
    """:func:`render_track`'s stem where the track sounds: ``(start, audio)``, without the silence around it.

    ``audio`` [shape=(2, m)] float32 equals ``render_track(...)[:, start : start + m]``
    bit for bit (same parameters), and that stem is zero outside the span (the
    first onset to the end of the last note's tail, within ``n_samples``). Only
    the span is allocated and computed: a slice of one section of a long song
    (:mod:`lemm.render.stems`) costs what its notes cost, not the song's length.

    Raises
    ------
    ParameterError, RenderError
        As :func:`render_track`.

    Examples
    --------
    >>> from lemm.score.model import Note, Score, Track
    >>> bass = Track(name="bass", role="bass", preset="electric_bass", notes=(Note(40, 960, 480, 100),))
    >>> start, audio = render_track_span(bass, Score(tracks=(bass,)), sample_rate=16000, n_samples=64000)
    >>> full = render_track(bass, Score(tracks=(bass,)), sample_rate=16000, n_samples=64000)
    >>> end = start + audio.shape[1]
    >>> start, bool(np.array_equal(full[:, start:end], audio)), bool(full[:, :start].any() or full[:, end:].any())
    (16000, True, False)
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)):
        raise ParameterError.for_field("n_samples", n_samples, "an integer >= 0")
    dev, n, preset, kind = _checked(track, sample_rate=sample_rate, seed=seed, device=device, n_samples=n_samples, preset=preset)
    _, span = _RENDERERS[kind]
    with single_thread():
        start, audio = span(track, score, sample_rate=sample_rate, seed=seed, device=dev, n_samples=n, preset=preset)
    return start, _finite(track, audio)


def _drum_track(track, score, *, sample_rate, seed, device, n_samples, preset):  # noqa: ARG001 (a kit has no preset)
    return render_drum_track(track, score, sample_rate=sample_rate, seed=seed, device=device, n_samples=n_samples)


def _drum_span(track, score, *, sample_rate, seed, device, n_samples, preset):  # noqa: ARG001
    return render_drum_span(track, score, sample_rate=sample_rate, seed=seed, device=device, n_samples=n_samples)


def _sampled_track(track, score, *, sample_rate, seed, device, n_samples, preset):  # noqa: ARG001 (recordings draw no noise)
    return render_sampled_track(track, score, sample_rate=sample_rate, device=device, n_samples=n_samples)


def _sampled_span(track, score, *, sample_rate, seed, device, n_samples, preset):  # noqa: ARG001
    return render_sampled_span(track, score, sample_rate=sample_rate, device=device, n_samples=n_samples)


#: How each kind of track (see :func:`_checked`) renders: (whole stem, span), both called with
#: ``(track, score, *, sample_rate, seed, device, n_samples, preset)``.
_RENDERERS = {
    "drum": (_drum_track, _drum_span),
    "sampled": (_sampled_track, _sampled_span),
    "synth": (render_instrument_track, render_instrument_span),
}


def _checked(
    track: Track, *, sample_rate: int, seed: int, device: str, n_samples: int | None, preset: Preset | None,
) -> tuple[torch.device, int | None, Preset | None, str]:
    """The checked device, length and preset of a render, and how the track sounds: ``"drum"``, ``"sampled"`` or ``"synth"``."""
    if not isinstance(track, Track):
        raise ParameterError.for_field("track", type(track).__name__, "a lemm.score.Track")
    if track.role == "vocal":
        raise ParameterError.for_field(f"track {track.name!r} role", track.role, "a non-vocal role; render vocal tracks with lemm.vocals")
    hop_samples(sample_rate)
    check_seed(seed)
    dev = _check_device(device)
    if n_samples is not None and (isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 0):
        raise ParameterError.for_field("n_samples", n_samples, "None or an integer >= 0")
    n = None if n_samples is None else int(n_samples)
    if preset is not None and not isinstance(preset, Preset):
        raise ParameterError.for_field("preset", type(preset).__name__, "None or a lemm.render.Preset")
    if track.is_drum or (preset is None and track.preset in DRUM_KITS):
        if track.preset not in DRUM_KITS:
            raise ParameterError.for_field(f"track {track.name!r} drum kit", track.preset, f"one of {', '.join(list_drum_kits())}")
        return dev, n, preset, "drum"
    if preset is None and track.preset in list_sampled():
        return dev, n, None, "sampled"
    if preset is None:
        preset = load_preset(track.preset)  # raises with the known names
    return dev, n, preset, "synth"


def _finite(track: Track, audio: np.ndarray) -> np.ndarray:
    if not np.all(np.isfinite(audio)):
        raise RenderError(f"track {track.name!r} rendered non-finite samples")
    return np.ascontiguousarray(audio, dtype=np.float32)
