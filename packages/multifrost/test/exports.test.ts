import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
type Api = typeof import('../src/index.js');
// The built package (what users get), typed from the source: the typecheck runs before the build.
const PKG: string = 'multifrost';
const importBuilt = () => import(PKG) as Promise<Api>;

describe('multifrost umbrella', () => {
  it('exposes the full API from the ESM and the CJS builds', async () => {
    const esm = await importBuilt();
    const cjs = require('multifrost') as typeof esm;
    for (const mod of [esm, cjs]) {
      expect(typeof mod.ParentWorker.spawn).toBe('function');
      expect(typeof mod.ParentWorker.connect).toBe('function');
      expect(typeof mod.ChildWorker).toBe('function');
      expect(typeof mod.callContext).toBe('function');
      expect(mod.RESERVED_NAMES).toContain('run');
      expect(typeof mod.FileServiceRegistry).toBe('function');
      expect(mod.APP_V3).toBe('comlink_ipc_v3');
      expect(mod.APP_V4).toBe('comlink_ipc_v4');
    }
  });

  it('an error from one copy is recognised by the other', async () => {
    const esm = await importBuilt();
    const cjs = require('multifrost') as typeof esm;
    const err = new cjs.MultifrostError('TIMEOUT', 'x');
    expect(esm.isMultifrostError(err)).toBe(true);
    expect(err).not.toBeInstanceOf(esm.MultifrostError);
    expect(esm.isMultifrostError(new Error('plain'))).toBe(false);
  });

  it('a lightweight worker needs only @multifrost/child', () => {
    const pkg = require('@multifrost/child/package.json') as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies).sort()).toEqual([
      '@multifrost/protocol',
      '@multifrost/registry',
      '@multifrost/transport-zmq',
    ]);
  });
});
