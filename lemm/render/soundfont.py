"""A SoundFont player for references: single notes for fitting, whole MIDI files for benchmarks.

Optional: needs ``tinysoundfont`` (MIT; ``pip install "lemm[soundfont]"``, or
``pip install --no-deps tinysoundfont``, its PyAudio dependency is only for
live playback) and a SoundFont such as FluidR3_GM (MIT; Debian package
``fluid-soundfont-gm``, ``/usr/share/sounds/sf2/FluidR3_GM.sf2``). Nothing
in lemm's rendering needs either: they make the fitted presets and the
acoustic kit's samples, and time the baseline in ``benchmarks/render.py``.

Examples
--------
>>> PRESET_PROGRAMS["acoustic_piano"], PRESET_PROGRAMS["flute"]
(0, 73)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lemm.errors import DependencyError, LemmFileNotFoundError, ParameterError
from lemm.score.instruments import INSTRUMENTS

__all__ = ["DEFAULT_SOUNDFONT", "PRESET_PROGRAMS", "SoundFontPlayer", "find_soundfont", "require_tinysoundfont"]

#: Where Debian's fluid-soundfont-gm puts FluidR3_GM.
DEFAULT_SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")

#: General MIDI program each pitched lemm preset is fitted to (from :data:`lemm.score.instruments.INSTRUMENTS`).
PRESET_PROGRAMS = {name: info.program for name, info in INSTRUMENTS.items() if info.kind == "pitched"}


def require_tinysoundfont():
    """Import and return the ``tinysoundfont`` module, or raise DependencyError with the install hint."""
    try:
        import tinysoundfont
    except ImportError as err:
        raise DependencyError('the SoundFont player needs tinysoundfont: pip install "lemm[soundfont]" (or pip install --no-deps tinysoundfont)') from err
    return tinysoundfont


def find_soundfont(path: str | Path | None = None) -> Path:
    """The SoundFont file to use: ``path``, or FluidR3_GM where Debian installs it.

    Raises
    ------
    LemmFileNotFoundError
        If the file does not exist (the message says how to install FluidR3_GM).
    """
    p = Path(path) if path is not None else DEFAULT_SOUNDFONT
    if not p.is_file():
        raise LemmFileNotFoundError(f"SoundFont {str(p)!r} not found; install FluidR3_GM with `apt-get install fluid-soundfont-gm` or pass its path")
    return p


class SoundFontPlayer:
    """A loaded SoundFont that renders single notes and MIDI files to float32 arrays.

    Parameters
    ----------
    path : str or Path, optional
        SoundFont file (default :data:`DEFAULT_SOUNDFONT`).
    sample_rate : int
    """

    def __init__(self, path: str | Path | None = None, *, sample_rate: int = 48000) -> None:
        tsf = require_tinysoundfont()
        self.path = find_soundfont(path)
        self.sample_rate = int(sample_rate)
        self._tsf = tsf
        self._synth = tsf.Synth(samplerate=self.sample_rate)
        self._sfid = self._synth.sfload(str(self.path))

    def _generate(self, n_samples: int) -> np.ndarray:
        if n_samples <= 0:
            return np.zeros((2, 0), np.float32)
        buf = self._synth.generate(int(n_samples))
        return np.frombuffer(buf, dtype=np.float32).reshape(-1, 2).T.copy()

    def note(
        self, *, program: int, pitch: int, velocity: int, gate_seconds: float, tail_seconds: float, is_drum: bool = False, bend_semitones: float = 0.0
    ) -> np.ndarray:
        """One note from silence: held ``gate_seconds``, then ``tail_seconds`` after note-off.

        ``bend_semitones`` (-12..12) plays key ``pitch`` with the pitch wheel
        held that far: the SoundFont's sample for ``pitch``, transposed the way
        a sampler does it (looped sustain, the same envelope), not the sample it
        would pick for the sounding pitch.

        Returns
        -------
        np.ndarray [shape=(2, round((gate_seconds + tail_seconds) * sample_rate))], float32
        """
        for field, value, low, high in (("program", program, 0, 127), ("pitch", pitch, 0, 127), ("velocity", velocity, 1, 127)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
                raise ParameterError.for_field(field, value, f"an integer in {low}..{high}")
        if isinstance(bend_semitones, bool) or not isinstance(bend_semitones, (int, float)) or not -12.0 <= bend_semitones <= 12.0:
            raise ParameterError.for_field("bend_semitones", bend_semitones, "a number of semitones in -12..12")
        s = self._synth
        s.sounds_off()
        self._generate(256)
        chan = 9 if is_drum else 0
        s.program_select(chan, self._sfid, 128 if is_drum else 0, int(program), is_drum)
        s.pitchbend_range(chan, 12.0)
        s.pitchbend(chan, int(round(np.clip(8192 + bend_semitones / 12.0 * 8192, 0, 16383))))
        s.noteon(chan, int(pitch), int(velocity))
        n_gate = int(round(gate_seconds * self.sample_rate))
        held = self._generate(n_gate)
        s.noteoff(chan, int(pitch))
        tail = self._generate(int(round((gate_seconds + tail_seconds) * self.sample_rate)) - n_gate)
        s.pitchbend(chan, 8192)
        return np.concatenate([held, tail], axis=1)

    def midi(self, midi_path: str | Path, *, tail_seconds: float = 2.0) -> np.ndarray:
        """Render a MIDI file (as its programs ask; channel 10 as drums) to [shape=(2, n_samples)] float32."""
        from tinysoundfont.midi import load as midi_load  # noqa: PLC0415

        s = self._tsf.Synth(samplerate=self.sample_rate)
        sfid = s.sfload(str(self.path))
        for chan in range(16):
            s.program_select(chan, sfid, 128 if chan == 9 else 0, 0, chan == 9)
        seq = self._tsf.Sequencer(s)
        events = midi_load(str(midi_path))
        seq.add(events)
        end = max((e.t for e in events), default=0.0) + tail_seconds
        buf = s.generate(int(round(end * self.sample_rate)))
        return np.frombuffer(buf, dtype=np.float32).reshape(-1, 2).T.copy()
