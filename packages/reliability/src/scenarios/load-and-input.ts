/** Scenarios 5–7 and 10: sustained load, hostile frames, unsendable values, calls that cannot be served. */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { APP_V3, createCall, createResponse, encodeMessage, encodeValue, REJECT_REASONS } from '@multifrost/protocol';
import { zmqTransport } from '@multifrost/transport-zmq';
import { FileServiceRegistry, ParentWorker, RemoteCallError, type MultifrostError } from 'multifrost';
import { pack } from 'msgpackr';
import { Dealer, Router } from 'zeromq';
import { check, fixture, openFds, rssMb, startService, type Scenario } from '../support.js';

interface Victim {
  add(a: number, b: number): number;
  returnFunction(): unknown;
  returnCycle(): unknown;
  returnHugeBigInt(): unknown;
  returnUndefinedInArray(): unknown[];
  arrivedAs(value: unknown): unknown;
}

export const soak: Scenario = {
  id: 5,
  name: 'Soak at full pipelined load',
  proves: 'parent and child RSS and open file descriptors stay flat; no event-loop stall over 100 ms in the parent',
  async run({ full }) {
    const seconds = full ? 60 : 4;
    const w = await ParentWorker.spawn<Victim>(fixture('worker.mjs'), { output: 'ignore' });
    const child = w.pid!;
    const loop = monitorEventLoopDelay({ resolution: 10 });
    let calls = 0;
    let stop = false;
    const drive = () =>
      Promise.all(
        Array.from({ length: 64 }, async () => {
          while (!stop) {
            await w.call.add(1, 2);
            calls++;
          }
        }),
      );
    try {
      // Warm up so the start figures are steady-state: under load V8 grows the child's heap to
      // its working size within ~10 s (measured: 55 → ~104 MB, then flat for 90 s).
      const warm = drive();
      await new Promise((r) => setTimeout(r, full ? 15_000 : 1_000));
      stop = true;
      await warm;
      stop = false;
      global.gc?.();
      const start = {
        parentRss: process.memoryUsage().rss / 2 ** 20,
        childRss: rssMb(child),
        parentFds: openFds(process.pid),
        childFds: openFds(child),
      };
      loop.enable();
      const t0 = Date.now();
      calls = 0;
      const load = drive();
      await new Promise((r) => setTimeout(r, seconds * 1000));
      stop = true;
      await load;
      loop.disable();
      const elapsed = (Date.now() - t0) / 1000;
      global.gc?.();
      const end = {
        parentRss: process.memoryUsage().rss / 2 ** 20,
        childRss: rssMb(child),
        parentFds: openFds(process.pid),
        childFds: openFds(child),
      };
      const maxStallMs = loop.max / 1e6;
      check(
        end.parentFds <= start.parentFds + 2 && end.childFds <= start.childFds + 2,
        `file descriptors grew: ${JSON.stringify({ start, end })}`,
      );
      check(end.childRss < start.childRss * 1.5 + 20, `child RSS grew from ${start.childRss} to ${end.childRss} MB`);
      check(
        end.parentRss < start.parentRss * 1.5 + 40,
        `parent RSS grew from ${start.parentRss} to ${end.parentRss} MB`,
      );
      if (full) check(maxStallMs < 100, `event loop stalled ${maxStallMs.toFixed(1)} ms`);
      const f = (n: number) => n.toFixed(1);
      return {
        figures: {
          'warm-up before the start figures (s)': full ? 15 : 1,
          'duration (s)': Math.round(elapsed),
          'calls (64 in flight)': calls,
          'calls/s': Math.round(calls / elapsed),
          'parent RSS start → end (MB)': `${f(start.parentRss)} → ${f(end.parentRss)}`,
          'child RSS start → end (MB)': `${f(start.childRss)} → ${f(end.childRss)}`,
          'parent fds start → end': `${start.parentFds} → ${end.parentFds}`,
          'child fds start → end': `${start.childFds} → ${end.childFds}`,
          'longest event-loop stall (ms)': f(maxStallMs),
        },
      };
    } finally {
      stop = true;
      await w.close();
    }
  },
};

