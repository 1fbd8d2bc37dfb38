/**
 * Measures what a flood of idle TCP connections costs a connect-mode service that runs at its
 * descriptor limit: the service starts under `prlimit --nofile=<limit>`, a parent connects and
 * keeps calling it, then another process (uid 65534 with `--stranger`) opens `--conns` idle
 * connections and holds them. Reported: the service's main-thread and other-thread CPU from
 * /proc/<pid>/task/<tid>/stat, the connected parent's calls ok/failed during the flood, the
 * failed accepts that reached JS (one observer event each), the warnings, and whether a new parent connects after
 * the flood ends.
 *   pnpm --filter @multifrost/bench exec tsx src/fd-flood.ts [--limit 1024] [--conns 1100] [--stranger]
 *     [--seconds 15] [--handshake-ms N]
 * Measured 2026-12-01 (Node 20.20.2, 2 shared cores, `--seconds 10`, limit 1,024, 1,100 connections;
 * calls every 50 ms with a 2 s timeout; quiet baseline: main thread 0.7 %, ~195 calls in 10 s):
 * - before (events read as they came): main thread 51–77 %, other threads 11–17 %, 44,000–135,000
 *   `accept:error` a second reached JS, 6–10 calls answered (2 of 12 timed out in one run; median
 *   620 ms, max 2,007 ms), a new parent could not connect during the flood;
 * - after (paced batches): main thread 11–13 %, other threads 2.4–2.8 %, ~17,000 events a second,
 *   87–94 calls, none failed (median 65 ms, max 94–149 ms), the same with `--stranger` (uid 65534);
 *   one out-of-descriptors warning; a new parent connects once the flood is gone;
 * - after, `--handshake-ms 5000`: the idle connections are closed within the window: main thread
 *   6 %, 148 calls (median 2 ms), a new parent connected even during the measurement.
 * The pacing is in packages/transport-zmq/src/accept-flood.ts; `failedAcceptsPerSecond` is the
 * service transport's `stats.failedAccepts` (one `accept:error` event each).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}

/** The service: echo, printing its transport's failed-accept count every second. */
async function service(port: number, handshakeMs: number): Promise<void> {
  const { ChildWorker, zmqTransport } = await import('@multifrost/child');
  class EchoWorker extends ChildWorker {
    echo(x: number): number {
      return x;
    }
  }
  const zmq = zmqTransport({
    onWarning: (message: string) => console.log(JSON.stringify({ warning: message })),
    ...(handshakeMs >= 0 ? { zmtpHandshakeTimeoutMs: handshakeMs } : {}),
  });
  let stats: { failedAccepts?: number } | undefined;
  const worker = new EchoWorker({
    serviceId: 'fdflood',
    endpoint: `tcp://127.0.0.1:${port}`,
    forwardOutput: false,
    // The worker's own transport, kept to read its stats.
    transport: {
      name: zmq.name,
      caller: () => zmq.caller(),
      service: () => {
        const t = zmq.service();
        stats = t.stats;
        return t;
      },
    },
  });
  await worker.start();
  console.log(JSON.stringify({ ready: true }));
  setInterval(() => console.log(JSON.stringify({ failedAccepts: stats?.failedAccepts ?? 0 })), 1000).unref();
}

/**
 * The flooder: opens n idle connections, keeps them until killed, reports how many are open. They
 * go out in small batches: a burst larger than the listen backlog (100) overflows it, and with SYN
 * cookies the kernel then forgets those connections while the client still counts them open.
 */
async function flood(port: number, n: number): Promise<void> {
  const sockets: Socket[] = [];
  let open = 0;
  let closed = 0;
  setInterval(() => console.log(JSON.stringify({ open, closed })), 1000);
  for (let i = 0; i < n; i++) {
    const s = connect({ host: '127.0.0.1', port });
    s.on('connect', () => open++);
    s.on('error', () => {});
    s.on('close', () => closed++);
    s.resume(); // read the service's greeting, so a close is seen
    sockets.push(s);
    if (i % 50 === 49) await sleep(50);
  }
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

/** utime + stime in clock ticks (100 per second on Linux) for each thread of pid. */
function threadTicks(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), Number(fields[11]) + Number(fields[12]));
    } catch {}
  }
  return out;
}

function openFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return Number.NaN;
  }
}

function cpuPercent(pid: number, before: Map<number, number>, after: Map<number, number>, seconds: number) {
  let main = 0;
  let others = 0;
  for (const [tid, ticks] of after) {
    const d = ticks - (before.get(tid) ?? 0);
    if (tid === pid) main += d;
    else others += d;
  }
  return { mainPct: +(main / seconds).toFixed(1), otherThreadsPct: +(others / seconds).toFixed(1) };
}

function lines(proc: ChildProcess, onLine: (line: Record<string, unknown>) => void): void {
  let buf = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        onLine(JSON.parse(line) as Record<string, unknown>);
      } catch {}
    }
  });
}

