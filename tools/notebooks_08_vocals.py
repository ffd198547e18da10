"""Write notebooks/08_vocals.ipynb (outputs are not committed): ``python tools/notebooks_08_vocals.py``.

The notebook runs with notebooks/ as its working directory in well under a minute.
"""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_markdown_cell
from notebook_writer import write_notebooks

CELLS = [
    new_markdown_cell(
        "# Vocals: singing from lyrics and melody, and cleaning up a recorded take\n\n"
        "1. Lyrics become lines of words of syllables with stress (`lemm.vocals.syllabify`).\n"
        "2. A vocal track is sung (`lemm.vocals.sing_track`): espeak-ng speaks the words in a separate process, "
        "WORLD re-sings them on the notes.\n"
        "3. A detuned take is corrected to its melody, and a voice is shifted with and without formant preservation."
    ),
    new_code_cell(
        "import matplotlib.pyplot as plt\n"
        "import numpy as np\n"
        "from IPython.display import Audio, display\n\n"
        "from lemm.score.model import Lyric, Note, Score, TempoChange, Track\n"
        "from lemm.vocals import sing_track, syllabify\n"
        "from lemm.vocals.analysis import track_pitch\n\n"
        "SR = 48000\n"
        "lines = syllabify('The city lights are shining bright\\nwe walk together through the night')\n"
        "for line in lines:\n"
        "    print(' | '.join('-'.join(s.text.upper() if s.stressed else s.text for s in w.syllables) for w in line.words))"
    ),
    new_markdown_cell("## Sing a verse: one note per syllable (stressed syllables on the strong beats)"),
    new_code_cell(
        "steps = [0, 2, 4, 5, 4, 2, 0, 0, 2, 4, 5, 7, 5, 4, 2]\n"
        "notes, tick = [], 480\n"
        "syllables = [s for line in lines for w in line.words for s in w.syllables]\n"
        "for i, syl in enumerate(syllables):\n"
        "    dur = 480 if i in (6, 14) else 240\n"
        "    notes.append(Note(50 + steps[i % len(steps)], tick, dur, lyric=Lyric(syl.text, syl.syllabic)))\n"
        "    tick += dur + (480 if i == 6 else 0)\n"
        "track = Track('vocal_lead', 'vocal', 'voice_low', notes=tuple(notes))\n"
        "score = Score(tempos=(TempoChange(0, 100.0),), tracks=(track,))\n"
        "stem = sing_track(track, score, seed=0)\n"
        "print(stem.shape, stem.dtype)\n"
        "display(Audio(stem[0], rate=SR))"
    ),
    new_markdown_cell("## The sung f0 against the notes"),
    new_code_cell(
        "from lemm.score.timing import ticks_to_seconds\n"
        "pitch = track_pitch(stem[0], SR)\n"
        "fig, ax = plt.subplots(figsize=(10, 3))\n"
        "for n in notes:\n"
        "    s, e = ticks_to_seconds(score, n.start_tick), ticks_to_seconds(score, n.end_tick)\n"
        "    ax.hlines(n.pitch, s, e, color='0.7', lw=6)\n"
        "ax.plot(pitch.times_seconds, pitch.midi, lw=1)\n"
        "ax.set_xlabel('seconds'); ax.set_ylabel('MIDI pitch'); ax.set_title('sung f0 (Harvest) over the notes')\n"
        "plt.show()"
    ),
    new_markdown_cell(
        "## Clean a detuned take\n\n"
        "A synthetic take: every note 45 cents sharp or flat, 40 ms early or late, with a scoop and vibrato. "
        "It is corrected to the melody with humanize (whole notes move, the vibrato stays) and its onsets are moved "
        "to the written starts."
    ),
    new_code_cell(
        "from lemm.vocals.clean import clean_vocal\n"
        "from lemm.vocals.takes import synthetic_take\n\n"
        "melody = [(50 + d, 0.5 + 0.7 * i, 0.5 + 0.7 * (i + 1)) for i, d in enumerate([0, 2, 4, 5, 7, 5])]\n"
        "take = synthetic_take(melody, 'the stars are burn ing bright'.split(), seed=1)\n"
        "fixed = clean_vocal(take.audio, SR, melody=melody, humanize=True, timing='melody')\n"
        "before = track_pitch(take.audio, SR)\n"
        "fig, ax = plt.subplots(figsize=(10, 3))\n"
        "for p, s, e in melody:\n"
        "    ax.hlines(p, s, e, color='0.7', lw=6)\n"
        "ax.plot(before.times_seconds, before.midi, lw=1, label='take')\n"
        "ax.plot(fixed.pitch_after.times_seconds, fixed.pitch_after.midi, lw=1, label='corrected')\n"
        "ax.legend(); ax.set_xlabel('seconds'); ax.set_ylabel('MIDI pitch')\n"
        "plt.show()\n"
        "print('detuning (cents):', take.detune_cents)\n"
        "print('onsets moved (written s, take s):', [(round(a, 3), round(b, 3)) for a, b in fixed.anchors])\n"
        "display(Audio(take.audio, rate=SR), Audio(fixed.audio[0], rate=SR))"
    ),
    new_markdown_cell(
        "## Timing: to the melody or to a grid\n\n"
        "Each onset is a vowel onset (where the 400..2500 Hz level of the spectral envelope rises into the vowel); "
        "the warp maps the take's onsets onto the written starts (`timing='melody'`) or onto the nearest line of a grid "
        "(`timing='grid'`, here 0.1 s, a 16th note at 150 bpm). Below: how far each performed onset lands from its "
        "written start, before and after."
    ),
    new_code_cell(
        "gridded = clean_vocal(take.audio, SR, timing='grid', grid_seconds=0.1)\n"
        "written = np.array([s for _p, s, _e in melody])\n"
        "performed = np.array([s for _p, s, _e in take.performed])\n"
        "print('before (ms):', np.round(1000 * np.abs(performed - written)).tolist())\n"
        "for name, result in (('melody', fixed), ('grid', gridded)):\n"
        "    out_t = np.arange(0.0, result.audio.shape[1] / SR, 0.001)\n"
        "    mapped = np.interp(performed, result.source_seconds(out_t), out_t)\n"
        "    print(f'{name} (ms):', np.round(1000 * np.abs(mapped - written)).tolist())"
    ),
    new_markdown_cell(
        "## Shift a voice by +5 semitones, with and without formant preservation\n\n"
        "The spectral envelope (the formants) stays put when preserved; without it the envelope moves with the pitch, "
        "like resampling (the 'chipmunk' voice)."
    ),
    new_code_cell(
        "from lemm.vocals.transform import shift_pitch\n"
        "x = stem[0, : 3 * SR].astype(np.float64)\n"
        "kept = shift_pitch(x, SR, semitones=5.0)\n"
        "plain = shift_pitch(x, SR, semitones=5.0, preserve_formants=False)\n"
        "fig, ax = plt.subplots(figsize=(10, 3))\n"
        "for y, label in ((x, 'original'), (kept[0], 'shifted, formants kept'), (plain[0], 'shifted, formants moved')):\n"
        "    spec = np.abs(np.fft.rfft(y * np.hanning(y.size)))\n"
        "    freqs = np.fft.rfftfreq(y.size, 1 / SR)\n"
        "    smooth = np.convolve(spec, np.ones(400) / 400, mode='same')\n"
        "    ax.semilogy(freqs[freqs < 5000], smooth[freqs < 5000], label=label)\n"
        "ax.set_xlabel('Hz'); ax.set_title('long-term spectrum envelope'); ax.legend()\n"
        "plt.show()\n"
        "display(Audio(kept[0], rate=SR), Audio(plain[0], rate=SR))"
    ),
]


NOTEBOOKS = {"08_vocals.ipynb": CELLS}


def main() -> None:
    write_notebooks(NOTEBOOKS)


if __name__ == "__main__":
    main()
