/**
 * The human form of `multifrost list`: an aligned table with a header, columns padded to their
 * widest cell, so it reads well and still splits on whitespace.
 */
import type { ServiceEntry } from '@multifrost/registry';

const HEADER = ['SERVICE', 'PORT', 'PID', 'STARTED'];
/** Off the file registry (Redis) a port says little: the service may be on another host. */
const ENDPOINT_HEADER = ['SERVICE', 'ENDPOINT', 'PID', 'STARTED'];

export function listTable(entries: ServiceEntry[], withEndpoint = false): string {
  const header = withEndpoint ? ENDPOINT_HEADER : HEADER;
  const rows = [
    header,
    ...entries.map((e) => [
      e.serviceId,
      withEndpoint ? e.endpoint : String(e.port),
      String(e.pid ?? '-'),
      e.started ?? '-',
    ]),
  ];
  const widths = header.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  return rows
    .map((r) => r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]!))).join('  '))
    .join('\n');
}
