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

import dataclasses
import math
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.signal

from lemm.errors import ParameterError
from lemm.mix._validate import as_audio, check_number, check_sample_rate
from lemm.mix.filters import EqBand
from lemm.mix.loudness import gated_loudness, integrated_loudness, k_weighting_sos
from lemm.mix.settings import CompressorSettings, DelaySettings, MixSettings, TrackMix
from lemm.mix.spectrum import average_spectrum
from lemm.validate import GAIN_HINT_RANGE_DB

__all__ = ["RoleProfile", "ROLE_PROFILES", "auto_mix_settings", "retime_delay", "stem_loudness", "masking_eq", "estimated_loudness"]


@dataclass(frozen=True)
class RoleProfile:
    """How the automatic mix treats one role.

    ``loudness_lufs`` is the stem's integrated loudness after the fader; a
    full arrangement then sums to about -18 LUFS, leaving the master headroom.
    ``comp_threshold_lu`` is relative to ``loudness_lufs``. ``pan`` and
    ``spread`` (:func:`lemm.mix.stereo.spectral_spread`) place the role in the
    stereo image: low-end roles centred and narrow, pads, strings and
    keyboards wide, so a band's master reads an L/R correlation of about
    0.5-0.85 while its fold-down loses under 1.5 dB.
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
    spread: float = 0.0


#: Per-role defaults (roles of :data:`lemm.score.model.ROLES`, plus "kick").
ROLE_PROFILES: Mapping[str, RoleProfile] = {
    "drums": RoleProfile(-22.0, 30.0, 10.0, 3.0, 10.0, 120.0, -20.0, 0.0, True, spread=0.7),
    "kick": RoleProfile(-23.0, 25.0, 8.0, 3.0, 10.0, 100.0, None, 0.0, True),
    "percussion": RoleProfile(-28.0, 150.0, 10.0, 2.0, 5.0, 100.0, -16.0, 0.35, spread=0.7),
    "bass": RoleProfile(-24.0, None, 6.0, 4.0, 5.0, 150.0, None, 0.0, True),
    "keys": RoleProfile(-27.0, 80.0, 8.0, 2.0, 15.0, 150.0, -14.0, -0.3, spread=0.8),
    "pad": RoleProfile(-30.0, 120.0, 6.0, 1.5, 30.0, 250.0, -8.0, 0.0, spread=1.0),
    "guitar": RoleProfile(-27.0, 90.0, 8.0, 2.5, 10.0, 150.0, -14.0, 0.4, spread=0.8),
    "strings": RoleProfile(-28.0, 70.0, 6.0, 1.5, 30.0, 250.0, -10.0, -0.25, spread=1.0),
    "brass": RoleProfile(-27.0, 90.0, 8.0, 2.5, 10.0, 150.0, -12.0, 0.25, spread=0.6),
    "woodwind": RoleProfile(-28.0, 120.0, 8.0, 2.0, 10.0, 150.0, -12.0, -0.3, spread=0.5),
    "lead": RoleProfile(-24.0, 150.0, 8.0, 2.5, 5.0, 120.0, -14.0, 0.0, spread=0.45),
    "arp": RoleProfile(-29.0, 150.0, 8.0, 2.0, 5.0, 100.0, -12.0, 0.4, spread=0.8),
    "counter": RoleProfile(-27.0, 120.0, 8.0, 2.0, 10.0, 150.0, -12.0, -0.35, spread=0.6),
    "vocal": RoleProfile(-22.0, 90.0, 6.0, 3.0, 5.0, 120.0, -12.0, 0.0, spread=0.2),
    "fx": RoleProfile(-32.0, 150.0, 8.0, 1.5, 10.0, 200.0, -8.0, 0.0, spread=1.0),
}

_DELAY_SENDS_DB = {"vocal": -22.0, "lead": -20.0, "arp": -18.0}
_DUCK_DEPTH_DB = {"pad": 4.0, "bass": 3.0}
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


def estimated_loudness(audio: np.ndarray, *, sample_rate: int, stride: int = 3) -> float:
    """BS.1770 gated loudness (LUFS) estimated from every ``stride``-th 400 ms block.

    The chosen blocks (each with 50 ms of lead-in for the K-weighting filter
    to settle) are filtered together as one 2-D array, so a stem costs about
    ``1 / stride`` of a full measurement; for music the estimate is within a
    few tenths of a dB of :func:`lemm.mix.loudness.integrated_loudness`, enough
    for gain staging. Short signals (under 3 blocks) are measured in full.

    Examples
    --------
    >>> import numpy as np
    >>> from lemm.mix.loudness import integrated_loudness
    >>> x = np.random.default_rng(0).standard_normal((2, 48000 * 10)).astype(np.float32) * 0.1
    >>> abs(estimated_loudness(x, sample_rate=48000) - integrated_loudness(x, sample_rate=48000)) < 0.1
    True
    """
    return _estimated_loudness(as_audio(audio, dtype=np.float32), check_sample_rate(sample_rate), stride)


def _estimated_loudness(a: np.ndarray, rate: int, stride: int) -> float:
    """:func:`estimated_loudness` of checked float32 audio [shape=(n_channels, n_samples)]."""
    block, lead = int(round(0.4 * rate)), int(round(0.05 * rate))
    n_blocks = a.shape[1] // block
    starts = np.arange(1, n_blocks, stride) * block  # block 0 has no lead-in
    if starts.shape[0] < 3:
        return integrated_loudness(a, sample_rate=rate)
    return gated_loudness(_blocks_power(a, rate, starts, block, lead))


def _blocks_power(a: np.ndarray, rate: int, starts: np.ndarray, block: int, lead: int) -> np.ndarray:
    """Mean K-weighted power of the blocks ``a[:, s:s + block]`` (each filtered from ``s - lead``), summed over the channels.

    The blocks are filtered :data:`_ROWS` at a time (a strided view of the stem, no
    gathered copy of it); each row is filtered and averaged on its own, so the
    result does not depend on how many go at once.
    """
    sos = k_weighting_sos(rate).astype(np.float32)
    power = np.zeros(starts.shape[0])
    stride = int(starts[1] - starts[0]) if starts.shape[0] > 1 else block
    for channel in a:
        for first in range(0, starts.shape[0], _ROWS):
            last = min(starts.shape[0], first + _ROWS)
            rows = np.lib.stride_tricks.as_strided(channel[starts[first] - lead :], shape=(last - first, block + lead),
                                                   strides=(stride * channel.strides[0], channel.strides[0]), writeable=False)
            y = scipy.signal.sosfilt(sos, rows, axis=-1)[:, lead:]
            power[first:last] += np.square(y, dtype=np.float64).mean(axis=1)
    return power


#: Blocks per call of :func:`_blocks_power`'s filter.
_ROWS = 16


def stem_loudness(stems: Mapping[str, np.ndarray], *, sample_rate: int, workers: int | None = None) -> dict[str, float]:
    """Estimated integrated loudness (LUFS) of each stem (:func:`estimated_loudness`), in parallel threads."""
    rate = check_sample_rate(sample_rate)
    names = list(stems)

    def loudness(name: str) -> float:  # each stem read (from a stem store: mapped) and checked where it is measured, then let go
        return _estimated_loudness(as_audio(stems[name], field=f"stems[{name!r}]", dtype=np.float32), rate, 3)  # checked once; no copy for float32

    n_workers = workers or min(2, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=n_workers) as pool:
        values = list(pool.map(loudness, names))
    return dict(zip(names, values, strict=True))


#: Roles that give way to the vocal (or to the lead where there is no vocal) in its presence band.
_YIELDING_ROLES = frozenset({"keys", "pad", "guitar", "strings", "brass", "woodwind", "arp", "counter", "fx"})
_KICK_ROLES = ("kick", "drums")


def _band_peak_hz(frequencies: np.ndarray, power: np.ndarray, low_hz: float, high_hz: float) -> float | None:
    """Frequency of the strongest 1/3-octave-smoothed region of ``power`` in [low_hz, high_hz]."""
    centres = low_hz * 2.0 ** (np.arange(0, 3 * np.log2(high_hz / low_hz) + 1) / 3.0)
    energy = np.array([power[(frequencies >= c * 2 ** (-1 / 6)) & (frequencies < c * 2 ** (1 / 6))].sum() for c in centres])
    if not np.any(energy > 0):
        return None
    return float(centres[int(np.argmax(energy))])


def masking_eq(
    stems: Mapping[str, np.ndarray], *, roles: Mapping[str, str], gains_db: Mapping[str, float], sample_rate: int
) -> dict[str, tuple[EqBand, ...]]:
    """Corrective EQ cuts against masking, per stem (empty where none is needed).

    - Bass vs kick: the bass is cut (-3 dB, Q 1.4) at the kick's fundamental
      (the strongest 1/3 octave of the drums in 40..100 Hz), so the two stop
      fighting for the same low end.
    - Room for the vocal: every yielding role (keys, pads, guitars, strings,
      ...) is cut at the vocal's presence peak (the strongest 1/3 octave in
      1..4 kHz) by 1.5..4 dB, deeper the louder it is there relative to the
      vocal after the faders (``gains_db``). Without a vocal the lead gets the room.

    Returns
    -------
    dict of str to tuple of EqBand
    """
    rate = check_sample_rate(sample_rate)
    spectra = {}

    def spectrum(name: str) -> tuple[np.ndarray, np.ndarray]:
        if name not in spectra:
            spectra[name] = average_spectrum(stems[name], sample_rate=rate, max_frames=48)
        return spectra[name]

    bands: dict[str, list[EqBand]] = {name: [] for name in stems}
    kick = next((n for role in _KICK_ROLES for n in stems if roles[n] == role), None)
    if kick is not None:
        f_kick = _band_peak_hz(*spectrum(kick), 40.0, 100.0)
        for name in stems:
            if roles[name] == "bass" and f_kick is not None:
                bands[name].append(EqBand("peak", round(f_kick, 1), -3.0, 1.4))
    singer = next((n for n in stems if roles[n] == "vocal"), None) or next((n for n in stems if roles[n] == "lead"), None)
    if singer is not None:
        f, p = spectrum(singer)
        f_voice = _band_peak_hz(f, p, 1000.0, 4000.0)
        if f_voice is not None:
            in_band = (f >= f_voice * 2 ** (-1 / 3)) & (f < f_voice * 2 ** (1 / 3))
            voice_db = 10 * math.log10(max(float(p[in_band].sum()), 1e-30)) + gains_db.get(singer, 0.0)
            for name in stems:
                if name == singer or (roles[name] not in _YIELDING_ROLES and not (roles[name] == "lead" and roles[singer] == "vocal")):
                    continue
                fo, po = spectrum(name)
                other_db = 10 * math.log10(max(float(po[in_band].sum()), 1e-30)) + gains_db.get(name, 0.0)
                relative = other_db - voice_db
                if relative > -20.0:
                    depth = float(np.clip(2.5 + 0.1 * relative, 1.5, 4.0))
                    bands[name].append(EqBand("peak", round(f_voice, 1), -round(depth, 1), 1.0))
    return {name: tuple(b) for name, b in bands.items()}


def auto_mix_settings(
    stems: Mapping[str, np.ndarray],
    *,
    roles: Mapping[str, str],
    sample_rate: int,
    pan_hints: Mapping[str, float] | None = None,
    gain_hints_db: Mapping[str, float] | None = None,
    sidechain: bool = False,
    tempo_bpm: float | None = None,
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
    sidechain : bool
        Duck pads (4 dB) and bass (3 dB) by the kick (the first ``kick`` or
        ``drums`` stem).
    tempo_bpm : float, optional
        Sets the delay to a dotted eighth note (default 375 ms: 120 bpm).

    Returns
    -------
    MixSettings
        One :class:`TrackMix` per stem, in the stems' order, with masking EQ
        (:func:`masking_eq`) and delay sends on vocal, lead and arp; default
        reverb and master settings.

    Raises
    ------
    ParameterError
        A stem without a role, an unknown role, bad audio, or a hint out of range.
    """
    rate = check_sample_rate(sample_rate)
    _check_roles(stems, roles)
    loudness = stem_loudness(stems, sample_rate=rate)
    kick = next((n for role in _KICK_ROLES for n in stems if roles[n] == role), None) if sidechain else None
    gains = {}
    for name in stems:
        measured = loudness[name]
        gains[name] = 0.0 if measured == -math.inf else ROLE_PROFILES[roles[name]].loudness_lufs - measured
    eq = masking_eq(_Subset(stems, [n for n in stems if loudness[n] != -math.inf]), roles=roles, gains_db=gains, sample_rate=rate)
    tracks = {}
    seen_roles: dict[str, int] = {}
    for name in stems:
        repeat = seen_roles.get(roles[name], 0)
        seen_roles[roles[name]] = repeat + 1
        hints = ((pan_hints or {}).get(name), (gain_hints_db or {}).get(name, 0.0))
        tracks[name] = _auto_track(name, roles[name], loudness[name], repeat=repeat, eq=eq.get(name, ()), kick=kick, hints=hints)
    return MixSettings(tracks=tracks, delay=_auto_delay(tempo_bpm))


