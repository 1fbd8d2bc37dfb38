"""Connect mode: a Python service's console output also goes, as `stdout`/`stderr` messages, to the parents that asked.

The rules are our TypeScript child's (docs/protocol.md, `metadata.mf_output`): a peer subscribes with
`mf_output: true` on a heartbeat or call and leaves with `false`; merely talking to the service
subscribes nobody. Newcomers never evict: past the cap a new opt-in is refused (and counted). A
ROUTER is not told which peer went away, so a subscriber silent for 30 s is dropped. Each line goes
out in the app id (v3 or v4) of that subscriber's last message, one message per line.

Handlers print from any thread, but the socket belongs to the worker's loop thread: the patched
streams only queue complete lines (bounded, dropping with a count rather than growing) and wake
that thread, which turns them into messages when it drains.
"""
from __future__ import annotations

import sys
import threading
import time
from collections import deque
from typing import Any, Callable, Deque, Dict, List, TextIO, Tuple

from .messages import make_message

# Each is one parent process; a full set refuses newcomers rather than evicting.
DEFAULT_MAX_SUBSCRIBERS = 1024
# Six default heartbeat intervals: a live parent is never dropped for a late beat or two.
DEFAULT_IDLE_SECONDS = 30.0
# Lines waiting for the loop thread; a handler printing in a tight loop must not grow memory without end.
DEFAULT_MAX_QUEUED_LINES = 10_000
OPT_IN_KEY = "mf_output"


class OutputForwarder:
    """Subscribers are read and written only on the loop thread; the line queue is shared under a lock."""

    def __init__(self, wake: Callable[[], None], max_subscribers: int = DEFAULT_MAX_SUBSCRIBERS,
                 idle_seconds: float = DEFAULT_IDLE_SECONDS, max_queued_lines: int = DEFAULT_MAX_QUEUED_LINES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._wake = wake
        self._max_subscribers = max_subscribers
        self._idle = idle_seconds
        self._clock = clock
        # routing id -> [app id of its last message, when we last heard from it]
        self._subscribers: Dict[bytes, List[Any]] = {}
        self._lines: Deque[Tuple[str, str]] = deque()
        self._max_lines = max_queued_lines
        self._lock = threading.Lock()
        self._streams: List[Tuple[str, "_LineForwardingStream"]] = []
        self.refused = 0  # opt-ins turned away because the set was full: a flood shows, not silently
        self.dropped = 0  # lines lost because the queue was full

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def note_message(self, peer: bytes, message: Dict[str, Any]) -> None:
        """Every message from a peer (loop thread): applies an opt-in or opt-out and keeps a subscriber alive."""
        meta = message.get("metadata")
        wish = meta.get(OPT_IN_KEY) if isinstance(meta, dict) else None
        if wish is False:
            self._subscribers.pop(peer, None)
            return
        now = self._clock()
        known = self._subscribers.get(peer)
        if known is not None:
            known[0], known[1] = message["app"], now
            return
        # A heartbeat reply is a peer echoing us, not asking for anything.
        if wish is not True or (isinstance(meta, dict) and meta.get("hb_response") is True):
            return
        if len(self._subscribers) >= self._max_subscribers:
            self._drop_idle(now)
            if len(self._subscribers) >= self._max_subscribers:
                self.refused += 1
                return
        self._subscribers[peer] = [message["app"], now]

    def queue_line(self, stream: str, line: str) -> None:
        """Any thread: one complete line, without its line end."""
        # Read without the loop thread's help: at worst one line races a first opt-in and is skipped.
        if not self._subscribers:
            return
        with self._lock:
            if len(self._lines) >= self._max_lines:
                self.dropped += 1
                return
            self._lines.append((stream, line))
        self._wake()

    @property
    def pending(self) -> bool:
        """Lines are waiting (a hint read without the lock: a line added right after is sent next time)."""
        return bool(self._lines)

    def drain(self) -> List[Tuple[bytes, Dict[str, Any]]]:
        """Loop thread: the queued lines as (routing id, message) pairs, one per line per live subscriber."""
        with self._lock:
            if not self._lines:
                return []
            lines = list(self._lines)
            self._lines.clear()
        self._drop_idle(self._clock())
        return [
            (peer, make_message(app, stream, output=line))
            for stream, line in lines
            for peer, (app, _) in self._subscribers.items()
        ]

    def install(self) -> None:
        if self._streams:
            return
        for name in ("stdout", "stderr"):
            original = getattr(sys, name)
            if original is None:  # pythonw and some embedders have no console streams
                continue
            patched = _LineForwardingStream(original, name, self.queue_line)
            setattr(sys, name, patched)
            self._streams.append((name, patched))

    def uninstall(self) -> None:
        for name, patched in self._streams:
            # Someone who replaced the stream after us keeps theirs; ours just stops forwarding.
            patched.forwarding = False
            if getattr(sys, name) is patched:
                setattr(sys, name, patched.original)
        self._streams.clear()

    def _drop_idle(self, now: float) -> None:
        oldest = now - self._idle
        for peer in [p for p, (_, seen) in self._subscribers.items() if seen < oldest]:
            del self._subscribers[peer]


class _LineForwardingStream:
    """Writes through to the original stream and hands each complete, non-blank line to `on_line`."""

    def __init__(self, original: TextIO, name: str, on_line: Callable[[str, str], None]) -> None:
        self.original = original
        self.forwarding = True
        self._name = name
        self._on_line = on_line
        self._partial = ""
        # Re-entrant: a signal handler may print while this thread is inside write().
        self._lock = threading.RLock()

    def write(self, text: str) -> int:
        with self._lock:
            written = self.original.write(text)
            if not self.forwarding or not isinstance(text, str):
                return written
            self._partial += text
            if "\n" not in self._partial:
                return written
            *lines, self._partial = self._partial.split("\n")
        for line in lines:
            line = line[:-1] if line.endswith("\r") else line
            if line:
                self._on_line(self._name, line)
        return written

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self.original.flush()

    def __getattr__(self, attr: str) -> Any:
        # encoding, fileno, isatty, buffer, ...: whatever callers expect of a real text stream.
        return getattr(self.original, attr)

