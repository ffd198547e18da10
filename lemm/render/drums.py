"""Drum kits synthesised from a few analog-style building blocks (torch, batched per voice).

Every voice is a sum of up to four parts, each with its own exponential decay:
a sine tone with a downward pitch sweep (plus an optional second tone), a
"metallic" cluster of inharmonic square-wave partials (the 808 hi-hat
recipe), band-passed white noise (optionally in a few quick bursts, for claps)
and a short high-passed click; the noise and metal may carry a second, faster
decay on top (``snap_db`` at the onset over the ring, time constant ``snap_s``:
an open hat's stick attack falls 6 dB in its first 40 ms, then rings). Hits are velocity-sensitive (level and
brightness) and every hit varies slightly (level, tuning, decay, noise) with a
deterministic seed derived from the track seed. An open hi-hat is choked by
the next closed or pedal hi-hat.

Kits
----
``synth_kit``: an analog drum machine (punchy swept kick, snappy snare, metallic hats).
``acoustic_kit``: sampled one-shots of FluidR3_GM's standard kit (MIT) with
three velocity layers, played by :mod:`lemm.render.sampler` from
``lemm/render/kits/acoustic_kit/``. Its synthesised parameters below (a
rounder, noisier tuning of the drum machine) stand in only if the sample files
are missing.

Examples
--------
>>> from lemm.score.model import Note, Score, Track
>>> t = Track(name="drums", role="drums", preset="synth_kit", is_drum=True, notes=(Note(36, 0, 120, 110), Note(42, 240, 120, 80)))
>>> audio, _ = render_drum_track(t, Score(tracks=(t,)), sample_rate=16000, seed=1)
>>> audio.shape[0], audio.dtype.name, voice_for_key(36), voice_for_key(52)
(2, 'float32', 'kick', 'ride')
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

from lemm.errors import ParameterError
from lemm.render.sampler import available_kits, kit_samples, render_sampled_hits
from lemm.score.model import Score, Track
from lemm.score.timing import ticks_to_seconds
from lemm.seeding import derive_seed, make_rng

__all__ = ["GM_DRUM_VOICES", "DRUM_KITS", "SAMPLED_KITS", "list_drum_kits", "voice_for_key", "render_drum_track"]

#: General MIDI percussion key -> kit voice.
GM_DRUM_VOICES = {
    35: "kick", 36: "kick", 37: "side_stick", 38: "snare", 39: "clap", 40: "snare",
    41: "tom_1", 42: "closed_hat", 43: "tom_2", 44: "pedal_hat", 45: "tom_3", 46: "open_hat",
    47: "tom_4", 48: "tom_5", 49: "crash", 50: "tom_6", 51: "ride", 53: "ride_bell",
    54: "tambourine", 55: "splash", 56: "cowbell", 57: "crash", 59: "ride",
}  # fmt: skip

_DEFAULTS = {
    "pan": 0.0, "gain_db": 0.0,
    "tone_db": -120.0, "tone_hz": 100.0, "sweep_ratio": 1.0, "sweep_s": 0.03, "tone_hold_s": 0.0, "tone_decay_s": 0.2,
    "tone2_db": -120.0, "tone2_hz": 200.0,
    "metal_db": -120.0, "metal_hz": 205.3, "noise_db": -120.0, "noise_decay_s": 0.1,
    "band_low_hz": 500.0, "band_high_hz": 12000.0, "bursts": 1, "burst_spacing_s": 0.01,
    "click_db": -120.0, "max_seconds": 3.0, "vel_sweep": 0.0, "vel_noise_db": 0.0, "vel_decay": 0.0, "band_order": 1,
    "snap_db": -120.0, "snap_s": 0.02,
}  # fmt: skip

_TOMS_HZ = (82.0, 98.0, 116.0, 138.0, 164.0, 196.0)
_TOM_PANS = (-0.45, -0.3, -0.1, 0.1, 0.25, 0.4)

_SYNTH_KIT = {
    "kick": dict(tone_db=0.0, tone_hz=50.0, sweep_ratio=3.2, sweep_s=0.028, tone_hold_s=0.03, tone_decay_s=0.05, tone2_db=-14.0, tone2_hz=100.0, click_db=-14.0, noise_db=-30.0, noise_decay_s=0.015, band_low_hz=1000.0, band_high_hz=8000.0, vel_sweep=0.8, vel_decay=0.3, max_seconds=0.6),
    "snare": dict(tone_db=-6.0, tone_hz=185.0, sweep_ratio=1.4, sweep_s=0.012, tone_hold_s=0.004, tone_decay_s=0.035, tone2_db=-8.0, tone2_hz=330.0, noise_db=4.0, noise_decay_s=0.03, band_low_hz=2000.0, band_high_hz=9000.0, click_db=-18.0, vel_noise_db=6.0, vel_sweep=0.5, gain_db=3.0),
    "side_stick": dict(tone_db=-6.0, tone_hz=780.0, tone_decay_s=0.03, tone2_db=-10.0, tone2_hz=1650.0, noise_db=-4.0, noise_decay_s=0.03, band_low_hz=400.0, band_high_hz=4000.0, gain_db=-6.0),
    "clap": dict(noise_db=0.0, noise_decay_s=0.05, band_low_hz=600.0, band_high_hz=3200.0, bursts=4, burst_spacing_s=0.011, gain_db=10.0),
    "closed_hat": dict(band_order=2, metal_db=-3.0, noise_db=-6.0, noise_decay_s=0.02, band_low_hz=5000.0, band_high_hz=16000.0, pan=0.3, gain_db=10.0, max_seconds=0.3, vel_noise_db=4.0),
    "pedal_hat": dict(band_order=2, metal_db=-3.0, noise_db=-8.0, noise_decay_s=0.045, band_low_hz=7000.0, band_high_hz=14000.0, pan=0.3, gain_db=2.0, max_seconds=0.4, vel_noise_db=4.0),
    "open_hat": dict(band_order=2, metal_db=-3.0, noise_db=-6.0, noise_decay_s=0.15, snap_db=0.0, snap_s=0.03, band_low_hz=4500.0, band_high_hz=12000.0, pan=0.3, gain_db=0.0, vel_noise_db=4.0),
    "crash": dict(metal_db=-6.0, noise_db=0.0, noise_decay_s=1.2, band_low_hz=3500.0, band_high_hz=16000.0, metal_hz=260.0, pan=-0.4, gain_db=-10.0, max_seconds=5.0),
    "splash": dict(metal_db=-6.0, noise_db=0.0, noise_decay_s=0.45, band_low_hz=4500.0, band_high_hz=16000.0, metal_hz=300.0, pan=0.25, gain_db=-10.0),
    "ride": dict(metal_db=0.0, noise_db=-8.0, noise_decay_s=0.45, band_low_hz=5000.0, band_high_hz=14000.0, metal_hz=330.0, click_db=-16.0, pan=0.45, gain_db=-2.0, max_seconds=3.0),
    "ride_bell": dict(tone_db=-4.0, tone_hz=620.0, tone_decay_s=0.7, tone2_db=-8.0, tone2_hz=1490.0, metal_db=-4.0, noise_db=-14.0, noise_decay_s=0.8, band_low_hz=2500.0, band_high_hz=12000.0, metal_hz=330.0, pan=0.45, gain_db=-10.0),
    "tambourine": dict(metal_db=-6.0, metal_hz=560.0, noise_db=0.0, noise_decay_s=0.07, band_low_hz=6000.0, band_high_hz=15000.0, bursts=2, burst_spacing_s=0.018, pan=0.5, gain_db=0.0),
    "cowbell": dict(tone_db=0.0, tone_hz=540.0, tone_decay_s=0.22, tone2_db=-2.0, tone2_hz=800.0, click_db=-20.0, pan=-0.2, gain_db=-10.0),
}  # fmt: skip
for _i, (_hz, _pan) in enumerate(zip(_TOMS_HZ, _TOM_PANS, strict=True)):
    _SYNTH_KIT[f"tom_{_i + 1}"] = dict(tone_db=0.0, tone_hz=_hz, sweep_ratio=1.5, sweep_s=0.05, tone_decay_s=0.11, noise_db=-20.0, noise_decay_s=0.06, band_low_hz=300.0, band_high_hz=4000.0, click_db=-22.0, pan=_pan, gain_db=-3.0)

_ACOUSTIC_OVERRIDES = {
    "kick": dict(tone_hz=58.0, sweep_ratio=1.8, sweep_s=0.02, tone_hold_s=0.02, tone_decay_s=0.055, click_db=-10.0, noise_db=-16.0, noise_decay_s=0.03, band_low_hz=200.0, band_high_hz=4000.0),
    "snare": dict(tone_hz=205.0, tone_decay_s=0.07, noise_decay_s=0.22, band_low_hz=1000.0, band_high_hz=12000.0, click_db=-14.0),
    "closed_hat": dict(metal_db=-10.0, noise_db=0.0, noise_decay_s=0.045, band_low_hz=6000.0),
    "pedal_hat": dict(metal_db=-10.0, noise_db=0.0, noise_decay_s=0.05, band_low_hz=5000.0),
    "open_hat": dict(metal_db=-10.0, noise_db=0.0, noise_decay_s=0.55, band_low_hz=5500.0),
    "crash": dict(metal_db=-12.0, noise_decay_s=1.8, band_low_hz=2500.0),
    "ride": dict(metal_db=-4.0, noise_db=-4.0, noise_decay_s=2.2),
}  # fmt: skip

#: Level trims (dB) balancing the voices at velocity 100: kick peaks near -6 dBFS, hats near -18.
_TRIM_DB = {
    "kick": -5.0, "side_stick": -6.0, "snare": -11.0, "clap": -5.0, "closed_hat": -4.5, "pedal_hat": -3.0, "open_hat": -2.0,
    "crash": -10.0, "ride": -9.0, "ride_bell": -10.0, "tambourine": -8.0, "splash": -9.0, "cowbell": -7.0,
    **{f"tom_{i}": -5.0 for i in range(1, 7)},
}  # fmt: skip
_ACOUSTIC_TRIM_DB = {"snare": -2.5, "closed_hat": -9.0, "pedal_hat": -9.5, "open_hat": -8.5}
#: Level trims (dB) of the sampled kits' voices over the SoundFont's own balance: hats a little forward of the wash
#: (rock, seed 1: 6.8 dB over it, FluidR3 5.1, MuseScore General 10.3; +5 dB gave 9.1 but put the kit as far from the
#: standard kit as the other GM kits are, distance ratio 0.78 / 0.75 against 0.61 / 0.66 now).
_SAMPLED_TRIM_DB = {"acoustic_kit": {"closed_hat": 2.0, "pedal_hat": 2.0, "open_hat": 1.0}}


def _kit(overrides: dict, extra_trim_db: dict) -> dict[str, dict[str, float]]:
    kit = {}
    for voice, params in _SYNTH_KIT.items():
        p = {**_DEFAULTS, **params, **overrides.get(voice, {})}
        p["gain_db"] += _TRIM_DB[voice] + extra_trim_db.get(voice, 0.0)
        kit[voice] = p
    return kit


#: Kit name -> voice name -> synthesis parameters (every key of the defaults filled in).
DRUM_KITS: dict[str, dict[str, dict[str, float]]] = {
    "synth_kit": _kit({}, {}),
    "acoustic_kit": _kit(_ACOUSTIC_OVERRIDES, _ACOUSTIC_TRIM_DB),
}
for _v in DRUM_KITS["acoustic_kit"]:
    if _v.startswith("tom_"):
        DRUM_KITS["acoustic_kit"][_v].update(tone_hz=DRUM_KITS["acoustic_kit"][_v]["tone_hz"] * 1.15, tone_decay_s=0.45, sweep_ratio=1.2, noise_db=-14.0)

#: Kits played from samples when their files are present (see :mod:`lemm.render.sampler`).
SAMPLED_KITS = frozenset({"acoustic_kit"})

#: Frequency ratios of the six square waves in the metallic cluster (TR-808 hat oscillators / 205.3 Hz).
_METAL_RATIOS = (1.0, 1.4827, 1.8003, 2.5460, 2.6303, 3.8967)
_ATTACK_SECONDS = 0.0007
_CHOKE_FADE_SECONDS = 0.008
#: Hits rendered in one batch; small batches keep each [batch, n] tensor cache-sized, which lets two
#: render threads scale (with 32, two threads ran slower than one).
_GROUP = 8
#: A hit lasts this many of its longest decay time constants (-52 dB), then fades.
_DECAY_SPAN = 6.0


def list_drum_kits() -> list[str]:
    """Names of the drum kits, sorted."""
    return sorted(DRUM_KITS)


def voice_for_key(key: int) -> str:
    """Kit voice for a GM percussion key; other keys map to the nearest mapped key (ties: lower)."""
    if isinstance(key, bool) or not isinstance(key, (int, np.integer)) or not 0 <= key <= 127:
        raise ParameterError.for_field("drum key", key, "an integer MIDI key in 0..127")
    nearest = min(GM_DRUM_VOICES, key=lambda k: (abs(k - key), k))
    return GM_DRUM_VOICES[nearest]


def _bandpass(n_fft: int, sample_rate: int, low: float, high: torch.Tensor | float, device) -> torch.Tensor:
    f = torch.fft.rfftfreq(n_fft, 1.0 / sample_rate, device=device).clamp(min=1.0)
    return 1.0 / torch.sqrt((1.0 + (low / f) ** 4) * (1.0 + (f / high) ** 4))


@functools.lru_cache(maxsize=64)
def _metal_source(metal_hz: float, n: int, sample_rate: int, low: float, high: float, device: str, order: int = 1) -> torch.Tensor:
    """The band-passed metallic cluster [shape=(n,)] (six square waves, odd harmonics 1, 3, 5), shared by all hits."""
    t = torch.arange(n, dtype=torch.float64, device=device) / sample_rate
    source = torch.zeros(n, dtype=torch.float64, device=device)
    for ratio in _METAL_RATIOS:
        for harmonic in (1, 3, 5):
            fh = metal_hz * ratio * harmonic
            if fh < sample_rate / 2.0:
                source += 1.5 / harmonic * torch.sin(2.0 * math.pi * (torch.remainder(fh * t, 1.0) + ratio * 0.37 * harmonic))
    n_fft = 1 << max(8, math.ceil(math.log2(n)))
    return torch.fft.irfft(torch.fft.rfft(source.float(), n_fft) * _bandpass(n_fft, sample_rate, low, high, device) ** order, n_fft)[:n]


def _hits_audio(p: dict, velocity: np.ndarray, variation: np.ndarray, cut: np.ndarray, n: int, sample_rate: int, generator: torch.Generator, device) -> torch.Tensor:
    """Audio [shape=(n_hits, n)] of hits of one voice; ``variation`` [n_hits, 4] in -1..1, ``cut`` samples (choke)."""
    b = len(velocity)
    f32 = torch.float32
    t = (torch.arange(n, device=device, dtype=f32) / sample_rate)[None, :]
    vel = torch.as_tensor(velocity / 127.0, device=device, dtype=f32)[:, None]
    var = torch.as_tensor(variation, device=device, dtype=f32)
    tune = 1.0 + 0.006 * var[:, :1]
    decay = 1.0 + 0.04 * var[:, 1:2]
    gain = 10.0 ** ((p["gain_db"] + 0.6 * var[:, 2:3]) / 20.0) * vel**1.6
    out = torch.zeros(b, n, device=device, dtype=f32)
    nyquist = sample_rate / 2.0
    # velocity layers: a harder hit starts higher, rings a little longer and has more noise (snare wires, hat sizzle)
    sweep = 1.0 + (p["sweep_ratio"] - 1.0) * torch.clamp(1.0 + p["vel_sweep"] * (vel - 0.8), min=0.2)
    tone_decay = p["tone_decay_s"] * decay * (1.0 + p["vel_decay"] * (vel - 0.8))
    tone_env = bend = None  # made once, and only for a voice with a tone
    for level_key, hz in (("tone_db", p["tone_hz"]), ("tone2_db", p["tone2_hz"])):
        if p[level_key] <= -100.0:
            continue
        if tone_env is None:
            tone_env = torch.exp(-torch.clamp(t - p["tone_hold_s"], min=0.0) / tone_decay)
            bend = 1.0 + (sweep - 1.0) * torch.exp(-t / p["sweep_s"])
        f = (hz * tune) * bend
        inc = f.double() / sample_rate
        phase = torch.cumsum(inc, dim=1) - inc
        tone = torch.sin(2.0 * math.pi * (phase - torch.floor(phase)).float()) * (f < nyquist)
        out += tone.mul_(10.0 ** (p[level_key] / 20.0)).mul_(tone_env)  # in place: the same products in the same order
    n_fft = 1 << max(8, math.ceil(math.log2(n)))
    if p["noise_db"] > -100.0 or p["metal_db"] > -100.0:
        shaped = torch.zeros(b, n, device=device, dtype=f32)
        if p["noise_db"] > -100.0:
            noise = torch.randn(b, n, generator=generator, device=device, dtype=f32)
            band = _bandpass(n_fft, sample_rate, p["band_low_hz"], p["band_high_hz"] * (0.6 + 0.4 * vel), device) ** p["band_order"]
            spectrum = torch.fft.rfft(noise, n_fft)
            shaped += torch.fft.irfft(spectrum.mul_(band), n_fft)[:, :n].mul_(10.0 ** (p["noise_db"] / 20.0))
        if p["metal_db"] > -100.0:
            metal = _metal_source(p["metal_hz"], n, sample_rate, p["band_low_hz"], p["band_high_hz"], str(device), p["band_order"])
            shaped += 10.0 ** (p["metal_db"] / 20.0) * metal[None, :]
        env = torch.exp(-t / (p["noise_decay_s"] * decay))
        if p["snap_db"] > -100.0:  # a second, faster decay on top: the stick's snap before the ring
            env = env * (1.0 + 10.0 ** (p["snap_db"] / 20.0) * torch.exp(-t / p["snap_s"]))
        if p["bursts"] > 1:
            spacing = p["burst_spacing_s"]
            k = torch.clamp(torch.floor(t / spacing), max=p["bursts"] - 1)
            env = torch.where(t < spacing * p["bursts"], torch.exp(-(t - k * spacing) / (spacing / 3.0)), env * 0.8)
        out += shaped.mul_(env).mul_(10.0 ** (p["vel_noise_db"] * (vel - 0.8) / 20.0))
    if p["click_db"] > -100.0:
        n_click = min(n, int(0.02 * sample_rate))
        n_fft_click = 1 << max(8, math.ceil(math.log2(n_click)))
        click = torch.randn(b, n_click, generator=generator, device=device, dtype=f32)
        click = torch.fft.irfft(torch.fft.rfft(click, n_fft_click) * _bandpass(n_fft_click, sample_rate, 2000.0, nyquist * 0.9, device), n_fft_click)[:, :n_click]
        out[:, :n_click] += 10.0 ** (p["click_db"] / 20.0) * vel * click * torch.exp(-t[:, :n_click] / 0.0025)
    samples = torch.arange(n, device=device, dtype=f32)[None, :]
    fade_len = max(1.0, 0.1 * n)
    env_edges = torch.clamp(t / _ATTACK_SECONDS, max=1.0) * torch.clamp((n - 1 - samples) / fade_len, 0.0, 1.0)
    if np.any(cut < n):
        cut_t = torch.as_tensor(cut, device=device, dtype=f32)[:, None]
        choke_fade = max(1.0, _CHOKE_FADE_SECONDS * sample_rate)
        env_edges = env_edges * torch.clamp((cut_t + choke_fade - samples) / choke_fade, 0.0, 1.0)
    return out.mul_(env_edges).mul_(gain)


def _voice_length(p: dict, sample_rate: int) -> int:
    tone = p["tone_decay_s"] + p["tone_hold_s"] / _DECAY_SPAN if p["tone_db"] > -100 else 0.0
    longest = max(tone, p["noise_decay_s"] if max(p["noise_db"], p["metal_db"]) > -100 else 0.0, 0.01)
    return int(min(p["max_seconds"], _DECAY_SPAN * longest + 0.01 + p["bursts"] * p["burst_spacing_s"]) * sample_rate)


def render_drum_track(
    track: Track,
    score: Score,
    *,
    sample_rate: int = 48000,
    seed: int = 0,
    device: str | torch.device = "cpu",
    n_samples: int | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Dry stereo audio [shape=(2, n_samples)] float32 of a drum track and its controls.

    Parameters
    ----------
    track : Track
        Notes are GM percussion keys; ``track.preset`` names a kit (see :func:`list_drum_kits`).
    score : Score
    sample_rate, seed, device, n_samples
        As :func:`lemm.render.render_track`; ``n_samples=None`` ends with the last hit's tail.

    Returns
    -------
    audio : np.ndarray [shape=(2, n_samples)], float32
    controls : dict
        ``time_seconds`` and ``amplitude`` (RMS per control frame of the mono sum),
        [shape=(n_frames,)].

    Raises
    ------
    ParameterError
        If the kit is unknown.
    """
    if track.preset not in DRUM_KITS:
        raise ParameterError.for_field("drum kit", track.preset, f"one of {', '.join(list_drum_kits())}")
    _, audio, n_samples = _drum_audio(track, score, sample_rate=sample_rate, seed=seed, device=device, n_samples=n_samples, trimmed=False)
    return _finish(audio, sample_rate, n_samples)


