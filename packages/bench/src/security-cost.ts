/**
 * What the security options cost (issue 13): the same Node child measured over spawn mode's TCP
 * channel, spawn mode's private ipc:// channel, connect mode over plain TCP and connect mode with
 * CURVE. Each round runs the four setups in a rotated order, each in a fresh child, so a burst of
 * load from another job lands on all of them rather than on one; the report gives the median of
 * the rounds and their min–max.
 *
 *   pnpm --filter @multifrost/bench security-cost [--rounds 7] [--seq 4000] [--pipelined 30000] [--mib 120]
 *
 * Scenarios: sequential `add(1, 2)` (p50 latency), 64 `add` calls kept in flight (calls/s), and a
 * 1 MiB Buffer echoed back (MB/s of payload, counted once per call as run-one.ts does; 2 MiB cross
 * the wire per call). The connect-mode service is this file re-run as `serve <plain|curve> <dir>`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pipelined, sequential } from './run-one.js';
import { median, percentile } from './stats.js';
import { numberFlag } from './cli-args.js';

type Setup = 'spawn-tcp' | 'spawn-private' | 'connect-plain' | 'connect-curve';
const SETUPS: Setup[] = ['spawn-tcp', 'spawn-private', 'connect-plain', 'connect-curve'];
const LABELS: Record<Setup, string> = {
  'spawn-tcp': "spawn, `channel: 'tcp'`",
  'spawn-private': "spawn, `channel: 'private'` (ipc)",
  'connect-plain': 'connect, plain TCP',
  'connect-curve': 'connect, CURVE',
};

import type { Client } from './targets.js';

interface Figures {
  seqP50Us: number;
  pipelined64: number;
  mibMBps: number;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const self = fileURLToPath(import.meta.url);
const SERVICE_ID = { plain: 'seccost-plain', curve: 'seccost-curve' } as const;

/** The connect-mode service: the bench child's two functions, registered under dir/home. */
async function serve(kind: 'plain' | 'curve', dir: string): Promise<void> {
  const { ChildWorker } = await import('multifrost');
  class BenchService extends ChildWorker {
    add(a: number, b: number): number {
      return a + b;
    }
    echo(value: unknown): unknown {
      return value;
    }
  }
  const worker = new BenchService({
    serviceId: SERVICE_ID[kind],
    forwardOutput: false,
    ...(kind === 'curve'
      ? {
          security: {
            curve: { key: path.join(dir, 'keys', 'service.key_secret'), allow: path.join(dir, 'keys', 'clients') },
          },
        }
      : {}),
  });
  await worker.start();
  process.stdout.write('ready\n');
}

function waitReady(proc: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('ready\n')) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`service exited (${code}) before it was ready`)));
  });
}