async function main(): Promise<void> {
  const limit = arg('--limit', 1024);
  const conns = arg('--conns', 1100);
  const seconds = arg('--seconds', 15);
  const handshakeMs = arg('--handshake-ms', -1);
  const stranger = process.argv.includes('--stranger');
  const home = mkdtempSync(path.join(tmpdir(), 'mf-fdflood-'));
  const port = await freePort();
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const self = fileURLToPath(import.meta.url);
  const procs: ChildProcess[] = [];
  const { ParentWorker, FileServiceRegistry } = await import('multifrost');
  const registry = new FileServiceRegistry({ home });
  try {
    const svc = spawn(
      'prlimit',
      [
        `--nofile=${limit}:${limit}`,
        process.execPath,
        '--import',
        tsx,
        self,
        'service',
        String(port),
        String(handshakeMs),
      ],
      { env: { ...process.env, MULTIFROST_HOME: home }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    procs.push(svc);
    let failedAccepts = 0;
    const warnings: string[] = [];
    await new Promise<void>((resolve, reject) => {
      lines(svc, (l) => {
        if (l.ready) resolve();
        if (typeof l.failedAccepts === 'number') failedAccepts = l.failedAccepts;
        if (typeof l.warning === 'string') warnings.push(l.warning);
      });
      svc.once('exit', (code) => reject(new Error(`service exited (${code})`)));
    });
    const pid = svc.pid!;
    const parent = await ParentWorker.connect<{ echo(x: number): number }>('fdflood', { registry, output: 'ignore' });
    let ok = 0;
    let failed = 0;
    let calling = true;
    let measuring = false;
    const latencies: number[] = [];
    const caller = (async () => {
      for (let i = 0; calling; i++) {
        const t0 = performance.now();
        try {
          if ((await parent.with({ timeoutMs: 2000 }).call.echo(i)) === i) ok++;
          else failed++;
        } catch {
          failed++;
        }
        if (measuring) latencies.push(performance.now() - t0);
        await sleep(50);
      }
    })();
    await sleep(2000);
    const quietBefore = threadTicks(pid);
    await sleep(3000);
    const quiet = cpuPercent(pid, quietBefore, threadTicks(pid), 3);

    const flooderArgs = ['--import', tsx, self, 'flood', String(port), String(conns)];
    const floodCmd = stranger
      ? spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...flooderArgs], {
          stdio: ['ignore', 'pipe', 'inherit'],
        })
      : spawn(process.execPath, flooderArgs, { stdio: ['ignore', 'pipe', 'inherit'] });
    procs.push(floodCmd);
    let flooder: Record<string, unknown> = {};
    lines(floodCmd, (l) => (flooder = l));
    // Connections beyond the listen backlog finish their handshake only as the kernel retransmits
    // its SYN-ACK (1, 2, 4, ... s), so the service reaches its limit some seconds after the flood.
    const floodAt = Date.now();
    while (openFds(pid) < limit - 1 && Date.now() - floodAt < 60_000) await sleep(200);
    const limitReachedAfterMs = Date.now() - floodAt;
    const okBefore = ok;
    const failedBefore = failed;
    const acceptsFailedBefore = failedAccepts;
    const fdsAtStart = openFds(pid);
    const floodStart = threadTicks(pid);
    measuring = true;
    await sleep(seconds * 1000);
    measuring = false;
    const during = cpuPercent(pid, floodStart, threadTicks(pid), seconds);
    const failedAcceptsPerSecond = Math.round((failedAccepts - acceptsFailedBefore) / seconds);
    latencies.sort((x, y) => x - y);
    const callsDuring = {
      ok: ok - okBefore,
      failed: failed - failedBefore,
      medianMs: Math.round(latencies[Math.floor(latencies.length / 2)] ?? Number.NaN),
      maxMs: Math.round(latencies[latencies.length - 1] ?? Number.NaN),
    };
    const flooderSeen = flooder;

    let newParentDuring = 'connected';
    try {
      const p = await ParentWorker.connect('fdflood', { registry, output: 'ignore', startTimeoutMs: 3000 });
      await p.close();
    } catch (err) {
      newParentDuring = (err as Error).message.slice(0, 120);
    }

    floodCmd.kill('SIGKILL');
    await new Promise((r) => floodCmd.once('exit', r));
    let newParentAfter = 'failed';
    for (let attempt = 1; attempt <= 10; attempt++) {
      try {
        const p = await ParentWorker.connect<{ echo(x: number): number }>('fdflood', {
          registry,
          output: 'ignore',
          startTimeoutMs: 3000,
        });
        newParentAfter = `connected (attempt ${attempt}), echo → ${await p.call.echo(7)}`;
        await p.close();
        break;
      } catch {}
    }
    calling = false;
    await caller;
    await parent.close();
    console.log(
      JSON.stringify(
        {
          limit,
          conns,
          stranger,
          handshakeMs: handshakeMs >= 0 ? handshakeMs : 'default',
          quiet,
          flood: during,
          flooder: flooderSeen,
          serviceFdsAtStart: fdsAtStart,
          limitReachedAfterMs,
          callsDuringFlood: callsDuring,
          failedAcceptsPerSecond,
          newParentDuringFlood: newParentDuring,
          newParentAfterFlood: newParentAfter,
          warnings: warnings.slice(0, 3),
          warningCount: warnings.length,
        },
        null,
        1,
      ),
    );
  } finally {
    for (const p of procs) {
      if (p.exitCode === null && p.signalCode === null) {
        p.kill('SIGKILL');
        await new Promise((r) => p.once('exit', r));
      }
    }
    rmSync(home, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'service') void service(Number(process.argv[3]), Number(process.argv[4]));
else if (process.argv[2] === 'flood') void flood(Number(process.argv[3]), Number(process.argv[4]));
else await main();
