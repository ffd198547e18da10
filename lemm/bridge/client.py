"""A small Python client of the lemm bridge (for scripts and tests; the CLAP plugin speaks the same frames in C).

Examples
--------
>>> client = BridgeClient.connect(port=1, token="x" * 32)  # doctest: +SKIP
>>> client.request({"type": "render", "track": "bass"})      # doctest: +SKIP
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any, Self

import numpy as np

from lemm.bridge.protocol import MAX_SERVER_PAYLOAD_BYTES, PROTOCOL_VERSION, ProtocolError, decode_header, encode_frame, frame_sizes
from lemm.bridge.server import LOOPBACK_HOST
from lemm.errors import FileFormatError, LemmFileNotFoundError

__all__ = ["BridgeClient", "read_token_file", "stem_audio"]


def read_token_file(path: str | Path) -> tuple[int, str]:
    """``(port, token)`` from a file written by :func:`lemm.bridge.server.write_token_file`.

    Raises
    ------
    LemmFileNotFoundError, FileFormatError
    """
    p = Path(path)
    if not p.is_file():
        raise LemmFileNotFoundError(f"bridge token file does not exist: {str(p)!r}")
    values = dict(line.split(" ", 1) for line in p.read_text(encoding="ascii").splitlines() if " " in line)
    try:
        return int(values["port"]), values["token"].strip()
    except (KeyError, ValueError):
        raise FileFormatError(f"bridge token file {str(p)!r} must hold \"port N\" and \"token T\" lines") from None


def stem_audio(header: dict[str, Any], payload: bytes) -> np.ndarray:
    """A ``stem`` message's audio: [shape=(channels, frames)] float32."""
    channels = int(header["channels"])
    return np.frombuffer(payload, dtype="<f4").reshape(-1, channels).T.copy()


class BridgeClient:
    """One connection to a bridge: :meth:`send` frames, :meth:`receive` them."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.welcome: dict[str, Any] | None = None

    @classmethod
    def connect(cls, *, port: int, token: str, client: str = "lemm-python", timeout_seconds: float = 60.0) -> BridgeClient:
        """Connect to 127.0.0.1:``port`` and say ``hello``; :attr:`welcome` holds the answer (or the error)."""
        sock = socket.create_connection((LOOPBACK_HOST, port), timeout=timeout_seconds)
        self = cls(sock)
        self.send({"type": "hello", "protocol": PROTOCOL_VERSION, "token": token, "client": client})
        self.welcome, _ = self.receive()
        return self

    def send(self, header: dict[str, Any], payload: bytes = b"") -> None:
        self.sock.sendall(encode_frame(header, payload))

    def receive(self) -> tuple[dict[str, Any], bytes]:
        """The next frame from the bridge; ProtocolError when the connection closed."""
        prefix = self._exact(8)
        header_bytes, payload_bytes = frame_sizes(prefix, max_payload_bytes=MAX_SERVER_PAYLOAD_BYTES)
        body = self._exact(header_bytes + payload_bytes)
        return decode_header(body[:header_bytes]), body[header_bytes:]

    def request(self, header: dict[str, Any], payload: bytes = b"", *, replies: int = 1) -> list[tuple[dict[str, Any], bytes]]:
        """Send one message and read ``replies`` frames (fewer if an error comes first)."""
        self.send(header, payload)
        out = []
        for _ in range(replies):
            out.append(self.receive())
            if out[-1][0].get("type") == "error":
                break
        return out

    def _exact(self, n: int) -> bytes:
        chunks, got = [], 0
        while got < n:
            chunk = self.sock.recv(min(n - got, 1 << 20))
            if not chunk:
                raise ProtocolError("the bridge closed the connection")
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
