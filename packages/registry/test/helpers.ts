// Helpers of the registry tests: temp homes, driver processes, waiting for output, dead PIDs.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MultifrostError } from '@multifrost/protocol';
import { pythonBin } from '../../../scripts/python-bin.mjs';

export const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
export const PYTHON = pythonBin();

/** A fresh MULTIFROST_HOME for one test; never the user's ~/.multifrost. */
export function tempHome(): string {
  return mkdtempSync(path.join(tmpdir(), 'mf-registry-'));
}

export function removeHome(home: string): void {
  rmSync(home, { recursive: true, force: true });
}

export interface DriverReply {
  ok: boolean;
  code?: string;
  message?: string;
  result?: unknown;
}

/** A long-lived registry client process (fixtures/registry-driver.mjs) answering one JSON line per command. */
export class Driver {
  readonly proc: ChildProcess;
  private buffer = '';
  private waiters: { resolve: (line: string) => void; reject: (err: Error) => void }[] = [];

  constructor() {
    this.proc = spawn(process.execPath, [path.join(fixtures, 'registry-driver.mjs')], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.proc.stdout!.on('data', (d: Buffer) => {
      this.buffer += d.toString();
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        this.waiters.shift()?.resolve(line);
      }
    });
    this.proc.on('exit', (code, signal) => {
      for (const w of this.waiters.splice(0)) w.reject(new Error(`driver ${this.pid} exited (${code ?? signal})`));
    });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  send(cmd: Record<string, unknown>): Promise<DriverReply> {
    const reply = new Promise<string>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.proc.stdin!.write(`${JSON.stringify(cmd)}\n`);
    return reply.then((l) => JSON.parse(l) as DriverReply);
  }

  /** Writes a command whose answer will never come (e.g. `hang`). */
  post(cmd: Record<string, unknown>): void {
    this.waiters.push({ resolve: () => undefined, reject: () => undefined });
    this.proc.stdin!.write(`${JSON.stringify(cmd)}\n`);
  }

  async kill(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGKILL');
    await exited;
  }
}

export function waitForLine(proc: ChildProcess, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(text)) resolve();
    });
    proc.on('exit', (code) => reject(new Error(`process exited (${code}) before printing '${text}'`)));
  });
}

/** Kills a child we started (if still running) and waits until it is gone. */
export async function killAndWait(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGKILL');
  await exited;
}

/** A PID that is certainly dead: a process we started and waited for. */
export async function deadPid(): Promise<number> {
  const p = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => p.on('exit', r));
  return p.pid!;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

/** The MultifrostError `p` rejects with; fails the test if it resolves. */
export const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as MultifrostError,
  );
