"""The service registry shared with every other Multifrost peer: services.json under services.lock.

The lock is a file created with O_CREAT|O_EXCL (the same lock the TypeScript, Go and Rust peers
take), then registry.lock the same way (the v3 Python peer's lock; only both exclude every peer),
each broken when older than STALE_AFTER seconds because its holder must have crashed. Writes go
through a temporary file and a rename so a reader never sees half a file. The folder is created
0700 and every file 0600 whatever the umask, as the TypeScript peer does: the registry says which
port serves which call, and no other account should read or rewrite that.

Both files may be something no peer writes, and each case must end, clearly, never hang or spin:
services.json is read only when it is a regular file under MAX_REGISTRY_BYTES (opened with
O_NOFOLLOW|O_NONBLOCK and checked with fstat, so a FIFO cannot block the open and nothing changes
between check and read); services.lock is looked at with lstat, so a symlink there (dangling or
not) is broken at once instead of its unreadable age being waited on forever. Bytes that are not
UTF-8 in other peers' entries survive a rewrite unchanged (surrogateescape both ways), and every
operation takes a timeout.
"""
from __future__ import annotations

import codecs
import datetime
import errno
import json
import os
import stat
import time
import uuid
from contextlib import contextmanager
from typing import Any, Dict, Iterator, Optional, Tuple, Union

import psutil


def registry_home() -> str:
    return os.environ.get("MULTIFROST_HOME") or os.path.join(os.path.expanduser("~"), ".multifrost")


DIR_MODE = 0o700
FILE_MODE = 0o600
# The TypeScript peer's cap too: a 200 MB services.json once took register() to 1.37 GB.
MAX_REGISTRY_BYTES = 16 * 1024 * 1024


class RegistryCorruptError(ValueError):
    """services.json cannot be used as it is (not a regular file, too big, not a JSON object)."""

    code = "REGISTRY_CORRUPT"


class RegistryLockedError(RuntimeError):
    """services.lock cannot be taken: something no peer creates is there, or it cannot be made."""

    code = "REGISTRY_LOCKED"


class RegistryLockTimeout(RegistryLockedError, TimeoutError):
    """The lock was still held by someone else when the deadline passed."""


def make_private_dirs(path: str) -> None:
    """Creates `path` and any missing parents 0700. A folder that already exists is left as it is."""
    missing = []
    while path and not os.path.isdir(path):
        missing.append(path)
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, DIR_MODE)
        except FileExistsError:
            continue  # another process made it first; its mode is its business
        # mkdir's mode passes through the umask, which may take away the owner's own bits.
        os.chmod(folder, DIR_MODE)


def open_private(path: str) -> int:
    """A new file for writing, 0600 whatever the umask (O_EXCL: never someone else's file)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
    if hasattr(os, "fchmod"):
        try:
            os.fchmod(fd, FILE_MODE)
        except BaseException:
            os.close(fd)
            raise
    return fd


def pid_alive(pid: Any) -> bool:
    # psutil rather than os.kill(pid, 0): on Windows that call would terminate the process.
    return isinstance(pid, int) and not isinstance(pid, bool) and pid > 0 and psutil.pid_exists(pid)


def describe_mode(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def read_regular_file(path: str, max_bytes: int) -> Union[bytes, None, str]:
    """The file's bytes; None if it does not exist; or, as a str, why it was not read."""
    if not getattr(os, "O_NOFOLLOW", 0):
        # No O_NOFOLLOW (Windows): lstat first; the window it leaves is the best this OS allows.
        try:
            if stat.S_ISLNK(os.lstat(path).st_mode):
                return "it is a symbolic link"
        except FileNotFoundError:
            return None
    try:
        fd = os.open(path, _READ_FLAGS)
    except FileNotFoundError:
        return None
    except OSError as err:
        if err.errno == errno.ELOOP:
            return "it is a symbolic link"
        return err.strerror or str(err)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return f"it is {describe_mode(st.st_mode)}, not a regular file"
        if st.st_size > max_bytes:
            return f"it is {st.st_size} bytes, over the {max_bytes}-byte cap"
        # The file may grow between fstat and the reads: read one byte past the cap to notice.
        chunks = []
        length = 0
        while True:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - length))
            if not chunk:
                break
            chunks.append(chunk)
            length += len(chunk)
            if length > max_bytes:
                return f"it grew past the {max_bytes}-byte cap while read"
        return b"".join(chunks)
    finally:
        os.close(fd)


