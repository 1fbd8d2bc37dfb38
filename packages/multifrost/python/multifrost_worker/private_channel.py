"""The private spawn channel's leftovers, when the parent that made it died without closing.

A Multifrost parent hands a spawned worker `MULTIFROST_ENDPOINT=ipc://<tmp>/multifrost-XXXXXX/w.sock`,
a socket in a folder made 0700 for that one spawn (docs/security.md). A parent killed by SIGKILL
cannot remove it, and this worker is the last process that knows where it is. Only that exact
shape is touched (a socket named w.sock in a multifrost-XXXXXX folder of the temp dir), and rmdir refuses a folder that holds anything else, so nothing but the socket
and its empty folder can go.
"""
from __future__ import annotations

import os
import re
import stat
import tempfile

_FOLDER = re.compile(r"multifrost-[A-Za-z0-9]{6}")


def remove_orphaned_channel(endpoint: str) -> None:
    if not endpoint.startswith("ipc://"):
        return
    socket_path = endpoint[len("ipc://"):]
    folder = os.path.dirname(socket_path)
    if os.path.basename(socket_path) != "w.sock" or not _FOLDER.fullmatch(os.path.basename(folder)):
        return
    try:
        # The parent makes it in its temp dir, or in /tmp when that one is unusable.
        if os.path.realpath(os.path.dirname(folder)) not in {os.path.realpath(d) for d in (tempfile.gettempdir(), "/tmp")}:
            return
        if not stat.S_ISSOCK(os.lstat(socket_path).st_mode):
            return
        os.unlink(socket_path)
        os.rmdir(folder)
    except OSError:
        pass  # already gone, or not ours to remove: either way there is nothing more to do
