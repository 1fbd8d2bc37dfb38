"""A small Multifrost peer in Python: a worker (ChildWorker), a caller (ParentWorker) and the
shared service registry, speaking the wire protocol exactly as the public Python peer does.

It exists to prove cross-language behaviour in Multifrost's test suite and to show how a worker
in another language is written. Requirements: pyzmq and msgpack (Debian: python3-zmq
python3-msgpack).

Wire rules followed here (see PROTOCOL.md):
  * ZeroMQ: the caller owns a DEALER, the worker a ROUTER. Frames are [b"", payload] from the
    caller and [routing_id, b"", payload] at/from the worker.
  * One msgpack map per message: packb(use_bin_type=True) / unpackb(raw=False). Keys app, id,
    type, timestamp on every message. A None result is omitted from the response map.
  * Errors are "<Class>: <message>\\n<traceback>" in `error`; `error_type` and `traceback` are
    added for peers that read them (the TypeScript parent does).
  * Heartbeats are echoed with metadata {hb_timestamp, hb_response: True}.
  * Spawn mode: COMLINK_ZMQ_PORT names the caller's port; the worker connects to 127.0.0.1 and
    exits when MULTIFROST_PARENT_PID disappears. Connect mode: the worker binds 127.0.0.1:* and
    registers {port, pid, started} in services.json under services.lock.

Unlike the public Python peer: print() output reaches the parent (the parent reads our pipes),
a call to another namespace gets an error reply instead of silence, base-class methods are not
callable, and the registry lock is broken when stale.
"""
from __future__ import annotations

import asyncio
import datetime
import inspect
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import traceback
import uuid
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, Optional

import msgpack
import zmq

APP_V3 = "comlink_ipc_v3"
APP_V4 = "comlink_ipc_v4"
APP_IDS = (APP_V3, APP_V4)
LIST_FUNCTIONS_CALL = "__multifrost_list_functions__"


# ----------------------------------------------------------------------------- messages

def pack(message: Dict[str, Any]) -> bytes:
    return msgpack.packb(message, use_bin_type=True)


def unpack(payload: bytes) -> Any:
    return msgpack.unpackb(payload, raw=False)


def make_message(app: str, type_: str, id_: Optional[str] = None, **fields: Any) -> Dict[str, Any]:
    """A message map; fields whose value is None are left out, as the public peer does."""
    message = {"app": app, "id": id_ or str(uuid.uuid4()), "type": type_, "timestamp": time.time()}
    message.update({k: v for k, v in fields.items() if v is not None})
    return message


def error_fields(exc: BaseException) -> Dict[str, Any]:
    name = type(exc).__name__
    if exc.__traceback__ is None:  # a rejection we made, never raised: no traceback to show
        return {"error": f"{name}: {exc}", "error_type": name}
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return {"error": f"{name}: {exc}\n{tb}", "error_type": name, "traceback": tb}


# ----------------------------------------------------------------------------- registry

def registry_home() -> str:
    return os.environ.get("MULTIFROST_HOME") or os.path.join(os.path.expanduser("~"), ".multifrost")


