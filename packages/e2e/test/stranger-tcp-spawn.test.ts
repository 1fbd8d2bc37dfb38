/**
 * Spawn mode on TCP against another local account: a stranger (uid 65534, via setpriv) connects to
 * a `channel: 'tcp'` worker's port, which any account can reach. The port serves one connection,
 * the worker's, so the stranger's is refused at the ZMTP handshake: it is handed no call (not even
 * a heartbeat) and every answer is the real worker's (docs/security.md).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ParentWorker } from 'multifrost';
import { afterEach, describe, expect, it } from 'vitest';
import type { MathWorker } from './fixtures/math-worker.js';
import { fixture, quiet, tempHome, waitFor } from './helpers/workers.js';

const STRANGER = ['--reuid=65534', '--regid=65534', '--clear-groups'];

/** Why the stranger cannot be played here, or undefined when it can. */
function cannotPlayStranger(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux (setpriv, /proc)';
  if (process.getuid?.() !== 0) return 'needs root to run a process as uid 65534 (setpriv)';
  const probe = spawnSync('setpriv', [
    ...STRANGER,
    process.execPath,
    '-e',
    `require('fs').accessSync(${JSON.stringify(fixture('stranger-router.mjs'))})`,
  ]);
  if (probe.error) return `setpriv is not available: ${probe.error.message}`;
  if (probe.status !== 0) return `uid 65534 cannot run node or read the fixtures: ${String(probe.stderr).trim()}`;
  return undefined;
}
const skipReason = cannotPlayStranger();
if (skipReason) console.warn(`stranger-tcp-spawn tests skipped: ${skipReason}`);

const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function workerEndpoint(pid: number): string {
  for (const entry of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
    if (entry.startsWith('MULTIFROST_ENDPOINT=')) return entry.slice('MULTIFROST_ENDPOINT='.length);
  }
  throw new Error(`no MULTIFROST_ENDPOINT in the environment of ${pid}`);
}

function startStranger(endpoint: string): { proc: ChildProcess; lines: Record<string, unknown>[] } {
  const proc = spawn('setpriv', [...STRANGER, process.execPath, fixture('stranger-router.mjs'), endpoint], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Record<string, unknown>[] = [];
  let buf = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      lines.push(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
      buf = buf.slice(nl + 1);
      nl = buf.indexOf('\n');
    }
  });
  cleanup.push(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await new Promise((r) => proc.once('exit', r));
    }
  });
  return { proc, lines };
}

describe.skipIf(skipReason !== undefined)('spawn mode on TCP against another local account (uid 65534)', () => {
  it("the stranger's connection to a 'tcp' worker's port is refused: no call reaches it, 100 calls get the real answers", async () => {
    const { home, cleanup: rmHome } = tempHome();
    cleanup.push(rmHome);
    const worker = await ParentWorker.spawn<MathWorker>(fixture('math-worker.ts'), {
      ...quiet,
      channel: 'tcp',
      env: { MULTIFROST_HOME: home },
    });
    cleanup.push(() => worker.close());
    const endpoint = workerEndpoint(worker.pid!);
    expect(endpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:/);

    const stranger = startStranger(endpoint);
    // The TCP connect itself succeeds (any account can reach the port); the handshake does not.
    await waitFor(
      () => stranger.lines.some((l) => l.event === 'connect') && stranger.lines.some((l) => l.event === 'disconnect'),
      20_000,
      "the stranger's connection and its refusal",
    );
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => worker.call.add(i, 1)));
    expect(answers).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(stranger.lines.find((l) => l.event === 'started')).toMatchObject({ uid: 65534 });
    expect(stranger.lines.some((l) => l.event === 'handshake')).toBe(false);
    expect(stranger.lines.filter((l) => 'got' in l)).toEqual([]);
  });
});
