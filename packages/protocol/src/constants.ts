/**
 * Wire constants shared by every Multifrost package: app ids, defaults and limits (see
 * [payload](../../../docs/protocol.md#payload) and
 * [heartbeats](../../../docs/protocol.md#heartbeat-and-liveness)).
 */

/** App id of the v3 wire profile (the public peers' README version). */
export const APP_V3 = 'comlink_ipc_v3';
/** App id of the v4 wire profile (the last ZeroMQ-based public release). */
export const APP_V4 = 'comlink_ipc_v4';

export type AppId = typeof APP_V3 | typeof APP_V4;
export type ProtocolVersion = 'v3' | 'v4';

export function appIdFor(version: ProtocolVersion): AppId {
  return version === 'v4' ? APP_V4 : APP_V3;
}

export function isAppId(value: unknown): value is AppId {
  return value === APP_V3 || value === APP_V4;
}

export const DEFAULT_NAMESPACE = 'default';

/** Limits enforced before and during decoding; all configurable by the layers above. */
export interface ProtocolLimits {
  /** Largest payload frame accepted or sent, in bytes. */
  maxMessageBytes: number;
  /** Deepest nesting of arrays/maps accepted in a value. */
  maxDepth: number;
}

export const DEFAULT_LIMITS: Readonly<ProtocolLimits> = Object.freeze({
  maxMessageBytes: 64 * 1024 * 1024,
  maxDepth: 100,
});

/**
 * Heartbeat defaults ([protocol](../../../docs/protocol.md#heartbeat-and-liveness)), in
 * milliseconds as everywhere in the TS API.
 */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 5_000;
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 3_000;
export const DEFAULT_HEARTBEAT_MAX_MISSES = 3;

/** Environment variables of spawn mode ([protocol](../../../docs/protocol.md#spawn-mode)). */
export const ENV_PORT = 'COMLINK_ZMQ_PORT';
export const ENV_WORKER_MODE = 'COMLINK_WORKER_MODE';
export const ENV_PARENT_PID = 'MULTIFROST_PARENT_PID';
/**
 * The exact endpoint a spawned child connects to (extension): any transport's form, e.g.
 * `ipc:///tmp/x`. Our child prefers it; other peers read only `COMLINK_ZMQ_PORT`.
 */
export const ENV_ENDPOINT = 'MULTIFROST_ENDPOINT';
export const ENV_HOME = 'MULTIFROST_HOME';

/**
 * Reserved call our parent sends for `listFunctions()` (extension). Our child answers it before
 * dispatch; other peers reply with an error, and the parent then falls back to their own names.
 */
export const LIST_FUNCTIONS_CALL = '__multifrost_list_functions__';

/**
 * Metadata key (extension) by which a parent asks a connect-mode service for its console output:
 * `true` subscribes, `false` unsubscribes. It rides on heartbeat and call metadata, which every
 * public peer carries through or ignores, so nobody gets a service's output without asking.
 */
export const OUTPUT_OPT_IN_KEY = 'mf_output';

/**
 * Heartbeat metadata key (both directions) carrying the sender's `maxMessageBytes`, so the other
 * side refuses to send what would be refused anyway (docs/protocol.md#extensions). Peers that do
 * not send it are assumed to take anything up to our own limit.
 */
export const MAX_MESSAGE_BYTES_KEY = 'mf_max_message_bytes';
