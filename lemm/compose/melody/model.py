"""Load the shipped melody transformer and decode pitches for given rhythms under constraints.

The rhythm is given (with lyrics: the lieder rhythm model of :mod:`lemm.compose.melody.rhythm`, one
note per syllable; instrumental: the rule motifs of :mod:`lemm.compose.melody.rules`); the network picks each
note's pitch given the chord, metric position, duration, rest before, syllable boundary,
phrase position, register, mode and the notes so far. Decoding is constrained:

- **range**: pitches outside ``[low, high]`` are masked;
- **key**: out-of-scale pitches are masked on strong beats and phrase ends and otherwise
  allowed at a low rate (``chromatic_rate``, a chromatic passing tone);
- **harmony**: chord tones get a logit bonus on strong beats (``chord_bonus``, half on other
  beats) and at phrase ends; the section's last note prefers the tonic;
- **leaps** larger than an octave are masked;
- **variety**: pitches not sung in the last 16 notes get a logit bonus (``novelty_bonus``; the
  arranger draws one per section, :func:`section_novelty_bonus`), and out-of-key notes stay under a
  share of the notes so far (``chromatic_share``);
- **tonal balance**: the tonic, third and fifth sung more than their lieder share (:data:`DEGREE_SHARES`)
  are damped, sung less favoured (``balance``), and a tonic sung twice in a row is rarely sung a
  third time, so the tonic does not drone while the section's last note still lands on it.

Sampling uses the caller's ``numpy`` generator, so a seed gives the same melody. The network
runs one step per note with a key/value cache on one thread (:func:`_one_thread`).

Examples
--------
>>> from lemm.compose.melody.model import DEFAULT_WEIGHTS
>>> DEFAULT_WEIGHTS.name
'melody_v2.safetensors'
"""

from __future__ import annotations

import contextlib
import functools
import json
from pathlib import Path

import numpy as np
import torch

from lemm.compose.melody.data import LEMM_QUALITY_CLASS
from lemm.compose.melody.network import MelodyNet
from lemm.compose.melody.tokens import (
    FIELDS,
    SECTION_KINDS,
    SYLLABLE_CODES,
    Vocab,
    chord_token,
    key_shift,
    note_fields,
    phrase_counters,
    register_token,
)
from lemm.errors import LemmError

__all__ = ["DEFAULT_WEIGHTS", "DEGREE_SHARES", "NOVELTY_BONUS_RANGE", "LoadedModel", "load_model", "section_novelty_bonus", "PitchDecoder"]

DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "weights" / "melody_v2.safetensors"
#: Share of each scale degree (semitones above the tonic, 0..11) among the vocal notes of the lieder
#: training songs (1,156 songs; key at each note from the score's key signatures), by mode.
#: The degrees the tonal balance watches: tonic, third (major / minor) and fifth.
BALANCED_DEGREES = (np.isin(np.arange(12), (0, 4, 7)).astype(float), np.isin(np.arange(12), (0, 3, 7)).astype(float))
DEGREE_SHARES = {
    "major": (0.153, 0.013, 0.127, 0.022, 0.156, 0.088, 0.025, 0.178, 0.024, 0.110, 0.020, 0.084),
    "minor": (0.161, 0.022, 0.113, 0.119, 0.038, 0.108, 0.023, 0.192, 0.078, 0.036, 0.071, 0.039),
}
#: Range of the per-section novelty bonus (logits), uniform, mean 1.0 (the decoder's default). The lieder
#: differ in how many distinct pitches a 32-note stretch uses (test songs: 9.9 +- 2.1); one fixed bonus
#: gave every section nearly the same count (9.5 +- 1.4), so the benchmark's pitch-count feature fell.
#: Measured with ``benchmarks/melody_eval.py`` (24 songs): pitch-count OA 0.699 -> 0.796 (seed 1),
#: 0.795 -> 0.843 (seed 2); the ranges (0, 2) and (0, 3) gave 0.754 / 0.814 (seed 1) and 0.794 (seed 2).
NOVELTY_BONUS_RANGE = (-1.0, 3.0)
_STRENGTH = {1.0: 0, 0.75: 1, 0.55: 2, 0.3: 3}
_SYLLABIC = {"single": "S", "begin": "B", "middle": "M", "end": "E"}


