"""The mixer's kept strips and returns: the same mix bit for bit, and printed files identical to recomputing them."""

from __future__ import annotations

import numpy as np

from lemm.export.printed import write_printed
from lemm.mix.mixer import apply_mix, mix_with_strips
from lemm.mix.printed import RETURN_NAMES, printed_strips
from lemm.mix.settings import CompressorSettings, EqBand, MixSettings, TrackMix

RATE = 48000


def _stems_and_settings(n_senders: int) -> tuple[dict[str, np.ndarray], MixSettings]:
    rng = np.random.default_rng(7)
    n = RATE // 2
    stems = {name: (rng.standard_normal((2 if i % 2 else 1, n)) * 0.2).astype(np.float32) for i, name in enumerate("abcde")}
    tracks = {}
    for i, name in enumerate(stems):
        sends = -12.0 - i if i < n_senders else None
        tracks[name] = TrackMix(
            gain_db=-3.0 + i, pan=(-0.5 + 0.25 * i), highpass_hz=40.0 + 10 * i, eq=(EqBand(kind="peak", frequency_hz=1000.0, gain_db=2.0, q=1.0),),
            compressor=CompressorSettings(threshold_db=-20.0, ratio=3.0) if i % 2 else CompressorSettings(),
            reverb_send_db=sends, delay_send_db=sends,
            sidechain_source="a" if name == "b" else None, sidechain_depth_db=6.0 if name == "b" else 0.0,
        )
    return stems, MixSettings(tracks=tracks)


def test_mix_with_strips_is_apply_mix_bit_for_bit_and_strips_sum_to_it():
    stems, settings = _stems_and_settings(4)
    parts = mix_with_strips(stems, settings, sample_rate=RATE)
    assert np.array_equal(parts.mix, apply_mix(stems, settings, sample_rate=RATE))
    assert list(parts.strips) == list(stems)
    _, returns = printed_strips(stems, settings, sample_rate=RATE, parts=parts)
    total = sum(parts.strips.values()) + returns["delay return"] + returns["reverb return"]
    assert np.allclose(total, parts.mix, atol=1e-5)
    assert not np.allclose(sum(parts.strips.values()), parts.mix, atol=1e-3)  # the returns are a real part of it
    assert np.max(np.abs(parts.mix)) > 0.05


def test_printed_strips_from_parts_equal_recomputed_ones_bit_for_bit():
    for n_senders in (2, 4):
        stems, settings = _stems_and_settings(n_senders)
        parts = mix_with_strips(stems, settings, sample_rate=RATE)
        fresh = printed_strips(stems, settings, sample_rate=RATE)
        reused = printed_strips(stems, settings, sample_rate=RATE, parts=parts)
        for got, want in zip(reused, fresh, strict=True):
            assert list(got) == list(want)
            for name in want:
                assert got[name].dtype == np.float32 and np.array_equal(got[name], want[name]), (n_senders, name)
        assert sorted(fresh[1]) == sorted(RETURN_NAMES)


def test_write_printed_with_parts_writes_the_same_bytes(tmp_path):
    stems, settings = _stems_and_settings(3)
    parts = mix_with_strips(stems, settings, sample_rate=RATE)
    a = write_printed(tmp_path / "a", stems, settings, sample_rate=RATE, bit_depth=24)
    b = write_printed(tmp_path / "b", stems, settings, sample_rate=RATE, bit_depth=24, parts=parts)
    assert a == b and len(a) == 7
    for f in a:
        assert (tmp_path / "a" / f.relative_path).read_bytes() == (tmp_path / "b" / f.relative_path).read_bytes()


def test_printed_returns_are_the_mixers_bit_for_bit():
    """Strips summed as the mixer sums them (even and odd positions, then added) plus the printed returns give the mix exactly."""
    stems, settings = _stems_and_settings(4)
    strips, returns = printed_strips(stems, settings, sample_rate=RATE)  # computed here, not taken from a mix
    names = list(stems)
    halves = []
    for part in (names[0::2], names[1::2]):
        bus = np.zeros_like(strips[names[0]])
        for name in part:
            bus += strips[name]
        halves.append(bus)
    total = halves[0] + halves[1]
    for name in RETURN_NAMES:
        total += returns[name]
    assert np.array_equal(total, apply_mix(stems, settings, sample_rate=RATE))
