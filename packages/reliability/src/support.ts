/** Shared pieces of the reliability scenarios: fixtures, process checks, waiting, result shape. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { residentMb } from '@multifrost/protocol/internal';
import { isPidAlive } from '@multifrost/registry/internal';

export const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
export const fixture = (name: string): string => path.join(fixtures, name);

export interface ScenarioResult {
  /** Figures to report: what was held, injected, tried, and what came out. */
  figures: Record<string, string | number>;
}

export interface ScenarioOptions {
  /** The full run: longer, bigger, stricter. The fast subset otherwise. */
  full: boolean;
}

export interface Scenario {
  id: number;
  name: string;
  proves: string;
  run(options: ScenarioOptions): Promise<ScenarioResult>;
}

export const isAlive = (pid: number): boolean => isPidAlive(pid);

export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - t0;
}

export function rssMb(pid: number): number {
  return residentMb(pid) ?? Number.NaN;
}

export function openFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return Number.NaN;
  }
}

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** Processes (by command line) still running from a fixture script: must be none afterwards. */
export function runningFixtures(name: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmd.includes(name) && isPidAlive(Number(entry))) out.push(Number(entry));
    } catch {
      // gone
    }
  }
  return out;
}

/**
 * Starts a connect-mode fixture (`worker.mjs`, `raw-peer.mjs`, ...) registering `serviceId` in
 * `home`. `proc` is there at once, so the caller can arrange its kill before waiting; `ready`
 * resolves once it printed its ready line, and rejects if it exits first.
 */
export function startService(
  script: string,
  home: string,
  serviceId: string,
  env: Record<string, string> = {},
): { proc: ChildProcess; ready: Promise<ChildProcess> } {
  const proc = spawn(process.execPath, [fixture(script)], {
    env: { ...process.env, MULTIFROST_HOME: home, MF_SERVICE_ID: serviceId, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = new Promise<ChildProcess>((resolve, reject) => {
    let text = '';
    proc.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('ready')) resolve(proc);
    });
    proc.once('exit', (code) =>
      reject(new Error(`${script} (${serviceId}) exited (${String(code)}) before it was ready`)),
    );
  });
  return { proc, ready };
}