class LoadedModel:
    """A network in eval mode with its config and REMI vocabulary."""

    def __init__(self, net: MelodyNet, config: dict):
        self.net = net
        self.config = config
        self.vocab = Vocab({k: int(v) for k, v in config["remi_vocab"].items()})
        self.pitch_low = int(config["pitch_low"])
        self.n_pitch = int(config["n_pitch"])
        self.window = int(config["hparams"]["window"])


@functools.lru_cache(maxsize=4)
def _load_cached(path_str: str, mtime_ns: int) -> LoadedModel:  # noqa: ARG001  (mtime_ns is part of the cache key: a changed file loads again)
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path_str)
    cfg_path = path.with_suffix(".json")
    try:
        config = json.loads(cfg_path.read_text())
    except FileNotFoundError:
        raise LemmError(f"melody model config {cfg_path} is missing (it ships beside {path.name})") from None
    except (OSError, ValueError) as exc:
        raise LemmError(f"melody model config {cfg_path} is unreadable: {exc}") from None
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise LemmError(f"melody model weights {path} are corrupt or unreadable: {exc}") from None
    hp = config["hparams"]
    try:
        net = MelodyNet(config["field_sizes"], d_model=hp["d_model"], n_layers=hp["n_layers"], n_heads=hp["n_heads"], d_ff=hp["d_ff"], max_len=hp["window"], n_out=config["n_pitch"], dropout=0.0)
        net.load_state_dict(state)
    except (RuntimeError, KeyError) as exc:
        raise LemmError(f"melody model weights {path} do not match their config {cfg_path.name}: {exc}") from None
    net.eval()
    return LoadedModel(net, config)


def load_model(path: Path | str = DEFAULT_WEIGHTS) -> LoadedModel:
    """Load (once per file version) the melody network from ``path`` and the ``.json`` config beside it.

    Raises
    ------
    LemmError
        When the weights or config file is missing, corrupt or does not match (the message names the file).
    """
    path = Path(path)
    if not path.is_file():
        raise LemmError(f"melody model weights {path} are missing (reinstall lemm or run `python -m lemm.compose.melody.train`)")
    return _load_cached(str(path.resolve()), path.stat().st_mtime_ns)


def section_novelty_bonus(rng: np.random.Generator) -> float:
    """One section's novelty bonus, drawn from :data:`NOVELTY_BONUS_RANGE` with the section's generator.

    A low bonus keeps a section to few pitches (a chant-like verse), a high one spreads it over
    many, as the lieder do from song to song.

    Examples
    --------
    >>> low, high = NOVELTY_BONUS_RANGE
    >>> low <= section_novelty_bonus(np.random.default_rng(0)) <= high
    True
    """
    low, high = NOVELTY_BONUS_RANGE
    return float(rng.uniform(low, high))


@contextlib.contextmanager
def _one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(old)


