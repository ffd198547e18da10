"""render_track_span: the stem where a track sounds, bit for bit the full render's, which is silent around it."""

from __future__ import annotations

import numpy as np
import pytest

from lemm.errors import ParameterError
from lemm.render import render_track
from lemm.render.track import render_track_span
from lemm.score.model import Note, Score, Track

RATE = 16000


def _notes(pitches, first_tick=1920):
    return tuple(Note(p, first_tick + 240 * i, 360, 70 + 5 * i) for i, p in enumerate(pitches))


CASES = [
    Track(name="strings", role="pad", preset="string_ensemble", notes=_notes((60, 64, 67, 72))),  # sustained noise (track noise)
    Track(name="piano", role="keys", preset="acoustic_piano", notes=_notes((48, 55, 60))),  # sampled
    Track(name="guitar", role="guitar", preset="steel_guitar", notes=_notes((52, 57, 52))),  # sampled, round robin
    Track(name="pad", role="pad", preset="synth_pad", notes=_notes((60, 67))),  # sampled, looped
    Track(name="flute", role="lead", preset="flute", notes=_notes((72, 74))),
    Track(name="bass", role="bass", preset="electric_bass", notes=_notes((40, 43))),
    Track(name="drums", role="drums", preset="synth_kit", is_drum=True, notes=_notes((36, 42, 38, 46, 42))),
    Track(name="kit", role="drums", preset="acoustic_kit", is_drum=True, notes=_notes((36, 42, 38, 46))),
]


@pytest.mark.parametrize("track", CASES, ids=lambda t: t.preset)
@pytest.mark.parametrize("n_samples", [8 * RATE, 2 * RATE + 1000])  # the whole tail, and one cut short
def test_span_is_the_full_render_where_it_sounds(track, n_samples):
    score = Score(tracks=(track,))
    full = render_track(track, score, sample_rate=RATE, seed=5, n_samples=n_samples)
    start, audio = render_track_span(track, score, sample_rate=RATE, seed=5, n_samples=n_samples)
    end = start + audio.shape[1]
    assert audio.dtype == np.float32 and audio.shape[0] == 2 and 0 < start < end <= n_samples
    assert np.array_equal(full[:, start:end], audio)  # bit for bit
    assert not np.any(full[:, :start]) and not np.any(full[:, end:])  # nothing left out


def test_span_of_a_track_past_the_end_is_empty():
    track = CASES[1]
    _, audio = render_track_span(track, Score(tracks=(track,)), sample_rate=RATE, seed=1, n_samples=RATE // 2)
    assert audio.shape == (2, 0)


def test_span_needs_a_length():
    track = CASES[1]
    with pytest.raises(ParameterError, match="n_samples"):
        render_track_span(track, Score(tracks=(track,)), sample_rate=RATE, n_samples=None)
