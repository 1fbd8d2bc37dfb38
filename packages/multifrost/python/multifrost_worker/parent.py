"""ParentWorker: call a Multifrost worker (Node, Python, Go, Rust) from Python.

Spawn mode binds a DEALER on 127.0.0.1 and starts the worker with COMLINK_ZMQ_PORT; connect mode
finds a running service in the registry (with `security={"curve": ...}`, only one that holds the
CURVE key its entry names). Either way the caller waits for a heartbeat reply before the first
call, because the wire has no ready message. `output=` receives the `stdout`/`stderr` messages a
worker forwards (a Node service sends them only to callers that opt in, so it also opts in).
`stream()` iterates a worker's generator method under a credit window (stream_reader).
"""
from __future__ import annotations

import os
import subprocess
import time
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import zmq

from .bind_plan import check_plain_entry
from .curve import CurveClient
from .messages import APP_V3, make_message, pack, unpack
from .registry import ServiceRegistry, default_registry
from .stream_reader import CAP_STREAM, KEEPALIVE_S, InboundStream, StreamsUnsupported, iterate


class RemoteCallError(Exception):
    """The worker raised or threw: `name` is the remote error class, `traceback` its stack if sent."""

    def __init__(self, name: str, message: str, traceback_text: str = "", code: Optional[str] = None) -> None:
        super().__init__(f"{name}: {message}")
        self.name, self.message, self.traceback = name, message, traceback_text
        self.code = code  # the worker's error_code (e.g. NOT_A_STREAM), when it sent one


class WorkerExited(Exception):
    pass


OutputHandler = Callable[[str, str], None]


