/**
 * Runs of reads (transport-base.ts, receiveLoop): messages already waiting on the socket are read
 * back to back with the writer corked, so what they cause leaves together; a flood of them still
 * lets the event loop turn. Real sockets, with a hand-written peer on the other end.
 */
import {
  CAP_BATCH,
  createCall,
  createResponse,
  decodeMessage,
  encodeMessage,
  type Message,
} from '@multifrost/protocol';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Dealer } from 'zeromq';
import { describe, expect, it } from 'vitest';
import { EMPTY, track, waitUntil } from './helpers.js';
import { zmqTransport } from '../src/index.js';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Blocks the thread (a handler busy with CPU work): meanwhile the peer's messages pile up in the socket. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/** A service answering every call at once, and a raw DEALER peer (the caller, by hand) connected to it. */
async function servicePair(onCall: (m: Message, index: number) => void = () => {}) {
  const service = track(zmqTransport().service());
  const endpoint = await service.bind();
  let calls = 0;
  let peer: Buffer | undefined;
  service.onMessage = (m, p) => {
    peer ??= Buffer.from(p);
    onCall(m, calls++);
    service.post(p, createResponse(m.id, calls), () => undefined);
  };
  const dealer = track(new Dealer({ linger: 0, receiveHighWaterMark: 0, sendHighWaterMark: 0 }));
  dealer.connect(endpoint);
  const call = (i: number) => encodeMessage(createCall({ function: 'f', args: [i] }));
  /** Reads until `n` replies are in; returns the ZeroMQ messages they came in, as reply counts. */
  const replies = async (n: number): Promise<number[]> => {
    const messages: number[] = [];
    let got = 0;
    while (got < n) {
      const frames = await dealer.receive();
      const read = decodeMessage(frames[1]!);
      if (!read.ok) throw new Error(`undecodable reply: ${read.reason}`);
      const count = read.message.type === 'batch' ? (read.message as { items: unknown[] }).items.length : 1;
      messages.push(count);
      got += count;
    }
    return messages;
  };
  return { service, endpoint, dealer, call, replies, calls: () => calls, peer: () => peer };
}

describe('runs of reads', () => {
  it('answers the calls that were waiting together: as batches for a peer that listed `batch`', async () => {
    // The first call keeps the service busy while 300 more arrive; they are then all waiting.
    const { service, dealer, call, replies, peer } = await servicePair((_m, i) => {
      if (i === 1) busy(150);
    });
    await dealer.send([EMPTY, call(0)]);
    expect(await replies(1)).toEqual([1]);
    service.setPeerCapabilities?.(new Set([CAP_BATCH]), peer());
    for (let i = 1; i <= 300; i++) await dealer.send([EMPTY, call(i)]);
    const messages = await replies(300);
    // A message read after a wait is answered at once, alone; the calls that waited behind it are
    // read in runs, each run's replies packed together (at most 64 of them). Without runs, every
    // reply would leave alone, right after its call was handled: 300 messages.
    expect(messages[0]).toBe(1);
    expect(messages.length).toBeLessThan(300 / 8);
    expect(Math.max(...messages)).toBeGreaterThanOrEqual(32);
    expect(Math.max(...messages)).toBeLessThanOrEqual(64);
    expect(service.stats).toMatchObject({ received: 301, sent: 301, dropped: 0, queued: 0 });
  });

  it('answers every waiting call, in order, to a peer that did not list `batch` (one message each)', async () => {
    const { dealer, call } = await servicePair((_m, i) => {
      if (i === 0) busy(100);
    });
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) {
      const bytes = call(i);
      const read = decodeMessage(bytes);
      if (read.ok) ids.push(read.message.id);
      await dealer.send([EMPTY, bytes]);
    }
    const seen: string[] = [];
    while (seen.length < 200) {
      const frames = await dealer.receive();
      const read = decodeMessage(frames[1]!);
      if (!read.ok) throw new Error(`undecodable reply: ${read.reason}`);
      expect(read.message.type).toBe('response');
      seen.push(read.message.id);
    }
    expect(seen).toEqual(ids);
  });

  it('a flood of waiting messages still lets timers run along the way', async () => {
    // The flood comes from another process, so it piles up while this thread is busy.
    const n = 5_000;
    let handledAtTimer: number | undefined;
    const { endpoint, call, calls } = await servicePair((_m, i) => {
      if (i !== 0) return;
      setTimeout(() => (handledAtTimer = calls()), 0);
      busy(500);
    });
    const flood = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Dealer } from 'zeromq';
         const d = new Dealer({ sendHighWaterMark: 0 });
         d.connect(process.env.ENDPOINT);
         const bytes = Buffer.from(process.env.CALL, 'hex');
         for (let i = 0; i < ${n}; i++) await d.send([Buffer.alloc(0), bytes]);
         process.stdout.write('sent');
         process.stdin.resume(); // stays connected until the test ends`,
      ],
      { cwd: packageDir, env: { ...process.env, ENDPOINT: endpoint, CALL: call(0).toString('hex') }, stdio: 'pipe' },
    );
    try {
      await waitUntil(() => calls() >= n, 20_000);
      expect(handledAtTimer).toBeDefined();
      // Reads that never wait yield to the event loop every 512 messages (MAX_READS_PER_TURN).
      expect(handledAtTimer!).toBeLessThan(n / 2);
    } finally {
      flood.kill('SIGKILL');
      await new Promise((resolve) => flood.once('exit', resolve));
    }
  });
});
