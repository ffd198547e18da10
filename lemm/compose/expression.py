"""Expression for a written part: dynamic marks, hairpins, a dynamics curve, vibrato.

- A dynamic marking (pp..ff, from the section energy) at each section start where
  the part plays, written only when it changes.
- A crescendo over every pre-chorus and every section whose energy rises by more
  than 0.1; a diminuendo over the outro.
- ``dynamics`` curve: one point per bar, ``0.8 + 0.2 * energy`` (-1.9 dB at
  energy 0): velocities and markings already follow the energy, so the curve
  only shades it; a steeper one stacked on them left quiet intros 20 LU or
  more under a song and inaudible after mastering.
- ``brightness`` curve: one point per bar, ``0.35 + 0.3 * energy`` (louder is brighter).
- On melody parts (vocal, lead): ``vibrato_depth_cents`` that grows on notes of a
  beat or longer (delayed vibrato) and ``vibrato_rate_hz`` 5.5 (voice) or 5.0.

Examples
--------
>>> from lemm.compose.plan_model import Plan, PlanSection
>>> plan = Plan(genre="pop", tempo_bpm=120.0, sections=(PlanSection("verse", "verse", 2, 0.5),), energy_per_bar=(0.4, 0.6))
>>> [(p.tick, p.value) for p in dynamics_curve(plan, bar_ticks=1920).points]
[(0, 0.88), (1920, 0.92)]
"""

from __future__ import annotations

from typing import Sequence

from lemm.compose.context import dynamic_marking
from lemm.compose.plan_model import Plan
from lemm.score.model import CurvePoint, DynamicMark, ExpressionCurve, Hairpin, Note

__all__ = ["brightness_curve", "dynamics_curve", "dynamic_marks", "hairpins", "vibrato_curves"]


def dynamics_curve(plan: Plan, *, bar_ticks: int) -> ExpressionCurve:
    """The ``dynamics`` curve: one point per bar following the plan's energy."""
    points = [CurvePoint(b * bar_ticks, round(0.8 + 0.2 * float(e), 4)) for b, e in enumerate(plan.energy_per_bar)]
    return ExpressionCurve("dynamics", tuple(points))


def brightness_curve(plan: Plan, *, bar_ticks: int) -> ExpressionCurve:
    """The ``brightness`` curve: one point per bar, brighter with energy (0.35..0.65)."""
    points = [CurvePoint(b * bar_ticks, round(0.35 + 0.3 * float(e), 4)) for b, e in enumerate(plan.energy_per_bar)]
    return ExpressionCurve("brightness", tuple(points))


def dynamic_marks(plan: Plan, notes: Sequence[Note], *, bar_ticks: int) -> tuple[DynamicMark, ...]:
    """A marking at each section start where the part has notes, when it changes."""
    marks: list[DynamicMark] = []
    starts = plan.section_start_bars()
    for sec, start_bar in zip(plan.sections, starts, strict=True):
        lo, hi = start_bar * bar_ticks, (start_bar + sec.bars) * bar_ticks
        if not any(lo <= n.start_tick < hi for n in notes):
            continue
        mark = dynamic_marking(sec.energy)
        if not marks or marks[-1].marking != mark:
            marks.append(DynamicMark(lo, mark))
    return tuple(marks)


def hairpins(plan: Plan, *, bar_ticks: int) -> tuple[Hairpin, ...]:
    """Crescendos over rising sections and pre-choruses, a diminuendo over the outro."""
    out: list[Hairpin] = []
    for sec, start_bar in zip(plan.sections, plan.section_start_bars(), strict=True):
        e = plan.energy_per_bar[start_bar : start_bar + sec.bars]
        span = (start_bar * bar_ticks, sec.bars * bar_ticks)
        if sec.kind == "outro" and e[-1] < e[0]:
            out.append(Hairpin(span[0], span[1], "diminuendo"))
        elif sec.kind == "pre-chorus" or e[-1] - e[0] > 0.1:
            out.append(Hairpin(span[0], span[1], "crescendo"))
    return tuple(out)


def vibrato_curves(notes: Sequence[Note], *, resolution: int, voice: bool) -> tuple[ExpressionCurve, ExpressionCurve]:
    """Delayed vibrato on long notes: depth 0 at the onset, full after a third of the note."""
    depth = 35.0 if voice else 22.0
    points: list[CurvePoint] = [CurvePoint(0, 0.0)]
    for n in notes:
        if n.duration_ticks < resolution:
            continue
        t0 = n.start_tick
        t1 = n.start_tick + min(n.duration_ticks // 3, resolution)
        t2 = n.end_tick - 1
        for t, v in ((t0, 0.0), (t1, depth), (t2, depth), (n.end_tick, 0.0)):
            if t > points[-1].tick:
                points.append(CurvePoint(t, v))
    rate = ExpressionCurve("vibrato_rate_hz", (CurvePoint(0, 5.5 if voice else 5.0),))
    return ExpressionCurve("vibrato_depth_cents", tuple(points)), rate
