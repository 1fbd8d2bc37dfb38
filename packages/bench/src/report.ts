/** Turns benchmark results into the table printed and written to docs/benchmarks.md. */
import type { RunResult } from './run-one.js';
import type { TargetName } from './targets.js';

interface Row {
  label: string;
  key: keyof RunResult;
  unit: string;
  /** true when bigger is better (ratio shown as target/raw either way). */
  digits: number;
}

const ROWS: Row[] = [
  { label: 'sequential latency p50', key: 'seqP50Us', unit: 'µs', digits: 0 },
  { label: 'sequential latency p99', key: 'seqP99Us', unit: 'µs', digits: 0 },
  { label: 'sequential latency p99.9', key: 'seqP999Us', unit: 'µs', digits: 0 },
  { label: 'pipelined, 64 in flight', key: 'pipelined64', unit: 'calls/s', digits: 0 },
  { label: 'pipelined, 256 in flight', key: 'pipelined256', unit: 'calls/s', digits: 0 },
  { label: '4 pairs at once, 64 in flight each', key: 'pairs4', unit: 'calls/s', digits: 0 },
  { label: 'binary echo 1 MiB', key: 'bin1MBps', unit: 'MB/s', digits: 0 },
  { label: 'binary echo 16 MiB', key: 'bin16MBps', unit: 'MB/s', digits: 0 },
  { label: 'spawn to first call', key: 'spawnToFirstCallMs', unit: 'ms', digits: 0 },
  { label: 'child RSS idle', key: 'childRssIdleMb', unit: 'MB', digits: 1 },
  { label: 'child RSS loaded', key: 'childRssLoadedMb', unit: 'MB', digits: 1 },
  { label: 'parent RSS (end of run)', key: 'parentRssMb', unit: 'MB', digits: 1 },
];

const COLUMNS: [TargetName, string][] = [
  ['raw-zmq', 'raw zeromq.js'],
  ['multifrost', 'Multifrost → Node'],
  ['multifrost-python', 'Multifrost → Python'],
  ['fork-ipc', 'fork IPC'],
  ['http', 'HTTP + fetch'],
];

