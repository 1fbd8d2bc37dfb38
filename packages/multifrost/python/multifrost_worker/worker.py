"""ChildWorker: subclass it and every public method, plain or `async def`, is callable by a parent.

One thread owns the ZeroMQ socket and does nothing but I/O, so heartbeats are answered while a
call runs. Plain methods run one at a time, in arrival order, on a single call thread (user code
never races itself); `async def` methods run on one asyncio loop on its own thread. Both hand
their replies back to the socket thread through a queue and wake it through a socketpair. In
connect mode, printed lines take the same road to the parents that asked for them (output_forwarding).
"""
from __future__ import annotations

import asyncio
import inspect
import os
import queue
import signal
import socket
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Optional, Tuple

import zmq

from .curve import CurveService
from .output_forwarding import OutputForwarder
from .messages import APP_IDS, LIST_FUNCTIONS_CALL, error_fields, make_message, pack, unpack
from .private_channel import remove_orphaned_channel
from .registry import ServiceRegistry, pid_alive


class ChildWorker:
    """Base class of a Python worker. Only `run`, `stop` and `list_functions` are reserved."""

    namespace = "default"

    def __init__(self, service_id: Optional[str] = None, namespace: Optional[str] = None,
                 registry: Optional[ServiceRegistry] = None, security: Optional[Dict[str, Any]] = None) -> None:
        self.service_id = service_id
        # Keys and allow-list are read here, once, so a bad option fails before anything binds.
        self._curve = CurveService.from_option(security)
        if namespace is not None:
            self.namespace = namespace
        self.registry = registry or ServiceRegistry()
        self._stopping = False
        self._replies: "queue.Queue[Tuple[bytes, Dict[str, Any]]]" = queue.Queue()
        self._wake_w: Optional[socket.socket] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._calls: Optional[ThreadPoolExecutor] = None
        self._io_thread: Optional[int] = None
        self._output: Optional[OutputForwarder] = None

    def list_functions(self) -> List[str]:
        base = set(dir(ChildWorker))
        return sorted(
            name for name in dir(self)
            if not name.startswith("_") and name not in base and callable(getattr(type(self), name, None))
        )

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
        registered = False
        wake_r, self._wake_w = socket.socketpair()
        wake_r.setblocking(False)
        self._wake_w.setblocking(False)
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
                if self._curve is not None:
                    self._curve.secure(ctx, sock, f"multifrost-{self.service_id}")
                port = sock.bind_to_random_port("tcp://127.0.0.1")
                self.registry.register(
                    self.service_id, port, curve_public_key=self._curve.public_key if self._curve else None
                )
                registered = True
                print(f"Service '{self.service_id}' ready on port {port}", flush=True)
                # Spawned workers keep plain pipes: our parent reads them (docs/protocol.md#extensions).
                self._output = OutputForwarder(self._wake)
                self._output.install()
            else:
                raise SystemExit("FATAL: Need COMLINK_ZMQ_PORT env (spawned by a parent) or a service_id")

            if threading.current_thread() is threading.main_thread():
                for sig in (signal.SIGINT, signal.SIGTERM):
                    signal.signal(sig, lambda *_: self.stop())
            self._loop = asyncio.new_event_loop()
            threading.Thread(target=self._loop.run_forever, name="multifrost-async", daemon=True).start()
            self._calls = ThreadPoolExecutor(max_workers=1, thread_name_prefix="multifrost-call")
            self._serve(sock, wake_r)
        finally:
            if self._output is not None:
                self._output.uninstall()
            if registered:
                self.registry.unregister(self.service_id)  # type: ignore[arg-type]
            if self._calls is not None:
                self._calls.shutdown(wait=False)
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
        poller.register(wake_r, zmq.POLLIN)
        while not self._stopping:
            ready = dict(poller.poll(100))  # the timeout only bounds how late a stop is noticed
            if wake_r in ready:
                try:
                    while wake_r.recv(4096):
                        pass
                except (BlockingIOError, InterruptedError):
                    pass
            if sock in ready:
                while True:
                    try:
                        frames = sock.recv_multipart(zmq.NOBLOCK)
                    except zmq.Again:
                        break
                    self._on_frames(frames)
            self._flush(sock)
        self._flush(sock)

    def _wake(self) -> None:
        try:
            if self._wake_w is not None:
                self._wake_w.send(b"\0")
        except OSError:  # full (the socket thread is already due to wake) or closed (stopping)
            pass

    def _reply(self, peer: bytes, message: Dict[str, Any]) -> None:
        self._replies.put((peer, message))
        if threading.get_ident() != self._io_thread:  # the socket thread flushes after handling anyway
            self._wake()

    def _flush(self, sock: zmq.Socket) -> None:
        while True:
            try:
                peer, message = self._replies.get_nowait()
            except queue.Empty:
                self._send_output(sock)
                return
            # Lines printed before this reply was queued are queued already: they go out first, so a
            # call's output reaches its caller ahead of its result.
            self._send_output(sock)
            try:
                sock.send_multipart([peer, b"", pack(message)])
            except Exception as exc:  # a result msgpack can't encode becomes an error reply
                if message.get("type") == "response":
                    fallback = make_message(message["app"], "error", message["id"], **error_fields(exc))
                    sock.send_multipart([peer, b"", pack(fallback)])

    def _send_output(self, sock: zmq.Socket) -> None:
        if self._output is None:
            return
        for peer, message in self._output.drain():
            try:
                sock.send_multipart([peer, b"", pack(message)], zmq.NOBLOCK)
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

    def _on_frames(self, frames: List[bytes]) -> None:
        if len(frames) != 3 or frames[1] != b"":
            return
        try:
            message = unpack(frames[2])
        except Exception:
            return
        if not isinstance(message, dict) or message.get("app") not in APP_IDS or not message.get("id"):
            return
        peer, app, kind = frames[0], message["app"], message.get("type")
        if self._output is not None:
            self._output.note_message(peer, message)
        if kind == "heartbeat":
            meta = message.get("metadata") or {}
            if not meta.get("hb_response"):
                self._reply(peer, make_message(app, "heartbeat", message["id"], metadata={
                    "hb_timestamp": meta.get("hb_timestamp", time.time()), "hb_response": True}))
        elif kind == "shutdown":
            self.stop()
        elif kind == "call":
            self._on_call(peer, app, message)

    def _on_call(self, peer: bytes, app: str, message: Dict[str, Any]) -> None:
        call_id = message["id"]

        def fail(exc: BaseException) -> None:
            self._reply(peer, make_message(app, "error", call_id, **error_fields(exc)))

        def succeed(result: Any) -> None:
            self._reply(peer, make_message(app, "response", call_id, result=result))

        def settle(future: "Future[Any]") -> None:
            try:
                exc = future.exception()
            except BaseException as cancelled:  # CancelledError: the loop went away under the call
                return fail(cancelled)
            fail(exc) if exc else succeed(future.result())

        name = message.get("function")
        args = message.get("args") or []
        if not isinstance(name, str) or not name:
            return fail(ValueError("Message missing 'function' field"))
        if message.get("namespace", "default") != self.namespace:
            return fail(LookupError(f"Namespace '{message.get('namespace')}' is not served by this worker"))
        if name == LIST_FUNCTIONS_CALL:
            return succeed(self.list_functions())
        if name.startswith("_"):
            return fail(AttributeError(f"Cannot call private method '{name}'"))
        if name not in self.list_functions():
            return fail(AttributeError(f"Function '{name}' not found"))
        if not isinstance(args, list):
            return fail(TypeError("Invalid args: expected an array"))
        method: Callable[..., Any] = getattr(self, name)
        if inspect.iscoroutinefunction(method):
            asyncio.run_coroutine_threadsafe(method(*args), self._loop).add_done_callback(settle)  # type: ignore[arg-type]
            return None

        def call_sync() -> None:
            try:
                result = method(*args)
            except Exception as exc:
                return fail(exc)
            if inspect.isawaitable(result):  # e.g. a decorator that hides an `async def`
                asyncio.run_coroutine_threadsafe(_awaited(result), self._loop).add_done_callback(settle)  # type: ignore[arg-type]
            else:
                succeed(result)

        self._calls.submit(call_sync)  # type: ignore[union-attr]
        return None


async def _awaited(awaitable: Any) -> Any:
    return await awaitable
