"""Streams on the caller side: one stream's buffer and outcome, and the generator ParentWorker.stream returns.

The worker may send only as many items as we granted credit for (the window, then what we grant
back as items are read), so the buffer here is bounded by the window; a worker that sends more is
lying, and the stream fails instead of growing. Credit goes back in batches of half the window, and at least every
KEEPALIVE_S seconds while the stream is open, so a service never takes a slow reader for a vanished one.
"""
from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, Deque, Dict, Iterator, Optional

from .streams import CAP_STREAM

if TYPE_CHECKING:
    from .parent import ParentWorker

__all__ = ["CAP_STREAM", "KEEPALIVE_S", "InboundStream", "StreamProtocolError", "StreamsUnsupported", "iterate"]

# A service cancels the streams of a parent silent for 30 s; we speak up well before that.
KEEPALIVE_S = 5.0


class StreamsUnsupported(RuntimeError):
    """The worker did not list the `stream` capability: nothing was sent."""

    code = "UNSUPPORTED"


class StreamProtocolError(RuntimeError):
    """The worker broke the stream protocol (more items than the window, a plain reply)."""

    code = "PROTOCOL"


_END = object()


class InboundStream:
    __slots__ = ("id", "label", "window", "batch", "buffer", "outcome", "received", "granted", "ungranted",
                 "last_sent")

    def __init__(self, call_id: str, label: str, window: int) -> None:
        self.id, self.label, self.window = call_id, label, window
        self.batch = max(1, window // 2)
        self.buffer: Deque[Any] = deque()
        self.outcome: Any = None  # _END, or the exception to raise once the buffer is drained
        self.received = 0
        self.granted = window  # credit sent so far: the initial window plus every stream_credit
        self.ungranted = 0  # items consumed whose credit has not gone back yet
        self.last_sent = 0.0

    def ready(self) -> bool:
        return bool(self.buffer) or self.outcome is not None

    def deliver(self, message: Dict[str, Any]) -> bool:
        """Takes one message for this stream; True when it was the last."""
        if self.outcome is not None:
            return True
        kind = message.get("type")
        if kind == "stream_item":
            if self.received >= self.granted:
                self.outcome = StreamProtocolError(
                    f"stream {self.label} sent item {self.received} with credit for only {self.granted} "
                    f"(window {self.window})")
                return True
            self.buffer.append(message.get("item"))
            self.received += 1
            return False
        if kind == "stream_end":
            self.outcome = _END
            return True
        if kind == "error":
            from .parent import remote_error

            self.outcome = remote_error(message)
            return True
        if kind == "response":
            self.outcome = StreamProtocolError(f"{self.label} answered with one value instead of a stream")
            return True
        return False


def iterate(worker: "ParentWorker", st: InboundStream, deadline: Optional[float]) -> Iterator[Any]:
    # A generator so that `break` and garbage collection run the finally: that is what cancels the stream.
    finished = False
    try:
        while True:
            if not st.buffer and st.outcome is None:
                worker._pump_streams(st, deadline)
            if st.buffer:
                item = st.buffer.popleft()
                if st.outcome is None:
                    st.ungranted += 1
                    if st.ungranted >= st.batch:
                        grant, st.ungranted = st.ungranted, 0
                        worker._grant(st, grant)
                    else:
                        worker._keep_alive_one(st)
                yield item
                continue
            finished = True
            if st.outcome is _END:
                return
            raise st.outcome
    finally:
        if not finished:
            worker._end_stream(st, cancel=True)