async function start(setup: Setup, dir: string): Promise<Client> {
  const { ParentWorker, FileServiceRegistry } = await import('multifrost');
  if (setup === 'spawn-tcp' || setup === 'spawn-private') {
    const w = await ParentWorker.spawn(path.join(here, 'servers', 'multifrost-child.mjs'), {
      executable: process.execPath,
      channel: setup === 'spawn-tcp' ? 'tcp' : 'private',
      output: 'ignore',
    });
    return { call: (fn, args) => w.callFunction(fn, args), childPid: w.pid!, close: () => w.close() };
  }
  const kind = setup === 'connect-curve' ? 'curve' : 'plain';
  const home = path.join(dir, 'home');
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const svc = spawn(process.execPath, ['--import', tsx, self, 'serve', kind, dir], {
    env: { ...process.env, MULTIFROST_HOME: home },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stop = async () => {
    if (svc.exitCode === null && svc.signalCode === null) {
      const exited = new Promise((r) => svc.once('exit', r));
      svc.kill('SIGTERM');
      await exited;
    }
  };
  try {
    await waitReady(svc);
    const w = await ParentWorker.connect(SERVICE_ID[kind], {
      registry: new FileServiceRegistry({ home }),
      output: 'ignore',
      ...(kind === 'curve'
        ? {
            security: {
              curve: {
                key: path.join(dir, 'keys', 'clients', 'bench.key_secret'),
                serverKey: path.join(dir, 'keys', 'service.key'),
              },
            },
          }
        : {}),
    });
    return {
      call: (fn, args) => w.callFunction(fn, args),
      childPid: svc.pid!,
      close: async () => {
        await w.close();
        await stop();
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function mibEcho(client: Client, n: number): Promise<number> {
  const payload = Buffer.alloc(1 << 20, 0x5a);
  for (let i = 0; i < 3; i++) await client.call('echo', [payload]);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const back = (await client.call('echo', [payload])) as Buffer;
    // A wrong length would mean the figure measures something other than a 1 MiB round trip.
    if (back.length !== payload.length) throw new Error(`echo returned ${back.length} bytes`);
  }
  return (payload.length * n) / 1e6 / ((performance.now() - t0) / 1000);
}

async function measure(setup: Setup, dir: string, c: { seq: number; pipelined: number; mib: number }) {
  const client = await start(setup, dir);
  try {
    await sequential(client, 500, Infinity);
    await pipelined([client], 64, 2_000, Infinity);
    const seqP50Us = percentile(await sequential(client, c.seq, Infinity), 0.5);
    const pipelined64 = await pipelined([client], 64, c.pipelined, Infinity);
    const mibMBps = await mibEcho(client, c.mib);
    return { seqP50Us, pipelined64, mibMBps };
  } finally {
    await client.close();
  }
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').trim();

function cell(values: number[], digits: number, unit: string): string {
  const fmt = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: digits });
  return `${fmt(median(values))} ${unit} (${fmt(Math.min(...values))}–${fmt(Math.max(...values))})`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string, fallback: number): number => numberFlag(args, name, fallback);
  const rounds = flag('--rounds', 7);
  const counts = { seq: flag('--seq', 4_000), pipelined: flag('--pipelined', 30_000), mib: flag('--mib', 120) };
  const dir = mkdtempSync(path.join(tmpdir(), 'mf-seccost-'));
  const { writeCurveCertificates } = await import('@multifrost/transport-zmq');
  await writeCurveCertificates(path.join(dir, 'keys'), 'service');
  await writeCurveCertificates(path.join(dir, 'keys', 'clients'), 'bench');
  const results = new Map<Setup, Figures[]>(SETUPS.map((s) => [s, []]));
  const loadBefore = loadavg();
  const t0 = performance.now();
  console.log(JSON.stringify({ node: process.version, cpus: cpus().length, loadavg: loadBefore, rounds, ...counts }));
  try {
    for (let r = 0; r < rounds; r++) {
      // Rotating the order keeps "who runs first after a quiet spell" from favouring one setup.
      const order = SETUPS.map((_, i) => SETUPS[(i + r) % SETUPS.length]!);
      for (const setup of order) {
        const f = await measure(setup, dir, counts);
        results.get(setup)!.push(f);
        console.log(
          JSON.stringify({
            round: r + 1,
            setup,
            seqP50Us: Math.round(f.seqP50Us),
            pipelined64: Math.round(f.pipelined64),
            mibMBps: Math.round(f.mibMBps),
            loadavg: loadavg(),
          }),
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const loadAfter = loadavg();
  const lines = [
    '',
    `${rounds} rounds, ${((performance.now() - t0) / 1000).toFixed(0)} s; Node ${process.version}, ${cpus().length} cores; /proc/loadavg before: ${loadBefore}, after: ${loadAfter}`,
    'Median of the rounds (min–max):',
    '',
    '| setup | sequential p50 | pipelined (64 in flight) | 1 MiB echo |',
    '|---|---|---|---|',
    ...SETUPS.map((s) => {
      const f = results.get(s)!;
      return `| ${LABELS[s]} | ${cell(
        f.map((x) => x.seqP50Us),
        0,
        'µs',
      )} | ${cell(
        f.map((x) => x.pipelined64),
        0,
        'calls/s',
      )} | ${cell(
        f.map((x) => x.mibMBps),
        0,
        'MB/s',
      )} |`;
    }),
  ];
  console.log(lines.join('\n'));
}

if (process.argv[2] === 'serve') {
  serve(process.argv[3] as 'plain' | 'curve', process.argv[4]!).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
