"""A short composed song folder and a running bridge on it, shared by the bridge and plugin tests."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def bridge_song(tmp_path_factory, daw_song) -> Path:
    """A copy of the session's composed song folder (tests/conftest.py): the bridge tests regenerate parts in it."""
    import shutil

    folder = tmp_path_factory.mktemp("bridge") / "song"
    shutil.copytree(daw_song[1], folder)
    return folder


@pytest.fixture
def bridge(bridge_song):
    from lemm.bridge.server import BridgeServer, SongFolderBackend

    server = BridgeServer(SongFolderBackend(bridge_song))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()