class ServiceRegistry:
    """services.json guarded by services.lock (O_CREAT|O_EXCL), shared with every other peer."""

    LOCK_TIMEOUT = 10.0
    STALE_AFTER = 10.0

    def __init__(self, home: Optional[str] = None) -> None:
        self.home = home or registry_home()
        self.file = os.path.join(self.home, "services.json")
        self.lock_file = os.path.join(self.home, "services.lock")

    @contextmanager
    def _locked(self) -> Iterator[None]:
        os.makedirs(self.home, exist_ok=True)
        deadline = time.time() + self.LOCK_TIMEOUT
        while True:
            try:
                fd = os.open(self.lock_file, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
                os.write(fd, str(os.getpid()).encode())
                os.close(fd)
                break
            except FileExistsError:
                try:
                    if time.time() - os.stat(self.lock_file).st_mtime > self.STALE_AFTER:
                        os.unlink(self.lock_file)  # left by a crashed holder
                        continue
                except FileNotFoundError:
                    continue
                if time.time() > deadline:
                    raise TimeoutError(f"registry lock {self.lock_file} still taken after {self.LOCK_TIMEOUT}s")
                time.sleep(0.05)
        try:
            yield
        finally:
            try:
                os.unlink(self.lock_file)
            except FileNotFoundError:
                pass

    def _read(self) -> Dict[str, Any]:
        try:
            with open(self.file) as f:
                text = f.read()
        except FileNotFoundError:
            return {}
        if not text.strip():
            return {}
        data = json.loads(text)  # a corrupt file raises: never silently wiped
        if not isinstance(data, dict):
            raise ValueError(f"{self.file} is not a JSON object")
        return data

    def _write(self, data: Dict[str, Any]) -> None:
        tmp = f"{self.file}.{os.getpid()}.{uuid.uuid4().hex}.tmp"
        with open(tmp, "w") as f:
            json.dump(data, f, indent=2)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.file)

    @staticmethod
    def _alive(pid: Any) -> bool:
        if not isinstance(pid, int) or pid <= 0:
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def register(self, service_id: str, port: int) -> None:
        with self._locked():
            data = self._read()
            entry = data.get(service_id)
            if isinstance(entry, dict) and self._alive(entry.get("pid")) and entry.get("pid") != os.getpid():
                raise RuntimeError(
                    f"Service '{service_id}' already running (PID: {entry.get('pid')}, port: {entry.get('port')})"
                )
            data[service_id] = {"port": port, "pid": os.getpid(), "started": datetime.datetime.now().isoformat()}
            self._write(data)

    def unregister(self, service_id: str) -> None:
        with self._locked():
            data = self._read()
            entry = data.get(service_id)
            if isinstance(entry, dict) and entry.get("pid") == os.getpid():
                del data[service_id]
                self._write(data)

    def discover(self, service_id: str, timeout: float = 5.0) -> int:
        deadline = time.time() + timeout
        while True:
            entry = self._read().get(service_id)
            if isinstance(entry, dict) and self._alive(entry.get("pid")) and isinstance(entry.get("port"), int):
                return entry["port"]
            if time.time() > deadline:
                raise TimeoutError(f"Service '{service_id}' not found within {timeout}s")
            time.sleep(0.1)


# ----------------------------------------------------------------------------- worker

