"""Edit a song with plain-English instructions: a small, documented grammar, no network.

``parse_instruction(text, song)`` turns "make the drums heavier in the second chorus" into
operations that say what they will do (``op.describe()``); ``apply_operations(song, ops)``
returns the edited Song. A sentence outside the grammar raises :class:`InstructionError`
listing what lemm can do. The grammar: docs/instructions.md; the command: ``lemm edit``.

Examples
--------
>>> from lemm.instruct import CAPABILITIES
>>> "swap TRACK for INSTRUMENT" in CAPABILITIES
True
"""

from lemm.instruct.apply import apply_operations, empty_sections
from lemm.instruct.errors import CAPABILITIES, InstructionError
from lemm.instruct.grammar import parse_instruction
from lemm.instruct.operations import (
    AddPart,
    ChangeGain,
    Intensify,
    MuteTrack,
    Operation,
    Regenerate,
    RemoveNotes,
    RemoveTrack,
    ResizeSections,
    ScaleVelocity,
    SetTempo,
    ShiftBrightness,
    SwapPreset,
    Transpose,
)

__all__ = [
    "parse_instruction", "apply_operations", "empty_sections", "InstructionError", "CAPABILITIES", "Operation",
    "ScaleVelocity", "ChangeGain", "Intensify", "ShiftBrightness", "Regenerate", "Transpose", "ResizeSections",
    "SwapPreset", "RemoveNotes", "RemoveTrack", "MuteTrack", "AddPart", "SetTempo",
]
