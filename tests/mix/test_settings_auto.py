"""MixSettings round trips and validation; automatic gain staging, panning and filters."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lemm.errors import ParameterError
from lemm.mix import MixSettings, TrackMix, auto_mix_settings, integrated_loudness
from lemm.mix.auto import ROLE_PROFILES
from lemm.mix.settings import CompressorSettings, EqBand, MasterSettings, ReverbSettings

from .signals import SAMPLE_RATE, dense_mix, sine, sparse_notes, stereo

track_strategy = st.builds(
    TrackMix,
    gain_db=st.floats(-120.0, 48.0),
    pan=st.floats(-1.0, 1.0),
    highpass_hz=st.none() | st.floats(1.0, 20000.0),
    eq=st.lists(st.builds(EqBand, st.sampled_from(["peak", "low_shelf", "high_shelf"]), st.floats(10.0, 24000.0),
                          st.floats(-24.0, 24.0), st.floats(0.1, 20.0)), max_size=3).map(tuple),
    compressor=st.builds(CompressorSettings, st.floats(-120.0, 24.0), st.floats(1.0, 1000.0)),
    reverb_send_db=st.none() | st.floats(-120.0, 12.0),
    mute=st.booleans(),
)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.dictionaries(st.text(min_size=1, max_size=8), track_strategy, max_size=4))
def test_settings_json_round_trip(tracks) -> None:
    s = MixSettings(tracks=tracks, reverb=ReverbSettings(decay_seconds=2.5), master=MasterSettings(target_lufs=-16.0))
    text = json.dumps(s.to_dict())
    assert MixSettings.from_dict(json.loads(text)) == s


def test_from_dict_fills_defaults_and_names_bad_fields() -> None:
    s = MixSettings.from_dict({"tracks": {"bass": {"gain_db": -3}}})
    assert s.tracks["bass"] == TrackMix(gain_db=-3.0)
    assert s.master == MasterSettings()
    cases = [
        ({"tracks": {"bass": {"pan": 2}}}, r"mix.tracks\['bass'\].pan"),
        ({"tracks": {"bass": {"gian_db": 1}}}, r"mix.tracks\['bass'\] keys"),
        ({"tracks": {"bass": {"compressor": {"ratio": 0.5}}}}, r"mix.tracks\['bass'\].compressor.ratio"),
        ({"tracks": {"bass": {"eq": [{"kind": "notch"}]}}}, r"mix.tracks\['bass'\].eq\[0\].kind"),
        ({"master": {"target_lufs": "loud"}}, r"mix.master.target_lufs"),
        ({"reverb": {"decay_seconds": 0}}, r"mix.reverb.decay_seconds"),
        ({"schema_version": 99}, r"mix.schema_version"),
        ([], r"mix must be a mapping"),
    ]
    for data, pattern in cases:
        with pytest.raises(ParameterError, match=pattern):
            MixSettings.from_dict(data)


def test_settings_are_immutable() -> None:
    s = MixSettings(tracks={"a": TrackMix()})
    with pytest.raises(TypeError):
        s.tracks["b"] = TrackMix()  # type: ignore[index]
    assert "b" in s.with_track("b", TrackMix(pan=0.5)).tracks and "b" not in s.tracks


def _stems() -> tuple[dict[str, np.ndarray], dict[str, str]]:
    stems = {
        "drums": dense_mix(3.0, seed=1) * 0.5,
        "bass": stereo(sine(55.0, -10.0, 3.0)),
        "piano": sparse_notes(3.0, seed=2)[:1],  # mono
        "pad": dense_mix(3.0, seed=3) * 0.05,
        "vocal": stereo(sine(440.0, -30.0, 3.0)),
    }
    roles = {"drums": "drums", "bass": "bass", "piano": "keys", "pad": "pad", "vocal": "vocal"}
    return stems, roles


def test_gain_staging_hits_the_role_targets() -> None:
    stems, roles = _stems()
    s = auto_mix_settings(stems, roles=roles, sample_rate=SAMPLE_RATE, gain_hints_db={"vocal": 2.0})
    for name, x in stems.items():
        staged = integrated_loudness(x * 10 ** (s.tracks[name].gain_db / 20), sample_rate=SAMPLE_RATE)
        expected = ROLE_PROFILES[roles[name]].loudness_lufs + (2.0 if name == "vocal" else 0.0)
        assert staged == pytest.approx(expected, abs=0.01), name
    assert ROLE_PROFILES["drums"].loudness_lufs > ROLE_PROFILES["keys"].loudness_lufs > ROLE_PROFILES["pad"].loudness_lufs


def test_panning_filters_sends_by_role() -> None:
    stems, roles = _stems()
    s = auto_mix_settings(stems, roles=roles, sample_rate=SAMPLE_RATE, pan_hints={"bass": -0.8, "piano": 0.6, "drums": 0.5})
    assert s.tracks["bass"].pan == 0.0 and s.tracks["drums"].pan == 0.0  # low end stays centred
    assert s.tracks["piano"].pan == 0.6  # hint used
    assert s.tracks["pad"].pan == ROLE_PROFILES["pad"].pan  # no hint: role default
    assert s.tracks["bass"].highpass_hz is None
    assert all(s.tracks[n].highpass_hz is not None for n in ("drums", "piano", "pad", "vocal"))
    assert s.tracks["bass"].reverb_send_db is None and s.tracks["pad"].reverb_send_db is not None
    assert all(1.0 < t.compressor.ratio <= 4.0 for t in s.tracks.values())
    assert list(s.tracks) == list(stems)
    two = auto_mix_settings({"gtr1": stems["vocal"], "gtr2": stems["vocal"]}, roles={"gtr1": "guitar", "gtr2": "guitar"},
                            sample_rate=SAMPLE_RATE)
    assert two.tracks["gtr1"].pan == -two.tracks["gtr2"].pan == ROLE_PROFILES["guitar"].pan  # spread, not stacked


def test_auto_mix_errors_and_silence() -> None:
    stems, roles = _stems()
    with pytest.raises(ParameterError, match=r"roles\['piano'\]"):
        auto_mix_settings(stems, roles={**roles, "piano": "kazoo"}, sample_rate=SAMPLE_RATE)
    with pytest.raises(ParameterError, match=r"roles\['pad'\]"):
        auto_mix_settings(stems, roles={k: v for k, v in roles.items() if k != "pad"}, sample_rate=SAMPLE_RATE)
    with pytest.raises(ParameterError, match=r"pan_hints\['piano'\]"):
        auto_mix_settings(stems, roles=roles, sample_rate=SAMPLE_RATE, pan_hints={"piano": 3.0})
    silent = auto_mix_settings({"pad": np.zeros((2, SAMPLE_RATE))}, roles={"pad": "pad"}, sample_rate=SAMPLE_RATE)
    assert silent.tracks["pad"].gain_db == 0.0