class PitchDecoder:
    """Decode one section's pitches phrase by phrase, keeping the network's cache between phrases.

    Parameters
    ----------
    ctx : ArrangeContext
    low, high : int
        Inclusive MIDI range.
    kind : str
        Section kind (a :data:`SECTION_KINDS` value, else ``other``).
    rng : np.random.Generator
    previous : int, optional
        The pitch before the section (a smooth join).
    temperature, chromatic_rate, chord_bonus : float
        Sampling temperature; probability factor of an out-of-key note on weak positions;
        logit bonus of chord tones on strong beats (half on other beats).
    novelty_bonus : float
        Logit bonus of pitches not sung in the last ``novelty_window`` notes (a presence penalty in reverse:
        the lieder use more distinct pitches per phrase than the network samples under the constraints);
        a negative bonus favours the pitches just sung.
    novelty_window : int
    chromatic_share : float
        Most out-of-key notes as a share of the decoder's notes so far (one is allowed from the start):
        the section's scale consistency stays near ``1 - chromatic_share`` or above.
    chromatic_on_beats : bool
        Also allow out-of-key notes (shorter than a beat) on weak beats, not only between beats.
    balance : float
        Tonal balance: once ``balance_after`` notes are sung, the tonic, third or fifth sung more often
        than its share in the lieder (:data:`DEGREE_SHARES`, major or minor) loses up to ``2 * balance``
        of logit (and one sung less gains up to ``balance``), so the tonic does not drone; the section's
        last note still prefers the tonic (the cadence lands). 0 turns it off.
    balance_after : int
    """

    def __init__(self, ctx, *, low: int, high: int, kind: str, rng: np.random.Generator, previous: int | None = None,
                 temperature: float = 1.3, chromatic_rate: float = 0.5, chord_bonus: float = 0.7, chromatic_on_beats: bool = True,
                 chromatic_share: float = 0.03, novelty_bonus: float = 1.0, novelty_window: int = 16, model: LoadedModel | None = None,
                 balance: float = 1.0, balance_after: int = 6):
        self.m = model or load_model()
        self.ctx, self.low, self.high, self.rng = ctx, low, high, rng
        self.shift = key_shift(ctx.tonic_pc)
        self.minor = (ctx.tonic_pc + 3) % 12 in ctx.scale_pcs
        self.section = 1 + SECTION_KINDS.index(kind if kind in SECTION_KINDS else "other")
        self.register = register_token((low + high) / 2.0 + self.shift - 2)
        self.temperature, self.chromatic_rate, self.chord_bonus = temperature, chromatic_rate, chord_bonus
        self.chromatic_on_beats = chromatic_on_beats
        self.chromatic_share = chromatic_share
        self.novelty_bonus, self.novelty_window = novelty_bonus, novelty_window
        self.recent: list[int] = []
        self.balance, self.balance_after = float(balance), int(balance_after)
        self.degree_counts = np.zeros(12)
        self.degree_target = np.asarray(DEGREE_SHARES["minor" if self.minor else "major"])
        self._chromatic_credit = 1.0
        self.scale = set(ctx.scale_pcs)
        self.prev = previous
        self.prev_end: int | None = None
        self.history: list[np.ndarray] = []
        self.caches: list[list] = []
        self.pos = 0

    def _fields(self, rhythm, syllables) -> np.ndarray:
        ctx, v, res = self.ctx, self.m.vocab, self.ctx.resolution
        n = len(rhythm)
        cols = {f: np.zeros(n, dtype=np.int64) for f in FIELDS}
        prev_end = self.prev_end
        for i, (t, d) in enumerate(rhythm):
            cols["position"][i] = v.position(t % ctx.bar_ticks, res)
            cols["strength"][i] = _STRENGTH.get(ctx.metric_weight(t), 4)
            cols["duration"][i] = v.duration(d, res)
            cols["rest"][i] = v.rest(t - prev_end, res) if prev_end is not None else v.pad
            prev_end = t + d
            ch = ctx.chord_at(t).chord
            cols["chord"][i] = chord_token(ch.root_pc, LEMM_QUALITY_CLASS.get(ch.quality, 0), ctx.tonic_pc)
            cols["syllable"][i] = SYLLABLE_CODES[_SYLLABIC.get(syllables[i], "S")] if syllables is not None and i < len(syllables) and syllables[i] else (SYLLABLE_CODES["-"] if syllables is not None else 5)
        cols["mode"][:] = int(self.minor)
        cols["phrase_pos"], cols["phrase_left"] = phrase_counters([t for t, _ in rhythm], [d for _, d in rhythm], gap_ticks=res // 2)
        cols["phrase_left"][-1] = 0
        cols["register"][:] = self.register
        cols["section"][:] = self.section
        return note_fields(**cols)

    def _logits(self, row: np.ndarray) -> np.ndarray:
        if self.pos >= self.m.window:  # slide: re-read the last half window from a fresh cache
            keep = [h.copy() for h in self.history[-(self.m.window // 2):]]
            keep[0][0] = self.m.vocab.bos
            self.caches = [[] for _ in self.m.net.blocks]
            self.pos = 0
            x = torch.from_numpy(np.stack(keep)[None])
            self.m.net.step(x, self.caches, 0)
            self.pos = len(keep)
        x = torch.from_numpy(row[None, None])
        out = self.m.net.step(x, self.caches, self.pos)
        self.pos += 1
        return out[0, -1].numpy().astype(np.float64)

    def _start(self) -> None:
        if not self.caches:
            self.caches = [[] for _ in self.m.net.blocks]

    def phrase(self, rhythm, *, syllables=None, final: bool = False, forced: list[int] | None = None) -> list[int]:
        """Pitches for one phrase ``rhythm`` (``(start_tick, duration_ticks)`` pairs); ``forced`` feeds given pitches instead."""
        if not rhythm:
            return []
        self._start()
        rows = self._fields(rhythm, syllables)
        out: list[int] = []
        ctx = self.ctx
        lo_n = self.low + self.shift - self.m.pitch_low
        hi_n = self.high + self.shift - self.m.pitch_low
        cand = np.arange(self.m.n_pitch) + self.m.pitch_low - self.shift  # real MIDI pitch per class
        cand_pc = cand % 12
        in_scale = np.isin(cand_pc, sorted(self.scale))
        with torch.no_grad(), _one_thread():
            for i, (t, d) in enumerate(rhythm):
                row = rows[i].copy()
                row[0] = self.m.vocab.pitch(self.prev + self.shift) if self.prev is not None else self.m.vocab.bos
                logits = self._logits(row)
                self.history.append(row)
                if forced is not None:
                    p = int(forced[i])
                else:
                    strength = int(row[FIELDS.index("strength")])
                    last = i == len(rhythm) - 1
                    chord = ctx.chord_at(t).chord
                    chord_mask = np.isin(cand_pc, chord.pitch_classes)
                    z = logits / self.temperature
                    allowed = np.zeros(len(cand), dtype=bool)
                    allowed[max(lo_n, 0): max(min(hi_n + 1, len(cand)), 0)] = True
                    if self.prev is not None:
                        allowed &= np.abs(cand - self.prev) <= 12
                    if strength <= (1 if self.chromatic_on_beats else 2) or last or d >= ctx.beat_ticks or self._chromatic_credit < 1.0:
                        allowed &= in_scale
                    else:
                        z = z + np.where(in_scale, 0.0, np.log(self.chromatic_rate))
                        if self.prev is not None:  # a chromatic note is a passing / neighbour tone: a step from the last
                            allowed &= in_scale | (np.abs(cand - self.prev) <= 2)
                    if strength <= 1 or last:
                        z = z + np.where(chord_mask, self.chord_bonus, 0.0)
                    elif strength == 2:
                        z = z + np.where(chord_mask, self.chord_bonus / 2, 0.0)
                    if self.novelty_bonus and self.recent:
                        z = z + np.where(np.isin(cand, self.recent[-self.novelty_window:]), 0.0, self.novelty_bonus)
                    if self.balance and self.degree_counts.sum() >= self.balance_after:
                        share = self.degree_counts / self.degree_counts.sum()
                        target = self.degree_target
                        excess = np.clip((share - target) / (target + 0.02), -1.0, 2.0) * BALANCED_DEGREES[int(self.minor)]
                        z = z - self.balance * excess[(cand - ctx.tonic_pc) % 12]
                    if len(self.recent) >= 2 and self.recent[-1] == self.recent[-2] and self.recent[-1] % 12 == ctx.tonic_pc:
                        z = z + np.where(cand == self.recent[-1], -2.0, 0.0)  # no drone: a third tonic in a row is rare
                    if last and final:
                        z = z + np.where(cand % 12 == ctx.tonic_pc, 2.0, 0.0)
                    if not allowed.any():
                        allowed[max(lo_n, 0): max(min(hi_n + 1, len(cand)), 1)] = True
                    z = np.where(allowed, z, -np.inf)
                    z = z - z.max()
                    prob = np.exp(z)
                    prob /= prob.sum()
                    p = int(cand[int(self.rng.choice(len(cand), p=prob))])
                out.append(p)
                self.recent.append(p)
                self.degree_counts[(p - ctx.tonic_pc) % 12] += 1
                self._chromatic_credit += self.chromatic_share - (0.0 if p % 12 in self.scale else 1.0)
                self.prev = p
                self.prev_end = t + d
        return out
