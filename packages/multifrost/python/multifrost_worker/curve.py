"""Opt-in CURVE for connect mode: the `security={"curve": {...}}` option of a service and a caller.

A service encrypts its socket with its own key pair and asks a ZAP handler (pyzmq's
ThreadAuthenticator, started before the bind because libzmq admits everyone while no handler is
there) whether each client key is on its allow-list. A caller connects with the service key from
the registry entry, so a process at that port without the matching secret key never completes the
handshake, and it watches the socket monitor so a refusal surfaces at once instead of as a timeout.
"""
from __future__ import annotations

import threading
from typing import Any, Dict, List, Optional, Set

import zmq
from zmq.auth.thread import ThreadAuthenticator
from zmq.utils.monitor import recv_monitor_message

from .curve_keys import allow_list, key_pair, public_key


class AuthFailed(ConnectionError):
    """CURVE refused: our key is not allowed, or the service is not the one holding its registered key."""


class CurveUnavailable(RuntimeError):
    """The ZeroMQ library pyzmq loaded has no CURVE (built without libsodium)."""


def require_curve() -> None:
    if not zmq.has("curve"):
        raise CurveUnavailable(
            f"CURVE is not available: libzmq {zmq.zmq_version()} (loaded by pyzmq {zmq.__version__}) was built "
            "without libsodium/CURVE support; install a pyzmq wheel that bundles it (pip install pyzmq)"
        )


def _curve_options(security: Any, where: str, allowed: List[str]) -> Optional[Dict[str, Any]]:
    if security is None:
        return None
    if not isinstance(security, dict) or set(security) - {"curve"}:
        raise ValueError(f"{where}: security must be {{'curve': {{...}}}}, got {security!r}")
    curve = security.get("curve")
    if curve is None:
        return None
    if not isinstance(curve, dict) or set(curve) - set(allowed):
        raise ValueError(f"{where}: security['curve'] takes the keys {', '.join(allowed)}, got {curve!r}")
    if "key" not in curve:
        raise ValueError(f"{where}: security['curve'] needs 'key', our own key pair")
    require_curve()
    return curve


class _AllowList:
    """The credentials provider pyzmq's authenticator asks; counts whom it turned away."""

    def __init__(self, keys: List[str]) -> None:
        self.keys: Set[bytes] = {k.encode("ascii") for k in keys}
        self.refused = 0
        self._lock = threading.Lock()

    def callback(self, domain: str, key: bytes) -> bool:
        if key in self.keys:
            return True
        with self._lock:
            self.refused += 1
        return False


class CurveService:
    """A service's key pair and allow-list, read once; `secure(sock)` before the socket binds."""

    def __init__(self, security: Any) -> None:
        curve = _curve_options(security, "ChildWorker", ["key", "allow"])
        if curve is None:
            raise ValueError("CurveService needs security={'curve': {...}}")
        if "allow" not in curve:
            raise ValueError("ChildWorker: security['curve'] needs 'allow', the public keys of the parents it serves")
        self.public_key, self._secret_key = key_pair(curve["key"], "security['curve']['key']")
        self.allow = _AllowList(allow_list(curve["allow"]))
        self._auth: Optional[ThreadAuthenticator] = None

    @staticmethod
    def from_option(security: Any) -> "Optional[CurveService]":
        return CurveService(security) if _curve_options(security, "ChildWorker", ["key", "allow"]) else None

    @property
    def refused_peers(self) -> int:
        return self.allow.refused

    def secure(self, ctx: zmq.Context, sock: zmq.Socket, domain: str) -> None:
        self._auth = ThreadAuthenticator(ctx)
        self._auth.start()
        self._auth.configure_curve_callback(domain, credentials_provider=self.allow)
        sock.zap_domain = domain.encode()
        sock.curve_server = True
        sock.curve_publickey = self.public_key.encode("ascii")
        sock.curve_secretkey = self._secret_key.encode("ascii")

    def close(self) -> None:
        if self._auth is not None:
            self._auth.stop()
            self._auth = None


# What the caller's monitor listens for while it waits for the first heartbeat reply.
_HANDSHAKE_EVENTS = (
    zmq.EVENT_HANDSHAKE_SUCCEEDED
    | zmq.EVENT_HANDSHAKE_FAILED_AUTH
    | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
    | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
)


class CurveClient:
    """A caller's key pair, the service key it will accept, and the handshake watch on its socket."""

    def __init__(self, security: Any) -> None:
        curve = _curve_options(security, "ParentWorker.connect", ["key", "server_key"])
        if curve is None:
            raise ValueError("CurveClient needs security={'curve': {...}}")
        self.public_key, self._secret_key = key_pair(curve["key"], "security['curve']['key']")
        server = curve.get("server_key")
        self.expected = None if server is None else public_key(server, "security['curve']['server_key']")
        self.server_key = ""
        self.handshake_ok = False
        self._monitor: Optional[zmq.Socket] = None
        self._where = ""

    @staticmethod
    def from_option(security: Any) -> "Optional[CurveClient]":
        return CurveClient(security) if _curve_options(security, "ParentWorker.connect", ["key", "server_key"]) else None

    def check_entry(self, service_id: str, entry: Dict[str, Any]) -> None:
        """The service key to connect with, from the registry entry; AuthFailed before any connect."""
        registered = entry.get("curve_public_key")
        if not registered:
            raise AuthFailed(f"service '{service_id}' does not use CURVE (its registry entry has no curve_public_key)")
        if self.expected is not None and registered != self.expected:
            raise AuthFailed(
                f"service '{service_id}' is registered with CURVE key {registered}, expected {self.expected}"
            )
        self.server_key = public_key(registered, f"curve_public_key of service '{service_id}'")

    def secure(self, sock: zmq.Socket, service_id: str, endpoint: str) -> None:
        """Before connect: the monitor must exist before the first handshake or it misses it."""
        self._where = f"service '{service_id}' at {endpoint}"
        sock.curve_serverkey = self.server_key.encode("ascii")
        sock.curve_publickey = self.public_key.encode("ascii")
        sock.curve_secretkey = self._secret_key.encode("ascii")
        self._monitor = sock.get_monitor_socket(_HANDSHAKE_EVENTS)

    def check_handshake(self) -> None:
        """Reads what the monitor reported so far; AuthFailed on a refused or failed handshake."""
        while self._monitor is not None:
            try:
                event = recv_monitor_message(self._monitor, zmq.NOBLOCK)
            except zmq.Again:
                return
            kind = event["event"]
            if kind == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                self.handshake_ok = True
            elif kind == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
                raise AuthFailed(
                    f"{self._where} refused our CURVE key {self.public_key} (not in its allow-list; "
                    f"ZAP status {event['value']})"
                )
            elif kind in (zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL, zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL):
                raise AuthFailed(
                    f"the CURVE handshake with {self._where} failed: the process there does not hold the secret "
                    f"key of {self.server_key} registered for it"
                )

    def timed_out(self, timeout: float) -> Exception:
        if self.handshake_ok:
            return TimeoutError(f"{self._where} completed the CURVE handshake but did not answer a heartbeat within {timeout}s")
        return AuthFailed(
            f"no CURVE handshake with {self._where} completed within {timeout}s: the process there does not hold "
            f"the secret key of {self.server_key} registered for it, or it is not running"
        )

    def done(self, sock: zmq.Socket) -> None:
        if self._monitor is not None:
            try:
                sock.disable_monitor()
            except zmq.ZMQError:
                pass
            self._monitor.close(0)
            self._monitor = None
