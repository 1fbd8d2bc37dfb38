import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LIMITS,
  MultifrostError,
  createCall,
  createCancel,
  createHeartbeat,
  createHeartbeatReply,
  decodeMessage,
  encodeMessage,
  encodeValue,
  newId,
  nowSeconds,
  parseFrames,
  validateMessage,
} from '../src/index.js';
import { prepareValue } from '../src/values.js';

function encodeError(fn: () => unknown): MultifrostError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MultifrostError);
    expect((err as MultifrostError).code).toBe('ENCODE');
    return err as MultifrostError;
  }
  throw new Error('expected an ENCODE error');
}

describe('encoding errors name the path and send nothing', () => {
  it.each([
    ['a function', [1, { cb: () => 1 }], 'args[1].cb: functions cannot be sent'],
    ['a symbol', [Symbol('s')], 'args[0]: symbols cannot be sent'],
    ['a BigInt over 64 bits', [2n ** 64n], 'args[0]: BigInt 18446744073709551616 is beyond 64 bits'],
    ['a BigInt under int64', [-(2n ** 63n) - 1n], 'args[0]: BigInt -9223372036854775809 is beyond 64 bits'],
    [
      'a Promise',
      [{ user: { 'odd key': Promise.resolve(1) } }],
      'args[0].user["odd key"]: a Promise cannot be sent (did you forget an await?)',
    ],
    ['an invalid Date', [new Date(Number.NaN)], 'args[0]: invalid Date cannot be sent'],
    ['a Map with number keys', [new Map([[1, 'x']])], 'args[0]: Map keys must be strings (found number)'],
  ])('%s', (_what, args, message) => {
    expect(encodeError(() => encodeMessage(createCall({ function: 'f', args: args as unknown[] }))).message).toBe(
      message,
    );
  });

  it('reports cycles, but not shared references', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(encodeError(() => encodeMessage(createCall({ function: 'f', args: [cyclic] }))).message).toBe(
      'args[0].self: circular reference',
    );
    const shared = { x: 1 };
    expect(() => encodeMessage(createCall({ function: 'f', args: [shared, [shared], { s: shared }] }))).not.toThrow();
  });

  it('refuses nesting deeper than the limit', () => {
    let deep: unknown = 1;
    for (let i = 0; i < DEFAULT_LIMITS.maxDepth + 5; i++) deep = [deep];
    expect(encodeError(() => encodeValue(deep)).message).toMatch(/nesting deeper than 100 levels/);
    let ok: unknown = 1;
    for (let i = 0; i < 50; i++) ok = [ok];
    expect(() => encodeValue(ok)).not.toThrow();
  });

  it('refuses a message over maxMessageBytes', () => {
    const err = encodeError(() =>
      encodeMessage(createCall({ function: 'f', args: [Buffer.alloc(2048)] }), { maxMessageBytes: 1024 }),
    );
    expect(err.message).toMatch(/call message is \d+ bytes, over the 1024-byte limit/);
  });

  it('does not mutate values and copies only what it rewrites', () => {
    const plain = { a: [1, 2], b: 'x' };
    expect(prepareValue(plain)).toBe(plain);
    const big = { keep: { k: 1 }, n: 2 ** 40 };
    const out = prepareValue(big) as typeof big;
    expect(out).not.toBe(big);
    expect(out.keep).toBe(big.keep);
    expect(out.n).toBe(2n ** 40n);
    expect(big.n).toBe(2 ** 40);
  });

  it('sends typed arrays and ArrayBuffers as bin', () => {
    const f = new Float64Array([1.5]);
    const decoded = decodeMessage(encodeMessage(createCall({ function: 'f', args: [f, f.buffer] })));
    expect(decoded.ok && (decoded.message as { args: unknown[] }).args).toEqual([
      Buffer.from(f.buffer),
      Buffer.from(f.buffer),
    ]);
  });
});

