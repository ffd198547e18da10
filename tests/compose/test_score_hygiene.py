"""Score hygiene over many seeds and genres: no duplicate notes (same track, tick and pitch), no overlapping
notes of one drum voice."""

from __future__ import annotations

import collections

import pytest

import lemm
from lemm.compose.profiles import list_genres


@pytest.mark.parametrize("genre", list_genres())
def test_no_duplicate_notes_and_no_overlapping_drum_hits(genre):
    prompts = (f"a {genre} song", f"a {genre} waltz in 3/4", f"a {genre} song in 6/8")
    for seed, prompt in enumerate(prompts, start=1):
        score = lemm.compose(prompt, tags=(genre,), duration="0:20", seed=seed).score
        for track in score.tracks:
            copies = collections.Counter((n.start_tick, n.pitch) for n in track.notes)
            assert [k for k, v in copies.items() if v > 1] == [], (genre, seed, track.name)
            if track.is_drum:
                last: dict[int, object] = {}
                for n in track.notes:
                    prev = last.get(n.pitch)
                    assert prev is None or prev.end_tick <= n.start_tick, (genre, seed, prev, n)
                    last[n.pitch] = n
