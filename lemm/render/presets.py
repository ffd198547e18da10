"""Instrument presets as data: one JSON file per preset in ``lemm/render/presets/``.

A preset holds only fittable numbers (per-harmonic amplitudes, envelope times,
noise band gains, decay rates, body resonances), so a later timbre fit can
write a new JSON file without touching code.

Examples
--------
>>> "acoustic_piano" in list_presets()
True
>>> p = load_preset("flute")
>>> p.name, p.monophonic, len(p.noise_band_db)
('flute', True, 9)
>>> load_preset("kazoo")
Traceback (most recent call last):
...
lemm.errors.ParameterError: preset must be one of acoustic_piano, brass, cello, electric_bass, electric_guitar, electric_piano, flute, nylon_guitar, organ, steel_guitar, string_ensemble, synth_bass, synth_lead, synth_pad, got 'kazoo'
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

from lemm.errors import FileFormatError, ParameterError
from lemm.io.atomic import atomic_write_text
from lemm.io.jsondata import read_json_file
from lemm.render.synth import NOISE_BAND_CENTERS_HZ

__all__ = [
    "BodyResonance",
    "TimbreRegion",
    "Preset",
    "PRESET_DIR",
    "KEYFRAME_SECONDS",
    "HARMONIC_GROUP_STARTS",
    "MAX_HARMONICS",
    "list_presets",
    "load_preset",
    "preset_from_dict",
    "preset_to_dict",
]

#: Folder holding the preset JSON files.
PRESET_DIR = Path(__file__).parent / "presets"

#: Most harmonics a preset or region may list.
MAX_HARMONICS = 256
#: Times after the onset (s) of a region's spectral keyframes (``TimbreRegion.keyframe_gains_db``).
KEYFRAME_SECONDS = (0.02, 0.06, 0.12, 0.2, 0.3, 0.45, 0.6, 0.8, 1.0)
#: First harmonic (1-based) of each harmonic group a keyframe gives one gain to; a group runs to the next start.
HARMONIC_GROUP_STARTS = (1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193)


def _real(value: object, field: str, low: float = -math.inf, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not low <= value <= high:
        raise ParameterError.for_field(field, value, f"a finite number in {low:g}..{high:g}")
    return float(value)


def _check_partial_ratios(ratios: object, field: str) -> None:
    """``ratios`` must be a tuple of at most :data:`MAX_HARMONICS` numbers, item ``k`` (1-based) within ``k`` +- 0.5."""
    if not isinstance(ratios, tuple) or len(ratios) > MAX_HARMONICS:
        raise ParameterError.for_field(field, ratios, f"a tuple of 0..{MAX_HARMONICS} numbers")
    for k, r in enumerate(ratios, start=1):
        _real(r, f"{field} item {k}", k - 0.5 + 1e-9, k + 0.5 - 1e-9)


@dataclass(frozen=True)
class BodyResonance:
    """A static resonance of the instrument body: a Gaussian bump of ``gain_db`` at ``freq_hz``."""

    freq_hz: float
    gain_db: float
    bandwidth_hz: float

    def __post_init__(self) -> None:
        _real(self.freq_hz, "body_resonance.freq_hz", 20.0, 20000.0)
        _real(self.gain_db, "body_resonance.gain_db", -40.0, 40.0)
        _real(self.bandwidth_hz, "body_resonance.bandwidth_hz", 1.0, 20000.0)


@dataclass(frozen=True)
class TimbreRegion:
    """The spectrum measured at one (pitch, velocity) point of a preset's range.

    Between regions the synth interpolates linearly in pitch, then velocity
    (see :func:`lemm.render.timbre.region_timbre`); outside them it holds the
    nearest. ``noise_band_db + noise_level_db`` is the sustained noise relative
    to the harmonic part (-120 means none).

    ``keyframe_gains_db`` makes the spectrum move while the note sounds: one row
    per :data:`KEYFRAME_SECONDS` time, one gain (dB) per harmonic group of
    :data:`HARMONIC_GROUP_STARTS`, on top of the preset's level envelope
    (linear in time between keyframes, the first and last held). It carries
    what one envelope cannot: upper partials of an electric piano dying while
    the fundamental holds, a pad's slow swell and filter sweep, a rotary
    speaker's slow beating. Empty: a static spectrum.

    ``partial_ratios`` places the partials of a struck bar or stiff string:
    partial ``k`` sounds at ``partial_ratios[k - 1] * f0`` (within ``k`` +- 0.5:
    the partial nearest harmonic ``k``) instead of ``k * f0``; partials past
    the tuple (all of them when it is empty) are harmonic. Between regions the
    ratios interpolate in log frequency by pitch
    (:func:`lemm.render.timbre.region_partial_ratios`).
    """

    pitch: int
    velocity: int
    harmonic_amplitudes: tuple[float, ...]
    noise_band_db: tuple[float, ...] = (-60.0,) * len(NOISE_BAND_CENTERS_HZ)
    noise_level_db: float = -120.0
    keyframe_gains_db: tuple[tuple[float, ...], ...] = ()
    partial_ratios: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        _check_partial_ratios(self.partial_ratios, "region partial_ratios")
        for field, low, high in (("pitch", 0, 127), ("velocity", 1, 127)):
            v = getattr(self, field)
            if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
                raise ParameterError.for_field(f"region {field}", v, f"an integer in {low}..{high}")
        amps = self.harmonic_amplitudes
        if not isinstance(amps, tuple) or not 1 <= len(amps) <= MAX_HARMONICS:
            raise ParameterError.for_field("region harmonic_amplitudes", amps, f"a tuple of 1..{MAX_HARMONICS} numbers")
        for a in amps:
            _real(a, "region harmonic_amplitudes item", 0.0, 10.0)
        if not any(a > 0 for a in amps):
            raise ParameterError.for_field("region harmonic_amplitudes", amps, "at least one amplitude > 0")
        if not isinstance(self.noise_band_db, tuple) or len(self.noise_band_db) != len(NOISE_BAND_CENTERS_HZ):
            raise ParameterError.for_field("region noise_band_db", self.noise_band_db, f"{len(NOISE_BAND_CENTERS_HZ)} numbers (dB per band)")
        for b in self.noise_band_db:
            _real(b, "region noise_band_db item", -120.0, 40.0)
        _real(self.noise_level_db, "region noise_level_db", -120.0, 40.0)
        keys = self.keyframe_gains_db
        shape = f"() or {len(KEYFRAME_SECONDS)} tuples (one per KEYFRAME_SECONDS) of {len(HARMONIC_GROUP_STARTS)} numbers (dB per harmonic group)"
        if not isinstance(keys, tuple) or (keys and len(keys) != len(KEYFRAME_SECONDS)):
            raise ParameterError.for_field("region keyframe_gains_db", keys, shape)
        for row in keys:
            if not isinstance(row, tuple) or len(row) != len(HARMONIC_GROUP_STARTS):
                raise ParameterError.for_field("region keyframe_gains_db", keys, shape)
            for g in row:
                _real(g, "region keyframe_gains_db item", -120.0, 40.0)


#: The shapes a preset's release may take (see :class:`Preset`).
RELEASE_CURVES = ("cubic", "exponential")
#: How a note between region pitches mixes their spectra (see :class:`Preset`).
REGION_BLENDS = ("linear", "log")


@dataclass(frozen=True)
class Preset:
    """One instrument sound for the harmonic-plus-noise synth.

    Parameters
    ----------
    name, description : str
    harmonic_amplitudes : tuple of float
        Relative amplitude of harmonics 1..K (K = its length, 1..256).
    attack_ms, decay_ms, sustain_level, release_ms : float
        ADSR: attack ramp, time to settle to ``sustain_level`` (0..1), release after note off.
    decay_seconds : float or None
        For plucked/struck sounds: time to fall 60 dB at MIDI pitch 60 (None: sustained).
    decay_pitch_factor : float
        ``decay_seconds`` is scaled by ``2 ** (-(pitch - 60) / 12 * decay_pitch_factor)``.
    harmonic_decay : float
        Harmonic k decays ``1 + harmonic_decay * (k - 1)`` times as fast as the fundamental.
    brightness : float
        Neutral brightness 0..1 (0.5 keeps ``harmonic_amplitudes`` as given).
    brightness_db_per_octave : float
        Spectral tilt at brightness 1 (and minus it at 0), dB per octave of harmonic number.
    velocity_brightness : float
        Brightness added per unit of ``(velocity - 100) / 127``.
    velocity_halving_db : float
        Level drop in dB when velocity halves (12 = square law).
    attack_brightness_db_per_octave, attack_brightness_ms : float
        Extra tilt at the onset, decaying with this time constant (brass "blat", bow bite).
    body_resonances : tuple of BodyResonance
    noise_band_db : tuple of float
        Sustained-noise gain per :data:`NOISE_BAND_CENTERS_HZ` band, dB.
    noise_level_db : float or None
        Sustained noise level relative to the harmonic part (None: none).
    attack_noise_band_db : tuple of float
        Attack-burst noise gain per band, dB.
    attack_noise_db : float or None
        Attack-burst level relative to the harmonic part (None: none).
    attack_noise_ms : float
        Time constant of the attack burst's decay.
    detune_cents : tuple of float
        One copy of each voice per entry, detuned by that many cents (chorus, ensemble).
    stereo_width : float
        0..1: how far copies spread left/right; a single-copy polyphonic preset
        spreads its notes by pitch instead (:func:`lemm.render.instrument.pitch_pan`).
    monophonic : bool
        One voice at a time; legato notes glide (``portamento_ms``).
    vibrato_depth_cents, vibrato_rate_hz, vibrato_delay_ms : float
        Default vibrato when the track has no vibrato curves.
    gain_db : float
        Output trim so presets sit at comparable levels.
    regions : tuple of TimbreRegion
        Spectra fitted at several (pitch, velocity) points; when present they
        replace ``harmonic_amplitudes`` and ``noise_band_db`` (interpolated per note).
        ``noise_level_db`` must then be set (it gates the noise path).
    fixed_formants : bool
        Read each region's spectrum as an envelope over frequency (formants stay put
        when the pitch moves, as in winds and voices) instead of over harmonic number.
    partial_divisor : int
        1..4: the harmonics are multiples of ``f0 / partial_divisor`` (a drawbar
        organ's 16' and 5 1/3' pipes sound under and between the written pitch's
        harmonics); harmonic ``partial_divisor`` is the written pitch.
    ensemble_drift_cents : float
        With several ``detune_cents`` copies: each copy (a player) wanders
        in pitch on its own by about this many cents (RMS; slow, 0.1-0.7 Hz)
        and adds its own vibrato at its own rate and phase, so a section
        does not beat like two fixed oscillators nor move as one voice.
    timbre_drift_db : float
        Slow drift of the spectrum while a note is held: each harmonic group
        rises and falls by about this many dB (RMS, 0.1-0.7 Hz), from 0.3 s
        after the onset (0: a frozen sustain).
    region_blend : str
        How a note between two region pitches mixes their spectra: ``"linear"``
        (amplitudes, so the louder partials of either stay) or ``"log"`` (dB: a
        geometric mean, a partial strong in one region and weak in the other
        comes out in between). ``fit_preset`` picks the one that predicts its
        inner notes from their neighbours better.
    release_curve : str
        How the level falls after note-off, reaching silence ``release_ms`` later:
        ``"cubic"`` (``(1 - t/R)^3``: held up, then quick) or ``"exponential"``
        (a straight line in dB to -60 dB at ``R``, as a struck string or a
        room's tail: -20 dB at a third of ``R``).
    lowpass_hz : float or None
        Corner of a 48 dB/octave roll-off over the partials' frequencies
        (a synth's filter): nothing above what the preset asks (None: none).
    harmonic_phases : tuple of float
        Phase offset of harmonic ``k`` (radians, -pi..pi) in
        ``sin(2 pi k phase + psi_k)``: the shape of the waveform within a period
        (a reed's or a bow's pulse), measured by :func:`lemm.render.fit_preset`;
        harmonics past the tuple (and every harmonic when it is empty) take 0.
    partial_ratios : tuple of float
        Frequency of partial ``k`` as a multiple of f0 (item ``k`` within
        ``k`` +- 0.5), for inharmonic struck sounds (a vibraphone bar's third
        mode near 10 but not at it); partials past the tuple, and all when it is
        empty (the default), are harmonic. Regions carry their own
        (:class:`TimbreRegion`); this one serves a preset without regions.
        Brightness, body resonances and the low-pass read a partial at its
        harmonic number ``k``.
    """

    name: str
    description: str
    harmonic_amplitudes: tuple[float, ...]
    attack_ms: float
    decay_ms: float
    sustain_level: float
    release_ms: float
    decay_seconds: float | None = None
    decay_pitch_factor: float = 0.5
    harmonic_decay: float = 0.0
    brightness: float = 0.5
    brightness_db_per_octave: float = 6.0
    velocity_brightness: float = 0.3
    velocity_halving_db: float = 12.0
    attack_brightness_db_per_octave: float = 0.0
    attack_brightness_ms: float = 30.0
    body_resonances: tuple[BodyResonance, ...] = ()
    noise_band_db: tuple[float, ...] = (-60.0,) * len(NOISE_BAND_CENTERS_HZ)
    noise_level_db: float | None = None
    attack_noise_band_db: tuple[float, ...] = (-60.0,) * len(NOISE_BAND_CENTERS_HZ)
    attack_noise_db: float | None = None
    attack_noise_ms: float = 10.0
    detune_cents: tuple[float, ...] = (0.0,)
    stereo_width: float = 0.0
    monophonic: bool = False
    portamento_ms: float = 60.0
    vibrato_depth_cents: float = 0.0
    vibrato_rate_hz: float = 5.5
    vibrato_delay_ms: float = 300.0
    gain_db: float = 0.0
    regions: tuple[TimbreRegion, ...] = ()
    fixed_formants: bool = False
    partial_divisor: int = 1
    harmonic_phases: tuple[float, ...] = ()
    lowpass_hz: float | None = None
    ensemble_drift_cents: float = 0.0
    timbre_drift_db: float = 0.0
    release_curve: str = "cubic"
    region_blend: str = "linear"
    partial_ratios: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ParameterError.for_field("preset.name", self.name, "a non-empty string")
        amps = self.harmonic_amplitudes
        if not isinstance(amps, tuple) or not 1 <= len(amps) <= MAX_HARMONICS:
            raise ParameterError.for_field(f"preset {self.name!r} harmonic_amplitudes", amps, f"a tuple of 1..{MAX_HARMONICS} numbers")
        for a in amps:
            _real(a, f"preset {self.name!r} harmonic_amplitudes item", 0.0, 10.0)
        if not any(a > 0 for a in amps):
            raise ParameterError.for_field(f"preset {self.name!r} harmonic_amplitudes", amps, "at least one amplitude > 0")
        for field, low, high in (
            ("attack_ms", 0.0, 10000.0),
            ("decay_ms", 0.0, 20000.0),
            ("sustain_level", 0.0, 1.0),
            ("release_ms", 1.0, 20000.0),
            ("decay_pitch_factor", 0.0, 3.0),
            ("harmonic_decay", 0.0, 10.0),
            ("brightness", 0.0, 1.0),
            ("brightness_db_per_octave", 0.0, 24.0),
            ("velocity_brightness", 0.0, 2.0),
            ("velocity_halving_db", 0.0, 24.0),
            ("attack_brightness_db_per_octave", -24.0, 24.0),
            ("attack_brightness_ms", 1.0, 5000.0),
            ("attack_noise_ms", 0.5, 1000.0),
            ("stereo_width", 0.0, 1.0),
            ("portamento_ms", 0.0, 2000.0),
            ("vibrato_depth_cents", 0.0, 200.0),
            ("vibrato_rate_hz", 0.0, 12.0),
            ("vibrato_delay_ms", 0.0, 5000.0),
            ("gain_db", -40.0, 40.0),
            ("ensemble_drift_cents", 0.0, 50.0),
            ("timbre_drift_db", 0.0, 12.0),
        ):
            _real(getattr(self, field), f"preset {self.name!r} {field}", low, high)
        _check_partial_ratios(self.partial_ratios, f"preset {self.name!r} partial_ratios")
        if self.release_curve not in RELEASE_CURVES:
            raise ParameterError.for_field(f"preset {self.name!r} release_curve", self.release_curve, f"one of {', '.join(RELEASE_CURVES)}")
        if self.region_blend not in REGION_BLENDS:
            raise ParameterError.for_field(f"preset {self.name!r} region_blend", self.region_blend, f"one of {', '.join(REGION_BLENDS)}")
        if self.lowpass_hz is not None:
            _real(self.lowpass_hz, f"preset {self.name!r} lowpass_hz", 200.0, 24000.0)
        for field in ("decay_seconds", "noise_level_db", "attack_noise_db"):
            value = getattr(self, field)
            if value is not None:
                _real(value, f"preset {self.name!r} {field}", 0.01 if field == "decay_seconds" else -120.0, 120.0 if field == "decay_seconds" else 40.0)
        for field in ("noise_band_db", "attack_noise_band_db"):
            bands = getattr(self, field)
            if not isinstance(bands, tuple) or len(bands) != len(NOISE_BAND_CENTERS_HZ):
                raise ParameterError.for_field(f"preset {self.name!r} {field}", bands, f"{len(NOISE_BAND_CENTERS_HZ)} numbers (dB per band)")
            for b in bands:
                _real(b, f"preset {self.name!r} {field} item", -120.0, 40.0)
        if not isinstance(self.detune_cents, tuple) or not 1 <= len(self.detune_cents) <= 8:
            raise ParameterError.for_field(f"preset {self.name!r} detune_cents", self.detune_cents, "a tuple of 1..8 numbers")
        for c in self.detune_cents:
            _real(c, f"preset {self.name!r} detune_cents item", -100.0, 100.0)
        if not isinstance(self.regions, tuple) or not all(isinstance(r, TimbreRegion) for r in self.regions):
            raise ParameterError.for_field(f"preset {self.name!r} regions", self.regions, "a tuple of TimbreRegion")
        if not isinstance(self.fixed_formants, bool):
            raise ParameterError.for_field(f"preset {self.name!r} fixed_formants", self.fixed_formants, "true or false")
        d = self.partial_divisor
        if isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= 4:
            raise ParameterError.for_field(f"preset {self.name!r} partial_divisor", d, "an integer in 1..4")
        if not isinstance(self.monophonic, bool):
            raise ParameterError.for_field(f"preset {self.name!r} monophonic", self.monophonic, "true or false")
        if not isinstance(self.harmonic_phases, tuple) or len(self.harmonic_phases) > MAX_HARMONICS:
            raise ParameterError.for_field(f"preset {self.name!r} harmonic_phases", self.harmonic_phases, f"a tuple of 0..{MAX_HARMONICS} numbers")
        for psi in self.harmonic_phases:
            _real(psi, f"preset {self.name!r} harmonic_phases item", -math.pi - 1e-6, math.pi + 1e-6)

    @property
    def uses_noise(self) -> bool:
        """True if the preset draws random noise (so its output depends on the seed)."""
        return self.noise_level_db is not None or self.attack_noise_db is not None

    @property
    def is_percussive(self) -> bool:
        """True for plucked/struck sounds that decay while held."""
        return self.decay_seconds is not None


_TUPLE_FIELDS = ("harmonic_amplitudes", "noise_band_db", "attack_noise_band_db", "detune_cents", "harmonic_phases", "partial_ratios")


def preset_from_dict(data: dict) -> Preset:
    """Build a :class:`Preset` from its JSON dictionary, or from :func:`preset_to_dict` itself (unknown keys are an error)."""
    if not isinstance(data, dict):
        raise ParameterError.for_field("preset", type(data).__name__, "a JSON object")
    known = {f.name for f in dataclasses.fields(Preset)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ParameterError.for_field("preset keys", unknown, f"keys among {', '.join(sorted(known))}")
    kwargs = dict(data)
    for field in _TUPLE_FIELDS:
        if field in kwargs and isinstance(kwargs[field], (list, tuple)):
            kwargs[field] = tuple(kwargs[field])
    if isinstance(kwargs.get("body_resonances"), (list, tuple)):
        try:
            kwargs["body_resonances"] = tuple(r if isinstance(r, BodyResonance) else BodyResonance(**r) for r in kwargs["body_resonances"])
        except TypeError as err:
            raise ParameterError.for_field("preset body_resonances", kwargs["body_resonances"], "objects with freq_hz, gain_db, bandwidth_hz") from err
    if isinstance(kwargs.get("regions"), (list, tuple)):
        regions = []
        for r in kwargs["regions"]:
            if isinstance(r, TimbreRegion):
                regions.append(r)
                continue
            if not isinstance(r, dict):
                raise ParameterError.for_field("preset regions item", r, "a JSON object")
            r = dict(r)
            for field in ("harmonic_amplitudes", "noise_band_db", "partial_ratios"):
                if isinstance(r.get(field), (list, tuple)):
                    r[field] = tuple(r[field])
            if isinstance(r.get("keyframe_gains_db"), (list, tuple)):
                r["keyframe_gains_db"] = tuple(tuple(row) if isinstance(row, list) else row for row in r["keyframe_gains_db"])
            try:
                regions.append(TimbreRegion(**r))
            except TypeError as err:
                raise ParameterError.for_field("preset regions item", sorted(r), "keys pitch, velocity, harmonic_amplitudes, noise_band_db, noise_level_db, keyframe_gains_db, partial_ratios") from err
        kwargs["regions"] = tuple(regions)
    try:
        return Preset(**kwargs)
    except TypeError as err:
        raise ParameterError(f"preset is missing a required key: {err}") from err


def preset_to_dict(preset: Preset) -> dict:
    """The JSON dictionary of ``preset`` (inverse of :func:`preset_from_dict`)."""
    return dataclasses.asdict(preset)


def save_preset(preset: Preset, path: str | os.PathLike) -> Path:
    """Write ``preset`` as a JSON file, atomically (the format of the shipped presets). Returns the path written."""
    return atomic_write_text(Path(path), json.dumps(preset_to_dict(preset), indent=1) + "\n")


def read_preset(path: str | os.PathLike) -> Preset:
    """Read a preset JSON file (:func:`save_preset`, ``lemm timbre fit -o``, or a shipped one).

    Raises
    ------
    LemmFileNotFoundError, FileFormatError
        A missing or non-JSON file.
    ParameterError
        A preset that is not valid (unknown keys, values out of range).
    """
    return preset_from_dict(read_json_file(path, what="preset file"))


def list_presets() -> list[str]:
    """Names of the presets shipped in :data:`PRESET_DIR`, sorted."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.json"))


@functools.lru_cache(maxsize=None)
def load_preset(name: str) -> Preset:
    """Load the preset called ``name``.

    Raises
    ------
    ParameterError
        If no preset has that name (the message lists the known ones).
    FileFormatError
        If the preset file is not valid JSON.
    """
    known = list_presets()
    if not isinstance(name, str) or name not in known:
        raise ParameterError.for_field("preset", name, f"one of {', '.join(known)}")
    path = PRESET_DIR / f"{name}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise FileFormatError(f"preset file {path} is not valid JSON: {err}") from err
    preset = preset_from_dict(data)
    if preset.name != name:
        raise FileFormatError(f"preset file {path} names itself {preset.name!r}, expected {name!r}")
    return preset
