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

    The master's loudness target and true-peak ceiling are mix settings
    (``lemm.mix.MasterSettings``), stored with the rest of the mix.
    """

    sample_rate: int = 48000
    device: str = "cpu"
    bit_depth: int = 24

    def __post_init__(self) -> None:
        if self.sample_rate not in SAMPLE_RATES:
            raise ParameterError.for_field("render.sample_rate", self.sample_rate, "one of " + ", ".join(map(str, SAMPLE_RATES)))
        if not isinstance(self.device, str) or not (self.device == "cpu" or self.device.startswith("cuda")):
            raise ParameterError.for_field("render.device", self.device, "'cpu' or 'cuda[:N]'")
        if self.bit_depth not in (16, 24):
            raise ParameterError.for_field("render.bit_depth", self.bit_depth, "16 or 24")
