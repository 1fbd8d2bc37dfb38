"""Streams on the worker side: a generator method's items leave under the parent's credit window.

The wire is in docs/protocol.md#streams. The parent grants credit; each item spends one; at 0 the
producer is parked without pulling its generator, so a slow consumer bounds the worker's memory to
the window. Sync generators are stepped on the call thread in short turns (so plain calls
interleave with them, and a parked stream holds the thread not at all); async generators are pumped
by a task on the asyncio loop. `close()` of the generator (and so its `finally`) runs on the thread
that drives it, because a generator can't be closed from another thread while it runs.
"""
from __future__ import annotations

import asyncio
import inspect
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

import msgpack

CAP_STREAM = "stream"
# A sync generator hands the call thread back after this many items, so other calls get their turn.
STEP_ITEMS = 32

PLAIN, ASYNC, SYNC_GEN, ASYNC_GEN = 0, 1, 2, 3


def method_kind(method: Callable[..., Any]) -> int:
    if inspect.isasyncgenfunction(method):
        return ASYNC_GEN
    if inspect.isgeneratorfunction(method):
        return SYNC_GEN
    return ASYNC if inspect.iscoroutinefunction(method) else PLAIN


class NotAStreamError(Exception):
    """`mf_stream` on a method that returns one value."""

    _mf_error_code = "NOT_A_STREAM"


class StreamingMethodError(Exception):
    """A plain call to a generator method."""

    _mf_error_code = "STREAMING_METHOD"


def not_a_stream(name: str) -> NotAStreamError:
    return NotAStreamError(f"{name}() does not stream; call it with worker.call.{name}()")


def streaming_method(name: str) -> StreamingMethodError:
    return StreamingMethodError(f"{name}() streams; iterate it with worker.stream.{name}()")


def read_window(value: Any) -> int:
    """The initial credit from `metadata.mf_stream`; a bad one is the caller's error, said plainly."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"metadata.mf_stream must be an int >= 1 (the stream's window), got {value!r}")
    return value


def read_credit(value: Any) -> Optional[int]:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


class OutStream:
    """One stream in flight. Every field is read and written under the owner's lock."""

    __slots__ = ("peer", "app", "id", "name", "credit", "sent", "closed", "parked", "gen", "future", "event")

    def __init__(self, peer: bytes, app: str, call_id: str, name: str, window: int) -> None:
        self.peer, self.app, self.id, self.name = peer, app, call_id, name
        self.credit = window
        self.sent = 0
        self.closed = False  # ended, failed or cancelled: nothing more goes out for this id
        self.parked = False  # a sync stream out of credit, waiting for a stream_credit to requeue it
        self.gen: Any = None
        self.future: Any = None  # an async stream's pump (concurrent.futures.Future)
        self.event: Optional[asyncio.Event] = None  # an async stream's "credit arrived" wake-up


Send = Callable[[bytes, Any], None]  # (peer, dict message or packed bytes) -> queued for the socket thread
Fail = Callable[[bytes, str, str, BaseException], None]


