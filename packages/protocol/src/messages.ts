/**
 * The message model ([protocol](../../../docs/protocol.md#message-types)). A message object here
 * *is* the wire map: snake_case keys, exactly what is msgpack-encoded, so nothing is converted on
 * the hot path.
 */
import { randomFillSync } from 'node:crypto';
import { APP_V3, DEFAULT_NAMESPACE, type AppId } from './constants.js';

/** Every message type a peer may send; `MessageType` and the validator's known set come from here. */
export const MESSAGE_TYPES = [
  'call',
  'response',
  'error',
  'stdout',
  'stderr',
  'heartbeat',
  'shutdown',
  'cancel',
  'batch',
  'stream_item',
  'stream_end',
  'stream_credit',
] as const;

export type MessageType = (typeof MESSAGE_TYPES)[number];

export type Metadata = Record<string, unknown>;

interface Core<T extends MessageType> {
  app: AppId;
  id: string;
  type: T;
  /** Unix seconds as a float64. Informational. */
  timestamp: number;
  metadata?: Metadata;
}

export interface CallMessage extends Core<'call'> {
  function: string;
  args: unknown[];
  namespace: string;
  client_name?: string;
}

export interface ResponseMessage extends Core<'response'> {
  /** Absent on the wire when the result is nil; validation fills in `null`. */
  result: unknown;
}

export interface ErrorMessage extends Core<'error'> {
  /** `"<ErrorName>: <message>"`; Python appends `\n<traceback>`. */
  error: string;
  error_type?: string;
  traceback?: string;
  error_code?: string;
}

export interface OutputMessage extends Core<'stdout' | 'stderr'> {
  output: string;
}

export interface HeartbeatMessage extends Core<'heartbeat'> {
  args?: unknown[];
}

export type ShutdownMessage = Core<'shutdown'>;

/**
 * Several messages in one (batch.ts), only between peers that listed the `batch` capability. A
 * transport unpacks it and delivers each item as if it had come alone; parent and child never see it.
 */
export interface BatchMessage extends Core<'batch'> {
  /** Each item is one whole message payload, exactly as it would travel alone. */
  items: Uint8Array[];
}
export type CancelMessage = Core<'cancel'>;

/**
 * One item of a stream (child → parent; docs/protocol.md#streams), only toward a parent that opened
 * the call with `metadata.mf_stream`. `id` is the call id.
 */
export interface StreamItemMessage extends Core<'stream_item'> {
  /** 0-based position of the item in its stream. */
  seq: number;
  /** Absent on the wire when the item is nil; validation fills in `null`. */
  item: unknown;
}

/** The producer finished normally after `count` items (child → parent). */
export interface StreamEndMessage extends Core<'stream_end'> {
  count: number;
}

/** `credit` more items may be sent (parent → child); 0 is a keep-alive only. */
export interface StreamCreditMessage extends Core<'stream_credit'> {
  credit: number;
}

export type Message =
  | CallMessage
  | ResponseMessage
  | ErrorMessage
  | OutputMessage
  | HeartbeatMessage
  | ShutdownMessage
  | CancelMessage
  | BatchMessage
  | StreamItemMessage
  | StreamEndMessage
  | StreamCreditMessage;

/** Random bytes for 256 ids, refilled when used up (one native call per 256 ids). */
const ID_BYTES = 16;
const IDS_PER_FILL = 256;
const idPool = Buffer.alloc(ID_BYTES * IDS_PER_FILL);
let idIndex = IDS_PER_FILL;
const hexSlice = Buffer.prototype.hexSlice as (this: Uint8Array, start: number, end: number) => string;

/**
 * A fresh UUID v4 for a new message, as its 32 hex digits without hyphens (Python's `uuid4().hex`).
 * Every peer treats ids as opaque strings and echoes them; the 4 bytes saved keep a small call such
 * as `add(1, 2)` at 125 bytes, under the 128 bytes above which zeromq.js stops copying a frame and
 * hands it over by reference instead (measurably slower on both sides: docs/benchmarks.md).
 *
 * Each id is its own string, made from its 16 bytes. A slice of one hex text for the whole pool (as
 * before) was cheaper to make, but V8 keeps a slice that long as a view of its parent string, and
 * every later use paid for it: encoding it character by character, and comparing it with the id a
 * reply brings (call-book.ts). Made flat, a parent spent a median 0.94× the CPU per pipelined call
 * (11 alternated pairs of processes, issue 16).
 */
