"""One shared test over every processor: shape, dtype, finite, deterministic, silence in -> silence out."""

from __future__ import annotations

import numpy as np
import pytest

from lemm.errors import ParameterError
from lemm.mix.processors import PROCESSORS, Chain, Gain, HighPass, Limiter, Pan, Processor

from .signals import SAMPLE_RATE, dense_mix


@pytest.mark.parametrize("processor", PROCESSORS, ids=lambda p: type(p).__name__)
@pytest.mark.parametrize("channels", [1, 2])
def test_every_processor(processor: Processor, channels: int) -> None:
    x = dense_mix(1.0)[:channels].astype(np.float32)
    out = processor.process(x, sample_rate=SAMPLE_RATE)
    assert out.dtype == np.float32
    assert out.shape[1] == x.shape[1] and out.shape[0] in (channels, 2)
    assert np.all(np.isfinite(out))
    np.testing.assert_array_equal(out, processor.process(x.copy(), sample_rate=SAMPLE_RATE))
    silent = processor.process(np.zeros_like(x), sample_rate=SAMPLE_RATE)
    np.testing.assert_array_equal(silent, 0.0)
    assert isinstance(processor.controls(), dict) and processor.controls()["type"] == type(processor).__name__


def test_chains_nest_and_equal_the_steps() -> None:
    x = dense_mix(0.5).astype(np.float32)
    inner = Chain((HighPass(cutoff_hz=100.0), Gain(gain_db=-3.0)))
    outer = Chain((inner, Pan(pan=0.25), Limiter(ceiling_dbtp=-1.0)))
    step = x
    for p in (HighPass(cutoff_hz=100.0), Gain(gain_db=-3.0), Pan(pan=0.25), Limiter(ceiling_dbtp=-1.0)):
        step = p.process(step, sample_rate=SAMPLE_RATE)
    np.testing.assert_array_equal(outer.process(x, sample_rate=SAMPLE_RATE), step)


def test_processor_validation() -> None:
    with pytest.raises(ParameterError, match="cutoff_hz"):
        HighPass(cutoff_hz=-1.0)
    with pytest.raises(ParameterError, match="processors"):
        Chain(("not a processor",))  # type: ignore[arg-type]
