/**
 * Big payloads before and after exact-size encoding (issue 16, item 2), in one run: the encode time
 * of a message holding a 1 MiB and a 16 MiB Buffer, and the echo MB/s of the same sizes through a
 * spawned Node worker. "before" is msgpackr's growing buffer (the exact-size threshold set to
 * Infinity on both sides), "after" the default. Rounds alternate the order of the two, so load
 * from other jobs lands on both; /proc/loadavg is printed with every round.
 *
 *   pnpm --filter @multifrost/bench exec tsx src/big-payload.ts [--rounds 6] [--encodes 40] [--echo-mib 256]
 *
 * Echo MB/s counts the payload once per call (as run-one.ts does); twice that crosses the wire.
 * The worker is this file re-run with BIG_PAYLOAD_CHILD set to the mode.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './stats.js';
import { numberFlag } from './cli-args.js';

type Mode = 'before' | 'after';
const MODES: Mode[] = ['before', 'after'];
const MiB = 1024 * 1024;
const SIZES = [MiB, 16 * MiB];

async function setMode(mode: Mode): Promise<void> {
  const { exactSizeSettings } = await import('@multifrost/protocol/internal');
  exactSizeSettings.minBinaryBytes = mode === 'before' ? Number.POSITIVE_INFINITY : 64 * 1024;
}

async function runChild(mode: Mode): Promise<void> {
  await setMode(mode);
  const { ChildWorker } = await import('@multifrost/child');
  class EchoWorker extends ChildWorker {
    echo(value: unknown): unknown {
      return value;
    }
  }
  new EchoWorker().run();
}

/** Median ms of `n` encodes of a response holding `size` bytes, in the given mode. */
async function encodeMs(mode: Mode, size: number, n: number): Promise<number> {
  const { createResponse, encodeMessage } = await import('@multifrost/protocol');
  await setMode(mode);
  const message = createResponse('bench', Buffer.alloc(size, 0x5a));
  const times: number[] = [];
  // Kept alive until the block ends, as a send queue would keep them.
  const held: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    held.push(encodeMessage(message));
    times.push(performance.now() - t0);
    if (held.length > 4) held.shift();
  }
  return median(times);
}

async function echoMBps(mode: Mode, size: number, totalBytes: number): Promise<number> {
  await setMode(mode);
  const { ParentWorker } = await import('@multifrost/parent');
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const worker = await ParentWorker.spawn(fileURLToPath(import.meta.url), {
    executable: process.execPath,
    env: { BIG_PAYLOAD_CHILD: mode, NODE_OPTIONS: `--import ${tsx}` },
    output: 'ignore',
  });
  try {
    const payload = Buffer.alloc(size, 0x5a);
    for (let i = 0; i < 3; i++) await worker.callFunction('echo', [payload]);
    const n = Math.max(8, Math.round(totalBytes / size));
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const back = (await worker.callFunction('echo', [payload])) as Buffer;
      // A wrong length would mean the figure measures something other than this round trip.
      if (back.length !== size) throw new Error(`echo returned ${back.length} bytes, expected ${size}`);
    }
    return (size * n) / 1e6 / ((performance.now() - t0) / 1000);
  } finally {
    await worker.close();
  }
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').trim();
const label = (size: number) => `${size / MiB} MiB`;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string, fallback: number): number => numberFlag(args, name, fallback);
  const rounds = flag('--rounds', 6);
  const encodes = flag('--encodes', 40);
  const echoBytes = flag('--echo-mib', 256) * MiB;
  console.log(JSON.stringify({ node: process.version, cpus: cpus().length, loadavg: loadavg(), rounds, encodes }));
  const enc = new Map<string, number[]>();
  const echo = new Map<string, number[]>();
  const push = (m: Map<string, number[]>, key: string, v: number) => m.set(key, [...(m.get(key) ?? []), v]);
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? MODES : [...MODES].reverse();
    for (const mode of order) {
      for (const size of SIZES) push(enc, `${mode} ${label(size)}`, await encodeMs(mode, size, encodes));
      for (const size of SIZES) push(echo, `${mode} ${label(size)}`, await echoMBps(mode, size, echoBytes));
    }
    console.log(JSON.stringify({ round: r + 1, loadavg: loadavg() }));
  }
  const fmt = (x: number, d: number) => x.toLocaleString('en-US', { maximumFractionDigits: d });
  const range = (xs: number[], d: number) =>
    `${fmt(median(xs), d)} (${fmt(Math.min(...xs), d)}–${fmt(Math.max(...xs), d)})`;
  console.log('\n| figure | before (growing buffer) | after (exact size) | after / before |');
  console.log('|---|---:|---:|---:|');
  for (const size of SIZES) {
    const b = enc.get(`before ${label(size)}`)!;
    const a = enc.get(`after ${label(size)}`)!;
    console.log(
      `| encode ${label(size)} Buffer (ms, median) | ${range(b, 2)} | ${range(a, 2)} | ${fmt(median(a) / median(b), 2)}× |`,
    );
  }
  for (const size of SIZES) {
    const b = echo.get(`before ${label(size)}`)!;
    const a = echo.get(`after ${label(size)}`)!;
    console.log(`| echo ${label(size)} (MB/s) | ${range(b, 0)} | ${range(a, 0)} | ${fmt(median(a) / median(b), 2)}× |`);
  }
  console.log(`\nloadavg at the end: ${loadavg()}`);
}

const childMode = process.env.BIG_PAYLOAD_CHILD;
if (childMode === 'before' || childMode === 'after') {
  await runChild(childMode);
} else {
  await main();
}
