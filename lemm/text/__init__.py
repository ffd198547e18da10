"""lemm.text: lyrics as text, split into lines, words and stressed syllables.

Pure Python (no audio, no torch): the composer sets syllables to notes with it
(:mod:`lemm.compose`) and the singer reads the same syllables (:mod:`lemm.vocals`),
so neither package imports the other.
"""
