import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FileServiceRegistry, ParentWorker } from 'multifrost';
import { afterEach, describe, expect, it } from 'vitest';
import { PYTHON, pyWorker, pythonParent, startService, tempHome, tsWorkerCommand } from './helpers.js';

const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function registered(home: string): Record<string, { pid: number; port: number; started: string }> {
  try {
    return JSON.parse(readFileSync(path.join(home, 'services.json'), 'utf8'));
  } catch {
    return {};
  }
}

describe('connect mode across languages (shared registry and lock)', () => {
  it.each(['v3', 'v4'] as const)('a TS parent finds and calls a Python service (%s)', async (protocol) => {
    const { home, cleanup: rm } = tempHome();
    cleanup.push(rm);
    const service = await startService([PYTHON, pyWorker], {
      ...process.env,
      MULTIFROST_HOME: home,
      MF_SERVICE_ID: 'py-math',
    });
    cleanup.push(() => void service.kill('SIGKILL'));
    expect(registered(home)['py-math']).toMatchObject({ pid: service.pid });
    const c = await ParentWorker.connect<{ add(a: number, b: number): number; echo(v: unknown): unknown }>('py-math', {
      registry: new FileServiceRegistry({ home }),
      protocol,
      output: 'ignore',
    });
    cleanup.push(() => c.close());
    expect(await c.call.add(40, 2)).toBe(42);
    expect(await c.call.echo(2n ** 63n - 1n)).toBe(2n ** 63n - 1n);
    const exit = new Promise((r) => service.on('exit', r));
    service.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(registered(home)['py-math']).toBeUndefined();
  });

  it.each(['comlink_ipc_v3', 'comlink_ipc_v4'])(
    'a Python parent finds and calls a TS service, which unregisters on SIGTERM (%s)',
    async (app) => {
      const { home, cleanup: rm } = tempHome();
      cleanup.push(rm);
      const env = { ...process.env, MULTIFROST_HOME: home, MF_SERVICE_ID: 'ts-svc' };
      const service = await startService(tsWorkerCommand, env);
      cleanup.push(() => void service.kill('SIGKILL'));
      const lines = pythonParent({
        connect: 'ts-svc',
        home,
        app,
        calls: [
          ['add', [2, 3]],
          ['pid', []],
        ],
      });
      expect(lines[0]).toEqual({ ok: true, result: { type: 'int', repr: '5' } });
      expect(lines[1]).toEqual({ ok: true, result: { type: 'int', repr: String(service.pid) } });
      const exit = new Promise((r) => service.on('exit', r));
      service.kill('SIGTERM');
      expect(await exit).toBe(0);
      expect(registered(home)['ts-svc']).toBeUndefined();
    },
  );

  it('a Python parent and a TS parent share one Python service', async () => {
    const { home, cleanup: rm } = tempHome();
    cleanup.push(rm);
    const service = await startService([PYTHON, pyWorker], {
      ...process.env,
      MULTIFROST_HOME: home,
      MF_SERVICE_ID: 'shared',
    });
    cleanup.push(() => void service.kill('SIGKILL'));
    const c = await ParentWorker.connect<{ add(a: number, b: number): number }>('shared', {
      registry: new FileServiceRegistry({ home }),
      output: 'ignore',
    });
    cleanup.push(() => c.close());
    const lines = pythonParent({ connect: 'shared', home, calls: [['add', [1, 1]]] });
    expect(lines[0]).toEqual({ ok: true, result: { type: 'int', repr: '2' } });
    expect(await c.call.add(2, 2)).toBe(4);
  });
});
