/**
 * `security: { curve }` on the parent where it cannot or must not connect: a transport without
 * CURVE (UNSUPPORTED, never a silent plain connection), spawn mode (INVALID_ARGUMENT), a registry
 * entry without a key or with an unexpected one (AUTH_FAILED, before any connection), and a CURVE
 * entry met by a parent that did not ask for CURVE.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileServiceRegistry } from '@multifrost/registry';
import { createMemoryTransport } from '@multifrost/testing';
import { curveKeyPair } from '@multifrost/transport-zmq';
import { afterEach, describe, expect, it } from 'vitest';
import { curveForEntry, handshakeError } from '../src/curve-client.js';
import { ParentWorker } from '../src/index.js';

const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});
function registry(): FileServiceRegistry {
  const home = mkdtempSync(path.join(tmpdir(), 'mf-parent-curve-'));
  homes.push(home);
  return new FileServiceRegistry({ home });
}
const key = curveKeyPair();
const server = curveKeyPair();
const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as { code: string; message: string },
  );

describe('parent security.curve', () => {
  it('refuses a transport that cannot do CURVE with UNSUPPORTED', async () => {
    const err = await failure(
      ParentWorker.connect('svc', {
        transport: createMemoryTransport(),
        registry: registry(),
        security: { curve: { key } },
        output: 'ignore',
      }),
    );
    expect(err.code).toBe('UNSUPPORTED');
    expect(err.message).toContain("the 'memory' transport cannot do CURVE");
  });

  it('refuses security in spawn mode with INVALID_ARGUMENT', async () => {
    const options = { security: { curve: { key } } } as Parameters<typeof ParentWorker.spawn>[1];
    const err = await failure(ParentWorker.spawn(path.join(tmpdir(), 'never-started.js'), options));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toMatch(/security is for ParentWorker\.connect/);
  });

  it('fails with AUTH_FAILED when the entry has no CURVE key, without connecting', async () => {
    const reg = registry();
    const lease = await reg.register('plain', async () => 'tcp://127.0.0.1:4999');
    const err = await failure(
      ParentWorker.connect('plain', { registry: reg, security: { curve: { key } }, output: 'ignore' }),
    );
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.message).toBe("service 'plain' does not use CURVE (its registry entry has no curve_public_key)");
    await reg.unregister(lease);
  });

  it('fails with AUTH_FAILED when a parent without security meets a CURVE entry', async () => {
    const reg = registry();
    const lease = await reg.register('vault', async () => 'tcp://127.0.0.1:4998', { curvePublicKey: server.publicKey });
    const err = await failure(ParentWorker.connect('vault', { registry: reg, output: 'ignore' }));
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.message).toContain("service 'vault' serves CURVE only");
    await reg.unregister(lease);
  });

  it('uses the entry key, and checks it against serverKey', () => {
    const entry = { serviceId: 'vault', endpoint: 'tcp://127.0.0.1:1', curvePublicKey: server.publicKey };
    expect(curveForEntry('vault', entry, { keys: key, expectedServerKey: undefined })).toEqual({
      ...key,
      serverKey: server.publicKey,
    });
    expect(() => curveForEntry('vault', entry, { keys: key, expectedServerKey: key.publicKey })).toThrow(
      `service 'vault' is registered with CURVE key ${server.publicKey}, expected ${key.publicKey}`,
    );
    expect(handshakeError('vault', 'tcp://x:1', { endpoint: 'tcp://x:1', kind: 'auth', detail: '400' }).message).toBe(
      "service 'vault' at tcp://x:1 refused our CURVE key (not in its allow-list)",
    );
  });
});
