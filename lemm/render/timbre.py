"""Preset + per-frame controls -> harmonic amplitudes and noise band gains (torch, differentiable).

The harmonic distribution of a frame is the preset's ``harmonic_amplitudes``
times a spectral tilt from brightness (plus an attack boost that fades;
capped at +12 dB per harmonic), times the static body resonances
(evaluated at each harmonic's frequency), normalised to unit power; then, for plucked/struck presets, a decay that is
faster for higher harmonics, and the fitted region's spectral keyframes
(:func:`keyframe_gains`: a gain per harmonic group that moves with the time since the onset).

Examples
--------
>>> import torch
>>> from lemm.render.presets import load_preset
>>> p = load_preset("organ")
>>> amps = harmonic_distribution(p, torch.full((3,), 220.0), torch.full((3,), 0.5), torch.zeros(3), decay_rate=0.0)
>>> amps.shape == (3, len(p.harmonic_amplitudes)), round(float(amps[0].pow(2).sum()), 4)
(True, 1.0)
"""

from __future__ import annotations

import numpy as np
import torch

from lemm.render.presets import HARMONIC_GROUP_STARTS, KEYFRAME_SECONDS, Preset, TimbreRegion
from lemm.render.synth import NOISE_BAND_CENTERS_HZ

__all__ = ["harmonic_distribution", "harmonic_groups", "keyframe_gains", "noise_band_gains", "odd_harmonic_excess", "region_partial_ratios", "region_timbre"]

#: Brightness tilts harmonics by at most this much up (and this much down) relative to the preset.
_MAX_TILT_BOOST_DB = 12.0
_MAX_TILT_CUT_DB = 80.0


def harmonic_distribution(
    preset: Preset,
    f0_hz: torch.Tensor,
    brightness: torch.Tensor,
    age_seconds: torch.Tensor,
    *,
    decay_rate: float | torch.Tensor,
    base_amplitudes: torch.Tensor | None = None,
    harmonic_gains: torch.Tensor | None = None,
) -> torch.Tensor:
    """Per-frame harmonic amplitudes of ``preset``.

    Parameters
    ----------
    preset : Preset
    f0_hz, brightness, age_seconds : torch.Tensor [shape=(n_frames,)]
        Fundamental (Hz), brightness 0..1 and time since the onset (s) per frame.
    decay_rate : float or torch.Tensor [shape=(n_frames,)]
        Decay rate of the fundamental in nepers per second (0 for sustained sounds);
        harmonic k decays by an extra ``decay_rate * harmonic_decay * (k - 1)``.
        Per frame when frames of several notes are evaluated at once.
    base_amplitudes : torch.Tensor [shape=(n_harmonics,) or (n_frames, n_harmonics)], optional
        Replaces ``preset.harmonic_amplitudes`` (for fitting with autograd); per frame
        when frames of several notes are evaluated at once.
    harmonic_gains : torch.Tensor [shape=(n_frames, n_harmonics)], optional
        Linear gain per frame and harmonic applied after the normalisation (the
        region's keyframes, see :func:`keyframe_gains`).

    Returns
    -------
    torch.Tensor [shape=(n_frames, n_harmonics)]
        Unit power at the onset (times ``harmonic_gains``), through ``preset.lowpass_hz``
        where it is set; otherwise not band-limited (the synth zeroes harmonics at or above
        Nyquist). ``f0_hz`` is the frequency of harmonic 1 (the written
        pitch divided by ``preset.partial_divisor``).
    """
    dtype = torch.float32
    device = f0_hz.device
    base = base_amplitudes if base_amplitudes is not None else torch.tensor(preset.harmonic_amplitudes, dtype=dtype, device=device)
    k = torch.arange(1, base.shape[-1] + 1, dtype=dtype, device=device)
    log2k = torch.log2(k)
    f0 = f0_hz.to(dtype)[:, None]
    age = age_seconds.to(dtype)[:, None]
    slope_db = ((brightness.to(dtype) - 0.5) * 2.0 * preset.brightness_db_per_octave)[:, None]
    if preset.attack_brightness_db_per_octave != 0.0:
        slope_db = slope_db + preset.attack_brightness_db_per_octave * torch.exp(-age / (preset.attack_brightness_ms / 1000.0))
    tilt_db = (slope_db * log2k).clamp(-_MAX_TILT_CUT_DB, _MAX_TILT_BOOST_DB)
    body_db = torch.zeros_like(tilt_db)
    for r in preset.body_resonances:
        body_db = body_db + r.gain_db * torch.exp(-0.5 * ((k * f0 - r.freq_hz) / r.bandwidth_hz) ** 2)
    amps = base * torch.pow(10.0, (tilt_db + body_db) / 20.0)
    amps = amps / amps.pow(2).sum(-1, keepdim=True).clamp(min=1e-12).sqrt()
    if isinstance(decay_rate, torch.Tensor):
        if preset.harmonic_decay > 0.0 and bool((decay_rate > 0.0).any()):
            amps = amps * torch.exp(-(decay_rate.to(dtype)[:, None] * preset.harmonic_decay) * (k - 1.0) * age)
    elif decay_rate > 0.0 and preset.harmonic_decay > 0.0:
        amps = amps * torch.exp(-decay_rate * preset.harmonic_decay * (k - 1.0) * age)
    if harmonic_gains is not None:
        amps = amps * harmonic_gains.to(dtype)
    if preset.lowpass_hz is not None:  # band-limited source: partials past the preset's corner fall 48 dB/octave
        amps = amps * torch.rsqrt(1.0 + (k * f0 / preset.lowpass_hz) ** 8)
    return amps


