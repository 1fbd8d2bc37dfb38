"""ChildWorker: subclass it and every public method, plain or `async def`, is callable by a parent.

One thread owns the ZeroMQ socket and does nothing but I/O, so heartbeats are answered while a
call runs. Plain methods run one at a time, in arrival order, on a single call thread (user code
never races itself); `async def` methods run on one asyncio loop on its own thread. Both hand
their replies back to the socket thread through a queue and wake it through a socketpair. In
connect mode, printed lines take the same road to the parents that asked for them (output_forwarding).
A generator method (sync or async) streams its items under the parent's credit window (streams).

The callable surface is read once, when run() starts (list_functions, then one lookup per name):
a method a subclass or instance gains before run() is served, one added after it is not.
Per call there is a dict lookup, no dir() and no inspect of the method.
"""
from __future__ import annotations

import asyncio
import inspect
import os
import signal
import socket
import threading
import time
from collections import deque
from concurrent.futures import Future
from queue import SimpleQueue
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

import zmq

from .bind_plan import BindPlan
from .curve import CurveService
from .output_forwarding import OutputForwarder
from .messages import (
    APP_IDS,
    LIST_FUNCTIONS_CALL,
    error_fields,
    make_message,
    new_packer,
    response_message,
    unpack,
)
from .batches import BATCH_ITEM_MAX_BYTES, CAP_BATCH, MAX_BATCH_BYTES, MAX_BATCH_ITEMS, batch_items, pack_batch
from .private_channel import remove_orphaned_channel
from .registry import ServiceRegistry, default_registry, pid_alive
from .streams import (
    ASYNC,
    CAP_STREAM,
    StreamTable,
    method_kind,
    not_a_stream,
    read_window,
    streaming_method,
)


