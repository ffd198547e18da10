"""The data set's options and each song's brief and split, as pure functions of (seed, index).

Song ``index`` of a data set with seed ``seed`` draws its brief (genre, mood
word, tempo inside the genre's range, lyrics or instrumental, length) from
``numpy.random.default_rng(SeedSequence([seed, index]).spawn(2)[0])`` and its
split from the second child stream, so any song can be remade alone, on any
machine, in any order. Its lemm seed is ``(derive_seed(seed, "lemm.dataset")
+ index) mod 2**32``: distinct for every index of a data set, so no two songs
(and so no two splits) share a seed.

Examples
--------
>>> options = DatasetOptions(seed=7, duration_seconds=(10.0, 10.0), genres=("pop",), sample_rate=16000)
>>> brief = song_brief(options, 3)
>>> brief == song_brief(options, 3), brief.tags, brief.duration_seconds
(True, ('pop',), 10.0)
>>> song_split(options, 3) in SPLITS
True
>>> parse_duration_range("0:30-1:00")
(30.0, 60.0)
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import numpy as np

from lemm.compose.brief import Brief, parse_duration
from lemm.compose.profiles import list_genres, load_profile
from lemm.errors import ParameterError
from lemm.render.settings import RenderSettings
from lemm.seeding import check_seed, derive_seed

__all__ = [
    "AUDIO_FORMATS",
    "SPLITS",
    "SPLIT_FRACTIONS",
    "DatasetOptions",
    "parse_duration_range",
    "song_brief",
    "song_id",
    "song_seed",
    "song_split",
]

#: The splits and the share of songs in each (drawn per song, so the shares hold on average).
SPLITS = ("train", "validation", "test")
SPLIT_FRACTIONS = (0.8, 0.1, 0.1)
AUDIO_FORMATS = ("flac", "wav")

#: Mood words the briefs draw from (each is in :data:`lemm.compose.vocabulary.MOODS`), or none.
_MOOD_WORDS = ("dark", "sad", "happy", "uplifting", "dreamy", "aggressive", "chill", "epic", "romantic", "melancholic",
               "energetic", "calm", "mysterious", "nostalgic", "hopeful")
#: Share of songs that are sung (the rest are instrumental).
_SUNG_FRACTION = 0.5
#: Words of the generated lyrics (plain, common, one or two syllables).
_LYRIC_WORDS = (
    "love", "night", "light", "heart", "home", "road", "rain", "sun", "sky", "fire", "dream", "time", "away", "again",
    "city", "river", "morning", "shadow", "golden", "ocean", "dancing", "running", "falling", "open", "hold", "stay",
    "go", "we", "you", "i", "are", "were", "all", "my", "your", "the", "in", "on", "through", "under", "never", "always",
    "tonight", "forever", "slowly", "sing", "burn", "shine", "remember", "window", "summer", "winter", "wild", "free",
)


@dataclass(frozen=True)
class DatasetOptions:
    """Everything a song depends on besides its index (stored in the data set's ``dataset.json``).

    Parameters
    ----------
    seed : int
        The data set's seed, 0..2**32-1.
    duration_seconds : tuple[float, float]
        Shortest and longest song length in seconds (each 10..600); each song's
        length is drawn in whole seconds between them.
    genres : tuple[str, ...]
        Genre profiles to draw from (default: every profile lemm ships).
    sample_rate : int
        Hz, one of :data:`lemm.render.settings.SAMPLE_RATES`.
    audio_format : str
        ``"flac"`` or ``"wav"`` (both 24-bit PCM).
    """

    seed: int = 0
    duration_seconds: tuple[float, float] = (30.0, 30.0)
    genres: tuple[str, ...] = ()
    sample_rate: int = 44100
    audio_format: str = "flac"

    def __post_init__(self) -> None:
        check_seed(self.seed)
        low, high = self.duration_seconds
        parse_duration(low), parse_duration(high)
        if low > high:
            raise ParameterError.for_field("duration", f"{low}-{high}", "a range whose first length is not longer than its second")
        known = tuple(list_genres())
        if not self.genres:
            object.__setattr__(self, "genres", known)
        for genre in self.genres:
            if genre not in known:
                raise ParameterError.for_field("genres item", genre, "one of " + ", ".join(known))
        if len(set(self.genres)) != len(self.genres):
            raise ParameterError.for_field("genres", ",".join(self.genres), "genres without repeats")
        RenderSettings(sample_rate=self.sample_rate)
        if self.audio_format not in AUDIO_FORMATS:
            raise ParameterError.for_field("format", self.audio_format, "flac or wav")
        object.__setattr__(self, "duration_seconds", (float(low), float(high)))
        object.__setattr__(self, "genres", tuple(self.genres))

    def to_dict(self) -> dict:
        """Plain JSON data (lists for tuples)."""
        d = asdict(self)
        d["duration_seconds"] = list(self.duration_seconds)
        d["genres"] = list(self.genres)
        return d

    @classmethod
    def from_dict(cls, data: dict) -> DatasetOptions:
        """The options from :meth:`to_dict` data."""
        try:
            return cls(seed=data["seed"], duration_seconds=tuple(data["duration_seconds"]), genres=tuple(data["genres"]),
                       sample_rate=data["sample_rate"], audio_format=data["audio_format"])
        except (KeyError, TypeError, ValueError) as err:
            raise ParameterError(f"dataset options must hold seed, duration_seconds, genres, sample_rate, audio_format: {err}") from None


def parse_duration_range(text: str | float | tuple) -> tuple[float, float]:
    """``"0:30"`` -> (30, 30); ``"0:30-1:00"`` or ``"30..60"`` -> (30, 60); each end 0:10..10:00.

    Raises
    ------
    ParameterError
        For anything else (naming the text and what is accepted).
    """
    if isinstance(text, tuple):
        low, high = (parse_duration(t) for t in text)
    else:
        parts = re.split(r"\s*(?:\.\.|-)\s*", str(text).strip()) if not isinstance(text, (int, float)) else [text]
        if len(parts) not in (1, 2):
            raise ParameterError.for_field("duration", text, 'a length like "0:30" or a range like "0:30-1:00"')
        low, high = parse_duration(parts[0]), parse_duration(parts[-1])
    if low > high:
        raise ParameterError.for_field("duration", text, "a range whose first length is not longer than its second")
    return low, high


def song_id(index: int) -> str:
    """The folder name of song ``index``: ``song_000042``."""
    return f"song_{int(index):06d}"


def song_seed(options: DatasetOptions, index: int) -> int:
    """The lemm seed of song ``index``: distinct for every index below 2**32."""
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= int(index) < 2**32:
        raise ParameterError.for_field("index", index, "an integer in 0..4294967295")
    return (derive_seed(options.seed, "lemm.dataset") + int(index)) % 2**32


def _streams(options: DatasetOptions, index: int) -> list[np.random.Generator]:
    song_seed(options, index)  # checks the index
    return [np.random.default_rng(s) for s in np.random.SeedSequence([options.seed, int(index)]).spawn(2)]


def _lyrics(rng: np.random.Generator) -> str:
    stanzas = []
    for _ in range(int(rng.integers(1, 3))):
        lines = []
        for _ in range(int(rng.integers(2, 5))):
            words = rng.choice(len(_LYRIC_WORDS), size=int(rng.integers(3, 7)))
            lines.append(" ".join(_LYRIC_WORDS[w] for w in words).capitalize())
        stanzas.append("\n".join(lines))
    return "\n\n".join(stanzas)


def song_brief(options: DatasetOptions, index: int) -> Brief:
    """The brief of song ``index`` (genre tag, prompt words, lyrics or none, length, seed).

    The prompt names a mood word (or none) and a tempo drawn in whole bpm
    inside the genre profile's tempo range; an unsung song says "instrumental".
    """
    rng = _streams(options, index)[0]
    genre = options.genres[int(rng.integers(len(options.genres)))]
    low_bpm, high_bpm = load_profile(genre).tempo_bpm
    tempo_bpm = int(rng.integers(int(np.ceil(low_bpm)), int(np.floor(high_bpm)) + 1))
    mood = int(rng.integers(len(_MOOD_WORDS) + 1))
    low, high = options.duration_seconds
    duration = float(rng.integers(int(np.ceil(low)), int(np.floor(high)) + 1)) if high > low else low
    sung = bool(rng.random() < _SUNG_FRACTION)
    words = ([_MOOD_WORDS[mood]] if mood < len(_MOOD_WORDS) else []) + [genre, "song,", f"{tempo_bpm} bpm"]
    words.insert(0, "an" if words[0][0] in "aeiou" else "a")
    if not sung:
        words[-1] += ","
        words.append("instrumental")
    return Brief(prompt=" ".join(words), tags=(genre,), lyrics=_lyrics(rng) if sung else None, duration_seconds=duration,
                 seed=song_seed(options, index))


def song_split(options: DatasetOptions, index: int) -> str:
    """The split of song ``index``: train, validation or test (:data:`SPLIT_FRACTIONS`)."""
    u = _streams(options, index)[1].random()
    edges = np.cumsum(SPLIT_FRACTIONS)
    return SPLITS[min(int(np.searchsorted(edges, u, side="right")), len(SPLITS) - 1)]
