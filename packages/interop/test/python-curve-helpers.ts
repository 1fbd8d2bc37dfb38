/**
 * Pieces of the python-curve tests: key pairs made by the Python module, the Python CURVE service
 * and caller fixtures (both on the pip-installed multifrost_worker).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PYTHON, startService } from './helpers.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** NAME.key and NAME.key_secret (0600) for each name, written by multifrost_worker.create_certificates. */
export function keygen(dir: string, ...names: string[]): void {
  const run = spawnSync(
    PYTHON,
    [
      '-c',
      'import sys\nfrom multifrost_worker import create_certificates\nfor n in sys.argv[2:]: create_certificates(sys.argv[1], n)',
      dir,
      ...names,
    ],
    { encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(`keygen failed: ${run.stderr}`);
}

/** The Z85 public key in a certificate file, read by pyzmq's own loader. */
export function publicKeyOf(file: string): string {
  const run = spawnSync(
    PYTHON,
    ['-c', 'import sys, zmq.auth\nprint(zmq.auth.load_certificate(sys.argv[1])[0].decode())', file],
    {
      encoding: 'utf8',
    },
  );
  if (run.status !== 0) throw new Error(`cannot read ${file}: ${run.stderr}`);
  return run.stdout.trim();
}

export interface ServiceOptions {
  id: string;
  key?: unknown;
  allow?: unknown[];
}

/** Starts fixtures/python-curve-service.py; `cleanup` gets the SIGTERM (then SIGKILL) that stops it. */
export async function pyCurveService(home: string, options: ServiceOptions, cleanup: (() => void | Promise<void>)[]) {
  const proc = await startService([PYTHON, path.join(fixtures, 'python-curve-service.py'), JSON.stringify(options)], {
    ...process.env,
    MULTIFROST_HOME: home,
  });
  cleanup.push(async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await gone;
    clearTimeout(timer);
  });
  return proc;
}

export interface ParentResult {
  ok: boolean;
  results?: unknown[];
  type?: string;
  bases?: string[];
  message?: string;
  seconds: number;
}

/** Runs fixtures/python-curve-parent.py once: connect (with CURVE if `key`), the calls, close. */
export function pyCurveParent(options: Record<string, unknown>): ParentResult {
  const run = spawnSync(PYTHON, [path.join(fixtures, 'python-curve-parent.py'), JSON.stringify(options)], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (run.status !== 0) throw new Error(`python parent failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as ParentResult;
}
