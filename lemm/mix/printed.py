"""Printed strips: each track as the mixer processed it, and the shared returns, which sum to the mix.

A DAW project that should sound like lemm's mix carries one "printed" file per
track (the stem after gain, high-pass, EQ, compression, ducking and pan, as
:func:`lemm.mix.mixer.channel_strip` makes it) and one per shared return (the
reverb and the delay, each at its return level). Their sum is
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

from lemm.mix.delay import delay
from lemm.mix.mixer import MixParts, _ducking_gains, channel_strip, checked_mix_inputs
from lemm.mix.reverb import reverb
from lemm.mix.settings import MixSettings

__all__ = ["RETURN_NAMES", "printed_strips"]

#: Names of the shared returns, in the order the mixer adds them.
RETURN_NAMES = ("delay return", "reverb return")


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
        stems with these settings: its strips are used as they are (not
        computed again). The result is the same as without.

    Returns
    -------
    strips : dict[str, np.ndarray [shape=(2, n_samples)] float32]
        One per stem (zeros for a muted track), in the stems' order.
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
    # threads (as the mixer); the buses are then summed in the stems' order, so the
    # result does not depend on the number of threads.
    if parts is not None and list(parts.strips) == names:
        strips: dict[str, np.ndarray] = dict(parts.strips)
    else:
        ducks = _ducking_gains(arrays, settings, live, rate)
        with ThreadPoolExecutor(max_workers=2) as pool:
            strips = dict(zip(names, pool.map(strip, names), strict=True))
    reverb_bus = np.zeros((2, n), np.float32)
    delay_bus = np.zeros((2, n), np.float32)
    for name in names:
        track = settings.tracks[name]
        if track.mute:
            continue
        if track.reverb_send_db is not None:
            reverb_bus += strips[name] * np.float32(10.0 ** (track.reverb_send_db / 20.0))
        if track.delay_send_db is not None:
            delay_bus += strips[name] * np.float32(10.0 ** (track.delay_send_db / 20.0))
    d, r = settings.delay, settings.reverb

    def delay_return() -> np.ndarray:
        wet = delay(delay_bus, sample_rate=rate, time_ms=d.time_ms, feedback=d.feedback, highpass_hz=d.highpass_hz,
                    lowpass_hz=d.lowpass_hz, ping_pong=d.ping_pong)
        return (np.float32(10.0 ** (d.return_db / 20.0)) * wet).astype(np.float32)

    def reverb_return() -> np.ndarray:
        wet = reverb(reverb_bus, sample_rate=rate, decay_seconds=r.decay_seconds, predelay_ms=r.predelay_ms, damping=r.damping,
                     highpass_hz=r.highpass_hz)
        return (np.float32(10.0 ** (r.return_db / 20.0)) * wet).astype(np.float32)

    jobs = [(RETURN_NAMES[0], delay_return)] if np.any(delay_bus) else []
    jobs += [(RETURN_NAMES[1], reverb_return)] if np.any(reverb_bus) else []
    with ThreadPoolExecutor(max_workers=2) as pool:  # the two returns are independent
        returns = dict(zip([name for name, _ in jobs], pool.map(lambda job: job[1](), jobs), strict=True))
    return strips, returns