def _keep_bytes(err: UnicodeError) -> Tuple[bytes, int]:
    """Encode errors: surrogates that stood for raw bytes become those bytes again, others escapes.

    U+DC80..U+DCFF came from surrogateescape decoding a byte that was not UTF-8, and is written back
    as that byte. Any other lone surrogate can only have come from a JSON escape, and surrogates are
    only ever inside JSON strings, so writing the escape again is valid JSON with the same meaning.
    """
    if not isinstance(err, UnicodeEncodeError):
        raise err
    out = bytearray()
    for ch in err.object[err.start : err.end]:
        c = ord(ch)
        if 0xDC80 <= c <= 0xDCFF:
            out.append(c - 0xDC00)
        else:
            out += b"\\u%04x" % c
    return bytes(out), err.end


codecs.register_error("multifrost-keep-bytes", _keep_bytes)


def decode_keeping_bytes(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def encode_keeping_bytes(text: str) -> bytes:
    return text.encode("utf-8", "multifrost-keep-bytes")


def _remaining(deadline: float) -> float:
    return deadline - time.monotonic()


class ServiceRegistry:
    LOCK_TIMEOUT = 10.0
    STALE_AFTER = 10.0
    POLL = 0.05
    MAX_BYTES = MAX_REGISTRY_BYTES

    def __init__(self, home: Optional[str] = None) -> None:
        self.home = home or registry_home()
        self.file = os.path.join(self.home, "services.json")
        self.lock_file = os.path.join(self.home, "services.lock")
        # The v3 Python peer's lock: it takes only this one, so we hold it too (after lock_file).
        self.legacy_lock_file = os.path.join(self.home, "registry.lock")

    @contextmanager
    def _locked(self, timeout: Optional[float] = None) -> Iterator[None]:
        """Holds every lock a registry change needs, in the one order every Multifrost peer takes them.

        services.lock (Python v4, Go, Rust, TypeScript) first, then registry.lock (the v3 Python
        peer's), within one deadline, released in reverse. A holder that dies between the two
        leaves only services.lock, which every peer but v3 breaks once stale, and registry.lock,
        which v3 never breaks, is held for the shortest time.
        """
        wait = self.LOCK_TIMEOUT if timeout is None else _check_timeout(timeout)
        make_private_dirs(self.home)
        deadline = time.monotonic() + wait
        held = []
        try:
            for lock in (self.lock_file, self.legacy_lock_file):
                held.append((lock, self._acquire(lock, deadline, wait)))
            yield
        finally:
            for lock, own in reversed(held):
                self._release(lock, own)

    def _acquire(self, lock: str, deadline: float, wait: float) -> Tuple[int, int]:
        while True:
            own = self._try_create(lock)
            if own is not None:
                return own
            try:
                st = os.lstat(lock)
            except FileNotFoundError:
                continue  # released meanwhile: try again at once
            is_link = stat.S_ISLNK(st.st_mode)
            if not is_link and not stat.S_ISREG(st.st_mode):
                raise RegistryLockedError(
                    f"Registry lock {lock} is {describe_mode(st.st_mode)}, which no peer creates; "
                    "remove it to let registrations through"
                )
            # No peer's O_EXCL create ever makes a symlink, and its age can't be read: stale now.
            if (is_link or time.time() - st.st_mtime > self.STALE_AFTER) and self._break(lock):
                continue
            left = _remaining(deadline)
            if left <= 0:
                raise RegistryLockTimeout(
                    f"Registry lock {lock} still taken after {wait}s "
                    f"(lock age {max(0.0, time.time() - st.st_mtime):.1f}s); "
                    f"it is broken once older than {self.STALE_AFTER}s"
                )
            time.sleep(min(self.POLL, left))

    def _try_create(self, lock: str) -> Optional[Tuple[int, int]]:
        """One O_EXCL attempt: (dev, ino) of the lock we now hold, or None if another has it."""
        try:
            fd = open_private(lock)
        except FileExistsError:
            return None
        except OSError as err:
            raise RegistryLockedError(f"Cannot create registry lock {lock}: {err}") from err
        try:
            # Informational only (Go's lock is empty); it helps a human see who holds it.
            os.write(fd, str(os.getpid()).encode())
            st = os.fstat(fd)
            return (st.st_dev, st.st_ino)
        finally:
            os.close(fd)

    def _release(self, lock: str, own: Tuple[int, int]) -> None:
        # Only our own file: if our lock was broken and re-taken, the path names someone else's.
        try:
            st = os.lstat(lock)
            if (st.st_dev, st.st_ino) == own:
                os.unlink(lock)
        except FileNotFoundError:
            pass

    def _break(self, lock: str) -> bool:
        """Removes the stale lock we looked at; True if the caller should retry at once.

        Serialised with the TypeScript peer by `<lock>.break` (O_EXCL), and done by rename so we
        remove exactly the file we judged; one that turns out fresh is put back.
        """
        guard = f"{lock}.break"
        try:
            os.close(open_private(guard))
        except FileExistsError:
            # A breaker holds the guard for milliseconds; one that has it for seconds crashed there.
            try:
                if time.time() - os.lstat(guard).st_mtime > min(self.STALE_AFTER, 2.0):
                    os.unlink(guard)
            except OSError:
                pass
            return False
        except OSError:
            return False
        try:
            try:
                st = os.lstat(lock)
            except FileNotFoundError:
                return True
            if not stat.S_ISLNK(st.st_mode) and time.time() - st.st_mtime <= self.STALE_AFTER:
                return False  # re-taken meanwhile by a live holder
            aside = f"{lock}.stale-{os.getpid()}-{uuid.uuid4().hex[:8]}"
            try:
                os.rename(lock, aside)
            except OSError:
                return True
            try:
                moved = os.lstat(aside)
                same = (moved.st_dev, moved.st_ino, moved.st_mtime) == (st.st_dev, st.st_ino, st.st_mtime)
                if not same and stat.S_ISREG(moved.st_mode) and time.time() - moved.st_mtime <= self.STALE_AFTER:
                    try:
                        os.link(aside, lock)
                    except OSError:
                        pass
            finally:
                try:
                    os.unlink(aside)
                except OSError:
                    pass
            return True
        finally:
            try:
                os.unlink(guard)
            except OSError:
                pass

    def _read(self) -> Dict[str, Any]:
        data = read_regular_file(self.file, self.MAX_BYTES)
        if data is None:
            return {}
        if isinstance(data, str):
            raise RegistryCorruptError(f"Cannot read registry {self.file}: {data}")
        text = decode_keeping_bytes(data)
        if not text.strip():
            return {}
        try:
            parsed = json.loads(text)  # a corrupt file raises: it is never silently wiped
        except ValueError as err:
            raise RegistryCorruptError(f"Registry {self.file} is corrupt: {err}; fix or remove it") from err
        if not isinstance(parsed, dict):
            raise RegistryCorruptError(f"Registry {self.file} is not a JSON object; fix or remove it")
        return parsed

    def _write(self, data: Dict[str, Any]) -> None:
        # ensure_ascii=False leaves the surrogates that stand for other peers' raw bytes as
        # characters, which encode_keeping_bytes turns back into exactly those bytes.
        body = encode_keeping_bytes(json.dumps(data, indent=2, ensure_ascii=False))
        tmp = f"{self.file}.{os.getpid()}.{uuid.uuid4().hex}.tmp"
        try:
            with os.fdopen(open_private(tmp), "wb") as f:
                f.write(body)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.file)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def register(
        self, service_id: str, port: int, curve_public_key: Optional[str] = None, timeout: Optional[float] = None,
        host: Optional[str] = None,
    ) -> None:
        """Adds our entry (a port on this host: `host` is not recorded, peers connect on loopback); every other entry is written back as read, fields we don't know included.

        `timeout` (seconds, default LOCK_TIMEOUT) bounds the wait for the lock.
        """
        with self._locked(timeout):
            data = self._read()
            entry = data.get(service_id)
            if isinstance(entry, dict) and pid_alive(entry.get("pid")) and entry.get("pid") != os.getpid():
                raise RuntimeError(
                    f"Service '{service_id}' already running (PID: {entry.get('pid')}, port: {entry.get('port')})"
                )
            # With the zone (unlike the v3/v4 Python peers' naive local time): a reader in another
            # zone can then tell when we registered, which its PID-reuse check needs.
            started = datetime.datetime.now().astimezone().isoformat()
            entry = {"port": port, "pid": os.getpid(), "started": started}
            if curve_public_key is not None:
                entry["curve_public_key"] = curve_public_key
            data[service_id] = entry
            self._write(data)

    def unregister(self, service_id: str, timeout: Optional[float] = None) -> None:
        with self._locked(timeout):
            data = self._read()
            entry = data.get(service_id)
            if isinstance(entry, dict) and entry.get("pid") == os.getpid():
                del data[service_id]
                self._write(data)

    def discover(self, service_id: str, timeout: float = 5.0) -> int:
        return self.lookup(service_id, timeout)["port"]

    def lookup(self, service_id: str, timeout: float = 5.0) -> Dict[str, Any]:
        """The whole entry of a live service (port, pid, started, curve_public_key, and any other field)."""
        deadline = time.monotonic() + _check_timeout(timeout)
        while True:
            entry = self._read().get(service_id)
            if isinstance(entry, dict) and pid_alive(entry.get("pid")) and isinstance(entry.get("port"), int):
                return dict(entry)
            left = _remaining(deadline)
            if left <= 0:
                raise TimeoutError(f"Service '{service_id}' not found within {timeout}s")
            time.sleep(min(0.1, left))


