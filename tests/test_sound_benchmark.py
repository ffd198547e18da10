"""The sound benchmark's hats measure: hats over the wash where they keep time (benchmarks/sound.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

SR = 16000


@pytest.fixture(scope="module")
def sound():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "sound.py"
    spec = importlib.util.spec_from_file_location("lemm_bench_sound", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _hits(onsets_s, n, rng, *, level=0.5, decay_s=0.01):
    out = np.zeros(n)
    t = np.arange(int(0.1 * SR)) / SR
    for s in onsets_s:
        i = int(s * SR)
        burst = level * rng.standard_normal(t.size) * np.exp(-t / decay_s)
        out[i : i + t.size] += burst[: n - i]
    return out


def test_a_ride_in_a_section_without_hats_is_not_the_wash_under_them(sound):
    rng = np.random.default_rng(0)
    n = 8 * SR
    hats = np.arange(0.0, 4.0, 0.25)  # a verse on the hats
    verse = _hits(hats, n, rng)
    ride = np.where(np.arange(n) >= 4 * SR, 0.05 * rng.standard_normal(n), 0.0)  # a chorus on the ride (a steady wash)
    clean = sound.hat_presence_db(verse, hats, sample_rate=SR)
    with_ride = sound.hat_presence_db(verse + ride, hats, sample_rate=SR)
    assert clean > 40.0 and abs(with_ride - clean) < 1.0  # the chorus's ride is under no hat
    # the same ride under the hats is their wash: 0.5 peak over a 0.05 floor, about 20 dB less clear
    under = np.where(np.arange(n) < 4 * SR, 0.05 * rng.standard_normal(n), 0.0)
    assert sound.hat_presence_db(verse + under, hats, sample_rate=SR) < clean - 15.0
    assert sound.hat_presence_db(verse, np.array([]), sample_rate=SR) is None
