"""Plan editing: every edit re-validates; saved plans round-trip; overlapping or gapped files are refused."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lemm.compose.brief import Brief
from lemm.compose.plan_edit import (
    delete_section,
    insert_section,
    load_plan,
    move_section,
    plan_from_dict,
    plan_to_dict,
    resize_section,
    save_plan,
    set_energy,
)
from lemm.compose.plan_model import Plan, PlanNote
from lemm.compose.planner import make_plan
from lemm.errors import FileFormatError, LemmFileNotFoundError, ParameterError, ScoreError


@pytest.fixture
def plan():
    return make_plan(Brief(tags=("pop",), duration_seconds=120.0, seed=4))


def _consistent(p: Plan) -> None:
    starts = p.section_start_bars()
    assert len(p.energy_per_bar) == p.total_bars
    for s, b in zip(p.sections, starts, strict=True):
        assert s.energy == pytest.approx(np.mean(p.energy_per_bar[b : b + s.bars]), abs=1e-4)


def test_insert_delete_move_resize(plan):
    n = len(plan.sections)
    p = insert_section(plan, 1, "break", 4, energy=0.2)
    assert len(p.sections) == n + 1 and p.sections[1].kind == "break" and p.total_bars == plan.total_bars + 4
    assert p.energy_per_bar[plan.sections[0].bars : plan.sections[0].bars + 4] == (0.2,) * 4
    _consistent(p)
    q = delete_section(p, 1)
    assert q == plan  # deleting what was inserted gives the plan back
    last_chorus = [s.name for s in plan.sections if s.kind == "chorus"][-1]
    m = move_section(plan, last_chorus, 0)
    assert m.sections[0].kind == "chorus" and m.total_bars == plan.total_bars
    assert sorted(m.energy_per_bar) == sorted(plan.energy_per_bar)
    _consistent(m)
    r = resize_section(plan, 0, 2)
    assert r.sections[0].bars == 2 and r.total_bars == plan.total_bars - plan.sections[0].bars + 2
    _consistent(r)


def test_names_are_renumbered(plan):
    kinds = [s.kind for s in plan.sections]
    first_verse = kinds.index("verse")
    p = insert_section(plan, first_verse, "verse", 8)
    verses = [s.name for s in p.sections if s.kind == "verse"]
    assert verses == [f"verse {i + 1}" for i in range(len(verses))]
    custom = insert_section(plan, 0, "intro", 4, name="count-in")
    assert custom.sections[0].name == "count-in"


def test_set_energy(plan):
    p = set_energy(plan, 0, 0.9)
    assert p.sections[0].energy == pytest.approx(0.9)
    _consistent(p)
    bars = plan.sections[1].bars
    p = set_energy(plan, 1, [0.1] * bars)
    assert p.energy_per_bar[plan.sections[0].bars : plan.sections[0].bars + bars] == (0.1,) * bars
    p = set_energy(plan, None, np.linspace(0, 1, plan.total_bars).tolist())
    assert p.energy_per_bar[-1] == 1.0
    _consistent(p)


def test_bad_edits_raise_clear_errors(plan):
    with pytest.raises(ParameterError, match="section must be the name"):
        delete_section(plan, "solo 7")
    with pytest.raises(ParameterError, match="kind"):
        insert_section(plan, 0, "hook", 4)
    with pytest.raises(ParameterError, match="bars"):
        resize_section(plan, 0, 0)
    with pytest.raises(ParameterError, match="energy"):
        set_energy(plan, 0, 1.5)
    with pytest.raises(ParameterError, match="energy length"):
        set_energy(plan, 0, [0.5])
    with pytest.raises(ParameterError, match="index"):
        move_section(plan, 0, 99)
    one = Plan(genre="pop", tempo_bpm=100.0, sections=plan.sections[:1], energy_per_bar=plan.energy_per_bar[: plan.sections[0].bars])
    with pytest.raises(ParameterError, match="at least one section"):
        delete_section(one, 0)


def test_melody_moves_with_its_section():
    p = Plan(genre="pop", tempo_bpm=100.0, sections=(make_plan(Brief(duration_seconds=30.0)).sections[0].__class__("verse", "verse", 2, 0.5),
             make_plan(Brief(duration_seconds=30.0)).sections[0].__class__("chorus", "chorus", 2, 0.8)),
             energy_per_bar=(0.5, 0.5, 0.8, 0.8), melody=(PlanNote(60, 0.0, 1.0), PlanNote(72, 8.0, 1.0)))
    m = move_section(p, "chorus", 0)
    assert [(n.pitch, n.start_beats) for n in m.melody] == [(72, 0.0), (60, 8.0)]
    d = delete_section(p, "verse")
    assert [(n.pitch, n.start_beats) for n in d.melody] == [(72, 0.0)]


def test_save_load_round_trip_and_refusals(tmp_path, plan):
    path = save_plan(plan, tmp_path / "plan.json")
    assert load_plan(path) == plan
    data = json.loads(path.read_text())
    assert [s["start_bar"] for s in data["sections"]] == plan.section_start_bars()
    # a hand edit that leaves a gap or overlaps is refused, naming the section
    data["sections"][2]["start_bar"] += 2
    path.write_text(json.dumps(data))
    with pytest.raises(ScoreError, match="gap"):
        load_plan(path)
    data["sections"][2]["start_bar"] -= 4
    path.write_text(json.dumps(data))
    with pytest.raises(ScoreError, match="overlaps"):
        load_plan(path)
    data = plan_to_dict(plan)
    data["energy_per_bar"] = data["energy_per_bar"][:-1]
    with pytest.raises(ScoreError, match="energy_per_bar"):
        plan_from_dict(data)
    data["energy_per_bar"] = []
    rebuilt = plan_from_dict(data)
    assert rebuilt.total_bars == plan.total_bars and rebuilt.sections == plan.sections
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(FileFormatError):
        load_plan(tmp_path / "bad.json")
    with pytest.raises(LemmFileNotFoundError):
        load_plan(tmp_path / "missing.json")


@settings(max_examples=40, deadline=None)
@given(ops=st.lists(st.tuples(st.sampled_from(["insert", "delete", "move", "resize", "energy"]), st.integers(0, 50), st.integers(1, 16), st.floats(0.0, 1.0)), max_size=8))
def test_random_edit_sequences_stay_valid(ops):
    p = make_plan(Brief(tags=("rock",), duration_seconds=90.0, seed=1))
    for op, i, bars, e in ops:
        k = i % len(p.sections)
        if op == "insert":
            p = insert_section(p, i % (len(p.sections) + 1), "bridge", bars, energy=e)
        elif op == "delete" and len(p.sections) > 1:
            p = delete_section(p, k)
        elif op == "move":
            p = move_section(p, k, (i * 7) % len(p.sections))
        elif op == "resize":
            p = resize_section(p, k, bars)
        elif op == "energy":
            p = set_energy(p, k, e)
        _consistent(p)
    assert plan_from_dict(json.loads(json.dumps(plan_to_dict(p)))) == p
