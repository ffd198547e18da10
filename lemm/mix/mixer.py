"""The mixer: each stem through its channel strip, summed, plus a shared reverb.

Channel strip (:func:`channel_strip`)::

    stem -> gain -> high-pass -> EQ -> compressor -> pan --+--> stereo bus
                                                           +--> reverb send (post-fader, post-pan)

The gain, the compressor's gain curve and the pan matrix are folded into one
multiply per channel (the filters are linear, and the compressor detector sees
the audio at its post-fader level). The stems at even and at odd positions
are summed, in order, by two threads (numpy and scipy release the GIL), and
the two halves added, so the result does not depend on scheduling or on the
number of workers. The reverb bus is convolved once
(:func:`lemm.mix.reverb.reverb`) and added at ``return_db``.

Examples
--------
>>> import numpy as np
>>> from lemm.mix.settings import MixSettings, TrackMix
>>> stems = {"a": np.ones((1, 4800), np.float32) * 0.1, "b": np.ones((2, 4800), np.float32) * 0.1}
>>> settings = MixSettings(tracks={"a": TrackMix(pan=-1.0), "b": TrackMix(gain_db=-6.0206)})
>>> out = apply_mix(stems, settings, sample_rate=48000)
>>> out.shape, out.dtype, np.round(out[:, -1], 4)
((2, 4800), dtype('float32'), array([0.15, 0.05], dtype=float32))
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from lemm.errors import ParameterError
from lemm.mix._validate import as_audio, check_sample_rate
from lemm.mix.dynamics import compressor_gain
from lemm.mix.filters import apply_sos, track_filter_sos
from lemm.mix.panning import pan_matrix
from lemm.mix.reverb import reverb
from lemm.mix.settings import MixSettings, TrackMix

__all__ = ["channel_strip", "apply_mix"]


def channel_strip(audio: np.ndarray, track: TrackMix, *, sample_rate: int) -> np.ndarray:
    """One track through gain, high-pass, EQ, compressor and pan: [shape=(2, n_samples)], float32.

    Examples
    --------
    >>> import numpy as np
    >>> out = channel_strip(np.ones((1, 10), np.float32), TrackMix(pan=1.0), sample_rate=48000)
    >>> out[:, 0]
    array([0., 1.], dtype=float32)
    """
    a = as_audio(audio, dtype=np.float32)
    rate = check_sample_rate(sample_rate)
    if not isinstance(track, TrackMix):
        raise ParameterError.for_field("track", track, "a TrackMix")
    n = a.shape[1]
    if track.mute or n == 0:
        return np.zeros((2, n), dtype=np.float32)
    sos = track_filter_sos(sample_rate=rate, highpass_hz=track.highpass_hz, bands=track.eq)
    y = apply_sos(a, sos) if sos.shape[0] else a
    c = track.compressor
    fader = 10.0 ** (track.gain_db / 20.0)
    matrix = pan_matrix(track.pan, a.shape[0])
    if c.ratio > 1.0:
        gain = compressor_gain(
            y, sample_rate=rate, threshold_db=c.threshold_db, ratio=c.ratio, attack_ms=c.attack_ms,
            release_ms=c.release_ms, knee_db=c.knee_db, makeup_db=c.makeup_db, input_gain_db=track.gain_db,
        )
        y = np.multiply(y, gain[None, :], out=y if y is not a else None)
        matrix = matrix * fader
    else:
        matrix = matrix * (fader * 10.0 ** (c.makeup_db / 20.0))
    matrix = matrix.astype(np.float32)
    if a.shape[0] == 2 and matrix[0, 1] == 0.0 and matrix[1, 0] == 0.0:  # stereo, centred: a scale per channel
        return np.multiply(y, matrix.diagonal()[:, None], out=y if y is not a else None)
    out = np.empty((2, n), dtype=np.float32)
    for o in range(2):
        terms = [(matrix[o, i], y[i]) for i in range(a.shape[0]) if matrix[o, i] != 0.0]
        if not terms:
            out[o] = 0.0
            continue
        np.multiply(terms[0][1], terms[0][0], out=out[o])
        for coefficient, channel in terms[1:]:
            out[o] += coefficient * channel
    return out


def _validated_stems(stems: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    if not isinstance(stems, Mapping) or not stems:
        raise ParameterError.for_field("stems", type(stems).__name__ if not isinstance(stems, Mapping) else "no stems",
                                       "a non-empty mapping from stem name to audio")
    arrays, first = {}, None
    for name, x in stems.items():
        a = as_audio(x, field=f"stems[{name!r}]", dtype=np.float32)
        if first is None:
            first = (name, a.shape[1])
        elif a.shape[1] != first[1]:
            raise ParameterError(
                f"stems must all have the same length: stem {name!r} has {a.shape[1]} samples, "
                f"stem {first[0]!r} has {first[1]}"
            )
        arrays[name] = a
    return arrays


def apply_mix(
    stems: Mapping[str, np.ndarray],
    settings: MixSettings,
    *,
    sample_rate: int,
    workers: int | None = None,
) -> np.ndarray:
    """Mix ``stems`` with ``settings``: channel strips summed plus the shared reverb.

    Parameters
    ----------
    stems : mapping of str to np.ndarray [shape=(n_channels, n_samples)]
        Mono or stereo stems, all the same length.
    settings : MixSettings
        Must hold a :class:`TrackMix` for every stem (extra entries are ignored).
    sample_rate : int
        Hz.
    workers : int, optional
        Threads for the channel strips, 1 or 2 (default: 2 where there are
        two cores); the result does not depend on it.

    Returns
    -------
    np.ndarray [shape=(2, n_samples)], float32
        The mix, not limited (it may exceed 1.0; :func:`lemm.mix.master` follows).

    Raises
    ------
    ParameterError
        No stems, stems of different lengths (naming both), NaN/inf samples or
        more than two channels (naming the stem), or a stem missing from ``settings``.
    """
    rate = check_sample_rate(sample_rate)
    if not isinstance(settings, MixSettings):
        raise ParameterError.for_field("settings", type(settings).__name__, "a MixSettings")
    arrays = _validated_stems(stems)
    missing = [name for name in arrays if name not in settings.tracks]
    if missing:
        raise ParameterError.for_field("settings.tracks", f"no entry for stem(s) {missing}", "an entry for every stem")
    n = next(iter(arrays.values())).shape[1]
    names = list(arrays)
    with_sends = any(settings.tracks[name].reverb_send_db is not None and not settings.tracks[name].mute for name in names)

    def mix_part(part: list[str]) -> tuple[np.ndarray, np.ndarray | None]:
        bus = np.zeros((2, n), dtype=np.float32)
        sends = np.zeros((2, n), dtype=np.float32) if with_sends else None
        scratch = np.empty((2, n), dtype=np.float32) if with_sends else None
        for name in part:  # in order
            track = settings.tracks[name]
            out = channel_strip(arrays[name], track, sample_rate=rate)
            bus += out
            if sends is not None and track.reverb_send_db is not None:
                sends += np.multiply(out, np.float32(10.0 ** (track.reverb_send_db / 20.0)), out=scratch)
        return bus, sends

    # Two fixed halves (even / odd positions), each summed in order, then added: the
    # result is bit-identical whatever the number of workers.
    parts = [names[0::2], names[1::2]]
    n_workers = max(1, min(2, workers or min(2, os.cpu_count() or 1)))
    if n_workers == 1:
        results = [mix_part(p) for p in parts]
    else:
        with ThreadPoolExecutor(max_workers=n_workers) as pool:
            results = list(pool.map(mix_part, parts))
    bus, sends = results[0]
    bus += results[1][0]
    if sends is not None:
        sends += results[1][1]
    if sends is not None and np.any(sends):
        r = settings.reverb
        wet = reverb(sends, sample_rate=rate, decay_seconds=r.decay_seconds, predelay_ms=r.predelay_ms, damping=r.damping,
                     highpass_hz=r.highpass_hz)
        bus += np.float32(10.0 ** (r.return_db / 20.0)) * wet
    return bus
