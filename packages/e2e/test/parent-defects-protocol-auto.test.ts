/**
 * Issue 15 defects 8 and 9, against a worker shaped like the public peers (it drops, silently,
 * every message in another app id or namespace): the default `protocol: 'auto'` finds the version
 * the worker speaks, says which ones it tried when none answers, and `listFunctions()` can be
 * asked in the worker's namespace instead of waiting out the timeout.
 */
import { APP_V3, APP_V4 } from '@multifrost/protocol';
import { isMultifrostError, ParentWorker } from 'multifrost';
import { afterEach, describe, expect, it } from 'vitest';
import { fixture, quiet } from './helpers/workers.js';

/** What public-v4-child.mjs serves. */
interface PeerApi {
  add(a: number, b: number): number;
  weird(): unknown;
}

const workers: ParentWorker<PeerApi>[] = [];
afterEach(async () => {
  for (const w of workers.splice(0)) await w.close();
});

async function spawnPeer(env: Record<string, string>, options: object = {}): Promise<ParentWorker<PeerApi>> {
  const w = await ParentWorker.spawn<PeerApi>(fixture('public-v4-child.mjs'), {
    ...quiet,
    channel: 'tcp',
    env,
    ...options,
  });
  workers.push(w);
  return w;
}

describe("protocol 'auto' (the default)", () => {
  it('reaches a worker that answers only v4', async () => {
    const w = await spawnPeer({});
    expect(await w.call.add(2, 3)).toBe(5);
  });

  it('reaches a worker that answers only v3', async () => {
    const w = await spawnPeer({ MF_APP: APP_V3 });
    expect(await w.call.add(4, 5)).toBe(9);
  });

  it('an explicit version is kept: v3 does not reach a v4-only worker', async () => {
    const err = await spawnPeer({}, { protocol: 'v3', startTimeoutMs: 1500 }).catch((e: unknown) => e);
    expect(isMultifrostError(err) && err.code, String(err)).toBe('START_FAILED');
    expect((err as Error).message).not.toMatch(/protocol 'auto'/);
    const w = await spawnPeer({}, { protocol: 'v4' });
    expect(await w.call.add(1, 1)).toBe(2);
  });

  it('a worker that answers neither fails start, saying which app ids were tried', async () => {
    const err = await spawnPeer({ MF_SILENT: '1' }, { startTimeoutMs: 1500 }).catch((e: unknown) => e);
    expect(isMultifrostError(err) && err.code).toBe('START_FAILED');
    expect((err as Error).message).toContain(`both ${APP_V4} and ${APP_V3} (protocol 'auto')`);
  });
});

describe('a reply holding an unknown msgpack ext type', () => {
  it('fails its call at once with PROTOCOL, and is counted as dropped', async () => {
    const w = await spawnPeer({});
    const before = w.metrics.droppedMessages;
    const err = await w
      .with({ timeoutMs: 20_000 })
      .call.weird()
      .catch((e: unknown) => e);
    expect(isMultifrostError(err) && err.code, String(err)).toBe('PROTOCOL');
    expect((err as Error).message).toMatch(/weird\(\) could not be read: .*ext type 5/);
    expect(w.metrics.droppedMessages).toBeGreaterThan(before);
    expect(await w.call.add(1, 2)).toBe(3);
  });
});

describe('listFunctions() on a namespaced worker', () => {
  it("is asked in the view's namespace and answers", async () => {
    const w = await spawnPeer({ MF_NAMESPACE: 'math' });
    expect(await w.with({ namespace: 'math' }).listFunctions()).toEqual(['add', 'listFunctions']);
    expect(await w.listFunctions({ namespace: 'math' })).toEqual(['add', 'listFunctions']);
  });

  it("in the wrong namespace it fails once at the view's timeout, not at one timeout per spelling", async () => {
    const w = await spawnPeer({ MF_NAMESPACE: 'math' });
    const err = await w
      .with({ timeoutMs: 300 })
      .listFunctions()
      .catch((e: unknown) => e);
    expect(isMultifrostError(err) && err.code).toBe('TIMEOUT');
    expect(w.metrics.inFlight).toBe(0);
  });
});
