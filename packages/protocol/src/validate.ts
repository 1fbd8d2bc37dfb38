/**
 * Validation of incoming frames and messages. Pure functions that never throw on hostile input:
 * every outcome is either a typed message or a precise, countable reason (docs/protocol.md:
 * [frames](../../../docs/protocol.md#transport-and-frames), [payload](../../../docs/protocol.md#payload),
 * [message types](../../../docs/protocol.md#message-types)).
 */
import { DEFAULT_LIMITS, DEFAULT_NAMESPACE, isAppId, type AppId, type ProtocolLimits } from './constants.js';
import { decodeValue } from './codec.js';
import { peekHeader } from './peek-header.js';
import { MESSAGE_TYPES, type Message } from './messages.js';
import { MAX_BATCH_ITEMS } from './batch.js';
import { MAX_PAYLOAD_FRAMES, withPayloadFrames } from './payload-frames.js';

/** Why an incoming frame set was dropped; the transports keep one counter per entry. */
export const REJECT_REASONS = [
  'FRAME_COUNT',
  'DELIMITER',
  'TOO_LARGE',
  'NOT_MSGPACK',
  'NOT_A_MAP',
  'MISSING_KEY',
  'BAD_KEY_TYPE',
  'UNKNOWN_APP',
  'UNKNOWN_TYPE',
  'INVALID_CALL',
] as const;

export type RejectReason = (typeof REJECT_REASONS)[number];

export interface Rejection {
  ok: false;
  reason: RejectReason;
  /** Human-readable: what was wrong and where. */
  detail: string;
  /** Present when the message carried a usable id (a child may answer it with an `error`). */
  id?: string;
  /** Present when the message carried a known app id. */
  app?: AppId;
  /** The `type` key, when it was a string. */
  type?: string;
  /** TOO_LARGE only: the call's `function`, the payload's size and the limit it broke. */
  function?: string;
  size?: number;
  limit?: number;
}

export type Validated = { ok: true; message: Message } | Rejection;

export type FramesResult = { ok: true; message: Message; peer?: Buffer } | (Rejection & { peer?: Buffer });

const KNOWN_TYPES: ReadonlySet<string> = new Set<string>(MESSAGE_TYPES);

function reject(reason: RejectReason, detail: string, extra?: Partial<Rejection>): Rejection {
  return extra ? { ok: false, reason, detail, ...extra } : { ok: false, reason, detail };
}

/**
 * A rejection of a message whose app, id and type were read (they name it in the report). Built
 * only when rejecting: a context object per valid message was garbage on every call.
 */
function rejectIn(reason: RejectReason, detail: string, m: Record<string, unknown>): Rejection {
  return reject(reason, detail, { app: m.app as AppId, id: m.id as string, type: m.type as string });
}

/** A decoded msgpack map: a plain object (msgpackr returns class instances for 0xC1 and the like). */
function isMap(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function kind(value: unknown): string {
  if (value === null) return 'nil';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Uint8Array) return 'bin';
  return typeof value;
}

