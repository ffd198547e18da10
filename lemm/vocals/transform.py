"""Formant-preserving pitch shift and time stretch of a take (WORLD), and their plain counterparts.

:func:`shift_pitch` multiplies the f0 by ``2 ** (semitones / 12)`` and keeps
the spectral envelope, so the formants (the vowels and the voice's size)
stay where they were; with ``preserve_formants=False`` the envelope's
frequency axis is scaled with the pitch, as resampling would do (the
"chipmunk" effect). :func:`stretch_time` reads the features at ``1 / rate``
speed. Both keep the take's channel count (channels are averaged first).

Examples
--------
>>> import numpy as np
>>> sr = 16000
>>> t = np.arange(sr) / sr
>>> voice = sum(0.2 / k * np.sin(2 * np.pi * 200.0 * k * t) for k in range(1, 8))
>>> up = shift_pitch(voice, sr, semitones=3.0)
>>> up.shape, stretch_time(voice, sr, rate=2.0).shape
((1, 16000), (1, 8000))
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from lemm.errors import ParameterError
from lemm.vocals.analysis import analyse_voice, prepare_take, synthesize_voice
from lemm.vocals.timing import warp_features
from lemm.vocals.world import reshape_envelope

__all__ = ["shift_pitch", "stretch_time"]


def _channels(audio: np.ndarray) -> int:
    a = np.asarray(audio)
    return a.shape[0] if a.ndim == 2 else 1


def _finish(y: np.ndarray, n_channels: int) -> np.ndarray:
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    if peak > 0.999:
        y = y * (0.999 / peak)
    mono = y.astype(np.float32)
    return np.repeat(mono[None, :], n_channels, axis=0)


def shift_pitch(audio: np.ndarray, sample_rate: int, *, semitones: float, preserve_formants: bool = True) -> np.ndarray:
    """Shift the pitch of a take by ``semitones`` (-24..24).

    Returns
    -------
    np.ndarray [shape=(n_channels, n_samples)], float32, same length as the take.
    """
    if isinstance(semitones, bool) or not isinstance(semitones, (int, float)) or not -24.0 <= semitones <= 24.0:
        raise ParameterError.for_field("semitones", semitones, "a number in -24..24")
    x = prepare_take(audio, sample_rate)
    features = analyse_voice(x, sample_rate)
    ratio = 2.0 ** (semitones / 12.0)
    features = replace(features, f0_hz=features.f0_hz * ratio)
    if not preserve_formants:
        sp = reshape_envelope(features.spectral_envelope, source_rate=sample_rate, target_rate=sample_rate, formant_scale=ratio)
        ap = reshape_envelope(
            features.aperiodicity, source_rate=sample_rate, target_rate=sample_rate, formant_scale=ratio, is_aperiodicity=True
        )
        features = replace(features, spectral_envelope=sp, aperiodicity=ap)
    return _finish(synthesize_voice(features, n_samples=x.size), _channels(audio))


def stretch_time(audio: np.ndarray, sample_rate: int, *, rate: float) -> np.ndarray:
    """Play a take ``rate`` times as fast (0.25..4) at the same pitch and formants.

    Returns
    -------
    np.ndarray [shape=(n_channels, round(n_samples / rate))], float32
    """
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0.25 <= rate <= 4.0:
        raise ParameterError.for_field("rate", rate, "a number in 0.25..4")
    x = prepare_take(audio, sample_rate)
    features = analyse_voice(x, sample_rate)
    n_out = int(round(x.size / rate))
    period = features.frame_period_ms / 1000.0
    out_times = np.arange(int(n_out / sample_rate / period) + 1) * period
    return _finish(synthesize_voice(warp_features(features, out_times * rate), n_samples=n_out), _channels(audio))
