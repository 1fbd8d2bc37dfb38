/**
 * CURVE in connect mode, end to end with real processes: an allowed parent and a CURVE service
 * call each other and the service's output reaches the parent; a parent whose key is not allowed,
 * one that expects another server key, and one sent to an impostor (a process at the entry's
 * endpoint without the service's secret key) all fail with AUTH_FAILED, and the impostor never
 * receives a message.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeCurveCertificates } from '@multifrost/transport-zmq';
import { ParentWorker, type MultifrostError } from 'multifrost';
import { afterEach, describe, expect, it } from 'vitest';
import type { CurveService } from './fixtures/curve-service.js';
import { curveSetup as setupIn, killer, registryFile, startCurveService as startIn } from './helpers/curve.js';
import { fixture, waitFor } from './helpers/workers.js';

const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const curveSetup = () => setupIn(cleanup);
const startCurveService = (setup: Awaited<ReturnType<typeof curveSetup>>, id: string) => startIn(setup, id, cleanup);
const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as MultifrostError,
  );

describe('CURVE connect mode', () => {
  it('an allowed parent and a CURVE service call each other, and its output reaches the parent', async () => {
    const setup = await curveSetup();
    await startCurveService(setup, 'vault');
    expect(registryFile(setup.home).vault?.curve_public_key).toBe(setup.serviceKeys.publicKey);
    const lines: string[] = [];
    const parent = await ParentWorker.connect<CurveService>('vault', {
      registry: setup.registry,
      security: { curve: { key: setup.app, serverKey: setup.serviceKeys.publicFile } },
      output: (line) => lines.push(line),
    });
    cleanup.push(() => parent.close());
    expect(await parent.call.add(2, 3)).toBe(5);
    expect(await parent.call.speak('mine', 5)).toBe(5);
    await waitFor(() => lines.length >= 5, 5_000, 'five output lines');
    expect(lines).toEqual(Array.from({ length: 5 }, (_, i) => `mine line ${i}`));
    expect(await parent.call.refused()).toBe(0);
  });

  it('a parent whose key is not in the allow-list gets AUTH_FAILED, and the service counts the refusal', async () => {
    const setup = await curveSetup();
    await startCurveService(setup, 'vault');
    const err = await failure(
      ParentWorker.connect('vault', {
        registry: setup.registry,
        startTimeoutMs: 30_000,
        security: { curve: { key: setup.outsider } },
        output: 'ignore',
      }),
    );
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.message).toMatch(
      /^service 'vault' at tcp:\/\/127\.0\.0\.1:\d+ refused our CURVE key \(not in its allow-list\)$/,
    );
    const allowed = await ParentWorker.connect<CurveService>('vault', {
      registry: setup.registry,
      security: { curve: { key: setup.app } },
      output: 'ignore',
    });
    cleanup.push(() => allowed.close());
    expect(await allowed.call.refused()).toBeGreaterThanOrEqual(1);
  });

  it('a parent whose serverKey differs from the registry entry gets AUTH_FAILED before connecting', async () => {
    const setup = await curveSetup();
    await startCurveService(setup, 'vault');
    const other = await writeCurveCertificates(path.join(setup.home, 'elsewhere'), 'other');
    const err = await failure(
      ParentWorker.connect('vault', {
        registry: setup.registry,
        security: { curve: { key: setup.app, serverKey: other.keys.publicKey } },
        output: 'ignore',
      }),
    );
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.message).toBe(
      `service 'vault' is registered with CURVE key ${setup.serviceKeys.publicKey}, expected ${other.keys.publicKey}`,
    );
    const allowed = await ParentWorker.connect<CurveService>('vault', {
      registry: setup.registry,
      security: { curve: { key: setup.app } },
      output: 'ignore',
    });
    cleanup.push(() => allowed.close());
    // Nothing reached the service's handshake: it refused no one.
    expect(await allowed.call.refused()).toBe(0);
  });

  it('a parent sent to an impostor at the entry’s endpoint gets AUTH_FAILED, and the impostor gets nothing', async () => {
    const setup = await curveSetup();
    await startCurveService(setup, 'vault');
    const impostor = spawn(process.execPath, [fixture('curve-impostor.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanup.push(killer(impostor));
    const said: Record<string, unknown>[] = [];
    impostor.stdout!.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n').filter(Boolean))
        said.push(JSON.parse(line) as Record<string, unknown>);
    });
    await waitFor(() => said.length > 0, 10_000, 'the impostor to bind');
    const port = Number(/:(\d+)$/.exec(String(said[0]!.endpoint))![1]);
    // The entry still names the real service (its pid, its key) but points at the impostor's port.
    const data = registryFile(setup.home);
    data.vault!.port = port;
    writeFileSync(path.join(setup.home, 'services.json'), JSON.stringify(data));
    const err = await failure(
      ParentWorker.connect('vault', {
        registry: setup.registry,
        startTimeoutMs: 30_000,
        security: { curve: { key: setup.app } },
        output: 'ignore',
      }),
    );
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.message).toContain(`service 'vault' at tcp://127.0.0.1:${port} failed the CURVE handshake`);
    expect(said.filter((s) => 'got' in s)).toEqual([]);
  });

  it('a parent without security is told the service serves CURVE only', async () => {
    const setup = await curveSetup();
    await startCurveService(setup, 'vault');
    const err = await failure(
      ParentWorker.connect('vault', { registry: setup.registry, startTimeoutMs: 30_000, output: 'ignore' }),
    );
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.message).toContain("service 'vault' serves CURVE only");
  });
});