class StreamTable:
    """The worker's open streams by (peer, call id), and the peers' last sign of life (connect mode)."""

    def __init__(self, send: Send, fail: Fail, run_on_call_thread: Callable[[Callable[[], None]], None],
                 loop_getter: Callable[[], Optional[asyncio.AbstractEventLoop]]) -> None:
        self._send, self._fail, self._queue_job, self._loop = send, fail, run_on_call_thread, loop_getter
        self._lock = threading.Lock()
        self._open: Dict[Tuple[bytes, str], OutStream] = {}
        self._seen: Dict[bytes, float] = {}  # only peers with a stream open; touched on the socket thread only
        self._call_packer = msgpack.Packer(use_bin_type=True)
        self._loop_packer = msgpack.Packer(use_bin_type=True)

    def __len__(self) -> int:
        return len(self._open)

    # -- socket thread ---------------------------------------------------------------------------
    def open(self, peer: bytes, app: str, call_id: str, name: str, method: Callable[..., Any], kind: int,
             args: List[Any], window: int) -> None:
        key = (peer, call_id)
        if key in self._open:  # a reused id would tangle two streams' items: refuse the second
            return self._fail(peer, app, call_id, ValueError(f"a stream with id {call_id} is already open"))
        st = OutStream(peer, app, call_id, name, window)
        with self._lock:
            self._open[key] = st
        self._seen[peer] = time.monotonic()
        if kind == SYNC_GEN:
            self._queue_job(lambda: self._step(st, method, args))
        else:
            st.future = asyncio.run_coroutine_threadsafe(self._pump(st, method, args), self._loop())  # type: ignore[arg-type]
        return None

    def heard(self, peer: bytes) -> None:
        if peer in self._seen:
            self._seen[peer] = time.monotonic()

    def credit(self, peer: bytes, call_id: Any, value: Any) -> None:
        grant = read_credit(value)
        if grant is None or not isinstance(call_id, str):
            return
        with self._lock:
            st = self._open.get((peer, call_id))
            if st is None or grant == 0:  # unknown id (a late credit) or a keep-alive only
                return
            st.credit += grant
            requeue = st.parked
            st.parked = False
            wake = st.event
        if requeue:
            self._queue_job(lambda: self._step(st, None, None))
        elif wake is not None:
            loop = self._loop()
            if loop is not None:
                loop.call_soon_threadsafe(wake.set)

    def cancel(self, peer: bytes, call_id: Any) -> bool:
        with self._lock:
            st = self._open.pop((peer, call_id), None) if isinstance(call_id, str) else None
            if st is None:
                return False
            st.closed = True
            parked = st.parked
            st.parked = False
        if st.future is not None:
            st.future.cancel()  # the pump's finally closes the async generator on the loop
        elif parked or st.gen is not None:
            # FIFO behind a step already queued or running, which sees `closed` and stops first.
            self._queue_job(lambda: _close_sync(st))
        return True

    def cancel_silent(self, silence_s: float) -> None:
        """Connect mode: a parent we heard nothing from for silence_s is gone; its streams end."""
        now = time.monotonic()
        with self._lock:
            live = {peer for peer, _ in self._open}
        for peer in list(self._seen):
            if peer not in live:
                del self._seen[peer]
            elif now - self._seen[peer] > silence_s:
                del self._seen[peer]
                with self._lock:
                    keys = [k for k in self._open if k[0] == peer]
                for key in keys:
                    self.cancel(*key)

    def cancel_all(self) -> None:
        with self._lock:
            keys = list(self._open)
        for key in keys:
            self.cancel(*key)

    # -- producers (call thread, loop thread) ----------------------------------------------------
    def _item(self, st: OutStream, item: Any, packer: Any) -> bool:
        """Queues one item; False when the stream was closed meanwhile (the item is dropped)."""
        with self._lock:
            if st.closed:
                return False
            message = {"app": st.app, "id": st.id, "type": "stream_item", "timestamp": time.time(),
                       "seq": st.sent, "item": item}
        try:
            payload = packer.pack(message)  # here, not on the socket thread, so a bad item fails its own stream
        except Exception as exc:
            raise TypeError(f"item {message['seq']} of {st.name}() can't be sent: {exc}") from exc
        with self._lock:
            if st.closed:
                return False
            st.sent += 1
            self._send(st.peer, payload)
        return True

    def _finish(self, st: OutStream, exc: Optional[BaseException]) -> None:
        with self._lock:
            if st.closed:
                return
            st.closed = True
            self._open.pop((st.peer, st.id), None)
            if exc is None:
                self._send(st.peer, {"app": st.app, "id": st.id, "type": "stream_end", "timestamp": time.time(),
                                     "count": st.sent})
            else:
                self._fail(st.peer, st.app, st.id, exc)

    def _step(self, st: OutStream, method: Optional[Callable[..., Any]], args: Optional[List[Any]]) -> None:
        # One turn of a sync generator on the call thread: at most STEP_ITEMS items, then requeue.
        try:
            if st.gen is None:
                if st.closed:
                    return
                st.gen = method(*args)  # type: ignore[misc]
            for _ in range(STEP_ITEMS):
                with self._lock:
                    if st.closed:
                        break
                    if st.credit <= 0:
                        st.parked = True  # a stream_credit requeues us
                        return
                    st.credit -= 1
                try:
                    item = next(st.gen)
                except StopIteration:
                    return self._finish(st, None)
                if not self._item(st, item, self._call_packer):
                    break
            else:
                self._queue_job(lambda: self._step(st, None, None))
                return
        except Exception as exc:
            self._finish(st, exc)
            _close_sync(st)
            return
        # Closed (cancelled) while we ran: the generator's finally runs now, on its own thread.
        _close_sync(st)

    async def _pump(self, st: OutStream, method: Callable[..., Any], args: List[Any]) -> None:
        agen = None
        st.event = asyncio.Event()
        try:
            agen = method(*args)
            while True:
                while True:
                    with self._lock:
                        if st.closed:
                            return
                        if st.credit > 0:
                            st.credit -= 1
                            break
                        st.event.clear()
                    await st.event.wait()
                try:
                    item = await agen.__anext__()
                except StopAsyncIteration:
                    return self._finish(st, None)
                if not self._item(st, item, self._loop_packer):
                    return
        except asyncio.CancelledError:
            pass  # cancel(): nothing more may be sent
        except Exception as exc:
            self._finish(st, exc)
        finally:
            if agen is not None:
                try:
                    await agen.aclose()
                except BaseException:  # a finally that raises must not take the loop's task down noisily
                    pass


def _close_sync(st: OutStream) -> None:
    gen, st.gen = st.gen, None
    if gen is not None:
        try:
            gen.close()
        except Exception:
            pass
