"""Processors: small objects holding named settings in units, each calling a pure function.

Every processor has ``process(audio, *, sample_rate) -> audio`` and
``controls()`` (its settings as a dict). :class:`Chain` runs processors in
order and is itself a processor, so chains nest.

Examples
--------
>>> import numpy as np
>>> chain = Chain((Gain(gain_db=-6.0), HighPass(cutoff_hz=80.0), Chain((Pan(pan=-0.5),))))
>>> out = chain.process(np.ones((1, 4800), np.float32), sample_rate=48000)
>>> out.shape, out.dtype
((2, 4800), dtype('float32'))
>>> chain.controls()["processors"][0]
{'type': 'Gain', 'gain_db': -6.0}
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from lemm.errors import ParameterError
from lemm.mix._validate import check_number
from lemm.mix.dynamics import compress
from lemm.mix.filters import EqBand, equalize, highpass
from lemm.mix.limiter import limit
from lemm.mix.panning import apply_gain, apply_pan
from lemm.mix.reverb import reverb
from lemm.units import db_to_gain
from lemm.validate import COMPRESSOR_RANGES

__all__ = ["Processor", "Gain", "Pan", "HighPass", "Equalizer", "Compressor", "Limiter", "Reverb", "Chain", "PROCESSORS"]


class Processor:
    """Base of the processors: ``process`` maps audio to audio; ``controls`` lists the settings."""

    def process(self, audio: np.ndarray, *, sample_rate: int) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def controls(self) -> dict:
        """The processor's settings by name, with its type."""
        return {"type": type(self).__name__, **{f.name: getattr(self, f.name) for f in dataclasses.fields(self)}}


@dataclass(frozen=True)
class Gain(Processor):
    """Static gain in dB (:func:`lemm.mix.panning.apply_gain`)."""

    gain_db: float = 0.0

    def __post_init__(self) -> None:
        check_number(self.gain_db, "gain_db", -200.0, 60.0)

    def process(self, audio: np.ndarray, *, sample_rate: int) -> np.ndarray:  # noqa: ARG002  (the Processor interface: process(audio, *, sample_rate))
        return apply_gain(audio, gain_db=self.gain_db)


@dataclass(frozen=True)
class Pan(Processor):
    """Constant-power pan onto a stereo bus (:func:`lemm.mix.panning.apply_pan`)."""

    pan: float = 0.0

    def __post_init__(self) -> None:
        check_number(self.pan, "pan", -1.0, 1.0)

    def process(self, audio: np.ndarray, *, sample_rate: int) -> np.ndarray:  # noqa: ARG002  (the Processor interface: process(audio, *, sample_rate))
        return apply_pan(audio, pan=self.pan)


@dataclass(frozen=True)
class HighPass(Processor):
    """Butterworth high-pass, -3 dB at ``cutoff_hz`` (:func:`lemm.mix.filters.highpass`)."""

    cutoff_hz: float = 80.0
    order: int = 2

    def __post_init__(self) -> None:
        check_number(self.cutoff_hz, "cutoff_hz", 1.0, 24000.0)

    def process(self, audio: np.ndarray, *, sample_rate: int) -> np.ndarray:
        return highpass(audio, sample_rate=sample_rate, cutoff_hz=self.cutoff_hz, order=self.order)


@dataclass(frozen=True)
class Equalizer(Processor):
    """Peaking and shelving bands in series (:func:`lemm.mix.filters.equalize`)."""

    bands: tuple[EqBand, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.bands, tuple) or not all(isinstance(b, EqBand) for b in self.bands):
            raise ParameterError.for_field("bands", self.bands, "a tuple of EqBand")

    def process(self, audio: np.ndarray, *, sample_rate: int) -> np.ndarray:
        return equalize(audio, sample_rate=sample_rate, bands=self.bands)


