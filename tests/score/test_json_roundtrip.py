"""JSON round trips of lemm scores are exact."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings

from lemm.errors import FileFormatError, LemmFileNotFoundError, ScoreError
from lemm.score.jsonio import load_score, save_score, score_from_dict, score_to_dict
from lemm.score.model import Note, Score, Track

from .strategies import scores

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(scores())
def test_dict_round_trip_is_exact(score):
    data = score_to_dict(score)
    assert score_from_dict(json.loads(json.dumps(data))) == score


@settings(max_examples=10, deadline=None)
@given(scores(max_tracks=2))
def test_save_load_round_trip_is_exact(tmp_path_factory, score):
    path = tmp_path_factory.mktemp("j") / "song.json"
    save_score(score, path)
    assert load_score(path) == score
    assert path.read_bytes() == save_score(score, path).read_bytes()  # deterministic


def test_bad_json_inputs(tmp_path):
    with pytest.raises(LemmFileNotFoundError):
        load_score(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(FileFormatError):
        load_score(bad)
    data = score_to_dict(Score(tracks=(Track("p", "keys", "acoustic_piano", notes=(Note(60, 0, 480),)),)))
    data["tracks"][0]["notes"][0]["velocity"] = 200
    with pytest.raises(ScoreError, match=r"score\.tracks\[0\]\.notes\[0\].*velocity"):
        score_from_dict(data)
