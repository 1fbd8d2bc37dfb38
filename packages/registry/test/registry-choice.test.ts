// chooseRegistry: what a registry option or MULTIFROST_REGISTRY turns into. The file registry
// stays the default; a redis:// URL is loaded lazily through the caller's loader, which is the
// only place a missing package can show, and then says what to install.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMultifrostError, MultifrostError } from '@multifrost/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseRegistry, FileServiceRegistry, remoteRegistryMissing, type ServiceRegistry } from '../src/index.js';
import { MemoryServiceRegistry } from './memory-registry.js';

const noRemote = async (): Promise<ServiceRegistry> => {
  throw new Error('no remote registry expected');
};
const dir = mkdtempSync(path.join(os.tmpdir(), 'mf-choice-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('chooseRegistry', () => {
  it('keeps a given registry (not owned), and defaults to the file registry without a URL', () => {
    const mine = new MemoryServiceRegistry();
    expect(chooseRegistry(mine, noRemote, {})).toEqual({ registry: mine, owned: false });
    const byDefault = chooseRegistry(undefined, noRemote, { MULTIFROST_HOME: dir });
    expect(byDefault.registry).toBeInstanceOf(FileServiceRegistry);
    expect(chooseRegistry(undefined, noRemote, { MULTIFROST_REGISTRY: '  ' }).registry).toBeInstanceOf(
      FileServiceRegistry,
    );
  });

  it('reads file URLs as the file registry in that directory, from the option or MULTIFROST_REGISTRY', () => {
    const url = pathToFileURL(dir).href;
    expect((chooseRegistry(url, noRemote, {}).registry as FileServiceRegistry).home).toBe(dir);
    expect(
      (chooseRegistry(undefined, noRemote, { MULTIFROST_REGISTRY: url }).registry as FileServiceRegistry).home,
    ).toBe(dir);
  });

  it('loads a redis:// registry on first use only, once, and passes every call and close() through', async () => {
    const backend = new MemoryServiceRegistry();
    let closed = 0;
    (backend as ServiceRegistry).close = async () => void closed++;
    const loads: string[] = [];
    const chosen = chooseRegistry(
      'redis://127.0.0.1:6399/2',
      async (url) => {
        loads.push(url);
        return backend;
      },
      {},
    );
    expect(chosen.owned).toBe(true);
    expect(loads).toEqual([]);
    const lease = await chosen.registry.register('svc', async () => 'tcp://10.1.1.1:5');
    expect((await chosen.registry.discover('svc', { timeoutMs: 0 })).endpoint).toBe('tcp://10.1.1.1:5');
    expect((await chosen.registry.list()).map((e) => e.serviceId)).toEqual(['svc']);
    await chosen.registry.renew!(lease);
    expect(await chosen.registry.unregister(lease)).toBe(true);
    expect(loads).toEqual(['redis://127.0.0.1:6399/2']);
    await chosen.registry.close!();
    await chosen.registry.close!();
    expect(closed).toBe(1);
    const after = await chosen.registry.lookup('svc').catch((e: unknown) => e);
    expect(isMultifrostError(after) && after.code).toBe('CLOSED');
  });

  it('refuses what is not a registry URL at once, naming where it came from, without a password', () => {
    const bad = (choice: unknown, env: NodeJS.ProcessEnv = {}) => {
      try {
        chooseRegistry(choice as string, noRemote, env);
      } catch (err) {
        return err as MultifrostError;
      }
      throw new Error('accepted');
    };
    expect(bad('http://x:1').code).toBe('INVALID_ARGUMENT');
    expect(bad('http://x:1').message).toContain('the registry option is not a registry URL');
    expect(bad(undefined, { MULTIFROST_REGISTRY: 'redis:/nohost' }).message).toContain('MULTIFROST_REGISTRY is not');
    expect(bad('mysql://u:pw123@h/0').message).not.toContain('pw123');
    expect(bad(42).message).toContain('a ServiceRegistry or a registry URL');
  });

  it('a missing backend package says what to install; a failed import is tried again on the next call', async () => {
    let attempts = 0;
    const chosen = chooseRegistry(
      'redis://app:secret@127.0.0.1:6399/0',
      async (url) => {
        attempts++;
        const err = Object.assign(new Error("Cannot find package '@multifrost/registry-redis'"), {
          code: 'ERR_MODULE_NOT_FOUND',
        });
        throw remoteRegistryMissing(url, err);
      },
      {},
    );
    const err = (await chosen.registry.lookup('x').catch((e: unknown) => e)) as MultifrostError;
    expect(err.code).toBe('UNSUPPORTED');
    expect(err.message).toContain('npm install @multifrost/registry-redis');
    expect(err.message).not.toContain('secret');
    await chosen.registry.lookup('x').catch(() => {});
    expect(attempts).toBe(2);
    expect(remoteRegistryMissing('redis://h', new Error('boom')).message).toContain('could not be loaded');
  });
});
