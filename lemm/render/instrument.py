"""Render a pitched track note by note: controls -> harmonic + noise voice -> stereo buffer.

Each note is rendered over its own span (plus release) and added into the
track buffer, so no whole-song ``[n_samples, n_harmonics]`` tensor ever
exists; long notes are rendered in chunks by :func:`lemm.render.synth.wavetable_voice`.

Examples
--------
>>> from lemm.score.model import Note, Score, Track
>>> t = Track(name="p", role="keys", preset="organ", notes=(Note(60, 0, 240, 90),))
>>> audio, controls = render_instrument_track(t, Score(tracks=(t,)), sample_rate=16000, seed=0)
>>> audio.shape[0], audio.dtype.name, sorted(controls)[:3]
(2, 'float32', ['amplitude', 'brightness', 'f0_hz'])
"""

from __future__ import annotations

import math

import numpy as np
import torch

from lemm.render.controls import VoiceControls, note_voices, voice_end_sample
from lemm.render.presets import Preset, load_preset
from lemm.render.synth import filtered_noise, harmonic_synthesis, hop_samples, wavetable_voice
from lemm.render.timbre import harmonic_distribution, noise_band_gains, region_timbre
from lemm.score.model import Score, Track
from lemm.seeding import derive_seed

__all__ = ["TABLE_HOP_FRAMES", "copy_layout", "render_voice", "render_instrument_track", "track_controls"]

#: Wavetables are rebuilt every this many control frames (16 ms at 250 frames/s).
TABLE_HOP_FRAMES = 4

#: The attack noise burst is rendered for this many of its time constants.
_ATTACK_NOISE_SPAN = 8.0


def copy_layout(preset: Preset) -> tuple[tuple[float, ...], np.ndarray]:
    """Detune ratios of the preset's copies and their (left, right) gains [shape=(2, n_copies)].

    Copies spread evenly over ``-stereo_width..+stereo_width`` with a
    constant-power pan law (centre = 1 on both sides); gains are scaled by
    ``1 / sqrt(n_copies)`` so detuned copies sum to about the level of one.

    Examples
    --------
    >>> from lemm.render.presets import load_preset
    >>> ratios, gains = copy_layout(load_preset("flute"))
    >>> ratios, gains.round(3).tolist()
    ((1.0,), [[1.0], [1.0]])
    """
    cents = np.array(preset.detune_cents, dtype=np.float64)
    ratios = tuple(float(r) for r in 2.0 ** (cents / 1200.0))
    n = len(ratios)
    pans = np.linspace(-preset.stereo_width, preset.stereo_width, n) if n > 1 else np.zeros(1)
    theta = (pans + 1.0) * np.pi / 4.0
    gains = np.stack([np.cos(theta), np.sin(theta)]) * math.sqrt(2.0) / math.sqrt(n)
    return ratios, gains


