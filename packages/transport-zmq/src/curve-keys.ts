/**
 * CURVE keys as users hold them: key pairs, key sources (a certificate file or the keys
 * themselves), certificate files in pyzmq's `zmq.auth` format (so a Python peer's
 * `create_certificates`/`load_certificate` and ours read each other's files), and allow-lists.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { MultifrostError } from '@multifrost/protocol';
import { curveKeyPair as nativeKeyPair } from 'zeromq';
import { assertCurveAvailable } from './curve-support.js';
import { isCurveKey } from './z85.js';

/** A CURVE key pair in Z85 (40 characters each). */
export interface CurveKeyPair {
  publicKey: string;
  secretKey: string;
}

/** What a certificate file holds: a public key, and the secret key in a `.key_secret` file. */
export interface CurveCertificate {
  publicKey: string;
  secretKey?: string;
}

/** One's own key pair: a `.key_secret` certificate file, or the keys themselves. */
export type CurveKeyPairSource = string | CurveKeyPair;

/** A public key: Z85 text, or a `.key` / `.key_secret` certificate file. */
export type CurvePublicKeySource = string;

/** A fresh key pair (libsodium through libzmq). UNSUPPORTED when libzmq was built without CURVE. */
export function curveKeyPair(): CurveKeyPair {
  assertCurveAvailable();
  return nativeKeyPair();
}

/**
 * Reads the `public-key` / `secret-key` lines of a ZPL certificate, as pyzmq's `load_certificate`
 * does: quotes optional, comments and the `metadata` section ignored.
 */
export function parseCurveCertificate(text: string, file = 'certificate'): CurveCertificate {
  let section = '';
  let publicKey: string | undefined;
  let secretKey: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const indented = /^\s/.test(raw);
    const eq = line.indexOf('=');
    if (!indented && eq < 0) {
      section = line;
      continue;
    }
    if (eq < 0 || section === 'metadata') continue;
    const name = line.slice(0, eq).trim();
    const value = line
      .slice(eq + 1)
      .trim()
      .replace(/^["']|["']$/g, '');
    if (name === 'public-key') publicKey = value;
    else if (name === 'secret-key') secretKey = value;
  }
  if (publicKey === undefined) throw invalid(`${file} has no public-key (not a zmq.auth certificate?)`);
  if (!isCurveKey(publicKey)) throw invalid(`${file}: public-key is not a 40-character Z85 key`);
  if (secretKey !== undefined && !isCurveKey(secretKey)) {
    throw invalid(`${file}: secret-key is not a 40-character Z85 key`);
  }
  return secretKey === undefined ? { publicKey } : { publicKey, secretKey };
}

/**
 * Loads a certificate file. One that holds a secret key must be readable by its owner only: like
 * ssh, we refuse a secret that others could have read (INVALID_ARGUMENT naming the file and mode).
 */
export async function loadCurveCertificate(file: string): Promise<CurveCertificate> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw invalid(`Cannot read CURVE certificate ${file}: ${(err as Error).message}`, err);
  }
  const cert = parseCurveCertificate(text, file);
  if (cert.secretKey !== undefined && process.platform !== 'win32') {
    const mode = (await fs.stat(file)).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw invalid(
        `CURVE secret certificate ${file} has mode ${mode.toString(8).padStart(4, '0')}: it must be readable by its owner only (chmod 600 ${file})`,
      );
    }
  }
  return cert;
}

/**
 * Writes `NAME.key` (0644) and `NAME.key_secret` (0600) in `dir`, in the format of pyzmq's
 * `zmq.auth.create_certificates`, for `keys` or a fresh pair. Existing files are replaced.
 */
