"""Render settings stored in song.json.

Examples
--------
>>> RenderSettings().sample_rate
48000
>>> RenderSettings(sample_rate=1000)
Traceback (most recent call last):
...
lemm.errors.ParameterError: render.sample_rate must be one of 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000, got 1000
"""

from __future__ import annotations

from dataclasses import dataclass

from lemm.errors import ParameterError

__all__ = ["RenderSettings", "SAMPLE_RATES"]

SAMPLE_RATES = (16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000)

@dataclass(frozen=True)
class RenderSettings:
    """How the score becomes audio and the master.

    Parameters
    ----------
    sample_rate : int
        Output sample rate in Hz (stems, mix and master).
    device : str
        Torch device of the synthesizers, ``"cpu"`` or ``"cuda"``.
    bit_depth : int
        PCM bit depth of written WAV files: 16 or 24.
    start_offset_seconds : float
        Silence before bar 1 in every stem, 0..3600 s: a song planned from a guide
        recording starts at the guide's first downbeat (the plan's
        ``start_offset_seconds`` at composition). The score stays in ticks; this
        is where the song meets the guide's time line, in seconds, at render.
    requested_seconds : float or None
        The length the song is asked to have now, in seconds (the lead-in
        included): the render cuts the tail short where it would run more than
        a bar past it (:func:`lemm.render.stems.song_n_samples`). ``None`` (a
        song as composed): the brief's ``duration_seconds``. An edit that
        changes the song's length in time (a tempo, a doubled section) sets it,
        so the brief stays what was asked of the composer.

    The master's loudness target and true-peak ceiling are mix settings
    (``lemm.mix.MasterSettings``), stored with the rest of the mix.
    """

    sample_rate: int = 48000
    device: str = "cpu"
    bit_depth: int = 24
    start_offset_seconds: float = 0.0
    requested_seconds: float | None = None

    def __post_init__(self) -> None:
        if self.sample_rate not in SAMPLE_RATES:
            raise ParameterError.for_field("render.sample_rate", self.sample_rate, "one of " + ", ".join(map(str, SAMPLE_RATES)))
        if not isinstance(self.device, str) or not (self.device == "cpu" or self.device.startswith("cuda")):
            raise ParameterError.for_field("render.device", self.device, "'cpu' or 'cuda[:N]'")
        if self.bit_depth not in (16, 24):
            raise ParameterError.for_field("render.bit_depth", self.bit_depth, "16 or 24")
        offset = self.start_offset_seconds
        if isinstance(offset, bool) or not isinstance(offset, (int, float)) or not 0.0 <= offset < 3600.0:
            raise ParameterError.for_field("render.start_offset_seconds", offset, "a number of seconds in 0..3600")
        asked = self.requested_seconds
        if asked is not None and (isinstance(asked, bool) or not isinstance(asked, (int, float)) or not 0.0 < asked <= 4200.0):
            raise ParameterError.for_field("render.requested_seconds", asked, "null or a number of seconds in 0..4200")

    def length_asked_seconds(self, brief_duration_seconds: float) -> float:
        """The length the song is asked to have now: ``requested_seconds``, else the brief's.

        >>> RenderSettings().length_asked_seconds(30.0), RenderSettings(requested_seconds=27.07).length_asked_seconds(30.0)
        (30.0, 27.07)
        """
        return brief_duration_seconds if self.requested_seconds is None else float(self.requested_seconds)
