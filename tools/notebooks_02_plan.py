"""Write notebooks/02_plan.ipynb: plan from a prompt, from guide audio and guide MIDI, edit the plan, plot it.

Run ``python tools/notebooks_02_plan.py``; the test suite executes the notebook from notebooks/.
"""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_markdown_cell
from notebook_writer import write_notebooks

CELLS = [
    new_markdown_cell(
        "# Planning a song\n\n"
        "The plan is the first stage: tempo, key, meter, a section map in whole bars and an energy value per bar. "
        "It comes from a prompt and tags, or from a guide (audio or MIDI) whose time line it then follows. "
        "The plan is data: edit it with the functions of `lemm.compose.plan_edit`, save it, and compose from it."
    ),
    new_code_cell(
        "import tempfile\n"
        "from pathlib import Path\n\n"
        "import matplotlib.pyplot as plt\n"
        "import numpy as np\n"
        "import soundfile as sf\n\n"
        "from lemm.compose.brief import Brief\n"
        "from lemm.compose.planner import make_plan\n"
        "from lemm.compose import plan_edit\n"
        "from lemm.compose.guide import analyze_guide\n"
        "from lemm.compose.guide.testsignal import make_test_guide\n\n"
        "work = Path(tempfile.mkdtemp())\n\n"
        "def show(plan, title, ax=None):\n"
        "    \"\"\"Plot a plan's energy per bar with its sections.\"\"\"\n"
        "    ax = ax or plt.subplots(figsize=(10, 2.4))[1]\n"
        "    ax.step(np.arange(plan.total_bars), plan.energy_per_bar, where='post')\n"
        "    for start, s in zip(plan.section_start_bars(), plan.sections):\n"
        "        ax.axvline(start, color='grey', lw=0.5)\n"
        "        ax.text(start + 0.2, 1.03, s.name, fontsize=7, rotation=30)\n"
        "    ax.set(title=title, xlabel='bar', ylabel='energy', ylim=(0, 1.25))\n"
        "    return ax"
    ),
    new_markdown_cell("## 1. From a prompt\n\nThe plan reports what it understood, and from which words; unknown words are ignored."),
    new_code_cell(
        "plan = make_plan(Brief(prompt='an uplifting pop song in A major, big final chorus, with strings, no guitar',\n"
        "                       duration_seconds=210.0, seed=7))\n"
        "print(f'{plan.genre}: {plan.tempo_bpm:g} bpm, {plan.key_tonic} {plan.key_mode}, {plan.total_bars} bars, {plan.duration_seconds:.1f} s')\n"
        "for u in plan.understood:\n"
        "    print(f'  {u.words!r:>22} -> {u.meaning}')\n"
        "for s in plan.sections:\n"
        "    print(f'{s.name:14s} {s.bars:3d} bars  energy {s.energy:.2f}')\n"
        "show(plan, 'plan from a prompt')\n"
        "assert abs(plan.duration_seconds - 210.0) <= plan.beats_per_bar * 60 / plan.tempo_bpm\n"
        "assert make_plan(Brief(prompt='an uplifting pop song in A major, big final chorus, with strings, no guitar', duration_seconds=210.0, seed=7)) == plan"
    ),
    new_markdown_cell(
        "## 2. From a guide recording\n\n"
        "`analyze_guide` finds tempo, beats, downbeats, meter, key, sections (novelty + repetition) and loudness per bar. "
        "Here the guide is synthesised with a known answer (a 0.4 s lead-in, 118 bpm, swung eighths). "
        "The plan made from it starts bar 1 at the guide's first downbeat (`start_offset_seconds`), so rendered stems line up with the guide in a DAW."
    ),
    new_code_cell(
        "form = (('intro', 4), ('verse', 8), ('chorus', 8), ('verse', 8), ('chorus', 8), ('outro', 4))\n"
        "audio, truth = make_test_guide(tempo_bpm=118.0, form=form, swing=0.3, lead_in_seconds=0.4, sample_rate=22050, seed=2)\n"
        "sf.write(work / 'guide.wav', audio[0], 22050)\n"
        "guide = analyze_guide(work / 'guide.wav')\n"
        "d = guide.to_dict()\n"
        "print({k: d[k] for k in ('tempo_bpm', 'meter', 'key', 'swing')}, 'first downbeats', d['downbeats_seconds'][:3])\n"
        "for s in d['sections']:\n"
        "    print(f\"{s['kind']:10s} {s['label']}  {s['start_seconds']:7.2f} .. {s['end_seconds']:7.2f} s\")\n"
        "from_guide = make_plan(Brief(prompt='indie rock', seed=1), guide=guide)\n"
        "print(from_guide.tempo_bpm, from_guide.start_offset_seconds, [s.name for s in from_guide.sections])\n"
        "fig, ax = plt.subplots(figsize=(10, 2.4))\n"
        "t = np.arange(audio.shape[1]) / 22050\n"
        "ax.plot(t, audio[0], lw=0.3, color='silver')\n"
        "for s in d['sections']:\n"
        "    ax.axvspan(s['start_seconds'], s['end_seconds'], alpha=0.15 if s['kind'] == 'chorus' else 0.0, color='C1')\n"
        "ax.vlines(d['downbeats_seconds'], -1, 1, lw=0.4, color='C0')\n"
        "ax.set(title='guide audio: downbeats and choruses', xlabel='seconds')\n"
        "assert abs(guide.tempo_bpm - 118.0) < 118.0 * 0.02 and abs(from_guide.start_offset_seconds - 0.4) < 0.05"
    ),
    new_markdown_cell(
        "## 3. From a guide MIDI file\n\n"
        "A MIDI guide gives the tempo map, meter, key (from the notes), chords per bar, the melody (a track named "
        "melody/vocal/lead, else the highest voice) and sections (markers, else repetition). The plan can keep the "
        "guide's chords and melody."
    ),
    new_code_cell(
        "from lemm.compose.arrange import compose_score\n"
        "from lemm.score.midi import write_midi\n\n"
        "source_plan = make_plan(Brief(prompt='folk song in E minor', duration_seconds=40.0, seed=3))\n"
        "write_midi(compose_score(source_plan, seed=3), work / 'guide.mid')\n"
        "mguide = analyze_guide(work / 'guide.mid')\n"
        "print(mguide.tempo_bpm, mguide.key_tonic, mguide.key_mode, mguide.chords_per_bar[:8], len(mguide.melody), 'melody notes')\n"
        "kept = make_plan(Brief(prompt='lofi', seed=3), guide=mguide, keep_chords=True, keep_melody=True)\n"
        "print([(s.name, s.bars, s.chords[:4]) for s in kept.sections])\n"
        "assert kept.tempo_bpm == source_plan.tempo_bpm and kept.total_bars >= source_plan.total_bars - 1"
    ),
    new_markdown_cell(
        "## 4. Edit the plan\n\n"
        "Every edit returns a new plan and re-validates it; the energy curve moves with its section. "
        "A saved plan can be edited by hand and fed back with `lemm compose --plan FILE`; a file whose sections "
        "overlap or leave gaps is refused with a message naming the section."
    ),
    new_code_cell(
        "edited = plan_edit.insert_section(plan, 1, 'break', 4, energy=0.2)\n"
        "edited = plan_edit.resize_section(edited, edited.sections[-2].name, 16)\n"
        "edited = plan_edit.set_energy(edited, 'intro', 0.15)\n"
        "edited = plan_edit.move_section(edited, 'break', 2)\n"
        "path = plan_edit.save_plan(edited, work / 'plan.json')\n"
        "assert plan_edit.load_plan(path) == edited\n"
        "fig, axes = plt.subplots(2, 1, figsize=(10, 5), sharex=True)\n"
        "show(plan, 'before', axes[0]); show(edited, 'after edits', axes[1])\n"
        "fig.tight_layout()\n"
        "import json\n"
        "data = json.loads(path.read_text())\n"
        "data['sections'][3]['start_bar'] += 2  # a hand edit that leaves a gap\n"
        "path.write_text(json.dumps(data))\n"
        "try:\n"
        "    plan_edit.load_plan(path)\n"
        "except ValueError as err:\n"
        "    print('refused:', err)"
    ),
]


NOTEBOOKS = {"02_plan.ipynb": CELLS}


def main() -> None:
    write_notebooks(NOTEBOOKS)


if __name__ == "__main__":
    main()
