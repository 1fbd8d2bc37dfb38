// The registry's durations: refused with INVALID_ARGUMENT when not a number of ms (NaN used to make
// a lock wait that never ended), clamped where a timer would overflow, Infinity kept for timeouts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MAX_TIMER_MS } from '@multifrost/protocol/internal';
import { afterEach, describe, expect, it } from 'vitest';
import { FileServiceRegistry } from '../src/file-registry.js';
import { registryMs } from '../src/registry-durations.js';

const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});

function home(): string {
  const h = mkdtempSync(path.join(tmpdir(), 'mf-reg-durations-'));
  homes.push(h);
  return h;
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as { code: string }).code;
  }
  return 'accepted';
}

describe('registryMs', () => {
  it('keeps timeouts as given, clamps the rest, refuses bad values', () => {
    expect(registryMs(Number.POSITIVE_INFINITY, 'lockTimeoutMs', 10, 'timeout')).toBe(Number.POSITIVE_INFINITY);
    expect(registryMs(Number.POSITIVE_INFINITY, 'staleLockMs', 10, 'clamped')).toBe(MAX_TIMER_MS);
    expect(registryMs(2 ** 40, 'pollMs', 10, 'interval')).toBe(MAX_TIMER_MS);
    expect(registryMs(undefined, 'pollMs', 100, 'interval')).toBe(100);
    expect(code(() => registryMs(0, 'pollMs', 100, 'interval'))).toBe('INVALID_ARGUMENT');
    expect(code(() => registryMs(Number.NaN, 'lockTimeoutMs', 100, 'timeout'))).toBe('INVALID_ARGUMENT');
    expect(code(() => registryMs(-1, 'staleLockMs', 100, 'clamped'))).toBe('INVALID_ARGUMENT');
  });
});

describe('FileServiceRegistry durations', () => {
  it('refuses bad options at construction, naming them', () => {
    expect(() => new FileServiceRegistry({ home: home(), lockTimeoutMs: Number.NaN })).toThrow(/lockTimeoutMs/);
    expect(() => new FileServiceRegistry({ home: home(), pollMs: 0 })).toThrow(/pollMs/);
    expect(() => new FileServiceRegistry({ home: home(), staleLockMs: -5 })).toThrow(/staleLockMs/);
  });

  it('discover with a bad timeout is INVALID_ARGUMENT, and Infinity limits still work', async () => {
    const reg = new FileServiceRegistry({ home: home(), lockTimeoutMs: Number.POSITIVE_INFINITY, pollMs: 2 ** 40 });
    await expect(reg.discover('svc', { timeoutMs: Number.NaN })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(reg.discover('svc', { timeoutMs: 10, pollMs: -1 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    const lease = await reg.register('svc', async () => 'tcp://127.0.0.1:45678');
    expect((await reg.discover('svc', { timeoutMs: Number.POSITIVE_INFINITY })).port).toBe(45678);
    await reg.unregister(lease);
  });
});