class _Subset(Mapping):
    """The stems ``names`` of ``stems``, each read from it when used (a stem store's are not all held at once)."""

    def __init__(self, stems: Mapping[str, np.ndarray], names: list[str]) -> None:
        self._stems, self._names = stems, list(names)

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._names:
            raise KeyError(name)
        return self._stems[name]

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def _check_roles(stems: Mapping[str, np.ndarray], roles: Mapping[str, str]) -> None:
    for name in stems:
        if name not in roles:
            raise ParameterError.for_field(f"roles[{name!r}]", None, "the role of every stem")
        if roles[name] not in ROLE_PROFILES:
            raise ParameterError.for_field(f"roles[{name!r}]", roles[name], f"one of {', '.join(ROLE_PROFILES)}")


def _auto_track(
    name: str, role: str, measured_lufs: float, *, repeat: int, eq: tuple, kick: str | None, hints: tuple[float | None, float]
) -> TrackMix:
    """One stem's channel strip: the role's level, pan, filter and compressor, the hints, masking EQ and sends.

    ``repeat`` counts earlier stems of the same role; ``hints`` is (pan or None, gain hint dB).
    """
    profile = ROLE_PROFILES[role]
    pan_hint, gain_hint = hints
    hint_db = check_number(gain_hint, f"gain_hints_db[{name!r}]", *GAIN_HINT_RANGE_DB)
    gain_db = 0.0 if measured_lufs == -math.inf else profile.loudness_lufs - measured_lufs
    gain_db = min(max(gain_db + hint_db, GAIN_HINT_RANGE_DB[0]), GAIN_HINT_RANGE_DB[1])
    if profile.centred:
        pan = 0.0
    elif pan_hint is not None:
        pan = check_number(pan_hint, f"pan_hints[{name!r}]", -1.0, 1.0)
    else:
        pan = _default_pan(profile.pan, repeat)
    ducked = kick is not None and name != kick
    return TrackMix(
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
        eq=eq,
        delay_send_db=_DELAY_SENDS_DB.get(role),
        sidechain_source=kick if ducked and role in _DUCK_DEPTH_DB else None,
        sidechain_depth_db=_DUCK_DEPTH_DB.get(role, 0.0) if ducked else 0.0,
        spread=profile.spread,
    )