def harmonic_groups(n_harmonics: int) -> np.ndarray:
    """Index into :data:`~lemm.render.presets.HARMONIC_GROUP_STARTS` of harmonics ``1..n_harmonics``.

    Examples
    --------
    >>> harmonic_groups(10).tolist()
    [0, 1, 2, 3, 4, 4, 5, 5, 6, 6]
    """
    return np.searchsorted(np.asarray(HARMONIC_GROUP_STARTS), np.arange(1, n_harmonics + 1), side="right") - 1


def keyframe_gains(gains_db: np.ndarray | None, age_seconds: np.ndarray, n_harmonics: int) -> np.ndarray | None:
    """Linear gain per frame and harmonic [shape=(n_frames, n_harmonics)] from keyframe gains.

    Parameters
    ----------
    gains_db : np.ndarray [shape=(len(KEYFRAME_SECONDS), len(HARMONIC_GROUP_STARTS))] or None
        dB per keyframe and harmonic group (None: no keyframes, returns None).
    age_seconds : np.ndarray [shape=(n_frames,)]
        Time since the onset; linear between keyframes, the first and last held.
    n_harmonics : int

    Examples
    --------
    >>> g = np.zeros((len(KEYFRAME_SECONDS), len(HARMONIC_GROUP_STARTS))); g[-1, 1] = -20.0
    >>> keyframe_gains(g, np.array([0.0, 2.0]), 3).round(3).tolist()
    [[1.0, 1.0, 1.0], [1.0, 0.1, 1.0]]
    """
    if gains_db is None:
        return None
    keys = np.asarray(KEYFRAME_SECONDS)
    age = np.asarray(age_seconds, dtype=np.float64)
    hi = np.clip(np.searchsorted(keys, age, side="right"), 1, len(keys) - 1)
    w = np.clip((age - keys[hi - 1]) / (keys[hi] - keys[hi - 1]), 0.0, 1.0)[:, None]
    db = gains_db[hi - 1] * (1.0 - w) + gains_db[hi] * w  # [n_frames, n_groups]
    return np.power(10.0, db / 20.0)[:, harmonic_groups(n_harmonics)]  # per group, then spread: the same values, fewer powers


