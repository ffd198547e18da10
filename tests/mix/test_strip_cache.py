"""The channel-strip cache: a mix with it is the mix without it, bit for bit; only changed strips are processed again."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lemm.mix import mixer
from lemm.mix.mixer import apply_mix, mix_with_strips
from lemm.mix.settings import CompressorSettings, EqBand, MixSettings, TrackMix
from lemm.mix.strip_cache import StripCache, stem_digest, strip_key

RATE = 48000


def _stems_and_settings() -> tuple[dict[str, np.ndarray], MixSettings]:
    rng = np.random.default_rng(11)
    n = RATE // 2
    stems = {name: (rng.standard_normal((2 if i % 2 else 1, n)) * 0.2).astype(np.float32) for i, name in enumerate("abcde")}
    tracks = {
        name: TrackMix(
            gain_db=-2.0 + i, pan=-0.5 + 0.25 * i, highpass_hz=40.0 + 10 * i, eq=(EqBand(kind="peak", frequency_hz=900.0, gain_db=2.0, q=1.0),),
            compressor=CompressorSettings(threshold_db=-20.0, ratio=3.0) if i % 2 else CompressorSettings(),
            reverb_send_db=-12.0 - i, delay_send_db=-15.0 if i < 2 else None, spread=0.4 if name == "e" else 0.0,
            sidechain_source="a" if name == "b" else None, sidechain_depth_db=6.0 if name == "b" else 0.0,
        )
        for i, name in enumerate(stems)
    }
    return stems, MixSettings(tracks=tracks)


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Patch the mixer's channel_strip to count its calls."""
    calls: list[int] = []
    strip = mixer.channel_strip

    def counted(audio, track, **kwargs):
        calls.append(1)
        return strip(audio, track, **kwargs)

    monkeypatch.setattr(mixer, "channel_strip", counted)
    return calls


def test_a_cached_mix_is_the_mix_and_only_changed_strips_are_processed(tmp_path, monkeypatch) -> None:
    stems, settings = _stems_and_settings()
    plain = mix_with_strips(stems, settings, sample_rate=RATE)
    cache = StripCache(tmp_path / "strips")
    calls = _counting(monkeypatch)
    first = mix_with_strips(stems, settings, sample_rate=RATE, cache=cache)
    assert len(calls) == 5 and len(list((tmp_path / "strips").glob("*.npz"))) == 7  # 5 strips, the delay and reverb returns
    assert np.array_equal(first.mix, plain.mix) and all(np.array_equal(first.strips[k], plain.strips[k]) for k in stems)
    calls.clear()
    again = mix_with_strips(stems, settings, sample_rate=RATE, cache=cache)
    assert calls == [] and np.array_equal(again.mix, plain.mix)
    for name in mixer.RETURN_NAMES:
        assert np.array_equal(again.returns[name], plain.returns[name]), name

    # a changed stem "c": only its strip is processed; a changed sidechain source "a" also re-processes "b" (ducked by it)
    edited = dict(stems, c=stems["c"] * np.float32(0.5))
    calls.clear()
    out = mix_with_strips(edited, settings, sample_rate=RATE, cache=cache)
    assert len(calls) == 1 and np.array_equal(out.mix, apply_mix(edited, settings, sample_rate=RATE))
    edited["a"] = stems["a"] * np.float32(0.9)
    calls.clear()
    out = mix_with_strips(edited, settings, sample_rate=RATE, cache=cache)
    assert len(calls) == 2 and np.array_equal(out.mix, apply_mix(edited, settings, sample_rate=RATE))
    assert len(list((tmp_path / "strips").glob("*.npz"))) == 7  # entries this mix does not use are pruned

    # a changed send level is not part of any strip: nothing is processed, the mix follows the new level
    louder = settings.with_track("d", dataclasses.replace(settings.tracks["d"], reverb_send_db=-3.0))
    calls.clear()
    out = mix_with_strips(edited, louder, sample_rate=RATE, cache=cache)
    assert calls == [] and np.array_equal(out.mix, apply_mix(edited, louder, sample_rate=RATE))


