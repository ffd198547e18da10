"""From a score track to per-voice controls: f0, amplitude, brightness and noise per frame.

Everything here is numpy float64 on a frame grid (frame ``j`` of a voice sits
at sample ``start_sample + j * hop``); the synth turns the controls into audio.

What shapes the controls
------------------------
- pitch + ``pitch_bend_semitones`` curve + vibrato (``vibrato_depth_cents`` /
  ``vibrato_rate_hz`` curves, else the preset's default; faded in after the
  preset's ``vibrato_delay_ms``), and portamento on legato notes of
  monophonic presets;
- the preset's ADSR shaped by articulation (staccato shorter, accent/marcato
  louder, sharper and brighter, tenuto full length, legato overlapping);
  plucked/struck presets decay exponentially (faster for higher notes);
- velocity, dynamic markings, hairpins and the ``dynamics`` curve -> level
  and brightness; the ``brightness`` curve -> brightness.

Examples
--------
>>> from lemm.score.model import Note, Score, Track
>>> from lemm.render.presets import load_preset
>>> t = Track(name="fl", role="lead", preset="flute", notes=(Note(69, 0, 480, 100),))
>>> voices = note_voices(t, Score(tracks=(t,)), load_preset("flute"), sample_rate=16000)
>>> v = voices[0]
>>> round(float(v.f0_hz[10]), 1), float(v.amplitude[0]), float(v.amplitude[-1])
(440.0, 0.0, 0.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lemm.errors import RenderError
from lemm.render.presets import Preset
from lemm.render.synth import hop_samples, n_frames_for
from lemm.score.model import Score, Track
from lemm.score.timing import seconds_to_ticks, ticks_to_seconds
from lemm.units import midi_to_hz

__all__ = ["VoiceControls", "MARKING_DB", "ARTICULATION_SHAPES", "curve_at", "markings_db_at", "note_voices", "voice_end_sample"]

#: Level of each dynamic marking relative to mf, dB (sfz/fp: see :func:`markings_db_at`).
MARKING_DB = {"ppp": -10.0, "pp": -7.5, "p": -5.0, "mp": -2.5, "mf": 0.0, "f": 2.5, "ff": 5.0, "fff": 7.5}

#: Per articulation: (gate fraction of the written length, gain dB, attack-time factor, brightness add).
ARTICULATION_SHAPES: dict[str | None, tuple[float, float, float, float]] = {
    None: (0.95, 0.0, 1.0, 0.0),
    "legato": (1.0, 0.0, 1.0, 0.0),
    "tenuto": (1.0, 0.5, 1.0, 0.0),
    "staccato": (0.5, 0.0, 0.7, 0.03),
    "staccatissimo": (0.3, 0.0, 0.5, 0.05),
    "accent": (0.95, 3.0, 0.5, 0.12),
    "marcato": (0.75, 4.5, 0.4, 0.18),
}

_LEGATO_OVERLAP_SECONDS = 0.04
_MONO_CUT_RELEASE_SECONDS = 0.03
_SILENT_DB = -90.0
_HAIRPIN_DEFAULT_DB = 5.0


@dataclass(frozen=True)
class VoiceControls:
    """Frame-rate controls of one sounding voice (one note).

    Attributes
    ----------
    index : int
        Position of the note in the track (also used to derive its noise seed).
    pitch : int
        MIDI pitch as written.
    start_sample : int
        Sample of frame 0 (the onset).
    n_samples : int
        Length of the voice including its release.
    f0_hz, amplitude, brightness, age_seconds : np.ndarray [shape=(n_frames,)]
        Fundamental (Hz), linear level (0 at both ends), brightness 0..1, time since onset.
    noise_amplitude, attack_noise_amplitude : np.ndarray [shape=(n_frames,)]
        Linear level of the sustained noise and of the attack burst.
    decay_rate : float
        Decay rate of the fundamental in nepers per second (0 for sustained presets).
    velocity : int
        MIDI velocity of the note (selects the fitted timbre region).
    """

    index: int
    pitch: int
    start_sample: int
    n_samples: int
    f0_hz: np.ndarray
    amplitude: np.ndarray
    brightness: np.ndarray
    age_seconds: np.ndarray
    noise_amplitude: np.ndarray
    attack_noise_amplitude: np.ndarray
    decay_rate: float
    velocity: int = 100


def _curve_points(track: Track, name: str) -> tuple[np.ndarray, np.ndarray] | None:
    curve = track.curve(name)
    if curve is None or not curve.points:
        return None
    return (np.array([p.tick for p in curve.points], dtype=np.float64), np.array([p.value for p in curve.points], dtype=np.float64))


def curve_at(track: Track, name: str, ticks: np.ndarray, default: float) -> np.ndarray:
    """Value of the track's expression curve ``name`` at ``ticks`` (linear, ends held), or ``default``.

    Examples
    --------
    >>> from lemm.score.model import CurvePoint, ExpressionCurve, Track
    >>> t = Track(name="a", role="keys", preset="organ", expression=(ExpressionCurve("dynamics", (CurvePoint(0, 0.0), CurvePoint(100, 1.0))),))
    >>> curve_at(t, "dynamics", np.array([0.0, 50.0, 500.0]), 1.0).tolist()
    [0.0, 0.5, 1.0]
    """
    return _interp_or(_curve_points(track, name), ticks, default)


def _interp_or(points: tuple[np.ndarray, np.ndarray] | None, ticks: np.ndarray, default: float) -> np.ndarray:
    """``np.interp`` of the breakpoints ``points`` at ``ticks``, or ``default`` everywhere when there are none."""
    if points is None:
        return np.full(np.shape(ticks), float(default))
    return np.interp(ticks, points[0], points[1])


def markings_db_at(track: Track, ticks: np.ndarray) -> np.ndarray:
    """Level in dB (relative to mf) from dynamic markings and hairpins at ``ticks``.

    Marks hold until the next one; ``sfz`` is an accent (handled per note) and
    ``fp`` sets piano. A hairpin ramps from the level at its start to the next
    mark at or after its end, else by +-5 dB.

    Examples
    --------
    >>> from lemm.score.model import DynamicMark, Hairpin, Track
    >>> t = Track(name="a", role="keys", preset="organ", dynamics=(DynamicMark(0, "p"), DynamicMark(960, "f")), hairpins=(Hairpin(480, 480),))
    >>> markings_db_at(t, np.array([0.0, 480.0, 720.0, 960.0])).tolist()
    [-5.0, -5.0, -1.25, 2.5]
    """
    return _interp_or(_marking_points(track), ticks, 0.0)


def _marking_points(track: Track) -> tuple[np.ndarray, np.ndarray] | None:
    """The breakpoints (ticks, dB) :func:`markings_db_at` interpolates, or None without markings or hairpins."""
    marks = sorted(((m.tick, MARKING_DB.get(m.marking, -5.0 if m.marking == "fp" else None)) for m in track.dynamics), key=lambda m: m[0])
    steps = [(tick, db) for tick, db in marks if db is not None]
    if not steps and not track.hairpins:
        return None
    xs: list[float] = [-1.0]
    ys: list[float] = [0.0]

    def level_before(tick: float) -> float:
        order = np.argsort(np.array(xs), kind="stable")
        return float(np.interp(tick, np.array(xs)[order], np.array(ys)[order]))

    events = sorted([(tick, 0, db) for tick, db in steps] + [(h.start_tick, 1, h) for h in track.hairpins], key=lambda e: (e[0], e[1]))
    for tick, kind, payload in events:
        if kind == 0:
            before = level_before(tick - 1e-6)
            xs.extend([tick - 1e-6, tick])
            ys.extend([before, payload])
        else:
            start, end = payload.start_tick, payload.start_tick + payload.duration_ticks
            later = [db for t, db in steps if t >= end]
            target_default = level_before(start) + (_HAIRPIN_DEFAULT_DB if payload.kind == "crescendo" else -_HAIRPIN_DEFAULT_DB)
            target = later[0] if later else target_default
            before = level_before(start)
            xs.extend([start, end])
            ys.extend([before, target])
    order = np.argsort(np.array(xs), kind="stable")
    return np.array(xs)[order], np.array(ys)[order]


def _velocity_gain_db(velocity: int, preset: Preset) -> float:
    return preset.velocity_halving_db * math.log2(velocity / 127.0)


def _decay_rate(preset: Preset, pitch: int) -> float:
    if preset.decay_seconds is None:
        return 0.0
    t60 = preset.decay_seconds * 2.0 ** (-(pitch - 60) / 12.0 * preset.decay_pitch_factor)
    return math.log(1000.0) / max(t60, 0.02)


def note_voices(track: Track, score: Score, preset: Preset, *, sample_rate: int) -> list[VoiceControls]:
    """Controls for every note of ``track`` with ``preset`` (one voice per note, in note order).

    Raises
    ------
    RenderError
        If a control comes out non-finite.
    """
    hop = hop_samples(sample_rate)
    notes = track.notes
    if not notes:
        return []
    ticks = np.array([[n.start_tick, n.end_tick] for n in notes], dtype=np.float64)
    seconds = ticks_to_seconds(score, ticks)
    onsets = np.round(seconds[:, 0] * sample_rate).astype(np.int64)
    gates = np.empty(len(notes))
    releases = np.full(len(notes), preset.release_ms / 1000.0)
    glide_from: list[int | None] = [None] * len(notes)
    sfz_ticks = {m.tick for m in track.dynamics if m.marking in ("sfz", "fp")}
    for i, note in enumerate(notes):
        frac = ARTICULATION_SHAPES[note.articulation][0]
        length = (seconds[i, 1] - seconds[i, 0]) * frac
        if note.articulation == "legato":
            length += _LEGATO_OVERLAP_SECONDS
        gates[i] = max(length, 1.0 / FRAME_FLOOR_HZ)
    if preset.monophonic:
        for i in range(len(notes) - 1):
            gap = (onsets[i + 1] - onsets[i]) / sample_rate
            if gap <= 0:
                continue
            next_legato = notes[i + 1].articulation == "legato" or seconds[i, 1] > seconds[i + 1, 0] + 1e-9
            if gates[i] >= gap or next_legato:
                gates[i] = min(gates[i], gap + 0.5 * _MONO_CUT_RELEASE_SECONDS)
                releases[i] = min(releases[i], _MONO_CUT_RELEASE_SECONDS)
                if next_legato:
                    glide_from[i + 1] = notes[i].pitch
    # the track's curves and markings as breakpoints, made once for all its notes
    curves = {name: _curve_points(track, name) for name in _VOICE_CURVES}
    curves["markings"] = _marking_points(track)
    voices = []
    for i, note in enumerate(notes):
        voices.append(_voice(track, score, preset, note, i, int(onsets[i]), gates[i], releases[i], glide_from[i], note.start_tick in sfz_ticks, sample_rate, hop,
                             curves))
    return voices


#: The expression curves a voice reads (see :func:`_voice`).
_VOICE_CURVES = ("dynamics", "brightness", "pitch_bend_semitones", "vibrato_depth_cents", "vibrato_rate_hz")


#: Shortest gate: one control frame at the slowest rate lemm uses.
FRAME_FLOOR_HZ = 250.0


def voice_end_sample(voice: VoiceControls) -> int:
    """First sample after ``voice`` (its onset plus its length)."""
    return voice.start_sample + voice.n_samples


def _voice(
    track: Track,
    score: Score,
    preset: Preset,
    note,
    index: int,
    onset: int,
    gate: float,
    release: float,
    glide_from: int | None,
    sforzando: bool,
    sample_rate: int,
    hop: int,
    curves: dict[str, tuple[np.ndarray, np.ndarray] | None],
) -> VoiceControls:
    _, gain_db_art, attack_factor, bright_art = ARTICULATION_SHAPES[note.articulation]
    if sforzando:
        gain_db_art, attack_factor, bright_art = gain_db_art + 4.0, attack_factor * 0.5, bright_art + 0.1
    decay_rate = _decay_rate(preset, note.pitch)
    length = gate + release
    if decay_rate > 0:  # stop computing once the decay is inaudible
        length = min(length, -_SILENT_DB / 20.0 * math.log(10.0) / decay_rate)
        gate = min(gate, length)
    n_samples = max(2 * hop, int(math.ceil(length * sample_rate)))
    n_frames = n_frames_for(n_samples, hop)
    frame_samples = onset + np.arange(n_frames) * hop
    age = np.arange(n_frames) * hop / sample_rate
    tick = seconds_to_ticks(score, frame_samples / sample_rate)

    # Level: envelope x velocity x markings x dynamics curve x preset trim.
    attack = max(preset.attack_ms / 1000.0 * attack_factor, hop / sample_rate)
    if glide_from is not None:
        attack = max(attack, _MONO_CUT_RELEASE_SECONDS)
    tau_decay = max(preset.decay_ms / 1000.0, 1e-3) / 3.0
    held = np.minimum(age, gate)
    adsr = np.where(
        held < attack,
        held / attack,
        preset.sustain_level + (1.0 - preset.sustain_level) * np.exp(-np.maximum(held - attack, 0.0) / tau_decay),
    )
    released = np.clip((age - gate) / max(release, 1e-3), 0.0, 1.0)
    if preset.release_curve == "exponential":  # -60 dB at the end, the last steps eased to zero
        falling = np.power(10.0, -3.0 * released) * (1.0 - released**8)
    else:
        falling = (1.0 - released) ** 3
    envelope = adsr * falling * np.exp(-decay_rate * age)
    envelope[0] = 0.0
    envelope[-1] = 0.0
    dyn_curve = _interp_or(curves["dynamics"], tick, 1.0)
    marks_db = _interp_or(curves["markings"], tick, 0.0)
    level_db = preset.gain_db + _velocity_gain_db(note.velocity, preset) + gain_db_art + marks_db
    amplitude = envelope * 10.0 ** (level_db / 20.0) * dyn_curve

    brightness = np.clip(
        preset.brightness
        + preset.velocity_brightness * (note.velocity - 100) / 127.0
        + (_interp_or(curves["brightness"], tick, 0.5) - 0.5)
        + bright_art
        + 0.02 * marks_db
        + 0.25 * (dyn_curve - 1.0),
        0.0,
        1.0,
    )

    # Pitch: bend, glide, vibrato.
    semitones = note.pitch + _interp_or(curves["pitch_bend_semitones"], tick, 0.0)
    if glide_from is not None and preset.portamento_ms > 0:
        semitones = semitones + (glide_from - note.pitch) * np.exp(-age / (preset.portamento_ms / 1000.0 / 3.0))
    depth = _interp_or(curves["vibrato_depth_cents"], tick, preset.vibrato_depth_cents)
    rate = _interp_or(curves["vibrato_rate_hz"], tick, preset.vibrato_rate_hz)
    if np.any(depth > 0):
        fade_in = np.clip((age - preset.vibrato_delay_ms / 1000.0) / 0.3, 0.0, 1.0)
        vib_phase = np.cumsum(rate) * hop / sample_rate
        semitones = semitones + depth / 100.0 * fade_in * np.sin(2.0 * np.pi * (vib_phase - vib_phase[0]))
    f0_hz = midi_to_hz(semitones)

    noise_amp = amplitude * (10.0 ** (preset.noise_level_db / 20.0) if preset.noise_level_db is not None else 0.0)
    if preset.attack_noise_db is not None:
        burst = np.exp(-age / (preset.attack_noise_ms / 1000.0))
        burst[0] = 0.0
        peak = 10.0 ** (level_db / 20.0) * dyn_curve * 10.0 ** (preset.attack_noise_db / 20.0)
        attack_noise = peak * burst * (1.0 + 0.5 * brightness) * np.where(age <= gate, 1.0, (1.0 - released) ** 3)
        attack_noise[-1] = 0.0
    else:
        attack_noise = np.zeros(n_frames)
    for name, values in (("f0_hz", f0_hz), ("amplitude", amplitude), ("brightness", brightness)):
        if not np.all(np.isfinite(values)):
            raise RenderError(f"note {index} of track {track.name!r}: {name} must be finite, got non-finite values")
    return VoiceControls(
        index=index,
        pitch=note.pitch,
        start_sample=onset,
        n_samples=n_samples,
        f0_hz=f0_hz,
        amplitude=amplitude,
        brightness=brightness,
        age_seconds=age,
        noise_amplitude=noise_amp,
        attack_noise_amplitude=attack_noise,
        decay_rate=decay_rate,
        velocity=note.velocity,
    )
