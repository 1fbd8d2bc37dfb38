// services.json and services.lock as something other than what a peer writes: a FIFO, a symlink,
// a directory, a huge file, bytes that are not UTF-8. Each operation ends, clearly, and nothing
// another peer wrote is changed.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileServiceRegistry } from '../src/index.js';
import { failure, removeHome, tempHome } from './helpers.js';

const homes: string[] = [];
function registry() {
  const home = tempHome();
  homes.push(home);
  return new FileServiceRegistry({ home, lockTimeoutMs: 1_500 });
}
afterEach(() => {
  for (const h of homes.splice(0)) removeHome(h);
});

const bindOne = async () => 'tcp://127.0.0.1:40001';

describe('a services.json that is not a regular file', () => {
  it('a FIFO: register, lookup and discover fail with REGISTRY_CORRUPT instead of hanging', async () => {
    const r = registry();
    execFileSync('mkfifo', [r.file]);
    for (const op of [
      () => r.register('svc', bindOne),
      () => r.lookup('svc'),
      () => r.discover('svc', { timeoutMs: 1_500 }),
    ]) {
      const err = await failure(op());
      expect(err.code).toBe('REGISTRY_CORRUPT');
      expect(err.message).toContain('a FIFO, not a regular file');
    }
  });

  it('a symlink is refused (only regular files are read), and its target is left alone', async () => {
    const r = registry();
    const target = path.join(r.home, 'elsewhere.json');
    writeFileSync(target, '{"other": {"port": 1, "pid": 1}}');
    symlinkSync(target, r.file);
    const err = await failure(r.register('svc', bindOne));
    expect(err.code).toBe('REGISTRY_CORRUPT');
    expect(err.message).toContain('symbolic link');
    expect(readFileSync(target, 'utf8')).toBe('{"other": {"port": 1, "pid": 1}}');
  });

  it('a file over the size cap is refused with the size and the cap', async () => {
    const r = registry();
    writeFileSync(r.file, Buffer.alloc(17 * 1024 * 1024, 0x20));
    const err = await failure(r.register('svc', bindOne));
    expect(err.code).toBe('REGISTRY_CORRUPT');
    expect(err.message).toMatch(/it is 17825792 bytes, over the 16777216-byte cap/);
  });
});

describe('services.lock that no peer made', () => {
  it('a dangling symlink is broken, and registration goes through', async () => {
    const r = registry();
    symlinkSync(path.join(r.home, 'nowhere'), r.lockFile);
    const lease = await r.register('svc', bindOne);
    expect(lease.entry.port).toBe(40001);
  });

  it('a directory is reported as such', async () => {
    const r = registry();
    mkdirSync(r.lockFile);
    const err = await failure(r.register('svc', bindOne));
    expect(err.code).toBe('REGISTRY_LOCKED');
    expect(err.message).toContain('is a directory');
  });
});

describe("other peers' bytes", () => {
  it('an entry with invalid UTF-8 is rewritten byte for byte', async () => {
    const r = registry();
    const id = Buffer.concat([Buffer.from('caf'), Buffer.from([0xe9]), Buffer.from('-svc')]); // latin-1 é
    const note = Buffer.from([0xff, 0xfe, 0x41, 0xc3, 0xa9]); // two bad bytes, then "Aé" in UTF-8
    const before = Buffer.concat([
      Buffer.from('{"'),
      id,
      Buffer.from(`": {"port": 4, "pid": ${process.pid}, "note": "`),
      note,
      Buffer.from('"}}'),
    ]);
    writeFileSync(r.file, before);
    await r.register('svc', bindOne);
    const after = readFileSync(r.file);
    expect(after.includes(Buffer.concat([Buffer.from('"'), id, Buffer.from('"')]))).toBe(true);
    expect(after.includes(Buffer.concat([Buffer.from('"'), note, Buffer.from('"')]))).toBe(true);
    expect(after.includes(Buffer.from('\ufffd'))).toBe(false);
    expect(after.includes(Buffer.from('\\udc'))).toBe(false);
    const ids = (await r.list()).map((e) => e.serviceId);
    expect(ids).toContain('svc');
  });
});
