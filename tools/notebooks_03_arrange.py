"""Write notebooks/03_arrange.ipynb (the arranger: one plan in three genres, regeneration, piano rolls).

Run ``python tools/notebooks_03_arrange.py`` after editing the cells below; the test suite
executes every notebook (with notebooks/ as the working directory).
"""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_markdown_cell
from notebook_writer import write_notebooks

CELLS = [
    new_markdown_cell(
        "# The arranger: one plan, three genres, and regeneration\n\n"
        "A plan (sections, energy per bar, key, tempo) becomes a score through rules: harmony per section kind,\n"
        "voice-led chords, bass lines, drum grooves, counter-lines and expression. Here the *same* plan is arranged\n"
        "as pop, rock and EDM; then one (track, section) is regenerated and we check that nothing else moved."
    ),
    new_code_cell(
        "from dataclasses import replace\n\n"
        "import matplotlib.pyplot as plt\n\n"
        "from lemm.compose import metrics\n"
        "from lemm.compose.arrange import compose_score\n"
        "from lemm.compose.brief import Brief\n"
        "from lemm.compose.chord_input import apply_chords\n"
        "from lemm.compose.planner import make_plan\n"
        "from lemm.compose.regen import regenerate\n\n"
        "plan = make_plan(Brief(prompt='a bright song in A minor, 110 bpm', tags=('pop',), duration_seconds=100.0, seed=7))\n"
        "for s in plan.sections:\n"
        "    print(f'{s.name:10s} {s.kind:11s} {s.bars:2d} bars  energy {s.energy:.2f}')"
    ),
    new_markdown_cell("## The same plan in three genres\n\nOnly the genre (and so the instruments, grooves and progressions) changes."),
    new_code_cell(
        "def in_genre(plan, genre):\n"
        "    parts = make_plan(Brief(tags=(genre,), duration_seconds=30.0, seed=7)).instruments\n"
        "    return replace(plan, genre=genre, instruments=parts)\n\n"
        "scores = {g: compose_score(in_genre(plan, g), seed=7, title=g) for g in ('pop', 'rock', 'edm')}\n\n"
        "def piano_roll(ax, score, title, highlight=None):\n"
        "    q = score.resolution\n"
        "    for i, t in enumerate(t for t in score.tracks if not t.is_drum):\n"
        "        for n in t.notes:\n"
        "            ax.barh(n.pitch, n.duration_ticks / q, left=n.start_tick / q, height=0.8, color=f'C{i}', lw=0)\n"
        "        ax.plot([], [], color=f'C{i}', lw=6, label=t.name)\n"
        "    for s in score.sections:\n"
        "        ax.axvline(s.start_tick / q, color='grey', lw=0.5)\n"
        "    if highlight is not None:\n"
        "        ax.axvspan(highlight.start_tick / q, highlight.end_tick / q, color='yellow', alpha=0.2)\n"
        "    ax.set(title=title, xlabel='beat', ylabel='MIDI pitch')\n"
        "    ax.legend(fontsize=7, loc='upper right', ncol=3)\n\n"
        "fig, axes = plt.subplots(3, 1, figsize=(11, 10), sharex=True)\n"
        "for ax, (g, s) in zip(axes, scores.items()):\n"
        "    piano_roll(ax, s, g)\n"
        "fig.tight_layout()"
    ),
    new_markdown_cell("The chords are the same plan's sections, but each genre draws its own progressions; the score carries them as chord symbols."),
    new_code_cell(
        "for g, s in scores.items():\n"
        "    chorus = next(x for x in s.sections if x.kind == 'chorus')\n"
        "    print(f'{g:5s}', ' '.join(c.symbol for c in s.chords if chorus.start_tick <= c.start_tick < chorus.end_tick))"
    ),
    new_markdown_cell("## Measured: ranges, chord tones, voice leading, energy response, grooves"),
    new_code_cell(
        "for g, s in scores.items():\n"
        "    p = in_genre(plan, g)\n"
        "    runs = [r for t in s.tracks for r in metrics.pad_voicings(t) if len(r) > 1]\n"
        "    dens, vel = metrics.energy_response(s, p.energy_per_bar)\n"
        "    bar = s.meters[0].bar_ticks(s.resolution)\n"
        "    drums = s.track('drums')\n"
        "    gc = min(metrics.groove_consistency(drums.notes, bar_ticks=bar, start_tick=x.start_tick, end_tick=x.end_tick)\n"
        "             for x in s.sections if x.duration_ticks >= 4 * bar)\n"
        "    print(f'{g:5s} out of range {metrics.range_violations(s)}  chord tones {metrics.chord_tone_fraction(s):.2f}  '\n"
        "          f'voice movement {metrics.mean_voice_movement(runs):.2f}  parallels {metrics.parallel_count(runs)}  '\n"
        "          f'spearman density {dens:.2f} velocity {vel:.2f}  groove consistency {gc:.3f}')\n"
        "    assert metrics.range_violations(s) == 0 and metrics.parallel_count(runs) == 0"
    ),
    new_markdown_cell(
        "## Regenerate one (track, section)\n\n"
        "`regenerate(score, plan, track=..., section=..., seed=...)` rewrites only the notes of that track that start in that\n"
        "section (the CLI: `lemm regen DIR --track drums --section \"chorus 2\" --seed 9`). For the melody of a later chorus it\n"
        "makes a variation of the hook: same rhythm, some phrases with new pitches."
    ),
    new_code_cell(
        "score, p = scores['pop'], in_genre(plan, 'pop')\n"
        "target = [s.name for s in score.sections if s.kind == 'chorus'][-1]\n"
        "new = regenerate(score, p, track='lead', section=target, seed=9)\n"
        "new = regenerate(new, p, track='drums', section=target, seed=9)\n"
        "sec = score.section(target)\n"
        "for t_old, t_new in zip(score.tracks, new.tracks):\n"
        "    outside = lambda t: [n for n in t.notes if not sec.start_tick <= n.start_tick < sec.end_tick]\n"
        "    inside = lambda t: [n for n in t.notes if sec.start_tick <= n.start_tick < sec.end_tick]\n"
        "    assert outside(t_old) == outside(t_new)\n"
        "    changed = sum(a != b for a, b in zip(inside(t_old), inside(t_new))) + abs(len(inside(t_old)) - len(inside(t_new)))\n"
        "    print(f'{t_old.name:8s} notes changed in {target}: {changed:4d}   outside: 0')\n\n"
        "fig, axes = plt.subplots(2, 1, figsize=(11, 6), sharex=True)\n"
        "piano_roll(axes[0], score, 'before', sec)\n"
        "piano_roll(axes[1], new, f'after regenerating lead and drums in {target}', sec)\n"
        "fig.tight_layout()"
    ),
    new_markdown_cell("## Your own chords\n\nThe CLI's `--chords \"verse=Am F C G; chorus=F G C Am\"` sets `PlanSection.chords`; the arranger plays them as given."),
    new_code_cell(
        "mine = apply_chords(p, 'verse=Am F C G; chorus=F G C Am')\n"
        "s = compose_score(mine, seed=7)\n"
        "v = next(x for x in s.sections if x.kind == 'verse')\n"
        "print(' '.join(c.symbol for c in s.chords if v.start_tick <= c.start_tick < v.end_tick))"
    ),
]


NOTEBOOKS = {"03_arrange.ipynb": CELLS}


def main() -> None:
    write_notebooks(NOTEBOOKS)


if __name__ == "__main__":
    main()
