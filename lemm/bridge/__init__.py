"""lemm.bridge: a loopback, token-protected server for DAW companions (the CLAP plugin, scripts).

- :mod:`lemm.bridge.protocol`: the wire format (length-prefixed JSON + binary frames, version 1).
- :mod:`lemm.bridge.server`: :class:`BridgeServer` on 127.0.0.1 serving one song folder.
- :mod:`lemm.bridge.client`: a Python client.
- :mod:`lemm.bridge.cli`: ``lemm bridge DIR``.

``docs/bridge.md`` describes every message.
"""

from lemm.bridge.protocol import PROTOCOL_VERSION
from lemm.bridge.server import BridgeServer, SongFolderBackend, check_host, new_token, write_token_file

__all__ = ["PROTOCOL_VERSION", "BridgeServer", "SongFolderBackend", "check_host", "new_token", "write_token_file"]
