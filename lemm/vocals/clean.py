"""Cleanup of a recorded vocal take in the WORLD domain: denoise, timing, pitch, then resynthesis.

:func:`clean_vocal` chains the steps of :mod:`lemm.vocals.denoise`,
:mod:`lemm.vocals.timing` and :mod:`lemm.vocals.tuning`:

1. ``denoise``: spectral gating with a profile from the take's quiet stretches;
2. analysis: Harvest f0 (on a 16 kHz copy), CheapTrick and D4C at the take's rate;
3. ``timing``: onsets are moved to the melody's note starts (``"melody"``:
   for each note the steepest voiced rise of the vowel band's level near its
   start, :func:`~lemm.vocals.timing.melody_onsets`) or to a grid (``"grid"``,
   ``grid_seconds`` apart: :func:`~lemm.vocals.timing.detect_onsets`) by
   warping the features in time;
4. ``key`` or ``melody``: the f0 is corrected (``retune_ms``, ``humanize``);
5. WORLD resynthesis with the take's own spectral envelope, so the voice keeps
   its timbre.

A take with only ``denoise`` is not resynthesised. Channels are averaged;
the result has the take's channel count, every channel the same. Its peak
is kept at or below 0.999 (a clipped take is scaled down, not repaired).

Examples
--------
>>> import numpy as np
>>> sr = 16000
>>> t = np.arange(sr) / sr
>>> sharp = sum(0.2 / k * np.sin(2 * np.pi * 440.0 * 2 ** (0.4 / 12) * k * t) for k in range(1, 6))
>>> result = clean_vocal(sharp, sr, key="A minor", retune_ms=0.0)
>>> from lemm.vocals.analysis import track_pitch
>>> f0 = track_pitch(result.audio, sr).f0_hz
>>> bool(abs(1200 * np.log2(np.median(f0[f0 > 0]) / 440.0)) < 5.0)
True
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from lemm.errors import ParameterError
from lemm.vocals.analysis import PitchTrack, analyse_voice, prepare_take, synthesize_voice, track_pitch
from lemm.vocals.denoise import reduce_noise
from lemm.vocals.timing import detect_onsets, melody_onsets, onset_anchors, output_duration, time_map, warp_features
from lemm.vocals.tuning import MelodyNote, correct_pitch

__all__ = ["CleanResult", "clean_vocal"]


@dataclass(frozen=True)
class CleanResult:
    """A cleaned take and the controls that made it.

    Attributes
    ----------
    audio : np.ndarray [shape=(n_channels, n_samples)], float32
    sample_rate : int
    pitch_before : PitchTrack or None
        The take's f0 (after denoising); None when only denoising ran.
    pitch_after : PitchTrack or None
        The f0 that was synthesised (on the output's time line).
    anchors : tuple of (output_seconds, take_seconds)
        The onsets moved by timing correction.
    """

    audio: np.ndarray
    sample_rate: int
    pitch_before: PitchTrack | None
    pitch_after: PitchTrack | None
    anchors: tuple[tuple[float, float], ...]

    def source_seconds(self, output_seconds: np.ndarray) -> np.ndarray:
        """Where in the take each output time was taken from."""
        if self.pitch_before is None:
            return np.asarray(output_seconds, dtype=np.float64)
        duration = float(self.pitch_before.times_seconds[-1]) if self.pitch_before.times_seconds.size else 0.0
        return time_map(list(self.anchors), np.asarray(output_seconds, dtype=np.float64), duration_seconds=duration)


def clean_vocal(
    audio: np.ndarray,
    sample_rate: int,
    *,
    key: str | None = None,
    melody: list[MelodyNote] | None = None,
    retune_ms: float = 20.0,
    humanize: bool = False,
    timing: str | None = None,
    grid_seconds: float | None = None,
    grid_offset_seconds: float = 0.0,
    max_shift_ms: float = 120.0,
    denoise: bool = False,
    tune: bool = True,
) -> CleanResult:
    """Clean a recorded vocal take.

    Parameters
    ----------
    audio : np.ndarray [shape=(n_samples,) or (n_channels, n_samples)]
    sample_rate : int
        8000..384000 Hz.
    key : str or None
        Correct pitch to this key's scale, e.g. ``"A minor"``.
    melody : list of (midi_pitch, start_seconds, end_seconds) or None
        Correct pitch (and, with ``timing="melody"``, timing) to these notes.
    retune_ms : float
        Retune speed (0..1000 ms).
    humanize : bool
        Keep vibrato and scoops (move whole notes).
    timing : {None, "grid", "melody"}
        Move note onsets to a grid or to the melody's note starts.
    grid_seconds, grid_offset_seconds : float
        The grid of ``timing="grid"`` (e.g. a 16th note in seconds) and its first line.
    max_shift_ms : float
        Onsets farther than this from every target stay where they are.
    denoise : bool
        Reduce stationary noise first.
    tune : bool
        False keeps the pitch even when ``melody`` is given (for timing only).

    Returns
    -------
    CleanResult

    Raises
    ------
    ParameterError
        For a bad take (shape, rate, silence) or inconsistent options.
    """
    x = prepare_take(audio, sample_rate)
    n_channels = np.asarray(audio).shape[0] if np.asarray(audio).ndim == 2 else 1
    if key is not None and melody is not None:
        raise ParameterError.for_field("key/melody", (key, "melody"), "a key or a melody, not both")
    if isinstance(retune_ms, bool) or not isinstance(retune_ms, (int, float)) or not 0.0 <= retune_ms <= 1000.0:
        raise ParameterError.for_field("retune_ms", retune_ms, "a number of ms in 0..1000")
    if isinstance(max_shift_ms, bool) or not isinstance(max_shift_ms, (int, float)) or not 0.0 < max_shift_ms <= 1000.0:
        raise ParameterError.for_field("max_shift_ms", max_shift_ms, "a number of ms in (0, 1000]")
    if timing not in (None, "grid", "melody"):
        raise ParameterError.for_field("timing", timing, "None, 'grid' or 'melody'")
    if timing == "melody" and melody is None:
        raise ParameterError.for_field("timing", timing, "'melody' only together with a melody")
    if timing == "grid" and grid_seconds is None:
        raise ParameterError.for_field("grid_seconds", grid_seconds, "a grid spacing in seconds for timing='grid'")
    if denoise:
        x = reduce_noise(x, sample_rate)
    do_tune = tune and (key is not None or melody is not None)
    pitch_before = pitch_after = None
    anchors: list[tuple[float, float]] = []
    if do_tune or timing is not None:
        pitch_before = track_pitch(x, sample_rate)
        features = analyse_voice(x, sample_rate, pitch=pitch_before)
        n_out = x.size
        if timing is not None:
            if timing == "melody":
                starts = np.array(sorted({float(n[1]) for n in melody}))
                onsets = melody_onsets(pitch_before, x, sample_rate, starts, max_shift_ms=max_shift_ms)
                onsets = onsets[np.isfinite(onsets)]
            else:
                onsets = detect_onsets(pitch_before, x, sample_rate)
            anchors = onset_anchors(
                onsets,
                melody=melody if timing == "melody" else None,
                grid_seconds=grid_seconds if timing == "grid" else None,
                grid_offset_seconds=grid_offset_seconds,
                max_shift_ms=max_shift_ms,
            )
            duration = x.size / sample_rate
            out_seconds = output_duration(anchors, duration_seconds=duration)
            n_out = int(round(out_seconds * sample_rate))
            frame_times = np.arange(int(out_seconds * 1000.0 / features.frame_period_ms) + 1) * features.frame_period_ms / 1000.0
            features = warp_features(features, time_map(anchors, frame_times, duration_seconds=duration))
        pitch_after = PitchTrack(features.times_seconds, features.f0_hz)
        if do_tune:
            pitch_after = correct_pitch(pitch_after, key=key, melody=melody, retune_ms=retune_ms, humanize=humanize)
            features = replace(features, f0_hz=pitch_after.f0_hz)
        x = synthesize_voice(features, n_samples=n_out)
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak > 0.999:
        x = x * (0.999 / peak)
    mono = x.astype(np.float32)
    return CleanResult(np.repeat(mono[None, :], n_channels, axis=0), int(sample_rate), pitch_before, pitch_after, tuple(anchors))