class ParentWorker:
    def __init__(self, app: str = APP_V3, output: Optional[OutputHandler] = None) -> None:
        self.app = app
        self._output = output
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.process: Optional[subprocess.Popen] = None
        self._curve: Optional[CurveClient] = None
        self._timeout_hint = ""
        self._label = "worker"
        # What the worker's last heartbeat reply listed (mf_worker_caps); empty for public peers.
        self._worker_caps: Tuple[str, ...] = ()
        self._streams: Dict[str, InboundStream] = {}

    @classmethod
    def spawn(cls, command: List[str], app: str = APP_V3, env: Optional[Dict[str, str]] = None,
              timeout: float = 30.0, security: Optional[Dict[str, Any]] = None,
              output: Optional[OutputHandler] = None) -> "ParentWorker":
        """`command` is the full argv, e.g. [sys.executable, "worker.py"] or ["node", "worker.mjs"]."""
        if security is not None:
            raise ValueError("security (CURVE) is for ParentWorker.connect: a spawned worker is reached only by its parent")
        worker = cls(app, output)
        worker._label = f"worker {' '.join(command)!r}"
        port = worker.sock.bind_to_random_port("tcp://127.0.0.1")
        child_env = dict(os.environ, **(env or {}))
        child_env.update(COMLINK_ZMQ_PORT=str(port), COMLINK_WORKER_MODE="1", MULTIFROST_PARENT_PID=str(os.getpid()))
        worker.process = subprocess.Popen(command, env=child_env, start_new_session=True)
        try:
            worker._wait_ready(timeout)
        except BaseException:
            worker.close()
            raise
        return worker

    @classmethod
    def connect(cls, service_id: str, app: str = APP_V3, timeout: float = 5.0,
                registry: Optional[ServiceRegistry] = None,
                security: Optional[Dict[str, Any]] = None,
                output: Optional[OutputHandler] = None, insecure: Optional[bool] = None) -> "ParentWorker":
        """`security={"curve": {"key": <our .key_secret or (public, secret)>, "server_key": <optional>}}`.

        Off loopback a service without CURVE is refused (AuthFailed) unless `insecure=True`
        (or MULTIFROST_INSECURE=1)."""
        curve = CurveClient.from_option(security)  # bad keys fail here, before any socket exists
        worker = cls(app, output)
        worker._label = f"service {service_id!r}"
        try:
            entry = (registry or default_registry()).lookup(service_id, timeout)
            # A Redis entry says where the service is; a file entry is a port on this host.
            endpoint = entry.get("endpoint") or f"tcp://127.0.0.1:{entry['port']}"
            if curve is not None:
                curve.check_entry(service_id, entry)
                curve.secure(worker.sock, service_id, endpoint)
                worker._curve = curve
            elif entry.get("curve_public_key"):
                # Such a service refuses plain clients at the handshake, which only shows as silence.
                worker._timeout_hint = (
                    f" (service '{service_id}' uses CURVE: its registry entry has a curve_public_key; "
                    "pass security={'curve': {'key': ...}})"
                )
            else:
                check_plain_entry(service_id, entry, endpoint, insecure)
            if endpoint.startswith("tcp://["):
                worker.sock.setsockopt(zmq.IPV6, 1)
            worker.sock.connect(endpoint)
            worker._wait_ready(timeout)
            if curve is not None:
                curve.done(worker.sock)
        except BaseException:
            worker.close()
            raise
        return worker

    def __enter__(self) -> "ParentWorker":
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            beat = make_message(self.app, "heartbeat", metadata={
                "hb_timestamp": time.time(), "mf_caps": _PARENT_CAPS, **self._opt_in()})
            try:
                self._send(beat, max(0.05, deadline - time.time()))
                reply = self._await(beat["id"], min(1.0, max(0.05, deadline - time.time())))
                self._worker_caps = _read_caps(reply.get("metadata"))
                return
            except TimeoutError:
                continue
        if self._curve is not None:
            raise self._curve.timed_out(timeout)
        raise TimeoutError(f"worker did not answer a heartbeat within {timeout}s{self._timeout_hint}")

    def _send(self, message: Dict[str, Any], timeout: float) -> None:
        # A DEALER's send blocks while it has no connection (one refused at the handshake is
        # dropped and retried), so never block: wait for room, and give up at the deadline.
        deadline = time.time() + timeout
        while True:
            try:
                self.sock.send_multipart([b"", pack(message)], zmq.NOBLOCK)
                return
            except zmq.Again:
                pass
            if self.process is not None and self.process.poll() is not None:
                raise WorkerExited(f"worker exited with code {self.process.returncode}")
            if self._curve is not None:
                self._curve.check_handshake()
            if time.time() >= deadline:
                raise TimeoutError(f"no connection to send {message['type']} {message['id']} on within {timeout}s")
            self.sock.poll(50, zmq.POLLOUT)

    def _opt_in(self) -> Dict[str, Any]:
        return {"mf_output": True} if self._output is not None else {}

    def _await(self, message_id: str, timeout: float) -> Dict[str, Any]:
        return self._await_all([message_id], timeout)[message_id]

    def _await_all(self, message_ids: Sequence[str], timeout: float) -> Dict[str, Dict[str, Any]]:
        pending, replies = set(message_ids), {}  # type: ignore[var-annotated]
        deadline = time.time() + timeout
        while pending:
            if self.process is not None and self.process.poll() is not None:
                raise WorkerExited(f"worker exited with code {self.process.returncode}")
            if self._curve is not None:
                self._curve.check_handshake()
            remaining = deadline - time.time()
            if remaining <= 0:
                if len(message_ids) == 1:
                    raise TimeoutError(f"no reply to {message_ids[0]} within {timeout}s")
                raise TimeoutError(f"no reply to {len(pending)} of {len(message_ids)} calls within {timeout}s")
            if self.sock.poll(int(min(remaining, 0.05) * 1000) or 1):
                frames = self.sock.recv_multipart()
                if len(frames) != 2:
                    continue
                message = unpack(frames[1])
                if not isinstance(message, dict):
                    continue
                if message.get("type") in ("stdout", "stderr"):
                    if self._output is not None:
                        self._output(message["type"], str(message.get("output", "")))
                    continue
                if message.get("id") in pending:
                    pending.discard(message["id"])
                    replies[message["id"]] = message
                else:
                    self._to_stream(message)
        return replies

    def _to_stream(self, message: Dict[str, Any]) -> None:
        # A stream's messages can arrive while a plain call waits; they wait in its (window-bounded) buffer.
        st = self._streams.get(message.get("id"))  # type: ignore[arg-type]
        if st is not None and st.deliver(message):
            self._streams.pop(st.id, None)

    def _pump_streams(self, st: InboundStream, deadline: Optional[float]) -> None:
        """Reads the socket until `st` has an item or an outcome, granting keep-alives on the way."""
        while not st.ready():
            if self.process is not None and self.process.poll() is not None:
                self._streams.pop(st.id, None)
                raise WorkerExited(f"worker exited with code {self.process.returncode} during stream {st.label}")
            now = time.time()
            if deadline is not None and now >= deadline:
                self._end_stream(st, cancel=True)
                raise TimeoutError(f"stream {st.label} from {self._label} did not finish within its timeout")
            self._keep_alive(now)
            wait = 0.05 if deadline is None else min(0.05, max(0.001, deadline - now))
            if not self.sock.poll(int(wait * 1000) or 1):
                continue
            # Take what has arrived (bounded per turn), not one message per wake-up: fewer polls per item,
            # and a worker sending past its credit is caught here, before the socket's queue hides it.
            for _ in range(_DRAIN_MAX):
                try:
                    frames = self.sock.recv_multipart(zmq.NOBLOCK)
                except zmq.Again:
                    break
                self._route(frames)

    def _route(self, frames: List[bytes]) -> None:
        if len(frames) != 2:
            return
        message = unpack(frames[1])
        if not isinstance(message, dict):
            return
        if message.get("type") in ("stdout", "stderr"):
            if self._output is not None:
                self._output(message["type"], str(message.get("output", "")))
            return
        self._to_stream(message)

    def _keep_alive(self, now: float) -> None:
        # We send no periodic heartbeats, so a service would take a stream waiting on a slow producer for an
        # abandoned one after 30 s of silence: a credit of 0 every few seconds says we are still here.
        for st in list(self._streams.values()):
            self._keep_alive_one(st, now)

    def _keep_alive_one(self, st: InboundStream, now: Optional[float] = None) -> None:
        if (now or time.time()) - st.last_sent >= KEEPALIVE_S:
            grant, st.ungranted = st.ungranted, 0
            self._grant(st, grant)

    def _grant(self, st: InboundStream, credit: int) -> None:
        st.last_sent = time.time()
        try:
            self.sock.send_multipart(
                [b"", pack(make_message(self.app, "stream_credit", st.id, credit=credit))], zmq.NOBLOCK)
            st.granted += credit
        except zmq.ZMQError:  # no room: the next grant or keep-alive carries on
            if credit:
                st.ungranted += credit

    def _end_stream(self, st: InboundStream, cancel: bool) -> None:
        if self._streams.pop(st.id, None) is not None and cancel and not self.sock.closed:
            try:
                self.sock.send_multipart([b"", pack(make_message(self.app, "cancel", st.id))], zmq.NOBLOCK)
            except zmq.ZMQError:
                pass

    def stream(self, function: str, *args: Any, window: int = 64, timeout: Optional[float] = None,
               namespace: str = "default") -> Iterator[Any]:
        """Iterates the items a generator method yields; at most `window` of them are ever in flight.

        Credit goes back as items are consumed, so a slow loop holds the worker back instead of
        filling memory. Leaving early (`break`, `close()`, garbage collection) cancels the stream and
        the worker's generator runs its `finally`. A remote error is raised after the items sent
        before it; `timeout` (seconds, default none) bounds the whole stream.
        """
        if isinstance(window, bool) or not isinstance(window, int) or window < 1:
            raise ValueError(f"window must be an int >= 1, got {window!r}")
        if CAP_STREAM not in self._worker_caps:
            raise StreamsUnsupported(
                f"{self._label} does not support streams: it did not list the `stream` capability "
                "(a public peer, or an older Multifrost)"
            )
        metadata: Dict[str, Any] = {"mf_stream": window, **self._opt_in()}
        started = time.time()
        deadline = None if timeout is None else started + timeout
        if deadline is not None:
            metadata["deadline"] = deadline
        call = make_message(self.app, "call", function=function, args=list(args), namespace=namespace,
                            client_name="multifrost_worker", metadata=metadata)
        st = InboundStream(call["id"], f"{function}()", window)
        self._streams[st.id] = st
        try:
            self._send(call, 30.0 if timeout is None else timeout)
        except BaseException:
            self._streams.pop(st.id, None)
            raise
        st.last_sent = time.time()
        return iterate(self, st, deadline)

    def _call_message(self, function: str, args: Iterable[Any], namespace: str) -> Dict[str, Any]:
        return make_message(self.app, "call", function=function, args=list(args), namespace=namespace,
                            client_name="multifrost_worker", metadata=self._opt_in() or None)

    @staticmethod
    def _result(reply: Dict[str, Any]) -> Any:
        if reply.get("type") == "error":
            raise remote_error(reply)
        return reply.get("result")

    def call(self, function: str, *args: Any, timeout: float = 30.0, namespace: str = "default") -> Any:
        call = self._call_message(function, args, namespace)
        started = time.time()
        self._send(call, timeout)
        return self._result(self._await(call["id"], max(0.0, timeout - (time.time() - started))))

    def call_many(self, calls: Iterable[Tuple[str, Sequence[Any]]], timeout: float = 30.0,
                  namespace: str = "default") -> List[Any]:
        """Sends every (function, args) at once and waits for all replies, in the order given.

        One slow call no longer holds the others back (the worker may run them concurrently). A failed
        call leaves its RemoteCallError in its place instead of raising, so one failure loses no result.
        """
        messages = [self._call_message(function, args, namespace) for function, args in calls]
        started = time.time()
        for message in messages:
            self._send(message, max(0.0, timeout - (time.time() - started)))
        replies = self._await_all([m["id"] for m in messages], max(0.0, timeout - (time.time() - started)))
        results: List[Any] = []
        for message in messages:
            try:
                results.append(self._result(replies[message["id"]]))
            except RemoteCallError as exc:
                results.append(exc)
        return results

    def close(self) -> None:
        for st in list(self._streams.values()):
            self._end_stream(st, cancel=True)
        if self.process is not None and self.process.poll() is None:
            try:
                self.sock.send_multipart([b"", pack(make_message(self.app, "shutdown"))], zmq.NOBLOCK)
            except zmq.ZMQError:
                pass
            try:
                self.process.wait(2)
            except subprocess.TimeoutExpired:
                self.process.terminate()
                try:
                    self.process.wait(2)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        if self._curve is not None:
            self._curve.done(self.sock)
            self._curve = None
        if not self.sock.closed:
            self.sock.close(0)
            self.ctx.term()


def remote_error(reply: Dict[str, Any]) -> RemoteCallError:
    text = str(reply.get("error", ""))
    name = reply.get("error_type") or (text.split(":", 1)[0] if ":" in text else "Error")
    message = text[len(name) + 2:] if text.startswith(name + ": ") else text
    code = reply.get("error_code")
    return RemoteCallError(name, message.split("\n", 1)[0], reply.get("traceback", ""),
                           code if isinstance(code, str) else None)


_PARENT_CAPS = [CAP_STREAM]
_DRAIN_MAX = 1024


def _read_caps(metadata: Any) -> Tuple[str, ...]:
    # docs/protocol.md#capabilities: only string entries count, at most 32 names of at most 64 characters.
    caps = metadata.get("mf_worker_caps") if isinstance(metadata, dict) else None
    if not isinstance(caps, list) or len(caps) > 32:
        return ()
    return tuple(c for c in caps if isinstance(c, str) and len(c) <= 64)
