"""Mix settings: what the mixer does to each track and to the buses, as editable data.

``MixSettings.to_dict()`` gives plain JSON-ready data (stored in song.json);
``MixSettings.from_dict(data)`` reads it back, fills missing keys with
defaults, and rejects unknown keys and bad values with a ParameterError
naming the field, e.g. ``mix.tracks['piano'].pan must be a finite number in
[-1, 1], got 2``.

Units: ``*_db`` decibels, ``pan`` -1 (left) .. +1 (right), ``*_hz`` hertz,
``*_ms`` milliseconds. ``highpass_hz: None`` means no high-pass;
``reverb_send_db: None`` / ``delay_send_db: None`` mean no send;
``sidechain_source: None`` means no ducking.

Examples
--------
>>> s = MixSettings(tracks={"bass": TrackMix(gain_db=-3.0)})
>>> d = s.to_dict()
>>> d["tracks"]["bass"]["gain_db"]
-3.0
>>> MixSettings.from_dict(d) == s
True
>>> MixSettings.from_dict({"tracks": {"bass": {"pan": 2}}})
Traceback (most recent call last):
...
lemm.errors.ParameterError: mix.tracks['bass'].pan must be a finite number in [-1, 1], got 2
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lemm.errors import ParameterError
from lemm.mix._validate import check_number
from lemm.mix.filters import EqBand
from lemm.validate import COMPRESSOR_RANGES, MIX_GAIN_RANGE_DB

__all__ = [
    "EqBand", "CompressorSettings", "TrackMix", "ReverbSettings", "DelaySettings", "MasterSettings", "MixSettings",
    "SCHEMA_VERSION",
]

#: Version of the dict layout written by :meth:`MixSettings.to_dict`.
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class CompressorSettings:
    """A track compressor (ratio 1 = off). See :func:`lemm.mix.dynamics.compressor_gain`."""

    threshold_db: float = 0.0
    ratio: float = 1.0
    attack_ms: float = 10.0
    release_ms: float = 120.0
    knee_db: float = 6.0
    makeup_db: float = 0.0

    def __post_init__(self) -> None:
        for name, (low, high) in COMPRESSOR_RANGES.items():
            _number(self, name, low, high)


@dataclass(frozen=True)
class TrackMix:
    """One track's channel strip: gain -> high-pass -> EQ -> compressor -> pan -> spread, plus a reverb send.

    Parameters
    ----------
    gain_db : float
        Fader gain, -120..+48 dB (applied before the compressor).
    pan : float
        -1 (left) .. +1 (right), constant-power (see :mod:`lemm.mix.panning`).
    highpass_hz : float or None
        Butterworth 12 dB/octave high-pass cutoff, or None for none.
    eq : tuple of EqBand
        Peaking / shelving bands after the high-pass.
    compressor : CompressorSettings
        Threshold in dBFS after the fader.
    reverb_send_db : float or None
        Post-fader, post-pan send level to the shared reverb (None = no send).
    mute : bool
        Leave the track out of the mix.
    delay_send_db : float or None
        Post-fader, post-pan send level to the shared delay (None = no send).
    sidechain_source : str or None
        Name of the stem whose low end (the kick) ducks this track, or None.
    sidechain_depth_db : float
        Gain reduction at the source's loudest hits, 0..24 dB (0 = off).
    sidechain_release_ms : float
        Recovery time constant of the ducking, 1..2000 ms.
    spread : float
        0..1: stereo spread after the pan, without delays and without changing
        the mono fold-down (:func:`lemm.mix.stereo.spectral_spread`; 0 = off).
    """

    gain_db: float = 0.0
    pan: float = 0.0
    highpass_hz: float | None = None
    eq: tuple[EqBand, ...] = ()
    compressor: CompressorSettings = field(default_factory=CompressorSettings)
    reverb_send_db: float | None = None
    mute: bool = False
    delay_send_db: float | None = None
    sidechain_source: str | None = None
    sidechain_depth_db: float = 0.0
    sidechain_release_ms: float = 150.0
    spread: float = 0.0

    def __post_init__(self) -> None:
        _number(self, "gain_db", *MIX_GAIN_RANGE_DB)
        _number(self, "spread", 0.0, 1.0)
        _number(self, "pan", -1.0, 1.0)
        if self.highpass_hz is not None:
            _number(self, "highpass_hz", 1.0, 20000.0)
        if not isinstance(self.eq, tuple) or not all(isinstance(b, EqBand) for b in self.eq):
            raise ParameterError.for_field("eq", self.eq, "a tuple of EqBand")
        if not isinstance(self.compressor, CompressorSettings):
            raise ParameterError.for_field("compressor", self.compressor, "a CompressorSettings")
        if self.reverb_send_db is not None:
            _number(self, "reverb_send_db", -120.0, 12.0)
        if not isinstance(self.mute, bool):
            raise ParameterError.for_field("mute", self.mute, "True or False")
        if self.delay_send_db is not None:
            _number(self, "delay_send_db", -120.0, 12.0)
        if self.sidechain_source is not None and (not isinstance(self.sidechain_source, str) or not self.sidechain_source):
            raise ParameterError.for_field("sidechain_source", self.sidechain_source, "None or a stem name")
        _number(self, "sidechain_depth_db", 0.0, 24.0)
        _number(self, "sidechain_release_ms", 1.0, 2000.0)


@dataclass(frozen=True)
class ReverbSettings:
    """The shared reverb bus. See :func:`lemm.mix.reverb.reverb`."""

    decay_seconds: float = 1.8
    predelay_ms: float = 20.0
    damping: float = 0.5
    highpass_hz: float = 150.0
    return_db: float = 0.0

    def __post_init__(self) -> None:
        _number(self, "decay_seconds", 0.1, 10.0)
        _number(self, "predelay_ms", 0.0, 200.0)
        _number(self, "damping", 0.0, 1.0)
        _number(self, "highpass_hz", 0.0, 2000.0)
        _number(self, "return_db", -120.0, 12.0)


@dataclass(frozen=True)
class DelaySettings:
    """The shared delay bus (echoes). See :func:`lemm.mix.delay.delay`."""

    time_ms: float = 375.0
    feedback: float = 0.3
    highpass_hz: float = 300.0
    lowpass_hz: float = 6000.0
    ping_pong: bool = True
    return_db: float = 0.0

    def __post_init__(self) -> None:
        _number(self, "time_ms", 1.0, 4000.0)
        _number(self, "feedback", 0.0, 0.95)
        _number(self, "highpass_hz", 0.0, 2000.0)
        _number(self, "lowpass_hz", 500.0, 24000.0)
        if not isinstance(self.ping_pong, bool):
            raise ParameterError.for_field("ping_pong", self.ping_pong, "True or False")
        _number(self, "return_db", -120.0, 12.0)


@dataclass(frozen=True)
class MasterSettings:
    """The master bus: tilt EQ, stereo width, glue compressor, loudness target, true-peak limiter.

    See :func:`lemm.mix.master` (its keyword names are these field names).
    ``glue_threshold_lu`` is relative to the mix's integrated loudness (the
    glue compressor's peak detector acts on peaks that many LU above it).
    ``tilt_target_db_per_octave`` is the spectral tilt the tilt EQ moves
    toward (see :data:`lemm.mix.targets.GENRE_TILT_DB_PER_OCTAVE`),
    ``tilt_strength`` the fraction of the distance it moves (0 = off).
    ``stereo_width`` scales the side signal (1 = unchanged, 0 = mono);
    ``mono_bass_hz`` high-passes the side signal (None = off);
    ``max_fold_down_loss_db`` narrows the side further where needed so the
    mono fold-down loses at most that much loudness. ``section_floor_lu``
    lifts passages more than that many LU under the mix's loudness toward
    it (None = off; see :func:`lemm.mix.dynamics.section_lift_gain`).
    ``min_side_mid_db`` widens a narrow mix's side toward that side/mid
    ratio, at most 1.5x (None = off).
    """

    target_lufs: float = -14.0
    ceiling_dbtp: float = -1.0
    glue_ratio: float = 1.5
    glue_threshold_lu: float = 8.0
    glue_attack_ms: float = 30.0
    glue_release_ms: float = 250.0
    limiter_lookahead_ms: float = 5.0
    limiter_release_ms: float = 100.0
    tilt_target_db_per_octave: float = -4.5
    tilt_strength: float = 0.5
    stereo_width: float = 1.0
    mono_bass_hz: float | None = 120.0
    max_fold_down_loss_db: float = 1.2
    section_floor_lu: float | None = -9.0
    min_side_mid_db: float | None = -10.0

    def __post_init__(self) -> None:
        _number(self, "target_lufs", -60.0, 0.0)
        _number(self, "tilt_target_db_per_octave", -12.0, 6.0)
        _number(self, "tilt_strength", 0.0, 1.0)
        _number(self, "stereo_width", 0.0, 2.0)
        if self.mono_bass_hz is not None:
            _number(self, "mono_bass_hz", 20.0, 500.0)
        _number(self, "max_fold_down_loss_db", 0.1, 3.0)
        if self.section_floor_lu is not None:
            _number(self, "section_floor_lu", -40.0, 0.0)
        if self.min_side_mid_db is not None:
            _number(self, "min_side_mid_db", -30.0, 0.0)
        _number(self, "ceiling_dbtp", -20.0, -0.1)
        _number(self, "glue_ratio", 1.0, 10.0)
        _number(self, "glue_threshold_lu", -20.0, 40.0)
        _number(self, "glue_attack_ms", 0.0, 1000.0)
        _number(self, "glue_release_ms", 0.0, 5000.0)
        _number(self, "limiter_lookahead_ms", 0.1, 100.0)
        _number(self, "limiter_release_ms", 0.0, 5000.0)


@dataclass(frozen=True)
class MixSettings:
    """Everything the mixer and mastering chain do, per track (by stem name) and per bus.

    ``tracks`` is stored read-only; edit with :meth:`with_track` or ``dataclasses.replace``.
    """

    tracks: Mapping[str, TrackMix] = field(default_factory=dict)
    reverb: ReverbSettings = field(default_factory=ReverbSettings)
    master: MasterSettings = field(default_factory=MasterSettings)
    delay: DelaySettings = field(default_factory=DelaySettings)

    def __post_init__(self) -> None:
        if not isinstance(self.tracks, Mapping):
            raise ParameterError.for_field("tracks", self.tracks, "a mapping from stem name to TrackMix")
        for name, track in self.tracks.items():
            if not isinstance(name, str) or not name:
                raise ParameterError.for_field("tracks key", name, "a non-empty stem name")
            if not isinstance(track, TrackMix):
                raise ParameterError.for_field(f"tracks[{name!r}]", track, "a TrackMix")
        if not isinstance(self.reverb, ReverbSettings):
            raise ParameterError.for_field("reverb", self.reverb, "a ReverbSettings")
        if not isinstance(self.master, MasterSettings):
            raise ParameterError.for_field("master", self.master, "a MasterSettings")
        if not isinstance(self.delay, DelaySettings):
            raise ParameterError.for_field("delay", self.delay, "a DelaySettings")
        object.__setattr__(self, "tracks", types.MappingProxyType(dict(self.tracks)))

    def with_track(self, name: str, track: TrackMix) -> "MixSettings":
        """A copy with ``name``'s settings replaced (or added)."""
        return dataclasses.replace(self, tracks={**self.tracks, name: track})

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-ready data (see :meth:`from_dict`)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "tracks": {name: _track_to_dict(t) for name, t in self.tracks.items()},
            "reverb": dataclasses.asdict(self.reverb),
            "master": dataclasses.asdict(self.master),
            "delay": dataclasses.asdict(self.delay),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "MixSettings":
        """Read settings written by :meth:`to_dict` (or by hand; missing keys take defaults).

        Raises
        ------
        ParameterError
            Unknown keys or bad values, naming the field (``mix.tracks['x'].pan``).
        """
        _require_mapping(data, "mix")
        _check_keys(data, {"schema_version", "tracks", "reverb", "master", "delay"}, "mix")
        version = data.get("schema_version", SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            raise ParameterError.for_field("mix.schema_version", version, f"{SCHEMA_VERSION}")
        tracks_data = data.get("tracks", {})
        _require_mapping(tracks_data, "mix.tracks")
        tracks = {}
        for name, t in tracks_data.items():
            tracks[name] = _track_from_dict(t, f"mix.tracks[{name!r}]")
        reverb = _build(ReverbSettings, data.get("reverb", {}), "mix.reverb")
        master = _build(MasterSettings, data.get("master", {}), "mix.master")
        delay = _build(DelaySettings, data.get("delay", {}), "mix.delay")
        return _with_path(lambda: cls(tracks=tracks, reverb=reverb, master=master, delay=delay), "mix")


def _number(obj: object, name: str, low: float, high: float) -> None:
    """Check a numeric field and store it as a float (so 0 and 0.0 read back alike)."""
    object.__setattr__(obj, name, check_number(getattr(obj, name), name, low, high))


def _track_to_dict(t: TrackMix) -> dict[str, Any]:
    d = dataclasses.asdict(t)
    d["eq"] = [dataclasses.asdict(b) for b in t.eq]
    return d


def _track_from_dict(data: Any, path: str) -> TrackMix:
    _require_mapping(data, path)
    names = {f.name for f in dataclasses.fields(TrackMix)}
    _check_keys(data, names, path)
    values = dict(data)
    if "compressor" in values:
        values["compressor"] = _build(CompressorSettings, values["compressor"], f"{path}.compressor")
    if "eq" in values:
        bands = values["eq"]
        if not isinstance(bands, (list, tuple)):
            raise ParameterError.for_field(f"{path}.eq", bands, "a list of EQ bands")
        values["eq"] = tuple(_build(EqBand, b, f"{path}.eq[{i}]") for i, b in enumerate(bands))
    return _with_path(lambda: TrackMix(**values), path)


def _build(cls: type, data: Any, path: str) -> Any:
    _require_mapping(data, path)
    _check_keys(data, {f.name for f in dataclasses.fields(cls)}, path)
    return _with_path(lambda: cls(**data), path)


def _with_path(make, path: str) -> Any:
    try:
        return make()
    except ParameterError as err:
        raise ParameterError(f"{path}.{err}") from None


def _require_mapping(data: Any, path: str) -> None:
    if not isinstance(data, Mapping):
        raise ParameterError.for_field(path, data, "a mapping (JSON object)")


def _check_keys(data: Mapping, allowed: set[str], path: str) -> None:
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise ParameterError.for_field(f"{path} keys", unknown, f"a subset of {sorted(allowed)}")
