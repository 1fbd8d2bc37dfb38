/**
 * Capabilities: the wire features beyond the public v3/v4 contract that one side tells the other it
 * understands (docs/protocol.md#capabilities). They ride on heartbeats, which every peer sends and
 * answers: our parent lists its own on every probe, our child lists its own on every reply. A side
 * uses a feature toward the other only when the other listed it, so a public peer, which lists
 * nothing, only ever sees the public message types.
 *
 * The two directions use two keys: some peers echo a heartbeat's metadata back unchanged (the
 * public JS child does), and an echo of the parent's own list must never read as the worker's.
 */

/** Heartbeat request metadata key (parent → child): an array of capability names. */
export const CAPABILITIES_KEY = 'mf_caps';
/** Heartbeat reply metadata key (child → parent): an array of capability names. */
export const WORKER_CAPABILITIES_KEY = 'mf_worker_caps';

/** Several messages packed into one `batch` message (see batch.ts). */
export const CAP_BATCH = 'batch';
/** Large binary values as ZeroMQ frames after the payload (see payload-frames.ts). */
export const CAP_FRAMES = 'frames';
/** Streams: `mf_stream` on a call, then `stream_item` / `stream_end` / `stream_credit` (docs/protocol.md#streams). */
export const CAP_STREAM = 'stream';
/** Call metadata key opening a stream; its value is the initial credit (the parent's window). */
export const STREAM_KEY = 'mf_stream';

/** Names kept from one list at most, and the longest name kept: a peer cannot make us hold much. */
const MAX_CAPABILITIES = 32;
const MAX_NAME_LENGTH = 64;

const NONE: ReadonlySet<string> = new Set();

/**
 * The capabilities a heartbeat's metadata lists under `key` (CAPABILITIES_KEY on a request,
 * WORKER_CAPABILITIES_KEY on a reply): the array's string entries. Anything else (missing, not an
 * array, a peer that invents hundreds) reads as fewer or none, never as an error: an unknown or
 * malformed list only means the feature is not used.
 */
export function readCapabilities(
  metadata: Record<string, unknown> | undefined,
  key: typeof CAPABILITIES_KEY | typeof WORKER_CAPABILITIES_KEY,
): ReadonlySet<string> {
  const list = metadata?.[key];
  if (!Array.isArray(list) || list.length === 0) return NONE;
  const caps = new Set<string>();
  for (let i = 0; i < list.length && i < MAX_CAPABILITIES; i++) {
    const name = list[i];
    if (typeof name === 'string' && name.length > 0 && name.length <= MAX_NAME_LENGTH) caps.add(name);
  }
  return caps;
}
