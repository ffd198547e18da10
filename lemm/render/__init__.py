"""lemm.render: score tracks -> dry audio stems.

A harmonic-plus-noise (DDSP-style) synth in torch with instrument presets as
JSON data (fitted to FluidR3_GM notes), timbre fitting to a user's recording
(:func:`fit_preset`), a reverb send, a synthesised and a sampled drum kit.

Examples
--------
>>> import lemm.render as render
>>> len(render.list_presets()), render.list_drum_kits()
(14, ['acoustic_kit', 'synth_kit'])
"""

from lemm.render.drums import list_drum_kits
from lemm.render.fitting import fit_preset
from lemm.render.presets import Preset, TimbreRegion, list_presets, load_preset, read_preset, save_preset
from lemm.render.stems import render_stems, render_tracks
from lemm.render.track import render_track

__all__ = [
    "Preset", "TimbreRegion", "fit_preset", "list_drum_kits", "list_presets", "load_preset", "read_preset", "save_preset",
    "render_stems", "render_track", "render_tracks",
]
