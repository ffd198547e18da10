"""Timbre fitting: reference notes -> a :class:`~lemm.render.presets.Preset` that renders any score.

Steps (DDSP-style analysis by synthesis):

1. analytic: partials under the written pitch (drawbar organs) set the
   preset's ``partial_divisor`` (:func:`lemm.render.analysis.detect_partial_divisor`);
   :func:`lemm.render.analysis.analyse_note` peak-picks the harmonics at
   ``k * f0`` and reads the envelope and the noise between the harmonics; the
   envelope of all notes sets the preset's ADSR, decay and velocity response;
   per note, the measured harmonics over time divided by that envelope give
   the region's spectral keyframes (:func:`lemm.render.analysis.measure_keyframes`:
   upper partials that die or swell, slow beating);
2. gradient descent (Adam) on the multi-scale STFT distance
   (:func:`lemm.render.spectral.multiscale_stft_distance`) between the
   reference and the differentiable synth path, over the note's harmonic
   amplitudes (log) and noise band gains (dB), with the envelope and keyframes held;
3. for a struck or plucked sound whose partials are off the whole multiples
   (:func:`lemm.render.spectral.partial_ratios`: a bar's modes, a stiff
   string), steps 1-2 are run again with each region's partials peak-picked
   and rendered where they were measured (``TimbreRegion.partial_ratios``);
   the fit whose regions predict each inner-pitch note from their neighbours
   better is kept (leave one pitch out; with one or two pitches, the measured one);
4. the detune of the preset's copies (chorus, ensemble beating, or none) is
   picked from a few candidates by the same distance on the full notes,
   rendered by the fast path.

Before the descent, the waveform's shape (each harmonic's phase relative to
the fundamental, :func:`lemm.render.spectral.harmonic_phase_offsets`) is read
from the note nearest pitch 60 (and kept after step 3 only if the full notes
come out closer with it than in sine phase: detuned copies drift out of any
shape), and :func:`fit_preset` reads the vibrato of
sustained notes (:func:`lemm.render.vibrato.measure_vibrato`).

Each reference becomes one :class:`~lemm.render.presets.TimbreRegion`; the
synth interpolates between regions by pitch and velocity. Fitting is
deterministic (fixed noise seed, one intra-op thread).

Examples
--------
>>> sr = 16000; t = np.arange(sr // 2) / sr
>>> tone = np.minimum(t / 0.01, 1) * sum(np.sin(2 * np.pi * 330 * k * t) / k**2 for k in range(1, 6))
>>> p = fit_preset(tone, sample_rate=sr, n_steps=5)
>>> p.regions[0].pitch, len(p.regions), p.decay_seconds is None
(64, 1, True)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from scipy.signal import resample_poly

from lemm.errors import ParameterError
from lemm.render.analysis import NoteAnalysis, analyse_note, detect_partial_divisor, estimate_f0, measure_keyframes
from lemm.render.controls import note_voices
from lemm.render.instrument import preset_phases
from lemm.render.presets import Preset, TimbreRegion
from lemm.render.spectral import harmonic_phase_offsets, multiscale_stft_distance, partial_ratios, spectrum_envelope_distance
from lemm.render.synth import filtered_noise, harmonic_synthesis, hop_samples, n_frames_for
from lemm.render.timbre import harmonic_distribution, keyframe_gains, noise_band_gains
from lemm.render.track import render_track, single_thread
from lemm.render.vibrato import measure_vibrato
from lemm.score.model import CurvePoint, ExpressionCurve, Note, Score, TempoChange, Track
from lemm.units import hz_to_midi, midi_to_hz

__all__ = ["FIT_SAMPLE_RATE", "DETUNE_CANDIDATES", "ReferenceNote", "fit_preset", "fit_regions", "render_fit_note", "note_score"]

#: Highest sample rate of the gradient-descent step (the analytic step uses the reference's own rate).
FIT_SAMPLE_RATE = 32000
#: Seconds of each note the gradient descent compares.
_FIT_SECONDS = 0.5
#: Seconds of each note (at most) the second descent compares, on the whole note's time-averaged spectrum.
_SPECTRUM_FIT_SECONDS = 3.0
#: Steps of that second descent per step of the first.
_SPECTRUM_STEP_FRACTION = 0.5
#: Noise bands stay this far under the harmonic level (else the descent can fake a partial with noise).
_MAX_NOISE_DB = -6.0
#: Regions whose loudest noise band is under this (dB re the harmonics) render without the noise path.
_AUDIBLE_NOISE_DB = -35.0
#: Detune layouts (cents per copy) the fit chooses from, besides the template's own.
DETUNE_CANDIDATES = ((0.0,), (-2.0, 2.0), (-4.0, 4.0), (-7.0, 7.0), (-12.0, 12.0), (-5.0, 0.0, 5.0), (-10.0, 0.0, 10.0))
_RESOLUTION = 480
_TEMPO_BPM = 120.0  # 960 ticks per second


@dataclass(frozen=True)
class ReferenceNote:
    """One recorded note to fit: mono audio starting at the onset, its pitch, velocity and note-off.

    ``gate_seconds=None`` estimates the note-off from the level.
    """

    audio: np.ndarray
    sample_rate: int
    pitch: float
    velocity: int = 100
    gate_seconds: float | None = None


def note_score(preset_name: str, pitch: float, velocity: int, gate_seconds: float) -> tuple[Track, Score]:
    """A one-note track and score (120 bpm) holding ``pitch`` for ``gate_seconds`` (fractions as pitch bend)."""
    base = int(round(pitch))
    curves = (ExpressionCurve("pitch_bend_semitones", (CurvePoint(0, float(pitch - base)),)),) if abs(pitch - base) > 1e-6 else ()
    ticks = max(1, int(round(gate_seconds * _TEMPO_BPM / 60.0 * _RESOLUTION)))
    track = Track(name="fit", role="keys", preset=preset_name, notes=(Note(min(127, max(0, base)), 0, ticks, int(velocity), "tenuto"),), expression=curves)
    return track, Score(resolution=_RESOLUTION, tempos=(TempoChange(0, _TEMPO_BPM),), tracks=(track,))


def render_fit_note(
    preset: Preset,
    pitch: float,
    velocity: int,
    gate_seconds: float,
    log_amplitudes: torch.Tensor,
    noise_band_db: torch.Tensor | None,
    *,
    sample_rate: int,
    n_samples: int,
    seed: int = 0,
    keyframe_gains_db: np.ndarray | None = None,
    partial_ratios: np.ndarray | None = None,
) -> torch.Tensor:
    """Differentiable mono render [shape=(n_samples,)] of one note with the given harmonic and noise parameters.

    The envelope, brightness and pitch come from ``preset`` through the same
    controls as rendering (``keyframe_gains_db`` and ``partial_ratios`` as a
    region's); detuned copies and the attack burst are left out.
    """
    track, score = note_score(preset.name, pitch, velocity, gate_seconds)
    voice = note_voices(track, score, preset, sample_rate=sample_rate)[0]
    hop = hop_samples(sample_rate)
    m = n_frames_for(n_samples, hop)

    def frames(values: np.ndarray, dtype) -> torch.Tensor:
        v = np.zeros(m) if dtype is not torch.float64 else np.full(m, values[-1])
        v[: min(m, len(values))] = values[:m]
        return torch.as_tensor(v, dtype=dtype)

    f0 = frames(voice.f0_hz, torch.float64) / preset.partial_divisor
    amp = frames(voice.amplitude, torch.float32)
    bright = frames(voice.brightness, torch.float32)
    age = torch.arange(m, dtype=torch.float32) * hop / sample_rate
    gains = keyframe_gains(keyframe_gains_db, age.numpy().astype(np.float64), int(log_amplitudes.shape[0]))
    gains_t = None if gains is None else torch.as_tensor(gains, dtype=torch.float32)
    base = torch.exp(log_amplitudes)
    dist = harmonic_distribution(preset, f0, bright, age, decay_rate=voice.decay_rate, base_amplitudes=base, harmonic_gains=gains_t) * amp[:, None]
    ratios = None if partial_ratios is None else torch.as_tensor(np.asarray(partial_ratios, dtype=np.float64)[: dist.shape[1]])
    y = harmonic_synthesis(f0, dist, hop=hop, sample_rate=sample_rate, n_samples=n_samples, harmonic_phases=preset_phases(preset), partial_ratios=ratios)
    if noise_band_db is not None:
        gains = noise_band_gains(noise_band_db, amp, bright)
        y = y + filtered_noise(gains, hop=hop, sample_rate=sample_rate, n_samples=n_samples, generator=torch.Generator().manual_seed(seed))
    return y


def _resample(audio: np.ndarray, sample_rate: int, target: int) -> np.ndarray:
    if sample_rate == target:
        return np.asarray(audio, dtype=np.float64)
    g = math.gcd(sample_rate, target)
    return resample_poly(np.asarray(audio, dtype=np.float64), target // g, sample_rate // g)


def _envelope_fields(analyses: Sequence[NoteAnalysis], refs: Sequence[ReferenceNote], template: Preset) -> dict:
    """Preset fields shared by all notes: ADSR, decay vs pitch, velocity response."""
    med = lambda values: float(np.median(values))  # noqa: E731
    fields: dict = {
        "attack_ms": med([a.attack_ms for a in analyses]),
        "release_ms": med([a.release_ms for a in analyses]),
        "sustain_level": float(np.clip(med([a.sustain_level for a in analyses]), 0.0, 1.0)),
        "decay_ms": med([a.decay_ms for a in analyses]),
    }
    percussive = [a for a in analyses if a.percussive]
    if len(percussive) * 2 > len(analyses):
        pitches = np.array([r.pitch for a, r in zip(analyses, refs, strict=True) if a.percussive])
        t60 = np.array([math.log(1000.0) / max(a.decay_rate, 1e-3) for a in percussive])
        if np.ptp(pitches) >= 3:
            slope, intercept = np.polyfit((pitches - 60.0) / 12.0, np.log2(t60), 1)
            factor, t60_at_60 = float(np.clip(-slope, 0.0, 3.0)), float(2.0**intercept)
        else:
            factor = template.decay_pitch_factor
            t60_at_60 = float(np.median(t60 * 2.0 ** ((pitches - 60.0) / 12.0 * factor)))
        fields.update(decay_seconds=float(np.clip(t60_at_60, 0.05, 60.0)), decay_pitch_factor=factor, harmonic_decay=med([a.harmonic_decay for a in percussive]))
    else:
        fields.update(decay_seconds=None, harmonic_decay=0.0)
    halvings = []
    for i, (a, r) in enumerate(zip(analyses, refs, strict=True)):
        for b, s in list(zip(analyses, refs, strict=True))[i + 1 :]:
            if abs(r.pitch - s.pitch) < 0.5 and r.velocity != s.velocity:
                halvings.append((b.level_db - a.level_db) / math.log2(s.velocity / r.velocity))
    if halvings:
        fields["velocity_halving_db"] = float(np.clip(np.median(halvings), 0.0, 24.0))
    return fields


def fit_regions(
    references: Sequence[ReferenceNote],
    template: Preset,
    *,
    n_steps: int = 80,
    learning_rate: float = 0.05,
    seed: int = 0,
    detune_candidates: Sequence[tuple[float, ...]] = DETUNE_CANDIDATES,
    fit_vibrato: bool = False,
    fit_release: bool = False,
) -> Preset:
    """Fit envelope and one timbre region per reference note, keeping ``template``'s other fields.

    Parameters
    ----------
    references : sequence of ReferenceNote
    template : Preset
        Supplies name, description, vibrato, detune, brightness response, body
        resonances and the attack burst (those are not fitted).
    n_steps : int
        Adam steps per note (0: analytic fit only).
    learning_rate : float
    seed : int
        Seed of the noise used inside the loss.
    detune_candidates : sequence of tuple of float
        Detune layouts (cents per copy) to choose from, with the template's own;
        empty keeps the template's.
    fit_vibrato : bool
        Measure the vibrato of sustained notes (:func:`lemm.render.vibrato.measure_vibrato`):
        when most references have one, the preset takes their median depth,
        rate and delay; when most have none, its depth is 0. False keeps the
        template's vibrato.
    fit_release : bool
        Choose the release's curve and length (:data:`RELEASE_CANDIDATES`
        around the measured length, cubic or exponential) by
        :func:`lemm.render.spectral.spectrum_envelope_distance` to the whole
        notes, and the blend of region spectra between pitches
        (``Preset.region_blend``) that predicts each inner note from the
        regions around it better by that distance (with three or more pitches).
        False keeps the template's blend and release curve, and the measured length.

    Returns
    -------
    Preset
        With ``regions`` (one per reference, with spectral keyframes),
        ``harmonic_amplitudes`` and ``harmonic_phases`` (the waveform's shape,
        :func:`lemm.render.spectral.harmonic_phase_offsets`, or none when
        sine phase renders the notes closer) of the reference nearest to
        pitch 60 / velocity 100, ``partial_divisor``,
        ``detune_cents`` and fitted envelope fields.
    """
    if not references:
        raise ParameterError.for_field("references", references, "at least one reference note")
    f0s = [midi_to_hz(r.pitch) for r in references]
    votes = [detect_partial_divisor(np.asarray(r.audio, dtype=np.float64), sample_rate=r.sample_rate, f0_hz=f) for r, f in zip(references, f0s, strict=True)]
    divisor = int(max(set(votes), key=lambda d: (votes.count(d), -d)))
    analyses = []
    for r, f in zip(references, f0s, strict=True):
        x = np.asarray(r.audio, dtype=np.float64)
        analyses.append(analyse_note(x, sample_rate=r.sample_rate, f0_hz=f / divisor, gate_seconds=r.gate_seconds))
    fitted = _fit_model(references, analyses, template, divisor, [None] * len(references), n_steps=n_steps, learning_rate=learning_rate,
                        seed=seed, fit_vibrato=fit_vibrato, fit_release=fit_release)  # fmt: skip
    if fitted.decay_seconds is not None:  # struck or plucked: a free vibration, its partials where the modes are
        ratios, inharmonic = _measured_partial_ratios(references, analyses)
        if any(r is not None for r in ratios):
            alternative = _fit_model(references, inharmonic, template, divisor, ratios, n_steps=n_steps, learning_rate=learning_rate,
                                     seed=seed, fit_vibrato=fit_vibrato, fit_release=fit_release)  # fmt: skip
            fitted, analyses = _choose_partial_ratios(fitted, alternative, references, analyses, inharmonic, seed=seed)
    with single_thread():
        shaped = None
        if detune_candidates:
            candidates = list(dict.fromkeys([template.detune_cents, *detune_candidates]))
            scores = [_full_distance(dataclasses.replace(fitted, detune_cents=c), references, analyses, seed=seed) for c in candidates]
            fitted, shaped = dataclasses.replace(fitted, detune_cents=candidates[int(np.argmin(scores))]), min(scores)
        if fitted.harmonic_phases:  # keep the measured waveform only where it brings the whole notes closer
            plain = dataclasses.replace(fitted, harmonic_phases=())
            if shaped is None:
                shaped = _full_distance(fitted, references, analyses, seed=seed)
            if _full_distance(plain, references, analyses, seed=seed) < shaped:
                fitted = plain
    return fitted


def _fit_model(
    references: Sequence[ReferenceNote], analyses: Sequence[NoteAnalysis], template: Preset, divisor: int, ratios: Sequence[np.ndarray | None],
    *, n_steps: int, learning_rate: float, seed: int, fit_vibrato: bool, fit_release: bool,
) -> Preset:
    """:func:`fit_regions` up to the detune: envelope fields, one region per reference (its partials at ``ratios``), release and blend."""
    fields = _envelope_fields(analyses, references, template)
    nearest = min(range(len(references)), key=lambda i: (abs(references[i].pitch - 60.0), abs(references[i].velocity - 100)))
    phases = _waveform_phases(references[nearest], analyses[nearest])
    if fit_vibrato and fields["decay_seconds"] is None:
        fields.update(_vibrato_fields(references, analyses))
    preset = dataclasses.replace(template, **fields, partial_divisor=divisor, noise_level_db=0.0, regions=(), harmonic_phases=phases)
    regions = []
    with single_thread():
        for i, (r, a) in enumerate(zip(references, analyses, strict=True)):
            regions.append(_fit_region(preset, r, a, n_steps=n_steps, learning_rate=learning_rate, seed=seed + i, partial_ratios=ratios[i]))
    loud_noise = max(max(reg.noise_band_db) for reg in regions)
    fitted = dataclasses.replace(
        preset,
        regions=tuple(regions),
        harmonic_amplitudes=regions[nearest].harmonic_amplitudes,
        noise_band_db=regions[nearest].noise_band_db,
        noise_level_db=0.0 if loud_noise > _AUDIBLE_NOISE_DB else None,
    )
    if fit_release:
        fitted = _choose_release(fitted, references, analyses, seed=seed)
        fitted = _choose_region_blend(fitted, references, analyses, seed=seed)
    return fitted


def _measured_partial_ratios(references: Sequence[ReferenceNote], analyses: Sequence[NoteAnalysis]) -> tuple[list[np.ndarray | None], list[NoteAnalysis]]:
    """Per reference, where its partials sit (:func:`lemm.render.spectral.partial_ratios`, None when all at whole
    multiples), and its analysis peak-picked there."""
    ratios: list[np.ndarray | None] = []
    out = []
    for r, a in zip(references, analyses, strict=True):
        x = np.asarray(r.audio, dtype=np.float64)
        n_harm = len(a.harmonic_amplitudes)
        measured = np.round(partial_ratios(x, sample_rate=r.sample_rate, f0_hz=a.f0_hz, n_harmonics=n_harm), 4)
        if np.any(np.abs(measured - np.arange(1, n_harm + 1)) > 1e-9):
            ratios.append(measured)
            out.append(analyse_note(x, sample_rate=r.sample_rate, f0_hz=a.f0_hz, gate_seconds=r.gate_seconds, partial_ratios=measured))
        else:
            ratios.append(None)
            out.append(a)
    return ratios, out


#: Release lengths tried by ``fit_release``, as factors of the measured one (cubic; exponential x 0.785 / 0.667, its -40 dB point).
RELEASE_CANDIDATES = (0.5, 0.7, 1.0, 1.4, 2.0)


def _whole_note_distance(preset: Preset, references: Sequence[ReferenceNote], analyses: Sequence[NoteAnalysis], *, seed: int) -> float:
    """Mean :func:`spectrum_envelope_distance` of ``preset``'s fast render (at most 32 kHz, 3 s) to each whole reference note."""
    total = 0.0
    for r, a in zip(references, analyses, strict=True):
        sr = min(FIT_SAMPLE_RATE, r.sample_rate)
        target = _resample(r.audio, r.sample_rate, sr)[: int(_SPECTRUM_FIT_SECONDS * sr)]
        track, score = note_score(preset.name, r.pitch, r.velocity, _note_off(r, a))
        y = render_track(track, score, sample_rate=sr, n_samples=len(target), preset=preset, seed=seed).mean(0)
        total += float(spectrum_envelope_distance(y, target, sample_rate=sr))
    return total / len(references)