describe('validation', () => {
  const core = { app: 'comlink_ipc_v3', id: 'x', type: 'call', timestamp: 1.5 };
  it.each([
    [[1], 'NOT_A_MAP'],
    [{ id: 'x', type: 'call', timestamp: 1 }, 'MISSING_KEY'],
    [{ ...core, app: 1 }, 'BAD_KEY_TYPE'],
    [{ ...core, app: 'comlink_ipc_v9' }, 'UNKNOWN_APP'],
    [{ ...core, id: undefined }, 'MISSING_KEY'],
    [{ ...core, id: '' }, 'BAD_KEY_TYPE'],
    [{ ...core, type: undefined }, 'MISSING_KEY'],
    [{ ...core, type: 'teleport' }, 'UNKNOWN_TYPE'],
    [{ ...core, timestamp: 'now' }, 'BAD_KEY_TYPE'],
    [{ ...core, timestamp: undefined }, 'MISSING_KEY'],
    [{ ...core, type: 'error', error: 5 }, 'BAD_KEY_TYPE'],
    [{ ...core, type: 'stdout' }, 'BAD_KEY_TYPE'],
    [{ ...core, type: 'heartbeat', metadata: [1] }, 'BAD_KEY_TYPE'],
  ])('%j → %s', (value, reason) => {
    const r = validateMessage(JSON.parse(JSON.stringify(value)));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toBe(reason);
  });

  it('a call missing its function keeps its id so the child can answer', () => {
    const r = validateMessage({ ...core });
    expect(r).toMatchObject({
      ok: false,
      reason: 'INVALID_CALL',
      detail: "Message missing 'function' field",
      id: 'x',
      app: 'comlink_ipc_v3',
    });
    const args = validateMessage({ ...core, function: 'f', args: 'no' });
    expect(args).toMatchObject({
      ok: false,
      reason: 'INVALID_CALL',
      detail: 'Invalid args: expected an array',
      id: 'x',
    });
  });

  it('fills defaults: namespace, args, absent result', () => {
    const call = validateMessage({ ...core, function: 'f' });
    expect(call.ok && call.message).toMatchObject({ namespace: 'default', args: [] });
    const resp = validateMessage({ ...core, type: 'response' });
    expect(resp.ok && resp.message).toMatchObject({ result: null });
  });

  it('refuses a payload over the limit before decoding it', () => {
    const r = decodeMessage(Buffer.alloc(100, 0x91), { maxMessageBytes: 50 });
    expect(r).toMatchObject({ ok: false, reason: 'TOO_LARGE' });
  });

  it('checks frame counts and the delimiter, and returns the routing id on the child side', () => {
    const payload = encodeMessage(createCall({ function: 'f' }));
    const peer = Buffer.from([0, 1, 2, 3, 4]);
    const child = parseFrames([peer, Buffer.alloc(0), payload], 'child');
    expect(child.ok && child.peer).toEqual(peer);
    expect(parseFrames([Buffer.alloc(0), payload], 'parent').ok).toBe(true);
    expect(parseFrames([payload], 'parent')).toMatchObject({ ok: false, reason: 'FRAME_COUNT' });
    expect(parseFrames([peer, Buffer.from('x'), payload], 'child')).toMatchObject({
      ok: false,
      reason: 'DELIMITER',
      peer,
    });
  });
});

describe('constructors', () => {
  it('createCall fills defaults and fresh UUIDs', () => {
    const a = createCall({ function: 'f' });
    expect(a).toMatchObject({ app: 'comlink_ipc_v3', type: 'call', args: [], namespace: 'default' });
    expect(a.id).toMatch(/^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
    expect(createCall({ function: 'f' }).id).not.toBe(a.id);
    expect(newId()).not.toBe(newId());
  });

  it('ids are UUID v4 hex digits, unique across refills of the random pool', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 2_000; i++) {
      const id = newId();
      expect(id).toMatch(/^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
      ids.add(id);
    }
    expect(ids.size).toBe(2_000);
  });

  it('a small call stays within 128 bytes, where zeromq.js copies frames instead of lending them', () => {
    expect(encodeMessage(createCall({ function: 'add', args: [1, 2] })).length).toBeLessThanOrEqual(128);
  });

  it('a heartbeat reply echoes hb_timestamp and args and marks hb_response', () => {
    const req = { ...createHeartbeat('comlink_ipc_v4'), args: [123] };
    const reply = createHeartbeatReply(req);
    expect(reply).toMatchObject({ id: req.id, app: 'comlink_ipc_v4', type: 'heartbeat', args: [123] });
    expect(reply.metadata).toEqual({ hb_timestamp: req.metadata!.hb_timestamp, hb_response: true });
  });

  it('cancel carries the id of the call it cancels', () => {
    expect(createCancel('call-id')).toMatchObject({ id: 'call-id', type: 'cancel' });
  });

  it('timestamps are always floats', () => {
    for (let i = 0; i < 1000; i++) expect(Number.isInteger(nowSeconds())).toBe(false);
  });
});