@dataclass(frozen=True)
class Compressor(Processor):
    """Stereo-linked peak compressor (:func:`lemm.mix.dynamics.compress`)."""

    threshold_db: float = -20.0
    ratio: float = 2.0
    attack_ms: float = 10.0
    release_ms: float = 120.0
    makeup_db: float = 0.0
    knee_db: float = 0.0

    def __post_init__(self) -> None:
        for name, (low, high) in COMPRESSOR_RANGES.items():
            check_number(getattr(self, name), name, low, high)

    def process(self, audio: np.ndarray, *, sample_rate: int) -> np.ndarray:
        return compress(
            audio, sample_rate=sample_rate, threshold_db=self.threshold_db, ratio=self.ratio, attack_ms=self.attack_ms,
            release_ms=self.release_ms, knee_db=self.knee_db, makeup_db=self.makeup_db,
        )


@dataclass(frozen=True)
class Limiter(Processor):
    """Lookahead true-peak limiter (:func:`lemm.mix.limiter.limit`)."""

    ceiling_dbtp: float = -1.0
    lookahead_ms: float = 5.0
    release_ms: float = 100.0

    def __post_init__(self) -> None:
        check_number(self.ceiling_dbtp, "ceiling_dbtp", -60.0, 0.0)
        check_number(self.lookahead_ms, "lookahead_ms", 0.1, 100.0)
        check_number(self.release_ms, "release_ms", 0.0, 5000.0)

    def process(self, audio: np.ndarray, *, sample_rate: int) -> np.ndarray:
        return limit(audio, sample_rate=sample_rate, ceiling_dbtp=self.ceiling_dbtp, lookahead_ms=self.lookahead_ms,
                     release_ms=self.release_ms)


@dataclass(frozen=True)
class Reverb(Processor):
    """Dry plus the algorithmic reverb at ``wet_db`` (:func:`lemm.mix.reverb.reverb`); stereo out.

    For a bus; the mixer's tracks share one reverb through their sends instead.
    """

    wet_db: float = -12.0
    decay_seconds: float = 1.8
    predelay_ms: float = 20.0
    damping: float = 0.5

    def __post_init__(self) -> None:
        check_number(self.wet_db, "wet_db", -120.0, 12.0)

    def process(self, audio: np.ndarray, *, sample_rate: int) -> np.ndarray:
        wet = reverb(audio, sample_rate=sample_rate, decay_seconds=self.decay_seconds, predelay_ms=self.predelay_ms,
                     damping=self.damping)
        dry = apply_pan(audio, pan=0.0)  # stereo unchanged, mono centred at -3 dB per side
        return dry + np.float32(db_to_gain(self.wet_db)) * wet


@dataclass(frozen=True)
class Chain(Processor):
    """Processors run in order; a Chain is a processor, so chains nest."""

    processors: tuple[Processor, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.processors, tuple) or not all(isinstance(p, Processor) for p in self.processors):
            raise ParameterError.for_field("processors", self.processors, "a tuple of processors")

    def process(self, audio: np.ndarray, *, sample_rate: int) -> np.ndarray:
        out = np.asarray(audio)
        for p in self.processors:
            out = p.process(out, sample_rate=sample_rate)
        return np.asarray(out, dtype=np.float32)

    def controls(self) -> dict:
        return {"type": "Chain", "processors": [p.controls() for p in self.processors]}


#: One default instance of every processor, for shared tests.
PROCESSORS: tuple[Processor, ...] = (
    Gain(gain_db=-3.0),
    Pan(pan=0.3),
    HighPass(cutoff_hz=80.0),
    Equalizer(bands=(EqBand("peak", 1000.0, 3.0, 1.0), EqBand("high_shelf", 8000.0, -2.0, 0.7))),
    Compressor(threshold_db=-20.0, ratio=3.0),
    Limiter(ceiling_dbtp=-1.0),
    Reverb(wet_db=-12.0),
    Chain((Gain(gain_db=-6.0), Chain((HighPass(cutoff_hz=40.0),)))),
)
