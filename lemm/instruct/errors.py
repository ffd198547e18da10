"""The refusal of an instruction: what was not understood, and what lemm can do.

Examples
--------
>>> err = InstructionError.refuse("make it sound like a kazoo")
>>> isinstance(err, ValueError), str(err).splitlines()[0]
(True, "lemm did not understand 'make it sound like a kazoo'.")
>>> "transpose" in str(err)
True
"""

from __future__ import annotations

from lemm.errors import ParameterError

__all__ = ["InstructionError", "CAPABILITIES"]

#: The short grammar summary every refusal carries (see docs/instructions.md).
CAPABILITIES = """\
lemm edit understands these instructions (TRACK: a track name, role or instrument such as
"the drums", "strings", "all"; SECTION: "chorus 2", "the second chorus", "the last chorus",
"every chorus", "the bridge", "verse 1"; no section = the whole song):
  make TRACK heavier|lighter|louder|quieter|brighter|darker [in SECTION]   e.g. "make the drums heavier in the second chorus"
  quieter|louder TRACK [in SECTION] [by N dB]                              e.g. "quieter strings in the bridge"
  regenerate TRACK|SECTION [in SECTION] [with seed N]                      e.g. "regenerate the bass in verse 1"
  transpose [TRACK|SECTION] up|down N semitones|a half step|a step|an octave [in SECTION]
                                                                           e.g. "transpose the last chorus up a step"
  double|halve the length of SECTION                                      e.g. "double the chorus length"
  swap TRACK for INSTRUMENT                                                e.g. "swap piano for electric piano"
  remove|mute TRACK [in|from SECTION]                                      e.g. "mute the guitar in the bridge"
  remove|mute the backing vocals [in SECTION] | no backing vocals          e.g. "remove the backing vocals"
  add INSTRUMENT [in SECTION]                                              e.g. "add a cello in the chorus"
  add SONG_PRESET [as INSTRUMENT] [in SECTION]                             e.g. "add my horn as brass"
  set the tempo to N bpm | faster | slower                                 e.g. "a bit slower"
Join several with ";" ("quieter strings; transpose up a step")."""


class InstructionError(ParameterError):
    """An edit instruction lemm cannot carry out; the message says why and what it can do."""

    @classmethod
    def refuse(cls, text: str, reason: str | None = None) -> "InstructionError":
        """The standard refusal: what was not understood (``reason``), then :data:`CAPABILITIES`."""
        head = f"lemm did not understand {text!r}." if reason is None else f"cannot do {text!r}: {reason}."
        return cls(f"{head}\n{CAPABILITIES}")
