"""Recorded vocals in the WORLD domain: checking a take, pitch tracking, analysis and resynthesis.

Every cleanup step (:mod:`lemm.vocals.tuning`, :mod:`lemm.vocals.timing`,
:mod:`lemm.vocals.transform`) edits WORLD features (f0, spectral envelope,
aperiodicity) and resynthesises, so the voice keeps its timbre.

- :func:`prepare_take` turns any take into float64 mono: a stereo (or
  multi-channel) take is averaged, a silent or all-zero take raises, a
  clipped take is accepted (its clipping is reported by :func:`clipped_fraction`).
  Any sample rate 8000..384000 Hz works.
- :func:`track_pitch` is Harvest (pyworld) on a 16 kHz copy, so its cost
  does not grow with the take's rate; ``method="dio"`` is faster and rougher.
- :func:`analyse_voice` adds CheapTrick and D4C at the take's own rate.

Examples
--------
>>> import numpy as np
>>> sr = 16000
>>> t = np.arange(sr) / sr
>>> voice = sum(0.3 / k * np.sin(2 * np.pi * 220.0 * k * t) for k in range(1, 8))  # harmonics of 220 Hz
>>> track = track_pitch(voice, sr)
>>> bool(abs(np.median(track.f0_hz[track.voiced]) - 220.0) < 1.0)
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lemm import units
from lemm.errors import DependencyError, ParameterError
from lemm.validate import check_sample_rate

__all__ = [
    "PitchTrack",
    "VoiceFeatures",
    "prepare_take",
    "clipped_fraction",
    "track_pitch",
    "analyse_voice",
    "synthesize_voice",
    "hz_to_midi",
    "FRAME_PERIOD_MS",
]

FRAME_PERIOD_MS = 5.0
_TRACK_RATE = 16000
_SILENCE_PEAK = 1e-5


def _pyworld():
    try:
        import pyworld
    except ImportError as err:  # pragma: no cover
        raise DependencyError('vocal cleanup needs the WORLD vocoder: pip install "pyworld-prebuilt>=0.3.6"') from err
    return pyworld


def hz_to_midi(f0_hz: np.ndarray) -> np.ndarray:
    """Hz -> fractional MIDI pitch (A4 = 69); NaN where f0 <= 0."""
    f = np.asarray(f0_hz, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(f > 0, units.hz_to_midi(np.where(f > 0, f, 1.0)), np.nan)


def prepare_take(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """A take as float64 mono [shape=(n_samples,)], checked.

    Parameters
    ----------
    audio : np.ndarray [shape=(n_samples,) or (n_channels, n_samples)]
        Channels are averaged.
    sample_rate : int
        8000..384000 Hz.

    Raises
    ------
    ParameterError
        For a bad shape or rate, non-finite samples, a take shorter than 0.1 s, or a silent take.
    """
    check_sample_rate(sample_rate)
    a = np.asarray(audio)
    if a.ndim == 2:
        if a.shape[0] > 16 and a.shape[1] <= 16:
            raise ParameterError.for_field("audio shape", a.shape, "(n_channels, n_samples), channels first")
        a = a.mean(axis=0) if a.shape[0] > 0 else a.reshape(-1)
    if a.ndim != 1:
        raise ParameterError.for_field("audio shape", np.shape(audio), "(n_samples,) or (n_channels, n_samples)")
    x = a.astype(np.float64)
    if x.size < 0.1 * sample_rate:
        raise ParameterError.for_field("take length", f"{x.size} samples", f"at least 0.1 s ({int(0.1 * sample_rate)} samples)")
    if not np.all(np.isfinite(x)):
        raise ParameterError.for_field("audio", "non-finite samples", "finite samples")
    if float(np.max(np.abs(x))) < _SILENCE_PEAK:
        raise ParameterError.for_field("take", "silence", "a take with a voice in it (peak above -100 dBFS)")
    return np.ascontiguousarray(x)


def clipped_fraction(audio: np.ndarray, *, threshold: float = 0.999) -> float:
    """Share of samples at or above ``threshold`` in magnitude (a clipped take has > 0.1%)."""
    a = np.asarray(audio, dtype=np.float64)
    return float(np.mean(np.abs(a) >= threshold)) if a.size else 0.0


@dataclass(frozen=True)
class PitchTrack:
    """f0 per frame.

    Attributes
    ----------
    times_seconds : np.ndarray [shape=(n_frames,)]
    f0_hz : np.ndarray [shape=(n_frames,)], 0 where unvoiced
    """

    times_seconds: np.ndarray
    f0_hz: np.ndarray

    @property
    def voiced(self) -> np.ndarray:
        """True where f0 > 0."""
        return self.f0_hz > 0

    @property
    def midi(self) -> np.ndarray:
        """Fractional MIDI pitch, NaN where unvoiced."""
        return hz_to_midi(self.f0_hz)


def track_pitch(
    audio: np.ndarray,
    sample_rate: int,
    *,
    f0_floor_hz: float = 65.0,
    f0_ceil_hz: float = 1000.0,
    frame_period_ms: float = FRAME_PERIOD_MS,
    method: str = "harvest",
) -> PitchTrack:
    """Track the f0 of a monophonic voice.

    Parameters
    ----------
    audio : np.ndarray [shape=(n_samples,) or (n_channels, n_samples)]
    sample_rate : int
    f0_floor_hz, f0_ceil_hz : float
        Search range, 40..2000 Hz.
    frame_period_ms : float
    method : {"harvest", "dio"}

    Returns
    -------
    PitchTrack
        One frame per ``frame_period_ms`` from time 0 over the whole take.
    """
    pw = _pyworld()
    if method not in ("harvest", "dio"):
        raise ParameterError.for_field("method", method, "'harvest' or 'dio'")
    if not 40.0 <= f0_floor_hz < f0_ceil_hz <= 2000.0:
        raise ParameterError.for_field("f0 range", (f0_floor_hz, f0_ceil_hz), "40 <= f0_floor_hz < f0_ceil_hz <= 2000")
    x = prepare_take(audio, sample_rate)
    if sample_rate != _TRACK_RATE:
        import librosa

        x = librosa.resample(x, orig_sr=sample_rate, target_sr=_TRACK_RATE, res_type="soxr_hq")
    x = np.ascontiguousarray(x, dtype=np.float64)
    if method == "harvest":
        f0, t = pw.harvest(x, _TRACK_RATE, f0_floor=f0_floor_hz, f0_ceil=f0_ceil_hz, frame_period=frame_period_ms)
    else:
        f0, t = pw.dio(x, _TRACK_RATE, f0_floor=f0_floor_hz, f0_ceil=f0_ceil_hz, frame_period=frame_period_ms)
        f0 = pw.stonemask(x, f0, t, _TRACK_RATE)
    return PitchTrack(np.asarray(t, dtype=np.float64), np.asarray(f0, dtype=np.float64))


@dataclass(frozen=True)
class VoiceFeatures:
    """WORLD features of a take at its own rate (see :class:`lemm.vocals.world.SpeechFeatures`)."""

    f0_hz: np.ndarray
    spectral_envelope: np.ndarray
    aperiodicity: np.ndarray
    sample_rate: int
    frame_period_ms: float = FRAME_PERIOD_MS

    @property
    def times_seconds(self) -> np.ndarray:
        """Frame times."""
        return np.arange(self.f0_hz.size) * self.frame_period_ms / 1000.0


def analyse_voice(audio: np.ndarray, sample_rate: int, *, pitch: PitchTrack | None = None) -> VoiceFeatures:
    """WORLD analysis of a take (f0 by :func:`track_pitch` unless given).

    Returns
    -------
    VoiceFeatures
    """
    pw = _pyworld()
    x = prepare_take(audio, sample_rate)
    if pitch is None:
        pitch = track_pitch(x, sample_rate)
    n = int(x.size / sample_rate * 1000.0 / FRAME_PERIOD_MS) + 1
    f0 = np.zeros(n)
    m = min(n, pitch.f0_hz.size)
    f0[:m] = pitch.f0_hz[:m]
    t = np.arange(n) * FRAME_PERIOD_MS / 1000.0
    sp = pw.cheaptrick(x, f0, t, sample_rate)
    ap = pw.d4c(x, f0, t, sample_rate)
    return VoiceFeatures(f0, sp, ap, int(sample_rate))


def synthesize_voice(features: VoiceFeatures, *, n_samples: int | None = None) -> np.ndarray:
    """WORLD synthesis of (edited) features -> float64 mono, cut or padded to ``n_samples``."""
    pw = _pyworld()
    y = pw.synthesize(
        np.ascontiguousarray(features.f0_hz, dtype=np.float64),
        np.ascontiguousarray(features.spectral_envelope, dtype=np.float64),
        np.ascontiguousarray(np.clip(features.aperiodicity, 0.001, 0.999), dtype=np.float64),
        int(features.sample_rate),
        float(features.frame_period_ms),
    )
    if n_samples is not None:
        y = y[:n_samples] if y.size >= n_samples else np.pad(y, (0, n_samples - y.size))
    return y