def _choose_release(preset: Preset, references: Sequence[ReferenceNote], analyses: Sequence[NoteAnalysis], *, seed: int) -> Preset:
    """``preset`` with the release (curve x length, :data:`RELEASE_CANDIDATES`) whose whole notes come closest."""
    candidates = []
    for curve, scale in (("cubic", 1.0), ("exponential", 0.785 / 0.667)):
        for factor in RELEASE_CANDIDATES:
            release_ms = float(np.clip(preset.release_ms * scale * factor, 10.0, 20000.0))
            candidates.append(dataclasses.replace(preset, release_curve=curve, release_ms=round(release_ms, 2)))
    with single_thread():
        scores = [_whole_note_distance(c, references, analyses, seed=seed) for c in candidates]
    return candidates[int(np.argmin(scores))]


def _choose_region_blend(preset: Preset, references: Sequence[ReferenceNote], analyses: Sequence[NoteAnalysis], *, seed: int) -> Preset:
    """``preset`` with the ``region_blend`` that renders each inner-pitch reference closer from the other regions (leave one pitch out)."""
    scores = {blend: _leave_one_pitch_out(dataclasses.replace(preset, region_blend=blend), references, analyses, seed=seed) for blend in ("linear", "log")}
    if scores["linear"] is None:
        return preset
    return dataclasses.replace(preset, region_blend=min(scores, key=lambda b: (scores[b], b != preset.region_blend)))


