"""Decodes every golden vector with the Python msgpack library the public Python peer uses
(unpackb(raw=False)), checks the Python type, re-encodes with packb(use_bin_type=True) and prints
the bytes back. Reads [{"name", "hex", "python"}] on stdin, writes [{"name", "hex"}] on stdout."""
import json
import math
import sys

import msgpack

PY_TYPES = {
    "NoneType": type(None),
    "bool": bool,
    "int": int,
    "float": float,
    "str": str,
    "bytes": bytes,
    "list": list,
    "dict": dict,
    "Timestamp": msgpack.Timestamp,
}


def main() -> None:
    vectors = json.load(sys.stdin)
    out = []
    for v in vectors:
        value = msgpack.unpackb(bytes.fromhex(v["hex"]), raw=False)
        want = v.get("python")
        if want is not None:
            # bool is a subclass of int in Python: compare exact types.
            if type(value) is not PY_TYPES[want]:
                raise SystemExit(f"{v['name']}: expected Python {want}, got {type(value).__name__} ({value!r})")
            if want == "float" and "NaN" in v["name"] and not math.isnan(value):
                raise SystemExit(f"{v['name']}: NaN did not survive")
        out.append({"name": v["name"], "hex": msgpack.packb(value, use_bin_type=True).hex()})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
