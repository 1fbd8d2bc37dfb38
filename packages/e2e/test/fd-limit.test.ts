/**
 * A connect-mode service at its descriptor limit (issue 13, item 5): idle TCP connections from
 * another account use up every descriptor. The parent that was already connected must still be
 * served, the service must say why new connections wait, and once the flood is gone a new parent
 * must connect again without anyone restarting the service. (Main-thread CPU is not asserted, it
 * is a timing: packages/bench/src/fd-flood.ts measures it.)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { FileServiceRegistry, ParentWorker } from 'multifrost';
import { afterEach, describe, expect, it } from 'vitest';
import { cannotPlayStranger, STRANGER } from './helpers/stranger.js';
import { fixture, tempHome, waitFor } from './helpers/workers.js';

const LIMIT = 256;
const CONNECTIONS = 300;

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function cannotLimit(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux (prlimit, /proc)';
  const probe = spawnSync('prlimit', [`--nofile=${LIMIT}:${LIMIT}`, 'true']);
  if (probe.error) return `prlimit is not available: ${probe.error.message}`;
  if (probe.status !== 0) return `prlimit cannot lower the descriptor limit: ${String(probe.stderr).trim()}`;
  return undefined;
}

/** Starts a process whose stdout is JSON lines, collected in `lines`; cleanup kills it. */
function start(command: string, args: string[], env?: NodeJS.ProcessEnv) {
  const proc = spawn(command, args, { env: env ?? process.env, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: Record<string, unknown>[] = [];
  let buf = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not one of ours (a stray log line)
      }
    }
  });
  const kill = async (): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGKILL');
    await new Promise((r) => proc.once('exit', r));
  };
  cleanup.push(kill);
  return { proc, lines, kill };
}

const openFds = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

const skip = cannotLimit();
const stranger = cannotPlayStranger();

describe.skipIf(skip !== undefined)(`a service at its descriptor limit${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it(`keeps serving its parent through ${CONNECTIONS} idle connections at limit ${LIMIT}, warns, and recovers`, async () => {
    const { home, cleanup: rm } = tempHome();
    cleanup.push(rm);
    const service = start(
      'prlimit',
      [`--nofile=${LIMIT}:${LIMIT}`, process.execPath, '--import', tsx, fixture('fd-limit-service.ts')],
      { ...process.env, MULTIFROST_HOME: home, MF_SERVICE_ID: 'fd-limit', COMLINK_ZMQ_PORT: '' },
    );
    await waitFor(() => service.lines.some((l) => 'ready' in l), 20_000, 'the service to start');
    const port = service.lines.find((l) => 'ready' in l)!.ready as number;
    const pid = service.proc.pid!; // prlimit execs the command: same process
    const registry = new FileServiceRegistry({ home });
    const parent = await ParentWorker.connect<{ echo(x: number): number }>('fd-limit', { registry, output: 'ignore' });
    cleanup.push(() => parent.close());
    expect(await parent.call.echo(1)).toBe(1);
    const peers = (): number | undefined =>
      service.lines
        .filter((l) => typeof l.peers === 'number')
        .map((l) => l.peers as number)
        .at(-1);
    await waitFor(() => peers() === 1, 5_000, 'the service to count its parent');

    // The flooder runs as another account where it can (the realistic stranger), else as us.
    const flooderArgs = [fixture('fd-limit-flooder.mjs'), String(port), String(CONNECTIONS)];
    const flooder =
      stranger === undefined
        ? start('setpriv', [...STRANGER, process.execPath, ...flooderArgs])
        : start(process.execPath, flooderArgs);
    await waitFor(() => openFds(pid) >= LIMIT - 1, 30_000, `the service to use all ${LIMIT} descriptors`);
    await waitFor(
      () => service.lines.some((l) => typeof l.warning === 'string' && l.warning.includes('out of file descriptors')),
      10_000,
      'the out-of-descriptors warning',
    );
    const warnings = service.lines.filter((l) => typeof l.warning === 'string').map((l) => l.warning as string);
    const fdWarnings = warnings.filter((w) => w.includes('out of file descriptors'));
    expect(fdWarnings).toHaveLength(1); // once, not once per failed accept
    expect(fdWarnings[0]).toContain(`limit ${LIMIT}`);
    expect(fdWarnings[0]).toContain(`tcp://127.0.0.1:${port}`);

    // While every descriptor is taken, the connected parent's calls are answered. Before the fix
    // the observer loop starved the event loop and these took seconds each (5 of 12 runs timed out).
    const results: number[] = [];
    for (let i = 0; i < 20; i++) results.push(await parent.with({ timeoutMs: 2_000 }).call.echo(i));
    expect(results).toEqual([...Array(20).keys()]);
    expect(openFds(pid)).toBeGreaterThanOrEqual(LIMIT - 1); // still flooded: the calls did not need a free descriptor
    // Hundreds of accepts (and failed accepts) later, the service still counts exactly its parent.
    expect(peers()).toBe(1);

    // The flood ends; the service frees the descriptors by itself and a new parent gets in.
    await flooder.kill();
    await waitFor(() => openFds(pid) < LIMIT / 2, 30_000, 'the service to close the idle connections');
    const second = await ParentWorker.connect<{ echo(x: number): number }>('fd-limit', {
      registry,
      output: 'ignore',
      startTimeoutMs: 10_000,
    });
    cleanup.push(() => second.close());
    expect(await second.call.echo(42)).toBe(42);
    expect(await parent.call.echo(43)).toBe(43);
    await waitFor(() => peers() === 2, 5_000, 'the service to count both parents');
    // The accepts that failed while every descriptor was taken are counted in the transport's stats.
    const counted = service.lines.filter((l) => l.peers === 2).at(-1)!;
    expect(counted.failedAccepts).toBeGreaterThan(0);
    await second.close();
    await waitFor(() => peers() === 1, 5_000, 'the service to count the second parent gone');
  });
});
