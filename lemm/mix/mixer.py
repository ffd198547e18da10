"""The mixer: each stem through its channel strip, summed, plus a shared reverb and delay.

Channel strip (:func:`channel_strip`)::

    stem -> gain -> high-pass -> EQ -> compressor -> ducking -> pan -> spread --+--> stereo bus
                                                                                +--> reverb send (post-fader, post-pan)
                                                                                +--> delay send (post-fader, post-pan)

Ducking (optional, ``TrackMix.sidechain_source``) follows the low end of
another stem, usually the kick in the drums (:func:`lemm.mix.sidechain.ducking_gain`).

The gain, the compressor's gain curve and the pan matrix are folded into one
multiply per channel (the filters are linear, and the compressor detector sees
the audio at its post-fader level). The stems at even and at odd positions
are summed, in order, by two threads (numpy and scipy release the GIL), and
the two halves added, so the result does not depend on scheduling or on the
number of workers. The reverb bus is convolved once
(:func:`lemm.mix.reverb.reverb`) and the delay bus echoed once
(:func:`lemm.mix.delay.delay`), each added at its ``return_db``.

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

import dataclasses
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from lemm.errors import ParameterError
from lemm.io.stem_store import StemStore
from lemm.mix._validate import as_audio, check_sample_rate
from lemm.mix.delay import delay
from lemm.mix.dynamics import compressor_nodes, nodes_to_samples
from lemm.mix.filters import apply_sos, track_filter_sos
from lemm.mix.panning import pan_matrix
from lemm.mix.reverb import reverb
from lemm.mix.settings import MixSettings, TrackMix
from lemm.mix.sidechain import ducking_gain
from lemm.mix.stereo import spectral_spread
from lemm.mix.strip_cache import CachedStrips, StripCache, return_key, stem_digest, strip_key

__all__ = ["apply_mix", "channel_strip", "checked_mix_inputs", "track_outputs", "MixParts", "mix_with_strips", "strip_keys_of", "RETURN_NAMES"]

#: Names of the shared returns, in the order the mixer adds them.
RETURN_NAMES = ("delay return", "reverb return")


def channel_strip(audio: np.ndarray, track: TrackMix, *, sample_rate: int, duck_gain: np.ndarray | None = None) -> np.ndarray:
    """One track through gain, high-pass, EQ, compressor, ducking and pan: [shape=(2, n_samples)], float32.

    ``duck_gain`` [shape=(n_samples,)] is the sidechain's linear gain (see
    :func:`lemm.mix.sidechain.ducking_gain`), or None.

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
    if c.ratio > 1.0:  # (the settings were checked by CompressorSettings)
        nodes, block = compressor_nodes(
            y, sample_rate=rate, threshold_db=c.threshold_db, ratio=c.ratio, attack_ms=c.attack_ms,
            release_ms=c.release_ms, knee_db=c.knee_db, makeup_db=c.makeup_db, input_gain_db=track.gain_db,
        )
        y = _times_gain_curve(y, nodes, block, duck_gain, out=y if y is not a else None)
        matrix = matrix * fader
    else:
        matrix = matrix * (fader * 10.0 ** (c.makeup_db / 20.0))
        if duck_gain is not None:
            y = np.multiply(y, np.asarray(duck_gain, dtype=np.float32)[None, :], out=y if y is not a else None)
    matrix = matrix.astype(np.float32)
    out = _panned(a, y, matrix)
    del y  # ``out`` itself, or a buffer no longer needed
    if track.spread <= 0.0:
        return out
    return spectral_spread(out, sample_rate=rate, amount=track.spread, out=out)  # ``out`` is this strip's own (never ``audio``)


