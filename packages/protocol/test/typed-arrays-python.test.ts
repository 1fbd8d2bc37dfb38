/**
 * What a Python peer gets for a typed array: `bytes` holding the array's little-endian elements
 * (what `numpy.frombuffer(b, dtype='<f8')` reads; numpy is not installed here, so the stdlib's
 * `struct` reads the same bytes), and what comes back when Python sends `arr.tobytes()`.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { pythonBin } from '../../../scripts/python-bin.mjs';
import { createCall, decodeValue, encodeMessage } from '../src/index.js';

const PYTHON = pythonBin();

// Reads the call's args the way the public Python peer does, and answers with bin it made itself.
const SCRIPT = `
import sys, struct, msgpack, json
msg = msgpack.unpackb(sys.stdin.buffer.read(), raw=False)
f64, i32, big = msg["args"]
out = {
  "types": [type(a).__name__ for a in msg["args"]],
  "f64": list(struct.unpack("<%dd" % (len(f64) // 8), f64)),
  "i32": list(struct.unpack("<%di" % (len(i32) // 4), i32)),
  "big_len": len(big), "big_last": struct.unpack_from("<d", big, len(big) - 8)[0],
}
reply = msgpack.packb({"json": json.dumps(out), "back": struct.pack("<3d", 0.5, -1.25, 1e300)}, use_bin_type=True)
sys.stdout.buffer.write(reply)
`;

describe('typed arrays between Node and Python', () => {
  it('arrive in Python as bytes of little-endian elements, and Python bytes come back as a Buffer', () => {
    const big = new Float64Array(200_000).map((_, i) => i + 0.25); // 1.6 MB: the exact-size path
    const message = createCall({
      function: 'f',
      args: [new Float64Array([1.5, -2.25, Math.PI]), new Int32Array([7, -8, 2 ** 31 - 1]), big],
    });
    const run = spawnSync(PYTHON, ['-c', SCRIPT], { input: encodeMessage(message), maxBuffer: 1 << 26 });
    if (run.status !== 0) throw new Error(`python failed (${run.status}): ${run.stderr}`);
    const reply = decodeValue(run.stdout) as { json: string; back: Buffer };
    const seen = JSON.parse(reply.json);
    expect(seen.types).toEqual(['bytes', 'bytes', 'bytes']);
    expect(seen.f64).toEqual([1.5, -2.25, Math.PI]);
    expect(seen.i32).toEqual([7, -8, 2 ** 31 - 1]);
    expect(seen.big_len).toBe(1_600_000);
    expect(seen.big_last).toBe(199_999.25);
    const copy = Buffer.from(reply.back);
    expect([...new Float64Array(copy.buffer, copy.byteOffset, copy.length / 8)]).toEqual([0.5, -1.25, 1e300]);
  });
});
