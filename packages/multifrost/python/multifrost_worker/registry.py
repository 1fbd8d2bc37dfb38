"""The service registry shared with every other Multifrost peer: services.json under services.lock.

The lock is a file created with O_CREAT|O_EXCL (the same lock the TypeScript, Go and Rust peers
take), broken when older than STALE_AFTER seconds because its holder must have crashed. Writes go
through a temporary file and a rename so a reader never sees half a file. The folder is created
0700 and every file 0600 whatever the umask, as the TypeScript peer does: the registry says which
port serves which call, and no other account should read or rewrite that.
"""
from __future__ import annotations

import datetime
import json
import os
import time
import uuid
from contextlib import contextmanager
from typing import Any, Dict, Iterator, Optional

import psutil


def registry_home() -> str:
    return os.environ.get("MULTIFROST_HOME") or os.path.join(os.path.expanduser("~"), ".multifrost")


DIR_MODE = 0o700
FILE_MODE = 0o600


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
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
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


class ServiceRegistry:
    LOCK_TIMEOUT = 10.0
    STALE_AFTER = 10.0

    def __init__(self, home: Optional[str] = None) -> None:
        self.home = home or registry_home()
        self.file = os.path.join(self.home, "services.json")
        self.lock_file = os.path.join(self.home, "services.lock")

    @contextmanager
    def _locked(self) -> Iterator[None]:
        make_private_dirs(self.home)
        deadline = time.time() + self.LOCK_TIMEOUT
        while True:
            try:
                fd = open_private(self.lock_file)
                os.write(fd, str(os.getpid()).encode())
                os.close(fd)
                break
            except FileExistsError:
                try:
                    if time.time() - os.stat(self.lock_file).st_mtime > self.STALE_AFTER:
                        os.unlink(self.lock_file)
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
        data = json.loads(text)  # a corrupt file raises: it is never silently wiped
        if not isinstance(data, dict):
            raise ValueError(f"{self.file} is not a JSON object")
        return data

    def _write(self, data: Dict[str, Any]) -> None:
        tmp = f"{self.file}.{os.getpid()}.{uuid.uuid4().hex}.tmp"
        with os.fdopen(open_private(tmp), "w") as f:
            json.dump(data, f, indent=2)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.file)

    def register(self, service_id: str, port: int, curve_public_key: Optional[str] = None) -> None:
        """Adds our entry; every other entry is written back as read, fields we don't know included."""
        with self._locked():
            data = self._read()
            entry = data.get(service_id)
            if isinstance(entry, dict) and pid_alive(entry.get("pid")) and entry.get("pid") != os.getpid():
                raise RuntimeError(
                    f"Service '{service_id}' already running (PID: {entry.get('pid')}, port: {entry.get('port')})"
                )
            entry = {"port": port, "pid": os.getpid(), "started": datetime.datetime.now().isoformat()}
            if curve_public_key is not None:
                entry["curve_public_key"] = curve_public_key
            data[service_id] = entry
            self._write(data)

    def unregister(self, service_id: str) -> None:
        with self._locked():
            data = self._read()
            entry = data.get(service_id)
            if isinstance(entry, dict) and entry.get("pid") == os.getpid():
                del data[service_id]
                self._write(data)

    def discover(self, service_id: str, timeout: float = 5.0) -> int:
        return self.lookup(service_id, timeout)["port"]

    def lookup(self, service_id: str, timeout: float = 5.0) -> Dict[str, Any]:
        """The whole entry of a live service (port, pid, started, curve_public_key, and any other field)."""
        deadline = time.time() + timeout
        while True:
            entry = self._read().get(service_id)
            if isinstance(entry, dict) and pid_alive(entry.get("pid")) and isinstance(entry.get("port"), int):
                return dict(entry)
            if time.time() > deadline:
                raise TimeoutError(f"Service '{service_id}' not found within {timeout}s")
            time.sleep(0.1)
