/**
 * Turns benchmark results into the table printed by `pnpm bench`, and puts it into
 * docs/benchmarks.md between two marker comments, leaving the hand-written sections around it.
 */
import type { RunResult } from './run-one.js';
import type { TargetName } from './targets.js';

type Key = Exclude<keyof RunResult, 'target'>;

export interface Row {
  label: string;
  key: Key;
  unit: string;
  digits: number;
  /** Which way is better, to find the best column of a round. */
  better: 'higher' | 'lower';
}

export const ROWS: Row[] = [
  { label: 'sequential latency p50', key: 'seqP50Us', unit: 'µs', digits: 0, better: 'lower' },
  { label: 'sequential latency p99', key: 'seqP99Us', unit: 'µs', digits: 0, better: 'lower' },
  { label: 'pipelined, 64 in flight', key: 'pipelined64', unit: 'calls/s', digits: 0, better: 'higher' },
  { label: 'pipelined, 256 in flight', key: 'pipelined256', unit: 'calls/s', digits: 0, better: 'higher' },
  { label: 'CPU per call @256, parent', key: 'cpuParentUsPerCall', unit: 'µs', digits: 1, better: 'lower' },
  { label: 'CPU per call @256, child', key: 'cpuChildUsPerCall', unit: 'µs', digits: 1, better: 'lower' },
  { label: 'binary echo 1 MiB', key: 'bin1MBps', unit: 'MB/s', digits: 0, better: 'higher' },
  { label: 'CPU per 1 MiB echo, parent', key: 'cpuParentMsPerEcho1', unit: 'ms', digits: 2, better: 'lower' },
  { label: 'CPU per 1 MiB echo, child', key: 'cpuChildMsPerEcho1', unit: 'ms', digits: 2, better: 'lower' },
  { label: 'binary echo 16 MiB', key: 'bin16MBps', unit: 'MB/s', digits: 0, better: 'higher' },
  { label: 'CPU per 16 MiB echo, parent', key: 'cpuParentMsPerEcho16', unit: 'ms', digits: 1, better: 'lower' },
  { label: 'CPU per 16 MiB echo, child', key: 'cpuChildMsPerEcho16', unit: 'ms', digits: 1, better: 'lower' },
  { label: 'spawn to first call', key: 'spawnToFirstCallMs', unit: 'ms', digits: 0, better: 'lower' },
  { label: 'child RSS idle', key: 'childRssIdleMb', unit: 'MB', digits: 1, better: 'lower' },
  { label: 'child RSS loaded', key: 'childRssLoadedMb', unit: 'MB', digits: 1, better: 'lower' },
  { label: 'parent RSS (end of run)', key: 'parentRssMb', unit: 'MB', digits: 1, better: 'lower' },
];

export const COLUMNS: [TargetName, string][] = [
  ['unix-socket', 'Unix socket'],
  ['bare-zmq', 'bare zmq frames'],
  ['tuned-raw', 'tuned raw'],
  ['tuned-raw-uuid', 'tuned raw, Multifrost ids'],
  ['tuned-batch', 'tuned raw, batched'],
  ['fork-ipc', 'fork IPC'],
  ['http', 'HTTP + fetch'],
  ['multifrost', '**Multifrost → Node**'],
  ['multifrost-unbatched', '**Multifrost → Node, unbatched**'],
  ['multifrost-python', '**Multifrost → Python**'],
  ['raw-zmq', 'old raw pair'],
];

/** A target's medians over the rounds, and for each figure the median of its per-round ratio to the best column. */
export type MergedResult = Partial<Record<Key, number>> & { ratios: Partial<Record<Key, number>> };
export type Results = Partial<Record<TargetName, MergedResult>>;

function fmt(v: number | undefined, digits: number): string {
  if (v === undefined || !Number.isFinite(v)) return 'n/a';
  return v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function renderTable(results: Results): string {
  const cols = COLUMNS.filter(([t]) => results[t]);
  const head = `| scenario | unit | ${cols.map(([, name]) => name).join(' | ')} |`;
  const sep = `|---|---|${cols.map(() => '---:').join('|')}|`;
  const lines = ROWS.map((row) => {
    const cells = cols.map(([t]) => {
      const r = results[t]!.ratios[row.key];
      const ratio = r !== undefined && Number.isFinite(r) ? ` (${r.toFixed(2)}×)` : '';
      return `${fmt(results[t]![row.key], row.digits)}${ratio}`;
    });
    return `| ${row.label} | ${row.unit} | ${cells.join(' | ')} |`;
  });
  return [head, sep, ...lines].join('\n');
}

export const TABLE_START = '<!-- pnpm bench: table start (written by packages/bench/src/run.ts) -->';
export const TABLE_END = '<!-- pnpm bench: table end -->';

/** The generated block: what was measured, where, how, and the table. */
export function renderBlock(
  results: Results,
  meta: { machine: string; date: string; rounds: number; seconds: number; command: string; load: string },
): string {
  return `${TABLE_START}
Measured ${meta.date} on ${meta.machine}; load average before the run ${meta.load}.
Command: \`${meta.command}\` (${meta.rounds} interleaved round${meta.rounds === 1 ? '' : 's'}, every target in a fresh parent process
with a fresh child in each round; ${meta.seconds} s in all). Each figure is the median over the rounds; the
ratio after it is the median of its per-round ratios to the best column of that round (so 1.00× is
the best, a throughput below 1 and a latency or cost above 1 are worse).

${renderTable(results)}
${TABLE_END}`;
}

/** Replaces the generated block in `doc` (or puts it after the first heading when there is none yet). */
export function spliceBlock(doc: string, block: string): string {
  const start = doc.indexOf(TABLE_START);
  const end = doc.indexOf(TABLE_END);
  if (start >= 0 && end > start) return doc.slice(0, start) + block + doc.slice(end + TABLE_END.length);
  const firstBreak = doc.indexOf('\n\n');
  return firstBreak < 0 ? `${doc}\n\n${block}\n` : `${doc.slice(0, firstBreak)}\n\n${block}${doc.slice(firstBreak)}`;
}
