/**
 * A service asked for `security: { curve }` where it cannot honour it fails its start and never
 * serves in the clear: on a transport without CURVE (UNSUPPORTED), with a bad key or an empty
 * allow-list (INVALID_ARGUMENT). Over ZeroMQ, it registers its public key.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileServiceRegistry } from '@multifrost/registry';
import { createMemoryTransport } from '@multifrost/testing';
import { curveKeyPair } from '@multifrost/transport-zmq';
import { afterEach, describe, expect, it } from 'vitest';
import { ChildWorker } from '../src/child-worker.js';

class Svc extends ChildWorker {
  ping(): string {
    return 'pong';
  }
}

const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});
function registry(): FileServiceRegistry {
  const home = mkdtempSync(path.join(tmpdir(), 'mf-child-curve-'));
  homes.push(home);
  return new FileServiceRegistry({ home });
}
const base = { handleSignals: false, exitOnStop: false, quiet: true } as const;
const key = curveKeyPair();
const client = curveKeyPair();

describe('child security.curve', () => {
  it('refuses to start on a transport that cannot do CURVE, and registers nothing', async () => {
    const reg = registry();
    const mem = createMemoryTransport();
    const worker = new Svc({
      ...base,
      serviceId: 'vault',
      transport: mem,
      registry: reg,
      security: { curve: { key, allow: client.publicKey } },
    });
    const err = await worker.start().catch((e: unknown) => e as { code: string; message: string });
    expect(err).toMatchObject({ code: 'UNSUPPORTED' });
    expect((err as { message: string }).message).toContain("the 'memory' transport cannot do CURVE");
    expect(await reg.lookup('vault')).toBeUndefined();
    expect(mem.openTransports).toBe(0);
  });

  it('refuses an empty allow-list and a malformed key', async () => {
    for (const curve of [
      { key, allow: [] as string[] },
      { key: { publicKey: 'short', secretKey: key.secretKey }, allow: client.publicKey },
    ]) {
      const reg = registry();
      const worker = new Svc({ ...base, serviceId: 'vault', registry: reg, security: { curve } });
      await expect(worker.start()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect(await reg.lookup('vault')).toBeUndefined();
    }
  });

  it('refuses security in spawn mode rather than ignore it', async () => {
    // What ParentWorker.spawn hands a worker; nothing listens there, and nothing gets that far.
    process.env.COMLINK_ZMQ_PORT = '5999';
    try {
      const worker = new Svc({ ...base, security: { curve: { key, allow: client.publicKey } } });
      const err = await worker.start().catch((e: unknown) => e as { code: string; message: string });
      expect(err).toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect((err as { message: string }).message).toMatch(/security\.curve is for connect mode/);
    } finally {
      delete process.env.COMLINK_ZMQ_PORT;
    }
  });

  it('over ZeroMQ binds and registers its public key', async () => {
    const reg = registry();
    const worker = new Svc({
      ...base,
      serviceId: 'vault',
      registry: reg,
      security: { curve: { key, allow: client.publicKey } },
    });
    await worker.start();
    try {
      expect((await reg.lookup('vault'))?.curvePublicKey).toBe(key.publicKey);
    } finally {
      await worker.stop();
    }
    expect(await reg.lookup('vault')).toBeUndefined();
  });
});
