"""Render a pitched track note by note: controls -> harmonic + noise voice -> stereo buffer.

Each note is rendered over its own span (plus release) and added into the
track buffer, so no whole-song ``[n_samples, n_harmonics]`` tensor ever
exists; long notes are rendered in chunks by :func:`lemm.render.synth.wavetable_voice`.

For speed the track renderer works on groups of notes where it can: the
harmonic distributions and wavetables of up to 64 notes are built in one
call, the attack bursts are shaped in batches, and the sustained noise of all
notes is one noise per track whose band power is the sum of the notes' (the
sum of independent Gaussian noises; see :func:`_track_noise`), kept inside the
notes' spans. Render threads hand the GIL back and forth on every small torch
op, so fewer, larger ops are what lets two tracks render side by side.

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
from lemm.render.presets import HARMONIC_GROUP_STARTS, Preset, load_preset
from lemm.render.synth import (
    NOISE_BAND_CENTERS_HZ,
    _band_limited_tables,
    _shape_noise,
    _wavetable_voice,
    filtered_noise,
    harmonic_synthesis,
    hop_samples,
)
from lemm.render.timbre import (
    harmonic_distribution,
    harmonic_groups,
    keyframe_gains,
    noise_band_gains,
    region_partial_ratios,
    region_timbre,
)
from lemm.score.model import Score, Track
from lemm.seeding import derive_seed, make_rng

__all__ = ["TABLE_HOP_FRAMES", "copy_layout", "pitch_pan", "render_voice", "render_instrument_track", "track_controls"]

#: Wavetables are rebuilt every this many control frames (16 ms at 250 frames/s).
TABLE_HOP_FRAMES = 4

#: Voices whose harmonic distributions and wavetables are computed in one call: at most this many voices
_GROUP_VOICES = 64
#: ... and at most this many table frames (bounds the tables' memory: ~4 MB at 1024 points).
_GROUP_TABLES = 1024

#: The attack noise burst is rendered for this many of its time constants.
_ATTACK_NOISE_SPAN = 8.0


def pitch_pan(pitch: float, stereo_width: float) -> float:
    """Pan (-1 left .. +1 right) of a note of a single-copy polyphonic preset: a keyboard's or a section's image.

    Notes spread with pitch (``(pitch - 60) / 24``, clipped to +/-1, times
    ``stereo_width``), and the lowest octave narrows to the centre (pitch 36 and
    below sit in the middle) so the low end stays mono.

    Examples
    --------
    >>> [round(pitch_pan(p, 0.5), 3) for p in (30, 42, 60, 72, 96)]
    [0.0, -0.188, 0.0, 0.25, 0.5]
    """
    return float(stereo_width * np.clip((pitch - 60.0) / 24.0, -1.0, 1.0) * np.clip((pitch - 36.0) / 12.0, 0.0, 1.0)) + 0.0


def copy_layout(preset: Preset, *, pitch: float | None = None) -> tuple[tuple[float, ...], np.ndarray]:
    """Detune ratios of the preset's copies and their (left, right) gains [shape=(2, n_copies)].

    Copies spread evenly over ``-stereo_width..+stereo_width`` with a
    constant-power pan law (centre = 1 on both sides); gains are scaled by
    ``1 / sqrt(n_copies)`` so detuned copies sum to about the level of one.
    A single copy of a polyphonic preset is placed by its note's ``pitch``
    (:func:`pitch_pan`): the stereo image of a piano or a string section,
    with left and right the same signal at two levels, so the mono sum
    cannot cancel (detuned copies would beat). Monophonic presets, and
    ``pitch=None``, stay in the centre.

    Examples
    --------
    >>> from lemm.render.presets import load_preset
    >>> ratios, gains = copy_layout(load_preset("flute"))
    >>> ratios, gains.round(3).tolist()
    ((1.0,), [[1.0], [1.0]])
    >>> copy_layout(load_preset("organ"), pitch=84)[1].round(3).tolist()
    [[0.437], [1.345]]
    """
    cents = np.array(preset.detune_cents, dtype=np.float64)
    ratios = tuple(float(r) for r in 2.0 ** (cents / 1200.0))
    n = len(ratios)
    if n > 1:
        pans = np.linspace(-preset.stereo_width, preset.stereo_width, n)
    elif pitch is not None and not preset.monophonic:
        pans = np.array([pitch_pan(pitch, preset.stereo_width)])
    else:
        pans = np.zeros(1)
    theta = (pans + 1.0) * np.pi / 4.0
    gains = np.stack([np.cos(theta), np.sin(theta)]) * math.sqrt(2.0) / math.sqrt(n)
    return ratios, gains


#: Rates (Hz) of the three slow sinusoids a drift is made of (each drawn 0.7..1.3 times these).
_DRIFT_HZ = (0.13, 0.31, 0.57)
#: A drift reaches full depth this long after the onset (the attack keeps its measured shape).
_DRIFT_ONSET_SECONDS = 0.3


def _slow_drift(rng: np.random.Generator, t: np.ndarray, n_rows: int) -> np.ndarray:
    """[shape=(n_rows, len(t))] sums of three slow sinusoids of random rates and phases, unit RMS."""
    rates = rng.uniform(0.7, 1.3, size=(n_rows, 3, 1)) * np.array(_DRIFT_HZ)[None, :, None]
    phases = rng.uniform(0.0, 2.0 * np.pi, size=(n_rows, 3, 1))
    return math.sqrt(2.0 / 3.0) * np.sin(2.0 * np.pi * rates * t[None, None, :] + phases).sum(1)


def _max_drift_ratio(preset: Preset) -> float:
    """Upper bound of :func:`copy_f0_ratios` (table headroom)."""
    cents = 3.0 * math.sqrt(2.0 / 3.0) * preset.ensemble_drift_cents + 0.5 * preset.vibrato_depth_cents
    return 2.0 ** (cents / 1200.0) if len(preset.detune_cents) > 1 and preset.ensemble_drift_cents > 0.0 else 1.0


def copy_f0_ratios(voice: VoiceControls, preset: Preset, *, seed: int) -> np.ndarray | None:
    """Each copy's own pitch ratio per control frame [shape=(n_copies, n_frames)], float64, or None.

    For an ensemble (several ``detune_cents`` copies and ``ensemble_drift_cents`` > 0):
    every player wanders slowly (:func:`_slow_drift`, ``ensemble_drift_cents`` RMS) and
    adds half the preset's vibrato depth at its own rate (+-12%) and phase, on top of
    the voice's shared pitch. Seeded by ``derive_seed(seed, "ensemble", voice.index)``.
    """
    n = len(preset.detune_cents)
    if n < 2 or preset.ensemble_drift_cents <= 0.0:
        return None
    rng = make_rng(derive_seed(seed, "ensemble", voice.index))
    t = voice.age_seconds
    cents = preset.ensemble_drift_cents * _slow_drift(rng, t, n)
    if preset.vibrato_depth_cents > 0.0:
        rate = preset.vibrato_rate_hz * rng.uniform(0.88, 1.12, size=(n, 1))
        phase = rng.uniform(0.0, 2.0 * np.pi, size=(n, 1))
        onset = np.clip((t - preset.vibrato_delay_ms / 1000.0) / 0.3, 0.0, 1.0)
        cents = cents + 0.5 * preset.vibrato_depth_cents * onset * np.sin(2.0 * np.pi * rate * t + phase)
    return 2.0 ** (cents / 1200.0)


def timbre_drift_gains(voice: VoiceControls, preset: Preset, frames: np.ndarray, n_harmonics: int, *, seed: int) -> np.ndarray | None:
    """Linear gain per frame and harmonic [shape=(len(frames), n_harmonics)] of the slow spectral drift, or None.

    One slow drift (:func:`_slow_drift`, ``preset.timbre_drift_db`` RMS) per
    harmonic group of :data:`HARMONIC_GROUP_STARTS`, faded in over the first
    0.3 s; seeded by ``derive_seed(seed, "timbre drift", voice.index)``.
    """
    if preset.timbre_drift_db <= 0.0:
        return None
    rng = make_rng(derive_seed(seed, "timbre drift", voice.index))
    t = voice.age_seconds[frames]
    gain_db = preset.timbre_drift_db * _slow_drift(rng, t, len(HARMONIC_GROUP_STARTS)) * np.clip(t / _DRIFT_ONSET_SECONDS, 0.0, 1.0)
    return (10.0 ** (gain_db.T / 20.0))[:, harmonic_groups(n_harmonics)]  # per group, then spread: the same values, fewer powers


def _times(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    return b if a is None else a if b is None else a * b


def preset_phases(preset: Preset, device: str | torch.device = "cpu") -> torch.Tensor | None:
    """The preset's per-harmonic phase offsets as a float64 tensor, or None when it has none (all 0)."""
    return torch.tensor(preset.harmonic_phases, dtype=torch.float64, device=device) if preset.harmonic_phases else None


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
    return _render_voice(voice, preset, sample_rate=sample_rate, seed=seed, device=device, differentiable=differentiable)