export async function writeCurveCertificates(
  dir: string,
  name: string,
  keys: CurveKeyPair = curveKeyPair(),
): Promise<{ publicFile: string; secretFile: string; keys: CurveKeyPair }> {
  if (!name || /[/\\]/.test(name))
    throw invalid(`A certificate name must be a plain file name, got ${JSON.stringify(name)}`);
  if (!isCurveKey(keys.publicKey) || !isCurveKey(keys.secretKey))
    throw invalid('Keys must be 40-character Z85 strings');
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const publicFile = path.join(dir, `${name}.key`);
  const secretFile = path.join(dir, `${name}.key_secret`);
  const stamp = new Date().toISOString();
  const publicText = [
    `#   ****  Generated on ${stamp} by multifrost  ****`,
    '#   ZeroMQ CURVE Public Certificate',
    '#   Exchange securely, or use a secure mechanism to verify the contents',
    '#   of this file after exchange. Store public certificates in your home',
    '#   directory, in the .curve subdirectory.',
    '',
    'metadata',
    'curve',
    `    public-key = "${keys.publicKey}"`,
    '',
  ].join('\n');
  const secretText = [
    `#   ****  Generated on ${stamp} by multifrost  ****`,
    '#   ZeroMQ CURVE **Secret** Certificate',
    '#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.',
    '',
    'metadata',
    'curve',
    `    public-key = "${keys.publicKey}"`,
    `    secret-key = "${keys.secretKey}"`,
    '',
  ].join('\n');
  await fs.writeFile(publicFile, publicText, { mode: 0o644 });
  // Created 0600, and chmod-ed in case the file already existed with a wider mode.
  await fs.writeFile(secretFile, secretText, { mode: 0o600 });
  await fs.chmod(secretFile, 0o600);
  return { publicFile, secretFile, keys };
}

/** One's own key pair from a `.key_secret` file or the keys themselves. */
export async function resolveCurveKeyPair(source: CurveKeyPairSource, what = 'key'): Promise<CurveKeyPair> {
  if (typeof source === 'string') {
    const cert = await loadCurveCertificate(source);
    if (cert.secretKey === undefined) {
      throw invalid(`${what}: ${source} holds no secret key (pass the NAME.key_secret file, not NAME.key)`);
    }
    return { publicKey: cert.publicKey, secretKey: cert.secretKey };
  }
  if (typeof source !== 'object' || source === null || !isCurveKey(source.publicKey) || !isCurveKey(source.secretKey)) {
    throw invalid(
      `${what} must be a .key_secret certificate file or { publicKey, secretKey } in Z85 (40 characters each)`,
    );
  }
  return { publicKey: source.publicKey, secretKey: source.secretKey };
}

/** A public key from Z85 text or a certificate file (a file of that name wins over the text). */
export async function resolveCurvePublicKey(source: CurvePublicKeySource, what = 'key'): Promise<string> {
  if (typeof source !== 'string' || source.length === 0) {
    throw invalid(`${what} must be a Z85 public key or a certificate file`);
  }
  if (isCurveKey(source) && !existsSync(source)) return source;
  return (await loadCurveCertificate(source)).publicKey;
}

/**
 * The public keys an allow-list names: each item is a Z85 key, a certificate file, or a directory
 * whose `*.key` files are read (like `zmq.auth.load_certificates`). Empty is refused: a CURVE
 * service that admits nobody is a configuration mistake, not a policy.
 */
export async function loadCurveAllowList(allow: string | readonly string[], what = 'allow'): Promise<Set<string>> {
  const items = typeof allow === 'string' ? [allow] : allow;
  if (!Array.isArray(items) || items.length === 0) {
    throw invalid(`${what} must name at least one client key (Z85 key, certificate file, or directory of *.key)`);
  }
  const keys = new Set<string>();
  for (const item of items) {
    if (typeof item !== 'string' || item.length === 0) throw invalid(`${what}: every item must be a non-empty string`);
    if (isCurveKey(item) && !existsSync(item)) {
      keys.add(item);
      continue;
    }
    const stat = await fs.stat(item).catch((err: unknown) => {
      throw invalid(`${what}: cannot read ${item}: ${(err as Error).message}`, err);
    });
    if (stat.isDirectory()) {
      const names = (await fs.readdir(item)).filter((n) => n.endsWith('.key')).sort();
      for (const n of names) keys.add((await loadCurveCertificate(path.join(item, n))).publicKey);
    } else {
      keys.add((await loadCurveCertificate(item)).publicKey);
    }
  }
  if (keys.size === 0) throw invalid(`${what}: no client keys found in ${items.join(', ')}`);
  return keys;
}

function invalid(message: string, cause?: unknown): MultifrostError {
  return new MultifrostError('INVALID_ARGUMENT', message, cause === undefined ? {} : { cause });
}