class ChildWorker:
    """Base class of a Python worker. Only `run`, `stop` and `list_functions` are reserved."""

    namespace = "default"
    # Connect mode: a parent silent this long (no heartbeat, credit or call) has its streams cancelled.
    _stream_silence_s = 30.0

    def __init__(self, service_id: Optional[str] = None, namespace: Optional[str] = None,
                 registry: Optional[ServiceRegistry] = None, security: Optional[Dict[str, Any]] = None,
                 host: Optional[str] = None, advertise: Optional[str] = None,
                 insecure: Optional[bool] = None) -> None:
        self.service_id = service_id
        # Connect mode's addresses (bind_plan.py); read in run(), where MULTIFROST_HOST & co. apply.
        self._bind_options = (host, advertise, insecure)
        # Keys and allow-list are read here, once, so a bad option fails before anything binds.
        self._curve = CurveService.from_option(security)
        if namespace is not None:
            self.namespace = namespace
        # None until connect mode needs one: a spawned worker never reads MULTIFROST_REGISTRY.
        self.registry = registry
        self._stopping = False
        # deque append/popleft are atomic, and cheaper than queue.Queue's lock and condition per reply.
        self._replies: "deque[Tuple[bytes, Dict[str, Any]]]" = deque()
        # Set while a wake byte is in flight, so a burst of replies costs one socketpair write, not one each.
        self._wake_pending = False
        self._wake_w: Optional[socket.socket] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._calls: Optional[threading.Thread] = None
        self._jobs: "SimpleQueue[Optional[Tuple[Any, ...]]]" = SimpleQueue()
        # name -> (bound method, streams.PLAIN/ASYNC/SYNC_GEN/ASYNC_GEN); filled by run() from list_functions().
        self._surface: Optional[Dict[str, Tuple[Callable[..., Any], int]]] = None
        self._function_names: List[str] = []
        self._io_thread: Optional[int] = None
        self._output: Optional[OutputForwarder] = None
        self._streams = StreamTable(self._reply, self._fail, self._jobs.put, lambda: self._loop)
        # Parents (routing ids) whose heartbeats listed `batch`: only they get replies packed in batches.
        self._batch_peers: Set[bytes] = set()

    def list_functions(self) -> List[str]:
        base = set(dir(ChildWorker))
        return sorted(
            name for name in dir(self)
            if not name.startswith("_") and name not in base and callable(getattr(type(self), name, None))
        )

    def _read_surface(self) -> None:
        names = list(self.list_functions())
        surface: Dict[str, Tuple[Callable[..., Any], int]] = {}
        for name in names:
            method = getattr(self, name)
            surface[name] = (method, method_kind(method))
        self._function_names = names
        self._surface = surface

    def stop(self) -> None:
        self._stopping = True
        self._wake()

    def run(self) -> None:
        """Serves calls until stopped: spawned by a parent (MULTIFROST_ENDPOINT or COMLINK_ZMQ_PORT) or as a service."""
        port_text = os.environ.pop("COMLINK_ZMQ_PORT", "")
        # Our parents' private channel (docs/security.md); other parents only set COMLINK_ZMQ_PORT.
        endpoint = os.environ.pop("MULTIFROST_ENDPOINT", "")
        parent_pid = os.environ.pop("MULTIFROST_PARENT_PID", "")
        os.environ.pop("COMLINK_WORKER_MODE", None)  # so processes the worker starts aren't mistaken for workers
        ctx = zmq.Context()
        sock = ctx.socket(zmq.ROUTER)
        sock.setsockopt(zmq.LINGER, 0)
        # A ROUTER drops, silently, what it cannot queue to a peer. libzmq's default of 1,000 (with its lazy
        # count of what the peer has read) lost replies under 1,000 calls in flight; the TS peers use 10,000.
        sock.setsockopt(zmq.SNDHWM, _HIGH_WATER_MARK)
        sock.setsockopt(zmq.RCVHWM, _HIGH_WATER_MARK)
        registered = False
        wake_r, self._wake_w = socket.socketpair()
        wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        # Before anything is bound or registered, and so before the ready line: a SIGTERM that comes
        # as soon as the service says it is ready must still unregister it and exit 0.
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: self.stop())
        try:
            if (port_text or endpoint) and self._curve is not None:
                raise ValueError(
                    "security (CURVE) is for connect mode: a spawned worker talks only to its parent, over the "
                    "channel the parent made for it"
                )
            if endpoint:
                if not endpoint.startswith(("ipc://", "tcp://")):
                    raise SystemExit(f"FATAL: Invalid endpoint '{endpoint}' in MULTIFROST_ENDPOINT")
                sock.connect(endpoint)
                if parent_pid.isdigit():
                    threading.Thread(target=self._watch_parent, args=(int(parent_pid), endpoint), daemon=True).start()
            elif port_text:
                if not port_text.isdigit() or not 1024 <= int(port_text) <= 65535:
                    raise SystemExit(f"FATAL: Invalid port '{port_text}' in COMLINK_ZMQ_PORT")
                sock.connect(f"tcp://127.0.0.1:{port_text}")
                if parent_pid.isdigit():
                    threading.Thread(target=self._watch_parent, args=(int(parent_pid), ""), daemon=True).start()
            elif self.service_id:
                plan = BindPlan(self.service_id, *self._bind_options, curve=self._curve is not None)
                if self._curve is not None:
                    self._curve.secure(ctx, sock, f"multifrost-{self.service_id}")
                if ":" in plan.bind_host:
                    sock.setsockopt(zmq.IPV6, 1)
                port = sock.bind_to_random_port(plan.bind_url())
                plan.warn(port)
                if self.registry is None:
                    self.registry = default_registry()
                where, advertised_port = plan.advertised(port)
                # Only a registry that records hosts (Redis) is told one: the file registry is this host's.
                placed = {} if (where, advertised_port) == ("127.0.0.1", port) else {"host": where}
                self.registry.register(
                    self.service_id, advertised_port if placed else port,
                    curve_public_key=self._curve.public_key if self._curve else None, **placed,
                )
                registered = True
                print(f"Service '{self.service_id}' ready on port {port}", flush=True)
                # Spawned workers keep plain pipes: our parent reads them (docs/protocol.md#extensions).
                self._output = OutputForwarder(self._wake)
                self._output.install()
            else:
                raise SystemExit("FATAL: Need COMLINK_ZMQ_PORT env (spawned by a parent) or a service_id")

            self._loop = asyncio.new_event_loop()
            threading.Thread(target=self._loop.run_forever, name="multifrost-async", daemon=True).start()
            self._read_surface()
            # Not a daemon: like the executor it replaces, calls already queued still run before exit.
            self._calls = threading.Thread(target=self._run_calls, name="multifrost-call")
            self._calls.start()
            self._serve(sock, wake_r)
        finally:
            self._streams.cancel_all()  # queued ahead of the call thread's end, so sync generators' finally runs
            if self._output is not None:
                self._output.uninstall()
            if registered:
                self.registry.unregister(self.service_id)  # type: ignore[arg-type]
            if self._calls is not None:
                self._jobs.put(None)
            if self._loop is not None:
                self._loop.call_soon_threadsafe(self._loop.stop)
            sock.close(0)
            if self._curve is not None:
                self._curve.close()
            ctx.term()
            wake_r.close()
            self._wake_w.close()

    def _serve(self, sock: zmq.Socket, wake_r: socket.socket) -> None:
        self._io_thread = threading.get_ident()
        poller = zmq.Poller()
        poller.register(sock, zmq.POLLIN)
        # A plain socket comes back from poll() as its fd, never as the object: compare fds, or the wake
        # byte is never read and the loop spins at full CPU from the first reply on.
        wake_fd = wake_r.fileno()
        poller.register(wake_fd, zmq.POLLIN)
        packer = new_packer()  # only this thread encodes, so one Packer and its buffer serve every send
        # Only a service has parents that can vanish unseen; a spawned worker dies with its parent.
        silence_s = self._stream_silence_s if self._output is not None else 0.0
        next_sweep = time.monotonic() + 1.0
        while not self._stopping:
            ready = dict(poller.poll(100))  # the timeout only bounds how late a stop is noticed
            if silence_s and len(self._streams) and time.monotonic() >= next_sweep:
                next_sweep = time.monotonic() + min(1.0, silence_s / 4)
                self._streams.cancel_silent(silence_s)
            if wake_fd in ready:
                try:
                    while wake_r.recv(4096):
                        pass
                except (BlockingIOError, InterruptedError):
                    pass
                # Only after draining: a byte sent from here on is one we have not read, and a reply queued
                # before this line is flushed below.
                self._wake_pending = False
            if sock in ready:
                while True:
                    try:
                        frames = sock.recv_multipart(zmq.NOBLOCK)
                    except zmq.Again:
                        break
                    self._on_frames(frames)
            self._flush(sock, packer)
        self._flush(sock, packer)

    def _wake(self) -> None:
        if self._wake_pending:
            return
        self._wake_pending = True
        try:
            if self._wake_w is not None:
                self._wake_w.send(b"\0")
        except OSError:  # full (the socket thread is already due to wake) or closed (stopping)
            pass

    def _reply(self, peer: bytes, message: Dict[str, Any]) -> None:
        self._replies.append((peer, message))
        if threading.get_ident() != self._io_thread:  # the socket thread flushes after handling anyway
            self._wake()

    def _flush(self, sock: zmq.Socket, packer: Any) -> None:
        replies, output, batch_peers = self._replies, self._output, self._batch_peers
        # Replies to one parent that reads batches, collected while they come in a row (nothing waits).
        run: List[bytes] = []
        run_peer, run_app, run_bytes = b"", "", 0
        while True:
            try:
                peer, message = replies.popleft()
            except IndexError:
                if run:
                    self._send_run(sock, packer, run_peer, run_app, run)
                if output is not None:
                    self._send_output(sock, packer)
                return
            # Lines printed before this reply was queued are queued already: they go out first, so a
            # call's output reaches its caller ahead of its result.
            if output is not None and output.pending:
                if run:
                    self._send_run(sock, packer, run_peer, run_app, run)
                    run = []
                self._send_output(sock, packer)
            if type(message) is bytes:  # a stream item, packed by its producer
                payload, app = message, ""
            else:
                try:
                    payload = packer.pack(message)  # a failed pack resets the Packer, so it stays usable
                except Exception as exc:  # a result msgpack can't encode becomes an error reply
                    if message.get("type") != "response":
                        continue
                    payload = packer.pack(make_message(message["app"], "error", message["id"], **error_fields(exc)))
                app = message["app"]
            if not batch_peers or peer not in batch_peers or len(payload) > BATCH_ITEM_MAX_BYTES:
                if run:
                    self._send_run(sock, packer, run_peer, run_app, run)
                    run = []
                _send(sock, peer, payload, 0)
                continue
            if run and (peer != run_peer or len(run) >= MAX_BATCH_ITEMS or run_bytes + len(payload) > MAX_BATCH_BYTES):
                self._send_run(sock, packer, run_peer, run_app, run)
                run = []
            if not run:
                run_peer, run_app, run_bytes = peer, app, 0
            run.append(payload)
            run_bytes += len(payload)
            if not run_app:
                run_app = app

    @staticmethod
    def _send_run(sock: zmq.Socket, packer: Any, peer: bytes, app: str, run: List[bytes]) -> None:
        _send(sock, peer, run[0] if len(run) == 1 else pack_batch(packer, app or "comlink_ipc_v4", run), 0)

    def _send_output(self, sock: zmq.Socket, packer: Any) -> None:
        for peer, message in self._output.drain():  # type: ignore[union-attr]
            try:
                _send(sock, peer, packer.pack(message), _NOBLOCK)
            except zmq.ZMQError:  # a peer whose queue is full misses lines rather than blocking every caller
                pass

    def _watch_parent(self, pid: int, endpoint: str) -> None:
        # A spawned worker must not outlive its parent, even when the parent was SIGKILLed.
        while True:
            time.sleep(0.2)
            if not pid_alive(pid):
                remove_orphaned_channel(endpoint)  # the dead parent can no longer remove it
                if hasattr(os, "killpg") and os.getpgrp() == os.getpid():
                    os.killpg(os.getpgrp(), signal.SIGKILL)
                os._exit(0)

    def _on_frames(self, frames: List[bytes], in_batch: bool = False) -> None:
        if len(frames) != 3 or frames[1] != b"":
            return
        try:
            message = unpack(frames[2])
        except Exception:
            return
        if not isinstance(message, dict) or message.get("app") not in APP_IDS or not message.get("id"):
            return
        peer, app, kind = frames[0], message["app"], message.get("type")
        if kind == "batch":
            # Each item as if it had come alone, in order; a batch inside a batch is dropped.
            items = None if in_batch else batch_items(message)
            for item in items or ():
                self._on_frames([peer, b"", item], True)
            return
        if self._output is not None:
            self._output.note_message(peer, message)
        self._streams.heard(peer)
        if kind == "heartbeat":
            meta = message.get("metadata") or {}
            if isinstance(meta, dict) and not meta.get("hb_response"):
                caps = meta.get("mf_caps")
                if isinstance(caps, list) and CAP_BATCH in caps[:32]:
                    if peer in self._batch_peers or len(self._batch_peers) < 1024:  # bounded, like the TS child
                        self._batch_peers.add(peer)
                else:
                    self._batch_peers.discard(peer)
                self._reply(peer, make_message(app, "heartbeat", message["id"], metadata={
                    "hb_timestamp": meta.get("hb_timestamp", time.time()), "hb_response": True,
                    "mf_worker_caps": _WORKER_CAPS}))
        elif kind == "stream_credit":
            self._streams.credit(peer, message["id"], message.get("credit"))
        elif kind == "cancel":
            self._streams.cancel(peer, message["id"])
        elif kind == "shutdown":
            self.stop()
        elif kind == "call":
            self._on_call(peer, app, message)

    def _on_call(self, peer: bytes, app: str, message: Dict[str, Any]) -> None:
        call_id = message["id"]
        name = message.get("function")
        args = message.get("args") or []
        if not isinstance(name, str) or not name:
            return self._fail(peer, app, call_id, ValueError("Message missing 'function' field"))
        if message.get("namespace", "default") != self.namespace:
            return self._fail(
                peer, app, call_id, LookupError(f"Namespace '{message.get('namespace')}' is not served by this worker")
            )
        meta = message.get("metadata")
        window = meta.get("mf_stream") if isinstance(meta, dict) else None
        if name == LIST_FUNCTIONS_CALL:
            if window is not None:
                return self._fail(peer, app, call_id, not_a_stream(name))
            return self._reply(peer, response_message(app, call_id, list(self._function_names)))
        if name.startswith("_"):
            return self._fail(peer, app, call_id, AttributeError(f"Cannot call private method '{name}'"))
        entry = self._surface.get(name)  # type: ignore[union-attr]
        if entry is None:
            return self._fail(peer, app, call_id, AttributeError(f"Function '{name}' not found"))
        if not isinstance(args, list):
            return self._fail(peer, app, call_id, TypeError("Invalid args: expected an array"))
        method, kind = entry
        if window is not None:
            if kind <= ASYNC:
                return self._fail(peer, app, call_id, not_a_stream(name))
            try:
                self._streams.open(peer, app, call_id, name, method, kind, args, read_window(window))
            except ValueError as exc:
                return self._fail(peer, app, call_id, exc)
            return None
        if kind > ASYNC:
            return self._fail(peer, app, call_id, streaming_method(name))
        if kind == ASYNC:
            asyncio.run_coroutine_threadsafe(method(*args), self._loop).add_done_callback(  # type: ignore[arg-type]
                self._settler(peer, app, call_id)
            )
            return None
        self._jobs.put((peer, app, call_id, method, args))
        return None

    def _fail(self, peer: bytes, app: str, call_id: str, exc: BaseException) -> None:
        self._reply(peer, make_message(app, "error", call_id, **error_fields(exc)))

    def _settler(self, peer: bytes, app: str, call_id: str) -> Callable[["Future[Any]"], None]:
        def settle(future: "Future[Any]") -> None:
            try:
                exc = future.exception()
            except BaseException as cancelled:  # CancelledError: the loop went away under the call
                return self._fail(peer, app, call_id, cancelled)
            if exc:
                self._fail(peer, app, call_id, exc)
            else:
                self._reply(peer, response_message(app, call_id, future.result()))

        return settle

    def _run_calls(self) -> None:
        # The one thread plain methods run on, in arrival order; None (queued by run()'s exit) ends it.
        jobs, loop = self._jobs, self._loop
        while True:
            job = jobs.get()
            if job is None:
                return
            if type(job) is not tuple:  # a turn of a sync generator's stream (streams.StreamTable)
                try:
                    job()
                except Exception:  # the stream reports its own errors; this thread must go on regardless
                    pass
                continue
            peer, app, call_id, method, args = job
            try:
                result = method(*args)
            except Exception as exc:
                self._fail(peer, app, call_id, exc)
                continue
            if inspect.isawaitable(result):  # e.g. a decorator that hides an `async def`
                asyncio.run_coroutine_threadsafe(_awaited(result), loop).add_done_callback(  # type: ignore[arg-type]
                    self._settler(peer, app, call_id)
                )
            else:
                self._reply(peer, response_message(app, call_id, result))


def _send(sock: zmq.Socket, peer: bytes, payload: bytes, flags: int) -> None:
    # send_multipart's Python loop, unrolled for our three frames; a large payload goes without a copy.
    more = flags | _SNDMORE
    sock.send(peer, more)
    sock.send(b"", more)
    sock.send(payload, flags, copy=len(payload) < _COPY_THRESHOLD)


_HIGH_WATER_MARK = 10_000
# What our heartbeat replies announce (docs/protocol.md#capabilities).
_WORKER_CAPS = [CAP_BATCH, CAP_STREAM]
# A plain int: pyzmq's flag enums make every `|` a Python-level enum call.
_SNDMORE = int(zmq.SNDMORE)
_NOBLOCK = int(zmq.NOBLOCK)
# pyzmq copies frames below its copy_threshold even with copy=False; above it, zero-copy pays off.
_COPY_THRESHOLD = zmq.COPY_THRESHOLD if hasattr(zmq, "COPY_THRESHOLD") else 65536


async def _awaited(awaitable: Any) -> Any:
    return await awaitable