def render_voice(
    voice: VoiceControls,
    preset: Preset,
    *,
    sample_rate: int,
    seed: int,
    device: str | torch.device = "cpu",
    differentiable: bool = False,
) -> torch.Tensor:
    """Audio of one voice [shape=(2, voice.n_samples)], float32, on ``device``.

    ``differentiable=True`` uses the direct sum of sines (autograd-friendly,
    memory ``n_samples * n_harmonics``); otherwise the fast wavetable path.
    Noise is drawn from a generator seeded with ``derive_seed(seed, "note", voice.index)``.
    """
    hop = hop_samples(sample_rate)
    n = voice.n_samples
    f0 = torch.as_tensor(voice.f0_hz, dtype=torch.float64, device=device)
    amp = torch.as_tensor(voice.amplitude, dtype=torch.float32, device=device)
    bright = torch.as_tensor(voice.brightness, dtype=torch.float32, device=device)
    age = torch.as_tensor(voice.age_seconds, dtype=torch.float32, device=device)
    base_np, band_db_np, noise_db = region_timbre(preset, voice.pitch, voice.velocity)
    base = torch.as_tensor(base_np, dtype=torch.float32, device=device)
    ratios, pan_gains = copy_layout(preset)
    gains = torch.as_tensor(pan_gains, dtype=torch.float32, device=device)
    phases = (0.0,) * len(ratios)  # copies start in phase (unison strings struck together), then drift apart
    if differentiable:
        dist = harmonic_distribution(preset, f0, bright, age, decay_rate=voice.decay_rate, base_amplitudes=base) * amp[:, None]
        copies = torch.stack(
            [harmonic_synthesis(f0 * r, dist, hop=hop, sample_rate=sample_rate, n_samples=n, initial_phase=ph) for r, ph in zip(ratios, phases)]
        )
    else:
        idx = torch.clamp(torch.arange(0, f0.shape[0] + TABLE_HOP_FRAMES, TABLE_HOP_FRAMES, device=device), max=f0.shape[0] - 1)
        idx = idx[: -(-(f0.shape[0] - 1) // TABLE_HOP_FRAMES) + 1]
        dist = harmonic_distribution(preset, f0[idx], bright[idx], age[idx], decay_rate=voice.decay_rate, base_amplitudes=base)
        copies = wavetable_voice(
            f0, amp, dist, hop=hop, table_hop_frames=TABLE_HOP_FRAMES, sample_rate=sample_rate, n_samples=n, detune_ratios=ratios, initial_phases=phases
        )
    out = gains @ copies
    if preset.uses_noise:
        generator = torch.Generator(device=device).manual_seed(derive_seed(seed, "note", voice.index))
        if preset.noise_level_db is not None:
            # voice.noise_amplitude carries preset.noise_level_db; regions shift it to their own level
            band_db = tuple(float(b) + noise_db - preset.noise_level_db for b in band_db_np)
            bands = noise_band_gains(band_db, torch.as_tensor(voice.noise_amplitude, device=device), bright)
            out = out + filtered_noise(bands, hop=hop, sample_rate=sample_rate, n_samples=n, generator=generator)
        if preset.attack_noise_db is not None:
            n_burst = min(n, int(_ATTACK_NOISE_SPAN * preset.attack_noise_ms / 1000.0 * sample_rate) + 2 * hop)
            n_frames = -(-n_burst // hop) + 1
            level = torch.as_tensor(voice.attack_noise_amplitude[:n_frames], device=device).clone()
            level[-1] = 0.0
            bands = noise_band_gains(preset.attack_noise_band_db, level, bright[:n_frames])
            burst = filtered_noise(bands, hop=hop, sample_rate=sample_rate, n_samples=n_burst, generator=generator)
            out[:, :n_burst] = out[:, :n_burst] + burst
    return out


def track_controls(voices: list[VoiceControls], *, sample_rate: int, n_samples: int) -> dict[str, np.ndarray]:
    """Track-level controls for plotting, one value per control frame (``hop_samples(sample_rate)``).

    Returns a dict with ``time_seconds``, ``f0_hz`` (of the loudest sounding
    voice, NaN when silent), ``amplitude`` (sum over voices), ``brightness``
    (level-weighted mean) and ``n_voices``, each [shape=(n_frames,)].
    """
    hop = hop_samples(sample_rate)
    n_frames = max(1, -(-n_samples // hop))
    total = np.zeros(n_frames)
    loudest = np.zeros(n_frames)
    f0 = np.full(n_frames, np.nan)
    bright_sum = np.zeros(n_frames)
    count = np.zeros(n_frames)
    for v in voices:
        first = int(round(v.start_sample / hop))
        if first >= n_frames:
            continue
        m = min(len(v.amplitude), n_frames - first)
        sl = slice(first, first + m)
        a = v.amplitude[:m]
        louder = a > loudest[sl]
        f0[sl] = np.where(louder, v.f0_hz[:m], f0[sl])
        loudest[sl] = np.maximum(loudest[sl], a)
        total[sl] += a
        bright_sum[sl] += a * v.brightness[:m]
        count[sl] += a > 0
    f0[loudest <= 0] = np.nan
    brightness = np.divide(bright_sum, total, out=np.full(n_frames, np.nan), where=total > 0)
    return {
        "time_seconds": np.arange(n_frames) * hop / sample_rate,
        "f0_hz": f0,
        "amplitude": total,
        "brightness": brightness,
        "n_voices": count,
    }


def render_instrument_track(
    track: Track,
    score: Score,
    *,
    sample_rate: int = 48000,
    seed: int = 0,
    device: str | torch.device = "cpu",
    n_samples: int | None = None,
    preset: Preset | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Dry stereo audio [shape=(2, n_samples)] float32 of a pitched track, and its controls.

    ``n_samples=None`` renders until the last voice's release ends; ``preset``
    replaces the one named by ``track.preset`` (e.g. a fitted timbre).
    """
    if preset is None:
        preset = load_preset(track.preset)
    voices = note_voices(track, score, preset, sample_rate=sample_rate)
    if n_samples is None:
        n_samples = max((voice_end_sample(v) for v in voices), default=0)
    buffer = torch.zeros(2, n_samples, dtype=torch.float32, device=device)
    with torch.no_grad():
        for v in voices:
            if v.start_sample >= n_samples:
                continue
            audio = render_voice(v, preset, sample_rate=sample_rate, seed=seed, device=device)
            stop = min(n_samples, v.start_sample + audio.shape[1])
            buffer[:, v.start_sample : stop] += audio[:, : stop - v.start_sample]
    return buffer.cpu().numpy(), track_controls(voices, sample_rate=sample_rate, n_samples=n_samples)
