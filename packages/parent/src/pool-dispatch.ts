/**
 * Which worker takes the next call. Pure: it sees only each slot's load and whether it takes calls,
 * so both strategies are tested without processes.
 */
import type { PoolStrategy } from './pool-options.js';

export interface Candidate {
  /** Ready, healthy, not draining. */
  readonly open: boolean;
  readonly inFlight: number;
}

/**
 * The index of the slot to use, or -1 when every open slot is at `concurrency`. `cursor` is where
 * the search starts (the caller advances it), so least-loaded ties rotate instead of always
 * landing on the first worker.
 */
export function pickSlot(
  slots: readonly Candidate[],
  strategy: PoolStrategy,
  concurrency: number,
  cursor: number,
): number {
  const n = slots.length;
  let best = -1;
  let bestLoad = concurrency;
  for (let k = 0; k < n; k++) {
    const i = (cursor + k) % n;
    const s = slots[i]!;
    if (!s.open || s.inFlight >= concurrency) continue;
    if (strategy === 'round-robin') return i;
    if (s.inFlight < bestLoad) {
      best = i;
      bestLoad = s.inFlight;
      if (bestLoad === 0) break;
    }
  }
  return best;
}