def noise_band_gains(band_db: tuple[float, ...] | torch.Tensor, level: torch.Tensor, brightness: torch.Tensor | None = None) -> torch.Tensor:
    """Linear band gains [shape=(n_frames, n_bands)]: the preset's band shape times ``level`` per frame.

    ``brightness`` (0..1 per frame) tilts the bands by +-6 dB per octave around 1 kHz.

    Examples
    --------
    >>> g = noise_band_gains((0.0,) * 9, torch.tensor([0.0, 2.0]))
    >>> g[1].tolist() == [2.0] * 9
    True
    """
    shape = torch.pow(10.0, torch.as_tensor(band_db, dtype=torch.float32, device=level.device) / 20.0)
    gains = level.to(torch.float32)[:, None] * shape
    if brightness is not None:
        octaves = torch.log2(torch.tensor(NOISE_BAND_CENTERS_HZ, dtype=torch.float32, device=level.device) / 1000.0)
        gains = gains * torch.pow(10.0, ((brightness.to(torch.float32) - 0.5) * 12.0)[:, None] * octaves / 20.0)
    return gains



#: Floor (re unit power) of a partial's amplitude in a ``"log"`` region blend (-100 dB).
_LOG_BLEND_FLOOR = 1e-5


def _interp_weights(x: float, points: list[float]) -> list[tuple[int, float]]:
    """(index, weight) pairs interpolating linearly at ``x`` between sorted ``points`` (ends held)."""
    if x <= points[0] or len(points) == 1:
        return [(0, 1.0)]
    if x >= points[-1]:
        return [(len(points) - 1, 1.0)]
    hi = int(np.searchsorted(points, x, side="right"))
    w = (x - points[hi - 1]) / (points[hi] - points[hi - 1])
    return [(hi - 1, 1.0 - w), (hi, w)]


def _region_weights(preset: Preset, pitch: float, velocity: float) -> list[tuple[TimbreRegion, float]]:
    """The regions a note of ``pitch`` and ``velocity`` blends, with their weights (summing to 1).

    Linear in pitch between the two nearest region pitches, then in velocity between the
    two nearest layers of each (ends held); ``preset.regions`` must not be empty.
    """
    pitches = sorted({r.pitch for r in preset.regions})
    out = []
    for i, wp in _interp_weights(float(pitch), [float(p) for p in pitches]):
        layer = sorted((r for r in preset.regions if r.pitch == pitches[i]), key=lambda r: r.velocity)
        out += [(layer[j], wp * wv) for j, wv in _interp_weights(float(velocity), [float(r.velocity) for r in layer])]
    return out


#: Odd-harmonic dominance counts when harmonics 2..5 each stand out from (odd) or dip under
#: (even) their neighbours by at least this much (dB): a cylindrical bore (clarinet) in its low register.
_ODD_DOMINANCE_DB = 6.0
#: Most an odd-harmonic excess may add (dB), however deep the even harmonics dip.
_MAX_ODD_EXCESS_DB = 30.0


def _smooth_over_harmonics(x: np.ndarray, taps: np.ndarray) -> np.ndarray:
    pad = len(taps) // 2
    return np.convolve(np.pad(x, pad, mode="edge"), taps, mode="valid")


