// The Python peer's registry under `umask 0`: the folders it creates are 0700 and services.json is
// 0600, like the TypeScript side's, so no other account can read which port serves what or rewrite it.
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PYTHON, pyWorker, tempHome } from './helpers.js';

const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8).padStart(3, '0');

describe.skipIf(process.platform === 'win32')('the Python peer registry files', () => {
  it('are 0700 folders and a 0600 services.json even under umask 0', async () => {
    const { home: base, cleanup: rm } = tempHome();
    cleanup.push(rm);
    // Two folders that do not exist yet: the parent one is created by the worker too.
    const home = path.join(base, 'shared', 'multifrost');
    const service = spawn('sh', ['-c', 'umask 0; exec "$PY" "$WORKER"'], {
      env: { ...process.env, PY: PYTHON, WORKER: pyWorker, MULTIFROST_HOME: home, MF_SERVICE_ID: 'py-modes' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((r) => service.on('exit', (code) => r(code)));
    cleanup.push(async () => {
      if (service.exitCode === null && service.signalCode === null) {
        service.kill('SIGKILL');
        await exited;
      }
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      service.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready on port')) resolve();
      });
      service.on('exit', (code) => reject(new Error(`python service exited (${code}) before it was ready`)));
    });

    // The umask really was 0 for the worker: anything it made without an explicit mode would be 0777/0666.
    const status = readFileSync(`/proc/${service.pid}/status`, 'utf8');
    expect(/^Umask:\s+(\d+)/m.exec(status)?.[1]).toBe('0000');

    expect(mode(path.join(base, 'shared'))).toBe('700');
    expect(mode(home)).toBe('700');
    const file = path.join(home, 'services.json');
    expect(mode(file)).toBe('600');
    expect(JSON.parse(readFileSync(file, 'utf8'))['py-modes']).toMatchObject({ pid: service.pid });

    // Unregistering rewrites the file through a new temporary one: still 0600.
    service.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(mode(file)).toBe('600');
    expect(JSON.parse(readFileSync(file, 'utf8'))['py-modes']).toBeUndefined();
  });
});
