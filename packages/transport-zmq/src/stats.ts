/**
 * The transport's counters. Every reject reason starts at 0 so a dashboard (or a test) can read
 * `droppedByReason.X` without guarding for a missing key.
 */
import { REJECT_REASONS, type RejectReason } from '@multifrost/protocol';
import type { TransportStats } from './types.js';

export function createStats(): TransportStats {
  const droppedByReason = {} as Record<RejectReason, number>;
  for (const reason of REJECT_REASONS) droppedByReason[reason] = 0;
  return { received: 0, sent: 0, dropped: 0, droppedByReason, sendErrors: 0, queued: 0, refusedPeers: 0 };
}