def render_drum_span(
    track: Track, score: Score, *, sample_rate: int = 48000, seed: int = 0, device: str | torch.device = "cpu", n_samples: int,
) -> tuple[int, np.ndarray]:
    """:func:`render_drum_track`'s audio where the track sounds, without the silence around it.

    Returns ``(start, audio)``: ``audio`` [shape=(2, m)] float32 equals
    ``render_drum_track(...)[0][:, start : start + m]`` bit for bit, and the full
    render is zero outside that span (first hit to the end of the longest
    tail, within ``n_samples``). Only the span is allocated.
    """
    if track.preset not in DRUM_KITS:
        raise ParameterError.for_field("drum kit", track.preset, f"one of {', '.join(list_drum_kits())}")
    start, audio, _ = _drum_audio(track, score, sample_rate=sample_rate, seed=seed, device=device, n_samples=n_samples, trimmed=True)
    return start, audio


def _drum_audio(
    track: Track, score: Score, *, sample_rate: int, seed: int, device: str | torch.device, n_samples: int | None, trimmed: bool,
) -> tuple[int, np.ndarray, int]:
    """(lo, the audio of song samples [lo, hi), n_samples): all of [0, n_samples), or (``trimmed``) the hits' span."""
    kit = DRUM_KITS[track.preset]
    notes = track.notes
    starts = np.round(ticks_to_seconds(score, np.array([n.start_tick for n in notes], dtype=np.float64)) * sample_rate).astype(np.int64) if notes else np.zeros(0, np.int64)
    voices = [voice_for_key(n.pitch) for n in notes]
    sampled = track.preset in SAMPLED_KITS and track.preset in available_kits()
    if sampled:
        shots = kit_samples(track.preset, sample_rate)
        lengths = {v: max(len(x) for x in shots[v][1]) for v in set(voices)}
    else:
        lengths = {v: _voice_length(kit[v], sample_rate) for v in set(voices)}
    if n_samples is None:
        n_samples = int(max((s + lengths[v] for s, v in zip(starts, voices, strict=True)), default=0))
    chokers = np.array(sorted(s for s, v in zip(starts, voices, strict=True) if v in ("closed_hat", "pedal_hat")), dtype=np.int64)
    lo, hi = 0, n_samples
    if trimmed:
        sounding = [i for i in range(len(notes)) if starts[i] < n_samples]
        lo = int(min((starts[i] for i in sounding), default=0))
        hi = int(min(n_samples, max((starts[i] + lengths[voices[i]] for i in sounding), default=0)))
    if sampled:
        buffer = np.zeros((2, hi - lo), dtype=np.float32)
        _sampled_hits(track.preset, kit, notes, starts, voices, chokers, lengths, n_samples, sample_rate, seed, buffer, lo)
        return lo, buffer, n_samples
    buffer = torch.zeros(2, hi - lo, dtype=torch.float32, device=device)
    with torch.no_grad():
        for voice in sorted(set(voices)):
            p = kit[voice]
            idx = [i for i, v in enumerate(voices) if v == voice and starts[i] < n_samples]
            if not idx:
                continue
            n = lengths[voice]
            rng = make_rng(derive_seed(seed, "drum", voice))
            generator = torch.Generator(device=device).manual_seed(derive_seed(seed, "drum noise", voice))
            theta = (p["pan"] + 1.0) * math.pi / 4.0
            pan = torch.tensor([[math.cos(theta)], [math.sin(theta)]], device=device) * math.sqrt(2.0)
            for g in range(0, len(idx), _GROUP):
                group = idx[g : g + _GROUP]
                vel = np.array([notes[i].velocity for i in group], dtype=np.float64)
                variation = rng.uniform(-1.0, 1.0, size=(len(group), 4))
                cut = _choke_cuts(starts, group, chokers, n) if voice == "open_hat" else np.full(len(group), float(n + 1))
                hits = _hits_audio(p, vel, variation, cut, n, sample_rate, generator, device)
                for j, i in enumerate(group):
                    stop = min(hi, int(starts[i]) + n)
                    buffer[:, starts[i] - lo : stop - lo] += pan * hits[j, : stop - starts[i]]
    return lo, buffer.cpu().numpy(), n_samples


