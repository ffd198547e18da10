"""Brief, plan data, seeding, atomic writes, errors and the license check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lemm.compose.brief import Brief, parse_duration, read_lyrics_file
from lemm.compose.plan_model import Plan, PlanSection
from lemm.errors import FileFormatError, LemmError, LemmFileNotFoundError, ParameterError
from lemm.io.atomic import atomic_path, atomic_write_text
from lemm.licenses import classify
from lemm.seeding import check_seed, derive_seed, make_rng


@pytest.mark.parametrize("text, seconds", [("3:30", 210.0), ("0:45", 45.0), ("10:00", 600.0), ("95", 95.0), (30, 30.0)])
def test_parse_duration(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["0:00", "banana", "-1", "10:01", "3:75", "", True, float("nan"), 5])
def test_parse_duration_rejects(text: object) -> None:
    with pytest.raises(ParameterError, match="duration must be"):
        parse_duration(text)


def test_errors_are_builtin_too() -> None:
    assert issubclass(ParameterError, ValueError) and issubclass(ParameterError, LemmError)
    assert issubclass(LemmFileNotFoundError, FileNotFoundError)


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, "3", True, None])
def test_check_seed_rejects(seed: object) -> None:
    with pytest.raises(ParameterError, match="seed must be an integer in 0..4294967295"):
        check_seed(seed)


@given(st.integers(0, 2**32 - 1), st.text(max_size=20), st.text(max_size=20))
def test_derive_seed_is_stable_and_separates_names(seed: int, a: str, b: str) -> None:
    assert derive_seed(seed, a) == derive_seed(seed, a)
    assert 0 <= derive_seed(seed, a, b) < 2**32
    assert make_rng(derive_seed(seed, a)).random() == make_rng(derive_seed(seed, a)).random()


def test_derive_seed_differs_between_parts() -> None:
    seeds = {derive_seed(0, track, section) for track in ("drums", "bass", "keys") for section in ("verse 1", "chorus 1")}
    assert len(seeds) == 6


def test_brief_validates() -> None:
    with pytest.raises(ParameterError, match="seed"):
        Brief(seed=-3)
    with pytest.raises(ParameterError, match="tags"):
        Brief(tags=["pop"])  # type: ignore[arg-type]


def test_read_lyrics_file(tmp_path: Path) -> None:
    f = tmp_path / "l.txt"
    f.write_text("la la\n", encoding="utf-8")
    assert read_lyrics_file(f) == "la la\n"
    with pytest.raises(LemmFileNotFoundError, match="lyrics file"):
        read_lyrics_file(tmp_path / "missing.txt")
    f.write_bytes(b"\xff\xfe\x81")
    with pytest.raises(FileFormatError, match="UTF-8"):
        read_lyrics_file(f)


def test_plan_validates_energy_length_and_sections() -> None:
    sections = (PlanSection("verse 1", "verse", 4, 0.4), PlanSection("chorus 1", "chorus", 4, 0.8))
    plan = Plan(genre="pop", tempo_bpm=120.0, sections=sections, energy_per_bar=(0.5,) * 8)
    assert plan.total_bars == 8 and plan.section_start_bars() == [0, 4]
    assert plan.duration_seconds == pytest.approx(16.0)
    with pytest.raises(ParameterError, match="energy_per_bar length"):
        Plan(genre="pop", tempo_bpm=120.0, sections=sections, energy_per_bar=(0.5,) * 7)
    with pytest.raises(ParameterError, match="at least one section"):
        Plan(genre="pop", tempo_bpm=120.0)
    with pytest.raises(ParameterError, match="kind"):
        PlanSection("x", "hook", 4)


def test_atomic_write_leaves_old_file_on_error(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    atomic_write_text(target, "old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


@pytest.mark.parametrize("text, kind", [
    ("MIT", "permissive"), ("BSD-3-Clause", "permissive"), ("Apache-2.0", "permissive"), ("ISC", "permissive"),
    ("MPL-2.0", "weak-copyleft"), ("LGPL-2.1-or-later", "weak-copyleft"), ("GPL-3.0-only", "copyleft"),
    ("CC-BY-NC-SA-4.0", "non-commercial"), ("Research only", "non-commercial"), ("UNKNOWN", "unknown"), ("", "unknown"),
])
def test_classify_license(text: str, kind: str) -> None:
    assert classify(text) == kind


def test_make_rng_passes_generators_through() -> None:
    g = np.random.default_rng(1)
    assert make_rng(g) is g
