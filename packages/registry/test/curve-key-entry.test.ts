// The CURVE public key of a service travels in its services.json entry as `curve_public_key`.
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { FileServiceRegistry } from '../src/index.js';
import { removeHome, tempHome } from './helpers.js';

const KEY = 'rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7';
const homes: string[] = [];
function registry() {
  const home = tempHome();
  homes.push(home);
  return new FileServiceRegistry({ home });
}
afterEach(() => {
  for (const h of homes.splice(0)) removeHome(h);
});
const readJson = (r: FileServiceRegistry) =>
  JSON.parse(readFileSync(r.file, 'utf8')) as Record<string, Record<string, unknown>>;

describe('curve_public_key', () => {
  it('is written from RegisterOptions.curvePublicKey and read back into the entry', async () => {
    const r = registry();
    const lease = await r.register('vault', async () => 'tcp://127.0.0.1:4301', { curvePublicKey: KEY });
    expect(lease.entry.curvePublicKey).toBe(KEY);
    expect(readJson(r).vault).toMatchObject({ port: 4301, curve_public_key: KEY });
    expect((await r.lookup('vault'))?.curvePublicKey).toBe(KEY);
    expect((await r.discover('vault', { timeoutMs: 0 })).curvePublicKey).toBe(KEY);
  });

  it('is absent for a plain service', async () => {
    const r = registry();
    await r.register('plain', async () => 'tcp://127.0.0.1:4302');
    expect((await r.lookup('plain'))?.curvePublicKey).toBeUndefined();
    expect(readJson(r).plain).not.toHaveProperty('curve_public_key');
  });

  it('survives other registrations rewriting the file, also in a Python peer’s entry', async () => {
    const r = registry();
    await r.register('vault', async () => 'tcp://127.0.0.1:4301', { curvePublicKey: KEY });
    const data = readJson(r);
    // What the Python peer writes for its own CURVE service (its pid is alive: ours).
    data.py = { port: 4303, pid: process.ppid, started: '2020-01-01T00:00:00Z', curve_public_key: KEY };
    writeFileSync(r.file, JSON.stringify(data));
    await r.register('other', async () => 'tcp://127.0.0.1:4304');
    expect(readJson(r).vault?.curve_public_key).toBe(KEY);
    expect(readJson(r).py?.curve_public_key).toBe(KEY);
  });

  it('refuses a key that is not 40 Z85 characters, and writes nothing', async () => {
    const r = registry();
    await expect(
      r.register('bad', async () => 'tcp://127.0.0.1:4305', { curvePublicKey: 'not-a-key' }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await r.lookup('bad')).toBeUndefined();
  });
});
