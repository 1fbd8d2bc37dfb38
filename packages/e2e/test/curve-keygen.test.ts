/**
 * `multifrost keygen <dir> <name>` from the built CLI: the two certificate files, the secret's
 * 0600 mode, keys our loader and (when the system Python has pyzmq) pyzmq's `zmq.auth` read back
 * alike, and a CURVE service and parent that run on the generated files.
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { loadCurveCertificate } from '@multifrost/transport-zmq';
import { ParentWorker } from 'multifrost';
import { pythonBin } from '../../../scripts/python-bin.mjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { CurveService } from './fixtures/curve-service.js';
import { curveSetup, startCurveService } from './helpers/curve.js';

const require = createRequire(import.meta.url);
const cli = path.join(path.dirname(require.resolve('multifrost/package.json')), 'dist', 'cli.js');
// The project's Python (scripts/python-bin.mjs: $PYTHON_BIN or the .venv that `npm run setup` makes,
// with pyzmq), so this runs on every machine set up as the README says, not only where Debian's
// python3-zmq happens to be installed.
const python = pythonBin();

const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function keygen(...args: string[]) {
  return spawnSync(process.execPath, [cli, 'keygen', ...args], { encoding: 'utf8' });
}

describe('multifrost keygen', () => {
  it('writes NAME.key and a 0600 NAME.key_secret that a CURVE service and parent run on', async () => {
    const setup = await curveSetup(cleanup);
    // Replace the allowed client's key files with generated ones.
    const clients = path.join(setup.home, 'clients');
    const run = keygen(clients, 'app', '--json');
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout) as { publicKey: string; publicFile: string; secretFile: string };
    expect(out.publicFile).toBe(path.join(clients, 'app.key'));
    expect(out.secretFile).toBe(path.join(clients, 'app.key_secret'));
    expect(statSync(out.secretFile).mode & 0o777).toBe(0o600);
    expect(await loadCurveCertificate(out.publicFile)).toEqual({ publicKey: out.publicKey });
    expect((await loadCurveCertificate(out.secretFile)).publicKey).toBe(out.publicKey);

    await startCurveService(setup, 'vault', cleanup);
    const parent = await ParentWorker.connect<CurveService>('vault', {
      registry: setup.registry,
      security: { curve: { key: out.secretFile } },
      output: 'ignore',
    });
    cleanup.push(() => parent.close());
    expect(await parent.call.add(20, 22)).toBe(42);
  });

  it('writes files pyzmq’s zmq.auth.load_certificate reads as the same keys', async () => {
    const setup = await curveSetup(cleanup);
    const run = keygen(setup.home, 'py');
    expect(run.status).toBe(0);
    const publicKey = run.stdout.trim();
    const secret = path.join(setup.home, 'py.key_secret');
    const py = spawnSync(
      python,
      [
        '-c',
        'import sys, zmq.auth; p, s = zmq.auth.load_certificate(sys.argv[1]); print(p.decode()); print(s.decode())',
        secret,
      ],
      { encoding: 'utf8' },
    );
    expect(py.status, py.stderr).toBe(0);
    const [pyPublic, pySecret] = py.stdout.trim().split('\n');
    expect(pyPublic).toBe(publicKey);
    expect(pySecret).toBe((await loadCurveCertificate(secret)).secretKey);
  });

  it('is a usage error without <dir> and <name>', () => {
    const run = keygen('only-dir');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('keygen needs a <dir> and a <name>');
  });
});