/** A whole number >= 0 that is safe as a JS number (a counter or position in a stream). */
function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Checks a decoded value against the message model; fills defaults (namespace, absent result). */
export function validateMessage(value: unknown): Validated {
  if (!isMap(value)) return reject('NOT_A_MAP', `payload is a msgpack ${kind(value)}, expected a map`);
  const m = value;
  const app = m.app;
  if (app === undefined) return reject('MISSING_KEY', "message missing 'app' key");
  if (typeof app !== 'string') return reject('BAD_KEY_TYPE', `'app' is ${kind(app)}, expected a string`);
  if (!isAppId(app)) return reject('UNKNOWN_APP', `unknown app id '${app.slice(0, 64)}'`);
  const id = m.id;
  if (id === undefined) return reject('MISSING_KEY', "Message missing 'id' field", { app });
  if (typeof id !== 'string' || id.length === 0) {
    return reject(
      'BAD_KEY_TYPE',
      `'id' is ${kind(id) === 'string' ? 'empty' : kind(id)}, expected a non-empty string`,
      { app },
    );
  }
  const type = m.type;
  if (type === undefined) return reject('MISSING_KEY', "message missing 'type' key", { app, id });
  if (typeof type !== 'string')
    return reject('BAD_KEY_TYPE', `'type' is ${kind(type)}, expected a string`, { app, id });
  if (!KNOWN_TYPES.has(type))
    return reject('UNKNOWN_TYPE', `unknown message type '${type.slice(0, 64)}'`, { app, id, type });
  const ts = m.timestamp;
  if (ts === undefined) return reject('MISSING_KEY', "message missing 'timestamp' key", { app, id, type });
  if (typeof ts !== 'number' && typeof ts !== 'bigint') {
    return reject('BAD_KEY_TYPE', `'timestamp' is ${kind(ts)}, expected a number`, { app, id, type });
  }
  if (typeof ts === 'bigint') m.timestamp = Number(ts);
  if (m.metadata !== undefined && m.metadata !== null && !isMap(m.metadata)) {
    return reject(
      type === 'call' ? 'INVALID_CALL' : 'BAD_KEY_TYPE',
      `'metadata' is ${kind(m.metadata)}, expected a map`,
      { app, id, type },
    );
  }
  if (m.metadata === null) delete m.metadata;
  switch (type) {
    case 'call': {
      const fn = m.function;
      if (typeof fn !== 'string' || fn.length === 0)
        return rejectIn('INVALID_CALL', "Message missing 'function' field", m);
      if (m.args === undefined || m.args === null) m.args = [];
      else if (!Array.isArray(m.args)) return rejectIn('INVALID_CALL', 'Invalid args: expected an array', m);
      if (m.namespace === undefined || m.namespace === null) m.namespace = DEFAULT_NAMESPACE;
      else if (typeof m.namespace !== 'string') {
        return rejectIn('INVALID_CALL', `Invalid namespace: expected a string, got ${kind(m.namespace)}`, m);
      }
      if (m.client_name === undefined && typeof m.clientName === 'string') m.client_name = m.clientName;
      if (m.client_name !== undefined && typeof m.client_name !== 'string') delete m.client_name;
      break;
    }
    case 'response':
      if (!('result' in m)) m.result = null;
      break;
    case 'error':
      if (typeof m.error !== 'string')
        return rejectIn('BAD_KEY_TYPE', `'error' is ${kind(m.error)}, expected a string`, m);
      for (const k of ['error_type', 'traceback', 'error_code'])
        if (m[k] !== undefined && typeof m[k] !== 'string') delete m[k];
      break;
    case 'stdout':
    case 'stderr':
      if (typeof m.output !== 'string')
        return rejectIn('BAD_KEY_TYPE', `'output' is ${kind(m.output)}, expected a string`, m);
      break;
    case 'heartbeat':
      if (m.args !== undefined && !Array.isArray(m.args)) delete m.args;
      break;
    case 'batch': {
      const items = m.items;
      if (!Array.isArray(items) || !items.every((item) => item instanceof Uint8Array))
        return rejectIn('BAD_KEY_TYPE', `'items' is ${kind(items)}, expected an array of bin payloads`, m);
      if (items.length > MAX_BATCH_ITEMS)
        return rejectIn('BAD_KEY_TYPE', `batch holds ${items.length} messages, over the ${MAX_BATCH_ITEMS} allowed`, m);
      break;
    }
    case 'stream_item':
      if (!isCount(m.seq)) return rejectIn('BAD_KEY_TYPE', `'seq' is ${kind(m.seq)}, expected an int >= 0`, m);
      if (!('item' in m)) m.item = null;
      break;
    case 'stream_end':
      if (!isCount(m.count)) return rejectIn('BAD_KEY_TYPE', `'count' is ${kind(m.count)}, expected an int >= 0`, m);
      break;
    case 'stream_credit':
      if (!isCount(m.credit)) return rejectIn('BAD_KEY_TYPE', `'credit' is ${kind(m.credit)}, expected an int >= 0`, m);
      break;
    default:
      break;
  }
  return { ok: true, message: m as unknown as Message };
}

/**
 * An over-size payload is not decoded, but its header keys are read (peek-header.ts) so that a call
 * can still be answered with an error that names it.
 */
function tooLarge(payload: Uint8Array, max: number, size = payload.length): Rejection {
  const head = peekHeader(payload);
  const what = head.type === 'call' && head.function ? `call to ${head.function}()` : 'payload';
  const extra: Partial<Rejection> = { size, limit: max };
  if (head.id) extra.id = head.id;
  if (head.type) extra.type = head.type;
  if (head.function) extra.function = head.function;
  if (head.app && isAppId(head.app)) extra.app = head.app;
  return reject('TOO_LARGE', `${what} is ${size} bytes, over the ${max}-byte limit (maxMessageBytes)`, extra);
}

/**
 * A payload msgpackr could not decode: typically a value in an ext type no Multifrost peer defines
 * (anything but -1, timestamps). The header is still peeked, so a call gets an error reply and a
 * reply fails its call, instead of both vanishing.
 */
function undecodable(payload: Uint8Array, err: unknown): Rejection {
  const text = err instanceof Error ? err.message : String(err);
  const ext = /^Unknown extension (-?\d+)/.exec(text);
  const detail = ext
    ? `payload holds a value of msgpack ext type ${ext[1]}, which no Multifrost value uses (only ext -1, timestamps)`
    : `payload is not valid msgpack: ${text}`;
  const head = peekHeader(payload);
  const extra: Partial<Rejection> = {};
  if (head.id) extra.id = head.id;
  if (head.type) extra.type = head.type;
  if (head.function) extra.function = head.function;
  if (head.app && isAppId(head.app)) extra.app = head.app;
  return reject('NOT_MSGPACK', detail, extra);
}

