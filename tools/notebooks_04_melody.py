"""Write notebooks/04_melody.ipynb (the lieder-trained melody model vs the rules, with metrics).

Run ``python tools/notebooks_04_melody.py`` after editing the cells below; the test suite
executes every notebook (with notebooks/ as the working directory).
"""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_markdown_cell
from notebook_writer import write_notebooks

CELLS = [
    new_markdown_cell(
        "# Melodies: the lieder-trained transformer and the rules\n\n"
        "lemm writes a sung melody in two steps: one note per syllable (a rest between lines), then the pitches.\n"
        "With `method=\"rules\"` both steps are rules (stressed syllables on beats, steps between chord tones). With\n"
        "`method=\"model\"` both are learned from the CC0 OpenScore Lieder corpus: a count-based rhythm model samples\n"
        "each line's rhythm, and a small transformer picks the pitches, decoded under constraints: in range, in key\n"
        "(a rare chromatic passing tone), chord tones on strong beats.\n"
        "Here we give lyrics and chords, write a verse and a chorus both ways, listen, and measure."
    ),
    new_code_cell(
        "import matplotlib.pyplot as plt\n"
        "import numpy as np\n"
        "from IPython.display import Audio, display\n\n"
        "from lemm.compose.brief import Brief\n"
        "from lemm.compose.chord_input import apply_chords\n"
        "from lemm.compose.context import build_context\n"
        "from lemm.compose.lyrics_align import syllable_rhythm\n"
        "from lemm.compose.melody import generate_melody\n"
        "from lemm.compose.melody.mgeval import pitch_class_entropy, scale_consistency\n"
        "from lemm.compose.melody.model import load_model\n"
        "from lemm.compose.melody.rhythm import lied_rhythm\n"
        "from lemm.compose.planner import make_plan\n"
        "from lemm.seeding import make_rng\n"
        "from lemm.text.syllables import syllabify\n\n"
        "lyrics = ('There is a house upon the hill\\nwhere all the roses grow\\n'\n"
        "          'my mother sang a lullaby\\na long, long time ago\\n\\n'\n"
        "          'Carry me home across the sea\\ncarry me home, my love\\n'\n"
        "          'carry me home where I will be\\nunder the stars above')\n"
        "plan = make_plan(Brief(prompt='folk ballad in G major, 96 bpm', lyrics=lyrics, duration_seconds=60.0, seed=5))\n"
        "plan = apply_chords(plan, 'verse=G Em C D; chorus=C G D G')\n"
        "ctx = build_context(plan, seed=5)\n"
        "m = load_model()\n"
        "print(f\"model: {sum(p.numel() for p in m.net.parameters()):,} parameters, validation loss \"\n"
        "      f\"{m.config['history'][-1]['validation_loss']:.3f} nats/note\")\n"
        "print([(s.name, s.kind, s.bars) for s in plan.sections])"
    ),
    new_markdown_cell("## One note per syllable, two ways\n\nThe rules' rhythm and pitches, then the lieder rhythm model's rhythm and the transformer's pitches."),
    new_code_cell(
        "lines = syllabify(lyrics)\n"
        "stanzas = {0: [l for l in lines if l.stanza == 0], 1: [l for l in lines if l.stanza == 1]}\n\n"
        "def sing(index, stanza, method, seed=5):\n"
        "    rng = make_rng(seed)\n"
        "    start = ctx.section_bounds(index)[0] * ctx.bar_ticks\n"
        "    rhythm, syl = [], []\n"
        "    for k, line in enumerate(stanzas[stanza]):\n"
        "        s = [x for w in line.words for x in w.syllables]\n"
        "        slot = (ctx, start + 2 * k * ctx.bar_ticks, 2 * ctx.beats_per_bar, s, rng)\n"
        "        rhythm.append(lied_rhythm(*slot, prior=m.config['rhythm_prior']) if method == 'model' else syllable_rhythm(*slot))\n"
        "        syl.append(s)\n"
        "    notes = generate_melody(ctx, index, preset='voice_high', rng=rng, method=method, rhythm=rhythm,\n"
        "                            syllables=[[x.syllabic for x in s] for s in syl])\n"
        "    return notes, [x.text for s in syl for x in s]\n\n"
        "verse = next(i for i, s in enumerate(plan.sections) if s.kind == 'verse')\n"
        "chorus = next(i for i, s in enumerate(plan.sections) if s.kind == 'chorus')\n"
        "out = {(name, method): sing(i, st, method) for name, i, st in (('verse', verse, 0), ('chorus', chorus, 1))\n"
        "       for method in ('rules', 'model')}\n"
        "names = 'C C# D D# E F F# G G# A A# B'.split()\n"
        "for (name, method), (notes, words) in out.items():\n"
        "    assert len(notes) == len(words)  # one note per syllable, none dropped\n"
        "    print(f'{name:6s} {method:5s}', ' '.join(f'{w}/{names[n.pitch % 12]}{n.pitch // 12 - 1}' for n, w in zip(notes[:12], words)))"
    ),
    new_code_cell(
        "fig, axes = plt.subplots(2, 2, figsize=(12, 6), sharey=True)\n"
        "for ax, ((name, method), (notes, words)) in zip(axes.T.ravel(), out.items()):\n"
        "    q = ctx.resolution\n"
        "    for n in notes:\n"
        "        ax.barh(n.pitch, n.duration_ticks / q, left=n.start_tick / q, height=0.8, color='C0' if method == 'model' else 'C1')\n"
        "    for c in ctx.chords:\n"
        "        if notes[0].start_tick <= c.start_tick < notes[-1].end_tick:\n"
        "            ax.text(c.start_tick / q, max(n.pitch for n in notes) + 2, c.symbol, fontsize=7)\n"
        "    ax.set(title=f'{name} - {method}', xlabel='beat', ylabel='MIDI pitch')\n"
        "fig.tight_layout()"
    ),
    new_markdown_cell("## Listen\n\nA plain sine-tone rendering of the first chorus lines (model, then rules) - enough to hear the contour."),
    new_code_cell(
        "def tones(notes, bpm=plan.tempo_bpm, sr=16000):\n"
        "    q = ctx.resolution\n"
        "    t0 = notes[0].start_tick\n"
        "    end = max(n.end_tick for n in notes[:16])\n"
        "    y = np.zeros(int((end - t0) / q * 60 / bpm * sr) + sr // 4)\n"
        "    for n in notes[:16]:\n"
        "        a = int((n.start_tick - t0) / q * 60 / bpm * sr)\n"
        "        k = int(n.duration_ticks / q * 60 / bpm * sr)\n"
        "        t = np.arange(k) / sr\n"
        "        y[a:a + k] += 0.3 * np.sin(2 * np.pi * 440 * 2 ** ((n.pitch - 69) / 12) * t) * np.minimum(1, (k - np.arange(k)) / 400)\n"
        "    return y\n\n"
        "for method in ('model', 'rules'):\n"
        "    display(Audio(tones(out[('chorus', method)][0]), rate=16000))"
    ),
    new_markdown_cell(
        "## Metrics\n\n"
        "Scale consistency (share of notes in the best-fitting major/minor scale), pitch-class entropy and the share of\n"
        "chord tones on strong beats, for these sections. `python benchmarks/melody_eval.py` measures many songs\n"
        "against the held-out lieder with the MGEval features (overlapping area of intra- vs inter-set distances)."
    ),
    new_code_cell(
        "for (name, method), (notes, _) in out.items():\n"
        "    p = [n.pitch for n in notes]\n"
        "    strong = [n for n in notes if ctx.metric_weight(n.start_tick) >= 0.75]\n"
        "    ct = np.mean([n.pitch % 12 in ctx.chord_at(n.start_tick).chord.pitch_classes for n in strong])\n"
        "    print(f'{name:6s} {method:5s} scale consistency {scale_consistency(p):.2f}  '\n"
        "          f'pc entropy {pitch_class_entropy(p):.2f} bits  chord tones on strong beats {ct:.0%}')"
    ),
    new_code_cell(
        "import contextlib, io, sys\n"
        "sys.path.insert(0, '../benchmarks')\n"
        "import melody_eval\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    report = melody_eval.main(['--songs', '4'])  # a small run; the benchmark default is 24 songs\n"
        "print('OA of intra- vs inter-set distances (MGEval)      model  rules  real halves')\n"
        "for f in report['mgeval']['model|real_test']:\n"
        "    print(f'{f:40s}', *(f\"{report['mgeval'][k][f]['oa']:6.2f}\" for k in report['mgeval']))\n"
        "for k in ('model', 'rules', 'real_test'):\n"
        "    r = report[k]\n"
        "    print(f\"{k:9s} scale consistency {r['scale_consistency_mean']:.3f}  chord tones on strong beats {r['strong_beat_chord_tone_share']:.2f}\")"
    ),
]


NOTEBOOKS = {"04_melody.ipynb": CELLS}


def main() -> None:
    write_notebooks(NOTEBOOKS)


if __name__ == "__main__":
    main()
