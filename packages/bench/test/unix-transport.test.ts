// The bench-only Unix-socket TransportFactory: Multifrost's parent and child run over it unchanged
// (spawn, calls, a binary echo, close), a malformed frame is counted and dropped without breaking
// the link, and nothing is left behind.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ParentWorker } from 'multifrost';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { unixTransport } from '../src/unix-transport.js';

const child = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'src',
  'servers',
  'multifrost-unix-child.ts',
);
let home: string;
const savedHome = process.env.MULTIFROST_HOME;

beforeEach(() => {
  home = mkdtempSync(path.join(tmpdir(), 'mf-unix-test-'));
  process.env.MULTIFROST_HOME = home;
});
afterEach(() => {
  if (savedHome === undefined) delete process.env.MULTIFROST_HOME;
  else process.env.MULTIFROST_HOME = savedHome;
  rmSync(home, { recursive: true, force: true });
});

describe('unix transport (bench prototype)', () => {
  it('carries a spawned Multifrost worker: calls, a binary echo, and a clean close', async () => {
    const worker = await ParentWorker.spawn(child, { transport: unixTransport(), output: 'ignore' });
    try {
      expect(await worker.callFunction('add', [2, 3])).toBe(5);
      const big = Buffer.alloc(3 << 20, 7);
      expect(Buffer.compare((await worker.callFunction('echo', [big])) as Buffer, big)).toBe(0);
      const many = await Promise.all(Array.from({ length: 500 }, (_, i) => worker.callFunction('add', [i, 1])));
      expect(many[499]).toBe(500);
    } finally {
      await worker.close();
    }
  }, 20_000);

  it('drops a malformed frame, counts it, and keeps serving', async () => {
    const service = unixTransport().service();
    const rejected: string[] = [];
    service.onReject = (r) => rejected.push(r.reason);
    const endpoint = await service.bind();
    const file = endpoint.slice('unix://'.length);
    const caller = unixTransport().caller();
    caller.connect(endpoint);
    const got = new Promise((resolve) => {
      service.onMessage = (msg) => resolve(msg.type);
    });
    try {
      // A liar first: a frame of msgpack that is not a message.
      const liar = createConnection(file);
      await new Promise((r) => liar.once('connect', r));
      liar.write(Buffer.from([1, 0, 0, 0, 0x2a]));
      await new Promise((r) => setTimeout(r, 100));
      liar.destroy();
      while (caller.connectedPeers === 0) await new Promise((r) => setTimeout(r, 10));
      await caller.send({ app: 'comlink_ipc_v3', id: 'a1', type: 'heartbeat', timestamp: Date.now() / 1000 });
      expect(await got).toBe('heartbeat');
      expect(service.stats.dropped).toBe(1);
      expect(rejected).toHaveLength(1);
    } finally {
      await caller.close();
      await service.close();
    }
    expect(existsSync(path.dirname(file))).toBe(false);
  });

  it('refuses a frame announced over maxMessageBytes without buffering it, and drops that link', async () => {
    const service = unixTransport().service();
    const rejected: string[] = [];
    service.onReject = (r) => rejected.push(r.reason);
    const endpoint = await service.bind();
    const liar = createConnection(endpoint.slice('unix://'.length));
    try {
      await new Promise((r) => liar.once('connect', r));
      const closed = new Promise((r) => liar.once('close', r));
      liar.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
      await closed;
      expect(rejected).toEqual(['TOO_LARGE']);
      expect(service.stats.droppedByReason.TOO_LARGE).toBe(1);
      expect(service.connectedPeers).toBe(0);
    } finally {
      liar.destroy();
      await service.close();
    }
  });
});
