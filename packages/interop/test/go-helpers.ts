// Shared pieces of the Go interop tests: the built peer, the Go parent driver, temp homes.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGo } from './build-peers.js';
import { tsxLoader } from './helpers.js';

export const goBin = buildGo();
export const goChildCommand = [goBin, 'child'];
export const goTsWorker = path.join(path.dirname(fileURLToPath(import.meta.url)), 'go-ts-worker.ts');
export const goTsWorkerCommand = [process.execPath, '--import', tsxLoader, goTsWorker];

export type GoLine = {
  i?: number;
  ok?: boolean;
  result?: { type: string; repr?: string; items?: unknown };
  error?: string;
  stream?: string;
  output?: string;
  child_pid?: number;
  ready?: boolean;
};

export interface GoPlan {
  spawn?: string[];
  connect?: string;
  home?: string;
  app: 'v3' | 'v4';
  calls: [string, unknown[]][];
  concurrent?: boolean;
  timeout_ms?: number;
}

/** Runs the Go parent; onLine sees each event as it arrives (to kill a process mid-call). */
export function goParent(plan: GoPlan, env: NodeJS.ProcessEnv, onLine?: (l: GoLine, pid: number) => void) {
  const proc = spawn(goBin, ['parent', JSON.stringify(plan)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: GoLine[] = [];
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: proc.stdout! }).on('line', (text) => {
    if (!text.startsWith('{')) return;
    const line = JSON.parse(text) as GoLine;
    lines.push(line);
    onLine?.(line, proc.pid!);
  });
  const done = new Promise<{ code: number | null; lines: GoLine[]; stderr: string }>((resolve) =>
    proc.on('close', (code) => resolve({ code, lines, stderr })),
  );
  return { proc, done };
}

export function results(lines: GoLine[]): GoLine[] {
  return lines.filter((l) => l.i !== undefined).sort((a, b) => a.i! - b.i!);
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return check();
}
