// The spawn supervisor with real processes and the in-memory transport standing in for the
// socket: a test-side service answers heartbeats, so what is checked is the supervisor's own
// work — launching, readiness, exit, restart, and close's signals to the worker's process group.
import { mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { APP_V3, createHeartbeatReply, type MultifrostError } from '@multifrost/protocol';
import { createMemoryTransport } from '@multifrost/testing';
import type { CallerTransport, ServiceTransport } from '@multifrost/transport-zmq';
import { CallTable } from '../src/call-table.js';
import { resolveCommand } from '../src/command.js';
import { HeartbeatMonitor } from '../src/heartbeat.js';
import { Metrics } from '../src/metrics.js';
import { OutputSink } from '../src/output-sink.js';
import { SpawnSupervisor, type SpawnPlan } from '../src/spawn-supervisor.js';
import type { WorkerHost } from '../src/strategy.js';
import type { ExitInfo } from '../src/worker-process.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mf-supervisor-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Harness {
  host: WorkerHost;
  events: string[];
  state: { ready: boolean; closing: boolean };
}

function harness(): Harness & { caller: CallerTransport; service: ServiceTransport } {
  const mem = createMemoryTransport();
  const caller = mem.caller();
  const service = mem.service();
  service.onMessage = (msg, peer) => {
    if (msg.type === 'heartbeat') void service.send(peer, createHeartbeatReply(msg));
  };
  const metrics = new Metrics();
  const heartbeat = new HeartbeatMonitor(
    { intervalMs: 0, timeoutMs: 1000, maxMisses: 3 },
    {
      app: APP_V3,
      send: (m) => caller.send(m),
      isBusy: () => false,
      onRtt: () => {},
      onMiss: () => {},
      onUnresponsive: () => {},
      onResponsive: () => {},
    },
  );
  caller.onMessage = (msg) => {
    if (msg.type === 'heartbeat') heartbeat.onReply(msg);
  };
  const calls = new CallTable('w', { post: (m, e) => caller.post(m, e), cancel: () => {} }, metrics, undefined);
  const events: string[] = [];
  const state = { ready: false, closing: false };
  const host: WorkerHost = {
    name: 'w',
    app: APP_V3,
    appCandidates: undefined,
    chooseApp: () => {},
    transport: caller,
    heartbeat,
    calls,
    failInFlight: (makeError) => calls.rejectAll((p) => makeError(p.fn), true),
    metrics,
    sink: new OutputSink(
      () => 'w',
      'ignore',
      () => {},
    ),
    get closing() {
      return state.closing;
    },
    get ready() {
      return state.ready;
    },
    exited: (info: ExitInfo) => events.push(`exit ${info.signal ?? info.code}`),
    lost: (_info, restarting) => {
      state.ready = false;
      events.push(`lost restarting=${restarting}`);
    },
    restarted: (attempt) => {
      state.ready = true;
      events.push(`restarted ${attempt}`);
    },
    restartFailed: (err: MultifrostError) => events.push(`restart-failed ${err.code}`),
  };
  cleanup.push(async () => {
    heartbeat.stop();
    await caller.close();
    await service.close();
  });
  return { host, events, state, caller, service };
}

/** Starts the supervisor; the test-side service connects once the caller has bound. */
async function start(h: ReturnType<typeof harness>, sup: SpawnSupervisor): Promise<void> {
  const started = sup.start();
  await until(() => h.caller.endpoint !== undefined, 'the bind');
  h.service.connect(h.caller.endpoint!);
  await started;
  h.state.ready = true;
}

function plan(dir: string, script: string, extra: Partial<SpawnPlan> = {}): SpawnPlan {
  const file = path.join(dir, 'worker.mjs');
  writeFileSync(file, script);
  return {
    command: resolveCommand(file, undefined, [], dir),
    cwd: dir,
    env: { ...process.env },
    startTimeoutMs: 10_000,
    closeGraceMs: 2_000,
    autoRestart: undefined,
    ...extra,
  };
}

describe('SpawnSupervisor', () => {
  it('close() sends SIGTERM to the whole process group, so what the worker started hears it too', async () => {
    const dir = tempDir();
    const marker = path.join(dir, 'grandchild-got');
    const pidFile = path.join(dir, 'grandchild.pid');
    writeFileSync(
      path.join(dir, 'grandchild.mjs'),
      `import fs from 'node:fs';
process.on('SIGTERM', () => { fs.writeFileSync(${JSON.stringify(marker)}, 'SIGTERM'); process.exit(0); });
fs.writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));
setInterval(() => {}, 1000);`,
    );
    // The worker ignores the shutdown message (it has no socket) and, on SIGTERM, waits for its own
    // child to go: if only the worker were signalled, the grandchild would never hear SIGTERM.
    const h = harness();
    const sup = new SpawnSupervisor(
      h.host,
      plan(
        dir,
        `import { spawn } from 'node:child_process';
const child = spawn(process.execPath, [${JSON.stringify(path.join(dir, 'grandchild.mjs'))}], { stdio: 'ignore' });
process.on('SIGTERM', () => child.on('exit', () => process.exit(0)));
setInterval(() => {}, 1000);`,
      ),
    );
    await start(h, sup);
    await until(() => existsSync(pidFile), 'the grandchild');
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    cleanup.push(() => alive(grandchild) && process.kill(grandchild, 'SIGKILL'));
    const worker = sup.pid!;
    h.state.closing = true;
    await sup.close();
    expect(alive(worker)).toBe(false);
    expect(existsSync(marker) ? readFileSync(marker, 'utf8') : 'no SIGTERM').toBe('SIGTERM');
    await until(() => !alive(grandchild), 'the grandchild to exit');
    expect(h.events).toContain('exit 0');
  });

  it('a worker that dies while ready is reported lost and restarted with a new process', async () => {
    const dir = tempDir();
    const h = harness();
    const sup = new SpawnSupervisor(
      h.host,
      plan(dir, 'setInterval(() => {}, 1000);', { autoRestart: { initialDelayMs: 10, maxAttempts: 2 } }),
    );
    await start(h, sup);
    const first = sup.pid!;
    process.kill(first, 'SIGKILL');
    await until(() => h.events.includes('restarted 1'), 'the restart');
    expect(h.events).toEqual(['exit SIGKILL', 'lost restarting=true', 'restarted 1']);
    expect(sup.pid).not.toBe(first);
    expect(alive(sup.pid!)).toBe(true);
    expect(h.host.metrics.restarts).toBe(1);
    h.state.closing = true;
    await sup.close();
    expect(alive(first)).toBe(false);
  });

  it('without autoRestart a lost worker stays down and says how it exited', async () => {
    const dir = tempDir();
    const h = harness();
    const sup = new SpawnSupervisor(
      h.host,
      plan(dir, 'setTimeout(() => process.exit(3), 100); setInterval(() => {}, 1000);'),
    );
    await start(h, sup);
    await until(() => h.events.includes('lost restarting=false'), 'the exit');
    expect(sup.notRunning('f').message).toBe('Worker w is not running (it exited with code 3); f() was not sent');
  });
});