def retime_delay(settings: MixSettings, *, old_tempo_bpm: float, new_tempo_bpm: float) -> MixSettings:
    """``settings`` with the delay bus re-timed to ``new_tempo_bpm`` where it holds the automatic time of ``old_tempo_bpm``.

    A delay a person set to another time is theirs and is kept; only the
    automatic dotted eighth follows a tempo change (an edit imported from
    MuseScore, ``lemm edit "tempo 90"``).

    >>> s = MixSettings(delay=_auto_delay(120.0))
    >>> retime_delay(s, old_tempo_bpm=120.0, new_tempo_bpm=90.0).delay.time_ms
    500.0
    >>> mine = MixSettings(delay=DelaySettings(time_ms=250.0))
    >>> retime_delay(mine, old_tempo_bpm=120.0, new_tempo_bpm=90.0).delay.time_ms
    250.0
    """
    if old_tempo_bpm == new_tempo_bpm or settings.delay.time_ms != _auto_delay(old_tempo_bpm).time_ms:
        return settings
    return dataclasses.replace(settings, delay=dataclasses.replace(settings.delay, time_ms=_auto_delay(new_tempo_bpm).time_ms))


def _auto_delay(tempo_bpm: float | None) -> DelaySettings:
    """The delay bus: a dotted eighth at ``tempo_bpm`` (the default 375 ms without one)."""
    if tempo_bpm is None:
        return DelaySettings()
    tempo = check_number(tempo_bpm, "tempo_bpm", 20.0, 400.0)
    return DelaySettings(time_ms=round(min(0.75 * 60000.0 / tempo, 4000.0), 2))
