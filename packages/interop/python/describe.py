"""describe(value): a JSON view of a Python value that keeps its Python type, for the tests to check."""
from typing import Any, Dict

import msgpack


def describe(value: Any) -> Dict[str, Any]:
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