class ChildWorker:
    """Subclass it; every public method (sync or `async def`) becomes callable by a parent."""

    namespace = "default"

    def __init__(self, service_id: Optional[str] = None, namespace: Optional[str] = None,
                 registry: Optional[ServiceRegistry] = None) -> None:
        self.service_id = service_id
        if namespace is not None:
            self.namespace = namespace
        self.registry = registry or ServiceRegistry()
        self._stopping = False
        self._replies: "queue.Queue[tuple]" = queue.Queue()
        self._loop: Optional[asyncio.AbstractEventLoop] = None

    def list_functions(self) -> List[str]:
        base = set(dir(ChildWorker))
        return sorted(
            name for name in dir(self)
            if not name.startswith("_") and name not in base and callable(getattr(type(self), name, None))
        )

    def stop(self) -> None:
        self._stopping = True

    # The loop below owns the socket; handlers on other threads hand replies over via a queue.
    def run(self) -> None:
        port_text = os.environ.pop("COMLINK_ZMQ_PORT", "")
        parent_pid = os.environ.pop("MULTIFROST_PARENT_PID", "")
        os.environ.pop("COMLINK_WORKER_MODE", None)
        ctx = zmq.Context()
        sock = ctx.socket(zmq.ROUTER)
        sock.setsockopt(zmq.LINGER, 0)
        registered = False
        if port_text:
            if not port_text.isdigit() or not 1024 <= int(port_text) <= 65535:
                raise SystemExit(f"FATAL: Invalid port '{port_text}' in COMLINK_ZMQ_PORT")
            sock.connect(f"tcp://127.0.0.1:{port_text}")
            if parent_pid.isdigit():
                threading.Thread(target=self._watch_parent, args=(int(parent_pid),), daemon=True).start()
        elif self.service_id:
            port = sock.bind_to_random_port("tcp://127.0.0.1")
            self.registry.register(self.service_id, port)
            registered = True
            print(f"Service '{self.service_id}' ready on port {port}", flush=True)
        else:
            raise SystemExit("FATAL: Need COMLINK_ZMQ_PORT env or service_id parameter")

        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stop())
        self._loop = asyncio.new_event_loop()
        threading.Thread(target=self._loop.run_forever, daemon=True).start()
        poller = zmq.Poller()
        poller.register(sock, zmq.POLLIN)
        try:
            while not self._stopping:
                if poller.poll(5):
                    while True:
                        try:
                            frames = sock.recv_multipart(zmq.NOBLOCK)
                        except zmq.Again:
                            break
                        self._on_frames(sock, frames)
                self._flush(sock)
            self._flush(sock)
        finally:
            if registered:
                self.registry.unregister(self.service_id)
            sock.close(0)
            ctx.term()

    def _flush(self, sock: zmq.Socket) -> None:
        while True:
            try:
                peer, message = self._replies.get_nowait()
            except queue.Empty:
                return
            try:
                sock.send_multipart([peer, b"", pack(message)])
            except Exception as exc:  # an unpackable result becomes an error reply
                if message.get("type") == "response":
                    fallback = make_message(message["app"], "error", message["id"], **error_fields(exc))
                    sock.send_multipart([peer, b"", pack(fallback)])

    def _watch_parent(self, pid: int) -> None:
        while True:
            time.sleep(0.2)
            if not ServiceRegistry._alive(pid):
                if os.getpgrp() == os.getpid():
                    os.killpg(os.getpgrp(), signal.SIGKILL)
                os._exit(0)

    def _on_frames(self, sock: zmq.Socket, frames: List[bytes]) -> None:
        if len(frames) != 3 or frames[1] != b"":
            return
        try:
            message = unpack(frames[2])
        except Exception:
            return
        if not isinstance(message, dict) or message.get("app") not in APP_IDS or not message.get("id"):
            return
        peer, app, kind = frames[0], message["app"], message.get("type")
        if kind == "heartbeat":
            meta = message.get("metadata") or {}
            if not meta.get("hb_response"):
                reply = make_message(app, "heartbeat", message["id"],
                                     metadata={"hb_timestamp": meta.get("hb_timestamp", time.time()), "hb_response": True})
                self._replies.put((peer, reply))
        elif kind == "shutdown":
            self.stop()
        elif kind == "call":
            self._on_call(peer, app, message)

    def _on_call(self, peer: bytes, app: str, message: Dict[str, Any]) -> None:
        call_id = message["id"]

        def fail(exc: BaseException) -> None:
            self._replies.put((peer, make_message(app, "error", call_id, **error_fields(exc))))

        def succeed(result: Any) -> None:
            self._replies.put((peer, make_message(app, "response", call_id, result=result)))

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
            future = asyncio.run_coroutine_threadsafe(method(*args), self._loop)  # type: ignore[arg-type]

            def done(f: "asyncio.Future[Any]") -> None:
                exc = f.exception()
                fail(exc) if exc else succeed(f.result())

            future.add_done_callback(done)
            return None
        try:
            succeed(method(*args))
        except Exception as exc:
            fail(exc)
        return None


# ----------------------------------------------------------------------------- caller

class RemoteCallError(Exception):
    def __init__(self, name: str, message: str, traceback_text: str = "") -> None:
        super().__init__(f"{name}: {message}")
        self.name, self.message, self.traceback = name, message, traceback_text


class WorkerExited(Exception):
    pass


