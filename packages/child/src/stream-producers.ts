/**
 * The streams a worker is producing, by call id, and the rule for a parent gone quiet: a peer we
 * have heard nothing from (no heartbeat, credit or call) for `PEER_SILENT_MS` has its streams
 * cancelled, because a ROUTER is never told that a peer disconnected. Our parent sends a
 * `stream_credit` of 0 every few seconds when its heartbeats are off, so only a parent that is
 * really gone trips it.
 */
import { MultifrostError, type ErrorInit } from '@multifrost/protocol';
import type { StreamProducer } from './stream-producer.js';

/** Six of our parent's 5-second keep-alives. */
export const PEER_SILENT_MS = 30_000;
const SWEEP_MS = 5_000;

/** At most this many streams at once on one worker; one more is refused with BUSY. */
export const MAX_STREAMS = 4096;

export class StreamProducers {
  private readonly byId = new Map<string, StreamProducer>();
  private readonly heardAt = new Map<string, number>();
  private sweep: NodeJS.Timeout | undefined;

  get size(): number {
    return this.byId.size;
  }

  add(p: StreamProducer): void {
    this.byId.set(p.id, p);
    this.heardAt.set(p.peerKey, Date.now());
    this.sweep ??= setInterval(() => this.sweepSilent(), SWEEP_MS).unref();
  }

  /** Called by the producer when it settles (end, error, cancel). */
  readonly remove = (p: StreamProducer): void => {
    if (this.byId.get(p.id) !== p) return;
    this.byId.delete(p.id);
    if (this.byId.size === 0) {
      clearInterval(this.sweep);
      this.sweep = undefined;
      this.heardAt.clear();
    }
  };

  /** Any message from `peer` shows it is still there. */
  heard(peer: Buffer): void {
    const key = peer.toString('hex');
    if (this.heardAt.has(key)) this.heardAt.set(key, Date.now());
  }

  grant(id: string, credit: number): void {
    this.byId.get(id)?.grant(credit); // unknown ids: a late credit after the end, dropped
  }

  /** True when `id` was a stream (now cancelled). */
  cancel(id: string): boolean {
    const p = this.byId.get(id);
    if (!p) return false;
    p.cancel(new MultifrostError('ABORTED', `Stream ${id} was cancelled by the parent`));
    return true;
  }

  /** The worker is stopping: every stream ends with this error. */
  failAll(init: ErrorInit): void {
    for (const p of [...this.byId.values()]) p.fail(init);
  }

  private sweepSilent(): void {
    const now = Date.now();
    for (const p of [...this.byId.values()]) {
      const at = this.heardAt.get(p.peerKey) ?? 0;
      if (now - at > PEER_SILENT_MS)
        p.cancel(
          new MultifrostError('ABORTED', `Stream ${p.id}: nothing heard from its parent for ${PEER_SILENT_MS} ms`),
        );
    }
  }
}
