// Shared helpers of the end-to-end tests: fixture paths, temp registry homes, process checks.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isPidAlive } from '@multifrost/registry/internal';

export const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
export const fixture = (name: string): string => path.join(fixtures, name);

export function tempHome(): { home: string; cleanup: () => void } {
  const home = mkdtempSync(path.join(tmpdir(), 'mf-e2e-'));
  return { home, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

/** Running (a zombie waiting to be reaped by a slow init does not count). */
export function isAlive(pid: number): boolean {
  return isPidAlive(pid);
}

export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const quiet = { output: 'ignore' as const };