def _leave_one_pitch_out(preset: Preset, references: Sequence[ReferenceNote], analyses: Sequence[NoteAnalysis], *, seed: int) -> float | None:
    """Summed :func:`_whole_note_distance` of each inner-pitch reference rendered from the other regions (None: no inner pitch)."""
    pitches = sorted({r.pitch for r in preset.regions})
    inner = [i for i, r in enumerate(references) if pitches[0] < round(r.pitch) < pitches[-1]]
    if not inner:
        return None
    total = 0.0
    for i in inner:
        others = tuple(g for g in preset.regions if g.pitch != round(references[i].pitch))
        total += _whole_note_distance(dataclasses.replace(preset, regions=others), [references[i]], [analyses[i]], seed=seed)
    return total


def _choose_partial_ratios(
    harmonic: Preset, inharmonic: Preset, references: Sequence[ReferenceNote], analyses: Sequence[NoteAnalysis],
    inharmonic_analyses: Sequence[NoteAnalysis], *, seed: int,
) -> tuple[Preset, Sequence[NoteAnalysis]]:
    """The fit with measured inharmonic ``partial_ratios`` or the harmonic one, with its analyses: the one that
    predicts each inner-pitch reference from the regions around it better (leave one pitch out); with no inner
    pitch (one or two), the inharmonic one (its partials are where they were measured).

    Between regions the ratio of a partial interpolates by its number; a mode that
    moves from one harmonic's neighbourhood to the next's between two regions (a
    vibraphone bar's third mode: 9.7 at one pitch, 8.8 ten semitones up) is then
    predicted in neither place, and the harmonic fit may come closer.
    """
    with_ratios = _leave_one_pitch_out(inharmonic, references, inharmonic_analyses, seed=seed)
    if with_ratios is None:
        return inharmonic, inharmonic_analyses
    if _leave_one_pitch_out(harmonic, references, analyses, seed=seed) <= with_ratios:
        return harmonic, analyses
    return inharmonic, inharmonic_analyses