def odd_harmonic_excess(log_amplitudes: np.ndarray) -> np.ndarray:
    """The part of a log spectrum (nepers per harmonic) that belongs to harmonic parity, not to the envelope.

    A cylindrical bore (clarinet) sounds its odd harmonics much louder than
    the even ones, at every pitch: that pattern moves with the harmonic
    number, while the formants stay put in frequency. When harmonics 2..5
    each stand out from (odd) or dip under (even) the mean of their
    neighbours by :data:`_ODD_DOMINANCE_DB` or more, the excess is the
    alternation around a 3-harmonic moving average, demodulated and smoothed
    over 5 harmonics, kept where the odd ones lead (``+`` on odd, ``-`` on
    even harmonics); otherwise zero.

    Parameters
    ----------
    log_amplitudes : np.ndarray [shape=(n_harmonics,)]
        Natural log of harmonic amplitudes 1..n.

    Returns
    -------
    np.ndarray [shape=(n_harmonics,)]
        Nepers to add per harmonic (0 where there is no consistent parity).

    Examples
    --------
    >>> k = np.arange(1, 13)
    >>> clarinet = np.where(k % 2 == 1, 1.0 / k, 0.01 / k)
    >>> excess = odd_harmonic_excess(np.log(clarinet))
    >>> bool(excess[0] > 0 and excess[1] < 0), float(np.abs(odd_harmonic_excess(np.log(1.0 / k))).max())
    (True, 0.0)
    """
    la = np.asarray(log_amplitudes, dtype=np.float64)
    out = np.zeros_like(la)
    if la.size < 6:
        return out
    sign = (-1.0) ** np.arange(la.size)  # +1 on odd harmonics (index 0 is harmonic 1)
    alternation = (la[1:5] - 0.5 * (la[0:4] + la[2:6])) * sign[1:5]
    if not np.all(alternation >= _ODD_DOMINANCE_DB / (20.0 / np.log(10.0))):
        return out
    residual = la - _smooth_over_harmonics(la, np.array([0.25, 0.5, 0.25]))
    excess = _smooth_over_harmonics(residual * sign, np.full(5, 0.2))
    return np.clip(excess, 0.0, _MAX_ODD_EXCESS_DB / (20.0 / np.log(10.0))) * sign


def _formant_shift(amplitudes: np.ndarray, ratio: float) -> np.ndarray:
    """Harmonic amplitudes at f0 * ``ratio`` keeping the spectral envelope (log amplitude over frequency).

    An odd-harmonic excess (:func:`odd_harmonic_excess`) stays with the
    harmonic number; the rest, the envelope, is read over frequency.
    """
    k = np.arange(1, len(amplitudes) + 1, dtype=np.float64)
    live = np.asarray(amplitudes, dtype=np.float64) > 1.5e-6
    log_a = np.log(np.maximum(amplitudes, 1e-6))
    n_live = int(np.nonzero(live)[0].max()) + 1 if live.any() else 0
    parity = np.zeros_like(log_a)
    parity[:n_live] = odd_harmonic_excess(log_a[:n_live])
    envelope = log_a - parity
    shifted = np.exp(np.interp(k * ratio, k, envelope, left=envelope[0], right=np.log(1e-6)) + parity)
    shifted[np.interp(k * ratio, k, log_a, left=log_a[0], right=np.log(1e-6)) <= np.log(1.5e-6)] = 0.0
    return shifted