def test_a_damaged_entry_is_processed_again_and_other_files_are_kept(tmp_path, caplog) -> None:
    stems, settings = _stems_and_settings()
    folder = tmp_path / "strips"
    cache = StripCache(folder)
    mix_with_strips(stems, settings, sample_rate=RATE, cache=cache)
    mine = folder / "notes.npz"
    mine.write_bytes(b"a file of mine")
    victim = sorted(folder.glob("*.npz"))[0]
    data = dict(np.load(victim))
    data["audio"] = data["audio"] + np.float32(1e-3)
    np.savez(victim, **data)
    out = mix_with_strips(stems, settings, sample_rate=RATE, cache=cache)
    assert np.array_equal(out.mix, apply_mix(stems, settings, sample_rate=RATE))
    assert "does not match its hash" in caplog.text
    assert mine.read_bytes() == b"a file of mine"
    assert StripCache(folder).get(victim.stem) is not None  # stored again, correct


def test_strip_key_reads_what_the_strip_is_made_of() -> None:
    a, b = stem_digest(np.zeros((2, 10), np.float32)), stem_digest(np.zeros((1, 20), np.float32))
    assert a != b and a == stem_digest(np.zeros((2, 10), np.float64))
    base = strip_key(a, TrackMix(), sample_rate=RATE)
    assert base == strip_key(a, TrackMix(reverb_send_db=-6.0, delay_send_db=-9.0), sample_rate=RATE)
    assert base != strip_key(a, TrackMix(gain_db=1.0), sample_rate=RATE)
    assert base != strip_key(a, TrackMix(), sample_rate=44100)
    assert base != strip_key(b, TrackMix(), sample_rate=RATE)
    ducked = TrackMix(sidechain_source="kick", sidechain_depth_db=6.0)
    assert strip_key(a, ducked, sample_rate=RATE, duck_source=a) != strip_key(a, ducked, sample_rate=RATE, duck_source=b)


def test_an_unknown_sidechain_source_is_refused_with_a_cache(tmp_path) -> None:
    stems, settings = _stems_and_settings()
    bad = settings.with_track("b", dataclasses.replace(settings.tracks["b"], sidechain_source="kick"))
    with pytest.raises(ValueError, match="kick"):
        mix_with_strips(stems, bad, sample_rate=RATE, cache=StripCache(tmp_path))


def test_the_returns_are_reused_when_no_sending_track_changed(tmp_path, monkeypatch) -> None:
    stems, settings = _stems_and_settings()
    settings = settings.with_track("c", dataclasses.replace(settings.tracks["c"], reverb_send_db=None, delay_send_db=None))
    longer = dataclasses.replace(settings, reverb=dataclasses.replace(settings.reverb, decay_seconds=settings.reverb.decay_seconds + 0.5))
    quiet_c = dict(stems, c=stems["c"] * np.float32(0.5))  # c sends nowhere
    quiet_d = dict(quiet_c, d=stems["d"] * np.float32(0.5))  # d sends to the reverb
    expected = [apply_mix(s, m, sample_rate=RATE) for s, m in ((quiet_c, settings), (quiet_d, settings), (quiet_d, longer))]
    cache = StripCache(tmp_path)
    mix_with_strips(stems, settings, sample_rate=RATE, cache=cache)
    convolved, reverb = [], mixer.reverb
    monkeypatch.setattr(mixer, "reverb", lambda *a, **k: convolved.append(1) or reverb(*a, **k))
    out = mix_with_strips(quiet_c, settings, sample_rate=RATE, cache=cache)
    assert convolved == [] and np.array_equal(out.mix, expected[0])
    out = mix_with_strips(quiet_d, settings, sample_rate=RATE, cache=cache)
    assert convolved == [1] and np.array_equal(out.mix, expected[1])
    out = mix_with_strips(quiet_d, longer, sample_rate=RATE, cache=cache)
    assert convolved == [1, 1] and np.array_equal(out.mix, expected[2])
