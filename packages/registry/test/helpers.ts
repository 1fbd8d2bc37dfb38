// Helpers of the registry tests: temp homes, driver processes, waiting for output.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
export const PYTHON = process.env.PYTHON_BIN ?? '/usr/bin/python3';

export function tempHome(): string {
  return mkdtempSync(path.join(tmpdir(), 'mf-registry-'));
}

export function removeHome(home: string): void {
  rmSync(home, { recursive: true, force: true });
}

/** A long-lived process answering one JSON line per command. */
export class Driver {
  readonly proc: ChildProcess;
  private buffer = '';
  private waiters: ((line: string) => void)[] = [];

  constructor() {
    this.proc = spawn(process.execPath, [path.join(fixtures, 'registry-driver.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.proc.stdout!.on('data', (d: Buffer) => {
      this.buffer += d.toString();
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        this.waiters.shift()?.(line);
      }
    });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  send(cmd: Record<string, unknown>): Promise<{ ok: boolean; code?: string; message?: string; result?: unknown }> {
    const reply = new Promise<string>((resolve) => this.waiters.push(resolve));
    this.proc.stdin!.write(`${JSON.stringify(cmd)}\n`);
    return reply.then((l) => JSON.parse(l));
  }

  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
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