/** Deterministic random numbers, so a failing run can be repeated. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One hostile payload (a single frame's bytes) of many kinds. */
function hostilePayload(rand: () => number, i: number): Buffer {
  const valid = encodeMessage(createCall({ function: 'add', args: [1, 2] }));
  switch (i % 7) {
    case 0:
      return Buffer.from(Array.from({ length: Math.floor(rand() * 40) }, () => Math.floor(rand() * 256)));
    case 1: {
      const b = Buffer.from(valid);
      b[Math.floor(rand() * b.length)]! ^= 0xff;
      return b;
    }
    case 2:
      return valid.subarray(0, Math.floor(rand() * valid.length));
    case 3:
      return pack({
        app: APP_V3,
        id: rand() < 0.5 ? 5 : 'x',
        type: rand() < 0.5 ? ['call'] : 'call',
        timestamp: 'soon',
        function: 7,
        args: 'no',
      });
    case 4:
      return Buffer.from([[0xdb, 0xc6, 0xdd, 0xdf][Math.floor(rand() * 4)]!, 0xff, 0xff, 0xff, 0xff]);
    case 5:
      return Buffer.alloc(2_000 + Math.floor(rand() * 2_000), 0x91);
    default:
      return encodeValue({ app: 'comlink_ipc_v9', id: 'x', type: 'call', timestamp: 1 });
  }
}

