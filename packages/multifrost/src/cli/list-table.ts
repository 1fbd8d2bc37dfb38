/**
 * The human form of `multifrost list`: an aligned table with a header, columns padded to their
 * widest cell, so it reads well and still splits on whitespace.
 */
import type { ServiceEntry } from '@multifrost/registry';

const HEADER = ['SERVICE', 'PORT', 'PID', 'STARTED'];

export function listTable(entries: ServiceEntry[]): string {
  const rows = [HEADER, ...entries.map((e) => [e.serviceId, String(e.port), String(e.pid), e.started ?? '-'])];
  const widths = HEADER.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  return rows
    .map((r) => r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]!))).join('  '))
    .join('\n');
}
