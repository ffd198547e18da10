"""A one-shot drum sampler: velocity layers from ``lemm/render/kits/<kit>/`` played at note onsets.

A kit folder holds ``kit.json`` (voices, their velocity layers and files,
the playback ``gain_db``) and mono FLAC one-shots (see
:mod:`lemm.render.extract_kit`). A hit plays the layer nearest its velocity
(see :func:`_layer_mix`: the level follows the layers' own peaks,
interpolated in dB over log velocity, so the SoundFont's velocity curve is kept),
varies its level by up to +-0.5 dB from the seed, ramps in over 1 ms, and is
panned like the synthesised kit. An open hi-hat is choked (8 ms fade) by the
next closed or pedal hi-hat. Samples are resampled to the render rate once
(polyphase, cached).

Examples
--------
>>> "acoustic_kit" in available_kits()
True
>>> shots = kit_samples("acoustic_kit", 16000)
>>> sorted(shots)[:3], len(shots["snare"][1])
(['clap', 'closed_hat', 'cowbell'], 3)
"""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from lemm.errors import FileFormatError
from lemm.seeding import derive_seed, make_rng

__all__ = ["KITS_DIR", "available_kits", "kit_samples", "render_sampled_hits"]

#: Folder holding one sub-folder per sampled kit.
KITS_DIR = Path(__file__).parent / "kits"
_ATTACK_SECONDS = 0.001
_CHOKE_FADE_SECONDS = 0.008
_VARIATION_DB = 0.5


def available_kits() -> list[str]:
    """Names of the sampled kits shipped (folders with a ``kit.json``), sorted."""
    return sorted(p.parent.name for p in KITS_DIR.glob("*/kit.json"))


@functools.lru_cache(maxsize=8)
def kit_samples(kit: str, sample_rate: int) -> dict[str, tuple[tuple[int, ...], tuple[np.ndarray, ...], float]]:
    """Voice -> (layer velocities, one-shots float32 at ``sample_rate``, playback gain) of a sampled kit.

    Raises
    ------
    FileFormatError
        If ``kit.json`` or a sample file is missing or unreadable.
    """
    folder = KITS_DIR / kit
    try:
        index = json.loads((folder / "kit.json").read_text(encoding="utf-8"))
        native = int(index["sample_rate"])
        gain = 10.0 ** (float(index["gain_db"]) / 20.0)
        out = {}
        g = math.gcd(native, sample_rate)
        for voice, entry in index["voices"].items():
            shots = []
            for name in entry["files"]:
                data, sr = sf.read(folder / name, dtype="float32", always_2d=False)
                if sr != native:
                    raise FileFormatError(f"{folder / name} has sample rate {sr}, kit.json says {native}")
                if sample_rate != native:
                    data = resample_poly(data.astype(np.float64), sample_rate // g, native // g).astype(np.float32)
                shots.append(np.ascontiguousarray(data, dtype=np.float32))
            out[voice] = (tuple(int(v) for v in entry["velocities"]), tuple(shots), gain)
    except (OSError, KeyError, ValueError, TypeError, RuntimeError) as err:
        raise FileFormatError(f"sampled kit {kit!r} in {folder} cannot be read: {err}") from err
    return out


def _layer_mix(velocities: tuple[int, ...], velocity: float, peaks: np.ndarray) -> list[tuple[int, float]]:
    """(layer index, gain) pairs for a hit at ``velocity``: the nearest layer in log velocity, at the level of the recordings' curve.

    The level follows the layers' own peaks (``peaks``, linear), interpolated
    in dB over log velocity and extrapolated with the slope of the nearest pair
    outside them. Layers are not crossfaded: two recordings of a hit summed
    cancel each other in some bands (12 dB holes measured between FluidR3's
    kick layers).
    """
    logs = np.log2(np.asarray(velocities, dtype=np.float64))
    lv = math.log2(max(float(velocity), 1.0))
    levels = 20.0 * np.log10(np.maximum(np.asarray(peaks, dtype=np.float64), 1e-9))
    nearest = int(np.argmin(np.abs(logs - lv)))
    if len(velocities) == 1:
        return [(0, float(velocity) / velocities[0])]
    hi = int(np.clip(np.searchsorted(logs, lv, side="right"), 1, len(logs) - 1))
    w = (lv - logs[hi - 1]) / (logs[hi] - logs[hi - 1])  # < 0 or > 1 outside the layers
    target_db = levels[hi - 1] + w * (levels[hi] - levels[hi - 1])
    return [(nearest, 10.0 ** ((target_db - levels[nearest]) / 20.0))]


def render_sampled_hits(
    kit: str,
    voice: str,
    starts: np.ndarray,
    velocities: np.ndarray,
    cuts: np.ndarray,
    *,
    buffer: np.ndarray,
    pan: float,
    sample_rate: int,
    seed: int,
    gain_db: float = 0.0,
) -> None:
    """Add the hits of one voice into ``buffer`` [shape=(2, n_samples)] in place.

    Parameters
    ----------
    kit, voice : str
    starts : np.ndarray [shape=(n_hits,)], int
        Onset sample of each hit.
    velocities : np.ndarray [shape=(n_hits,)]
        MIDI velocity 1..127.
    cuts : np.ndarray [shape=(n_hits,)]
        Samples after the onset where the hit is choked (>= its length: never).
    buffer : np.ndarray [shape=(2, n_samples)], float32
    pan : float
        -1 (left) .. 1 (right), constant-power.
    sample_rate, seed : int
    gain_db : float
        Level trim of this voice on top of the kit's playback gain.
    """
    layers, shots, gain = kit_samples(kit, sample_rate)[voice]
    rng = make_rng(derive_seed(seed, "sampled drum", voice))
    theta = (pan + 1.0) * math.pi / 4.0
    lr = np.array([math.cos(theta), math.sin(theta)], dtype=np.float32) * math.sqrt(2.0)
    n_total = buffer.shape[1]
    n_attack = max(1, round(_ATTACK_SECONDS * sample_rate))
    n_choke = max(1, round(_CHOKE_FADE_SECONDS * sample_rate))
    variation = rng.uniform(-_VARIATION_DB, _VARIATION_DB, size=len(starts))
    peaks = np.array([float(np.abs(shot).max()) for shot in shots])
    for start, vel, cut, var in zip(starts, velocities, cuts, variation, strict=True):
        mix = _layer_mix(layers, float(vel), peaks)
        n = max(len(shots[i]) for i, _ in mix)
        hit = np.zeros(n, dtype=np.float32)
        for i, w in mix:
            hit[: len(shots[i])] += np.float32(w) * shots[i]
        hit *= np.float32(gain * 10.0 ** ((var + gain_db) / 20.0))
        ramp = min(n_attack, n)
        hit[:ramp] *= np.arange(ramp, dtype=np.float32) / ramp
        if cut < n:
            c = int(cut)
            fade = np.clip((c + n_choke - np.arange(n)) / n_choke, 0.0, 1.0).astype(np.float32)
            hit *= fade
        stop = min(n_total, int(start) + n)
        if stop > start:
            buffer[:, int(start) : stop] += lr[:, None] * hit[None, : stop - int(start)]
