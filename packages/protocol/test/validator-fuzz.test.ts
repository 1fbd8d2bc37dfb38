// At least 100,000 random and mutated byte strings through the validator: no throw, no hang,
// every one classified. Seeded, so a failure names the seed and case that reproduce it.
import { describe, expect, it } from 'vitest';
import {
  REJECT_REASONS,
  createCall,
  createError,
  createHeartbeat,
  createResponse,
  decodeMessage,
  encodeMessage,
  encodeValue,
  parseFrames,
  type FramesResult,
} from '../src/index.js';
import { prng } from './prng.js';

const seeds = [
  encodeMessage(createCall({ function: 'add', args: [1, 2 ** 40, 'x', Buffer.from([1, 2]), { a: [null, true] }] })),
  encodeMessage(createResponse('id-1', { nested: [1.5, 'é', new Date(0)] })),
  encodeMessage(createError('id-2', { name: 'TypeError', message: 'bad', stack: 'at x' })),
  encodeMessage(createHeartbeat()),
];

/** Headers that declare huge lengths with nothing behind them. */
const hostileHeaders = [
  [0xdb, 0xff, 0xff, 0xff, 0xff], // str32 of 4 GiB
  [0xc6, 0xff, 0xff, 0xff, 0xff], // bin32 of 4 GiB
  [0xdd, 0xff, 0xff, 0xff, 0xff], // array32 of 4G items
  [0xdf, 0xff, 0xff, 0xff, 0xff], // map32 of 4G entries
  [0xc9, 0xff, 0xff, 0xff, 0xff, 0x01], // ext32 of 4 GiB
];

function mutate(rand: () => number, i: number): Buffer {
  const kind = i % 8;
  const base = seeds[Math.floor(rand() * seeds.length)]!;
  switch (kind) {
    case 0: {
      const b = Buffer.alloc(Math.floor(rand() * 64));
      for (let j = 0; j < b.length; j++) b[j] = Math.floor(rand() * 256);
      return b;
    }
    case 1: {
      const b = Buffer.from(base);
      const flips = 1 + Math.floor(rand() * 4);
      for (let j = 0; j < flips; j++) b[Math.floor(rand() * b.length)]! ^= 1 << Math.floor(rand() * 8);
      return b;
    }
    case 2:
      return base.subarray(0, Math.floor(rand() * base.length));
    case 3: {
      const at = Math.floor(rand() * base.length);
      const junk = Buffer.alloc(1 + Math.floor(rand() * 8));
      for (let j = 0; j < junk.length; j++) junk[j] = Math.floor(rand() * 256);
      return Buffer.concat([base.subarray(0, at), junk, base.subarray(at)]);
    }
    case 4:
      return Buffer.from(hostileHeaders[Math.floor(rand() * hostileHeaders.length)]!);
    case 5: {
      const b = Buffer.from(base);
      b[Math.floor(rand() * b.length)] = [0xc1, 0xd4, 0xc7, 0xdb, 0xdf, 0x91][Math.floor(rand() * 6)]!;
      return b;
    }
    case 6:
      return Buffer.concat([base, Buffer.from([Math.floor(rand() * 256)])]);
    default: {
      if (i % 1000 === 7) return Buffer.alloc(100_000, 0x91); // arrays nested 100,000 deep, never closed
      // Valid msgpack of the wrong shape: a map whose core keys hold random kinds of values.
      const kinds = [null, 1, 'x', [1], { a: 1 }, true, 2.5, Buffer.from([1])];
      const pick = () => kinds[Math.floor(rand() * kinds.length)];
      return encodeValue({
        app: rand() < 0.5 ? 'comlink_ipc_v3' : pick(),
        id: rand() < 0.5 ? 'id' : pick(),
        type: rand() < 0.5 ? 'call' : pick(),
        timestamp: pick(),
        function: pick(),
        args: pick(),
      });
    }
  }
}

function assertClassified(r: FramesResult | ReturnType<typeof decodeMessage>, what: string): void {
  if (r.ok) {
    const m = r.message as unknown as Record<string, unknown>;
    expect(typeof m.app === 'string' && typeof m.id === 'string' && (m.id as string).length > 0, what).toBe(true);
    expect(typeof m.type === 'string' && typeof m.timestamp === 'number', what).toBe(true);
    if (m.type === 'call') expect(Array.isArray(m.args) && typeof m.function === 'string', what).toBe(true);
  } else {
    expect(REJECT_REASONS, what).toContain(r.reason);
    expect(r.detail.length, what).toBeGreaterThan(0);
  }
}

describe('validator fuzz', () => {
  it('classifies 100,000 random and mutated payloads without throwing', () => {
    const seed = Number(process.env.FUZZ_SEED ?? 20261124);
    const rand = prng(seed);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 100_000; i++) {
      const payload = mutate(rand, i);
      let r: ReturnType<typeof decodeMessage>;
      try {
        r = decodeMessage(payload);
      } catch (err) {
        throw new Error(
          `seed ${seed}, case ${i}: decodeMessage threw ${String(err)} on ${payload.subarray(0, 32).toString('hex')}`,
        );
      }
      assertClassified(r, `seed ${seed}, case ${i}`);
      const key = r.ok ? 'ok' : r.reason;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    expect(total).toBe(100_000);
    expect(counts.NOT_MSGPACK).toBeGreaterThan(1000);
  }, 60_000);

  it('classifies wrong frame layouts for both receivers', () => {
    const rand = prng(7);
    const payload = seeds[0]!;
    const e = Buffer.alloc(0);
    for (let i = 0; i < 5_000; i++) {
      const n = Math.floor(rand() * 5);
      const frames = Array.from({ length: n }, () =>
        rand() < 0.5 ? e : rand() < 0.5 ? payload : Buffer.from([Math.floor(rand() * 256)]),
      );
      for (const receiver of ['child', 'parent'] as const) {
        const r = parseFrames(frames, receiver);
        assertClassified(r, `frames case ${i} (${receiver})`);
        const expected = receiver === 'child' ? 3 : 2;
        if (n !== expected) expect(!r.ok && r.reason).toBe('FRAME_COUNT');
      }
    }
  });
});
