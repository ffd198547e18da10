"""Melody writers: the rule generator (:mod:`.rules`) and the lieder-trained transformer (:mod:`.model`).

``generate_melody(ctx, section_index, *, preset, rng, method="rules", rhythm=None, syllables=None)``
picks the method; every name the former ``lemm.compose.melody`` module exported is re-exported here.

Modules: :mod:`.rules` (rule melodies, the baseline), :mod:`.data` (lieder extraction, split),
:mod:`.tokens` (compound REMI note tokens), :mod:`.network` (the transformer), :mod:`.train`
(``python -m lemm.compose.melody.train``), :mod:`.model` (weights loading, constrained decoding),
:mod:`.rhythm` (the lieder rhythm model: one note per syllable, for ``method="model"``), :mod:`.mgeval`
(evaluation metrics). The arranger uses the plan's ``Plan.melody_method`` (default ``"model"``).

Examples
--------
>>> melody_range("voice_high", "chorus")
(60, 76)
>>> pick_method("rules")
'rules'
"""

from lemm.compose.melody.rules import (
    MELODY_RANGES,
    METHODS,
    Phrase,
    generate_melody,
    instrumental_rhythm,
    melody_range,
    phrase_slots,
    pick_method,
    pitch_line,
    snap_strong_beats,
    split_phrases,
    vary_melody,
)

__all__ = ["MELODY_RANGES", "METHODS", "melody_range", "generate_melody", "pitch_line", "instrumental_rhythm", "pick_method", "split_phrases", "vary_melody", "snap_strong_beats", "phrase_slots", "Phrase"]
