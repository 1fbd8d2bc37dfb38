/**
 * Certificate files in the zmq.auth format: write and read back, pyzmq's own layout, the secret
 * file's mode check, and allow-lists built from keys, files and directories.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  curveKeyPair,
  loadCurveAllowList,
  loadCurveCertificate,
  parseCurveCertificate,
  resolveCurveKeyPair,
  resolveCurvePublicKey,
  writeCurveCertificates,
} from '../src/index.js';
import { assertCurveAvailable } from '../src/curve-support.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mf-curve-keys-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('CURVE certificates', () => {
  it('writes NAME.key and a 0600 NAME.key_secret that read back as the same keys', async () => {
    const { publicFile, secretFile, keys } = await writeCurveCertificates(dir, 'server');
    expect(publicFile).toBe(path.join(dir, 'server.key'));
    expect(secretFile).toBe(path.join(dir, 'server.key_secret'));
    expect((await fs.stat(secretFile)).mode & 0o777).toBe(0o600);
    expect(await loadCurveCertificate(publicFile)).toEqual({ publicKey: keys.publicKey });
    expect(await loadCurveCertificate(secretFile)).toEqual(keys);
    expect(await resolveCurveKeyPair(secretFile)).toEqual(keys);
    expect(await resolveCurvePublicKey(publicFile)).toBe(keys.publicKey);
    expect(await resolveCurvePublicKey(keys.publicKey)).toBe(keys.publicKey);
    const text = await fs.readFile(secretFile, 'utf8');
    expect(text).toContain('ZeroMQ CURVE **Secret** Certificate');
    expect(text).toContain(`    secret-key = "${keys.secretKey}"`);
  });

  it('reads what pyzmq writes, quotes optional, metadata ignored', () => {
    const pub = 'rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7';
    const sec = 'JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6';
    const text = [
      '#   ****  Generated on 2026-11-30 10:00:00.000000 by pyzmq  ****',
      '#   ZeroMQ CURVE **Secret** Certificate',
      '',
      'metadata',
      '    public-key = "not this one"',
      'curve',
      `    public-key = "${pub}"`,
      `    secret-key = ${sec}`,
    ].join('\n');
    expect(parseCurveCertificate(text)).toEqual({ publicKey: pub, secretKey: sec });
    expect(() => parseCurveCertificate('curve\n    secret-key = "x"\n', 'f.key')).toThrow(/f\.key has no public-key/);
  });

  it('refuses a secret certificate that group or others can read, naming file and mode', async () => {
    const { secretFile, publicFile } = await writeCurveCertificates(dir, 'client');
    await fs.chmod(secretFile, 0o644);
    const err = await loadCurveCertificate(secretFile).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((err as Error).message).toContain(secretFile);
    expect((err as Error).message).toContain('0644');
    await expect(resolveCurveKeyPair(secretFile)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    // A public certificate may be world-readable, but it is no key pair.
    await expect(resolveCurveKeyPair(publicFile)).rejects.toThrow(/holds no secret key/);
  });

  it('builds an allow-list from keys, files and directories of *.key', async () => {
    const a = await writeCurveCertificates(path.join(dir, 'clients'), 'a');
    const b = await writeCurveCertificates(path.join(dir, 'clients'), 'b');
    const c = await writeCurveCertificates(path.join(dir, 'other'), 'c');
    const d = curveKeyPair();
    const keys = await loadCurveAllowList([path.join(dir, 'clients'), c.publicFile, d.publicKey]);
    expect([...keys].sort()).toEqual([a.keys.publicKey, b.keys.publicKey, c.keys.publicKey, d.publicKey].sort());
    // The directory's secret files are not public keys and are not read.
    expect(keys.has(a.keys.secretKey)).toBe(false);
    expect(await loadCurveAllowList(d.publicKey)).toEqual(new Set([d.publicKey]));
  });

  it('refuses an empty allow-list, an empty directory and a missing file', async () => {
    await expect(loadCurveAllowList([])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await fs.mkdir(path.join(dir, 'empty'));
    await expect(loadCurveAllowList(path.join(dir, 'empty'))).rejects.toThrow(/no client keys/);
    await expect(loadCurveAllowList(path.join(dir, 'nope.key'))).rejects.toThrow(/cannot read/);
  });

  it('says UNSUPPORTED when libzmq has no CURVE', () => {
    expect(() => assertCurveAvailable(false)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
    expect(() => assertCurveAvailable(false)).toThrow(/libsodium/);
    expect(() => assertCurveAvailable(true)).not.toThrow();
  });
});
