"""The wire format shared by worker and caller: app ids, msgpack settings, message maps, errors.

Matches the public Multifrost peers (docs/protocol.md in the repository): one msgpack map per message, packed with
use_bin_type=True and read with raw=False; keys app, id, type and timestamp on every message;
fields whose value is None are left out (so a None result is an absent `result`).
"""
from __future__ import annotations

import time
import traceback
import uuid
from typing import Any, Dict, Optional

import msgpack

APP_V3 = "comlink_ipc_v3"
APP_V4 = "comlink_ipc_v4"
APP_IDS = (APP_V3, APP_V4)
# What a Multifrost parent's listFunctions() sends; answered by the worker, never dispatched.
LIST_FUNCTIONS_CALL = "__multifrost_list_functions__"


def pack(message: Dict[str, Any]) -> bytes:
    return msgpack.packb(message, use_bin_type=True)


def new_packer() -> "msgpack.Packer":
    """A reusable encoder writing the same bytes as `pack`; one per thread (a Packer is not thread-safe)."""
    return msgpack.Packer(use_bin_type=True)


def unpack(payload: bytes) -> Any:
    return msgpack.unpackb(payload, raw=False)


def make_message(app: str, type_: str, id_: Optional[str] = None, **fields: Any) -> Dict[str, Any]:
    message = {"app": app, "id": id_ or str(uuid.uuid4()), "type": type_, "timestamp": time.time()}
    message.update({k: v for k, v in fields.items() if v is not None})
    return message


def response_message(app: str, id_: str, result: Any) -> Dict[str, Any]:
    """`make_message(app, "response", id_, result=result)` without the per-call kwargs and filtering."""
    message = {"app": app, "id": id_, "type": "response", "timestamp": time.time()}
    if result is not None:
        message["result"] = result
    return message


def error_fields(exc: BaseException) -> Dict[str, Any]:
    """`error` as the public peer writes it; `error_type` and `traceback` for callers that read them."""
    name = type(exc).__name__
    # Only our own errors carry a code (streams.NotAStreamError...); a user's `.code` means something else.
    code = getattr(type(exc), "_mf_error_code", None)
    if exc.__traceback__ is None:  # a rejection we made, never raised: there is no traceback to show
        fields = {"error": f"{name}: {exc}", "error_type": name}
    else:
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        fields = {"error": f"{name}: {exc}\n{tb}", "error_type": name, "traceback": tb}
    if isinstance(code, str):
        fields["error_code"] = code
    return fields
