"""The lemm bridge wire format (version 1): length-prefixed frames of a JSON header and a binary payload.

A frame is::

    u32 big-endian  header_bytes   (1 .. MAX_HEADER_BYTES)
    u32 big-endian  payload_bytes  (0 .. the receiver's payload limit)
    header_bytes    UTF-8 JSON object with a string "type"
    payload_bytes   raw bytes (float32 little-endian interleaved audio, a Standard MIDI File, ...)

No dependency is needed to speak it (the CLAP plugin does it in plain C); see
``docs/bridge.md`` for every message. This module only frames and checks:
what a message means is :mod:`lemm.bridge.server`'s business.

Examples
--------
>>> frame = encode_frame({"type": "ping"}, b"")
>>> frame[:8].hex()
'0000000f00000000'
>>> header_bytes, payload_bytes = frame_sizes(frame[:8])
>>> decode_header(frame[8:8 + header_bytes])
{'type': 'ping'}
"""

from __future__ import annotations

import json
import math
import struct
from typing import Any

from lemm.errors import FileFormatError

__all__ = [
    "MAX_CLIENT_PAYLOAD_BYTES",
    "MAX_HEADER_BYTES",
    "MAX_SERVER_PAYLOAD_BYTES",
    "PROTOCOL_VERSION",
    "ProtocolError",
    "decode_header",
    "encode_frame",
    "field",
    "frame_sizes",
]

#: Version of the protocol spoken; ``hello`` must name it.
PROTOCOL_VERSION = 1
#: Largest JSON header accepted (bytes).
MAX_HEADER_BYTES = 1 << 20
#: Largest payload the server accepts from a client (64 MiB: about 5.8 minutes of stereo float32 guide audio).
MAX_CLIENT_PAYLOAD_BYTES = 64 << 20
#: Largest payload the server sends (a stem: 10 minutes of stereo float32 at 48 kHz is 230 MB).
MAX_SERVER_PAYLOAD_BYTES = 512 << 20

_SIZES = struct.Struct(">II")


class ProtocolError(FileFormatError):
    """A frame or message that breaks the bridge protocol (the message says which rule)."""


def encode_frame(header: dict[str, Any], payload: bytes = b"") -> bytes:
    """One frame: sizes, the header as compact JSON, the payload.

    Raises
    ------
    ProtocolError
        The header is not a JSON object with a string ``type``, or is too large.
    """
    if not isinstance(header, dict) or not isinstance(header.get("type"), str):
        raise ProtocolError(f"a bridge message must be a JSON object with a string \"type\", got {header!r}")
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode("utf-8")
    if len(text) > MAX_HEADER_BYTES:
        raise ProtocolError(f"a bridge message header must be at most {MAX_HEADER_BYTES} bytes, got {len(text)}")
    return _SIZES.pack(len(text), len(payload)) + text + bytes(payload)


def frame_sizes(prefix: bytes, *, max_payload_bytes: int = MAX_CLIENT_PAYLOAD_BYTES) -> tuple[int, int]:
    """``(header_bytes, payload_bytes)`` from a frame's first 8 bytes, checked against the limits.

    Raises
    ------
    ProtocolError
        Not 8 bytes, an empty or too large header, or a too large payload.
    """
    if len(prefix) != _SIZES.size:
        raise ProtocolError(f"a frame starts with 8 size bytes, got {len(prefix)}")
    header_bytes, payload_bytes = _SIZES.unpack(prefix)
    if not 1 <= header_bytes <= MAX_HEADER_BYTES:
        raise ProtocolError(f"frame header size must be in 1..{MAX_HEADER_BYTES}, got {header_bytes}")
    if payload_bytes > max_payload_bytes:
        raise ProtocolError(f"frame payload size must be at most {max_payload_bytes}, got {payload_bytes}")
    return header_bytes, payload_bytes


def decode_header(data: bytes) -> dict[str, Any]:
    """The JSON object of a frame header (checked: UTF-8, an object, a string ``type``, finite numbers).

    Raises
    ------
    ProtocolError
        Anything else.
    """
    try:
        header = json.loads(data.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise ProtocolError(f"frame header must be UTF-8 JSON: {err}") from None
    if not isinstance(header, dict) or not isinstance(header.get("type"), str):
        raise ProtocolError("frame header must be a JSON object with a string \"type\"")
    return header


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number")


def field(header: dict[str, Any], name: str, kind: type | tuple[type, ...], *, default: Any = ..., minimum: float | None = None,
          maximum: float | None = None) -> Any:
    """``header[name]`` checked to be of ``kind`` (bools are not numbers) and within ``minimum..maximum``.

    Raises
    ------
    ProtocolError
        Missing (without a default), of another type, not finite, or out of range; the message names the field.

    Examples
    --------
    >>> field({"type": "x", "tempo_bpm": 120}, "tempo_bpm", (int, float), minimum=1)
    120
    >>> field({"type": "x"}, "seed", int, default=None) is None
    True
    """
    if name not in header:
        if default is ...:
            raise ProtocolError(f"message {header.get('type')!r} needs the field {name!r}")
        return default
    value = header[name]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
        names = "/".join(k.__name__ for k in kinds)
        raise ProtocolError(f"field {name!r} of {header.get('type')!r} must be {names}, got {value!r:.80}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise ProtocolError(f"field {name!r} must be finite, got {value!r}")
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise ProtocolError(f"field {name!r} of {header.get('type')!r} must be in {minimum}..{maximum}, got {value!r}")
    return value
