"""Connect mode's addresses, with the same rules as the TypeScript side (packages/child/src/bind-plan.ts):
where a service binds (`host`, MULTIFROST_HOST; default 127.0.0.1), what it records in the registry
(`advertise`, MULTIFROST_ADVERTISE: 'host' or 'host:port'; required when binding 0.0.0.0), and the
rule that off loopback a service serves CURVE unless `insecure` (MULTIFROST_INSECURE=1) says otherwise,
with a loud warning. A parent applies the same rule to the entries it connects to (`plain_entry_allowed`).
"""
from __future__ import annotations

import os
import re
import sys
from typing import Any, Dict, Mapping, Optional, Tuple

_WILDCARDS = {"0.0.0.0", "*", "::", "[::]"}
_LOOPBACKS = {"127.0.0.1", "localhost", "::1", "[::1]"}


def is_loopback(host: str) -> bool:
    return host in _LOOPBACKS or re.fullmatch(r"127\.\d+\.\d+\.\d+", host) is not None


def env_flag(value: Optional[str]) -> bool:
    return value is not None and value.strip().lower() in ("1", "true", "yes")


def _env(env: Mapping[str, str], name: str) -> Optional[str]:
    value = env.get(name, "").strip()
    return value or None


class BindPlan:
    """`bind_host` to bind; `advertised(port)` gives the (host, port) to register."""

    def __init__(self, service_id: str, host: Optional[str], advertise: Optional[str], insecure: Optional[bool],
                 curve: bool, env: Mapping[str, str] = os.environ) -> None:
        self.service_id = service_id
        bind_host = host if host is not None else (_env(env, "MULTIFROST_HOST") or "127.0.0.1")
        if not isinstance(bind_host, str) or not bind_host:
            raise ValueError(f"service '{service_id}': host must be an address such as '0.0.0.0', got {host!r}")
        advertise = advertise if advertise is not None else _env(env, "MULTIFROST_ADVERTISE")
        allowed = insecure if insecure is not None else env_flag(env.get("MULTIFROST_INSECURE"))
        if bind_host in _WILDCARDS and advertise is None:
            raise ValueError(
                f"service '{service_id}': binding {bind_host} listens on every interface, so there is no one address "
                "to put in the registry; set advertise (or MULTIFROST_ADVERTISE) to the address parents should "
                "connect to, e.g. advertise='10.0.0.7'"
            )
        self.exposed = not is_loopback(bind_host)
        if self.exposed and not curve and not allowed:
            raise ValueError(
                f"service '{service_id}': binding {bind_host} exposes the service beyond loopback, and off loopback "
                "CURVE is on by default: pass security={'curve': {'key': ..., 'allow': ...}}, or insecure=True "
                "(MULTIFROST_INSECURE=1) to serve unauthenticated and unencrypted"
            )
        self.warn_insecure = self.exposed and not curve
        self.bind_host = bind_host.strip("[]")
        self._advertise = None if advertise is None else _parse_advertise(service_id, advertise)

    def bind_url(self) -> str:
        host = self.bind_host
        return f"tcp://[{host}]" if ":" in host else f"tcp://{host}"

    def advertised(self, port: int) -> Tuple[str, int]:
        if self._advertise is None:
            return self.bind_host, port
        host, adv_port = self._advertise
        return host, adv_port if adv_port is not None else port

    def warn(self, port: int) -> None:
        if self.warn_insecure:
            print(
                f"multifrost: WARNING: service '{self.service_id}' serves WITHOUT CURVE on "
                f"{self.bind_url()}:{port} (insecure=True): anyone who can reach this address can call it and "
                "read its traffic",
                file=sys.stderr, flush=True,
            )


def _parse_advertise(service_id: str, text: str) -> Tuple[str, Optional[int]]:
    rest = text[6:] if text.startswith("tcp://") else text
    host, port_text = rest, None
    bracket = re.fullmatch(r"\[([^\]]+)\](?::(.*))?", rest)
    if bracket:
        host, port_text = bracket.group(1), bracket.group(2)
    elif rest.count(":") == 1:
        host, port_text = rest.split(":")
    port: Optional[int] = None
    bad = False
    if port_text is not None:
        bad = not port_text.isdigit() or not 0 < int(port_text) <= 65535
        port = None if bad else int(port_text)
    if not host or re.search(r"[/\s]", host) or bad or host in _WILDCARDS:
        raise ValueError(
            f"service '{service_id}': advertise must be the address parents connect to, as 'host' or 'host:port' "
            f"(not a wildcard), got {text!r}"
        )
    return host, port


_warned: set = set()


def check_plain_entry(service_id: str, entry: Dict[str, Any], endpoint: str, insecure: Optional[bool],
                      env: Mapping[str, str] = os.environ) -> None:
    """Off loopback, a service without CURVE is refused (AuthFailed) unless insecure; then a warning, once."""
    from .curve import AuthFailed

    host = entry.get("host")
    if not isinstance(host, str):
        m = re.fullmatch(r"tcp://\[?([^\]]*?)\]?:\d+", endpoint)
        host = m.group(1) if m else None
    if host is None or is_loopback(host):
        return
    allowed = insecure if insecure is not None else env_flag(env.get("MULTIFROST_INSECURE"))
    if not allowed:
        raise AuthFailed(
            f"service '{service_id}' at {endpoint} is off loopback and does not use CURVE, so anyone on the network "
            "could read or fake its traffic; refusing to connect. Serve it with security={'curve': ...}, or pass "
            "insecure=True (MULTIFROST_INSECURE=1) to connect unauthenticated"
        )
    if endpoint not in _warned:
        _warned.add(endpoint)
        print(
            f"multifrost: WARNING: connecting to service '{service_id}' at {endpoint} WITHOUT CURVE (insecure=True): "
            "the traffic is neither authenticated nor encrypted",
            file=sys.stderr, flush=True,
        )
