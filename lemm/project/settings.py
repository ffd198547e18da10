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

__all__ = ["RenderSettings", "SAMPLE_RATES", "MASTER_TARGETS"]

SAMPLE_RATES = (16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000)

#: Named loudness targets of the master (integrated LUFS, true-peak ceiling dBTP).
MASTER_TARGETS = {
    "streaming": (-14.0, -1.0),
    "apple": (-16.0, -1.0),
    "loud": (-9.0, -1.0),
    "broadcast": (-23.0, -1.0),
}


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
    target_lufs : float
        Integrated loudness of the master, -30..-5 LUFS.
    ceiling_dbtp : float
        True-peak ceiling of the master, -6..-0.1 dBTP.
    """

    sample_rate: int = 48000
    device: str = "cpu"
    bit_depth: int = 24
    target_lufs: float = -14.0
    ceiling_dbtp: float = -1.0

    def __post_init__(self) -> None:
        if self.sample_rate not in SAMPLE_RATES:
            raise ParameterError.for_field("render.sample_rate", self.sample_rate, "one of " + ", ".join(map(str, SAMPLE_RATES)))
        if not isinstance(self.device, str) or not (self.device == "cpu" or self.device.startswith("cuda")):
            raise ParameterError.for_field("render.device", self.device, "'cpu' or 'cuda[:N]'")
        if self.bit_depth not in (16, 24):
            raise ParameterError.for_field("render.bit_depth", self.bit_depth, "16 or 24")
        if not isinstance(self.target_lufs, (int, float)) or not -30.0 <= self.target_lufs <= -5.0:
            raise ParameterError.for_field("render.target_lufs", self.target_lufs, "a number in -30..-5 (LUFS)")
        if not isinstance(self.ceiling_dbtp, (int, float)) or not -6.0 <= self.ceiling_dbtp <= -0.1:
            raise ParameterError.for_field("render.ceiling_dbtp", self.ceiling_dbtp, "a number in -6..-0.1 (dBTP)")
