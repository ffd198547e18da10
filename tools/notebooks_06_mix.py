"""Write notebooks/06_mix.ipynb (mix and master: before/after, the report plots, a reference match).

Run ``python tools/notebooks_06_mix.py`` after editing the cells below; the test suite
executes every notebook (with notebooks/ as the working directory). It uses generated
stems (the benchmark's), 20 s long, so it runs in seconds.
"""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_markdown_cell
from notebook_writer import write_notebooks

CELLS = [
    new_markdown_cell(
        "# Mix and master\n\n"
        "Nine generated stems (the `benchmarks/master.py` song, 20 s) go through `auto_mix_settings` (gain staging,\n"
        "pan, high-pass, masking EQ, compression, reverb and delay sends, optional sidechain ducking), `apply_mix`\n"
        "and `master` (tilt EQ, width / mono bass, glue compression, true-peak limiter in a loudness loop).\n"
        "Every setting is data (`MixSettings.to_dict()`, stored in song.json)."
    ),
    new_code_cell(
        "import dataclasses, json, sys\n"
        "sys.path.insert(0, '..')\n\n"
        "import matplotlib.pyplot as plt\n"
        "import numpy as np\n\n"
        "from benchmarks.master import PANS, ROLES, SAMPLE_RATE, make_stems\n"
        "from lemm.mix import (MasterSettings, apply_mix, auto_mix_settings, master, match_reference, measure, settings_for_target,\n"
        "                      short_term_loudness)\n"
        "from lemm.mix.spectrum import average_spectrum\n\n"
        "stems = make_stems(20.0, seed=1)\n"
        "settings = auto_mix_settings(stems, roles=ROLES, sample_rate=SAMPLE_RATE, pan_hints=PANS, sidechain=True, tempo_bpm=120)\n"
        "print(json.dumps(settings.to_dict()['tracks']['bass'], indent=1))\n"
        "print('keys EQ (room for the vocal):', settings.tracks['piano'].eq)"
    ),
    new_markdown_cell("## Before and after\n\nThe raw sum of the stems, the mix, and the master: loudness over time and long-term spectra."),
    new_code_cell(
        "raw = sum(stems.values())\n"
        "mix = apply_mix(stems, settings, sample_rate=SAMPLE_RATE)\n"
        "out, report = master(mix, sample_rate=SAMPLE_RATE, settings=settings.master)\n"
        "fig, axes = plt.subplots(1, 2, figsize=(12, 3.5))\n"
        "for name, x in [('raw sum', raw), ('mix', mix), ('master', out)]:\n"
        "    st = short_term_loudness(x, sample_rate=SAMPLE_RATE)\n"
        "    axes[0].plot(np.arange(st.size) * 0.1, st, label=name)\n"
        "    f, p = average_spectrum(x, sample_rate=SAMPLE_RATE)\n"
        "    axes[1].semilogx(f[1:], 10 * np.log10(p[1:] + 1e-20), label=name)\n"
        "axes[0].set(xlabel='s', ylabel='short-term LUFS'); axes[0].legend()\n"
        "axes[1].set(xlabel='Hz', ylabel='dB', xlim=(30, 20000)); axes[1].legend()\n"
        "plt.tight_layout(); plt.show()\n"
        "for name, x in [('raw sum', raw), ('mix', mix), ('master', out)]:\n"
        "    m = measure(x, sample_rate=SAMPLE_RATE)\n"
        "    print(f\"{name:8s} {m['integrated_lufs']:6.1f} LUFS {m['true_peak_dbtp']:6.1f} dBTP  PLR {m['plr_db']:5.1f}  \"\n"
        "          f\"tilt {m['spectral_tilt_db_per_octave']:5.2f} dB/oct  fold-down loss {m['mono_fold_down_loss_db']:.2f} dB\")"
    ),
    new_markdown_cell("## The report\n\nWhat report.json holds: one short-term loudness value and one gain-reduction value per second, and the scalars."),
    new_code_cell(
        "fig, axes = plt.subplots(1, 2, figsize=(12, 3.2))\n"
        "st = [np.nan if v is None else v for v in report.short_term_lufs]\n"
        "axes[0].plot(st, marker='o'); axes[0].axhline(report.integrated_lufs, color='k', ls='--', label='integrated')\n"
        "axes[0].set(xlabel='s', ylabel='LUFS (3 s)', title='short-term loudness'); axes[0].legend()\n"
        "axes[1].bar(np.arange(len(report.gain_reduction_db)), report.gain_reduction_db)\n"
        "axes[1].set(xlabel='s', ylabel='dB', title='gain reduction (glue + limiter), max per second')\n"
        "plt.tight_layout(); plt.show()\n"
        "scalars = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in report.to_dict().items() if not isinstance(v, list)}\n"
        "print(json.dumps(scalars, indent=1))"
    ),
    new_markdown_cell("## Targets\n\nThe same mix mastered for streaming (-14), Apple (-16), loud (-9) and broadcast (-23)."),
    new_code_cell(
        "for target in ['streaming', 'apple', 'loud', 'broadcast']:\n"
        "    s = settings_for_target(settings, target)\n"
        "    _, r = master(mix, sample_rate=SAMPLE_RATE, settings=s.master)\n"
        "    print(f\"{target:10s} {r.integrated_lufs:6.2f} LUFS {r.true_peak_dbtp:6.2f} dBTP  PLR {r.plr_db:5.1f}  max GR {r.max_gain_reduction_db:4.1f} dB\")"
    ),
    new_markdown_cell(
        "## Reference matching\n\n"
        "A generated 'reference' (louder, darker, narrower): `match_reference` sets the master's target loudness,\n"
        "tilt target (full strength) and width from it."
    ),
    new_code_cell(
        "import scipy.signal\n"
        "ref = make_stems(12.0, seed=7)\n"
        "ref = sum(ref.values())\n"
        "ref = scipy.signal.sosfilt(scipy.signal.butter(1, 2000, fs=SAMPLE_RATE, output='sos'), ref, axis=-1)\n"
        "ref = np.stack([ref.mean(axis=0) + 0.1 * (ref[0] - ref[1])] * 1 + [ref.mean(axis=0) - 0.1 * (ref[0] - ref[1])])\n"
        "ref, _ = master(ref, sample_rate=SAMPLE_RATE, settings=MasterSettings(target_lufs=-11.0))\n"
        "matched = match_reference(settings, mix, ref, sample_rate=SAMPLE_RATE)\n"
        "print({k: v for k, v in dataclasses.asdict(matched.master).items() if k in ('target_lufs', 'tilt_target_db_per_octave', 'tilt_strength', 'stereo_width')})\n"
        "out_ref, r = master(mix, sample_rate=SAMPLE_RATE, settings=matched.master)\n"
        "mr = measure(ref, sample_rate=SAMPLE_RATE)\n"
        "for name, m in [('reference', mr), ('matched master', measure(out_ref, sample_rate=SAMPLE_RATE)), ('default master', measure(out, sample_rate=SAMPLE_RATE))]:\n"
        "    print(f\"{name:15s} {m['integrated_lufs']:6.1f} LUFS  tilt {m['spectral_tilt_db_per_octave']:5.2f} dB/oct  correlation {m['correlation']:.2f}\")"
    ),
]


NOTEBOOKS = {"06_mix.ipynb": CELLS}


def main() -> None:
    write_notebooks(NOTEBOOKS)


if __name__ == "__main__":
    main()
