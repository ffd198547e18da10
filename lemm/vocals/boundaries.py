"""Acoustic refinement of espeak-ng's consonant-to-vowel boundaries, and the spoken syllables of an utterance.

espeak-ng reports each phoneme's start as its synthesiser schedules it; after
a sonorant consonant (m, n, ng, l, r, w, y) that start is late: the vowel's
formants are already sounding 20-50 ms earlier (measured on the lyric set:
the 400..2500 Hz level crosses halfway from the consonant's to the vowel's
level a median 25-40 ms before the reported start; after stops and
fricatives the two agree within ~3 ms). Singing places each vowel start on
its note, so a late boundary puts the audible vowel before the beat and
stretches the consonant-to-vowel transition as if it were consonant.
:func:`refine_vowel_onsets` moves such a boundary back to where the
band level crosses halfway (in dB) from the consonant's level (the median
of its first half) to the vowel's (the peak of its first half), when the
two differ by at least 3 dB; never later than reported, never into the
first 30% of the consonant.
:func:`spoken_syllables` applies it and splits the utterance into one span
per sung syllable (:func:`lemm.vocals.phonetics.syllable_spans`).

Examples
--------
>>> import numpy as np
>>> sr = 16000
>>> t = np.arange(int(0.4 * sr)) / sr
>>> tone = np.sin(2 * np.pi * 1000.0 * t)
>>> audio = np.where(t < 0.17, 0.02, 1.0) * tone  # a quiet consonant, the vowel loud from 170 ms
>>> ph = [("n", 0.1, 0.2), ("a", 0.2, 0.4)]
>>> [round(s, 3) for _n, s, _e in refine_vowel_onsets(ph, audio, sr)]  # 0.2 -> the rise at 0.17 (12 ms window)
[0.1, 0.166]
"""

from __future__ import annotations

import numpy as np

from lemm.vocals.phonetics import SpokenSyllable, count_nuclei, is_vowel, onset_length, syllable_spans

__all__ = ["refine_vowel_onsets", "spoken_syllables", "SONORANTS"]

#: espeak-ng consonants (first letter of the name, stress marks stripped) whose following vowel starts early.
SONORANTS = frozenset("mnNlrwj")
_BAND_HZ = (400.0, 2500.0)
_HOP_SECONDS = 0.001
_MIN_RISE_DB = 3.0
_KEEP_CONSONANT_SHARE = 0.3


def _band_level_db(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Level (dB) of the 400..2500 Hz band every millisecond (~12 ms Hann window)."""
    x = np.asarray(audio, dtype=np.float64)
    win = 1 << int(np.ceil(np.log2(0.012 * sample_rate)))
    hop = _HOP_SECONDS * sample_rate
    n = int(x.size / hop) + 1
    padded = np.pad(x, (win // 2, win // 2 + 1))
    idx = np.clip(np.round(np.arange(n) * hop).astype(np.int64)[:, None] + np.arange(win)[None, :], 0, padded.size - 1)
    freqs = np.fft.rfftfreq(win, 1.0 / sample_rate)
    band = (freqs >= _BAND_HZ[0]) & (freqs <= _BAND_HZ[1])
    spec = np.abs(np.fft.rfft(padded[idx] * np.hanning(win)[None, :], axis=1)) ** 2
    return 10.0 * np.log10(spec[:, band].sum(axis=1) + 1e-12)


def _base(name: str) -> str:
    return name.lstrip("',%=!")


def refine_vowel_onsets(
    phonemes: list[tuple[str, float, float]], audio: np.ndarray, sample_rate: int
) -> list[tuple[str, float, float]]:
    """Move vowel starts after sonorant consonants back to the acoustic transition.

    Parameters
    ----------
    phonemes : list of (name, start_seconds, end_seconds)
        espeak-ng phonemes in time order.
    audio : np.ndarray [shape=(n_samples,)]
        The utterance.
    sample_rate : int

    Returns
    -------
    list of (name, start_seconds, end_seconds)
        The same phonemes; a moved boundary changes the consonant's end and the vowel's start.
    """
    out = [(str(n), float(s), float(e)) for n, s, e in phonemes]
    if len(out) < 2 or np.asarray(audio).size == 0:
        return out
    level = _band_level_db(audio, sample_rate)

    def frames(a: float, b: float) -> np.ndarray:
        lo, hi = int(np.ceil(a / _HOP_SECONDS)), int(np.floor(b / _HOP_SECONDS))
        return level[max(lo, 0) : min(hi, level.size - 1) + 1]

    for i in range(1, len(out)):
        (cons, c0, c1), (vow, v0, v1) = out[i - 1], out[i]
        base = _base(cons)
        if not base or base[0] not in SONORANTS or is_vowel(cons) or not is_vowel(vow) or c1 - c0 < 0.02 or v1 - v0 < 0.02:
            continue
        head = frames(c0 + 0.15 * (c1 - c0), c0 + 0.5 * (c1 - c0))
        body = frames(v0, v0 + 0.5 * (v1 - v0))
        if head.size < 3 or body.size < 3:
            continue
        low, high = float(np.median(head)), float(np.max(body))
        if high - low < _MIN_RISE_DB:
            continue
        mid = 0.5 * (low + high)
        earliest = c0 + _KEEP_CONSONANT_SHARE * (c1 - c0)
        first = int(np.ceil(earliest / _HOP_SECONDS))
        last = min(int(np.floor(v0 / _HOP_SECONDS)), level.size - 1)
        seg = level[first : last + 1]
        if seg.size < 2:
            continue
        below = np.flatnonzero(seg < mid)
        if below.size == 0:  # already vowel-loud from the earliest allowed time
            t = first * _HOP_SECONDS
        elif below[-1] == seg.size - 1:  # still consonant-quiet at the reported start
            continue
        else:
            k = int(below[-1])
            frac = (mid - seg[k]) / max(seg[k + 1] - seg[k], 1e-9)
            t = (first + k + float(np.clip(frac, 0.0, 1.0))) * _HOP_SECONDS
        t = float(np.clip(t, earliest, v0))
        out[i - 1] = (cons, c0, t)
        out[i] = (vow, t, v1)
    return out


def spoken_syllables(utterance, word_syllables: list[int]) -> list[SpokenSyllable]:
    """One span (seconds) per sung syllable of a spoken utterance, with refined vowel onsets.

    Parameters
    ----------
    utterance : lemm.vocals.speech.Utterance
        The words spoken by the speech worker.
    word_syllables : list[int]
        Sung syllables of each word.

    Returns
    -------
    list[SpokenSyllable]
    """
    sr = utterance.sample_rate
    phonemes = [(p.name, p.start_sample / sr, p.end_sample / sr) for p in utterance.phonemes]
    phonemes = refine_vowel_onsets(phonemes, utterance.audio, sr)
    return syllable_spans(
        phonemes,
        list(word_syllables),
        [count_nuclei(p) for p in utterance.word_phonemes],
        [onset_length(p) for p in utterance.word_phonemes],
    )
