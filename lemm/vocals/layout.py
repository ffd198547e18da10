"""Where each spoken syllable goes on the score's time line: the piecewise-linear time warp.

Consonants keep about their spoken length (lengthened by the square root of
the slow-down, at most 1.5 times, in slow singing; compressed when a fast
passage leaves no room), onset consonants come *before* the note so the vowel
lands on the beat, the coda closes the note (or sits right before the next
onset), and the vowel nucleus is stretched or squeezed to fill the rest.
Inside a stretched vowel its first and last few tens of milliseconds (the
transitions into and out of the consonants, and a diphthong's glide) keep
their spoken speed; only the steady middle is stretched.

Examples
--------
>>> from lemm.vocals.phonetics import SpokenSyllable
>>> spans = [SpokenSyllable(0.00, 0.08, 0.20, 0.25)]
>>> lay = layout_syllables(spans, [(1.0, 2.0)])
>>> lay[0].onset_start, lay[0].vowel_start, lay[0].coda_end
(0.92, 1.0, 2.0)
>>> round(float(source_time(lay, [1.0])[0]), 6)
0.08
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lemm.vocals.phonetics import SpokenSyllable

__all__ = ["SyllableLayout", "layout_syllables", "source_time", "gate_intervals"]

_MAX_CONSONANT_SHARE = 0.7  # at most this share of the time between two vowel starts goes to consonants
_MAX_CONSONANT_STRETCH = 1.5  # consonants lengthen at most this much in slow singing
_MAX_CODA_SHARE = 0.6  # at most this share of a note goes to its coda
_EDGE_IN_SECONDS = 0.04  # vowel edges kept at spoken speed
_EDGE_OUT_SECONDS = 0.07


@dataclass(frozen=True)
class SyllableLayout:
    """A syllable's target times (seconds on the song's time line) and its source span.

    ``anchors`` are (target_seconds, source_seconds) pairs, increasing in both.
    """

    onset_start: float
    vowel_start: float
    vowel_end: float
    coda_end: float
    anchors: tuple[tuple[float, float], ...]


def _vowel_anchors(t0: float, t1: float, s0: float, s1: float) -> list[tuple[float, float]]:
    length_src, length_tgt = s1 - s0, t1 - t0
    a = min(0.25 * length_src, _EDGE_IN_SECONDS)
    b = min(0.35 * length_src, _EDGE_OUT_SECONDS)
    if length_tgt <= (a + b) * 1.2 or length_src <= 0:
        return [(t0, s0), (t1, s1)]
    return [(t0, s0), (t0 + a, s0 + a), (t1 - b, s1 - b), (t1, s1)]


def layout_syllables(spans: list[SpokenSyllable], notes: list[tuple[float, float]]) -> list[SyllableLayout]:
    """Place spoken syllables on their notes.

    Parameters
    ----------
    spans : list[SpokenSyllable]
        Spoken spans in seconds of the utterance.
    notes : list of (start_seconds, end_seconds)
        For each syllable: start of its first note, sounding end of its last note.

    Returns
    -------
    list[SyllableLayout]
    """
    n = len(spans)
    onset = [max(s.vowel_start - s.onset_start, 0.0) for s in spans]
    coda = [max(s.coda_end - s.vowel_end, 0.0) for s in spans]
    onset_len = [0.0] * n
    coda_len = [0.0] * n
    end = [e for _s, e in notes]
    # first onset: before the note, never before the song's start
    onset_len[0] = min(onset[0], notes[0][0])
    for j in range(1, n):
        s_a, s_b = notes[j - 1][0], notes[j][0]
        need = coda[j - 1] + onset[j]
        # slow singing lengthens consonants a little (sqrt of the tempo ratio, capped), fast singing squeezes them
        ratio = (s_b - s_a) / max(spans[j].vowel_start - spans[j - 1].vowel_start, 1e-3)
        slow = min(max(ratio, 1.0) ** 0.5, _MAX_CONSONANT_STRETCH)
        c = min(slow, _MAX_CONSONANT_SHARE * (s_b - s_a) / need) if need > 0 else 1.0
        onset_len[j] = c * onset[j]
        end[j - 1] = min(end[j - 1], s_b - onset_len[j])
        coda_len[j - 1] = c * coda[j - 1]
    out = []
    for j, span in enumerate(spans):
        start = notes[j][0]
        stop = max(end[j], start + 1e-3)
        coda_len[j] = min(coda[j] if j == n - 1 else coda_len[j], _MAX_CODA_SHARE * (stop - start))
        t_on, t_v1 = start - onset_len[j], stop - coda_len[j]
        anchors = [(t_on, span.onset_start)] if onset_len[j] > 0 else []
        anchors += _vowel_anchors(start, t_v1, span.vowel_start, span.vowel_end)
        if coda_len[j] > 0:
            anchors.append((stop, span.coda_end))
        out.append(SyllableLayout(t_on, start, t_v1, stop, tuple(anchors)))
    return out


def source_time(layouts: list[SyllableLayout], target_seconds: np.ndarray) -> np.ndarray:
    """Source (spoken) time for each target time: linear between anchors, held outside."""
    pts = [a for lay in layouts for a in lay.anchors]
    tgt = np.array([p[0] for p in pts])
    src = np.array([p[1] for p in pts])
    # make targets strictly increasing (a legato join may put two anchors at one time)
    for i in range(1, tgt.size):
        if tgt[i] <= tgt[i - 1]:
            tgt[i] = tgt[i - 1] + 1e-9
    src = np.maximum.accumulate(src)
    return np.interp(np.asarray(target_seconds, dtype=np.float64), tgt, src)


def gate_intervals(layouts: list[SyllableLayout], *, join_seconds: float = 0.01) -> list[tuple[float, float]]:
    """Spans where the voice sounds: each syllable's onset start .. coda end, joined when they touch."""
    spans: list[list[float]] = []
    for lay in layouts:
        if spans and lay.onset_start - spans[-1][1] <= join_seconds:
            spans[-1][1] = max(spans[-1][1], lay.coda_end)
        else:
            spans.append([lay.onset_start, lay.coda_end])
    return [(a, b) for a, b in spans]