def _note_off(ref: ReferenceNote, analysis: NoteAnalysis) -> float:
    """Seconds from the onset to the note-off: the reference's own, else the one read from its level."""
    return ref.gate_seconds if ref.gate_seconds is not None else analysis.gate_seconds


def _body_seconds(ref: ReferenceNote, analysis: NoteAnalysis) -> tuple[float, float]:
    """A note's body: from 50 ms after its attack to its note-off (seconds from the onset)."""
    return analysis.attack_ms / 1000.0 + 0.05, _note_off(ref, analysis)


def _waveform_phases(ref: ReferenceNote, analysis: NoteAnalysis) -> tuple[float, ...]:
    """Per-harmonic phase offsets of ``ref`` (radians, 4 decimals) over its body (:func:`_body_seconds`, at most 1 s)."""
    start, gate = _body_seconds(ref, analysis)
    psi = harmonic_phase_offsets(
        np.asarray(ref.audio, dtype=np.float64), sample_rate=ref.sample_rate, f0_hz=analysis.f0_hz,
        n_harmonics=len(analysis.harmonic_amplitudes), start_seconds=start, end_seconds=min(gate, start + 1.0),
    )  # fmt: skip
    return tuple(round(float(v), 4) for v in psi)


def _vibrato_fields(references: Sequence[ReferenceNote], analyses: Sequence[NoteAnalysis]) -> dict:
    """Preset vibrato fields from the references' measured vibrato (median of those that have one, or depth 0)."""
    found = []
    for r, a in zip(references, analyses, strict=True):
        start, gate = _body_seconds(r, a)
        v = measure_vibrato(np.asarray(r.audio, dtype=np.float64), sample_rate=r.sample_rate, f0_hz=a.f0_hz, start_seconds=start, end_seconds=gate)
        if v.depth_cents > 0:
            found.append(v)
    if len(found) * 2 <= len(references):
        return {"vibrato_depth_cents": 0.0}
    return {
        "vibrato_depth_cents": float(np.median([v.depth_cents for v in found])),
        "vibrato_rate_hz": float(np.median([v.rate_hz for v in found])),
        "vibrato_delay_ms": float(np.median([v.delay_ms for v in found])),
    }


