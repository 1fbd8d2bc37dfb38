/**
 * Playing another local account in tests: processes run as uid 65534 through setpriv, a probe of
 * whether that is possible here, the environment a worker was started with, and a ZeroMQ ROUTER
 * stranger (fixtures/stranger-router.mjs) whose JSON lines tell what reached it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fixture } from './workers.js';

export const STRANGER = ['--reuid=65534', '--regid=65534', '--clear-groups'];

/** Why the stranger cannot be played here, or undefined when it can. */
export function cannotPlayStranger(): string | undefined {
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

/** The environment the worker process was started with, as the kernel kept it. */
export function startEnv(pid: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

/** Starts the ROUTER stranger against `endpoint`; `cleanup` gets the function that kills it. */
export function startStranger(
  endpoint: string,
  cleanup: (() => void | Promise<void>)[],
): { proc: ChildProcess; lines: Record<string, unknown>[] } {
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
