"""A small song with repeated choruses and a bridge, composed once per session (no audio)."""

from __future__ import annotations

import dataclasses

import pytest

SECTIONS = (("intro", "intro", 2, 0.3), ("verse 1", "verse", 4, 0.45), ("chorus 1", "chorus", 4, 0.8),
            ("verse 2", "verse", 4, 0.5), ("chorus 2", "chorus", 4, 0.85), ("bridge", "bridge", 4, 0.55),
            ("chorus 3", "chorus", 4, 0.9), ("outro", "outro", 2, 0.3))


def make_song(*, seed: int = 3, lyrics: str | None = None):
    """A 0:56 pop song (120 bpm, 28 bars) with drums, bass, piano, pad, guitar, strings and a lead."""
    import lemm
    from lemm.compose.brief import Brief
    from lemm.compose.plan_model import PlanSection
    from lemm.pipeline import make_plan

    base = make_plan(Brief(prompt="pop song with strings", tags=("pop",), duration_seconds=56.0, seed=seed))
    sections = tuple(PlanSection(n, k, b, e) for n, k, b, e in SECTIONS)
    energy = tuple(e for _, _, b, e in SECTIONS for _ in range(b))
    plan = dataclasses.replace(base, tempo_bpm=120.0, sections=sections, energy_per_bar=energy)
    return lemm.compose("pop song with strings", tags=("pop",), duration="0:56", seed=seed, plan=plan, lyrics=lyrics)


@pytest.fixture(scope="session")
def song():
    return make_song()


@pytest.fixture(scope="session")
def sung():
    return make_song(lyrics="light on the water\nwe sing it again\n\nhold on to the morning\nnever let it end")
