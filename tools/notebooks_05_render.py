"""Write notebooks/05_render.ipynb (the renderer: every preset, a fitted timbre, controls, swapped presets).

Run ``python tools/notebooks_05_render.py`` after editing the cells below; the test suite
executes every notebook (with notebooks/ as the working directory). It needs no SoundFont.
"""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_markdown_cell
from notebook_writer import write_notebooks

CELLS = [
    new_markdown_cell(
        "# The renderer: presets, a fitted timbre, controls, swapped presets\n\n"
        "lemm renders pitched tracks with a harmonic-plus-noise (DDSP-style) synth whose presets are data:\n"
        "harmonic spectra, noise spectra and envelopes fitted to FluidR3_GM notes (MIT), interpolated by pitch\n"
        "and velocity. Drums come from a synthesised kit or FluidR3 one-shots. Everything here is deterministic."
    ),
    new_code_cell(
        "from dataclasses import replace\n\n"
        "import matplotlib.pyplot as plt\n"
        "import numpy as np\n"
        "from IPython.display import Audio, display\n\n"
        "from lemm.render import fit_preset, list_drum_kits, list_presets, load_preset, render_track, render_tracks\n"
        "from lemm.mix.reverb import reverb\nfrom lemm.score.model import CurvePoint, ExpressionCurve, Note, Score, TempoChange, Track\n\n"
        "SR = 24000  # the song rate is 48 kHz; half keeps this notebook quick\n"
        "TEMPO = (TempoChange(0, 100.0),)\n"
        "phrase = tuple(Note(p, i * 240, 230 if i % 4 != 3 else 460, 70 + 8 * (i % 4)) for i, p in enumerate([60, 62, 64, 67, 65, 64, 62, 60]))\n"
        "print(len(list_presets()), 'presets:', ', '.join(list_presets()))\n"
        "print('drum kits:', list_drum_kits())"
    ),
    new_markdown_cell("## One phrase through every preset\n\nSame notes, same seed; only `Track.preset` changes. Level, spectral centroid and a spectrogram of each."),
    new_code_cell(
        "renders = {}\n"
        "for name in list_presets():\n"
        "    octave = -24 if 'bass' in name else (12 if name == 'flute' else 0)\n"
        "    notes = tuple(replace(n, pitch=n.pitch + octave) for n in phrase)\n"
        "    t = Track(name=name, role='keys', preset=name, notes=notes)\n"
        "    renders[name] = render_track(t, Score(tempos=TEMPO, tracks=(t,)), sample_rate=SR, seed=1)\n\n"
        "fig, axes = plt.subplots(2, 7, figsize=(16, 4.5), sharey=True)\n"
        "for ax, (name, audio) in zip(axes.flat, renders.items()):\n"
        "    mono = audio.mean(0)\n"
        "    ax.specgram(mono, NFFT=1024, Fs=SR, noverlap=768, cmap='magma', vmin=-120)\n"
        "    ax.set_title(name, fontsize=8); ax.set_ylim(0, 6000)\n"
        "    spec = np.abs(np.fft.rfft(mono)); f = np.fft.rfftfreq(len(mono), 1 / SR)\n"
        "    print(f'{name:16s} {len(mono) / SR:4.1f} s  peak {20 * np.log10(np.abs(audio).max()):6.1f} dBFS  centroid {(spec * f).sum() / spec.sum():6.0f} Hz')\n"
        "fig.tight_layout()\n"
        "display(Audio(renders['acoustic_piano'], rate=SR))"
    ),
    new_markdown_cell(
        "## A fitted timbre\n\n"
        "`fit_preset(audio, sample_rate=...)` fits a preset to a recording of one note (or a list of notes: one timbre\n"
        "region each, interpolated in pitch): harmonics peak-picked at k·f0, their motion while the note sounds as spectral\n"
        "keyframes, then gradient descent on a multi-scale STFT distance, and the detune of its copies picked by the same\n"
        "distance. Here the 'recording' is made up (a bright tone with an\n"
        "odd-harmonic spectrum, a soft attack and some breath noise) so the notebook needs no audio file; with a real\n"
        "recording, load it with `lemm.io.audio.read_audio`."
    ),
    new_code_cell(
        "rng = np.random.default_rng(0)\n"
        "t = np.arange(int(0.8 * SR)) / SR\n"
        "f0 = 233.08  # B-flat 3\n"
        "recording = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 30, 2) if k * f0 < SR / 2)\n"
        "recording = np.minimum(t / 0.06, 1.0) * np.clip((0.8 - t) / 0.1, 0, 1) * (recording + 0.05 * rng.standard_normal(len(t)))\n"
        "fitted = fit_preset(recording, sample_rate=SR, name='my_clarinet', n_steps=40)\n"
        "r = fitted.regions[0]\n"
        "print(f'fitted at pitch {r.pitch}, attack {fitted.attack_ms:.0f} ms, release {fitted.release_ms:.0f} ms, sustained: {fitted.decay_seconds is None}')\n"
        "fig, ax = plt.subplots(figsize=(8, 2.5))\n"
        "ax.stem(np.arange(1, 21), r.harmonic_amplitudes[:20]); ax.set(xlabel='harmonic', ylabel='amplitude', title='fitted harmonic amplitudes (odd ones dominate)')\n"
        "t_fit = Track(name='mine', role='lead', preset='my_clarinet', notes=phrase)\n"
        "mine = render_track(t_fit, Score(tempos=TEMPO, tracks=(t_fit,)), sample_rate=SR, preset=fitted)\n"
        "display(Audio(mine, rate=SR))"
    ),
    new_markdown_cell("## Controls, plotted\n\n`return_controls=True` gives the per-frame f0, level and brightness the synth was driven by: here a flute with a crescendo, vibrato growing in and a bend at the end."),
    new_code_cell(
        "curves = (\n"
        "    ExpressionCurve('dynamics', (CurvePoint(0, 0.4), CurvePoint(1680, 1.0))),\n"
        "    ExpressionCurve('vibrato_depth_cents', (CurvePoint(0, 0.0), CurvePoint(1680, 40.0))),\n"
        "    ExpressionCurve('pitch_bend_semitones', (CurvePoint(1500, 0.0), CurvePoint(1900, -1.0))),\n"
        ")\n"
        "legato = tuple(replace(n, pitch=n.pitch + 12, articulation='legato') for n in phrase)\n"
        "fl = Track(name='flute', role='lead', preset='flute', notes=legato, expression=curves)\n"
        "audio, controls = render_track(fl, Score(tempos=TEMPO, tracks=(fl,)), sample_rate=SR, return_controls=True)\n"
        "fig, axes = plt.subplots(3, 1, figsize=(10, 5), sharex=True)\n"
        "for ax, key in zip(axes, ['f0_hz', 'amplitude', 'brightness']):\n"
        "    ax.plot(controls['time_seconds'], controls[key]); ax.set_ylabel(key)\n"
        "axes[-1].set_xlabel('seconds')\n"
        "assert np.nanmax(controls['f0_hz']) < 1000"
    ),
    new_markdown_cell("## One score, swapped presets\n\nThe notes stay; the sound changes. Then a reverb send (FFT convolution with a decaying-noise impulse response)."),
    new_code_cell(
        "bass = Track(name='bass', role='bass', preset='electric_bass', notes=tuple(Note(36 + (i // 4) * 5 % 12, i * 240, 220, 100) for i in range(16)))\n"
        "keys = Track(name='keys', role='keys', preset='acoustic_piano', notes=tuple(Note(p, b * 960, 900, 80) for b in range(4) for p in (60, 64, 67)))\n"
        "drums = Track(name='drums', role='drums', preset='synth_kit', is_drum=True,\n"
        "              notes=tuple(Note(36 if i % 4 == 0 else (38 if i % 4 == 2 else 42), i * 240, 120, 100) for i in range(16)))\n"
        "score = Score(tempos=TEMPO, tracks=(bass, keys, drums))\n"
        "swapped = replace(score, tracks=(replace(bass, preset='synth_bass'), replace(keys, preset='electric_piano'), replace(drums, preset='acoustic_kit')))\n"
        "for s in (score, swapped):\n"
        "    stems = render_tracks(s, sample_rate=SR, seed=3)\n"
        "    mix = sum(stems.values())\n"
        "    wet = mix + 10 ** (-14.0 / 20) * reverb(mix, sample_rate=SR, decay_seconds=1.8)  # a -14 dB reverb send\n"
        "    print([t.preset for t in s.tracks], 'same notes:', [len(t.notes) for t in s.tracks])\n"
        "    display(Audio(wet / np.abs(wet).max(), rate=SR))"
    ),
    new_markdown_cell(
        "## The fitted timbre in a song\n\n"
        "`Song.with_preset` keeps a preset with the song (song.json stores it under `\"presets\"`) and switches tracks to it;\n"
        "only those tracks' slices render again. From the command line: `lemm timbre fit take.wav --split --name my_clarinet --song DIR --track lead`\n"
        "(`lemm.render.segment.split_notes` cuts a take of single notes, with gaps or played legato, into one array per note).\n"
        "An instruction can also add a new part played by it: `lemm edit DIR \"add my clarinet as a flute part\"`."
    ),
    new_code_cell(
        "import lemm\n"
        "from lemm.instruct import apply_operations, parse_instruction\n"
        "\n"
        "song = lemm.compose('a calm folk song', tags=('folk',), duration='0:15', seed=3)\n"
        "song = song.with_preset(fitted, tracks=('lead',))\n"
        "ops = parse_instruction('add my clarinet as a flute part in the chorus', song)\n"
        "print(ops[0].describe())\n"
        "song = apply_operations(song, ops)\n"
        "print({t.name: t.preset for t in song.score.tracks}, '| song presets:', list(song.presets))\n"
        "stems = song.render()\n"
        "display(Audio(stems['lead'], rate=song.sample_rate))"
    ),
]


NOTEBOOKS = {"05_render.ipynb": CELLS}


def main() -> None:
    write_notebooks(NOTEBOOKS)


if __name__ == "__main__":
    main()
