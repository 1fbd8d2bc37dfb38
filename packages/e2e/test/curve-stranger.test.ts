/**
 * CURVE in connect mode against another local account (uid 65534 via setpriv): a stranger with a
 * CURVE key of its own (not allowed) and one without CURVE both try the service, asking for its
 * output in heartbeats and calls. Neither completes a handshake or receives a single message,
 * the service counts the refused CURVE stranger, and an allowed parent gets every line of output.
 */
import { spawn } from 'node:child_process';
import { ParentWorker } from 'multifrost';
import { afterEach, describe, expect, it } from 'vitest';
import type { CurveService } from './fixtures/curve-service.js';
import { curveSetup, killer, registryFile, startCurveService } from './helpers/curve.js';
import { STRANGER, cannotPlayStranger } from './helpers/stranger.js';
import { fixture, waitFor } from './helpers/workers.js';

const skipReason = cannotPlayStranger();
if (skipReason) console.warn(`curve-stranger tests skipped: ${skipReason}`);

const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** Runs fixtures/curve-stranger.mjs as uid 65534; its JSON lines tell what reached it. */
function startStranger(endpoint: string, serverKey: string, mode: 'curve' | 'plain'): Record<string, unknown>[] {
  const proc = spawn(
    'setpriv',
    [...STRANGER, process.execPath, fixture('curve-stranger.mjs'), endpoint, serverKey, mode],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  cleanup.push(killer(proc));
  const lines: Record<string, unknown>[] = [];
  let buf = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      lines.push(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
      buf = buf.slice(nl + 1);
    }
  });
  return lines;
}

const events = (lines: Record<string, unknown>[]) => lines.map((l) => l.event).filter(Boolean);
const received = (lines: Record<string, unknown>[]) => lines.filter((l) => 'got' in l);

describe.skipIf(skipReason !== undefined)('CURVE service against another local account', () => {
  it('strangers with a foreign key or no CURVE get nothing, while the allowed parent gets every line', async () => {
    const setup = await curveSetup(cleanup);
    await startCurveService(setup, 'vault', cleanup);
    const port = registryFile(setup.home).vault!.port as number;
    const endpoint = `tcp://127.0.0.1:${port}`;
    const lines: string[] = [];
    const parent = await ParentWorker.connect<CurveService>('vault', {
      registry: setup.registry,
      security: { curve: { key: setup.app } },
      output: (line) => lines.push(line),
    });
    cleanup.push(() => parent.close());

    // One at a time, so each refusal count belongs to one stranger.
    const plain = startStranger(endpoint, setup.serviceKeys.publicKey, 'plain');
    await waitFor(
      () => events(plain).some((e) => String(e).startsWith('handshake:error')),
      10_000,
      'the plain stranger to fail its handshake',
    );
    expect(await parent.call.refused()).toBeGreaterThanOrEqual(1);
    const keyed = startStranger(endpoint, setup.serviceKeys.publicKey, 'curve');
    // A ZAP refusal: the service's allow-list said no to the stranger's (valid) key.
    await waitFor(() => events(keyed).includes('handshake:error:auth'), 10_000, 'the keyed stranger to be refused');
    expect(keyed[0]).toMatchObject({ event: 'started', uid: 65534 });
    expect(plain[0]).toMatchObject({ event: 'started', uid: 65534 });

    // The strangers keep retrying (with output opt-ins) while the service prints.
    for (let round = 0; round < 3; round++) expect(await parent.call.speak(`round${round}`, 10)).toBe(10);
    await waitFor(() => lines.length >= 30, 10_000, 'all 30 output lines');
    expect(lines).toEqual(
      [0, 1, 2].flatMap((round) => Array.from({ length: 10 }, (_, i) => `round${round} line ${i}`)),
    );
    expect(events(keyed)).not.toContain('handshake');
    expect(events(plain)).not.toContain('handshake');
    expect(received(keyed)).toEqual([]);
    expect(received(plain)).toEqual([]);
    // Nothing the strangers sent ran: no 'stranger line' was printed.
    expect(lines.some((l) => l.includes('stranger'))).toBe(false);
  });
});
