/**
 * Batches and payload frames only between peers that both listed them (issue 16): a parent never batches toward a
 * worker that did not say so, even one that echoes the parent's own capability list back; our
 * child never batches toward a parent that did not say so; and between our own parent and child
 * many calls in flight do travel in batches, with every result right.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { ParentWorker } from '@multifrost/parent';
import { PAYLOAD_FRAME_MIN_BYTES } from '@multifrost/protocol/internal';
import { Packr, Unpackr } from 'msgpackr';
import { Dealer } from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import { fixture, isAlive, quiet, waitFor } from './helpers/workers.js';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

interface Stats {
  batchesSent?: number;
  batchedMessages?: number;
  framedMessages?: number;
}
const transportStats = (w: ParentWorker): Stats => (w as unknown as { transport: { stats: Stats } }).transport.stats;

describe('batches and peers that did not list them', () => {
  it('a worker that echoes the parent’s capability list back never receives a batch or payload frames', async () => {
    const w = await ParentWorker.spawn(fixture('batch-spy-child.mjs'), 'node', quiet);
    cleanup.push(() => w.close());
    const calls = w.with({ timeoutMs: 20_000 }).call;
    const results = await Promise.all(Array.from({ length: 2_000 }, (_, i) => calls.add!(i, 1)));
    expect(results).toEqual(Array.from({ length: 2_000 }, (_, i) => i + 1));
    expect(await w.call.size!(Buffer.alloc(PAYLOAD_FRAME_MIN_BYTES))).toBe(PAYLOAD_FRAME_MIN_BYTES);
    const types = (await w.call.types!()) as Record<string, number>;
    expect(types.call).toBeGreaterThanOrEqual(2_000);
    expect(types.batch).toBeUndefined();
    expect(types.extraFrames).toBeUndefined();
    expect(transportStats(w).batchesSent ?? 0).toBe(0);
    expect(transportStats(w).framedMessages ?? 0).toBe(0);
  });

  it('a parent that sends no capabilities gets every reply alone, in two frames, from our child', async () => {
    const packr = new Packr({ useRecords: false });
    const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });
    const dealer = new Dealer({ linger: 0, sendHighWaterMark: 100_000, receiveHighWaterMark: 100_000 });
    cleanup.push(() => dealer.close());
    await dealer.bind('tcp://127.0.0.1:0');
    const port = new URL(dealer.lastEndpoint!.replace('tcp:', 'http:')).port;
    const child = spawn(process.execPath, ['--import', tsx, fixture('math-worker.ts')], {
      env: { ...process.env, COMLINK_ZMQ_PORT: port, COMLINK_WORKER_MODE: '1', MULTIFROST_PARENT_PID: '' },
      stdio: 'ignore',
    });
    cleanup.push(() => {
      if (child.pid !== undefined && isAlive(child.pid)) child.kill('SIGKILL');
    });
    const send = (msg: object) =>
      dealer.send([Buffer.alloc(0), packr.pack({ app: 'comlink_ipc_v4', timestamp: Date.now() / 1000, ...msg })]);
    // A public parent's heartbeat: hb_timestamp only, no mf_caps.
    await send({ id: 'hb-1', type: 'heartbeat', metadata: { hb_timestamp: Date.now() / 1000 } });
    const types: string[] = [];
    const results = new Map<string, unknown>();
    const reader = (async () => {
      for await (const [, payload, ...extra] of dealer) {
        const msg = unpackr.unpack(payload!) as { type: string; id: string; result?: unknown };
        types.push(extra.length > 0 ? `${msg.type} with ${extra.length} extra frames` : msg.type);
        if (msg.type === 'response') results.set(msg.id, msg.result);
        if (results.size === 2_001) return;
      }
    })();
    await waitFor(() => types.includes('heartbeat'), 15_000, 'the heartbeat reply');
    for (let i = 0; i < 2_000; i++) {
      await send({ id: `c-${i}`, type: 'call', function: 'add', args: [i, 1], namespace: 'default' });
    }
    const big = Buffer.alloc(PAYLOAD_FRAME_MIN_BYTES, 9);
    await send({ id: 'echo', type: 'call', function: 'echo', args: [big], namespace: 'default' });
    await reader;
    expect(types.filter((t) => t !== 'response' && t !== 'heartbeat')).toEqual([]);
    expect(results.get('c-1999')).toBe(2_000);
    expect(Buffer.from(results.get('echo') as Uint8Array).equals(big)).toBe(true);
  });

  it('between our own parent and child, calls in flight travel in batches and all come back right', async () => {
    const w = await ParentWorker.spawn(fixture('math-worker.ts'), quiet);
    cleanup.push(() => w.close());
    const n = 5_000;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => w.call.add!(i, i)));
    expect(results).toEqual(Array.from({ length: n }, (_, i) => 2 * i));
    expect(transportStats(w).batchesSent).toBeGreaterThan(0);
    expect(transportStats(w).batchedMessages).toBeGreaterThan(n / 2);
    // A lone call after the burst still works (and leaves alone).
    expect(await w.call.add!(2, 3)).toBe(5);
    // A large binary value travels as a payload frame, both ways, and arrives intact.
    const big = Buffer.alloc(PAYLOAD_FRAME_MIN_BYTES);
    big.writeUInt32BE(0xdeadbeef, big.length - 4);
    expect(((await w.call.echo!(big)) as Buffer).equals(big)).toBe(true);
    expect(transportStats(w).framedMessages).toBe(1);
    // One byte under the threshold, it is copied into the payload instead.
    expect(((await w.call.echo!(big.subarray(1))) as Buffer).equals(big.subarray(1))).toBe(true);
    expect(transportStats(w).framedMessages).toBe(1);
  });
});
