/**
 * When a worker should be replaced. Memory is read by the parent from /proc/<pid>/status (VmRSS),
 * so it works for any language's worker without its help; where /proc is missing (macOS, Windows)
 * `maxRssMb` never fires.
 */
import { residentMb } from '@multifrost/protocol/internal';
import type { ResolvedPoolOptions } from './pool-options.js';

export type RecycleReason = 'maxCalls' | 'maxRssMb' | 'idleMs';

export interface RecycleFacts {
  pid: number | undefined;
  calls: number;
  inFlight: number;
  /** Since when the worker has had nothing in flight (ms), or undefined while busy. */
  idleSince: number | undefined;
}

/** Checked after each call: the cheap count. */
export function overMaxCalls(recycle: ResolvedPoolOptions['recycle'], facts: RecycleFacts): boolean {
  return recycle.maxCalls !== undefined && facts.calls >= recycle.maxCalls;
}

/** Checked on the pool's periodic look: memory and idleness. */
export function periodicReason(
  recycle: ResolvedPoolOptions['recycle'],
  facts: RecycleFacts,
  now: number,
): { reason: RecycleReason; rssMb?: number } | undefined {
  // Only a worker that has served calls: a fresh one over the limit (a limit below a new process's
  // size) or idle since its start would otherwise be replaced again and again while nothing happens.
  if (facts.calls === 0) return undefined;
  if (recycle.maxRssMb !== undefined && facts.pid !== undefined) {
    const rssMb = residentMb(facts.pid);
    if (rssMb !== undefined && rssMb > recycle.maxRssMb) return { reason: 'maxRssMb', rssMb: Math.round(rssMb) };
  }
  if (recycle.idleMs !== undefined && facts.idleSince !== undefined && now - facts.idleSince >= recycle.idleMs)
    return { reason: 'idleMs' };
  return undefined;
}
