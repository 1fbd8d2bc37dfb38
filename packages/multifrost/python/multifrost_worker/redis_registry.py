"""The Redis registry, entry for entry the TypeScript @multifrost/registry-redis: one key per service
(`multifrost:svc:<id>`) holding a JSON entry (endpoint, host, port, pid, started, protocol,
curve_public_key when set, and the lease token), written with SET NX PX so that a live id is never
taken over and the entry of a crashed or cut-off service expires by itself.

A registration is a lease: a daemon thread renews it every ttl/3 with a token-checked Lua script
(PEXPIRE only if the key still holds our token) and, when it finds the lease lost (it expired while
Redis was away, or Redis came back empty), registers again with the same port. While Redis cannot
be reached the thread just tries again next time; calls to connected parents never touch Redis.

Chosen with MULTIFROST_REGISTRY=redis://host:6379/0 (see registry.default_registry); the query may
set ttlMs and keyPrefix, as for the TypeScript peer. Needs the `redis` package
(`pip install 'multifrost-worker[redis]'`), imported only when a Redis registry is made.
"""
from __future__ import annotations

import datetime
import json
import os
import threading
import time
import uuid
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

DEFAULT_TTL_MS = 5000
MIN_TTL_MS = 1000
DEFAULT_KEY_PREFIX = "multifrost:"
PROTOCOL = "comlink_ipc_v4"

