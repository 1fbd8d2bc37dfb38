/**
 * Batches and capabilities (docs/protocol.md#batches, #capabilities): a batch carries the exact
 * payloads of its messages, a receiver gets each back as if it had come alone, and hostile batches
 * or capability lists read as errors or as nothing, never as a crash.
 */
import { describe, expect, it } from 'vitest';
import {
  CAPABILITIES_KEY,
  MAX_BATCH_ITEMS,
  WORKER_CAPABILITIES_KEY,
  createCall,
  createResponse,
  decodeMessage,
  encodeBatch,
  encodeMessage,
  encodeValue,
  readCapabilities,
  unpackBatch,
  type BatchMessage,
} from '../src/index.js';

function decodeBatch(bytes: Buffer): BatchMessage {
  const result = decodeMessage(bytes);
  if (!result.ok) throw new Error(`batch did not decode: ${result.detail}`);
  expect(result.message.type).toBe('batch');
  return result.message as BatchMessage;
}

describe('batch messages', () => {
  it.each([1, 2, 15, 16, 300, MAX_BATCH_ITEMS])('%d messages come back byte for byte and in order', (n) => {
    const messages = Array.from({ length: n }, (_, i) =>
      i % 2
        ? createResponse(`id-${i}`, { i, text: 'x'.repeat(i % 300) })
        : createCall({ function: 'add', args: [i, 2] }),
    );
    const payloads = messages.map((m) => encodeMessage(m));
    const batch = decodeBatch(encodeBatch('comlink_ipc_v4', payloads));
    expect(batch.items.map((item) => Buffer.from(item).toString('hex'))).toEqual(
      payloads.map((p) => p.toString('hex')),
    );
    const unpacked = unpackBatch(batch.items);
    expect(unpacked.map((r) => (r.ok ? r.message : r))).toEqual(messages);
  });

  it('carries items of every bin size class (8-, 16- and 32-bit lengths)', () => {
    const sizes = [10, 300, 70_000];
    const payloads = sizes.map((size) => encodeMessage(createResponse('x', Buffer.alloc(size, 7))));
    const results = unpackBatch(decodeBatch(encodeBatch('comlink_ipc_v3', payloads)).items);
    expect(results.map((r) => r.ok && (r.message as { result: Buffer }).result.length)).toEqual(sizes);
  });

  it('a bad item is dropped with its reason; the others are delivered', () => {
    const good = encodeMessage(createCall({ function: 'f', args: [] }));
    const results = unpackBatch(
      decodeBatch(encodeBatch('comlink_ipc_v4', [good, Buffer.from([0x85]), encodeValue([1, 2]), good])).items,
    );
    expect(results.map((r) => (r.ok ? 'ok' : r.reason))).toEqual(['ok', 'NOT_MSGPACK', 'NOT_A_MAP', 'ok']);
  });

  it('a batch inside a batch is refused, not unpacked', () => {
    const inner = encodeBatch('comlink_ipc_v4', [encodeMessage(createCall({ function: 'f', args: [] }))]);
    const [result] = unpackBatch(decodeBatch(encodeBatch('comlink_ipc_v4', [inner])).items);
    expect(result).toMatchObject({ ok: false, reason: 'UNKNOWN_TYPE', detail: 'a batch inside a batch' });
  });

  it('items must be bin payloads, and at most MAX_BATCH_ITEMS of them', () => {
    const envelope = { app: 'comlink_ipc_v4', id: 'b', type: 'batch', timestamp: 1 };
    for (const items of [undefined, 'x', [1, 2], [{ a: 1 }]]) {
      expect(decodeMessage(encodeValue({ ...envelope, items }))).toMatchObject({ ok: false, reason: 'BAD_KEY_TYPE' });
    }
    const tooMany = Array.from({ length: MAX_BATCH_ITEMS + 1 }, () => Buffer.from([0x90]));
    expect(decodeMessage(encodeValue({ ...envelope, items: tooMany }))).toMatchObject({
      ok: false,
      reason: 'BAD_KEY_TYPE',
      detail: `batch holds ${MAX_BATCH_ITEMS + 1} messages, over the ${MAX_BATCH_ITEMS} allowed`,
    });
    expect(() => encodeBatch('comlink_ipc_v4', tooMany)).toThrow(RangeError);
  });
});

describe('capability lists', () => {
  it('reads the string names under the key asked for, and only that key', () => {
    const metadata = { [CAPABILITIES_KEY]: ['batch', 'stream'], [WORKER_CAPABILITIES_KEY]: ['batch'] };
    expect([...readCapabilities(metadata, CAPABILITIES_KEY)]).toEqual(['batch', 'stream']);
    expect([...readCapabilities(metadata, WORKER_CAPABILITIES_KEY)]).toEqual(['batch']);
    // An echo of a request carries only the request's key: it never reads as the worker's list.
    expect(readCapabilities({ [CAPABILITIES_KEY]: ['batch'] }, WORKER_CAPABILITIES_KEY).size).toBe(0);
  });

  it('anything malformed reads as fewer names or none, never as an error', () => {
    for (const value of [undefined, null, 'batch', 7, { batch: true }, []]) {
      expect(readCapabilities({ [CAPABILITIES_KEY]: value }, CAPABILITIES_KEY).size).toBe(0);
    }
    expect(readCapabilities(undefined, CAPABILITIES_KEY).size).toBe(0);
    const mixed = readCapabilities(
      { [CAPABILITIES_KEY]: [1, 'batch', null, '', 'x'.repeat(65), ['stream']] },
      CAPABILITIES_KEY,
    );
    expect([...mixed]).toEqual(['batch']);
    const flood = Array.from({ length: 10_000 }, (_, i) => `cap-${i}`);
    expect(readCapabilities({ [CAPABILITIES_KEY]: flood }, CAPABILITIES_KEY).size).toBe(32);
  });
});
