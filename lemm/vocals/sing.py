"""A vocal track -> a sung stem, by speech-to-singing conversion (Saitou et al. 2007).

For each phrase (see :mod:`lemm.vocals.phrases`) a speech worker speaks
the words as one utterance from a fresh synthesiser state (espeak-ng keeps
state between utterances; a fresh one makes a phrase sound the same whatever
came before it); WORLD analyses it; each spoken syllable (vowel starts
after sonorants moved to where the vowel sounds, :mod:`lemm.vocals.boundaries`)
is placed on its notes (:mod:`lemm.vocals.layout`), the spectral envelope and
aperiodicity are read along that time warp (the words are kept), the f0
comes from the notes (:mod:`lemm.vocals.pitch`), the formants of voiced
frames are scaled for the voice (unvoiced consonants keep theirs), the
envelope is smoothed over one harmonic spacing of the sung f0 (so a formant
between two harmonics of a high note is not lost), but over no more than
200 Hz (wider, it merges neighbouring formants: sung in C4..G4 at natural
syllable lengths, pocketsphinx's word-correct rose from 0.475 to 0.528 on the
benchmark's lyric set and from 0.537 to 0.562 on examples/lyrics.txt with the
bound, over singing seeds 0..2; with no smoothing at all the high voice read
0.558 but the low voice fell from 0.772 to 0.730), and WORLD synthesises
the phrase at the output rate. Loudness follows note velocity and the
track's ``dynamics`` curve.

The two voices differ in register (the notes) and in a mild formant scale:
``voice_high`` raises the vowels' formants by 5% (a smaller vocal tract).
The roll-off of the harmonics past espeak's 4 kHz cut-off
(``extension_slope_db_per_octave``, :mod:`lemm.vocals.brightness`) trades
brightness against the recognizer: on 12 new lyric lines sung by voice_low at
0.45 s per syllable, pocketsphinx recognised 0.350 of the words at -24 dB/octave,
0.382 at -36 and 0.418 at -48 (mean of singing seeds 0 and 1; 0.427 with no
extension), while the share of 5-8 kHz energy of a held vowel fell from above
-45 dB to -50 and -59 dB (-60 with no extension: muffled). Both voices keep -24;
voice_high gains nothing from dropping the extension (0.235 with, 0.222 without).
A larger scale (1.17 was tried) costs intelligibility at high notes far more
than it adds in timbre: recognised words after destretch fell by about 15
points per 0.1 of scale on the benchmark's lyric set.

Examples
--------
>>> from lemm.score.model import Lyric, Note, Score, Track
>>> notes = (Note(57, 480, 480, lyric=Lyric("la")), Note(60, 960, 960, lyric=Lyric("la")))
>>> track = Track("vocal", "vocal", "voice_low", notes=notes)
>>> stem = sing_track(track, Score(tracks=(track,)))  # doctest: +SKIP
>>> stem.shape, stem.dtype  # doctest: +SKIP
((2, 120000), dtype('float32'))
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import queue
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy.signal import resample_poly

from lemm.errors import ParameterError
from lemm.score.model import Score, Track
from lemm.score.timing import ticks_to_seconds
from lemm.seeding import check_seed, derive_seed, make_rng
from lemm.validate import SINGING_MIN_SAMPLE_RATE_HZ, check_sample_rate
from lemm.vocals import world
from lemm.vocals.boundaries import spoken_syllables
from lemm.vocals.brightness import brighten_envelope
from lemm.vocals.layout import SyllableLayout, gate_intervals, layout_syllables, source_time
from lemm.vocals.memo import Memo
from lemm.vocals.phrases import Phrase, vocal_phrases
from lemm.vocals.pitch import sung_f0_hz
from lemm.vocals.speech import DEFAULT_VOICE, SpeechWorker, Utterance

__all__ = ["Voice", "VOICES", "sing_track", "sing_track_span", "sing_phrase", "speak_phrase", "SpokenPhrase", "synthesis_rate", "TAIL_SECONDS"]

#: Silence kept after the last note when ``n_samples`` is None.
TAIL_SECONDS = 0.5
_SPEECH_RMS = 0.1  # speech is levelled to this RMS before analysis
_OUTPUT_GAIN = 0.9
_ATTACK_SECONDS = 0.006
_RELEASE_SECONDS = 0.03
_SCALE_CROSSFADE_SECONDS = 0.01
_ONSET_DIP_DB = 2.0  # a sung vowel starts this much under its sustain level ...
_ONSET_SECONDS = 0.025  # ... and rises to it with this time constant
_SUSTAIN_SAG_DB_PER_SECOND = 1.5
_FINAL_RELEASE_DB = 5.0
_ENVELOPE_SMOOTHING = 1.0  # harmonic spacings (world.smooth_envelope_for_f0)
_ENVELOPE_SMOOTHING_MAX_HZ = 200.0  # ... but never wider than this (world.smooth_envelope_for_f0)
#: Length a pulse's impulse response is given in WORLD's synthesis (the FFT size is the power of two that holds it)
SYNTHESIS_RESPONSE_SECONDS = 0.02


@dataclass(frozen=True)
class Voice:
    """A singing voice: the espeak voice spoken from, and the formant scale of the envelope."""

    name: str
    espeak_voice: str = DEFAULT_VOICE
    formant_scale: float = 1.0
    rate_wpm: int = 175
    presence_db: float = 4.0
    extension_slope_db_per_octave: float = 24.0  # roll-off of the harmonics past espeak's 4 kHz (lemm.vocals.brightness)


#: The voices a vocal track's preset may name.
VOICES: dict[str, Voice] = {
    "voice_low": Voice("voice_low", formant_scale=1.0),
    "voice_high": Voice("voice_high", formant_scale=1.05),
}


def _voice(track: Track) -> Voice:
    if track.preset not in VOICES:
        raise ParameterError.for_field(f"track {track.name!r} preset", track.preset, f"a voice, one of {', '.join(VOICES)}")
    return VOICES[track.preset]


def _curve_at(track: Track, score: Score, name: str, times: np.ndarray) -> np.ndarray | None:
    curve = track.curve(name)
    if curve is None or not curve.points:
        return None
    pt_seconds = ticks_to_seconds(score, np.array([p.tick for p in curve.points], dtype=np.float64))
    return np.interp(times, pt_seconds, np.array([p.value for p in curve.points], dtype=np.float64))


def _level(utt: Utterance) -> np.ndarray:
    x = utt.audio.astype(np.float64)
    rms = float(np.sqrt(np.mean(x**2))) if x.size else 0.0
    return x * (_SPEECH_RMS / rms) if rms > 1e-6 else x


def _gain_per_frame(phrase: Phrase, layouts: list[SyllableLayout], times: np.ndarray, frame_rate: float) -> np.ndarray:
    """Velocity loudness, the voice gate with attack/release, and soft re-attacks of neutral notes."""
    notes = [n for s in phrase.syllables for n in s.notes]
    starts = np.array([n.start_seconds for n in notes])
    vel = np.array([(n.velocity / 127.0) ** 1.5 * (1.25 if n.articulation in ("accent", "marcato") else 1.0) for n in notes])
    idx = np.clip(np.searchsorted(starts, times + 0.05, side="right") - 1, 0, len(notes) - 1)
    gain = vel[idx]
    width = max(int(round(0.03 * frame_rate)), 1)
    gain = np.convolve(np.pad(gain, width, mode="edge"), np.ones(2 * width + 1) / (2 * width + 1), mode="same")[width:-width]
    gate = np.zeros_like(times)
    for a, b in gate_intervals(layouts):
        up = np.clip((times - a) / _ATTACK_SECONDS, 0.0, 1.0)
        down = np.clip((b - times) / _RELEASE_SECONDS, 0.0, 1.0)
        gate = np.maximum(gate, np.minimum(up, down))
    gate *= _note_shape(layouts, times)
    for syl in phrase.syllables:
        if syl.neutral:
            for n in syl.notes[1:]:
                gate *= 1.0 - 0.5 * np.exp(-0.5 * ((times - n.start_seconds) / 0.02) ** 2)
    return gain * gate


def _note_shape(layouts: list[SyllableLayout], times: np.ndarray) -> np.ndarray:
    """Each sung vowel's level over time: a swell into the note, a slow sag through it, a release at the phrase's end.

    From the vowel start (the beat) the level rises from -2 dB to full over
    about 70 ms (the voice's onset, instead of a box), then falls by
    :data:`_SUSTAIN_SAG_DB_PER_SECOND` (breath pressure easing off on a held
    note); the phrase's last vowel fades by 5 dB over its last 30%
    (at most 0.3 s). Consonants keep their spoken level.
    """
    shape = np.ones_like(times)
    for j, lay in enumerate(layouts):
        sel = (times >= lay.vowel_start) & (times < lay.coda_end)
        if not np.any(sel):
            continue
        local = times[sel] - lay.vowel_start
        level_db = -_ONSET_DIP_DB * np.exp(-local / _ONSET_SECONDS) - _SUSTAIN_SAG_DB_PER_SECOND * local
        if j == len(layouts) - 1:
            fade = min(0.3 * (lay.vowel_end - lay.vowel_start), 0.3)
            if fade > 0:
                level_db -= _FINAL_RELEASE_DB * np.clip((times[sel] - (lay.vowel_end - fade)) / fade, 0.0, 1.0)
        shape[sel] = 10.0 ** (level_db / 20.0)
    return shape


def _voiced_weight(voiced: np.ndarray, frame_rate: float) -> np.ndarray:
    """1 on voiced frames, 0 on unvoiced consonants, crossfaded over ~20 ms.

    The voice's formant scale and the brightening (:mod:`lemm.vocals.brightness`)
    apply with this weight: a smaller vocal tract raises the vowels' resonances;
    the noise of "s", "sh", "f" and the bursts of stops are shaped near the lips
    and are kept where speech has them (shifted up they turn "s" into a lisp and
    "sh" into "s").
    """
    width = max(int(round(_SCALE_CROSSFADE_SECONDS * frame_rate)), 1)
    weight = np.convolve(np.pad(voiced.astype(np.float64), width, mode="edge"), np.ones(2 * width + 1) / (2 * width + 1), mode="same")
    return weight[width:-width]


@dataclass(frozen=True)
class SpokenPhrase:
    """A phrase's speech, its WORLD analysis and its spoken syllables: what singing it needs from the words.

    The same words with the same syllables give the same speech (espeak-ng speaks every phrase from
    a fresh state), so a song's repeated lines (a chorus) are spoken and analysed once.
    """

    utterance: Utterance
    features: world.SpeechFeatures
    spans: tuple


def speak_phrase(phrase: Phrase, worker: SpeechWorker, *, voice: Voice) -> SpokenPhrase:
    """Speak a phrase from a fresh synthesiser state, analyse it and split it into spoken syllables."""
    words = tuple(w.text for w in phrase.words)
    utt = worker.speak(phrase.text, words=words, voice=voice.espeak_voice, rate_wpm=voice.rate_wpm, fresh=True)
    spans = spoken_syllables(utt, [len(w.syllables) for w in phrase.words])
    return SpokenPhrase(utt, world.analyse_speech(_level(utt), utt.sample_rate), tuple(spans))


def _phrase_key(phrase: Phrase) -> tuple:
    return (phrase.text, tuple(len(w.syllables) for w in phrase.words))


#: Spoken phrases by voice and words, for the process's life (:mod:`lemm.vocals.memo`): the
#: same words in the same voice always give the same speech and analysis, and a song sings
#: its chorus lines in several sections (slices rendered apart) and in its backing vocals.
#: About 2.7 MiB a phrase (WORLD's envelope and aperiodicity at 513 bins): a 3:30 song's 17 lines hold about 46 MiB.
SPOKEN_MEMO = Memo(max_bytes=160 * 2**20)


def _spoken_arrays(spoken: SpokenPhrase) -> tuple[np.ndarray, ...]:
    """The arrays a spoken phrase holds: WORLD's envelope, aperiodicity and F0, and the speech."""
    f = spoken.features
    return (f.spectral_envelope, f.aperiodicity, f.f0_hz, spoken.utterance.audio)


def _spoken_bytes(spoken: SpokenPhrase) -> int:
    return int(sum(array.nbytes for array in _spoken_arrays(spoken)))


def _read_only(spoken: SpokenPhrase) -> SpokenPhrase:
    """``spoken`` with its arrays made read-only: one kept result is shared by every later use, which must not change it."""
    for array in _spoken_arrays(spoken):
        array.flags.writeable = False
    return spoken


def _memo_key(phrase: Phrase, voice: Voice) -> tuple:
    return (voice.espeak_voice, voice.rate_wpm, tuple(w.text for w in phrase.words), *_phrase_key(phrase))


def synthesis_rate(sample_rate: int) -> int:
    """The rate WORLD sings at for an output rate: ``sample_rate / k``, k = ``sample_rate // 22050`` (at least 1).

    A voice has little above 11-12 kHz; synthesising a 48 kHz stem at 24 kHz and resampling
    halves WORLD's work (its cost grows with the rate: longer FFTs per pulse).

    >>> synthesis_rate(48000), synthesis_rate(44100), synthesis_rate(96000), synthesis_rate(32000), synthesis_rate(16000)
    (24000, 22050, 24000, 32000, 16000)
    """
    k = max(int(sample_rate // 22050), 1)
    return int(round(sample_rate / k))


def synthesis_fft_size(synth_rate: int) -> int:
    """WORLD's synthesis FFT size at a synthesis rate: the power of two holding :data:`SYNTHESIS_RESPONSE_SECONDS`.

    >>> synthesis_fft_size(24000), synthesis_fft_size(22050), synthesis_fft_size(32000), synthesis_fft_size(16000)
    (512, 512, 1024, 512)
    """
    return int(2 ** math.ceil(math.log2(SYNTHESIS_RESPONSE_SECONDS * synth_rate)))


def sing_phrase(
    phrase: Phrase,
    utterance: Utterance | SpokenPhrase,
    *,
    voice: Voice,
    sample_rate: int,
    rng: np.random.Generator,
    track: Track | None = None,
    score: Score | None = None,
) -> tuple[int, np.ndarray]:
    """Sing one phrase from its spoken utterance.

    Parameters
    ----------
    phrase : Phrase
    utterance : Utterance or SpokenPhrase
        The phrase's words spoken by the speech worker (analysed here), or already analysed.
    voice : Voice
    sample_rate : int
        Output rate in Hz.
    rng : np.random.Generator
        Fine pitch fluctuation and vibrato rate variation.
    track, score : Track and Score or None
        Supply the expression curves (dynamics, vibrato, pitch bend) when given.

    Returns
    -------
    start_sample : int
        Where the phrase's audio starts on the song's time line.
    audio : np.ndarray [shape=(n,)], float64
    """
    if isinstance(utterance, SpokenPhrase):
        spoken = utterance
    else:
        spans = spoken_syllables(utterance, [len(w.syllables) for w in phrase.words])
        spoken = SpokenPhrase(utterance, world.analyse_speech(_level(utterance), utterance.sample_rate), tuple(spans))
    sr_src = spoken.utterance.sample_rate
    spans = list(spoken.spans)
    syllables = phrase.syllables
    layouts = layout_syllables(spans, [(s.start_seconds, s.end_seconds) for s in syllables])
    frame_seconds = world.FRAME_PERIOD_MS / 1000.0
    first_frame = max(int(np.floor((layouts[0].onset_start - 0.02) / frame_seconds)), 0)
    last_frame = int(np.ceil((layouts[-1].coda_end + _RELEASE_SECONDS + 0.02) / frame_seconds))
    times = np.arange(first_frame, last_frame + 1) * frame_seconds

    sp, ap, voiced = world.warp_features(spoken.features, source_time(layouts, times))
    for lay in layouts:  # vowels are voiced wherever the analysis doubts it
        voiced |= (times >= lay.vowel_start) & (times < lay.vowel_end)

    notes = [(n.pitch, n.start_seconds, n.end_seconds) for s in syllables for n in s.notes]
    curves = {}
    if track is not None and score is not None:
        curves = {name: _curve_at(track, score, name, times) for name in ("vibrato_depth_cents", "vibrato_rate_hz", "pitch_bend_semitones", "dynamics")}
    f0 = sung_f0_hz(
        times,
        notes,
        rng=rng,
        vibrato_depth_cents=curves.get("vibrato_depth_cents"),
        vibrato_rate_hz=curves.get("vibrato_rate_hz"),
        pitch_bend_semitones=curves.get("pitch_bend_semitones"),
    )
    f0 = np.where(voiced, f0, 0.0)
    gain = _gain_per_frame(phrase, layouts, times, 1.0 / frame_seconds)
    if curves.get("dynamics") is not None:
        gain = gain * curves["dynamics"]
    weight = _voiced_weight(voiced, 1.0 / frame_seconds)
    scale = 1.0 + (voice.formant_scale - 1.0) * weight
    synth_rate = synthesis_rate(sample_rate)
    fft_size = synthesis_fft_size(synth_rate)
    sp = world.reshape_envelope(sp, source_rate=sr_src, target_rate=synth_rate, formant_scale=scale, fft_size=fft_size)
    ap = world.reshape_envelope(ap, source_rate=sr_src, target_rate=synth_rate, formant_scale=scale, is_aperiodicity=True, fft_size=fft_size)
    sp = world.smooth_envelope_for_f0(sp, f0, synth_rate, width=_ENVELOPE_SMOOTHING, max_width_hz=_ENVELOPE_SMOOTHING_MAX_HZ)
    sp, ap = brighten_envelope(sp, ap, weight, sample_rate=synth_rate, presence_db=voice.presence_db,
                               slope_db_per_octave=voice.extension_slope_db_per_octave)
    audio = world.synthesize(f0, sp, ap, synth_rate)
    if synth_rate != sample_rate:
        g = math.gcd(synth_rate, sample_rate)
        up, down = sample_rate // g, synth_rate // g
        audio = resample_poly(audio, up, down, window=_resampling_filter(up, down, audio.dtype.str))
    sample_times = first_frame * frame_seconds + np.arange(audio.size) / sample_rate
    audio *= np.interp(sample_times, times, gain) * _OUTPUT_GAIN
    return int(round(first_frame * frame_seconds * sample_rate)), audio


@functools.lru_cache(maxsize=8)
def _resampling_filter(up: int, down: int, dtype: str) -> np.ndarray:
    """The low-pass ``resample_poly(x, up, down)`` designs for ``x`` of ``dtype`` (Kaiser, beta 5), designed once.

    The same taps, so the same samples (``resample_poly`` copies a given window before scaling
    it); designing them per phrase was 2 % of a song's vocal render. Read-only.
    """
    from scipy.signal import firwin

    max_rate = max(up, down)
    taps = np.asarray(firwin(2 * 10 * max_rate + 1, 1.0 / max_rate, window=("kaiser", 5.0)), dtype=np.dtype(dtype))
    taps.flags.writeable = False
    return taps


def sing_track(
    track: Track,
    score: Score,
    *,
    sample_rate: int = 48000,
    seed: int = 0,
    n_samples: int | None = None,
    n_workers: int | None = None,
) -> np.ndarray:
    """Sing a vocal track: its notes with their Lyric syllables -> a stereo stem.

    Phrases are sung side by side on ``n_workers`` threads (WORLD and numpy
    release the GIL; each thread keeps one speech worker, which speaks every
    phrase from a fresh synthesiser state) and summed in phrase order, so the
    output does not depend on ``n_workers``.

    Parameters
    ----------
    track : Track
        Vocal track; ``preset`` names a voice (``"voice_low"`` or ``"voice_high"``).
        Notes without lyrics are sung on a neutral vowel. The notes are sung as
        written; :func:`lemm.vocals.register.choose_voice` picks a voice (and an
        octave) that suits a melody.
    score : Score
        Supplies the tempo map.
    sample_rate : int
        Output rate in Hz, 16000..384000.
    seed : int
        Seed of the small pitch fluctuations; same inputs and seed give identical output.
    n_samples : int or None
        Length of the stem; None: until the last note ends plus :data:`TAIL_SECONDS`.
    n_workers : int or None
        Phrases sung in parallel; None: ``min(n_phrases, os.cpu_count())``.

    Returns
    -------
    np.ndarray [shape=(2, n_samples)], float32
        The same mono voice on both channels, aligned to the score's time line.

    Raises
    ------
    ParameterError
        For an unknown voice or a bad rate, seed or length.
    WorkerError
        If the speech worker fails or does not answer in time.
    """
    voice, seed = _checked(track, score, sample_rate, seed, n_samples, n_workers)
    lo, mono, n = _sung(track, score, voice=voice, sample_rate=sample_rate, seed=seed, n_samples=n_samples, n_workers=n_workers)
    if lo == 0 and mono.size == n:
        return np.stack([mono, mono])
    out = np.zeros((2, n), dtype=np.float32)
    out[:, lo : lo + mono.size] = mono
    return out


def sing_track_span(
    track: Track, score: Score, *, sample_rate: int = 48000, seed: int = 0, n_samples: int, n_workers: int | None = None,
) -> tuple[int, np.ndarray]:
    """:func:`sing_track`'s stem where the voice sings: ``(start, audio [shape=(2, m)] float32)``.

    ``audio`` equals ``sing_track(...)[:, start : start + m]`` bit for bit (same
    arguments) and that stem is silent outside it; only the phrases' span is
    allocated (a slice of one section of a long song costs what its phrases cost).
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, int):
        raise ParameterError.for_field("n_samples", n_samples, "an integer >= 0")
    voice, seed = _checked(track, score, sample_rate, seed, n_samples, n_workers)
    lo, mono, _ = _sung(track, score, voice=voice, sample_rate=sample_rate, seed=seed, n_samples=n_samples, n_workers=n_workers)
    return lo, np.stack([mono, mono])


def _checked(track, score, sample_rate, seed, n_samples, n_workers) -> tuple[Voice, int]:
    """The voice and seed of a :func:`sing_track` call, its arguments checked."""
    if not isinstance(track, Track) or not isinstance(score, Score):
        raise ParameterError.for_field("track, score", (type(track).__name__, type(score).__name__), "a Track and a Score")
    voice = _voice(track)
    sample_rate = check_sample_rate(sample_rate, low=SINGING_MIN_SAMPLE_RATE_HZ)
    seed = check_seed(seed)
    if n_samples is not None and (isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 0):
        raise ParameterError.for_field("n_samples", n_samples, "None or an integer >= 0")
    if n_workers is not None and (isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1):
        raise ParameterError.for_field("n_workers", n_workers, "None or an integer >= 1")
    return voice, seed


def _sung(track: Track, score: Score, *, voice: Voice, sample_rate: int, seed: int, n_samples: int | None,
          n_workers: int | None) -> tuple[int, np.ndarray, int]:
    """(lo, the mono voice [shape=(m,)] float32 from song sample lo on, the stem's length): the phrases' span of the stem."""
    phrases = vocal_phrases(track, score)
    if n_samples is None:
        end = max((p.end_seconds for p in phrases), default=0.0)
        n_samples = int(np.ceil((end + TAIL_SECONDS) * sample_rate)) if phrases else 0
    phrases = [p for p in phrases if p.start_seconds * sample_rate < n_samples]

    idle: queue.SimpleQueue = queue.SimpleQueue()  # speech workers between phrases, one per thread at most
    started: list[SpeechWorker] = []

    def speak_now(phrase: Phrase) -> SpokenPhrase:
        try:
            worker = idle.get_nowait()
        except queue.Empty:
            worker = SpeechWorker()
            started.append(worker)
        try:
            return speak_phrase(phrase, worker, voice=voice)
        finally:
            idle.put(worker)

    def speak(phrase: Phrase) -> SpokenPhrase:  # a line sung before (another section, another track) is not spoken again
        return SPOKEN_MEMO.get(_memo_key(phrase, voice), lambda: _read_only(speak_now(phrase)), size=_spoken_bytes)

    def one(phrase: Phrase, spoken: SpokenPhrase) -> tuple[int, np.ndarray]:
        # seeded by the phrase's start (ms), not its index: editing one phrase leaves the others as they were
        rng = make_rng(derive_seed(seed, "vocals", track.name, int(round(phrase.start_seconds * 1000.0))))
        return sing_phrase(phrase, spoken, voice=voice, sample_rate=sample_rate, rng=rng, track=track, score=score)

    unique = {}  # a chorus sung again is spoken and analysed once
    for phrase in phrases:
        unique.setdefault(_phrase_key(phrase), phrase)
    workers = max(1, min(n_workers or (os.cpu_count() or 1), len(phrases)))
    with contextlib.ExitStack() as stack, ThreadPoolExecutor(max_workers=workers) as pool:
        stack.callback(lambda: [w.close() for w in started])
        spoken_futures = {key: pool.submit(speak, p) for key, p in unique.items()}
        spoken = {key: f.result() for key, f in spoken_futures.items()}
        # longest phrases first keeps the workers busy to the end; summed in phrase order
        # below, so the stem is the same whatever the number of workers
        futures = {
            i: pool.submit(one, phrases[i], spoken[_phrase_key(phrases[i])])
            for i in sorted(range(len(phrases)), key=lambda i: phrases[i].start_seconds - phrases[i].end_seconds)
        }
        sung = [futures.pop(i).result() for i in range(len(phrases))]
    sung = [(start, audio[: min(start + audio.size, n_samples) - start]) for start, audio in sung if min(start + audio.size, n_samples) > start]
    lo = min((start for start, _ in sung), default=0)
    out = np.zeros(max((start + audio.size for start, audio in sung), default=lo) - lo, dtype=np.float64)  # the phrases' span only
    for start, audio in sung:  # in phrase order
        out[start - lo : start - lo + audio.size] += audio
    peak = float(np.max(np.abs(out))) if out.size else 0.0
    if peak > 0.99:  # headroom guard; the mixer stages levels
        out *= 0.99 / peak
    return lo, out.astype(np.float32), n_samples