def _full_distance(preset: Preset, references: Sequence[ReferenceNote], analyses: Sequence[NoteAnalysis], *, seed: int) -> float:
    """Mean multi-scale STFT distance of ``preset``'s fast render to each whole reference note."""
    total = 0.0
    for r, a in zip(references, analyses, strict=True):
        track, score = note_score(preset.name, r.pitch, r.velocity, _note_off(r, a))
        y = render_track(track, score, sample_rate=r.sample_rate, n_samples=len(r.audio), preset=preset, seed=seed).mean(0)
        total += float(multiscale_stft_distance(y, np.asarray(r.audio, dtype=np.float32)))
    return total / len(references)


def _fit_region(
    preset: Preset, ref: ReferenceNote, analysis: NoteAnalysis, *, n_steps: int, learning_rate: float, seed: int, partial_ratios: np.ndarray | None = None
) -> TimbreRegion:
    sr = min(FIT_SAMPLE_RATE, ref.sample_rate)
    target = _resample(ref.audio, ref.sample_rate, sr)
    n = min(len(target), int(_FIT_SECONDS * sr))
    target_t = torch.as_tensor(target[:n], dtype=torch.float32)
    n_harm = len(analysis.harmonic_amplitudes)
    gate = _note_off(ref, analysis)
    track, score = note_score(preset.name, ref.pitch, ref.velocity, gate)
    envelope = note_voices(track, score, preset, sample_rate=ref.sample_rate)[0].amplitude
    keys_db = measure_keyframes(analysis, envelope, envelope_hop_seconds=hop_samples(ref.sample_rate) / ref.sample_rate, gate_seconds=gate)
    # Undo what the preset's tilt and body resonances will add at this note, so the analytic start matches.
    f0 = analysis.f0_hz
    shape = harmonic_distribution(
        preset,
        torch.full((1,), f0, dtype=torch.float64),
        torch.full((1,), float(np.clip(preset.brightness + preset.velocity_brightness * (ref.velocity - 100) / 127.0, 0, 1))),
        torch.zeros(1),
        decay_rate=0.0,
        base_amplitudes=torch.ones(n_harm),
    )[0].numpy()
    init = analysis.harmonic_amplitudes / np.maximum(shape / max(float(np.sqrt(np.sum(shape**2))), 1e-12) * math.sqrt(n_harm), 1e-6)
    init = init / max(float(np.sqrt(np.sum(init**2))), 1e-12)
    log_amps = torch.tensor(np.log(init + 1e-4), dtype=torch.float32, requires_grad=True)
    bands = torch.tensor(np.clip(analysis.noise_band_db, -100.0, _MAX_NOISE_DB), dtype=torch.float32, requires_grad=True)
    if n_steps > 0 and n >= 256:
        opt = torch.optim.Adam([{"params": [log_amps], "lr": learning_rate}, {"params": [bands], "lr": 20.0 * learning_rate}])
        for _ in range(n_steps):
            opt.zero_grad()
            y = render_fit_note(preset, ref.pitch, ref.velocity, gate, log_amps, bands, sample_rate=sr, n_samples=n, seed=seed, keyframe_gains_db=keys_db, partial_ratios=partial_ratios)
            loss = multiscale_stft_distance(y, target_t)
            loss.backward()
            opt.step()
            with torch.no_grad():
                log_amps.clamp_(min=math.log(1e-4))
                bands.clamp_(-100.0, _MAX_NOISE_DB)
        # Second descent: the whole note's colour (time-averaged log-mel spectrum), not frame by frame.
        n_whole = min(len(target), int(_SPECTRUM_FIT_SECONDS * sr))
        whole_t = torch.as_tensor(target[:n_whole], dtype=torch.float32)
        opt = torch.optim.Adam([{"params": [log_amps], "lr": learning_rate}, {"params": [bands], "lr": 20.0 * learning_rate}])
        for _ in range(int(round(n_steps * _SPECTRUM_STEP_FRACTION))):
            opt.zero_grad()
            y = render_fit_note(preset, ref.pitch, ref.velocity, gate, log_amps, bands, sample_rate=sr, n_samples=n_whole, seed=seed, keyframe_gains_db=keys_db, partial_ratios=partial_ratios)
            loss = spectrum_envelope_distance(y, whole_t, sample_rate=sr)
            loss.backward()
            opt.step()
            with torch.no_grad():
                log_amps.clamp_(min=math.log(1e-4))
                bands.clamp_(-100.0, _MAX_NOISE_DB)
    amps = torch.exp(log_amps.detach()).numpy()
    amps = amps / float(amps.max())
    amps[amps < 2e-4] = 0.0
    return TimbreRegion(
        pitch=int(round(ref.pitch)),
        velocity=int(ref.velocity),
        harmonic_amplitudes=tuple(round(float(a), 5) for a in amps),
        noise_band_db=tuple(round(float(b), 2) for b in bands.detach().numpy()),
        noise_level_db=0.0,
        keyframe_gains_db=tuple(tuple(round(float(g), 1) for g in row) for row in keys_db),
        partial_ratios=() if partial_ratios is None else tuple(float(r) for r in partial_ratios[: _last_inharmonic(partial_ratios)]),
    )


