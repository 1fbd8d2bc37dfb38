import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  decodeValue,
  encodeMessage,
  encodeValue,
  parseRemoteError,
  type Message,
} from '../src/index.js';
import { fromTagged, type MessageVector, type PeerBytesVector, type ValueVector } from './tagged.js';

const load = <T>(name: string): T[] =>
  JSON.parse(readFileSync(new URL(`./vectors/${name}`, import.meta.url), 'utf8')) as T[];
const values = load<ValueVector>('values.json');
const messages = load<MessageVector>('messages.json');
const peerBytes = load<PeerBytesVector>('python-produced.json');

function expectSame(actual: unknown, expected: unknown): void {
  if (typeof expected === 'number' && Number.isNaN(expected)) expect(actual).toBeNaN();
  else expect(actual).toEqual(expected);
}

describe('golden value vectors', () => {
  it.each(values.map((v) => [v.name, v] as const))('%s: encodes to the recorded bytes and decodes back', (_name, v) => {
    expect(encodeValue(fromTagged(v.value)).toString('hex')).toBe(v.hex);
    expectSame(decodeValue(Buffer.from(v.hex, 'hex')), fromTagged('decoded' in v ? v.decoded : v.value));
  });

  it('pins the bytes that matter to other peers', () => {
    const hex = (name: string) => values.find((v) => v.name === name)!.hex;
    expect(hex('2**40 is an int, not a float')).toBe('d30000010000000000');
    expect(hex('undefined is nil')).toBe('c0');
    expect(hex('BigInt 2**64-1 (uint64)')).toBe('cfffffffffffffffff');
    expect(hex('bytes')).toBe('c40500017f80ff');
    expect(hex('NaN')).toMatch(/^cb7ff8/);
    expect(hex('Date (timestamp ext -1, 32-bit)').slice(0, 4)).toBe('d6ff');
    expect(hex('empty map')).toBe('80');
  });
});

describe('golden message vectors', () => {
  it.each(messages.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    const message = fromTagged(v.message) as Message;
    expect(encodeMessage(message).toString('hex')).toBe(v.hex);
    const decoded = decodeMessage(Buffer.from(v.hex, 'hex'));
    expect(decoded.ok).toBe(true);
    expect(decoded.ok && decoded.message).toEqual(fromTagged(v.decoded ?? v.message));
  });

  it('covers every message type', () => {
    const types = new Set(messages.map((v) => v.message.type));
    expect([...types].sort()).toEqual([
      'call',
      'cancel',
      'error',
      'heartbeat',
      'response',
      'shutdown',
      'stderr',
      'stdout',
    ]);
  });
});

describe('bytes as the public peers produce them', () => {
  it.each(peerBytes.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    const decoded = decodeMessage(Buffer.from(v.hex, 'hex'));
    expect(decoded.ok).toBe(true);
    expect(decoded.ok && decoded.message).toEqual(fromTagged(v.decoded));
  });

  it('a Python error string yields class, message and traceback', () => {
    const v = peerBytes.find((x) => x.name === 'Python error with traceback')!;
    const decoded = decodeMessage(Buffer.from(v.hex, 'hex'));
    if (!decoded.ok || decoded.message.type !== 'error') throw new Error('expected an error message');
    const parsed = parseRemoteError(decoded.message);
    expect(parsed.name).toBe('ZeroDivisionError');
    expect(parsed.message).toBe('division by zero');
    expect(parsed.stack).toMatch(/^Traceback \(most recent call last\):\n {2}File "w.py"/);
  });
});
