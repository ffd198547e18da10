"""One home for ranges: every entry point checks sample rates, compressor and gain values against lemm.validate."""

from __future__ import annotations

import numpy as np
import pytest

from lemm.errors import ParameterError, ScoreError
from lemm.mix import CompressorSettings, TrackMix
from lemm.mix._validate import check_sample_rate as mix_check_sample_rate
from lemm.mix.dynamics import compressor_gain
from lemm.mix.processors import Compressor
from lemm.render.synth import hop_samples
from lemm.score.model import Track
from lemm.validate import COMPRESSOR_RANGES, GAIN_HINT_RANGE_DB, MIX_GAIN_RANGE_DB, SAMPLE_RATE_RANGE_HZ, check_sample_rate
from lemm.vocals.analysis import prepare_take

LOW, HIGH = SAMPLE_RATE_RANGE_HZ


@pytest.mark.parametrize(
    "check",
    [check_sample_rate, mix_check_sample_rate, hop_samples, lambda rate: prepare_take(np.full(40000, 0.1), rate)],
    ids=["validate", "mix", "render hop", "vocals take"],
)
def test_one_sample_rate_rule(check):
    for rate in (LOW, 44100, np.int64(48000), HIGH):
        check(rate)
    for rate in (LOW - 1, HIGH + 1, 48000.0, True, "48000"):
        with pytest.raises(ParameterError, match=f"{LOW}..{HIGH}"):
            check(rate)


@pytest.mark.parametrize("name", list(COMPRESSOR_RANGES))
def test_compressor_ranges_are_the_same_everywhere(name):
    low, high = COMPRESSOR_RANGES[name]
    valid = {"threshold_db": -20.0, "ratio": 2.0, "attack_ms": 10.0, "release_ms": 100.0, "knee_db": 0.0, "makeup_db": 0.0}
    audio = np.zeros((1, 64), np.float32)
    for value, ok in ((low, True), (high, True), (low - 1.0, False), (high + 1.0, False)):
        args = dict(valid, **{name: value})
        makers = (
            lambda a=args: CompressorSettings(**a),
            lambda a=args: Compressor(**a),
            lambda a=args: compressor_gain(audio, sample_rate=48000, **a),
        )
        for make in makers:
            if ok:
                make()
            else:
                with pytest.raises(ParameterError, match=name):
                    make()


def test_gain_hint_and_mix_gain_ranges():
    low, high = GAIN_HINT_RANGE_DB
    Track("t", "keys", "acoustic_piano", gain_db=low)
    with pytest.raises(ScoreError, match=f"{low:g}..{high:g}"):
        Track("t", "keys", "acoustic_piano", gain_db=low - 1.0)
    mix_low, mix_high = MIX_GAIN_RANGE_DB
    assert mix_low < low and high < mix_high  # a person's fader reaches further than a composer's hint
    TrackMix(gain_db=mix_low)
    with pytest.raises(ParameterError, match="gain_db"):
        TrackMix(gain_db=mix_high + 1.0)