def _check_timeout(timeout: Any) -> float:
    # NaN would make a deadline that never passes, and a negative one is a caller's mistake.
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout >= 0:
        raise ValueError(f"A registry timeout must be a non-negative number of seconds, got {timeout!r}")
    return float(timeout)


def default_registry() -> Any:
    """The registry MULTIFROST_REGISTRY names, as the TypeScript peers read it: unset (or `file`) the
    file registry in MULTIFROST_HOME, `file:///dir` the file registry there, `redis://…`/`rediss://…`
    the Redis registry (redis_registry.RedisRegistry); anything else is refused at once."""
    url = os.environ.get("MULTIFROST_REGISTRY", "").strip()
    if url in ("", "file"):
        return ServiceRegistry()
    if url.startswith("file:"):
        from urllib.parse import urlsplit
        from urllib.request import url2pathname

        return ServiceRegistry(home=url2pathname(urlsplit(url).path))
    if url.startswith(("redis://", "rediss://")):
        from .redis_registry import RedisRegistry

        return RedisRegistry(url)
    from .redis_registry import mask_password

    raise ValueError(
        f"MULTIFROST_REGISTRY is not a registry URL: {mask_password(url)!r}; use redis://host:6379/0, "
        "file:///a/dir, or leave it unset for the file registry in MULTIFROST_HOME"
    )
