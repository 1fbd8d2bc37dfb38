"""CURVE keys as the user hands them over: Z85 strings, zmq.auth certificate files, directories.

The file format is pyzmq's `zmq.auth` certificate (also what `npx multifrost keygen` writes), so a
key made by either side loads on the other. A secret certificate that other accounts can read is
refused, as ssh refuses a readable private key: whoever reads it can pose as us.
"""
from __future__ import annotations

import datetime
import os
import stat
from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

import zmq
import zmq.auth
from zmq.utils import z85

KeySource = Union[str, "os.PathLike[str]", Tuple[Any, Any], Dict[str, Any]]


def z85_key(value: Any, what: str) -> str:
    """`value` as a 40-character Z85 key (str), or ValueError naming `what`."""
    text = value.decode("ascii", "replace") if isinstance(value, (bytes, bytearray)) else value
    if not isinstance(text, str) or len(text) != 40:
        raise ValueError(f"{what}: expected a 40-character Z85 CURVE key, got {value!r}")
    try:
        raw = z85.decode(text.encode("ascii"))
    except Exception:
        raise ValueError(f"{what}: {text!r} is not valid Z85") from None
    if len(raw) != 32:
        raise ValueError(f"{what}: {text!r} does not decode to a 32-byte key")
    return text


def _check_secret_mode(path: str) -> None:
    if os.name != "posix":
        return  # Windows has no group/other mode bits to check
    mode = stat.S_IMODE(os.stat(path).st_mode)
    if mode & 0o077:
        raise ValueError(
            f"secret certificate {path} has mode {mode:04o}: other accounts can read it, so it is refused "
            f"(run `chmod 600 {path}`)"
        )


def read_certificate(path: Union[str, "os.PathLike[str]"]) -> Tuple[str, Optional[str]]:
    """(public, secret or None) from a certificate file; the secret only from a private file."""
    path = os.fspath(path)
    try:
        public, secret = zmq.auth.load_certificate(path)
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read CURVE certificate {path}: {exc}") from None
    if secret:
        _check_secret_mode(path)
    return (
        z85_key(public, f"public-key in {path}"),
        z85_key(secret, f"secret-key in {path}") if secret else None,
    )


def key_pair(source: KeySource, what: str = "key") -> Tuple[str, str]:
    """Our own (public, secret) pair from a `.key_secret` file, a (public, secret) tuple or a dict."""
    if isinstance(source, (str, os.PathLike)):
        public, secret = read_certificate(source)
        if secret is None:
            raise ValueError(f"{what}: {os.fspath(source)} holds no secret-key (give the .key_secret file)")
        return public, secret
    if isinstance(source, dict):
        public = source.get("public", source.get("public_key", source.get("publicKey")))
        secret = source.get("secret", source.get("secret_key", source.get("secretKey")))
    elif isinstance(source, tuple) and len(source) == 2:
        public, secret = source
    else:
        raise ValueError(f"{what}: expected a .key_secret path, a (public, secret) tuple or a dict, got {source!r}")
    public = z85_key(public, f"{what} public")
    secret = z85_key(secret, f"{what} secret")
    if zmq.curve_public(secret.encode("ascii")).decode("ascii") != public:
        raise ValueError(f"{what}: the public key does not belong to the secret key")
    return public, secret


def public_key(source: Any, what: str) -> str:
    """A peer's public key from a Z85 string or a certificate file (`.key` or `.key_secret`)."""
    if isinstance(source, os.PathLike) or (isinstance(source, str) and os.path.isfile(source)):
        return read_certificate(source)[0]
    return z85_key(source, what)


def allow_list(items: Any) -> List[str]:
    """The service's allow-list: Z85 keys, certificate files and directories of `*.key` files."""
    if isinstance(items, (str, bytes, os.PathLike)):
        items = [items]
    if not isinstance(items, Iterable):
        raise ValueError(f"allow: expected a list of keys, certificate files or directories, got {items!r}")
    keys: List[str] = []
    for item in items:
        if isinstance(item, (str, os.PathLike)) and os.path.isdir(item):
            folder = os.fspath(item)
            found = sorted(n for n in os.listdir(folder) if n.endswith(".key"))
            if not found:
                raise ValueError(f"allow: directory {folder} holds no *.key certificate")
            keys.extend(read_certificate(os.path.join(folder, n))[0] for n in found)
        else:
            keys.append(public_key(item, f"allow item {item!r}"))
    if not keys:
        raise ValueError("allow: the CURVE allow-list is empty, so no parent could connect")
    return keys


def create_certificates(key_dir: Union[str, "os.PathLike[str]"], name: str) -> Tuple[str, str]:
    """Writes NAME.key and NAME.key_secret (0600 from the start) in zmq.auth's format; their paths.

    Unlike `zmq.auth.create_certificates`, whose secret file gets the umask's mode (0644 usually),
    which our own loader would then refuse.
    """
    public, secret = (k.decode("ascii") for k in zmq.curve_keypair())
    base = os.path.join(os.fspath(key_dir), name)
    now = datetime.datetime.now().isoformat(sep=" ")
    for path, kind, lines, mode in (
        (f"{base}.key", "Public", [f'    public-key = "{public}"'], 0o644),
        (f"{base}.key_secret", "**Secret**", [f'    public-key = "{public}"', f'    secret-key = "{secret}"'], 0o600),
    ):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "w") as f:
            f.write(f"#   ****  Generated on {now} by multifrost  ****\n")
            f.write(f"#   ZeroMQ CURVE {kind} Certificate\n")
            f.write("#   Exchange securely, or use a secure mechanism to verify the contents\n"
                    if kind == "Public" else
                    "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.\n")
            f.write("\nmetadata\ncurve\n" + "\n".join(lines) + "\n")
        if hasattr(os, "chmod"):
            os.chmod(path, mode)  # the umask may have taken bits from the owner too
    return f"{base}.key", f"{base}.key_secret"