export function newId(): string {
  if (idIndex === IDS_PER_FILL) {
    randomFillSync(idPool);
    for (let at = 0; at < idPool.length; at += ID_BYTES) {
      idPool[at + 6] = (idPool[at + 6]! & 0x0f) | 0x40; // version 4
      idPool[at + 8] = (idPool[at + 8]! & 0x3f) | 0x80; // RFC 4122 variant
    }
    idIndex = 0;
  }
  const from = idIndex++ * ID_BYTES;
  return hexSlice.call(idPool, from, from + ID_BYTES);
}

/**
 * Current Unix time in seconds as a float. The [protocol](../../../docs/protocol.md#payload)
 * types `timestamp` as float64, and msgpack would write an integral Number as an int, so an
 * exactly-whole second is nudged by 1 µs.
 */
export function nowSeconds(): number {
  const t = Date.now() / 1000;
  return Number.isInteger(t) ? t + 1e-6 : t;
}

export interface CallInit {
  function: string;
  args?: unknown[];
  namespace?: string;
  app?: AppId;
  id?: string;
  clientName?: string;
  metadata?: Metadata;
}

export function createCall(init: CallInit): CallMessage {
  const msg: CallMessage = {
    app: init.app ?? APP_V3,
    id: init.id ?? newId(),
    type: 'call',
    timestamp: nowSeconds(),
    function: init.function,
    args: init.args ?? [],
    namespace: init.namespace ?? DEFAULT_NAMESPACE,
  };
  if (init.clientName !== undefined) msg.client_name = init.clientName;
  if (init.metadata !== undefined) msg.metadata = init.metadata;
  return msg;
}

export function createResponse(id: string, result: unknown, app: AppId = APP_V3): ResponseMessage {
  return { app, id, type: 'response', timestamp: nowSeconds(), result: result === undefined ? null : result };
}

export interface ErrorInit {
  /** Error name/class, e.g. `TypeError`. */
  name: string;
  message: string;
  stack?: string;
  code?: string;
}

export function createError(id: string, init: ErrorInit, app: AppId = APP_V3): ErrorMessage {
  const msg: ErrorMessage = {
    app,
    id,
    type: 'error',
    timestamp: nowSeconds(),
    error: `${init.name}: ${init.message}`,
    error_type: init.name,
  };
  if (init.stack) msg.traceback = init.stack;
  if (init.code) msg.error_code = init.code;
  return msg;
}

export function createOutput(stream: 'stdout' | 'stderr', output: string, app: AppId = APP_V3): OutputMessage {
  return { app, id: newId(), type: stream, timestamp: nowSeconds(), output };
}

/** A heartbeat request (parent → child), carrying its send time in seconds. */
export function createHeartbeat(app: AppId = APP_V3, id: string = newId()): HeartbeatMessage {
  return { app, id, type: 'heartbeat', timestamp: nowSeconds(), metadata: { hb_timestamp: nowSeconds() } };
}

/** The child's echo of a heartbeat request ([protocol](../../../docs/protocol.md#heartbeat-and-liveness)). */
export function createHeartbeatReply(request: HeartbeatMessage): HeartbeatMessage {
  const hb = request.metadata?.hb_timestamp;
  const reply: HeartbeatMessage = {
    app: request.app,
    id: request.id,
    type: 'heartbeat',
    timestamp: nowSeconds(),
    metadata: { hb_timestamp: typeof hb === 'number' ? hb : nowSeconds(), hb_response: true },
  };
  if (request.args !== undefined) reply.args = request.args;
  return reply;
}

export function createShutdown(app: AppId = APP_V3): ShutdownMessage {
  return { app, id: newId(), type: 'shutdown', timestamp: nowSeconds() };
}

/**
 * Cancels the call with `callId` ([an extension](../../../docs/protocol.md#extensions)). The
 * message id *is* the call id.
 */
export function createCancel(callId: string, app: AppId = APP_V3): CancelMessage {
  return { app, id: callId, type: 'cancel', timestamp: nowSeconds() };
}

export function createStreamItem(callId: string, seq: number, item: unknown, app: AppId = APP_V3): StreamItemMessage {
  return { app, id: callId, type: 'stream_item', timestamp: nowSeconds(), seq, item: item === undefined ? null : item };
}

export function createStreamEnd(callId: string, count: number, app: AppId = APP_V3): StreamEndMessage {
  return { app, id: callId, type: 'stream_end', timestamp: nowSeconds(), count };
}

export function createStreamCredit(callId: string, credit: number, app: AppId = APP_V3): StreamCreditMessage {
  return { app, id: callId, type: 'stream_credit', timestamp: nowSeconds(), credit };
}
