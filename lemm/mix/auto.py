"""Automatic mix settings from the stems and their roles.

For every stem, :func:`auto_mix_settings` measures the integrated loudness
(BS.1770) and sets the fader so the stem lands at its role's target loudness
(:data:`ROLE_PROFILES`: drums and vocal loudest, bass just under, pads and
effects quietest), then adds the caller's gain hint. It pans from the pan
hints (role defaults where a stem has none; a second stem of the same role
goes to the other side), keeping low-end roles (bass, kick, drums) centred
whatever the hint; high-passes everything except bass;
sets a gentle per-role compressor whose threshold sits a few dB above the
stem's target level (peak detector: it catches peaks, not the body); and a
per-role reverb send (none for bass and kick).

A stem too quiet to measure (no block above -70 LUFS) keeps 0 dB gain.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> stems = {"drums": rng.standard_normal((2, 48000)) * 0.1, "pad": rng.standard_normal((2, 48000)) * 0.1}
>>> s = auto_mix_settings(stems, roles={"drums": "drums", "pad": "pad"}, sample_rate=48000)
>>> s.tracks["drums"].gain_db > s.tracks["pad"].gain_db       # pads sit lower
True
>>> s.tracks["pad"].highpass_hz, s.tracks["drums"].pan
(120.0, 0.0)
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from lemm.errors import ParameterError
from lemm.mix._validate import as_audio, check_number, check_sample_rate
from lemm.mix.loudness import integrated_loudness
from lemm.mix.settings import CompressorSettings, MixSettings, TrackMix

__all__ = ["RoleProfile", "ROLE_PROFILES", "auto_mix_settings", "stem_loudness"]


@dataclass(frozen=True)
class RoleProfile:
    """How the automatic mix treats one role.

    ``loudness_lufs`` is the stem's integrated loudness after the fader; a
    full arrangement then sums to about -18 LUFS, leaving the master headroom.
    ``comp_threshold_lu`` is relative to ``loudness_lufs``.
    """

    loudness_lufs: float
    highpass_hz: float | None
    comp_threshold_lu: float
    comp_ratio: float
    comp_attack_ms: float
    comp_release_ms: float
    reverb_send_db: float | None
    pan: float = 0.0
    centred: bool = False


#: Per-role defaults (roles of :data:`lemm.score.model.ROLES`, plus "kick").
ROLE_PROFILES: Mapping[str, RoleProfile] = {
    "drums": RoleProfile(-22.0, 30.0, 10.0, 3.0, 10.0, 120.0, -20.0, 0.0, True),
    "kick": RoleProfile(-23.0, 25.0, 8.0, 3.0, 10.0, 100.0, None, 0.0, True),
    "percussion": RoleProfile(-28.0, 150.0, 10.0, 2.0, 5.0, 100.0, -16.0, 0.35),
    "bass": RoleProfile(-24.0, None, 6.0, 4.0, 5.0, 150.0, None, 0.0, True),
    "keys": RoleProfile(-27.0, 80.0, 8.0, 2.0, 15.0, 150.0, -14.0, -0.25),
    "pad": RoleProfile(-30.0, 120.0, 6.0, 1.5, 30.0, 250.0, -8.0, 0.0),
    "guitar": RoleProfile(-27.0, 90.0, 8.0, 2.5, 10.0, 150.0, -14.0, 0.3),
    "strings": RoleProfile(-28.0, 70.0, 6.0, 1.5, 30.0, 250.0, -10.0, -0.2),
    "brass": RoleProfile(-27.0, 90.0, 8.0, 2.5, 10.0, 150.0, -12.0, 0.2),
    "woodwind": RoleProfile(-28.0, 120.0, 8.0, 2.0, 10.0, 150.0, -12.0, -0.3),
    "lead": RoleProfile(-24.0, 150.0, 8.0, 2.5, 5.0, 120.0, -14.0, 0.0),
    "arp": RoleProfile(-29.0, 150.0, 8.0, 2.0, 5.0, 100.0, -12.0, 0.4),
    "counter": RoleProfile(-27.0, 120.0, 8.0, 2.0, 10.0, 150.0, -12.0, -0.35),
    "vocal": RoleProfile(-22.0, 90.0, 6.0, 3.0, 5.0, 120.0, -12.0, 0.0),
    "fx": RoleProfile(-32.0, 150.0, 8.0, 1.5, 10.0, 200.0, -8.0, 0.0),
}

_GAIN_RANGE_DB = (-60.0, 24.0)
_SPREAD = 0.3  # pan of a repeated centre-role stem without a hint


def _default_pan(role_pan: float, repeat: int) -> float:
    """Role pan for the first stem of a role; later ones alternate sides so they do not stack.

    >>> [_default_pan(0.3, k) for k in range(3)], [_default_pan(0.0, k) for k in range(3)]
    ([0.3, -0.3, 0.3], [0.0, -0.3, 0.3])
    """
    if repeat == 0:
        return role_pan
    width = abs(role_pan) if role_pan != 0.0 else _SPREAD
    first_side = -1.0 if role_pan >= 0.0 else 1.0
    return width * (first_side if repeat % 2 == 1 else -first_side)


def stem_loudness(stems: Mapping[str, np.ndarray], *, sample_rate: int, workers: int | None = None) -> dict[str, float]:
    """Integrated loudness (LUFS) of each stem, measured in parallel threads (same result as serial)."""
    rate = check_sample_rate(sample_rate)
    arrays = {name: as_audio(x, field=f"stems[{name!r}]") for name, x in stems.items()}  # no copy for float arrays
    n_workers = workers or min(2, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=n_workers) as pool:
        values = list(pool.map(lambda a: integrated_loudness(a, sample_rate=rate), arrays.values()))
    return dict(zip(arrays, values))


def auto_mix_settings(
    stems: Mapping[str, np.ndarray],
    *,
    roles: Mapping[str, str],
    sample_rate: int,
    pan_hints: Mapping[str, float] | None = None,
    gain_hints_db: Mapping[str, float] | None = None,
) -> MixSettings:
    """Mix settings for ``stems`` from their roles, loudness and the composer's hints.

    Parameters
    ----------
    stems : mapping of str to np.ndarray [shape=(n_channels, n_samples)]
        Mono or stereo stems by name.
    roles : mapping of str to str
        Role of each stem (a key of :data:`ROLE_PROFILES`).
    sample_rate : int
        Hz.
    pan_hints : mapping of str to float, optional
        Pan in -1..1 per stem; used as given except for centred roles.
    gain_hints_db : mapping of str to float, optional
        dB added to the automatic fader gain.

    Returns
    -------
    MixSettings
        One :class:`TrackMix` per stem, in the stems' order; default reverb and master settings.

    Raises
    ------
    ParameterError
        A stem without a role, an unknown role, bad audio, or a hint out of range.
    """
    rate = check_sample_rate(sample_rate)
    pan_hints = pan_hints or {}
    gain_hints_db = gain_hints_db or {}
    for name in stems:
        if name not in roles:
            raise ParameterError.for_field(f"roles[{name!r}]", None, "the role of every stem")
        if roles[name] not in ROLE_PROFILES:
            raise ParameterError.for_field(f"roles[{name!r}]", roles[name], f"one of {', '.join(ROLE_PROFILES)}")
    loudness = stem_loudness(stems, sample_rate=rate)
    tracks = {}
    seen_roles: dict[str, int] = {}
    for name in stems:
        profile = ROLE_PROFILES[roles[name]]
        hint_db = check_number(gain_hints_db.get(name, 0.0), f"gain_hints_db[{name!r}]", -60.0, 24.0)
        measured = loudness[name]
        gain_db = 0.0 if measured == -math.inf else profile.loudness_lufs - measured
        gain_db = min(max(gain_db + hint_db, _GAIN_RANGE_DB[0]), _GAIN_RANGE_DB[1])
        repeat = seen_roles.get(roles[name], 0)
        seen_roles[roles[name]] = repeat + 1
        if profile.centred:
            pan = 0.0
        elif name in pan_hints:
            pan = check_number(pan_hints[name], f"pan_hints[{name!r}]", -1.0, 1.0)
        else:
            pan = _default_pan(profile.pan, repeat)
        tracks[name] = TrackMix(
            gain_db=round(gain_db, 2),
            pan=pan,
            highpass_hz=profile.highpass_hz,
            compressor=CompressorSettings(
                threshold_db=profile.loudness_lufs + profile.comp_threshold_lu,
                ratio=profile.comp_ratio,
                attack_ms=profile.comp_attack_ms,
                release_ms=profile.comp_release_ms,
                knee_db=6.0,
            ),
            reverb_send_db=profile.reverb_send_db,
        )
    return MixSettings(tracks=tracks)