def _groups(voices: list[VoiceControls]) -> list[list[VoiceControls]]:
    """Consecutive runs of voices of at most ``_GROUP_VOICES`` voices and (unless a single voice) ``_GROUP_TABLES`` table frames."""
    groups: list[list[VoiceControls]] = []
    count = 0
    for v in voices:
        n_tables = len(v.f0_hz) // TABLE_HOP_FRAMES + 2
        if not groups or len(groups[-1]) >= _GROUP_VOICES or count + n_tables > _GROUP_TABLES:
            groups.append([])
            count = 0
        groups[-1].append(v)
        count += n_tables
    return groups


def _table_frames(n_frames: int) -> np.ndarray:
    """Control frames at which the wavetables of a voice of ``n_frames`` frames are built."""
    idx = np.minimum(np.arange(0, n_frames + TABLE_HOP_FRAMES, TABLE_HOP_FRAMES), n_frames - 1)
    return idx[: -(-(n_frames - 1) // TABLE_HOP_FRAMES) + 1]


def _group_tables(
    voices: list[VoiceControls], preset: Preset, timbres: dict, *, sample_rate: int, device, seed: int = 0
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Harmonic distributions and band-limited wavetables at the table frames of several voices.

    One :func:`harmonic_distribution` and one table build for the group (fewer,
    larger torch ops: small ops hand the GIL back and forth between render threads).
    Returns (distribution [n_tables, n_harmonics], tables [n_tables, size + 1]) per voice.
    """
    idxs = [_table_frames(len(v.f0_hz)) for v in voices]
    lengths = [len(i) for i in idxs]
    div = float(preset.partial_divisor)
    f0 = torch.as_tensor(np.concatenate([v.f0_hz[i] for v, i in zip(voices, idxs, strict=True)]) / div, dtype=torch.float64, device=device)
    bright = torch.as_tensor(np.concatenate([v.brightness[i] for v, i in zip(voices, idxs, strict=True)]), dtype=torch.float32, device=device)
    age = torch.as_tensor(np.concatenate([v.age_seconds[i] for v, i in zip(voices, idxs, strict=True)]), dtype=torch.float32, device=device)
    bases = [timbres[(v.pitch, v.velocity)][0] for v in voices]
    base_np = np.concatenate([np.broadcast_to(b, (m, len(b))) for b, m in zip(bases, lengths, strict=True)])
    base = torch.as_tensor(base_np, dtype=torch.float32, device=device)
    decay = torch.as_tensor(np.repeat([v.decay_rate for v in voices], lengths), dtype=torch.float32, device=device)
    gains = None
    if preset.timbre_drift_db > 0.0 or any(timbres[(v.pitch, v.velocity)][3] is not None for v in voices):
        n_harm = base_np.shape[1]
        rows = [
            _times(
                keyframe_gains(timbres[(v.pitch, v.velocity)][3], v.age_seconds[i], n_harm),
                timbre_drift_gains(v, preset, i, n_harm, seed=seed),
            )
            for v, i in zip(voices, idxs, strict=True)
        ]
        rows = [np.ones((len(i), n_harm)) if r is None else r for r, i in zip(rows, idxs, strict=True)]
        gains = torch.as_tensor(np.concatenate(rows), dtype=torch.float32, device=device)
    dist = harmonic_distribution(preset, f0, bright, age, decay_rate=decay, base_amplitudes=base, harmonic_gains=gains)
    # highest f0 each table is heard at: frames within one table hop either side (as wavetable_voice)
    f0_max = []
    for v, i in zip(voices, idxs, strict=True):
        padded = np.pad(v.f0_hz.astype(np.float32), TABLE_HOP_FRAMES, constant_values=-np.inf)
        f0_max.append(np.lib.stride_tricks.sliding_window_view(padded, 2 * TABLE_HOP_FRAMES + 1).max(1)[i] / np.float32(div))
    ratios, _ = copy_layout(preset)
    f0_max_hz = torch.as_tensor(np.concatenate(f0_max), device=device)
    inharmonic = [_inharmonic_slots(preset, v, dist.shape[1]) for v in voices]
    in_tables = dist
    if any(slots is not None for slots in inharmonic):  # inharmonic partials are not in the tables (see _inharmonic_partials)
        in_tables = dist.clone()
        for rows, slots in zip(torch.split(in_tables, lengths), inharmonic, strict=True):
            if slots is not None:
                rows[:, torch.as_tensor(slots[0], device=device)] = 0.0
    tables = _band_limited_tables(
        f0_max_hz, in_tables, sample_rate=sample_rate, max_ratio=max(ratios) * _max_drift_ratio(preset),
        harmonic_phases=preset_phases(preset, device),
    )  # fmt: skip
    return list(zip(torch.split(dist, lengths), torch.split(tables, lengths), strict=True))


def _inharmonic_slots(preset: Preset, voice: VoiceControls, n_harmonics: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(indices, frequency ratios) of the voice's partials that are not at whole multiples of f0, or None."""
    ratios = region_partial_ratios(preset, voice.pitch, voice.velocity, n_harmonics)
    if ratios is None:
        return None
    off = np.nonzero(np.abs(ratios - np.arange(1, n_harmonics + 1)) > 1e-9)[0]
    return (off, ratios[off]) if off.size else None


def _inharmonic_partials(
    slots: tuple[np.ndarray, np.ndarray], dist: torch.Tensor, f0: torch.Tensor, amp: np.ndarray, *, sample_rate: int, n_samples: int,
    ratios: tuple[float, ...], phases: tuple[float, ...], drift: torch.Tensor | None, waveform: torch.Tensor | None,
) -> torch.Tensor:
    """The partials at ``slots`` (off the wavetables' harmonic series) as sines, one row per copy [shape=(n_copies, n_samples)].

    ``dist`` holds the harmonic distribution at the table frames (:func:`_table_frames`,
    read at ``i * TABLE_HOP_FRAMES`` as the wavetables are), ``amp`` the voice's level per frame.
    """
    idx, slot_ratios = slots
    hop = hop_samples(sample_rate)
    n_frames = f0.shape[0]
    cols = dist[:, torch.as_tensor(idx, device=dist.device)].detach().cpu().numpy().astype(np.float64)
    at = np.arange(cols.shape[0]) * TABLE_HOP_FRAMES
    frames = np.arange(n_frames)
    per_frame = np.stack([np.interp(frames, at, cols[:, j]) for j in range(len(idx))], axis=1) * amp[:n_frames, None]
    amps = torch.as_tensor(per_frame, dtype=dist.dtype, device=dist.device)
    r = torch.as_tensor(slot_ratios, dtype=torch.float64, device=dist.device)
    psi = None
    if waveform is not None:
        full = torch.zeros(int(idx.max()) + 1, dtype=torch.float64, device=dist.device)
        m = min(full.shape[0], waveform.shape[0])
        full[:m] = waveform[:m].to(torch.float64)
        psi = full[torch.as_tensor(idx, device=dist.device)]
    return torch.stack([
        harmonic_synthesis(
            f0 * c_ratio * (1.0 if drift is None else drift[c]), amps, hop=hop, sample_rate=sample_rate, n_samples=n_samples,
            initial_phase=ph, harmonic_phases=psi, partial_ratios=r,
        )
        for c, (c_ratio, ph) in enumerate(zip(ratios, phases, strict=True))
    ])  # fmt: skip


def _attack_bursts(voices: list[VoiceControls], preset: Preset, *, sample_rate: int, seed: int, device) -> list[torch.Tensor]:
    """The attack noise bursts of ``voices`` (mono, [shape=(n_burst,)] each), shaped in batches of equal length.

    Same noise as :func:`render_voice` would use (each voice's generator,
    ``derive_seed(seed, "note", voice.index)``), one STFT per batch.
    """
    hop = hop_samples(sample_rate)
    span = int(_ATTACK_NOISE_SPAN * preset.attack_noise_ms / 1000.0 * sample_rate) + 2 * hop
    out: list[torch.Tensor | None] = [None] * len(voices)
    by_length: dict[int, list[int]] = {}
    for i, v in enumerate(voices):
        by_length.setdefault(min(v.n_samples, span), []).append(i)
    for n_burst, members in by_length.items():
        n_frames = -(-n_burst // hop) + 1
        n_noise = max(n_burst, 2 * hop)
        for b in range(0, len(members), 4 * _GROUP_VOICES):
            batch = members[b : b + 4 * _GROUP_VOICES]
            level = np.stack([voices[i].attack_noise_amplitude[:n_frames] for i in batch])
            level[:, -1] = 0.0
            bright = np.stack([voices[i].brightness[:n_frames] for i in batch])
            level_t = torch.as_tensor(level.reshape(-1), device=device)
            bands = noise_band_gains(preset.attack_noise_band_db, level_t, torch.as_tensor(bright.reshape(-1), device=device))
            generators = [torch.Generator(device=device).manual_seed(derive_seed(seed, "note", voices[i].index)) for i in batch]
            noise = torch.stack([torch.randn(n_noise, generator=g, device=device) for g in generators])
            shaped = _shape_noise(noise, bands.reshape(len(batch), n_frames, -1), hop=hop, sample_rate=sample_rate)[:, :n_burst]
            for j, i in enumerate(batch):
                out[i] = shaped[j]
    return out


def _sustained_noise_bands(
    voice: VoiceControls, preset: Preset, band_db_np: np.ndarray, noise_db: float, bright: torch.Tensor
) -> torch.Tensor:
    """Linear band gains [shape=(n_frames, n_bands)] of the voice's sustained noise."""
    # voice.noise_amplitude carries preset.noise_level_db; regions shift it to their own level
    band_db = tuple(float(b) + noise_db - preset.noise_level_db for b in band_db_np)
    return noise_band_gains(band_db, torch.as_tensor(voice.noise_amplitude, device=bright.device), bright)


def _render_voice(
    voice: VoiceControls,
    preset: Preset,
    *,
    sample_rate: int,
    seed: int,
    device: str | torch.device = "cpu",
    differentiable: bool = False,
    sustained_noise: bool = True,
    timbre: tuple[np.ndarray, np.ndarray, float, np.ndarray | None] | None = None,
    dist: torch.Tensor | None = None,
    tables: torch.Tensor | None = None,
    attack_noise: bool = True,
) -> torch.Tensor:
    """:func:`render_voice`; ``sustained_noise=False`` leaves out the sustained noise (the track
    renders it for all voices at once, see :func:`_track_noise`); ``timbre`` is ``region_timbre``'s
    result, ``dist`` and ``tables`` the harmonic distribution and wavetables at the table frames (see :func:`_group_tables`);
    ``attack_noise=False`` leaves out the attack burst (see :func:`_attack_bursts`)."""
    hop = hop_samples(sample_rate)
    n = voice.n_samples
    f0 = torch.as_tensor(voice.f0_hz / preset.partial_divisor, dtype=torch.float64, device=device)  # harmonic 1
    amp = torch.as_tensor(voice.amplitude, dtype=torch.float32, device=device)
    bright = torch.as_tensor(voice.brightness, dtype=torch.float32, device=device)
    age = torch.as_tensor(voice.age_seconds, dtype=torch.float32, device=device)
    base_np, band_db_np, noise_db, keys_db = timbre if timbre is not None else region_timbre(preset, voice.pitch, voice.velocity)
    base = torch.as_tensor(base_np, dtype=torch.float32, device=device)

    def gains_at(frames: np.ndarray) -> torch.Tensor | None:
        g = _times(
            keyframe_gains(keys_db, voice.age_seconds[frames], len(base_np)),
            timbre_drift_gains(voice, preset, frames, len(base_np), seed=seed),
        )
        return None if g is None else torch.as_tensor(g, dtype=torch.float32, device=device)

    ratios, pan_gains = copy_layout(preset, pitch=voice.pitch)
    gains = torch.as_tensor(pan_gains, dtype=torch.float32, device=device)
    phases = (0.0,) * len(ratios)  # copies start in phase (unison strings struck together), then drift apart
    waveform = preset_phases(preset, device)
    drift_np = copy_f0_ratios(voice, preset, seed=seed)
    drift = None if drift_np is None else torch.as_tensor(drift_np, dtype=torch.float64, device=device)
    slots = _inharmonic_slots(preset, voice, len(base_np))
    if differentiable:
        harmonic_gains = gains_at(np.arange(len(voice.f0_hz)))
        dist = harmonic_distribution(preset, f0, bright, age, decay_rate=voice.decay_rate, base_amplitudes=base, harmonic_gains=harmonic_gains)
        dist = dist * amp[:, None]
        partial_ratios = None
        if slots is not None:
            partial_ratios = torch.arange(1, dist.shape[1] + 1, dtype=torch.float64, device=device)
            partial_ratios[torch.as_tensor(slots[0], device=device)] = torch.as_tensor(slots[1], dtype=torch.float64, device=device)
        copies = torch.stack(
            [
                harmonic_synthesis(
                    f0 * r * (1.0 if drift is None else drift[c]), dist, hop=hop, sample_rate=sample_rate, n_samples=n, initial_phase=ph,
                    harmonic_phases=waveform, partial_ratios=partial_ratios,
                )  # fmt: skip
                for c, (r, ph) in enumerate(zip(ratios, phases, strict=True))
            ]
        )
    else:
        if dist is None:
            idx_np = _table_frames(f0.shape[0])
            idx = torch.as_tensor(idx_np, device=device)
            dist = harmonic_distribution(
                preset, f0[idx], bright[idx], age[idx], decay_rate=voice.decay_rate, base_amplitudes=base, harmonic_gains=gains_at(idx_np)
            )
        in_tables = dist
        if slots is not None and tables is None:
            in_tables = dist.clone()
            in_tables[:, torch.as_tensor(slots[0], device=device)] = 0.0
        # controls were checked finite by note_voices (f0 >= 0 by construction), so skip wavetable_voice's checks
        copies = _wavetable_voice(
            f0, amp, in_tables, hop=hop, table_hop_frames=TABLE_HOP_FRAMES, sample_rate=sample_rate, n_samples=n,
            detune_ratios=ratios, initial_phases=phases, tables=tables, harmonic_phases=waveform, copy_f0_ratios=drift,
        )  # fmt: skip
        if slots is not None:
            copies = copies + _inharmonic_partials(
                slots, dist, f0, voice.amplitude, sample_rate=sample_rate, n_samples=n, ratios=ratios, phases=phases, drift=drift, waveform=waveform,
            )  # fmt: skip
    out = gains[:, :1] * copies[0]  # pan the copies (elementwise: a BLAS call here scales badly across threads)
    for c in range(1, copies.shape[0]):
        out.addcmul_(gains[:, c : c + 1], copies[c])
    if (preset.noise_level_db is not None and sustained_noise) or (preset.attack_noise_db is not None and attack_noise):
        generator = torch.Generator(device=device).manual_seed(derive_seed(seed, "note", voice.index))
        if preset.noise_level_db is not None and sustained_noise:
            bands = _sustained_noise_bands(voice, preset, band_db_np, noise_db, bright)
            out = out + filtered_noise(bands, hop=hop, sample_rate=sample_rate, n_samples=n, generator=generator)
        if preset.attack_noise_db is not None and attack_noise:
            n_burst = min(n, int(_ATTACK_NOISE_SPAN * preset.attack_noise_ms / 1000.0 * sample_rate) + 2 * hop)
            n_frames = -(-n_burst // hop) + 1
            level = torch.as_tensor(voice.attack_noise_amplitude[:n_frames], device=device).clone()
            level[-1] = 0.0
            bands = noise_band_gains(preset.attack_noise_band_db, level, bright[:n_frames])
            burst = filtered_noise(bands, hop=hop, sample_rate=sample_rate, n_samples=n_burst, generator=generator)
            out[:, :n_burst] = out[:, :n_burst] + burst * gains.mean(1, keepdim=True)  # placed with the note
    return out


def _add_noise_power(power: np.ndarray, voices: list[VoiceControls], preset: Preset, timbres: dict, hop: int) -> None:
    """Add the sustained-noise band power of ``voices`` into ``power`` [shape=(n_frames, n_bands)] (frame ``k`` at ``k * hop``).

    A voice's frame ``j`` sits at ``start_sample + j * hop``; its power is linearly
    interpolated onto the track grid. Frames past the end of ``power`` are dropped.
    """
    lengths = [len(v.noise_amplitude) for v in voices]
    # voice.noise_amplitude carries preset.noise_level_db; regions shift it to their own level
    shifts = [timbres[(v.pitch, v.velocity)][1] + (timbres[(v.pitch, v.velocity)][2] - preset.noise_level_db) for v in voices]
    band_db = np.concatenate([np.broadcast_to(b, (m, power.shape[1])) for b, m in zip(shifts, lengths, strict=True)])
    level = torch.as_tensor(np.concatenate([v.noise_amplitude for v in voices]), dtype=torch.float32)
    bright = torch.as_tensor(np.concatenate([v.brightness for v in voices]), dtype=torch.float32)
    bands = noise_band_gains(torch.as_tensor(band_db, dtype=torch.float32), level, bright).square().numpy()
    first = 0
    for v, m in zip(voices, lengths, strict=True):
        p = bands[first : first + m]
        first += m
        base, rest = divmod(v.start_sample, hop)
        phi = rest / hop
        padded = np.zeros((m + 2, p.shape[1]), dtype=np.float32)
        padded[1:-1] = p
        on_grid = padded[:-1] * np.float32(phi) + padded[1:] * np.float32(1.0 - phi) if phi else padded[1:]
        k = min(on_grid.shape[0], power.shape[0] - base)
        if k > 0:
            power[base : base + k] += on_grid[:k]


def _track_noise(
    power: torch.Tensor, *, hop: int, sample_rate: int, n_samples: int, seed: int, chunk_frames: int = 2048, window: tuple[int, int] | None = None,
) -> torch.Tensor:
    """Noise [shape=(n_samples,)] with band power ``power`` [shape=(n_frames, n_bands)] (frame ``k`` at ``k * hop``).

    The voices' sustained noises are independent Gaussian noises, so their sum
    is Gaussian noise whose band power is the sum of theirs: one noise per
    track replaces one per voice. Rendered in chunks of ``chunk_frames``
    frames, each from its own generator (``derive_seed(seed, "sustained
    noise", chunk)``) and always at full length, so a shorter ``n_samples``
    gives a prefix of a longer render; chunks overlap by a few frames and are
    crossfaded with an equal-power (sine/cosine) law, which keeps the
    variance of independent noise constant across the seam. ``window`` ``(lo, hi)``
    returns samples [lo, hi) only (the same values; chunks outside it are skipped).
    """
    lo, hi = (0, n_samples) if window is None else window
    out = torch.zeros(hi - lo, dtype=torch.float32, device=power.device)
    if hi <= lo:
        return out
    gains = power.clamp(min=0.0).sqrt()
    length, margin = chunk_frames * hop, 4 * hop
    span = length + 2 * margin
    span_frames = span // hop + 1
    ramp = 0.5 * math.pi * (torch.arange(2 * margin, dtype=torch.float64, device=power.device) + 0.5) / (2 * margin)
    fade_in, fade_out = torch.sin(ramp).to(torch.float32), torch.cos(ramp).to(torch.float32)
    for i, c0 in enumerate(range(0, n_samples, length)):
        a = c0 - margin
        if a >= hi or a + span <= lo:
            continue  # the chunk lies outside the window
        g = torch.zeros(span_frames, gains.shape[1], dtype=gains.dtype, device=gains.device)
        first, last = max(0, a // hop), min(gains.shape[0], a // hop + span_frames)
        if last > first:
            g[first - a // hop : last - a // hop] = gains[first:last]
        if not bool((g > 0).any()):
            continue
        generator = torch.Generator(device=power.device).manual_seed(derive_seed(seed, "sustained noise", i))
        seg = filtered_noise(g, hop=hop, sample_rate=sample_rate, n_samples=span, generator=generator)
        if i > 0:
            seg[: 2 * margin] *= fade_in
        seg[-2 * margin :] *= fade_out
        first, last = max(a, lo), min(hi, a + span)
        out[first - lo : last - lo] += seg[first - a : last - a]
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
    replaces the one named by ``track.preset`` (e.g. a fitted timbre). The
    harmonic part equals the sum of :func:`render_voice` outputs to within
    about 1e-3 of the peak (tables of a group share one size); the noise is statistically the same but drawn per track
    (sustained noise, ``derive_seed(seed, "sustained noise", chunk)``) and per
    batch of attack bursts, so it is not sample-identical to that sum. A shorter
    ``n_samples`` gives a prefix of a longer render.
    """
    voices, _, audio = _instrument_audio(track, score, sample_rate=sample_rate, seed=seed, device=device, n_samples=n_samples,
                                         preset=preset, trimmed=False)
    return audio, track_controls(voices, sample_rate=sample_rate, n_samples=audio.shape[1])


def render_instrument_span(
    track: Track,
    score: Score,
    *,
    sample_rate: int = 48000,
    seed: int = 0,
    device: str | torch.device = "cpu",
    n_samples: int,
    preset: Preset | None = None,
) -> tuple[int, np.ndarray]:
    """:func:`render_instrument_track`'s audio where the track sounds, without the silence around it.

    Returns ``(start, audio)``: ``audio`` [shape=(2, m)] float32 equals
    ``render_instrument_track(...)[0][:, start : start + m]`` bit for bit, and the
    full render is zero outside that span (from the first voice's onset to the
    last voice's end, within ``n_samples``). Only the span is allocated and
    computed, so a short part of a long song costs what its notes cost.
    """
    _, start, audio = _instrument_audio(track, score, sample_rate=sample_rate, seed=seed, device=device, n_samples=n_samples,
                                        preset=preset, trimmed=True)
    return start, audio


def _span(voices: list[VoiceControls], n_samples: int) -> tuple[int, int]:
    """The samples [lo, hi) of ``voices`` within [0, n_samples) (the voices' own lengths hold all their audio)."""
    sounding = [v for v in voices if v.start_sample < n_samples]
    if not sounding:
        return 0, 0
    return min(v.start_sample for v in sounding), min(n_samples, max(voice_end_sample(v) for v in sounding))


def _instrument_audio(
    track: Track, score: Score, *, sample_rate: int, seed: int, device: str | torch.device, n_samples: int | None,
    preset: Preset | None, trimmed: bool,
) -> tuple[list[VoiceControls], int, np.ndarray]:
    """The voices, and the audio of song samples [lo, hi) with lo: all of [0, n_samples), or (``trimmed``) the voices' span."""
    if preset is None:
        preset = load_preset(track.preset)
    voices = note_voices(track, score, preset, sample_rate=sample_rate)
    if n_samples is None:
        n_samples = max((voice_end_sample(v) for v in voices), default=0)
    lo, hi = _span(voices, n_samples) if trimmed else (0, n_samples)
    buffer = torch.zeros(2, hi - lo, dtype=torch.float32, device=device)
    hop = hop_samples(sample_rate)
    power = None
    if preset.noise_level_db is not None:  # the sustained noise of all voices is rendered once per track
        natural = max((voice_end_sample(v) for v in voices), default=0)
        power = np.zeros((natural // hop + 2, len(NOISE_BAND_CENTERS_HZ)), dtype=np.float32)
    timbres: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, float, np.ndarray | None]] = {}
    for v in voices:
        if (v.pitch, v.velocity) not in timbres:
            timbres[(v.pitch, v.velocity)] = region_timbre(preset, v.pitch, v.velocity)
    with torch.no_grad():
        if power is not None:
            near = [v for v in voices if v.start_sample < n_samples + 2 * hop]  # later voices' noise cannot reach back into the output
            for g in range(0, len(near), 4 * _GROUP_VOICES):
                _add_noise_power(power, near[g : g + 4 * _GROUP_VOICES], preset, timbres, hop)
        sounding = [v for v in voices if v.start_sample < n_samples]
        for group in _groups(sounding):
            for v, (dist, tables) in zip(group, _group_tables(group, preset, timbres, sample_rate=sample_rate, device=device, seed=seed), strict=True):
                audio = _render_voice(
                    v, preset, sample_rate=sample_rate, seed=seed, device=device, sustained_noise=power is None,
                    timbre=timbres[(v.pitch, v.velocity)], dist=dist, tables=tables, attack_noise=False,
                )  # fmt: skip
                stop = min(hi, v.start_sample + audio.shape[1])
                buffer[:, v.start_sample - lo : stop - lo] += audio[:, : stop - v.start_sample]
        if preset.attack_noise_db is not None:
            for v, burst in zip(sounding, _attack_bursts(sounding, preset, sample_rate=sample_rate, seed=seed, device=device), strict=True):
                stop = min(hi, v.start_sample + burst.shape[0])
                buffer[:, v.start_sample - lo : stop - lo] += burst[: stop - v.start_sample]
        if power is not None:
            # the track noise is kept inside the voices' spans (STFT frames would leak up to a hop outside)
            inside = torch.zeros(hi - lo + 1, dtype=torch.float32, device=device)
            for v in voices:
                if v.start_sample < n_samples:
                    inside[v.start_sample - lo] += 1.0
                    inside[min(hi, voice_end_sample(v)) - lo] -= 1.0
            inside = (torch.cumsum(inside[:-1], 0) > 0.5).to(torch.float32)
            noise = _track_noise(torch.as_tensor(power, device=device), hop=hop, sample_rate=sample_rate, n_samples=n_samples, seed=seed,
                                 window=(lo, hi))
            buffer += noise * inside
    return voices, lo, buffer.cpu().numpy()
