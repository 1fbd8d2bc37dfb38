// Cross-language check: Python's msgpack (as the public Python peer configures it) decodes what we
// encode with the right Python types, re-encodes it, and we read it back equal.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pythonBin } from '../../../scripts/python-bin.mjs';
import { decodeMessage, decodeValue } from '../src/index.js';
import { fromTagged, type MessageVector, type ValueVector } from './tagged.js';

const PYTHON = pythonBin();
const script = fileURLToPath(new URL('./python/roundtrip.py', import.meta.url));
const load = <T>(name: string): T[] =>
  JSON.parse(readFileSync(new URL(`./vectors/${name}`, import.meta.url), 'utf8')) as T[];

function throughPython(vectors: { name: string; hex: string; python?: string }[]): Map<string, string> {
  const run = spawnSync(PYTHON, [script], { input: JSON.stringify(vectors), encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`python failed (${run.status}): ${run.stderr}`);
  return new Map((JSON.parse(run.stdout) as { name: string; hex: string }[]).map((v) => [v.name, v.hex]));
}

describe('Python msgpack reads what we write', () => {
  it('every value vector has the right Python type and comes back equal', () => {
    const values = load<ValueVector>('values.json');
    const back = throughPython(values);
    expect(back.size).toBe(values.length);
    for (const v of values) {
      const decoded = decodeValue(Buffer.from(back.get(v.name)!, 'hex'));
      const expected = fromTagged('decoded' in v ? v.decoded : v.value);
      if (typeof expected === 'number' && Number.isNaN(expected)) expect(decoded, v.name).toBeNaN();
      else expect(decoded, v.name).toEqual(expected);
    }
  });

  it('every message vector survives a trip through Python', () => {
    const messages = load<MessageVector>('messages.json');
    const back = throughPython(messages);
    for (const v of messages) {
      const decoded = decodeMessage(Buffer.from(back.get(v.name)!, 'hex'));
      expect(decoded.ok && decoded.message, v.name).toEqual(fromTagged(v.decoded ?? v.message));
    }
  });

  it('a wrong type is caught by the Python side (the check can fail)', () => {
    const run = spawnSync(PYTHON, [script], {
      input: JSON.stringify([{ name: 'float posing as int', hex: 'cb3ff8000000000000', python: 'int' }]),
      encoding: 'utf8',
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/expected Python int, got float/);
  });
});
