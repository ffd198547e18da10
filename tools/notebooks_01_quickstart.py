"""Write notebooks/01_quickstart.ipynb from the cell sources below (outputs are not committed).

Run ``python tools/notebooks_01_quickstart.py`` after editing the cells here; the test suite
executes every notebook.
"""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_markdown_cell
from notebook_writer import write_notebooks

QUICKSTART = [
    new_markdown_cell(
        "# lemm quickstart\n\n"
        "Compose a short song from a brief, look at the plan and the score, listen to it, and save the song folder.\n"
        "Every step is data you can inspect and edit; the same brief and seed always give the same song."
    ),
    new_code_cell(
        "from pathlib import Path\n"
        "import tempfile\n\n"
        "import matplotlib.pyplot as plt\n"
        "import numpy as np\n"
        "from IPython.display import Audio, display\n\n"
        "import lemm\n"
        "from lemm.examples import lyrics as example_lyrics\n\n"
        "lyrics = example_lyrics()  # the demo lyrics shipped in the package (examples/lyrics.txt in the repository)\n"
        "song = lemm.compose('a bright pop song about a summer night', tags=('pop',), lyrics=lyrics,\n"
        "                    duration='0:30', seed=1)\n"
        "plan = song.plan\n"
        "print(f'{plan.genre}: {plan.tempo_bpm:.0f} bpm, {plan.key_tonic} {plan.key_mode}, '\n"
        "      f'{plan.meter_numerator}/{plan.meter_denominator}, {plan.total_bars} bars, {plan.duration_seconds:.1f} s')\n"
        "for u in plan.understood:\n"
        "    print(f'  understood {u.words!r} as {u.meaning}')"
    ),
    new_markdown_cell("## The plan: sections and energy per bar"),
    new_code_cell(
        "for s in plan.sections:\n"
        "    print(f'{s.name:12s} {s.kind:12s} {s.bars:3d} bars  energy {s.energy:.2f}')\n\n"
        "fig, ax = plt.subplots(figsize=(10, 2.5))\n"
        "ax.step(np.arange(plan.total_bars), plan.energy_per_bar, where='post')\n"
        "for start, s in zip(plan.section_start_bars(), plan.sections):\n"
        "    ax.axvline(start, color='grey', lw=0.5)\n"
        "    ax.text(start + 0.1, 1.02, s.name, fontsize=8)\n"
        "ax.set(xlabel='bar', ylabel='energy', ylim=(0, 1.1))\n"
        "assert len(plan.energy_per_bar) == plan.total_bars"
    ),
    new_markdown_cell("## The score: a piano roll of every pitched track"),
    new_code_cell(
        "score = song.score\n"
        "fig, ax = plt.subplots(figsize=(10, 4))\n"
        "for i, track in enumerate(t for t in score.tracks if not t.is_drum):\n"
        "    for n in track.notes:\n"
        "        ax.barh(n.pitch, n.duration_ticks / score.resolution, left=n.start_tick / score.resolution,\n"
        "                height=0.8, color=f'C{i}')\n"
        "    ax.plot([], [], color=f'C{i}', label=track.name, lw=6)\n"
        "ax.set(xlabel='beat', ylabel='MIDI pitch')\n"
        "ax.legend(loc='upper right', fontsize=8)\n"
        "vocal = [t for t in score.tracks if t.role == 'vocal'][0]\n"
        "print(' '.join(n.lyric.text for n in vocal.notes[:16] if n.lyric))"
    ),
    new_markdown_cell("## Render, mix and master, then listen"),
    new_code_cell(
        "stems = song.render()\n"
        "master = song.mix()\n"
        "report = song.report()\n"
        "print({k: report[k] for k in ('integrated_lufs', 'true_peak_dbtp', 'lra_lu', 'duration_seconds')})\n"
        "assert abs(report['integrated_lufs'] + 14) < 0.5 and report['true_peak_dbtp'] <= -1.0\n"
        "display(Audio(master, rate=song.sample_rate))"
    ),
    new_markdown_cell("## Save the song folder (song.json, MIDI, MusicXML, stems, mix, master, report)"),
    new_code_cell(
        "out = song.save(Path(tempfile.mkdtemp()) / 'quickstart-song')\n"
        "print(sorted(p.name for p in out.iterdir()))\n"
        "assert lemm.load(out).score == song.score"
    ),
]

NOTEBOOKS = {"01_quickstart.ipynb": QUICKSTART}


def main() -> None:
    write_notebooks(NOTEBOOKS)


if __name__ == "__main__":
    main()
