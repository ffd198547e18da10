"""``lemm bridge DIR``: serve a song folder to DAW companions on 127.0.0.1 until interrupted."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from lemm.bridge.server import BridgeServer, SongFolderBackend, write_token_file

__all__ = ["default_token_file", "register"]


def default_token_file() -> Path:
    """Where the session's port and token go: ``$XDG_RUNTIME_DIR/lemm-bridge``, else ``~/.lemm/bridge``."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    return Path(runtime) / "lemm-bridge" if runtime else Path.home() / ".lemm" / "bridge"


def _cmd_bridge(args: argparse.Namespace) -> int:
    server = BridgeServer(SongFolderBackend(args.dir), host=args.host, port=args.port)
    token_file = write_token_file(args.token_file or default_token_file(), port=server.port, token=server.token)
    print(f"lemm bridge: serving {args.dir} on {args.host}:{server.port}", file=sys.stderr)
    print(f"lemm bridge: token in {token_file} (mode 0600); set LEMM_BRIDGE_FILE={token_file} for the plugin", file=sys.stderr)
    if args.print_token:
        print(server.token, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``bridge`` subcommand to ``lemm``'s subparsers."""
    p = sub.add_parser("bridge", help="serve a song folder to a DAW companion (CLAP plugin, script) on 127.0.0.1")
    p.add_argument("dir", help="a song folder")
    p.add_argument("--host", default="127.0.0.1", help="bind address; only 127.0.0.1 is accepted")
    p.add_argument("--port", type=int, default=0, help="TCP port (default: any free port, written to the token file)")
    p.add_argument("--token-file", default=None, help="where to write port and token (mode 0600); default $XDG_RUNTIME_DIR/lemm-bridge or ~/.lemm/bridge")
    p.add_argument("--print-token", action="store_true", help="also print the token on stdout")
    p.set_defaults(func=_cmd_bridge)