def region_timbre(preset: Preset, pitch: float, velocity: float) -> tuple[np.ndarray, np.ndarray, float, np.ndarray | None]:
    """Harmonic amplitudes, noise band dB, noise level dB and keyframe gains of ``preset`` at one note.

    With fitted regions: linear interpolation in pitch between the nearest
    region pitches, and at each of those in velocity (ends held); with
    ``preset.fixed_formants`` each region's spectrum is first moved to the
    note's pitch as an envelope over frequency (an odd-harmonic excess, see
    :func:`odd_harmonic_excess`, stays with the harmonic number). Without
    regions: the preset's own ``harmonic_amplitudes``, ``noise_band_db`` and
    ``noise_level_db`` (-120 when None). Keyframe gains interpolate in dB with
    the same weights (a region without keyframes counts as 0 dB).

    Returns
    -------
    harmonic_amplitudes : np.ndarray [shape=(n_harmonics,)]
    noise_band_db : np.ndarray [shape=(n_bands,)]
    noise_level_db : float
    keyframe_gains_db : np.ndarray [shape=(n_keyframes, n_groups)] or None
        None when no region has keyframes.

    Examples
    --------
    >>> import dataclasses
    >>> from lemm.render.presets import TimbreRegion, load_preset
    >>> regions = (TimbreRegion(48, 100, (1.0, 0.0)), TimbreRegion(72, 100, (0.0, 1.0)))
    >>> p = dataclasses.replace(load_preset("organ"), regions=regions, noise_level_db=-30.0)
    >>> region_timbre(p, 60, 80)[0].tolist()
    [0.5, 0.5]
    """
    if not preset.regions:
        level = preset.noise_level_db if preset.noise_level_db is not None else -120.0
        return np.asarray(preset.harmonic_amplitudes, dtype=np.float64), np.asarray(preset.noise_band_db, dtype=np.float64), float(level), None
    n_harm = max(len(r.harmonic_amplitudes) for r in preset.regions)
    with_keys = any(r.keyframe_gains_db for r in preset.regions)
    keys = np.zeros((len(KEYFRAME_SECONDS), len(HARMONIC_GROUP_STARTS))) if with_keys else None
    amps = np.zeros(n_harm)
    log_amps = np.zeros(n_harm)
    bands = np.zeros(len(NOISE_BAND_CENTERS_HZ))
    level_db = 0.0
    for r, w in _region_weights(preset, pitch, velocity):
        a = np.zeros(n_harm)
        a[: len(r.harmonic_amplitudes)] = r.harmonic_amplitudes
        if preset.fixed_formants and abs(r.pitch - pitch) > 1e-6:
            a = _formant_shift(a, 2.0 ** ((pitch - r.pitch) / 12.0))
        amps += w * a / max(np.sqrt(np.sum(a**2)), 1e-12)
        if preset.region_blend == "log":
            log_amps += w * np.log(np.maximum(a / max(np.sqrt(np.sum(a**2)), 1e-12), _LOG_BLEND_FLOOR))
        bands += w * np.asarray(r.noise_band_db)
        level_db += w * r.noise_level_db
        if keys is not None and r.keyframe_gains_db:
            keys += w * np.asarray(r.keyframe_gains_db)
    if preset.region_blend == "log":  # a geometric mean; a partial no region has stays silent
        amps = np.where(amps > 0.0, np.exp(log_amps), 0.0)
    return amps, bands, float(level_db), keys


def region_partial_ratios(preset: Preset, pitch: float, velocity: float, n_harmonics: int) -> np.ndarray | None:
    """Frequency of partials ``1..n_harmonics`` as multiples of f0 at one note, or None when all are harmonic.

    Each region's ``partial_ratios`` (harmonic past its tuple) interpolate in
    log frequency with the weights of :func:`region_timbre` (pitch, then
    velocity); without regions, the preset's own ``partial_ratios``.

    Examples
    --------
    >>> import dataclasses
    >>> from lemm.render.presets import TimbreRegion, load_preset
    >>> regions = (TimbreRegion(48, 100, (1.0, 0.5, 0.2), partial_ratios=(1.0, 2.0, 3.2)), TimbreRegion(72, 100, (1.0, 0.5, 0.2)))
    >>> p = dataclasses.replace(load_preset("organ"), regions=regions, noise_level_db=-30.0)
    >>> np.round(region_partial_ratios(p, 60, 100, 4), 3).tolist()
    [1.0, 2.0, 3.098, 4.0]
    >>> region_partial_ratios(load_preset("organ"), 60, 100, 4) is None
    True
    """
    k = np.arange(1, n_harmonics + 1, dtype=np.float64)

    def ratios_of(values: tuple[float, ...]) -> np.ndarray:
        r = k.copy()
        m = min(len(values), n_harmonics)
        r[:m] = values[:m]
        return r

    if not preset.regions:
        return ratios_of(preset.partial_ratios) if preset.partial_ratios else None
    if not any(r.partial_ratios for r in preset.regions):
        return None
    log_ratio = np.zeros(n_harmonics)
    for r, w in _region_weights(preset, pitch, velocity):
        log_ratio += w * np.log(ratios_of(r.partial_ratios))
    ratios = np.exp(log_ratio)
    return None if np.allclose(ratios, k, rtol=0.0, atol=1e-9) else ratios