function fmt(v: number, digits: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  return v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

type Results = Partial<Record<TargetName, RunResult & { ratios?: Partial<Record<keyof RunResult, number>> }>>;

export function renderTable(results: Results): string {
  const cols = COLUMNS.filter(([t]) => results[t]);
  const head = `| scenario | unit | ${cols.map(([, name]) => name).join(' | ')} |`;
  const sep = `|---|---|${cols.map(() => '---:').join('|')}|`;
  const lines = ROWS.map((row) => {
    const raw = results['raw-zmq']?.[row.key] as number | undefined;
    const cells = cols.map(([t]) => {
      const v = results[t]![row.key] as number;
      const r = results[t]!.ratios?.[row.key] ?? (raw ? v / raw : Number.NaN);
      const ratio = t !== 'raw-zmq' && Number.isFinite(r) ? ` (${r.toFixed(2)}×)` : '';
      return `${fmt(v, row.digits)}${ratio}`;
    });
    return `| ${row.label} | ${row.unit} | ${cells.join(' | ')} |`;
  });
  return [head, sep, ...lines].join('\n');
}

export function renderReport(
  results: Results,
  meta: { machine: string; date: string; rounds: number; seconds: number },
): string {
  return `# Benchmarks

Measured ${meta.date} on ${meta.machine}.
Command: \`pnpm bench\` (${meta.rounds} interleaved rounds, medians; every run in a fresh parent
process with fresh children; ${meta.seconds} s in all). Values are medians over the rounds; a ratio is
the median of the per-round ratios to raw zeromq.js (raw runs next to each target in every round).

${renderTable(results)}

What each column is:

- **raw zeromq.js**: a DEALER/ROUTER + msgpackr echo written with no framework (same message
  shape, a queued sender, a pending map) — the practical limit of this design.
- **Multifrost → Node**: \`ParentWorker.spawn('multifrost-child.mjs')\` with default options
  (heartbeats on, 60 s default timeout, circuit breaker, metrics).
- **Multifrost → Python**: the same parent against the Python peer of the interop suite
  (the \`multifrost-worker\` module, \`packages/multifrost/python\`, pyzmq + msgpack). A figure, not a target.
- **fork IPC**: \`child_process.fork\` with \`serialization: 'advanced'\`.
- **HTTP + fetch**: a \`node:http\` child on loopback, JSON bodies (binary as octet-stream), Node's
  \`fetch\` with keep-alive.

Scenarios: sequential latency over ${'20,000'} \`add(1, 2)\` calls after 2,000 warm-up calls;
pipelined throughput keeping 64 or 256 calls in flight for 100,000 calls; binary echo of a 1 MiB
(200×) and 16 MiB (20×) Buffer, in payload MB per second; spawn to first call (process start to the
first answered call); RSS of the child idle and after the load; four parent→child pairs driven at
once from one parent. Slow targets stop a scenario after 15 s.

## Where the time goes

Profiled with \`pnpm --filter @multifrost/bench focus\` (CPU per call on each side from /proc, mixed
pairs, \`--cpu-prof\` and \`perf\`; see \`packages/bench/src/focus.ts\`):

- Most of a call's CPU, raw or not, is libzmq's: every send and receive checks the socket's mailbox
  (a \`getpid\` and a \`poll\` syscall) and each message crosses libzmq's I/O thread. On a machine
  where syscalls are dear that is ~30 µs per call per side for the raw pair.
- Sends without the writability check: zeromq.js asks the socket whether it is writable (a
  getsockopt that processes its command mailbox) before every send, unless the socket's send timeout
  is 0. Multifrost's writer tries every send with timeout 0 and falls back to a waiting send only
  when libzmq refuses (EAGAIN: no peer, high-water mark). Measured with \`focus raw-zmq multifrost\`
  (3 rounds, 256 in flight): system CPU per call 12.3 → 8.3 µs in the parent and 12.8 → 8.6 µs in
  the child (the child's replies take the same path), which is why
  Multifrost passes the raw pair (a plain zeromq.js send loop) in the pipelined rows.
- Message size: zeromq.js copies a frame of up to 128 bytes but sends a larger one by reference
  (released later through the main thread) and receives it into an external buffer with a
  finalizer. \`focus raw-128 raw-129\` (the raw pair, calls of 128 and 129 bytes, 5 rounds): one
  byte more costs ~5% throughput, +2.7 µs parent and +4.7 µs child CPU per call. So small calls stay
  under the line: ids are the 32 hex digits of a UUID v4, and \`metadata.deadline\` travels only
  when the caller chose a timeout; \`add(1, 2)\` is 125 bytes (157 with UUID text and a deadline;
  \`focus multifrost-timeout\` measures that case).
- Multifrost's own JavaScript per call is a few µs per side: the message (id, timestamp), the value
  walk and validation, the pending entry, metrics. A handler that returns a plain value is answered
  with no promise and outside the AsyncLocalStorage (its promise hooks slow every promise in the
  process on Node 20).
- Four pairs at once: the children (raw or Multifrost) spend more CPU per call when the
  Multifrost parent drives four of them than when the raw parent does (\`focus raw-zmq multifrost
  mf-parent-raw-child raw-parent-mf-child --pairs 4\`: the raw child at 31.7 + 21.1 µs user + sys
  per call behind the Multifrost parent, 24.1 + 18.1 behind the raw one), so the parent's send
  pattern spreads calls over more wake-ups of each child. Per-round ratios range 0.76–1.03×; not
  explained yet.
- fork IPC is faster than any ZeroMQ pair here: one pipe write per message and no I/O thread,
  where every ZeroMQ message crosses libzmq's I/O thread on both sides (two more thread hand-offs
  and their wake-ups per message). Beating it would take another transport, not a faster
  implementation of this one.
`;
}
