// Shared pieces of the interop tests: the Python interpreter (scripts/python-bin.mjs), paths, and
// the Python driver.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pythonBin } from '../../../scripts/python-bin.mjs';

export const PYTHON = pythonBin();
const here = path.dirname(fileURLToPath(import.meta.url));
export const pythonDir = path.join(here, '..', 'python');
export const pyWorker = path.join(pythonDir, 'echo_worker.py');
export const tsWorker = path.join(here, 'fixtures', 'ts-worker.ts');
export const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
export const tsWorkerCommand = [process.execPath, '--import', tsxLoader, tsWorker];

export interface Described {
  type: string;
  repr?: string;
  hex?: string;
  value?: unknown;
  ns?: number;
  items?: Described[] | Record<string, Described>;
}
export type DriverLine =
  | { ok: true; result: Described }
  | { ok: false; name: string; message: string; traceback: string };

export interface Plan {
  spawn?: string[];
  connect?: string;
  home?: string;
  app?: string;
  env?: Record<string, string>;
  calls: [string, unknown[]][];
}

/** Runs the Python parent (python/driver.py, on the installed multifrost_worker) with a plan; one parsed line per call. */
export function pythonParent(plan: Plan, env: NodeJS.ProcessEnv = process.env): DriverLine[] {
  const run = spawnSync(PYTHON, [path.join(pythonDir, 'driver.py'), JSON.stringify(plan)], {
    encoding: 'utf8',
    env,
    timeout: 60_000,
  });
  if (run.status !== 0) throw new Error(`python parent failed (${run.status}): ${run.stderr}`);
  return run.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as DriverLine);
}

export function tempHome(): { home: string; cleanup: () => void } {
  const home = mkdtempSync(path.join(tmpdir(), 'mf-interop-'));
  return { home, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

/** Starts a long-running service process and resolves once it prints its ready line. */
export async function startService(cmd: string[], env: NodeJS.ProcessEnv) {
  const proc = spawn(cmd[0]!, cmd.slice(1), { env, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready on port')) resolve();
    });
    proc.on('exit', (code) => reject(new Error(`service exited (${code}) before it was ready`)));
  });
  return proc;
}