class ParentWorker:
    """Calls a worker in spawn mode (we start it) or connect mode (found in the registry)."""

    def __init__(self, app: str = APP_V3) -> None:
        self.app = app
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.process: Optional[subprocess.Popen] = None

    @classmethod
    def spawn(cls, command: List[str], app: str = APP_V3, env: Optional[Dict[str, str]] = None,
              timeout: float = 30.0) -> "ParentWorker":
        """`command` is the full argv, e.g. [sys.executable, "worker.py"] or ["node", ..., "worker.ts"]."""
        worker = cls(app)
        port = worker.sock.bind_to_random_port("tcp://127.0.0.1")
        child_env = dict(os.environ, **(env or {}))
        child_env.update(COMLINK_ZMQ_PORT=str(port), COMLINK_WORKER_MODE="1", MULTIFROST_PARENT_PID=str(os.getpid()))
        worker.process = subprocess.Popen(command, env=child_env, start_new_session=True)
        worker._wait_ready(timeout)
        return worker

    @classmethod
    def connect(cls, service_id: str, app: str = APP_V3, timeout: float = 5.0,
                registry: Optional[ServiceRegistry] = None) -> "ParentWorker":
        worker = cls(app)
        port = (registry or ServiceRegistry()).discover(service_id, timeout)
        worker.sock.connect(f"tcp://127.0.0.1:{port}")
        worker._wait_ready(timeout)
        return worker

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            beat = make_message(self.app, "heartbeat", metadata={"hb_timestamp": time.time()})
            self.sock.send_multipart([b"", pack(beat)])
            try:
                self._await(beat["id"], min(1.0, max(0.05, deadline - time.time())))
                return
            except TimeoutError:
                continue
        raise TimeoutError("worker did not answer a heartbeat in time")

    def _await(self, message_id: str, timeout: float) -> Dict[str, Any]:
        deadline = time.time() + timeout
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise WorkerExited(f"worker exited with code {self.process.returncode}")
            remaining = deadline - time.time()
            if remaining <= 0:
                raise TimeoutError(f"no reply to {message_id} within {timeout}s")
            if self.sock.poll(int(min(remaining, 0.05) * 1000) or 1):
                frames = self.sock.recv_multipart()
                if len(frames) != 2:
                    continue
                message = unpack(frames[1])
                if isinstance(message, dict) and message.get("id") == message_id:
                    return message

    def call(self, function: str, *args: Any, timeout: float = 30.0, namespace: str = "default") -> Any:
        call = make_message(self.app, "call", function=function, args=list(args), namespace=namespace,
                            client_name="multifrost_py")
        self.sock.send_multipart([b"", pack(call)])
        reply = self._await(call["id"], timeout)
        if reply.get("type") == "error":
            text = reply.get("error", "")
            name = reply.get("error_type") or (text.split(":", 1)[0] if ":" in text else "Error")
            message = text[len(name) + 2:] if text.startswith(name + ": ") else text
            raise RemoteCallError(name, message.split("\n", 1)[0], reply.get("traceback", ""))
        return reply.get("result")

    def close(self) -> None:
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
        self.sock.close(0)
        self.ctx.term()


# ----------------------------------------------------------------------------- test driver

def describe(value: Any) -> Dict[str, Any]:
    """A JSON view of a Python value that keeps its Python type, for tests to check."""
    if isinstance(value, bytes):
        return {"type": "bytes", "hex": value.hex()}
    if isinstance(value, float) and value != value:
        return {"type": "float", "repr": "nan"}
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return {"type": "float", "repr": repr(value)}
    if isinstance(value, list):
        return {"type": "list", "items": [describe(v) for v in value]}
    if isinstance(value, dict):
        return {"type": "dict", "items": {str(k): describe(v) for k, v in value.items()}}
    if isinstance(value, msgpack.Timestamp):
        return {"type": "Timestamp", "ns": value.to_unix_nano()}
    if isinstance(value, int) and not isinstance(value, bool):
        return {"type": "int", "repr": str(value)}
    return {"type": type(value).__name__, "value": value}


def _driver(argv: List[str]) -> int:
    """python3 multifrost_py.py drive '<json plan>': spawn or connect, run calls, print JSON lines.

    plan = {"spawn": [argv...]} or {"connect": "service-id", "home": "..."},
           "app": "comlink_ipc_v3", "env": {...}, "calls": [[function, [args...]], ...]
    Each call prints {"ok": true, "result": describe(result)} or {"ok": false, "name", "message", "traceback"}.
    """
    plan = json.loads(argv[0])
    app = plan.get("app", APP_V3)
    if "spawn" in plan:
        worker = ParentWorker.spawn(plan["spawn"], app=app, env=plan.get("env"))
    else:
        worker = ParentWorker.connect(plan["connect"], app=app, registry=ServiceRegistry(plan.get("home")))
    try:
        for function, args in plan["calls"]:
            try:
                result = worker.call(function, *args, timeout=plan.get("timeout", 30.0))
                print(json.dumps({"ok": True, "result": describe(result)}), flush=True)
            except RemoteCallError as exc:
                print(json.dumps({"ok": False, "name": exc.name, "message": exc.message, "traceback": exc.traceback}), flush=True)
    finally:
        worker.close()
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "drive":
        sys.exit(_driver(sys.argv[2:]))
    print(__doc__)