def _times_gain_curve(y: np.ndarray, nodes: np.ndarray, block: int, duck_gain: np.ndarray | None, *, out: np.ndarray | None) -> np.ndarray:
    """``y * (compressor gain [* duck_gain])`` [shape=(n_channels, n_samples)] float32, the gain curve made by parts (into ``out``, or a new array).

    The same float32 samples as ``gain = nodes_to_samples(nodes, n, block); gain *= duck_gain;
    y * gain``, without the song-length gain curve (each part is interpolated from its
    own rows of ``nodes``; a part starts on a block boundary).
    """
    n = y.shape[1]
    if out is None:
        out = np.empty_like(y)
    duck = None if duck_gain is None else np.asarray(duck_gain)
    step = block * max(1, _GAIN_PART // block)
    for start in range(0, n, step):
        stop = min(n, start + step)
        gain = nodes_to_samples(nodes[start // block : -(-stop // block) + 1], stop - start, block)
        if duck is not None:
            gain *= duck[start:stop]
        np.multiply(y[:, start:stop], gain[None, :], out=out[:, start:stop])
    return out


#: Samples per part of :func:`_times_gain_curve` (rounded down to whole control blocks).
_GAIN_PART = 1 << 16


def _panned(a: np.ndarray, y: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """``matrix @ y`` [shape=(2, n_samples)], in place of ``y`` where it is a stereo copy of ``a``.

    Each output channel is its first term's product, plus each further product
    rounded to float32 (``out[o] = m[o, 0] * y[0]; out[o] += m[o, 1] * y[1]``),
    made by blocks of :data:`_SEND_BLOCK` samples.
    """
    n = y.shape[1]
    in_place = y is not a and y.shape[0] == 2
    if a.shape[0] == 2 and matrix[0, 1] == 0.0 and matrix[1, 0] == 0.0:  # stereo, centred: a scale per channel
        return np.multiply(y, matrix.diagonal()[:, None], out=y if in_place else None)
    out = y if in_place else np.empty((2, n), dtype=np.float32)
    terms = [[(matrix[o, i], i) for i in range(a.shape[0]) if matrix[o, i] != 0.0] for o in range(2)]
    block = max(1, min(n, _SEND_BLOCK))
    made = np.empty((2, block), dtype=np.float32)
    scratch = np.empty(block, dtype=np.float32)
    for start in range(0, n, block):
        stop = min(n, start + block)
        width = stop - start
        for o in range(2):
            row = made[o, :width]
            if not terms[o]:
                row[:] = 0.0
                continue
            np.multiply(y[terms[o][0][1], start:stop], terms[o][0][0], out=row)
            for coefficient, i in terms[o][1:]:
                np.multiply(y[i, start:stop], coefficient, out=scratch[:width])
                row += scratch[:width]
        out[:, start:stop] = made[:, :width]  # (y's block is read before it is overwritten)
    return out


def _validated_stems(stems: Mapping[str, np.ndarray]) -> Mapping[str, np.ndarray]:
    """The stems, checked: a dict of float32 arrays for a dict; for any other mapping (a stem store), a view that reads each when used.

    A mapping that is not a dict (e.g. :class:`lemm.io.stem_store.StemStore`) may make
    each stem when asked for: its stems are checked one at a time and not held, so the
    mixer holds one (or one per thread) at a time.
    """
    if not isinstance(stems, Mapping) or not stems:
        raise ParameterError.for_field("stems", type(stems).__name__ if not isinstance(stems, Mapping) else "no stems",
                                       "a non-empty mapping from stem name to audio")
    arrays, first, held = {}, None, isinstance(stems, dict)
    for name, x in stems.items():
        a = as_audio(x, field=f"stems[{name!r}]", dtype=np.float32)
        if first is None:
            first = (name, a.shape[1])
        elif a.shape[1] != first[1]:
            raise ParameterError(
                f"stems must all have the same length: stem {name!r} has {a.shape[1]} samples, "
                f"stem {first[0]!r} has {first[1]}"
            )
        if held:
            arrays[name] = a
        del a, x  # (a stem read from a store leaves memory here)
    return arrays if held else _ReadWhenUsed(stems)


class _ReadWhenUsed(Mapping):
    """Checked stems (:func:`_validated_stems`) read from their mapping when used, as float32 [shape=(n_channels, n_samples)]."""

    def __init__(self, stems: Mapping[str, np.ndarray]) -> None:
        self._stems = stems

    def __getitem__(self, name: str) -> np.ndarray:
        a = np.asarray(self._stems[name])
        return np.ascontiguousarray(a[None, :] if a.ndim == 1 else a, dtype=np.float32)  # as as_audio made it (checked before)

    def __iter__(self):
        return iter(self._stems)

    def __len__(self) -> int:
        return len(self._stems)


@dataclass(frozen=True)
class MixParts:
    """A mix and the parts it was summed from (:func:`mix_with_strips`).

    Attributes
    ----------
    mix : np.ndarray [shape=(2, n_samples)], float32
        :func:`apply_mix`'s output, bit for bit.
    strips : mapping of str to np.ndarray [shape=(2, n_samples)] float32
        Every stem after its channel strip (zeros for a muted track), in the stems'
        order: a dict, or with a strip cache a :class:`lemm.mix.strip_cache.CachedStrips`
        that reads each from the cache when asked (not held in memory).
    returns : mapping of str to np.ndarray [shape=(2, n_samples)] float32, or None
        The delay and reverb returns as added to the mix (names from
        :data:`RETURN_NAMES`, where a live track sends to them), so the printed
        returns need not be computed again; None: not kept. A dict, or for stems
        read when used (a stem store) a :class:`lemm.io.stem_store.StemStore` of them.
    stem_digests, strip_keys : dict[str, str]
        Each stem's :func:`lemm.mix.strip_cache.stem_digest` and each live
        track's strip key (:func:`lemm.mix.strip_cache.strip_key`, see
        :func:`strip_keys_of`), which name their samples exactly (the song
        folder's file keys use them instead of hashing the audio again).
    strip_peaks : dict[str, float]
        With a strip cache: each cached strip's sample peak ``max(abs(strip))``,
        measured while the mix held it (the printed files need it without reading
        the strip back); empty without.
    """

    mix: np.ndarray
    strips: Mapping[str, np.ndarray]
    returns: Mapping[str, np.ndarray] | None = None
    stem_digests: dict[str, str] = dataclasses.field(default_factory=dict)
    strip_keys: dict[str, str] = dataclasses.field(default_factory=dict)
    strip_peaks: dict[str, float] = dataclasses.field(default_factory=dict)


def mix_with_strips(
    stems: Mapping[str, np.ndarray], settings: MixSettings, *, sample_rate: int, workers: int | None = None,
    cache: StripCache | None = None,
) -> MixParts:
    """:func:`apply_mix`, also keeping the channel strips it computed (so the printed stems need not compute them again).

    Same parameters and errors as :func:`apply_mix`; ``result.mix`` is its output, bit for bit.
    With ``cache`` (:class:`lemm.mix.strip_cache.StripCache`), a strip whose stem,
    settings and sidechain did not change is read from it instead of processed
    again, new strips are stored, and entries this mix does not use are pruned;
    the result is the same as without.
    """
    return _mix(stems, settings, sample_rate=sample_rate, workers=workers, keep=True, cache=cache)


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
        more than two channels (naming the stem), a stem missing from
        ``settings``, or a sidechain source that is not a stem.
    """
    return _mix(stems, settings, sample_rate=sample_rate, workers=workers, keep=False).mix


def checked_mix_inputs(stems: Mapping[str, np.ndarray], settings: MixSettings, *, sample_rate: int) -> tuple[int, Mapping[str, np.ndarray]]:
    """The checked sample rate and stems of a mix (:func:`apply_mix`, :func:`track_outputs`, printed stems).

    The stems come back as a dict of float32 arrays for a dict, and for another
    mapping (a :class:`lemm.io.stem_store.StemStore`) as a mapping that reads each when used.

    Raises
    ------
    ParameterError
        A bad sample rate, ``settings`` not a MixSettings, bad stems (see
        :func:`apply_mix`) or a stem with no entry in ``settings.tracks``.
    """
    rate = check_sample_rate(sample_rate)
    if not isinstance(settings, MixSettings):
        raise ParameterError.for_field("settings", type(settings).__name__, "a MixSettings")
    arrays = _validated_stems(stems)
    missing = [name for name in arrays if name not in settings.tracks]
    if missing:
        raise ParameterError.for_field("settings.tracks", f"no entry for stem(s) {missing}", "an entry for every stem")
    return rate, arrays


def _mix(
    stems: Mapping[str, np.ndarray], settings: MixSettings, *, sample_rate: int, workers: int | None, keep: bool,
    cache: StripCache | None = None,
) -> MixParts:
    rate, arrays = checked_mix_inputs(stems, settings, sample_rate=sample_rate)
    n = next(iter(arrays.values())).shape[1]
    names = list(arrays)
    live = [name for name in names if not settings.tracks[name].mute]
    with_sends = any(settings.tracks[name].reverb_send_db is not None for name in live)
    with_delay = any(settings.tracks[name].delay_send_db is not None for name in live)
    digests: dict[str, str] = {}
    keys = _strip_keys(arrays, settings, live, rate, digests) if cache is not None or keep else {}
    cached = {name for name, key in keys.items() if cache is not None and cache.has(key)}
    # the sidechain gains of the strips to process (a cached strip needs none)
    ducks = _ducking_gains(arrays, settings, [name for name in live if name not in cached], rate)
    strips: dict[str, np.ndarray] = {}
    peaks: dict[str, float] = {}

    def strip(name: str) -> np.ndarray:
        track = settings.tracks[name]
        if cache is not None and name in keys:
            out = cache.get(keys[name])
            if out is not None and out.shape == (2, n):
                return out
            duck = ducks[name] if name in ducks else _ducking_gains(arrays, settings, [name], rate).get(name)
            out = channel_strip(arrays[name], track, sample_rate=rate, duck_gain=duck)
            cache.put(keys[name], out)
            return out
        return channel_strip(arrays[name], track, sample_rate=rate, duck_gain=ducks.get(name))

    # With stems read when used (a stem store), the six sums (bus, reverb and delay sends of each
    # half) are kept in files of their own, added to by blocks: the same float32 sums, not in memory.
    sums = None if isinstance(arrays, dict) else StemStore()

    def mix_part(part: list[str], half: int) -> tuple[object, object, object]:
        made = _HalfSums(n, half, with_sends=with_sends, with_delay=with_delay, store=sums)
        add = made.add
        for name in part:  # in order
            track = settings.tracks[name]
            out = strip(name)
            if keep and cache is None:
                strips[name] = out  # not changed below: the sums read it (with a cache, the printed files read it there)
            elif keep and cache is not None and name in keys:
                peaks[name] = float(np.maximum(out.max(), -out.min())) if out.size else 0.0  # max(abs(out)), without a copy
            add("bus", out, None)
            if with_sends and track.reverb_send_db is not None:
                add("reverb send", out, np.float32(10.0 ** (track.reverb_send_db / 20.0)))
            if with_delay and track.delay_send_db is not None:
                add("delay send", out, np.float32(10.0 ** (track.delay_send_db / 20.0)))
            del out  # (a strip leaves memory here: the next is made after)
        return made.sums

    try:
        bus, sends, delay_sends = _sum_two_halves(names, mix_part, workers=workers, sums=sums, n=n)
    finally:
        if sums is not None:
            sums.close()
    if cache is None:
        returns = shared_returns(delay_sends, sends, settings, sample_rate=rate)
        return_keys = []
    else:
        returns, return_keys = _cached_returns(delay_sends, sends, settings, rate, cache)
    for wet in returns.values():  # delay, then reverb
        bus += wet
    if cache is not None:
        cache.prune(set(keys.values()) | set(return_keys))
    if not keep:
        return MixParts(bus, {})
    if not isinstance(arrays, dict) and returns:  # stems read when used: the returns kept for the printed files wait in files too
        returns = _stored(returns)
    if cache is not None:  # not held: read back one at a time (peak memory: a song-length buffer per track less)
        def make(name: str) -> np.ndarray:
            duck = _ducking_gains(arrays, settings, [name], rate).get(name) if name in live else None
            return channel_strip(arrays[name], settings.tracks[name], sample_rate=rate, duck_gain=duck)

        return MixParts(bus, CachedStrips(cache, keys, names, make), returns, stem_digests=digests, strip_keys=keys,
                        strip_peaks={name: peaks[name] for name in names if name in peaks})
    return MixParts(bus, {name: strips[name] for name in names}, returns, stem_digests=digests, strip_keys=keys)


def _stored(arrays: dict[str, np.ndarray]) -> StemStore:
    """``arrays`` put into a new :class:`lemm.io.stem_store.StemStore` (read back when used; its files go with it)."""
    store = StemStore()
    for name, audio in arrays.items():
        store.put(name, audio)
    return store


class _HalfSums:
    """The bus, reverb send and delay send of one half of the tracks (:func:`_sum_two_halves`): arrays, or sums in ``store``'s files.

    ``sums`` is (bus, reverb send, delay send): arrays [shape=(2, n)] float32, or
    the names of ``store``'s stems that hold them; None for a send nothing uses.
    """

    def __init__(self, n: int, half: int, *, with_sends: bool, with_delay: bool, store: StemStore | None) -> None:
        wanted = {"bus": True, "reverb send": with_sends, "delay send": with_delay}
        self._store, self._scratch = store, None
        if store is None:
            self._made = {kind: np.zeros((2, n), dtype=np.float32) if on else None for kind, on in wanted.items()}
            if with_sends or with_delay:
                self._scratch = np.empty((2, min(n, _SEND_BLOCK)), dtype=np.float32)
        else:
            self._made = {kind: f"{kind} {half}" if on else None for kind, on in wanted.items()}
            for label in filter(None, self._made.values()):
                store.create(label, n_samples=n)

    def add(self, kind: str, out: np.ndarray, gain: np.float32 | None) -> None:
        """``sum += out`` (times ``gain``, each product rounded to float32 first), in memory or by blocks in the file: the same sums."""
        if self._store is not None:
            self._store.add(self._made[kind], 0, out, gain=gain)
        elif gain is None:
            self._made[kind] += out
        else:
            _add_scaled(self._made[kind], out, gain, self._scratch)

    @property
    def sums(self) -> tuple[object, object, object]:
        return self._made["bus"], self._made["reverb send"], self._made["delay send"]


def _sum_two_halves(
    names: list[str], mix_part, *, workers: int | None, sums: StemStore | None = None, n: int = 0,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """``mix_part(part, half)`` of two fixed halves of ``names`` (even / odd positions), each summed in order, then added.

    The result is bit-identical whatever the number of workers (one or two threads).
    With ``sums``, ``mix_part`` returns the names of its sums in that store (each
    [shape=(2, n)]), which are read and added here by blocks.
    """
    parts = [names[0::2], names[1::2]]
    n_workers = max(1, min(2, workers or min(2, os.cpu_count() or 1)))
    if n_workers == 1:
        results = [mix_part(p, half) for half, p in enumerate(parts)]
    else:
        with ThreadPoolExecutor(max_workers=n_workers) as pool:
            results = list(pool.map(mix_part, parts, range(2)))
    if sums is not None:  # first half's sum, plus the second's: as ``first += second`` in memory
        return tuple(None if first is None else sums.read_into(second, sums.read_into(first, np.empty((2, n), np.float32)), add=True)
                     for first, second in zip(results[0], results[1], strict=True))
    bus, sends, delay_sends = results[0]
    bus += results[1][0]
    if sends is not None:
        sends += results[1][1]
    if delay_sends is not None:
        delay_sends += results[1][2]
    return bus, sends, delay_sends


def _cached_returns(
    delay_bus: np.ndarray | None, reverb_bus: np.ndarray | None, settings: MixSettings, rate: int, cache: StripCache
) -> tuple[dict[str, np.ndarray], list[str]]:
    """:func:`shared_returns`, each return read from ``cache`` when its send bus and effect settings are unchanged; and their keys.

    A return is a function of its send bus's samples and its effect's settings, which
    its key hashes (:func:`lemm.mix.strip_cache.return_key`): an edit of a track
    that sends nowhere leaves both returns as they were, and they are not computed again.
    """
    returns: dict[str, np.ndarray] = {}
    keys = []
    for name, bus, effect in ((RETURN_NAMES[0], delay_bus, settings.delay), (RETURN_NAMES[1], reverb_bus, settings.reverb)):
        if bus is None or not np.any(bus):
            continue
        key = return_key(name, stem_digest(bus), dataclasses.asdict(effect), sample_rate=rate)
        wet = cache.get(key)
        if wet is None or wet.shape != bus.shape:
            one = (bus, None) if name == RETURN_NAMES[0] else (None, bus)
            wet = shared_returns(*one, settings, sample_rate=rate)[name]
            cache.put(key, wet)
        returns[name] = wet
        keys.append(key)
    return returns, keys


#: Samples per block of a send's multiply-add (its scratch buffer is this long, not the song).
_SEND_BLOCK = 1 << 16


def _add_scaled(bus: np.ndarray, audio: np.ndarray, gain: np.float32, scratch: np.ndarray) -> None:
    """``bus += audio * gain`` in place, block by block through ``scratch`` (the same float32 roundings as one whole-song multiply).

    ``bus``, ``audio`` [shape=(..., n_samples)] and ``scratch`` [shape=(..., block)] have the same leading shape.
    """
    step = scratch.shape[-1]
    for start in range(0, audio.shape[-1], step):
        stop = min(start + step, audio.shape[-1])
        part = scratch[..., : stop - start]
        np.multiply(audio[..., start:stop], gain, out=part)
        bus[..., start:stop] += part


def shared_returns(
    delay_bus: np.ndarray | None, reverb_bus: np.ndarray | None, settings: MixSettings, *, sample_rate: int
) -> dict[str, np.ndarray]:
    """The delay and reverb returns [shape=(2, n_samples)] float32 of the send buses, each at its ``return_db``.

    A bus that is None or silent has no return; the names are :data:`RETURN_NAMES`, in that order.
    """
    returns: dict[str, np.ndarray] = {}
    if delay_bus is not None and np.any(delay_bus):
        d = settings.delay
        wet = delay(delay_bus, sample_rate=sample_rate, time_ms=d.time_ms, feedback=d.feedback, highpass_hz=d.highpass_hz,
                    lowpass_hz=d.lowpass_hz, ping_pong=d.ping_pong)
        wet *= np.float32(10.0 ** (d.return_db / 20.0))  # in place: the same products as ``gain * wet``
        returns[RETURN_NAMES[0]] = wet
    if reverb_bus is not None and np.any(reverb_bus):
        r = settings.reverb
        wet = reverb(reverb_bus, sample_rate=sample_rate, decay_seconds=r.decay_seconds, predelay_ms=r.predelay_ms, damping=r.damping,
                     highpass_hz=r.highpass_hz)
        wet *= np.float32(10.0 ** (r.return_db / 20.0))
        returns[RETURN_NAMES[1]] = wet
    return returns


def track_outputs(stems: Mapping[str, np.ndarray], settings: MixSettings, *, sample_rate: int) -> dict[str, np.ndarray]:
    """Each stem's share of :func:`apply_mix`: its channel strip plus its own reverb and delay returns.

    The reverb and the delay are linear, so the shares add up to
    ``apply_mix(stems, settings, sample_rate=...)`` up to float32 rounding
    (each share convolves its own send, where the mix convolves the summed
    send bus once). These are the "wet stems" of a multitrack data set.

    Parameters
    ----------
    stems, settings, sample_rate
        As for :func:`apply_mix`.

    Returns
    -------
    dict of str to np.ndarray [shape=(2, n_samples)], float32
        In the order of ``stems``; a muted track's share is silence.

    Raises
    ------
    ParameterError
        As :func:`apply_mix`.

    Examples
    --------
    >>> from lemm.mix.settings import MixSettings, TrackMix
    >>> stems = {"a": np.ones((1, 4800), np.float32) * 0.1, "b": np.ones((2, 4800), np.float32) * 0.1}
    >>> settings = MixSettings(tracks={"a": TrackMix(pan=-1.0, reverb_send_db=-6.0), "b": TrackMix(gain_db=-6.0206)})
    >>> shares = track_outputs(stems, settings, sample_rate=48000)
    >>> total = shares["a"] + shares["b"]
    >>> bool(np.allclose(total, apply_mix(stems, settings, sample_rate=48000), atol=1e-6))
    True
    """
    rate, arrays = checked_mix_inputs(stems, settings, sample_rate=sample_rate)
    live = [name for name in arrays if not settings.tracks[name].mute]
    ducks = _ducking_gains(arrays, settings, live, rate)
    shares: dict[str, np.ndarray] = {}
    for name, audio in arrays.items():
        track = settings.tracks[name]
        out = channel_strip(audio, track, sample_rate=rate, duck_gain=ducks.get(name))
        share = out.copy()
        if track.delay_send_db is not None and np.any(out):
            d = settings.delay
            send = _flush_subnormals(out * np.float32(10.0 ** (track.delay_send_db / 20.0)))
            wet = delay(send, sample_rate=rate, time_ms=d.time_ms, feedback=d.feedback, highpass_hz=d.highpass_hz,
                        lowpass_hz=d.lowpass_hz, ping_pong=d.ping_pong)
            share += np.float32(10.0 ** (d.return_db / 20.0)) * wet
        if track.reverb_send_db is not None and np.any(out):
            r = settings.reverb
            send = _flush_subnormals(out * np.float32(10.0 ** (track.reverb_send_db / 20.0)))
            wet = reverb(send, sample_rate=rate, decay_seconds=r.decay_seconds, predelay_ms=r.predelay_ms, damping=r.damping,
                         highpass_hz=r.highpass_hz)
            share += np.float32(10.0 ** (r.return_db / 20.0)) * wet
        shares[name] = share
    return shares


def _flush_subnormals(audio: np.ndarray) -> np.ndarray:
    """``audio`` with subnormal samples (|x| < 1.2e-38, the decaying tails of IIR filters) set to 0, in place.

    The FFT convolution of a send full of subnormals runs about ten times slower
    (measured: 2.1 s against 0.17 s for a 30 s piano send at 44.1 kHz); the
    result changes by less than 1e-44.
    """
    audio[np.abs(audio) < np.finfo(audio.dtype).tiny] = 0.0
    return audio


def strip_keys_of(stems: Mapping[str, np.ndarray], settings: MixSettings, *, sample_rate: int) -> tuple[dict[str, str], dict[str, str]]:
    """Each stem's :func:`lemm.mix.strip_cache.stem_digest` and each live track's strip key, as :func:`mix_with_strips` keeps them.

    Raises
    ------
    ParameterError
        As :func:`apply_mix`.
    """
    rate, arrays = checked_mix_inputs(stems, settings, sample_rate=sample_rate)
    digests: dict[str, str] = {}
    keys = _strip_keys(arrays, settings, [name for name in arrays if not settings.tracks[name].mute], rate, digests)
    return digests, keys


def _strip_keys(arrays: dict[str, np.ndarray], settings: MixSettings, live: list[str], rate: int, digests: dict[str, str]) -> dict[str, str]:
    """The :func:`lemm.mix.strip_cache.strip_key` of every live track's strip; ``digests`` gets each stem's digest (each hashed once)."""

    def digest(name: str) -> str:
        if name not in digests:
            digests[name] = stem_digest(arrays[name])
        return digests[name]

    keys = {}
    wanted = [name for name in arrays if name not in digests]  # every stem's, muted ones too (the song folder's file keys use them)
    if len(wanted) > 1 and (os.cpu_count() or 1) > 1:  # two threads (hashlib releases the GIL); the same digests
        with ThreadPoolExecutor(max_workers=2) as pool:
            digests.update(zip(wanted, pool.map(lambda name: stem_digest(arrays[name]), wanted), strict=True))
    for name in arrays:
        digest(name)
    for name in live:
        track = settings.tracks[name]
        ducked = track.sidechain_source is not None and track.sidechain_depth_db != 0.0
        if ducked:
            _check_sidechain(name, track, arrays)
        keys[name] = strip_key(digest(name), track, sample_rate=rate, duck_source=digest(track.sidechain_source) if ducked else None)
    return keys


def _check_sidechain(name: str, track: TrackMix, arrays: dict[str, np.ndarray]) -> None:
    if track.sidechain_source not in arrays:
        raise ParameterError.for_field(f"settings.tracks[{name!r}].sidechain_source", track.sidechain_source,
                                       f"the name of a stem ({', '.join(arrays)})")


def _ducking_gains(arrays: dict[str, np.ndarray], settings: MixSettings, live: list[str], rate: int) -> dict[str, np.ndarray]:
    """Sidechain gain of every ducked track (computed once per source, depth and release)."""
    gains: dict[str, np.ndarray] = {}
    cache: dict[tuple, np.ndarray] = {}
    for name in live:
        track = settings.tracks[name]
        if track.sidechain_source is None or track.sidechain_depth_db == 0.0:
            continue
        _check_sidechain(name, track, arrays)
        key = (track.sidechain_source, track.sidechain_depth_db, track.sidechain_release_ms)
        if key not in cache:
            cache[key] = ducking_gain(arrays[track.sidechain_source], sample_rate=rate, depth_db=track.sidechain_depth_db,
                                      release_ms=track.sidechain_release_ms)
        gains[name] = cache[key]
    return gains
