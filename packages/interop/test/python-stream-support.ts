// What the stream interop tests share: the fixtures' paths and the Python scenario runner.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PYTHON, tsxLoader } from './helpers.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
export const pyStreamWorker = path.join(fixtures, 'python-stream-worker.py');
export const tsStreamChild = [
  process.execPath,
  '--import',
  tsxLoader,
  path.join(fixtures, 'python-stream-ts-child.ts'),
];

export type Scenario = Record<string, unknown> & { scenario: string; crash?: string };

/** Runs a Python stream script (fixtures/python-stream-*.py) with a plan; its lines by scenario name. */
export function runPython(script: string, plan: Record<string, unknown>): Map<string, Scenario> {
  const run = spawnSync(PYTHON, [path.join(fixtures, script), JSON.stringify(plan)], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (run.status !== 0) throw new Error(`${script} failed (${run.status}): ${run.stderr}`);
  const lines = run.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Scenario);
  return new Map(lines.map((l) => [l.scenario, l]));
}

/** A scenario's line, failing with the Python side's own report when it crashed or is missing. */
export function scenario(lines: Map<string, Scenario>, name: string): Scenario {
  const line = lines.get(name);
  if (!line) throw new Error(`no line for scenario ${name}`);
  if (line.crash) throw new Error(`scenario ${name} crashed: ${line.crash}`);
  return line;
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'mf-pystream-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const ALL_SCENARIOS = [
  'order',
  'error_after',
  'break_after_3',
  'window_bound',
  'binary',
  'mismatch',
  'interleaved',
  'bad_window',
];
