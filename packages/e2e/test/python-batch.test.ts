/**
 * Batches and the project's Python worker (docs/protocol.md#batches): it reads a batch from any
 * parent, item by item, and packs its replies into batches only for a parent whose heartbeat listed
 * `batch`; a parent that lists nothing (every public peer) gets every reply alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  APP_V4,
  createCall,
  createHeartbeat,
  decodeMessage,
  encodeBatch,
  encodeMessage,
  unpackBatch,
  type Message,
} from '@multifrost/protocol';
import { Dealer } from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import { pythonBin } from '../../../scripts/python-bin.mjs';
import { fixture } from './helpers/workers.js';

const PYTHON = pythonBin();
const pyWorker = fixture('python-batch-worker.py');

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});
const EMPTY = Buffer.alloc(0);

/** A raw parent (a DEALER) with the Python worker spawned on its port; `got` fills with every reply, unpacked. */
async function rawParent() {
  const dealer = new Dealer({ linger: 0 });
  cleanup.push(() => dealer.close());
  await dealer.bind('tcp://127.0.0.1:0');
  const port = dealer.lastEndpoint!.split(':').pop()!;
  const child: ChildProcess = spawn(PYTHON, [pyWorker], {
    env: {
      ...process.env,
      COMLINK_ZMQ_PORT: port,
      COMLINK_WORKER_MODE: '1',
      MULTIFROST_PARENT_PID: String(process.pid),
    },
    stdio: 'ignore',
  });
  cleanup.push(() => child.kill('SIGKILL'));
  const got: Message[] = [];
  let batches = 0;
  void (async () => {
    try {
      for await (const [, payload] of dealer) {
        const r = decodeMessage(payload!);
        if (!r.ok) continue;
        if (r.message.type !== 'batch') got.push(r.message);
        else {
          batches++;
          for (const item of unpackBatch(r.message.items)) if (item.ok) got.push(item.message);
        }
      }
    } catch {}
  })();
  const send = (payload: Buffer) => dealer.send([EMPTY, payload]);
  const waitFor = async (check: () => boolean, what: string) => {
    const deadline = Date.now() + 15_000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { send, got, waitFor, batches: () => batches };
}

function heartbeat(caps?: string[]): Buffer {
  const hb = createHeartbeat(APP_V4);
  if (caps) hb.metadata = { ...hb.metadata, mf_caps: caps };
  return encodeMessage(hb);
}

const calls = (n: number) =>
  Array.from({ length: n }, (_, i) => encodeMessage(createCall({ function: 'add', args: [i, 1], app: APP_V4 })));
const results = (got: Message[]) =>
  got.filter((m) => m.type === 'response').map((m) => (m as { result: unknown }).result as number);

describe('the Python worker and batches', () => {
  it('reads a batch from a parent that listed nothing, and answers each call alone', async () => {
    const p = await rawParent();
    await p.send(heartbeat());
    await p.waitFor(() => p.got.some((m) => m.type === 'heartbeat'), 'the heartbeat reply');
    const hb = p.got.find((m) => m.type === 'heartbeat')!;
    expect(hb.metadata?.mf_worker_caps).toContain('batch');
    await p.send(encodeBatch(APP_V4, calls(300)));
    await p.waitFor(() => results(p.got).length === 300, '300 replies');
    expect(results(p.got).sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(p.batches()).toBe(0);
  });

  it('packs its replies for a parent that listed `batch`, every reply intact', async () => {
    const p = await rawParent();
    await p.send(heartbeat(['batch']));
    await p.waitFor(() => p.got.some((m) => m.type === 'heartbeat'), 'the heartbeat reply');
    await p.send(encodeBatch(APP_V4, calls(1000)));
    await p.waitFor(() => results(p.got).length === 1000, '1000 replies');
    expect(results(p.got).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(p.batches()).toBeGreaterThan(0);
    // A later heartbeat without the capability turns it off again.
    await p.send(heartbeat());
    await p.waitFor(() => p.got.filter((m) => m.type === 'heartbeat').length === 2, 'the second heartbeat reply');
    const before = p.batches();
    await p.send(encodeBatch(APP_V4, calls(500)));
    await p.waitFor(() => results(p.got).length === 1500, '500 more replies');
    expect(p.batches()).toBe(before);
  });
});
