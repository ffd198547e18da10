"""lemm.render: score tracks -> dry audio stems.

A harmonic-plus-noise (DDSP-style) synth in torch with instrument presets as
JSON data, and synthesised drum kits.

Examples
--------
>>> import lemm.render as render
>>> len(render.list_presets()), render.list_drum_kits()
(14, ['acoustic_kit', 'synth_kit'])
"""

from lemm.render.drums import list_drum_kits
from lemm.render.presets import Preset, list_presets, load_preset
from lemm.render.track import render_track, render_tracks

__all__ = ["Preset", "list_drum_kits", "list_presets", "load_preset", "render_track", "render_tracks"]