def _last_inharmonic(ratios: np.ndarray) -> int:
    """1 + the index of the last partial that is not at its whole multiple (the stored tuple's length)."""
    off = np.nonzero(np.abs(ratios - np.arange(1, len(ratios) + 1)) > 1e-9)[0]
    return int(off[-1]) + 1 if off.size else 0


_USER_TEMPLATE = dict(
    description="Fitted to a recording with lemm.render.fit_preset.",
    harmonic_amplitudes=(1.0,),
    attack_ms=10.0,
    decay_ms=100.0,
    sustain_level=1.0,
    release_ms=100.0,
    brightness=0.5,
    velocity_brightness=0.3,
)


def _reference(audio: np.ndarray, sample_rate: int, f0_hz: float | None, velocity: int, field: str) -> ReferenceNote:
    """One checked note: mono, leading silence cut (2 ms kept), f0 estimated when None."""
    x = np.asarray(audio, dtype=np.float64)
    if x.ndim == 2:
        x = x.mean(0)
    if x.ndim != 1 or x.size == 0:
        raise ParameterError.for_field(field, f"shape {np.shape(audio)}", "a non-empty mono or (n_channels, n_samples) array")
    if not np.all(np.isfinite(x)):
        raise ParameterError.for_field(field, "non-finite samples (NaN or inf)", "finite samples")
    peak = float(np.abs(x).max())
    if peak < 1e-6:
        raise ParameterError.for_field(field, f"peak {peak:.2g}", "a recording with sound in it (peak >= 1e-6)")
    if isinstance(velocity, bool) or not isinstance(velocity, (int, np.integer)) or not 1 <= velocity <= 127:
        raise ParameterError.for_field("velocity", velocity, "an integer in 1..127")
    onset = int(np.argmax(np.abs(x) > 0.01 * peak))
    x = x[max(0, onset - int(0.002 * sample_rate)) :]
    if x.size < int(0.05 * sample_rate):
        raise ParameterError.for_field(field, f"{x.size} samples after the onset", f"at least 50 ms ({int(0.05 * sample_rate)} samples)")
    if f0_hz is None:
        f0_hz = estimate_f0(x, sample_rate=sample_rate)
    if isinstance(f0_hz, bool) or not isinstance(f0_hz, (int, float)) or not math.isfinite(f0_hz) or not 20.0 <= f0_hz <= sample_rate / 4.0:
        raise ParameterError.for_field("f0_hz", f0_hz, f"None or a frequency in 20..{sample_rate / 4.0:g} Hz")
    pitch = hz_to_midi(f0_hz)
    if not 0.0 <= pitch <= 127.0:
        raise ParameterError.for_field("f0_hz", f0_hz, "a frequency of a MIDI pitch in 0..127")
    return ReferenceNote(x, int(sample_rate), pitch, int(velocity), None)


