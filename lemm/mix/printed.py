"""Printed strips: each track as the mixer processed it, and the shared returns, which sum to the mix.

A DAW project that should sound like lemm's mix carries one "printed" file per
track (the stem after gain, high-pass, EQ, compression, ducking and pan, as
:func:`lemm.mix.mixer.channel_strip` makes it) and one per shared return (the
reverb and the delay, each at its return level, bit for bit the mixer's: the
send buses are summed in the mixer's order). Their sum is
:func:`lemm.mix.mixer.apply_mix`'s output up to float rounding (the mixer sums
in a different order). This module does not change the mix: it calls the
mixer's own strip, sidechain and effect functions.

Examples
--------
>>> import numpy as np
>>> from lemm.mix.settings import MixSettings, TrackMix
>>> from lemm.mix.mixer import apply_mix
>>> stems = {"a": np.ones((1, 4800), np.float32) * 0.1, "b": np.ones((2, 4800), np.float32) * 0.1}
>>> settings = MixSettings(tracks={"a": TrackMix(pan=-1.0), "b": TrackMix(gain_db=-6.0206)})
>>> strips, returns = printed_strips(stems, settings, sample_rate=48000)
>>> sorted(strips), sorted(returns)
(['a', 'b'], [])
>>> bool(np.allclose(sum(strips.values()), apply_mix(stems, settings, sample_rate=48000), atol=1e-6))
True
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from lemm.mix.mixer import RETURN_NAMES, MixParts, _ducking_gains, channel_strip, checked_mix_inputs, shared_returns
from lemm.mix.settings import MixSettings
from lemm.units import db_to_gain

__all__ = ["RETURN_NAMES", "printed_strips"]



def printed_strips(
    stems: Mapping[str, np.ndarray], settings: MixSettings, *, sample_rate: int, parts: MixParts | None = None
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Every stem through its channel strip, and the delay and reverb returns, as the mixer makes them.

    Parameters
    ----------
    stems : mapping of str to np.ndarray [shape=(n_channels, n_samples)]
        As :func:`lemm.mix.mixer.apply_mix`.
    settings : MixSettings
        Must hold an entry for every stem.
    sample_rate : int
        Hz.
    parts : MixParts, optional
        What :func:`lemm.mix.mixer.mix_with_strips` kept of the mix of these
        stems with these settings: its strips and returns are used as they are
        (not computed again). The result is the same as without.

    Returns
    -------
    strips : mapping of str to np.ndarray [shape=(2, n_samples)] float32
        One per stem (zeros for a muted track), in the stems' order (``parts.strips``
        itself where those are used: with a strip cache, each is read when asked for).
    returns : dict[str, np.ndarray [shape=(2, n_samples)] float32]
        ``"delay return"`` and ``"reverb return"`` where a live track sends to
        them (names from :data:`RETURN_NAMES`).

    Raises
    ------
    ParameterError
        As :func:`lemm.mix.mixer.apply_mix`.
    """
    rate, arrays = checked_mix_inputs(stems, settings, sample_rate=sample_rate)
    n = next(iter(arrays.values())).shape[1]
    live = [name for name in arrays if not settings.tracks[name].mute]
    names = list(arrays)

    def strip(name: str) -> np.ndarray:
        return channel_strip(arrays[name], settings.tracks[name], sample_rate=rate, duck_gain=ducks.get(name))

    # Each strip depends on its own stem only, and scipy/numpy run without the GIL: two
    # threads (as the mixer); the buses are then summed in the mixer's order, so the
    # result does not depend on the number of threads.
    if parts is not None and list(parts.strips) == names:
        strips: Mapping[str, np.ndarray] = parts.strips  # as kept (a cached mix's are read when asked for)
    else:
        ducks = _ducking_gains(arrays, settings, live, rate)
        with ThreadPoolExecutor(max_workers=2) as pool:
            strips = dict(zip(names, pool.map(strip, names), strict=True))
    if parts is not None and parts.returns is not None and list(parts.strips) == names:
        return strips, parts.returns  # as kept (from a stem store: each read when used)
    return strips, shared_returns(*_send_buses(strips, settings, names, n), settings, sample_rate=rate)


def _send_buses(strips: Mapping[str, np.ndarray], settings: MixSettings, names: list[str], n: int) -> tuple[np.ndarray, np.ndarray]:
    """The delay and reverb send buses, summed as the mixer sums them: the stems at even and at odd positions, each in order, then added."""
    halves = []
    for part in (names[0::2], names[1::2]):
        delay_bus, reverb_bus = np.zeros((2, n), np.float32), np.zeros((2, n), np.float32)
        for name in part:
            track = settings.tracks[name]
            if track.mute:
                continue
            if track.reverb_send_db is not None:
                reverb_bus += strips[name] * np.float32(db_to_gain(track.reverb_send_db))
            if track.delay_send_db is not None:
                delay_bus += strips[name] * np.float32(db_to_gain(track.delay_send_db))
        halves.append((delay_bus, reverb_bus))
    (delay_bus, reverb_bus), (delay_odd, reverb_odd) = halves
    delay_bus += delay_odd
    reverb_bus += reverb_odd
    return delay_bus, reverb_bus
