"""A multi-zone sampler: pitched instruments played from recorded notes (``lemm/render/instruments/<name>/``).

An instrument folder holds ``instrument.json`` and mono FLAC notes (made by
``tools/extract_sampled_instruments.py`` from FluidR3_GM): one zone per root
key, one file per velocity layer in each zone. A note plays the zone nearest
its pitch (the sample read faster or slower, through the track's pitch bend
and vibrato curves, with 4-point cubic Hermite interpolation in torch), from the
layer nearest its velocity, its level following the instrument's measured
velocity curve (``velocity_halving_db`` between the layers' own levels), the
track's dynamics, markings and articulation (the expression of
:func:`lemm.render.controls.note_voices`), and ends with a ``release_ms``
fade after the note-off (or at the sample's own faded end; a sustained sound
loops a crossfaded stretch of its recording while the note lasts). **Round robin**: a
pitch struck again plays from the second-nearest zone when that one is within
:data:`ROUND_ROBIN_SEMITONES`, so repeated notes are not one recording looped.
Notes spread in stereo by pitch (:func:`lemm.render.instrument.pitch_pan`).

A track whose preset names a shipped instrument (:func:`list_sampled`) renders
here; the synth preset of the same name stays available to
:func:`lemm.render.render_track` through ``preset=load_preset(name)`` (and to
:func:`lemm.render.fit_preset`). No random numbers are drawn: the same score
gives the same samples.

Examples
--------
>>> list_sampled()
['acoustic_piano', 'electric_guitar', 'steel_guitar', 'synth_pad']
>>> inst = load_sampled("acoustic_piano")
>>> inst.roots[:3], inst.velocities
((24, 30, 36), (40, 80, 118))
>>> [zone_choice(inst.roots, 60, repeat) for repeat in (0, 1)]
[(6, 0.0), (6, 0.0)]
>>> [zone_choice(inst.roots, 62, repeat) for repeat in (0, 1)]
[(6, 2.0), (7, -4.0)]
>>> guitar = load_sampled("electric_guitar")  # FluidR3's zones: key 66 plays the recording at 69
>>> [zone_choice(guitar.roots, 66, repeat, key_ranges=guitar.key_ranges) for repeat in (0, 1)]
[(6, -3.0), (6, -3.0)]
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
from scipy.signal import resample_poly

from lemm.errors import FileFormatError, ParameterError
from lemm.render.controls import note_voices
from lemm.render.instrument import pitch_pan, track_controls
from lemm.render.presets import Preset
from lemm.render.synth import hop_samples
from lemm.score.model import Score, Track

__all__ = [
    "INSTRUMENTS_DIR",
    "ROUND_ROBIN_SEMITONES",
    "SampledInstrument",
    "list_sampled",
    "load_sampled",
    "render_sampled_span",
    "render_sampled_track",
    "zone_choice",
]  # fmt: skip

#: Folder holding one sub-folder per sampled instrument.
INSTRUMENTS_DIR = Path(__file__).parent / "instruments"
#: A repeated pitch may play from the second-nearest zone when it is at most this far (semitones).
ROUND_ROBIN_SEMITONES = 4.0
_ATTACK_SECONDS = 0.001


@dataclass(frozen=True)
class SampledInstrument:
    """The index of one sampled instrument (``instrument.json``).

    Attributes
    ----------
    name : str
    sample_rate : int
        Hz of the stored files.
    roots : tuple of int
        Root MIDI key of each zone, ascending.
    tune_cents : tuple of float
        How sharp each zone's recording is (measured by the extraction); playback corrects it.
    velocities : tuple of int
        Velocity each layer was recorded at, ascending.
    files : tuple of tuple of str
        [zone][layer] file names in the folder.
    loops : tuple of (tuple of int or None)
        Per zone: (start, end) sample of a sustained sound's loop at ``sample_rate``
        (the read wraps from ``end`` back to ``start`` while the note lasts), or None.
    release_ms : float
        Fade after the note-off.
    velocity_halving_db : float
        Level change per halving of velocity away from a layer's own velocity.
    gain_db : float
        Playback trim (puts a velocity-100 note at the synth preset's level).
    stereo_width : float
        0..1, notes spread by pitch.
    folder : Path
    key_ranges : tuple of (int, int)
        Per zone: the lowest and highest key it plays, as the source SoundFont's zones
        do (a key plays the zone whose range holds it, never a round-robin neighbour:
        each zone is another recording). Empty: the nearest root plays, with round robin.
    """

    name: str
    sample_rate: int
    roots: tuple[int, ...]
    tune_cents: tuple[float, ...]
    velocities: tuple[int, ...]
    files: tuple[tuple[str, ...], ...]
    loops: tuple[tuple[int, int] | None, ...]
    release_ms: float
    velocity_halving_db: float
    gain_db: float
    stereo_width: float
    folder: Path
    key_ranges: tuple[tuple[int, int], ...] = ()


def list_sampled() -> list[str]:
    """Names of the sampled instruments shipped (folders with an ``instrument.json``), sorted."""
    return sorted(p.parent.name for p in INSTRUMENTS_DIR.glob("*/instrument.json"))


@functools.cache
def load_sampled(name: str) -> SampledInstrument:
    """Read the index of the sampled instrument ``name``.

    Raises
    ------
    ParameterError
        If no sampled instrument has that name.
    FileFormatError
        If its ``instrument.json`` is unreadable or inconsistent.
    """
    known = list_sampled()
    if name not in known:
        raise ParameterError.for_field("sampled instrument", name, f"one of {', '.join(known)}")
    folder = INSTRUMENTS_DIR / name
    try:
        index = json.loads((folder / "instrument.json").read_text(encoding="utf-8"))
        inst = SampledInstrument(
            name=str(index["name"]),
            sample_rate=int(index["sample_rate"]),
            roots=tuple(int(z["root"]) for z in index["zones"]),
            tune_cents=tuple(float(z["tune_cents"]) for z in index["zones"]),
            velocities=tuple(int(v) for v in index["velocities"]),
            files=tuple(tuple(str(f) for f in z["files"]) for z in index["zones"]),
            loops=tuple((int(z["loop"][0]), int(z["loop"][1])) if "loop" in z else None for z in index["zones"]),
            release_ms=float(index["release_ms"]),
            velocity_halving_db=float(index["velocity_halving_db"]),
            gain_db=float(index["gain_db"]),
            stereo_width=float(index["stereo_width"]),
            folder=folder,
            key_ranges=tuple((int(z["keys"][0]), int(z["keys"][1])) for z in index["zones"]) if "keys" in index["zones"][0] else (),
        )
    except (OSError, KeyError, ValueError, TypeError) as err:
        raise FileFormatError(f"sampled instrument {name!r} in {folder} cannot be read: {err}") from err
    if list(inst.roots) != sorted(set(inst.roots)) or list(inst.velocities) != sorted(set(inst.velocities)):
        raise FileFormatError(f"{folder / 'instrument.json'}: zone roots and velocities must be ascending and distinct")
    if any(len(f) != len(inst.velocities) for f in inst.files) or not inst.roots:
        raise FileFormatError(f"{folder / 'instrument.json'}: every zone needs one file per velocity layer")
    if inst.key_ranges and not all(lo <= r <= hi for (lo, hi), r in zip(inst.key_ranges, inst.roots, strict=False)):
        raise FileFormatError(f"{folder / 'instrument.json'}: every zone needs 'keys' [low, high] that hold its root")
    return inst


@functools.lru_cache(maxsize=16)
def _zone_audio(name: str, sample_rate: int, device: str) -> tuple[tuple[torch.Tensor, ...], ...]:
    """[zone][layer] float32 tensors at ``sample_rate`` on ``device`` (polyphase-resampled once, cached)."""
    inst = load_sampled(name)
    g = math.gcd(inst.sample_rate, sample_rate)
    out = []
    for zone in inst.files:
        layers = []
        for file in zone:
            try:
                data, rate = sf.read(inst.folder / file, dtype="float64", always_2d=False)
            except (OSError, RuntimeError) as err:
                raise FileFormatError(f"sample {inst.folder / file} cannot be read: {err}") from err
            if rate != inst.sample_rate:
                raise FileFormatError(f"{inst.folder / file} has sample rate {rate}, instrument.json says {inst.sample_rate}")
            if sample_rate != inst.sample_rate:
                data = resample_poly(data, sample_rate // g, inst.sample_rate // g)
            layers.append(torch.as_tensor(np.ascontiguousarray(data, dtype=np.float32), device=device))
        out.append(tuple(layers))
    return tuple(out)


def zone_choice(roots: tuple[int, ...], pitch: float, repeat: int, *, key_ranges: tuple[tuple[int, int], ...] = ()) -> tuple[int, float]:
    """(zone index, semitones to shift its root) for ``pitch``; odd ``repeat`` counts take the round-robin zone.

    With ``key_ranges`` (one (low, high) key per zone) the zone whose range holds
    the rounded pitch plays, whatever ``repeat`` is; a key outside every range
    falls back to the nearest root. Otherwise the nearest root wins (the lower one
    on a tie); on an odd repeat the second-nearest is taken when it is at most
    :data:`ROUND_ROBIN_SEMITONES` away.
    """
    if key_ranges:
        key = round(pitch)
        inside = [i for i, (lo, hi) in enumerate(key_ranges) if lo <= key <= hi]
        if inside:
            return inside[0], float(pitch - roots[inside[0]])
        repeat = 0
    dist = np.abs(np.asarray(roots, dtype=np.float64) - pitch)
    order = np.argsort(dist, kind="stable")
    pick = int(order[0])
    if repeat % 2 == 1 and len(order) > 1 and dist[order[1]] <= ROUND_ROBIN_SEMITONES:
        pick = int(order[1])
    return pick, float(pitch - roots[pick])


def _layer(velocities: tuple[int, ...], velocity: int, halving_db: float) -> tuple[int, float]:
    """(layer index, linear gain) for ``velocity``: the nearest layer in log velocity, its level moved along the curve."""
    logs = np.log2(np.asarray(velocities, dtype=np.float64))
    i = int(np.argmin(np.abs(logs - math.log2(velocity))))
    return i, 10.0 ** (halving_db * (math.log2(velocity) - logs[i]) / 20.0)


def _wrap(pos: np.ndarray, loop: tuple[float, float] | None) -> np.ndarray:
    """Read positions with every one past the loop's end folded back into the loop (in place: ``pos`` is returned).

    The positions of a note never decrease (its read rate is >= 0), so the ones past the
    loop's end are a suffix, found by a binary search and folded alone.
    """
    if loop is None:
        return pos
    start, end = loop
    first = int(np.searchsorted(pos, end, side="left"))
    if first < pos.shape[0]:
        tail = pos[first:]
        tail -= start
        np.mod(tail, end - start, out=tail)
        tail += start
    return pos


def _frames_to_samples(values: np.ndarray, hop: int, n: int) -> np.ndarray:
    """``np.interp(arange(n), arange(len(values)) * hop, values)`` bit for bit, float64, without its per-sample search.

    Between frames ``j`` and ``j + 1`` the value is ``slope_j * k + values[j]`` (``k`` samples past
    frame ``j``, ``slope_j = (values[j + 1] - values[j]) / hop``): numpy's own formula; samples past
    the last frame hold its value.
    """
    values = np.asarray(values, dtype=np.float64)
    if values[0] != 0.0 and values.min() == values.max():  # a steady pitch: every slope is 0, every sample the value
        return np.full(n, values[0])
    n_blocks = min(values.shape[0] - 1, -(-n // hop))
    m = max(n_blocks, 0) * hop
    out = np.empty(max(n, m), dtype=np.float64)
    if n_blocks > 0:
        block = out[:m].reshape(n_blocks, hop)
        np.multiply.outer((values[1 : n_blocks + 1] - values[:n_blocks]) / float(hop), _sample_offsets(hop), out=block)
        block += values[:n_blocks, None]
    out[m:] = values[-1]
    return out[:n]


@functools.lru_cache(maxsize=8)
def _sample_offsets(hop: int) -> np.ndarray:
    return np.arange(hop, dtype=np.float64)


def _hermite(x: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
    """4-point cubic Hermite (Catmull-Rom) read of ``x`` at fractional positions ``pos`` (float64, >= 0); 0 past the end.

    The reference form of :func:`_hermite_read` (same values bit for bit: tested), and the read on a GPU.
    """
    xp = torch.nn.functional.pad(x, (1, 3))
    inside = pos < x.shape[0]
    pos = torch.where(inside, pos, torch.zeros_like(pos))
    i = torch.floor(pos).to(torch.int64)
    f = (pos - i).to(x.dtype)
    y0, y1, y2, y3 = xp[i], xp[i + 1], xp[i + 2], xp[i + 3]
    c1 = 0.5 * (y2 - y0)
    c2 = y0 - 2.5 * y1 + 2.0 * y2 - 0.5 * y3
    c3 = 0.5 * (y3 - y0) + 1.5 * (y1 - y2)
    return torch.where(inside, ((c3 * f + c2) * f + c1) * f + y1, torch.zeros_like(f))


def _hermite_rows(x: torch.Tensor) -> torch.Tensor:
    """[shape=(n + 1, 4)] float32: per point ``i`` of a recording ``x`` of ``n`` samples, ``(y1, c1, c2, c3)`` of its
    Catmull-Rom cubic to point ``i + 1`` (as :func:`_hermite` computes them), and a row of zeros past the end.

    Built once per (zone, layer) a track's slice plays (about 1 ms for a 3 s recording; not kept
    after the slice: four times the recording's memory), so a read costs one 16-byte gather
    per sample instead of four gathers and the coefficients' arithmetic.
    """
    n = x.shape[0]
    xp = torch.nn.functional.pad(x, (1, 3))
    y0, y1, y2, y3 = xp[:n], xp[1 : n + 1], xp[2 : n + 2], xp[3 : n + 3]
    rows = torch.zeros(n + 1, 4, dtype=x.dtype, device=x.device)
    rows[:n, 0] = y1
    rows[:n, 1] = 0.5 * (y2 - y0)
    rows[:n, 2] = y0 - 2.5 * y1 + 2.0 * y2 - 0.5 * y3
    rows[:n, 3] = 0.5 * (y3 - y0) + 1.5 * (y1 - y2)
    return rows


def _hermite_read(rows: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """:func:`_hermite` of the recording behind ``rows`` (:func:`_hermite_rows`, as numpy) at ``pos`` (float64, >= 0).

    The integer point is the truncated position (past the end: the zero row), the
    fraction ``pos - point`` in float64 cast to float32, as :func:`_hermite` takes them;
    the cubic is evaluated in the same order, one float32 product or sum at a time.
    """
    n = rows.shape[0] - 1
    point = pos.astype(np.int64)
    frac = (pos - point).astype(np.float32)
    np.minimum(point, n, out=point)
    q = rows.view(np.complex128).reshape(-1).take(point).view(np.float32).reshape(-1, 4)
    out = q[:, 3] * frac
    out += q[:, 2]
    out *= frac
    out += q[:, 1]
    out *= frac
    out += q[:, 0]
    return out


def _root_hz(inst: SampledInstrument, zone: int) -> float:
    """The frequency zone ``zone``'s recording sounds at."""
    return 440.0 * 2.0 ** ((inst.roots[zone] + inst.tune_cents[zone] / 100.0 - 69.0) / 12.0)


def _playback_preset(inst: SampledInstrument) -> Preset:
    """The envelope and level settings :func:`note_voices` needs: a flat sustain (the samples carry their own decay)."""
    return Preset(
        name=inst.name, description="sampled", harmonic_amplitudes=(1.0,), attack_ms=1.0, decay_ms=0.0, sustain_level=1.0,
        release_ms=inst.release_ms, velocity_halving_db=0.0, gain_db=inst.gain_db,
    )  # fmt: skip


def render_sampled_track(
    track: Track,
    score: Score,
    *,
    sample_rate: int = 48000,
    device: str | torch.device = "cpu",
    n_samples: int | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Dry stereo audio [shape=(2, n_samples)] float32 of a track played by the sampled instrument ``track.preset``, and its controls.

    ``n_samples=None`` renders until the last note's release (or sample) ends;
    a shorter ``n_samples`` gives a prefix of a longer render. The controls are
    those of :func:`lemm.render.instrument.track_controls`.

    Raises
    ------
    ParameterError
        If ``track.preset`` is not a sampled instrument.
    """
    voices, _, audio = _sampled_audio(track, score, sample_rate=sample_rate, device=device, n_samples=n_samples, trimmed=False)
    return audio, track_controls(voices, sample_rate=sample_rate, n_samples=audio.shape[1])


def render_sampled_span(
    track: Track, score: Score, *, sample_rate: int = 48000, device: str | torch.device = "cpu", n_samples: int,
) -> tuple[int, np.ndarray]:
    """:func:`render_sampled_track`'s stem where the track sounds: ``(start, audio)`` [shape=(2, m)] float32.

    ``audio`` equals ``render_sampled_track(...)[0][:, start : start + m]`` bit for bit, and that
    stem is zero outside it (the first onset to the end of the last note, within ``n_samples``);
    only the span is allocated (a slice of one section costs what its notes cost).
    """
    _, start, audio = _sampled_audio(track, score, sample_rate=sample_rate, device=device, n_samples=n_samples, trimmed=True)
    return start, audio


def _sampled_audio(
    track: Track, score: Score, *, sample_rate: int, device: str | torch.device, n_samples: int | None, trimmed: bool,
) -> tuple[list, int, np.ndarray]:
    """The voices, and the audio of song samples [lo, hi): all of [0, n_samples), or (``trimmed``) the voices' span."""
    inst = load_sampled(track.preset)
    voices = note_voices(track, score, _playback_preset(inst), sample_rate=sample_rate)
    dev = torch.device(device)
    zones = _zone_audio(inst.name, sample_rate, str(dev))
    hop = hop_samples(sample_rate)
    lengths = []
    choices = []
    repeats: dict[int, int] = {}
    for v in voices:
        count = repeats.get(v.pitch, 0)
        repeats[v.pitch] = count + 1
        z, _ = zone_choice(inst.roots, v.pitch, count, key_ranges=inst.key_ranges)
        layer, gain = _layer(inst.velocities, v.velocity, inst.velocity_halving_db)
        sample = zones[z][layer]
        # the read runs at most 2**(max shift / 12) as fast as the recording
        slowest = float(np.min(v.f0_hz)) / _root_hz(inst, z)
        if inst.loops[z] is not None:
            lengths.append(v.n_samples)  # a looped sound lasts as long as the note and its release
        else:
            lengths.append(min(v.n_samples, math.ceil(sample.shape[0] / slowest) + 1))  # the read runs past the recording's end
        choices.append((z, layer, gain))
    if n_samples is None:
        n_samples = max((v.start_sample + n for v, n in zip(voices, lengths, strict=True)), default=0)
    lo, hi = 0, n_samples
    if trimmed:
        sounding = [(v.start_sample, n) for v, n in zip(voices, lengths, strict=True) if v.start_sample < n_samples]
        lo = min((start for start, _ in sounding), default=0)
        hi = min(n_samples, max((start + n for start, n in sounding), default=0))
    buffer = torch.zeros(2, hi - lo, dtype=torch.float32, device=dev)
    n_attack = max(1, round(_ATTACK_SECONDS * sample_rate))
    rows: dict[tuple[int, int], np.ndarray] = {}  # the recordings' cubic coefficients, per (zone, layer) played
    with torch.no_grad():
        for v, n, (z, layer, gain) in zip(voices, lengths, choices, strict=True):
            if v.start_sample >= n_samples:
                continue
            n = min(n, n_samples - v.start_sample)
            rate = _frames_to_samples(v.f0_hz / _root_hz(inst, z), hop, n)
            pos = np.empty(n, dtype=np.float64)
            pos[0] = 0.0
            torch.cumsum(torch.from_numpy(rate[:-1]), 0, out=torch.from_numpy(pos[1:]))  # np.cumsum's sequential sum, faster
            if inst.loops[z] is not None:
                scale = sample_rate / inst.sample_rate
                pos = _wrap(pos, (inst.loops[z][0] * scale, min(inst.loops[z][1] * scale, zones[z][layer].shape[0] - 1)))
            amp = v.amplitude.copy()
            if len(amp) > 1:
                amp[0] = amp[1]  # the recording carries its own attack; only a 1 ms ramp is added
            env = _frames_to_samples(amp, hop, n)
            env *= gain
            env[:n_attack] *= np.arange(min(n_attack, n)) / n_attack
            theta = (pitch_pan(v.pitch, inst.stereo_width) + 1.0) * math.pi / 4.0
            lr = torch.tensor([math.cos(theta), math.sin(theta)], dtype=torch.float32) * math.sqrt(2.0)
            if dev.type == "cpu":  # numpy: its float32 arithmetic on the strided rows is faster than torch's
                if (z, layer) not in rows:
                    rows[(z, layer)] = _hermite_rows(zones[z][layer]).numpy()
                audio = _hermite_read(rows[(z, layer)], pos)
                audio *= env.astype(np.float32)
                for channel, target in enumerate(buffer.numpy()):  # a product, then a sum (no fused multiply-add)
                    target[v.start_sample - lo : v.start_sample - lo + n] += audio * lr.numpy()[channel]
            else:
                audio = _hermite(zones[z][layer], torch.as_tensor(pos, device=dev)) * torch.as_tensor(env, dtype=torch.float32, device=dev)
                buffer[:, v.start_sample - lo : v.start_sample - lo + n] += lr.to(dev)[:, None] * audio[None, :]
    return voices, lo, buffer.cpu().numpy()
