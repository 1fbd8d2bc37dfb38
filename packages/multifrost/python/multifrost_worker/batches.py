"""Batches (docs/protocol.md#batches): several whole message payloads in one `batch` message.

The worker reads batches from any parent, and packs replies into one only for a parent that listed
`batch` in its heartbeat's `mf_caps`: each ZeroMQ message costs a send and a wake-up on both sides,
so with many calls in flight one batch per burst of replies saves most of that.
"""
from __future__ import annotations

import time
from typing import Any, List, Optional

CAP_BATCH = "batch"
#: Messages in one batch at most (senders and receivers), and payload bytes at most per batch.
MAX_BATCH_ITEMS = 1024
MAX_BATCH_BYTES = 256 * 1024
#: A reply larger than this always travels alone.
BATCH_ITEM_MAX_BYTES = 16 * 1024

_sequence = 0


def batch_items(message: dict) -> Optional[List[bytes]]:
    """The payloads of a `batch` message, or None when its `items` are malformed."""
    items = message.get("items")
    if not isinstance(items, list) or len(items) > MAX_BATCH_ITEMS:
        return None
    if not all(type(item) is bytes for item in items):
        return None
    return items


def pack_batch(packer: Any, app: str, payloads: List[bytes]) -> bytes:
    """One payload holding `payloads`, each as a bin item, byte for byte."""
    global _sequence
    _sequence = (_sequence + 1) % 0x1_0000_0000
    return packer.pack(
        {"app": app, "id": f"batch-{_sequence:x}", "type": "batch", "timestamp": time.time(), "items": payloads}
    )