def fit_preset(
    audio: np.ndarray | Sequence[np.ndarray],
    *,
    sample_rate: int,
    f0_hz: float | Sequence[float | None] | None = None,
    name: str = "fitted",
    velocity: int | Sequence[int] = 100,
    n_steps: int = 80,
    seed: int = 0,
) -> Preset:
    """Fit a preset to a recording of a single note, or to several single notes; the result renders any score.

    With several notes (best a few across the range, e.g. an octave apart),
    each becomes a timbre region and other pitches interpolate between the
    nearest two (their spectra over harmonic number for struck sounds, over
    frequency for sustained ones), so the preset follows how the
    instrument's colour changes over its range.

    Parameters
    ----------
    audio : np.ndarray [shape=(n_samples,) or (n_channels, n_samples)], or a sequence of them
        The note(s), one note per array (channels are averaged); leading silence is skipped.
    sample_rate : int
        Hz, 8000..384000 (the same for all notes).
    f0_hz : float, optional, or a sequence (one per note, None entries allowed)
        Fundamental of each note; estimated (YIN) when None.
    name : str
        Name of the new preset (use it as ``Track.preset`` through a preset file,
        or render it directly with :func:`lemm.render.instrument.render_voice`).
    velocity : int or sequence of int
        Velocity each note was played at (1..127).
    n_steps : int
        Gradient-descent steps (0..2000) per note after the analytic fit.
    seed : int

    Returns
    -------
    Preset
        One :class:`TimbreRegion` per note at its pitch (with spectral
        keyframes); envelope, sub-octave partials, detune, the waveform's
        phases and (for sustained sounds) the vibrato fitted. A
        sustained sound gets ``fixed_formants=True`` (other pitches keep its
        spectral envelope over frequency, and a clarinet-like odd-harmonic
        pattern by harmonic number), a decaying one keeps its harmonic
        spectrum.

    Raises
    ------
    ParameterError
        Empty, non-finite or silent audio, an f0 outside 20 Hz..Nyquist/4, bad
        sample rate, velocity or n_steps, or per-note lists of different lengths.
    """
    hop_samples(sample_rate)
    several = isinstance(audio, (list, tuple))
    notes = list(audio) if several else [audio]
    if not notes:
        raise ParameterError.for_field("reference audio", "an empty sequence", "one note (an array) or a sequence of notes")
    f0s = list(f0_hz) if isinstance(f0_hz, (list, tuple)) else [f0_hz] * len(notes)
    velocities = list(velocity) if isinstance(velocity, (list, tuple)) else [velocity] * len(notes)
    for field, values in (("f0_hz", f0s), ("velocity", velocities)):
        if len(values) != len(notes):
            raise ParameterError.for_field(field, f"{len(values)} values", f"one per note ({len(notes)})")
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or not 0 <= n_steps <= 2000:
        raise ParameterError.for_field("n_steps", n_steps, "an integer in 0..2000")
    refs = [
        _reference(a, sample_rate, f, v, f"reference audio[{i}]" if several else "reference audio")
        for i, (a, f, v) in enumerate(zip(notes, f0s, velocities, strict=True))
    ]
    template = Preset(name=name, **_USER_TEMPLATE)
    fitted = fit_regions(refs, template, n_steps=int(n_steps), seed=seed, fit_vibrato=True, fit_release=True)
    # Sustained sounds (winds, bowed strings, voices) keep their formants when transposed; struck ones their partials.
    return dataclasses.replace(fitted, fixed_formants=fitted.decay_seconds is None)