/** Decodes and validates one payload frame. Never throws. */
export function decodeMessage(payload: Uint8Array, limits: Partial<ProtocolLimits> = {}): Validated {
  const max = limits.maxMessageBytes ?? DEFAULT_LIMITS.maxMessageBytes;
  if (payload.length > max) return tooLarge(payload, max);
  if (payload.length === 0) return reject('NOT_MSGPACK', 'payload frame is empty');
  let value: unknown;
  try {
    value = decodeValue(payload);
  } catch (err) {
    return undecodable(payload, err);
  }
  try {
    return validateMessage(value);
  } catch (err) {
    // Defensive: a getter-free decoded value should never throw, but hostile input must not escape.
    return reject('NOT_A_MAP', `payload could not be validated: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * The messages of a batch (batch.ts), each decoded and validated as if it had come alone, in
 * order. A batch inside a batch is refused (UNKNOWN_TYPE): senders never nest them.
 */
export function unpackBatch(items: readonly Uint8Array[], limits: Partial<ProtocolLimits> = {}): Validated[] {
  const out: Validated[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) out[i] = unpackBatchItem(items[i]!, limits);
  return out;
}

/** One item of a batch, decoded and validated as if it had come alone (see unpackBatch). */
export function unpackBatchItem(item: Uint8Array, limits: Partial<ProtocolLimits> = {}): Validated {
  const result = decodeMessage(item, limits);
  return result.ok && result.message.type === 'batch'
    ? reject('UNKNOWN_TYPE', 'a batch inside a batch', {
        app: result.message.app,
        id: result.message.id,
        type: 'batch',
      })
    : result;
}

/**
 * Parses the frames one socket receives. A child (ROUTER) receives `[routing_id, empty, payload]`;
 * a parent (DEALER) receives `[empty, payload]` ([protocol](../../../docs/protocol.md#transport-and-frames)).
 */
export function parseFrames(
  frames: readonly Uint8Array[],
  receiver: 'child' | 'parent',
  limits: Partial<ProtocolLimits> = {},
): FramesResult {
  const expected = receiver === 'child' ? 3 : 2;
  const peer = receiver === 'child' && frames.length > 0 ? toBuffer(frames[0]!) : undefined;
  let result: FramesResult;
  if (frames.length < expected) {
    result = reject(
      'FRAME_COUNT',
      `received ${frames.length} frames, expected ${expected} (${receiver === 'child' ? '[routing_id, empty, payload]' : '[empty, payload]'})`,
    );
  } else if (frames.length > expected) {
    result = decodeFramed(frames, expected, receiver, limits);
  } else if (frames[expected - 2]!.length !== 0) {
    result = reject('DELIMITER', `delimiter frame has ${frames[expected - 2]!.length} bytes, expected an empty frame`);
  } else {
    // The result objects are fresh, so the peer is set on them rather than copied into another.
    result = decodeMessage(frames[expected - 1]!, limits);
  }
  if (peer !== undefined) result.peer = peer;
  return result;
}

/**
 * A frame set longer than the layout: a message with payload frames (payload-frames.ts), if its
 * payload refers to every extra frame. A payload that refers to none is a peer that sent stray
 * frames, refused as FRAME_COUNT as before payload frames existed.
 */
function decodeFramed(
  frames: readonly Uint8Array[],
  expected: number,
  receiver: 'child' | 'parent',
  limits: Partial<ProtocolLimits>,
): FramesResult {
  const wrongCount = (): Rejection =>
    reject(
      'FRAME_COUNT',
      `received ${frames.length} frames, expected ${expected} (${receiver === 'child' ? '[routing_id, empty, payload]' : '[empty, payload]'})`,
    );
  const extra = frames.slice(expected);
  if (extra.length > MAX_PAYLOAD_FRAMES || frames[expected - 2]!.length !== 0) return wrongCount();
  const payload = frames[expected - 1]!;
  const max = limits.maxMessageBytes ?? DEFAULT_LIMITS.maxMessageBytes;
  let size = payload.length;
  for (const frame of extra) size += frame.length;
  if (size > max) return tooLarge(payload, max, size);
  const { value: result, referenced, unused } = withPayloadFrames(extra, () => decodeMessage(payload, limits));
  if (referenced === 0) return wrongCount();
  if (!result.ok) return result;
  if (unused >= 0) {
    return reject(
      'FRAME_COUNT',
      `frame ${expected + unused} follows the payload but the payload does not refer to it`,
      {
        app: result.message.app,
        id: result.message.id,
        type: result.message.type,
      },
    );
  }
  return result;
}

function toBuffer(frame: Uint8Array): Buffer {
  return Buffer.isBuffer(frame) ? frame : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
}
