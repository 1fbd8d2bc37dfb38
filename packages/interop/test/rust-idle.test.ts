// A connect-mode link left idle for 30 s, then used, in both directions with the Rust peer. The two
// run side by side so the file stays near 30 s.
import { FileServiceRegistry, ParentWorker } from 'multifrost';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startService, tempHome, tsxLoader } from './helpers.js';
import { isOutcome, rustParentLive, rustPeer } from './rust-helpers.js';

const worker = path.join(path.dirname(fileURLToPath(import.meta.url)), 'rust-ts-worker.ts');
const cleanup: (() => void | Promise<void>)[] = [];
afterAll(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe.concurrent('connect mode, idle for 30 s, then called', () => {
  it('TS parent → Rust service', async () => {
    const { home, cleanup: rm } = tempHome();
    cleanup.push(rm);
    const service = await startService([rustPeer, 'child'], {
      ...process.env,
      MULTIFROST_HOME: home,
      MF_SERVICE_ID: 'rust-idle',
    });
    cleanup.push(() => void service.kill('SIGKILL'));
    const c = await ParentWorker.connect<{ add(a: number, b: number): number }>('rust-idle', {
      registry: new FileServiceRegistry({ home }),
      protocol: 'v4',
      output: 'ignore',
    });
    cleanup.push(() => c.close());
    expect(await c.call.add(1, 2)).toBe(3);
    await new Promise((r) => setTimeout(r, 30_000));
    expect(await c.with({ timeoutMs: 5_000 }).call.add(3, 4)).toBe(7);
  }, 50_000);

  it('Rust parent → TS service', async () => {
    const { home, cleanup: rm } = tempHome();
    cleanup.push(rm);
    const env = { ...process.env, MULTIFROST_HOME: home, MF_SERVICE_ID: 'ts-idle' };
    const service = await startService([process.execPath, '--import', tsxLoader, worker], env);
    cleanup.push(() => void service.kill('SIGKILL'));
    const run = rustParentLive(
      {
        connect: 'ts-idle',
        calls: [
          ['add', [1, 2]],
          ['$pause', [30_000]],
          ['add', [3, 4]],
        ],
        call_timeout_ms: 5_000,
      },
      env,
    );
    cleanup.push(() => void run.proc.kill('SIGKILL'));
    await run.exited;
    expect(run.lines.filter(isOutcome)).toEqual([
      { ok: true, result: { type: 'int', repr: '3' } },
      { ok: true, result: { type: 'int', repr: '7' } },
    ]);
  }, 50_000);
});
