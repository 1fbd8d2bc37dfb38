/**
 * Measures what a flood of calls from one peer costs a connect-mode service: 300,000 calls to an
 * async handler that holds each call for a while, sent as fast as the socket takes them, with the
 * service's RSS sampled from /proc throughout. Run with the defaults (bounded) and with
 * `--unbounded` (maxConcurrency and maxQueue Infinity, the behaviour before BUSY existed):
 *   pnpm --filter @multifrost/bench exec tsx src/flood-rss.ts [--unbounded] [--calls 300000]
 * The bounded run takes about 90 s: the 1,088 calls it keeps drain 64 at a time, 5 s per wave.
 * (Reliability scenario 11 asserts the bound; this script gives the figures with and without it.)
 * Measured 2026-12-01 (Node 20.20.2, 2 cores): defaults 82.3 → 121.8 MB peak (+39.5; 1,152 answered,
 * 298,848 BUSY); `--unbounded` 82.6 → 767.5 MB (+685; all 300,000 held at once).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { createCall, type ErrorMessage, type Message } from '@multifrost/protocol';
import { zmqTransport } from '@multifrost/transport-zmq';

const HOLD_MS = 5_000;

async function service(port: number, unbounded: boolean): Promise<void> {
  const { ChildWorker } = await import('@multifrost/child');
  class FloodWorker extends ChildWorker {
    async hold(i: number): Promise<number> {
      await new Promise((r) => setTimeout(r, HOLD_MS));
      return i;
    }
  }
  await new FloodWorker({
    serviceId: 'flood',
    endpoint: `tcp://127.0.0.1:${port}`,
    forwardOutput: false,
    ...(unbounded ? { maxConcurrency: Infinity, maxQueue: Infinity } : {}),
  }).run();
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function main(): Promise<void> {
  const unbounded = process.argv.includes('--unbounded');
  const at = process.argv.indexOf('--calls');
  const calls = at > 0 ? Number(process.argv[at + 1]) : 300_000;
  const home = mkdtempSync(path.join(tmpdir(), 'mf-flood-'));
  const port = await freePort();
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const child = spawn(
    process.execPath,
    ['--import', tsx, fileURLToPath(import.meta.url), 'service', String(port), unbounded ? 'unbounded' : 'bounded'],
    { env: { ...process.env, MULTIFROST_HOME: home }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout!.once('data', () => resolve()); // the "ready" line
      child.once('exit', (code) => reject(new Error(`service exited (${code})`)));
    });
    const pid = child.pid!;
    const caller = zmqTransport().caller();
    let ok = 0;
    let busy = 0;
    let other = 0;
    caller.onMessage = (m: Message) => {
      if (m.type === 'response') ok++;
      else if (m.type === 'error' && (m as ErrorMessage).error_code === 'BUSY') busy++;
      else other++;
    };
    caller.connect(`tcp://127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 300));
    const before = rssMb(pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 50);
    const t0 = Date.now();
    for (let i = 0; i < calls; i++) {
      const sent = caller.send(createCall({ id: `f${i}`, function: 'hold', args: [i] }));
      if (i % 1000 === 999) await sent;
    }
    const sentMs = Date.now() - t0;
    while (ok + busy + other < calls) await new Promise((r) => setTimeout(r, 100));
    clearInterval(sampler);
    const after = rssMb(pid);
    await caller.close();
    console.log(
      JSON.stringify({
        mode: unbounded ? 'unbounded (Infinity)' : 'defaults (64 / 1024)',
        calls,
        sentMs,
        ok,
        busy,
        other,
        rssBeforeMb: +before.toFixed(1),
        rssPeakMb: +peak.toFixed(1),
        rssAfterMb: +after.toFixed(1),
        peakRiseMb: +(peak - before).toFixed(1),
      }),
    );
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(home, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'service') void service(Number(process.argv[3]), process.argv[4] === 'unbounded');
else await main();