def _choke_cuts(starts: np.ndarray, group: list[int], chokers: np.ndarray, n: int) -> np.ndarray:
    """Samples after each onset in ``group`` where the next closed/pedal hat chokes it (``n + 1``: never)."""
    cut = np.full(len(group), float(n + 1))
    if chokers.size:
        for j, i in enumerate(group):
            later = chokers[np.searchsorted(chokers, starts[i], side="right") :]
            if later.size:
                cut[j] = min(cut[j], float(later[0] - starts[i]))
    return cut


def _sampled_hits(kit_name, kit, notes, starts, voices, chokers, lengths, n_samples, sample_rate, seed, buffer, lo) -> None:
    """Add the sampled hits into ``buffer``, which holds song samples from ``lo`` on."""
    for voice in sorted(set(voices)):
        idx = [i for i, v in enumerate(voices) if v == voice and starts[i] < n_samples]
        if not idx:
            continue
        cuts = _choke_cuts(starts, idx, chokers, lengths[voice]) if voice == "open_hat" else np.full(len(idx), float(lengths[voice] + 1))
        render_sampled_hits(
            kit_name, voice, starts[idx] - lo, np.array([notes[i].velocity for i in idx], dtype=np.float64), cuts,
            buffer=buffer, pan=float(kit[voice]["pan"]), sample_rate=sample_rate, seed=seed,
            gain_db=_SAMPLED_TRIM_DB.get(kit_name, {}).get(voice, 0.0),
        )  # fmt: skip


def _finish(audio: np.ndarray, sample_rate: int, n_samples: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    hop = max(1, round(sample_rate / 250.0))
    n_frames = max(1, -(-n_samples // hop))
    mono = np.zeros(n_frames * hop, dtype=np.float64)
    mono[:n_samples] = audio.mean(0)
    controls = {"time_seconds": np.arange(n_frames) * hop / sample_rate, "amplitude": np.sqrt((mono.reshape(n_frames, hop) ** 2).mean(1))}
    return audio, controls