export const hostileFrames: Scenario = {
  id: 6,
  name: 'Hostile frames to a child and to a parent',
  proves:
    'random and mutated payloads, wrong frame counts, wrong types, huge lengths, deep nesting, over-size: no crash, no hang, every well-formed call answered, drop counters account for all',
  async run({ full }) {
    const n = full ? 100_000 : 5_000;
    const rand = prng(20261124);
    const e = Buffer.alloc(0);
    // (a) Counting, on the transports themselves: every frame set is either delivered or dropped.
    const transport = zmqTransport({ maxMessageBytes: 1 << 20 });
    const service = transport.service();
    const caller = transport.caller();
    const home = mkdtempSync(path.join(tmpdir(), 'mf-hostile-'));
    let child: ChildProcess | undefined;
    try {
      let served = 0;
      service.onMessage = () => served++;
      const serviceEndpoint = await service.bind();
      const rogueDealer = new Dealer({ linger: 0, sendHighWaterMark: 0 });
      rogueDealer.connect(serviceEndpoint);
      let wellFormed = 0;
      for (let i = 0; i < n; i++) {
        if (i % 10 === 0) {
          await rogueDealer.send([e, encodeMessage(createCall({ function: 'ok' }))]);
          wellFormed++;
        } else if (i % 13 === 0)
          await rogueDealer.send([e]); // wrong frame count
        else if (i % 17 === 0)
          await rogueDealer.send([Buffer.from('x'), hostilePayload(rand, i)]); // bad delimiter
        else await rogueDealer.send([e, hostilePayload(rand, i)]);
      }
      // Each wait has its own budget, and a failure says how long the phases took.
      const t0 = Date.now();
      const phases: string[] = [];
      const phase = (name: string) => phases.push(`${name} at ${Date.now() - t0} ms`);
      let deadline = Date.now() + 30_000;
      while (service.stats.received + service.stats.dropped < n && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      phase('service counted');
      const s = service.stats;
      check(s.received + s.dropped === n, `service saw ${s.received} + ${s.dropped} of ${n} (${phases.join(', ')})`);
      check(served === s.received && s.received >= wellFormed, `well-formed calls lost: ${served} < ${wellFormed}`);
      // An over-size frame: libzmq drops that connection; the service keeps serving others.
      const big = new Dealer({ linger: 0 });
      big.connect(serviceEndpoint);
      await big.send([e, Buffer.alloc((1 << 20) + 4096, 1)]);
      const after = new Dealer({ linger: 0 });
      after.connect(serviceEndpoint);
      const before = served;
      await after.send([e, encodeMessage(createCall({ function: 'still-here' }))]);
      deadline = Date.now() + 30_000;
      while (served === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      phase('served after the over-size frame');
      check(served === before + 1, `service stopped serving after an over-size frame (${phases.join(', ')})`);
      rogueDealer.close();
      big.close();
      after.close();

      // (b) The same towards a parent: a rogue ROUTER answers garbage to a caller transport.
      let replies = 0;
      caller.onMessage = () => replies++;
      const callerEndpoint = await caller.bind();
      // A ROUTER silently drops what it can't queue once a peer's pipe holds its high-water mark
      // (1000 by default), and this one sends far faster than the caller reads: without these
      // options the count below came up short now and then. Unlimited queueing, and `mandatory`
      // so any message the ROUTER still couldn't route fails the send instead of vanishing.
      const rogueRouter = new Router({ linger: 0, sendHighWaterMark: 0, mandatory: true });
      rogueRouter.connect(callerEndpoint);
      await caller.send(createCall({ function: 'hello' }));
      const [peer] = await rogueRouter.receive();
      const m = Math.floor(n / 2);
      let goodReplies = 0;
      for (let i = 0; i < m; i++) {
        if (i % 10 === 0) {
          await rogueRouter.send([peer!, e, encodeMessage(createResponse(`r${i}`, i))]);
          goodReplies++;
        } else if (i % 13 === 0) await rogueRouter.send([peer!, e, e, e]);
        else await rogueRouter.send([peer!, e, hostilePayload(rand, i)]);
      }
      deadline = Date.now() + 30_000;
      while (caller.stats.received + caller.stats.dropped < m && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      phase('caller counted');
      const c = caller.stats;
      check(c.received + c.dropped === m, `caller saw ${c.received} + ${c.dropped} of ${m} (${phases.join(', ')})`);
      check(replies >= goodReplies, `well-formed replies lost: ${replies} < ${goodReplies}`);
      rogueRouter.close();

      // (c) A real child process under the same fire still answers a real parent.
      const started = startService('worker.mjs', home, 'target');
      child = started.proc;
      await started.ready;
      const registry = new FileServiceRegistry({ home });
      const { endpoint } = await registry.discover('target');
      const w = await ParentWorker.connect<Victim>('target', { registry, output: 'ignore' });
      const raw = new Dealer({ linger: 0 });
      raw.connect(endpoint);
      let answered = 0;
      const k = Math.floor(n / 5);
      for (let i = 0; i < k; i++) {
        await raw.send([e, hostilePayload(rand, i)]);
        if (i % 100 === 0 && (await w.call.add(i, 1)) === i + 1) answered++;
      }
      check(answered === Math.ceil(k / 100), `child answered ${answered} of ${Math.ceil(k / 100)} calls under fire`);
      check(child.exitCode === null, 'the child crashed');
      raw.close();
      await w.close();
      const byReason = REJECT_REASONS.filter((r) => s.droppedByReason[r] > 0)
        .map((r) => `${r} ${s.droppedByReason[r]}`)
        .join(', ');
      return {
        figures: {
          'hostile frame sets to a service': n - wellFormed,
          'well-formed calls among them, all delivered': wellFormed,
          'service dropped (by reason)': `${s.dropped} (${byReason})`,
          'hostile frame sets to a caller': m - goodReplies,
          'caller dropped': c.dropped,
          'hostile payloads to a live child while calling it': k,
          'calls answered under fire': `${answered}/${Math.ceil(k / 100)}`,
        },
      };
    } finally {
      await service.close();
      await caller.close();
      child?.kill('SIGKILL');
      rmSync(home, { recursive: true, force: true });
    }
  },
};

export const badValues: Scenario = {
  id: 7,
  name: 'Bad arguments and results',
  proves:
    'a function, a cycle, a BigInt beyond 64 bits: a clear error reaches the caller; undefined becomes nil on the wire and null on arrival, both ways; the worker stays up',
  async run() {
    const w = await ParentWorker.spawn<Victim & { echo(v: unknown): unknown }>(fixture('worker.mjs'), {
      output: 'ignore',
    });
    try {
      const figures: Record<string, string> = {};
      for (const fn of ['returnFunction', 'returnCycle', 'returnHugeBigInt'] as const) {
        const err = (await w.call[fn]().catch((e: unknown) => e)) as RemoteCallError;
        check(err instanceof RemoteCallError && err.remoteType === 'EncodeError', `${fn}: ${String(err)}`);
        figures[`${fn}()`] = err.remoteMessage;
      }
      const cyc: Record<string, unknown> = {};
      cyc.me = cyc;
      for (const [label, arg] of [
        ['argument: a function', { cb: () => 1 }],
        ['argument: a cycle', cyc],
        ['argument: BigInt 2**70', 2n ** 70n],
      ] as const) {
        const err = (await w.callFunction('add', [arg, 1]).catch((e: unknown) => e)) as MultifrostError;
        check(err.code === 'ENCODE', `${label}: ${String(err)}`);
        figures[label] = err.message;
      }
      // undefined must travel as msgpack nil (0xc0) and arrive as null: not dropped, not a hole,
      // not undefined. JSON.stringify can't tell these apart, so each item is inspected.
      const wire = encodeValue([1, undefined, 3]).toString('hex');
      check(wire === '9301c003', `[1, undefined, 3] encodes as ${wire}, expected 9301c003 (nil in the middle)`);
      const arr = await w.call.returnUndefinedInArray();
      const returned = Array.isArray(arr)
        ? Array.from({ length: arr.length }, (_, i) => (i in arr ? String(arr[i]) : 'hole'))
        : [String(arr)];
      check(returned.join() === '1,null,3', `[1, undefined, 3] returned as [${returned.join(', ')}]`);
      const sentItems = JSON.stringify(await w.call.arrivedAs([1, undefined, 3]));
      check(sentItems === '["number","null","number"]', `[1, undefined, 3] sent, items arrived as ${sentItems}`);
      const sentKeys = JSON.stringify(await w.call.arrivedAs({ a: 1, gone: undefined }));
      check(sentKeys === '{"a":"number","gone":"null"}', `{ a: 1, gone: undefined } sent, keys arrived as ${sentKeys}`);
      figures['[1, undefined, 3] returned'] = `[${returned.join(', ')}]`;
      figures['undefined sent, arrived as'] = `${sentItems} ${sentKeys}`;
      check((await w.call.add(1, 2)) === 3, 'worker not answering afterwards');
      return { figures };
    } finally {
      await w.close();
    }
  },
};

export const unservable: Scenario = {
  id: 10,
  name: 'Namespaces, unknown functions, private methods, wrong app id',
  proves: 'the caller always gets an answer or a clear local error; nothing waits forever',
  async run() {
    const w = await ParentWorker.spawn<Victim>(fixture('worker.mjs'), { output: 'ignore' });
    const figures: Record<string, string> = {};
    try {
      for (const [label, call] of [
        ['other namespace', () => w.with({ namespace: 'elsewhere' }).call.add(1, 2)],
        ['unknown function', () => w.callFunction('nope')],
        ['private method', () => w.callFunction('_secret')],
        ['base-class method', () => w.callFunction('stop')],
      ] as const) {
        const err = (await (call as () => Promise<unknown>)().catch((e: unknown) => e)) as RemoteCallError;
        check(err instanceof RemoteCallError, `${label}: ${String(err)}`);
        figures[label] = `${err.remoteType}: ${err.remoteMessage}`;
      }
    } finally {
      await w.close();
    }
    // A v4 parent against a worker that only speaks v3 (as the public v3 peers): a clear start error.
    const t0 = Date.now();
    const err = (await ParentWorker.spawn(fixture('v3-only.mjs'), {
      output: 'ignore',
      // Like the public peers, it reads only COMLINK_ZMQ_PORT.
      channel: 'tcp',
      protocol: 'v4',
      startTimeoutMs: 1_500,
    }).catch((e: unknown) => e)) as MultifrostError;
    check(err.code === 'START_FAILED', `wrong app id: ${String(err)}`);
    figures['v4 parent → v3-only worker'] = `${err.code} after ${Date.now() - t0} ms`;
    return { figures };
  },
};
