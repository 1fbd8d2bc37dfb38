/**
 * Spawn mode on TCP against another local account: a stranger (uid 65534, via setpriv) connects to
 * a `channel: 'tcp'` worker's port, which any account can reach. The port serves one connection,
 * the worker's, so the stranger's is refused at the ZMTP handshake: it is handed no call (not even
 * a heartbeat) and every answer is the real worker's (docs/security.md).
 */
import { ParentWorker } from 'multifrost';
import { afterEach, describe, expect, it } from 'vitest';
import type { MathWorker } from './fixtures/math-worker.js';
import { cannotPlayStranger, startEnv, startStranger } from './helpers/stranger.js';
import { fixture, quiet, tempHome, waitFor } from './helpers/workers.js';

const skipReason = cannotPlayStranger();
if (skipReason) console.warn(`stranger-tcp-spawn tests skipped: ${skipReason}`);

const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe.skipIf(skipReason !== undefined)('spawn mode on TCP against another local account (uid 65534)', () => {
  it("the stranger's connection to a 'tcp' worker's port is refused: no call reaches it, 100 calls get the real answers", async () => {
    const { home, cleanup: rmHome } = tempHome();
    cleanup.push(rmHome);
    const worker = await ParentWorker.spawn<MathWorker>(fixture('math-worker.ts'), {
      ...quiet,
      channel: 'tcp',
      env: { MULTIFROST_HOME: home },
    });
    cleanup.push(() => worker.close());
    const endpoint = startEnv(worker.pid!).MULTIFROST_ENDPOINT!;
    expect(endpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:/);

    const stranger = startStranger(endpoint, cleanup);
    // The TCP connect itself succeeds (any account can reach the port); the handshake does not.
    await waitFor(
      () => stranger.lines.some((l) => l.event === 'connect') && stranger.lines.some((l) => l.event === 'disconnect'),
      20_000,
      "the stranger's connection and its refusal",
    );
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => worker.call.add(i, 1)));
    expect(answers).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(stranger.lines.find((l) => l.event === 'started')).toMatchObject({ uid: 65534 });
    expect(stranger.lines.some((l) => l.event === 'handshake')).toBe(false);
    expect(stranger.lines.filter((l) => 'got' in l)).toEqual([]);
  });
});