# The TypeScript peer's scripts (packages/registry-redis/src/lease-scripts.ts), so a lease means the
# same whichever language holds it. 1: done; 0: the key is gone; -1: it holds someone else's token.
RENEW_SCRIPT = """
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local ok, entry = pcall(cjson.decode, raw)
if not ok or type(entry) ~= 'table' or entry.token ~= ARGV[1] then return -1 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""
UNREGISTER_SCRIPT = """
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local ok, entry = pcall(cjson.decode, raw)
if not ok or type(entry) ~= 'table' or entry.token ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
"""


class RegistryUnavailable(RuntimeError):
    """Redis could not be reached (REGISTRY_UNAVAILABLE in the TypeScript peer)."""


def mask_password(url: str) -> str:
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _split_url(url: str) -> Tuple[str, Dict[str, str]]:
    """The URL without our own query settings (redis-py would take them for connection options)."""
    parts = urlsplit(url)
    ours: Dict[str, str] = {}
    rest = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name in ("ttlMs", "keyPrefix"):
            ours[name] = value
        else:
            rest.append((name, value))
    return urlunsplit(parts._replace(query=urlencode(rest))), ours


class RedisRegistry:
    """The methods ChildWorker and ParentWorker use on ServiceRegistry, on Redis."""

    def __init__(self, url: str, ttl_ms: Optional[int] = None, key_prefix: Optional[str] = None,
                 timeout: float = 2.0) -> None:
        if not url.startswith(("redis://", "rediss://")):
            raise ValueError(f"A Redis registry URL looks like redis://host:6379/0, got {mask_password(url)!r}")
        try:
            import redis  # noqa: F401  (a missing package must say what to install)
        except ImportError as err:
            raise RuntimeError(
                f"The registry {mask_password(url)} needs the redis package: pip install 'multifrost-worker[redis]'"
            ) from err
        plain, ours = _split_url(url)
        ttl = ttl_ms if ttl_ms is not None else ours.get("ttlMs", DEFAULT_TTL_MS)
        try:
            ttl = int(ttl)
        except (TypeError, ValueError):
            ttl = -1
        if ttl < MIN_TTL_MS:
            raise ValueError(f"ttlMs must be a whole number of milliseconds of at least {MIN_TTL_MS}, got {ttl_ms or ours.get('ttlMs')!r}")
        self.ttl_ms = ttl
        self.key_prefix = key_prefix if key_prefix is not None else ours.get("keyPrefix", DEFAULT_KEY_PREFIX)
        self.where = mask_password(url)
        # Bounded socket waits: a registry call fails clearly instead of hanging while Redis is away.
        self._redis = redis.Redis.from_url(plain, socket_timeout=timeout, socket_connect_timeout=timeout,
                                           decode_responses=True)
        self._leases: Dict[str, Tuple[str, str, threading.Event]] = {}
        self._lock = threading.Lock()

    def _key(self, service_id: str) -> str:
        return f"{self.key_prefix}svc:{service_id}"

    def _call(self, what: str, fn: Any, *args: Any) -> Any:
        import redis

        try:
            return fn(*args)
        except redis.RedisError as err:
            raise RegistryUnavailable(f"The Redis registry at {self.where} is unavailable ({what}): {err}") from err

    def _entry(self, port: int, curve_public_key: Optional[str], token: str, host: str = "127.0.0.1") -> str:
        entry: Dict[str, Any] = {
            "endpoint": f"tcp://[{host}]:{port}" if ":" in host else f"tcp://{host}:{port}",
            "host": host,
            "port": port,
            "pid": os.getpid(),
            "started": datetime.datetime.now().astimezone().isoformat(),
            "protocol": PROTOCOL,
            "token": token,
        }
        if curve_public_key is not None:
            entry["curve_public_key"] = curve_public_key
        return json.dumps(entry)

    def _set(self, service_id: str, body: str) -> bool:
        key = self._key(service_id)
        return bool(self._call(f"register '{service_id}'", lambda: self._redis.set(key, body, px=self.ttl_ms, nx=True)))

    def register(self, service_id: str, port: int, curve_public_key: Optional[str] = None,
                 timeout: Optional[float] = None, host: str = "127.0.0.1") -> None:
        """Records us under service_id (refused while another live entry holds it) and keeps the lease.

        `host` is the address parents connect to (the service's advertised one)."""
        token = uuid.uuid4().hex
        body = self._entry(port, curve_public_key, token, host)
        if not self._set(service_id, body):
            held = self._call(f"register '{service_id}'", self._redis.get, self._key(service_id))
            who = _decode(held) or {}
            raise RuntimeError(
                f"Service '{service_id}' already running (PID: {who.get('pid')}, endpoint: {who.get('endpoint')})"
                f" in {self.where}"
            )
        stop = threading.Event()
        with self._lock:
            self._leases[service_id] = (token, body, stop)
        threading.Thread(target=self._keep, args=(service_id, stop), name=f"multifrost-lease-{service_id}",
                         daemon=True).start()

    def _keep(self, service_id: str, stop: threading.Event) -> None:
        while not stop.wait(self.ttl_ms / 3000.0):
            with self._lock:
                held = self._leases.get(service_id)
            if held is None:
                return
            token, body, _ = held
            try:
                renewed = self._call(f"renew '{service_id}'", self._redis.eval, RENEW_SCRIPT, 1,
                                     self._key(service_id), token, str(self.ttl_ms))
                if renewed == 1:
                    continue
                # Lost (expired, or Redis came back empty): the same entry again, under the same
                # token, if the id is free; someone else holding it now wins, and we keep trying.
                self._set(service_id, body)
            except RegistryUnavailable:
                continue

    def unregister(self, service_id: str, timeout: Optional[float] = None) -> None:
        with self._lock:
            held = self._leases.pop(service_id, None)
        if held is None:
            return
        token, _, stop = held
        stop.set()
        try:
            self._call(f"unregister '{service_id}'", self._redis.eval, UNREGISTER_SCRIPT, 1,
                       self._key(service_id), token)
        except RegistryUnavailable:
            pass  # the entry expires within its TTL anyway

    def lookup(self, service_id: str, timeout: float = 5.0) -> Dict[str, Any]:
        """The entry of a live service, without its token; TimeoutError if none appears in time."""
        deadline = time.monotonic() + timeout
        last: Optional[Exception] = None
        while True:
            try:
                entry = _decode(self._call(f"look up '{service_id}'", self._redis.get, self._key(service_id)))
                last = None
                if entry is not None and isinstance(entry.get("port"), int):
                    entry.pop("token", None)
                    return entry
            except RegistryUnavailable as err:
                last = err
            left = deadline - time.monotonic()
            if left <= 0:
                if last is not None:
                    raise last
                raise TimeoutError(f"Service '{service_id}' not found within {timeout}s (registry {self.where})")
            time.sleep(min(0.1, left))

    def discover(self, service_id: str, timeout: float = 5.0) -> int:
        return self.lookup(service_id, timeout)["port"]

    def list(self, prefix: str = "") -> List[Dict[str, Any]]:
        base = self._key("")
        pattern = "".join("\\" + c if c in "*?[]\\" else c for c in base + prefix) + "*"
        keys = sorted(set(self._call("list", lambda: list(self._redis.scan_iter(match=pattern, count=500)))))
        values = self._call("list", self._redis.mget, keys) if keys else []
        out = []
        for key, raw in zip(keys, values):
            entry = _decode(raw)
            if entry is not None:
                entry.pop("token", None)
                entry["service_id"] = key[len(base):]
                out.append(entry)
        return out

    def close(self) -> None:
        with self._lock:
            for _, _, stop in self._leases.values():
                stop.set()
        self._redis.close()


def _decode(raw: Any) -> Optional[Dict[str, Any]]:
    if not isinstance(raw, str):
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("endpoint"), str):
        return None
    return value
