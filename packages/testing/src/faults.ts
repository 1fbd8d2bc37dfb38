/**
 * The fault hook of the in-memory transport: what a test sees of each message in flight, and what
 * it can decide about it (deliver, drop, delay, duplicate, or replace the frames).
 */
import type { Message } from '@multifrost/protocol';

export interface Packet {
  /** `to-service`: a caller's message on its way to a service; `to-caller`: the reverse. */
  readonly direction: 'to-service' | 'to-caller';
  /** The endpoint of the link it travels on (what the listening side bound). */
  readonly endpoint: string;
  /** The caller's routing id on that link, as the service sees it. */
  readonly peer: Buffer;
  /** The message as the sender handed it over (already encoded; changing it changes nothing). */
  readonly message: Message;
  /** The frames the receiver will get, as on the wire (`[empty, payload]`; the routing id is added for a service). */
  readonly frames: readonly Buffer[];
}

export type Verdict =
  | undefined
  | 'deliver'
  | 'drop'
  /** Delivered after this many ms of (fakeable) timer time; later messages may overtake it. */
  | { delayMs: number }
  /** Delivered this many times in all (2 = once more). */
  | { copies: number }
  /** These frames are delivered instead (they go through the receiver's validator). */
  | { frames: Buffer[] };

/** Called for every message a transport hands over, in send order. */
export type FaultHook = (packet: Packet) => Verdict;
