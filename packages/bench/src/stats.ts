/** Small statistics helpers of the benchmark harness. */
import { residentMb } from '@multifrost/protocol/internal';

export function percentile(sortedAsc: Float64Array | number[], p: number): number {
  if (sortedAsc.length === 0) return Number.NaN;
  return sortedAsc[Math.min(sortedAsc.length - 1, Math.floor(sortedAsc.length * p))]!;
}

export function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** Resident set size of a process in MB; NaN where /proc can't tell. */
export function rssMb(pid: number): number {
  return residentMb(pid) ?? Number.NaN;
}
