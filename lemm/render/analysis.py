"""Analyse one recorded note: harmonic spectrum, noise spectrum and envelope, in closed form.

This is the first, analytic step of timbre fitting (:mod:`lemm.render.fitting`):
peak-picking at ``k * f0`` (:func:`lemm.render.spectral.harmonic_magnitudes`)
gives the harmonic distribution just after the attack and the decay rate of
each harmonic; a 2 ms RMS envelope gives the attack time, the sustain level or
decay rate while held, and the release time after note-off; the bins between
the harmonics give the noise spectrum per band.

Examples
--------
>>> sr = 16000; t = np.arange(sr) / sr
>>> x = np.minimum(t / 0.02, 1.0) * (np.sin(2 * np.pi * 220 * t) + 0.5 * np.sin(2 * np.pi * 440 * t))
>>> a = analyse_note(x, sample_rate=sr, f0_hz=220.0)
>>> np.round(a.harmonic_amplitudes[:2], 2).tolist(), a.percussive, 15 < a.attack_ms < 30
([0.89, 0.45], False, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lemm.errors import ParameterError
from lemm.render.presets import HARMONIC_GROUP_STARTS, KEYFRAME_SECONDS
from lemm.render.spectral import band_noise_db, harmonic_magnitudes, parabolic_shift

__all__ = ["NoteAnalysis", "analyse_note", "envelope_db", "estimate_f0", "detect_partial_divisor", "measure_keyframes"]

_ENV_SECONDS = 0.002
_PERCUSSIVE_DB_PER_SECOND = 4.0
#: A struck note's note-off (where a damper cuts its decay) is looked for this close before its -30 dB point (s).
_DAMPED_WITHIN_SECONDS = 0.3
#: Plucked/struck notes already decay while held; their release after note-off is capped here.
_MAX_PERCUSSIVE_RELEASE_MS = 500.0


@dataclass(frozen=True)
class NoteAnalysis:
    """What :func:`analyse_note` measured (times in ms, rates in nepers per second).

    Attributes
    ----------
    f0_hz : float
    harmonic_amplitudes : np.ndarray [shape=(n_harmonics,)]
        Unit power, averaged over the first 100 ms after the peak.
    level_db : float
        RMS level of the first 300 ms, dBFS.
    attack_ms, decay_ms, sustain_level, release_ms : float
        ADSR estimates.
    percussive : bool
        True if the level falls steadily while the note is held.
    decay_rate : float
        Fall of the level while held (0 for sustained notes).
    harmonic_decay : float
        Harmonic k decays ``1 + harmonic_decay * (k - 1)`` times as fast as the fundamental.
    noise_band_db : np.ndarray [shape=(n_bands,)]
        Noise between the harmonics per band relative to the harmonic level (the
        preset's ``noise_band_db`` with ``noise_level_db = 0``).
    gate_seconds : float
        Note-off time used (given, or where the level first stays 30 dB under its peak).
    frame_amplitudes : np.ndarray [shape=(n_frames, n_harmonics)]
        Peak-picked amplitude of each harmonic per STFT frame (not normalised).
    frame_seconds : np.ndarray [shape=(n_frames,)]
        Centre of each frame.
    window_seconds : float
        Length of the STFT window of those frames.
    spectrum : np.ndarray [shape=(n_harmonics,)]
        ``harmonic_amplitudes`` before the normalisation (same scale as ``frame_amplitudes``).
    peak_seconds : float
        Time of the level's peak; ``spectrum`` is the mean of the frames from 10 ms before to 100 ms after it.
    """

    f0_hz: float
    harmonic_amplitudes: np.ndarray
    level_db: float
    attack_ms: float
    decay_ms: float
    sustain_level: float
    release_ms: float
    percussive: bool
    decay_rate: float
    harmonic_decay: float
    noise_band_db: np.ndarray
    gate_seconds: float
    frame_amplitudes: np.ndarray
    frame_seconds: np.ndarray
    window_seconds: float
    spectrum: np.ndarray
    peak_seconds: float


def envelope_db(audio: np.ndarray, *, sample_rate: int, smooth_seconds: float = 0.01) -> tuple[np.ndarray, float]:
    """RMS level in dB every 2 ms (power averaged over ``smooth_seconds``, centred), and the frame step in seconds."""
    n = max(1, int(round(_ENV_SECONDS * sample_rate)))
    m = max(1, -(-len(audio) // n))
    x = np.zeros(m * n)
    x[: len(audio)] = audio
    power = np.mean(x.reshape(m, n) ** 2, axis=1)
    width = max(1, int(round(smooth_seconds / _ENV_SECONDS)))
    if width > 1:
        kernel = np.ones(width) / width
        power = np.convolve(np.pad(power, (width // 2, width - 1 - width // 2), mode="edge"), kernel, mode="valid")
    return 10.0 * np.log10(power + 1e-12), n / sample_rate


def _yin_frame(frame: np.ndarray, min_lag: int, max_lag: int, threshold: float = 0.15) -> tuple[float, float]:
    """YIN on one frame: (period in samples, with parabolic refinement; its normalised difference)."""
    w = len(frame) // 2
    n_fft = 1 << int(math.ceil(math.log2(2 * len(frame))))
    spec = np.fft.rfft(frame, n_fft)
    acf = np.fft.irfft(spec[:] * np.conj(np.fft.rfft(frame[:w], n_fft)), n_fft)[: max_lag + 1]
    energy = np.concatenate([[0.0], np.cumsum(frame**2)])
    lags = np.arange(max_lag + 1)
    diff = energy[w] + (energy[lags + w] - energy[lags]) - 2.0 * acf  # d(tau) = sum (x[j] - x[j + tau])^2, j < w
    cmnd = np.ones_like(diff)
    cmnd[1:] = diff[1:] * np.arange(1, max_lag + 1) / np.maximum(np.cumsum(diff[1:]), 1e-12)
    below = np.nonzero(cmnd[min_lag:max_lag] < threshold)[0]
    if below.size:
        tau = min_lag + int(below[0])
        while tau + 1 < max_lag and cmnd[tau + 1] < cmnd[tau]:
            tau += 1
    else:
        tau = min_lag + int(np.argmin(cmnd[min_lag:max_lag]))
    b = cmnd[tau]
    return tau + float(parabolic_shift(cmnd[tau - 1], b, cmnd[min(tau + 1, max_lag)])), float(b)


def estimate_f0(audio: np.ndarray, *, sample_rate: int) -> float:
    """Median f0 (Hz, 27.5..4200) of the loud part of a single note, by YIN (de Cheveigne & Kawahara 2002).

    Examples
    --------
    >>> t = np.arange(8000) / 16000
    >>> round(estimate_f0(np.sin(2 * np.pi * 196.0 * t) + 0.3 * np.sin(2 * np.pi * 392.0 * t), sample_rate=16000), 1)
    196.0

    Raises
    ------
    ParameterError
        If no stable pitch can be found (noise, silence): no loud frame is
        periodic, or the frame estimates spread over more than 0.1 octave
        between quartiles.
    """
    x = np.asarray(audio, dtype=np.float64)
    min_lag = max(2, int(sample_rate / 4200.0))
    max_lag = int(math.ceil(sample_rate / 27.5))
    frame_len = 2 * max_lag + 2
    if len(x) < frame_len:
        x = np.pad(x, (0, frame_len - len(x)))
    hop = max(1, frame_len // 4)
    starts = range(0, len(x) - frame_len + 1, hop)
    rms = np.array([np.sqrt(np.mean(x[s : s + frame_len] ** 2)) for s in starts])
    estimates = []
    for s, level in zip(starts, rms, strict=True):
        if level < 0.3 * rms.max():
            continue
        period, aperiodicity = _yin_frame(x[s : s + frame_len], min_lag, max_lag)
        if aperiodicity < 0.3:
            estimates.append(sample_rate / period)
    good = np.array(estimates)
    spread = float(np.subtract(*np.percentile(np.log2(good), [75, 25]))) if good.size else np.inf
    if good.size == 0 or spread > 0.1:
        raise ParameterError.for_field("reference audio", "no stable pitch", "a recording of a pitched single note (or pass f0_hz)")
    return float(np.median(good))


def _slope(t: np.ndarray, y: np.ndarray) -> float:
    if len(t) < 3 or np.ptp(t) <= 0:
        return 0.0
    return float(np.polyfit(t, y, 1)[0])


def analyse_note(
    audio: np.ndarray,
    *,
    sample_rate: int,
    f0_hz: float,
    gate_seconds: float | None = None,
    n_harmonics: int | None = None,
    partial_ratios: np.ndarray | None = None,
) -> NoteAnalysis:
    """Measure one note that starts at sample 0.

    Parameters
    ----------
    audio : np.ndarray [shape=(n_samples,)]
        Mono, onset at the start.
    sample_rate : int
    f0_hz : float
    gate_seconds : float, optional
        Note-off time if known (a SoundFont render); else estimated.
    n_harmonics : int, optional
        Default: every harmonic below min(Nyquist, 20 kHz), at most 256.
    partial_ratios : np.ndarray [shape=(n_harmonics,)], optional
        Where partial ``k`` sits, as a multiple of ``f0_hz``
        (:func:`lemm.render.spectral.partial_ratios`); None: at ``k``.

    Returns
    -------
    NoteAnalysis
    """
    x = np.asarray(audio, dtype=np.float64)
    if n_harmonics is None:
        n_harmonics = int(max(1, min(256, math.floor(min(sample_rate / 2.0, 20000.0) / f0_hz - 1e-9))))
    env, dt = envelope_db(x, sample_rate=sample_rate, smooth_seconds=max(0.01, 2.0 / f0_hz))
    t_env = np.arange(len(env)) * dt
    peak_i = int(np.argmax(env))
    peak_db = float(env[peak_i])
    top_i = int(np.argmax(env >= peak_db - 3.0))  # end of the attack: a slow swell's late peak must not hide a held level
    if gate_seconds is None:
        # Judge the held level on the first 60 % up to the -30 dB point (a release cannot bias it),
        # then put the note-off where a sustained level last holds within 6 dB, or at -30 dB.
        above = np.nonzero(env > peak_db - 30.0)[0]
        end_i = int(above[-1]) + 1 if above.size else len(env)
        mid = slice(min(end_i - 1, top_i + int(0.05 / dt)), max(top_i + 2, top_i + int(0.6 * (end_i - top_i))))
        held_db = float(np.median(env[mid])) if env[mid].size else peak_db
        # The held level as a line in dB: flat for a sustained note, the decay of a struck one (which may be
        # damped by its note-off); the note-off is where the note last holds within 6 dB of it (sustained) ...
        held_slope, held_icpt = 0.0, held_db
        sustained = _slope(t_env[mid], env[mid]) >= -_PERCUSSIVE_DB_PER_SECOND
        if not sustained and env[mid].size >= 3:
            held_slope, held_icpt = np.polyfit(t_env[mid], env[mid], 1)
        holding = np.nonzero(env > held_icpt + held_slope * t_env - 6.0)[0]
        if sustained:
            end_i = int(holding[-1]) + 1 if holding.size else end_i
        else:  # (a struck note's line falls on under the noise floor: look no later than its -30 dB point)
            holding = holding[holding < end_i]
        last_i = int(holding[-1]) + 1 if holding.size else end_i
        if sustained:
            # ... and a gradual release is already 6 dB down some way after the note-off: follow its line
            # (from there to 30 dB under the held level) back up to the held level.
            gone = np.nonzero(env[last_i:] < held_db - 30.0)[0]
            tail = slice(last_i, last_i + int(gone[0]) + 1) if gone.size else slice(last_i, last_i)
            if env[tail].size >= 3:
                slope_db, intercept_db = np.polyfit(t_env[tail], env[tail], 1)
                if slope_db < -_PERCUSSIVE_DB_PER_SECOND:
                    end_i = int(np.clip(round((held_db - intercept_db) / slope_db / dt), top_i + 1, end_i))
        else:
            # ... or, struck, the last time it was on its decay line before it fell 6 dB under it, when that is
            # shortly before its -30 dB point (a damper, not the decay running out).
            on_line = np.nonzero(env[:last_i] >= held_icpt + held_slope * t_env[:last_i])[0]
            if on_line.size and on_line[-1] * dt >= end_i * dt - _DAMPED_WITHIN_SECONDS:
                end_i = int(np.clip(on_line[-1] + 1, top_i + 1, end_i))
        gate_seconds = max(end_i * dt, (peak_i + 1) * dt)
    gate_i = min(len(env), max(peak_i + 1, int(round(gate_seconds / dt))))
    # Attack: twice the time to half the peak of a one-period peak-hold envelope (a linear ramp's midpoint),
    # so a fast onset followed by a slow swell reads as fast.
    n1 = max(1, int(max(0.001, 1.0 / f0_hz) * sample_rate))  # one period per frame
    m1 = len(x) // n1
    hold = np.abs(x[: m1 * n1]).reshape(m1, n1).max(1) if m1 else np.abs(x)
    hold = np.maximum.accumulate(hold[: max(1, int(round((peak_i + 1) * dt * sample_rate / n1)))])
    half = np.nonzero(hold >= 0.5 * hold[-1])[0]
    attack_ms = float(np.clip(2.0 * (half[0] + 1) * n1 / sample_rate * 1000.0, 1.0, 2000.0))

    # Level while held: a straight line in dB from 50 ms after the peak to the note-off.
    held = slice(min(gate_i - 1, top_i + int(0.05 / dt)), gate_i)
    t_held, e_held = t_env[held], env[held]
    slope_db = _slope(t_held, e_held)
    drop_db = peak_db - float(np.median(e_held[-max(1, len(e_held) // 5) :])) if len(e_held) else 0.0
    percussive = slope_db < -_PERCUSSIVE_DB_PER_SECOND and drop_db > 6.0
    if percussive:
        decay_rate = -slope_db * math.log(10.0) / 20.0
        start_db = float(np.polyval(np.polyfit(t_held, e_held, 1), t_env[peak_i])) if len(t_held) >= 3 else peak_db
        sustain_level = float(np.clip(10.0 ** ((start_db - peak_db) / 20.0), 0.05, 1.0))
        decay_ms = 150.0
    else:
        decay_rate = 0.0
        late = env[max(peak_i + 1, gate_i - max(1, (gate_i - peak_i) * 2 // 5)) : gate_i]
        sustain_db = float(np.median(late)) if late.size else peak_db
        sustain_level = float(np.clip(10.0 ** ((sustain_db - peak_db) / 20.0), 0.0, 1.0))
        settle = np.nonzero(env[peak_i:gate_i] <= sustain_db + 1.0)[0]
        decay_ms = float(np.clip((settle[0] if settle.size else 0) * dt * 1000.0, 10.0, 5000.0))

    # Release: time to fall 40 dB after note-off; the cubic release (1 - t/R)^3 gets there at 0.785 R.
    gate_level = float(env[gate_i - 1])
    after = np.nonzero(env[gate_i:] < gate_level - 40.0)[0]
    t40 = (after[0] + 1) * dt if after.size else max(dt, (len(env) - gate_i) * dt)
    release_ms = float(np.clip(t40 / 0.785 * 1000.0, 10.0, _MAX_PERCUSSIVE_RELEASE_MS if percussive else 5000.0))

    if partial_ratios is not None and len(partial_ratios) != n_harmonics:
        raise ParameterError.for_field("partial_ratios", f"{len(partial_ratios)} ratios", f"one per harmonic ({n_harmonics})")
    amps, power, hop = harmonic_magnitudes(x, sample_rate=sample_rate, f0_hz=f0_hz, n_harmonics=n_harmonics, partial_ratios=partial_ratios)
    frame_t = np.arange(amps.shape[0]) * hop / sample_rate
    peak_t = peak_i * dt
    early = (frame_t >= peak_t - 0.01) & (frame_t <= peak_t + 0.1)
    if not early.any():
        early = np.zeros(len(frame_t), bool)
        early[min(len(frame_t) - 1, int(round(peak_t * sample_rate / hop)))] = True
    spectrum = amps[early].mean(0)
    level = float(np.sqrt(np.sum(spectrum**2)))
    harmonic_amplitudes = spectrum / max(level, 1e-12)

    harmonic_decay = 0.0
    if percussive:
        in_gate = (frame_t >= peak_t + 0.05) & (frame_t <= gate_seconds)
        if in_gate.sum() >= 3:
            rates = [-_slope(frame_t[in_gate], np.log(amps[in_gate, k] + 1e-9)) for k in range(min(8, n_harmonics))]
            strong = [k for k in range(1, len(rates)) if harmonic_amplitudes[k] > 0.03 and rates[k] > 0]
            if rates[0] > 0 and strong:
                harmonic_decay = float(np.clip(np.median([(rates[k] / rates[0] - 1.0) / k for k in strong]), 0.0, 3.0))

    # Noise between harmonics, as a flat-band gain relative to the harmonic level: white noise of
    # RMS g has a median bin power of ln(2) * 6 / n_fft * g^2 with this (Hann, 2 / sum(w)) scaling.
    n_fft = 2 * (power.shape[1] - 1)
    bands_db = band_noise_db(power, sample_rate=sample_rate, f0_hz=f0_hz, frames=slice(int(np.argmax(early)), int(np.argmax(early)) + max(1, int(0.3 * sample_rate / hop))))
    noise_band_db = np.clip(bands_db - 10.0 * math.log10(0.693 * 6.0 / n_fft) - 20.0 * math.log10(max(level, 1e-12)), -120.0, 40.0)
    first = x[: int(0.3 * sample_rate)]
    level_db = 10.0 * math.log10(float(np.mean(first**2)) + 1e-12)
    return NoteAnalysis(
        f0_hz=float(f0_hz),
        harmonic_amplitudes=harmonic_amplitudes,
        level_db=level_db,
        attack_ms=attack_ms,
        decay_ms=decay_ms,
        sustain_level=sustain_level,
        release_ms=release_ms,
        percussive=bool(percussive),
        decay_rate=float(decay_rate),
        harmonic_decay=harmonic_decay,
        noise_band_db=noise_band_db,
        gate_seconds=float(gate_seconds),
        frame_amplitudes=amps,
        frame_seconds=frame_t,
        window_seconds=2.0 * (power.shape[1] - 1) / sample_rate,
        spectrum=spectrum,
        peak_seconds=float(peak_t),
    )


def detect_partial_divisor(audio: np.ndarray, *, sample_rate: int, f0_hz: float, threshold: float = 0.01) -> int:
    """1, 2 or 4: whether a note has partials an octave or two under ``f0_hz`` (drawbar organs, layered pads).

    Peak-picks the loud frames at multiples of ``f0_hz / 4`` up to ``4 * f0_hz``
    (higher up, the stretched partials of strings drift into the sub-octave
    slots); partials at odd multiples of ``f0 / 4`` holding more than
    ``threshold`` of that power give 4, else at odd multiples of ``f0 / 2`` give 2, else 1.

    Examples
    --------
    >>> sr = 16000; t = np.arange(sr) / sr
    >>> tone = np.sin(2 * np.pi * 440 * t) + 0.5 * np.sin(2 * np.pi * 880 * t)
    >>> detect_partial_divisor(tone, sample_rate=sr, f0_hz=440.0), detect_partial_divisor(tone + np.sin(2 * np.pi * 220 * t), sample_rate=sr, f0_hz=440.0)
    (1, 2)
    """
    sub_hz = f0_hz / 4.0
    n = int(max(4, min(16, math.floor(sample_rate / 2.0 / sub_hz - 1e-9))))
    amps, _, _ = harmonic_magnitudes(np.asarray(audio, dtype=np.float64), sample_rate=sample_rate, f0_hz=sub_hz, n_harmonics=n)
    frame_power = np.sum(amps**2, axis=1)
    loud = frame_power >= 0.1 * frame_power.max()
    power = np.median(amps[loud] ** 2, axis=0)  # the median: an attack thump is no partial
    k = np.arange(1, n + 1)
    total = max(float(power.sum()), 1e-20)
    if float(power[k % 2 == 1].sum()) > threshold * total:
        return 4
    if float(power[k % 4 == 2].sum()) > threshold * total:
        return 2
    return 1


def measure_keyframes(analysis: NoteAnalysis, envelope: np.ndarray, *, envelope_hop_seconds: float, gate_seconds: float) -> np.ndarray:
    """Gain (dB) per keyframe and harmonic group that makes a model envelope follow the measured harmonics.

    The model sounds harmonic ``k`` at ``envelope(t) * spectrum_k * g_k(t)``;
    this returns ``g`` per :data:`~lemm.render.presets.KEYFRAME_SECONDS` time and
    :data:`~lemm.render.presets.HARMONIC_GROUP_STARTS` group (power summed within
    a group), 0 dB over the frames ``analysis.spectrum`` was measured on.
    Keyframes after the note-off, where the envelope is under -60 dB of its
    peak, or for a group without power, hold the previous value.

    Parameters
    ----------
    analysis : NoteAnalysis
    envelope : np.ndarray [shape=(n_frames,)]
        The model's linear level per control frame (``VoiceControls.amplitude``).
    envelope_hop_seconds : float
    gate_seconds : float

    Returns
    -------
    np.ndarray [shape=(len(KEYFRAME_SECONDS), len(HARMONIC_GROUP_STARTS))], dB in -40..20
    """
    n_harm = analysis.frame_amplitudes.shape[1]
    groups = np.searchsorted(np.asarray(HARMONIC_GROUP_STARTS), np.arange(1, n_harm + 1), side="right") - 1
    n_groups = len(HARMONIC_GROUP_STARTS)
    frame_power = np.zeros((analysis.frame_amplitudes.shape[0], n_groups))
    spec_power = np.zeros(n_groups)
    for g in range(n_groups):
        sel = groups == g
        if sel.any():
            frame_power[:, g] = np.sum(analysis.frame_amplitudes[:, sel] ** 2, axis=1)
            spec_power[g] = np.sum(analysis.spectrum[sel] ** 2)
    # the model envelope as the STFT sees it: power smoothed by the analysis window
    width = max(1, int(round(analysis.window_seconds / envelope_hop_seconds)))
    kernel = np.hanning(width + 2)[1:-1]
    env_power = np.convolve(np.asarray(envelope, dtype=np.float64) ** 2, kernel / kernel.sum(), mode="same")
    env_t = np.arange(len(env_power)) * envelope_hop_seconds
    model = np.interp(analysis.frame_seconds, env_t, env_power, right=0.0)
    early = (analysis.frame_seconds >= analysis.peak_seconds - 0.01) & (analysis.frame_seconds <= analysis.peak_seconds + 0.1)
    ref_model = float(np.mean(model[early])) if early.any() else float(model.max())
    out = np.zeros((len(KEYFRAME_SECONDS), n_groups))
    floor = 1e-6 * float(model.max())
    prev = np.zeros(n_groups)
    for i, t in enumerate(KEYFRAME_SECONDS):
        m = float(np.interp(t, analysis.frame_seconds, model))
        if t > gate_seconds - 0.02 or m <= floor:
            out[i] = prev
            continue
        measured = np.array([np.interp(t, analysis.frame_seconds, frame_power[:, g]) for g in range(n_groups)])
        has_power = spec_power > 1e-8 * max(float(spec_power.sum()), 1e-30)
        ratio = np.where(has_power, measured / np.maximum(spec_power, 1e-30) * ref_model / m, 1.0)
        out[i] = np.where(has_power, np.clip(10.0 * np.log10(np.maximum(ratio, 1e-12)), -40.0, 20.0), prev)
        prev = out[i]
    return out
